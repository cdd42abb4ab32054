"""The Automation page: trigger rules, schedules, activity and the event endpoint."""
