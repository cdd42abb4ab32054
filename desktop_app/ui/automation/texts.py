"""The words of the Automation page, the start-up questions and the background job.

Kept out of the view module so the main window can name the page before the first
paint without importing any view.
"""

from desktop_app.core.words import counted

VIEW_TITLE = "Automation"
LOADING = "Loading…"

# Tabs
TAB_RULES = "Trigger rules"
TAB_SCHEDULES = "Schedules"
TAB_ACTIVITY = "Activity"
TAB_ENDPOINT = "Event endpoint"

# Trigger rules
RULES_INTRO = (
    "When your till, web shop or help desk reports an event, Duet sends the rule's "
    "template to that customer. Tick “On” to let a rule send."
)
RULES_HEADERS = ("Event", "Template", "Delay", "On")
RULES_TEMPLATE = "Template"
RULES_DELAY = "Delay"
RULES_DELAY_SUFFIX = " min"
RULES_DELAY_NONE = "at once"
RULES_ENABLED = "On"
RULES_SAVE = "Save rule"
RULES_SAVED = "Rule for “{kind}” saved: {state}, template “{template}”."
RULES_EMPTY = "No trigger rules yet."
RULES_PICK = "Choose a rule in the list to change it."
RULE_ON = "on"
RULE_OFF = "off"
RULE_ON_LABEL = "On"
RULE_OFF_LABEL = "Off"
KIND_NAMES = {
    "purchase": "Purchase",
    "ticket_opened": "Support ticket opened",
    "ticket_resolved": "Support ticket resolved",
    "appointment_reminder": "Appointment reminder",
}

# Schedules
SCHEDULES_CALENDAR = "Coming up"
SCHEDULES_CALENDAR_EMPTY = "Nothing scheduled."
SCHEDULES_LIST = "Schedules"
SCHEDULES_ADD = "Add a schedule"
SCHEDULES_TEMPLATE = "Template"
SCHEDULES_AUDIENCE = "Send to"
SCHEDULES_EVERYONE = "All contacts"
SCHEDULES_TAG = "Contacts tagged “{tag}”"
SCHEDULES_WHEN = "First time"
SCHEDULES_REPEAT = "Repeat"
REPEAT_CHOICES = (
    ("once", "Once"),
    ("daily", "Every day"),
    ("weekly", "Every week on that day"),
    ("monthly_day", "Every month on that date"),
    ("monthly_nth", "Every month on that weekday (e.g. first Monday)"),
)
SCHEDULES_ADD_BUTTON = "Add schedule"
SCHEDULES_DELETE = "Delete schedule"
SCHEDULES_DELETE_QUESTION = (
    "Delete the schedule “{name}”? Campaigns it already sent stay in History."
)
SCHEDULES_ADDED = "Schedule “{name}” added."
SCHEDULES_DELETED = "Schedule “{name}” deleted."
SCHEDULES_NO_TEMPLATES = "Create a template first, on the Templates page."
SCHEDULES_FAILED = "The schedule was not added"
SCHEDULES_ZONE = "Times are in the shop's time zone ({zone})."
CALENDAR_EVERYONE = "all contacts"
CALENDAR_TAG = "tag “{tag}”"
STATE_NAMES = {
    "upcoming": "",
    "due": "due now",
    "missed": "missed (Duet was closed)",
}

# Activity
ACTIVITY_HEADERS = ("When", "What", "From", "Outcome", "Details")
ACTIVITY_EMPTY = "Nothing has happened yet."
ACTIVITY_REFRESH = "Refresh"
ACTIVITY_CAMPAIGN = "campaign “{name}”"
ACTIVITY_SKIPPED = "{channel} not sent: {why}"
ACTIVITY_KINDS = {
    "schedule": "Schedule",
    "file": "Dropped file",
    "cap": "Spending cap",
}

# Event endpoint
ENDPOINT_STATUS = "Status: off"
ENDPOINT_EXPLAIN = (
    "Scripts on this PC (a web shop or help desk) can post events to Duet over "
    "HTTP. This is off by default and never listens to other computers. To turn it "
    "on, run:\n\n    python main.py serve-events\n\nIt listens on "
    "http://127.0.0.1:8787/events and needs the token below in an "
    "“Authorization: Bearer …” header."
)
ENDPOINT_SHOW = "Show token"
ENDPOINT_HIDE = "Hide token"
ENDPOINT_COPY = "Copy token"
ENDPOINT_NEW = "New token…"
ENDPOINT_NO_TOKEN = "No token yet. Click “New token…” to make one."
ENDPOINT_HIDDEN = "The token is hidden; click “Show token” to see it."
ENDPOINT_COPIED = "Token copied to the clipboard."
ENDPOINT_NEW_QUESTION = (
    "Make a new token? Scripts that use the old one will be refused until you give "
    "them the new one."
)
ENDPOINT_NEW_YES = "Make a new token"
ENDPOINT_NEW_NO = "Keep the old one"
ENDPOINT_NEW_DONE = "A new event token was saved in the keyring."
ENDPOINT_FAILED = "The token could not be read or saved"

# Start-up questions
START_TITLE = "Unfinished sends"
RESUME_QUESTION = (
    "Duet was closed before {sends} finished:\n\n{lines}\n\nFinish sending "
    "now? Messages already sent are not sent again."
)
RESUME_LINE = "• {name}: {left} left"
RESUME_YES = "Finish sending"
RESUME_NO = "Not now"
RESUME_RUNNING = "Finishing interrupted sends…"
RESUME_PROGRESS = "{done} of {total} messages"
RESUME_DONE = "Interrupted sends: {text}"
RESUME_FAILED = "The interrupted sends could not be finished"
MISSED_TITLE = "Missed schedules"
MISSED_QUESTION = (
    "These scheduled sends were due while Duet was closed:\n\n{lines}\n\nSend them "
    "now? Of several missed runs of one schedule only the latest is sent."
)
MISSED_YES = "Send them now"
MISSED_NO = "Not now"
MISSED_RUNNING = "Sending missed schedules…"
MISSED_DONE = "Missed schedules: {text}"

# Background job status lines
JOB_HELD_SENT = "{count} sent"
JOB_TRIGGERED = "{count} sent for trigger events"
JOB_SCHEDULED = "{count} done"
JOB_FILES = "{count} from the watched folder handled"
JOB_PAUSED = "{count} paused (see Automation)"
JOB_REPLIES = "{count}"
JOB_OPT_OUTS = "opt-out recorded"
JOB_OPT_OUTS_MANY = "{count} opt-outs recorded"
JOB_OPT_INS = "{count} re-subscribed"
JOB_HELP = "{count} asking for help"
JOB_MAILBOX = "Mailbox: {what}"
JOB_MAILBOX_FAILED = "Mailbox not checked: {message}"
JOB_MAILBOX_UNSUBSCRIBED = "{count} unsubscribed"
JOB_REVIEW = "{count} to review"
JOB_DELIVERED = "{count} delivered"
JOB_FAILED = "Background check failed: {message}"


def plural(count: int, one: str, many: str) -> str:
    """Return "1 message" or "3 messages" (``one``/``many`` are the nouns)."""
    return counted(count, one, many)
