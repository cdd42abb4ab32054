"""The words the History page and the customer timeline show."""

SEARCH_PLACEHOLDER = "Search name, phone or email"
ALL_CHANNELS = "All channels"
ALL_STATES = "All states"
ALL_CAMPAIGNS = "All campaigns"
ALL_TAGS = "All tags"
ANY_DATE = "Any date"
FROM = "From"
TO = "to"
REFRESH = "Refresh"
EXPORT = "Export CSV…"
EXPORT_TITLE = "Save the history as CSV"
EXPORT_FILTER = "CSV files (*.csv)"
EXPORT_RUNNING = "Writing {file}…"
EXPORT_DONE = "Saved {count} messages to {file}."
EXPORT_FAILED_TITLE = "The history could not be saved"
FILTER_FAILED_TITLE = "That filter does not work"
COUNT = "{count} messages"
COUNT_ONE = "1 message"
COUNT_HINT = "Double-click a message to see that customer's timeline."
EMPTY = "No messages yet: they appear here after your first send."
NO_MATCH = "No messages match these filters."
STATE_TOOLTIP = (
    "Held: queued, but waiting for quiet hours to end (or for the shop's address). "
    "The reason says until when."
)

TIMELINE_TITLE = "Timeline: {name}"
TIMELINE_NO_CONTACT = (
    "This message has no customer record any more (the contact was deleted)."
)
TIMELINE_EMPTY = "Nothing has happened with this customer yet."
TIMELINE_COLUMNS = ("When", "What", "Channel", "Details")
TIMELINE_CLOSE = "Close"

RESUME = "Finish sending"
RESUME_TOOLTIP = (
    "Send what is still queued in the chosen campaign (after Cancel, a crash or a "
    "pause); nothing already sent goes twice"
)
RESUME_RUNNING = "Finishing the campaign…"
