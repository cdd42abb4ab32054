"""The words Duet's window shows a shop owner, kept in one place.

Short, plain, no jargon; placeholders are named (``{sent} of {total} sent``).
"""

APP_TITLE = "Duet"

TEST_MODE_BANNER = (
    "Test mode: messages go to the local test outbox on this PC; nothing is sent."
)
LIVE_MODE_BANNER = "Live: messages are sent to your customers for real."
MIXED_MODE_BANNER = (
    "Partly test mode ({mode}): the channel without credentials goes to the local "
    "test outbox."
)

VIEW_TITLES = {
    "contacts": "Contacts",
    "templates": "Templates",
    "compose": "Compose",
    "history": "History",
    "replies": "Replies",
    "reports": "Reports",
    "settings": "Settings",
}

REPLIES_BADGE = "{title} ({count})"
REPLIES_WAITING_TIP = "{count} replies wait for your decision. "
REPLIES_WAITING_TIP_ONE = "1 reply waits for your decision. "

# Contacts
CONTACTS_FILTER_PLACEHOLDER = "Search by name, phone, email or tag"
CONTACTS_ALL_TAGS = "All tags"
CONTACTS_IMPORT_BUTTON = "Import customers…"
CONTACTS_COUNT = "{shown} of {total} contacts"
CONTACTS_EMPTY = "No contacts yet. Click “Import customers…” to bring in an export."
IMPORT_FILE_FILTER = "Contact files (*.csv *.txt *.vcf *.vcard);;All files (*)"
IMPORT_CHOOSE_TITLE = "Choose a customer export"
IMPORT_RUNNING = "Importing {file}…"
IMPORT_PROGRESS = "{done} of {total} rows read"
IMPORT_CANCELLED = "Import of {file} cancelled; nothing was changed."
IMPORT_FAILED_TITLE = "The import did not work"
IMPORT_REPORT_TITLE = "Import report: {file}"
IMPORT_DONE = "Imported {file}: {imported} new, {merged} merged, {rejected} rejected."
IMPORT_REJECTED_HEADER = "Rows that were not imported"
IMPORT_WARNINGS_HEADER = "Rows imported with a note"

# Templates
TEMPLATES_NEW = "New template"
TEMPLATES_DELETE = "Delete"
TEMPLATES_SAVE = "Save template"
TEMPLATES_INSERT_FIELD = "Insert field"
TEMPLATES_REPLACE_LOOKALIKES = "Replace lookalikes"
TEMPLATES_SAVED = "Template “{name}” saved."
TEMPLATES_DELETED = "Template “{name}” deleted."
TEMPLATES_DELETE_QUESTION = "Delete the template “{name}”? This cannot be undone."
TEMPLATES_NAME_PLACEHOLDER = "e.g. Order ready"
TEMPLATES_SMS_PLACEHOLDER = (
    "Hi {first_name}, your order is ready. Details in your inbox."
)
TEMPLATES_SUBJECT_PLACEHOLDER = "Your order is ready for pickup"
TEMPLATES_BODY_PLACEHOLDER = "Hi {first_name},\n\nYour order is ready…"
TEMPLATES_TRANSACTIONAL = "Transactional (receipts, order updates: not marketing)"
COUNTER_EMPTY = "Empty: nothing would be sent."

# Compose
COMPOSE_TEMPLATE = "Template"
COMPOSE_AUDIENCE = "Send to"
COMPOSE_EVERYONE = "All contacts"
COMPOSE_TAG = "Contacts tagged “{tag}”"
COMPOSE_REVIEW = "&Review"
COMPOSE_SEND = "Send"
COMPOSE_NO_TEMPLATES = "Create a template first, on the Templates page."
COMPOSE_REVIEW_FIRST = "Click Review to see who gets what before sending."
COMPOSE_SENDING = "Sending…"
COMPOSE_PROGRESS = "{done} of {total} messages"
COMPOSE_CANCELLED = "Sending stopped. Messages not yet sent stay queued."
COMPOSE_FAILED_TITLE = "Sending stopped"
COMPOSE_PREVIEW_CONTACT = "Preview for"
COMPOSE_PREVIEW_NONE = "No contact to preview."

# History
HISTORY_ALL_STATES = "All states"
HISTORY_COUNT = "{count} messages"

# Reports
REPORTS_LOADING = "Loading the chart…"
REPORTS_REFRESH = "Refresh"
REPORTS_TOTAL = "{total} messages over {days} days"
REPORTS_TOTAL_ONE_DAY = "{total} messages on 1 day"
REPORTS_EMPTY = "Nothing sent yet: the chart fills in after your first send."

# Settings
SETTINGS_SAVE = "Save settings"
SETTINGS_SAVED = "Settings saved."
SETTINGS_DATA_FOLDER = "Data folder"
SETTINGS_DATABASE = "Database file"
SETTINGS_FIX_ERRORS = "Please fix the fields marked in red."

# Closing and crashes
CLOSE_WHILE_SENDING = (
    "A send is still running. Stop it and close Duet? Messages not yet sent stay "
    "queued."
)
CLOSE_YES = "Stop and close"
CLOSE_NO = "Keep sending"
CLOSING_WAIT = "Finishing the work in hand before closing…"
CRASH_TITLE = "Something went wrong"
CRASH_TEXT = (
    "Duet hit an unexpected problem. Your data is safe. The details were written to "
    "the log; you can copy them for support."
)
START_FAILED_TITLE = "Duet could not start"
GENERIC_ERROR_TITLE = "That did not work"

COMPOSE_AGAIN_TITLE = "Send again?"
COMPOSE_AGAIN_TEXT = (
    "This template already went to the same customers today (campaign "
    "'{campaign}'). Send it to them again?"
)
COMPOSE_AGAIN_YES = "Send again"
COMPOSE_AGAIN_NO = "Don't send"
COMPOSE_CAP_TITLE = "Over your spending cap"
COMPOSE_CAP_YES = "Send anyway"
