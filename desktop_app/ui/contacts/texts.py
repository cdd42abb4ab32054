"""The words of the contacts pages: the import wizard, past imports, editing, consent.

Kept next to the views that use them (``ui/messages.py`` holds the window-wide words).
"""

# Contacts page buttons
PAST_IMPORTS_BUTTON = "Past imports…"
EXPORT_BUTTON = "Export…"
EXPORT_TOOLTIP = "Save the contacts shown as a CSV file that opens safely in Excel"
EXPORT_DONE = "Saved {count:,} contacts to {path}."
EDIT_BUTTON = "Edit…"
DETAILS_BUTTON = "Details…"
TAG_BUTTON = "Tag…"
UNTAG_BUTTON = "Remove tag…"
DELETE_BUTTON = "Delete…"
SELECTED_COUNT = "{count} selected"

# Import wizard
WIZARD_TITLE = "Import customers: {file}"
WIZARD_CHOOSE_OTHER = "Choose another file…"
WIZARD_REGION = "Numbers without +code are in"
WIZARD_READING = "Reading {file}…"
WIZARD_DETECTED = "Read as {format}"
WIZARD_ENCODING = "text encoding {encoding}"
WIZARD_DELIMITER = "columns split by {delimiter}"
WIZARD_MAPPING_HEADER = "What each column holds"
WIZARD_MAPPING_HINT = "Change a column's meaning and the preview below follows."
WIZARD_VCARD_MAPPING = "vCard fields are read by their names; nothing to map."
WIZARD_PREVIEW_HEADER = "The first rows as they will be stored"
WIZARD_PREVIEW_COUNTS = (
    "{kept} of {shown} rows shown will be imported, {rejected} rejected."
)
WIZARD_IMPORT = "Import"
WIZARD_NOTHING = "Nothing to import: {message}"
WIZARD_NO_CHANNEL = (
    "No column holds phone numbers or emails yet: map one of them to Phone or Email."
)
WIZARD_FAILED_TITLE = "Duet cannot read this file"
MAPPING_COLUMNS = ("Column in the file", "Example", "Becomes")
PREVIEW_COLUMNS = ("Row", "Name", "Phones", "Emails", "SMS", "Email", "Tags", "Notes")
REJECTED = "Rejected: {reason}"
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}
ROLE_LABELS = {
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name": "Last name",
    "full_name": "Full name",
    "company": "Company",
    "email": "Email",
    "phone": "Phone",
    "tags": "Tags",
    "country": "Country",
    "consent_email": "Email marketing consent",
    "consent_sms": "SMS marketing consent",
    "timezone": "Time zone",
    "ignore": "(ignore)",
}
CUSTOM_ROLE = "Extra field: {name}"
CONSENT_SHORT = {"opted_in": "Yes", "opted_out": "Opted out", "unknown": "Not asked"}

# Past imports
IMPORTS_TITLE = "Past imports"
IMPORTS_COLUMNS = (
    "File",
    "Imported on",
    "Format",
    "New",
    "Merged",
    "Rejected",
    "State",
)
IMPORTS_UNDO = "Undo this import…"
IMPORTS_EMPTY = "No imports yet."
IMPORTS_UNDONE = "Undone {when}"
IMPORTS_ACTIVE = "In place"
IMPORTS_UNDO_QUESTION = (
    "Undo the import of {file} from {when}? The {created} contacts it added are "
    "deleted and the {updated} it changed go back to how they were before it, "
    "including any edits made since. Opt-outs stay: a contact who opted out is "
    "kept, so Duet never texts or emails them again by mistake."
)
IMPORTS_UNDO_YES = "Undo import"
IMPORTS_UNDO_NO = "Keep it"
IMPORTS_UNDO_REFUSED = "This import cannot be undone"

