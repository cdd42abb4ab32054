"""The words of the Settings pages (shop, sending, mailbox, data), kept in one place."""

TAB_SHOP = "Shop"
TAB_PROVIDERS = "Sending"
TAB_MAILBOX = "Mailbox"
TAB_DATA = "Data"

SAVED_PLACEHOLDER = "saved (leave empty to keep it)"
NOT_SAVED_PLACEHOLDER = "not saved yet"
CHECKING = "Checking…"
SAVING = "Saving…"
LOADING = "Reading the saved settings…"

# Keyring
KEYRING_TITLE = "Passwords cannot be saved on this PC yet"
KEYRING_CHECKING = "Checking the PC's password store…"
KEYRING_AFTER = (
    "Until this is fixed, Duet stays in test mode: messages go to the local test "
    "outbox. The connection checks still work with what you type."
)
KEYRING_SAVE_DISABLED = "Saving is off until a secure password store is available."
NO_SECURE_STORE = (
    "No secure password store was found. On Linux install and unlock GNOME Keyring "
    "or KWallet; Duet will not save passwords in a plain file."
)

# Twilio
TWILIO_TITLE = "Text messages (Twilio)"
TWILIO_INTRO = (
    "Find these in the Twilio console, on the Account dashboard. The token is kept "
    "in this PC's password store, never in Duet's database."
)
TWILIO_ACCOUNT_SID = "Account SID"
TWILIO_LOGIN = "Log in with"
TWILIO_LOGIN_TOKEN = "Auth Token"
TWILIO_LOGIN_API_KEY = "API key and secret"
TWILIO_AUTH_TOKEN = "Auth Token"
TWILIO_API_KEY = "API key SID"
TWILIO_API_SECRET = "API key secret"
TWILIO_SENDER = "Send from"
TWILIO_SENDER_HELP = (
    "Your Twilio number in international form (+15550100000) or a Messaging Service "
    "SID (MG…)."
)
TWILIO_RATE = "Speed"
TWILIO_RATE_SUFFIX = " segments/second"
TWILIO_RATE_HELP = (
    "1 for a US long code; toll-free numbers, short codes and Messaging Services "
    "may allow more."
)
TWILIO_SAVE = "Save Twilio settings"
TWILIO_TEST = "Test connection"
TWILIO_FORGET = "Forget"
TWILIO_SAVED = "Twilio settings saved. Texts now go through Twilio."
TWILIO_FORGOTTEN = "Twilio settings removed. Texts go to the test outbox."
TWILIO_NO_TOKEN = "Twilio: type the Auth Token (or API key secret); nothing was saved."
TWILIO_NO_TOKEN_TEST = "Type the Auth Token (or API key secret) to test the connection."

# SMTP
SMTP_TITLE = "Emails (SMTP)"
SMTP_INTRO = "The outgoing mail server of the shop's email account."
SMTP_PRESET = "Provider"
SMTP_PRESETS = {
    "gmail": "Gmail",
    "outlook": "Outlook / Microsoft 365",
    "generic": "Other mail server",
}
SMTP_PRESET_HELP = {
    "gmail": (
        "Gmail: use an app password (Google Account → Security → App passwords), "
        "not your normal password."
    ),
    "outlook": (
        "Outlook / Microsoft 365: SMTP sending must be allowed for the mailbox; "
        "use an app password if two-step sign-in is on."
    ),
    "generic": "Your email provider's help pages list these settings.",
}
SMTP_HOST = "Server"
SMTP_PORT = "Port"
SMTP_SECURITY = "Security"
SMTP_SECURITY_NAMES = {
    "starttls": "STARTTLS (usually port 587)",
    "ssl": "SSL (usually port 465)",
    "none": "None (not encrypted)",
}
SMTP_USER = "User name"
SMTP_PASSWORD = "Password"
SMTP_FROM_NAME = "From name"
SMTP_FROM_ADDRESS = "From address"
SMTP_SAVE = "Save email settings"
SMTP_TEST = "Test connection"
SMTP_FORGET = "Forget"
SMTP_SAVED = "Email settings saved. Emails now go through {host}."
SMTP_FORGOTTEN = "Email settings removed. Emails go to the test outbox."
SMTP_NO_PASSWORD = "Email: type the password; nothing was saved."
SMTP_NO_PASSWORD_TEST = "Type the password to test the connection."

# Mailbox
MAILBOX_TITLE = "The shop's mailbox (IMAP)"
MAILBOX_INTRO = (
    "Customers who click “Unsubscribe” in their mail program send a mail to the "
    "shop's address, and bounced emails come back there. Duet reads the unread mails "
    "of that inbox, records the opt-outs and flags the bad addresses; other mail is "
    "left unread."
)
MAILBOX_HOST = "Server"
MAILBOX_PORT = "Port"
MAILBOX_SECURITY = "Security"
MAILBOX_SECURITY_NAMES = {
    "ssl": "SSL (usually port 993)",
    "starttls": "STARTTLS (usually port 143)",
    "none": "None (not encrypted)",
}
MAILBOX_USER = "User name"
MAILBOX_PASSWORD = "Password"
MAILBOX_SAVE = "Save mailbox settings"
MAILBOX_CHECK = "Check mailbox now"
MAILBOX_FORGET = "Forget"
MAILBOX_SAVED = "Mailbox settings saved."
MAILBOX_FORGOTTEN = "Mailbox settings removed."
MAILBOX_NO_PASSWORD = "Mailbox: type the password; nothing was saved."
MAILBOX_NO_PASSWORD_CHECK = "Type the mailbox password to check it."
MAILBOX_NO_HOST = "Mailbox: type the server name, such as imap.example.com."
MAILBOX_REPORT = "Mailbox checked. {summary}"

# Data
DATA_WHERE_TITLE = "Where Duet keeps your data"
DATA_FOLDER = "Data folder"
DATA_DATABASE = "Database file"
DATA_SAFETY_TITLE = "Backup and restore"
DATA_SAFETY_INTRO = (
    "A backup is a single file with every contact, template and message. Make one "
    "before big changes and keep it on another drive."
)
DATA_BACKUP = "Back up…"
DATA_RESTORE = "Restore…"
DATA_BACKUP_TITLE = "Save a backup of Duet's data"
DATA_RESTORE_TITLE = "Choose a Duet backup to restore"
DATA_BACKUP_FILTER = "Duet backups (*.sqlite3 *.db);;All files (*)"
DATA_BACKUP_DONE = "Backup saved to {path}."
DATA_RESTORE_QUESTION = (
    "Replace all of Duet's data with the backup {path}? Your current data is kept "
    "as a copy in the data folder."
)
DATA_RESTORE_YES = "Restore"
DATA_RESTORE_NO = "Cancel"
DATA_RESTORE_DONE = "Restored {path}. Your previous data was kept in {kept}"
DATA_RESTORE_TITLE_DONE = "Backup restored"
DATA_RESTORE_FAILED = "The backup was not restored"
DATA_PROOF_TITLE = "Consent records and sign-up sign"
DATA_PROOF_INTRO = (
    "The consent ledger lists every opt-in and opt-out with its source and time: your "
    "proof if a customer complains. The sign carries a QR code that opens a text to "
    "your number with the keyword; that reply signs the customer up."
)
DATA_EXPORT_LEDGER = "Export consent ledger…"
DATA_LEDGER_TITLE = "Save the consent ledger"
DATA_LEDGER_FILTER = "CSV files (*.csv)"
DATA_LEDGER_DONE = "Wrote {records} to {path}."
DATA_SIGN_NUMBER = "Shop's text number"
DATA_SIGN_NUMBER_PLACEHOLDER = "+15550100000 (your Twilio number)"
DATA_SIGN_KEYWORD = "Keyword"
DATA_PRINT_SIGN = "Print opt-in sign…"
DATA_SIGN_TITLE = "Save the opt-in sign"
DATA_SIGN_FILTER = "PDF document (*.pdf);;PNG image (*.png)"
DATA_SIGN_DONE = "Sign saved to {path}. Print it and put it by the till."
DATA_SIGN_WARNING = "Warning: "
DATA_SIGN_NO_NUMBER = (
    "Sign: type the shop's text number, such as +15550100000 (your Twilio number)."
)