# Tags and deleting
TAG_TITLE = "Tag {count} contacts"
UNTAG_TITLE = "Remove a tag from {count} contacts"
TAG_LABEL = "Tag"
TAG_ADDED = "Tag “{tag}” added to {count} contacts."
TAG_REMOVED = "Tag “{tag}” removed from {count} contacts."
DELETE_TITLE = "Delete contacts"
DELETE_QUESTION = (
    "Delete {count} contacts? Their messages stay in History and their consent "
    "record stays in the ledger: an opt-out still applies if the same number or "
    "email comes back."
)
DELETE_QUESTION_ONE = (
    "Delete {name}? Their messages stay in History and their consent record stays "
    "in the ledger: an opt-out still applies if the same number or email comes back."
)
DELETE_YES = "Delete"
DELETE_NO = "Keep"
DELETE_DONE = "{deleted} contacts deleted."
DELETE_KEPT_TITLE = "Some contacts were kept"
DELETE_KEPT = (
    "{count} contacts were kept because they opted out and Duet has no phone or "
    "email to keep the opt-out for:\n{names}"
)
SELECT_FIRST = "Select one or more contacts first."

# Editing
EDIT_TITLE = "Edit {name}"
EDIT_SAVED = "{name} saved."
EDIT_PHONES_HINT = "One number a line; numbers without +code are read as {region}."
EDIT_EMAILS_HINT = "One address a line; the first is used for sending."
EDIT_TAGS_HINT = "Separate tags with commas."
EDIT_TIMEZONE_HINT = "Blank: from the phone number, else the shop's time zone."
EDIT_FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "company": "Company",
    "phones": "Phones",
    "emails": "Emails",
    "tags": "Tags",
    "timezone": "Time zone",
}

# Contact details, consent and messages
DETAIL_TITLE = "{name}"
# A contact without a name, an email or a phone (never in practice: a contact has
# one of them) is shown by its number in the list.
UNNAMED_CONTACT = "Contact {id}"
DETAIL_CONSENT_HEADER = "Consent"
DETAIL_LEDGER_HEADER = "Consent history (newest last)"
DETAIL_MESSAGES_HEADER = "Messages"
DETAIL_NO_MESSAGES = "No messages to this contact yet."
DETAIL_CHANGE_CONSENT = "Change consent…"
DETAIL_EDIT = "Edit…"
LEDGER_COLUMNS = ("When", "Channel", "Status", "Source", "Evidence")
MESSAGE_COLUMNS = ("Queued", "Channel", "To", "State", "Campaign")
# The first column's header names the zone its times are in (the shop's).
IN_ZONE = "{column} ({zone})"
IN_ZONE_TIP = (
    "Times are in the shop's time zone, {zone} (Settings → Shop). Evidence quotes "
    "times as the provider gave them, in UTC."
)
CHANNEL_NAMES = {"sms": "SMS", "email": "Email"}
CHANNEL_WORDS = {"sms": "SMS", "email": "email"}
PHONE_KINDS = {
    "mobile": "mobile",
    "fixed_line": "landline",
    "fixed_line_or_mobile": "mobile or landline",
    "voip": "internet phone",
    "toll_free": "toll-free",
}
STATUS_NAMES = {
    "opted_in": "Opted in",
    "opted_out": "Opted out",
    "unknown": "Not asked",
}
CONSENT_TITLE = "Change consent for {name}"
CONSENT_CHANNEL = "Channel"
CONSENT_STATUS = "New status"
CONSENT_NOTE = "Note"
CONSENT_NOTE_PLACEHOLDER = "e.g. asked in the shop on 3 May and signed the form"
CONSENT_NOTE_REQUIRED = (
    "This customer opted out of {channel}. Write down when and how they asked to "
    "join again before opting them back in."
)
CONSENT_NOTE_FOR_OPT_IN = (
    "Write down what shows this customer agreed to {channel} (e.g. signed the form "
    "at the counter on 3 May) before opting them in."
)
CONSENT_UNCHANGED = "{channel} is already {status}; nothing to record."
CONSENT_NO_ADDRESS = {
    "sms": "This contact has no phone number; add one before recording SMS consent.",
    "email": (
        "This contact has no email address; add one before recording email consent."
    ),
}
CONSENT_SAVED = "Consent of {name} for {channel} set to {status}."
