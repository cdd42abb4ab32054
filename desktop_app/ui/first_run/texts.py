"""The words of the first-run guide."""

TITLE = "Welcome to Duet"
INTRO = (
    "Four short steps get Duet ready. Each one can wait: skip what you like and find "
    "it later in Settings."
)
STEP_NAMES = (
    "1. Phone numbers",
    "2. Your shop",
    "3. Your customers",
    "4. A test to yourself",
)
SKIP = "Skip the guide"
BACK = "Back"
NEXT = "Next"
DONE = "Start using Duet"

COUNTRY_TITLE = "Where are your customers' phone numbers from?"
COUNTRY_TEXT = (
    "Numbers written without a + and country code (such as (212) 555-0100) are read "
    "as numbers of this country."
)
COUNTRY_LABEL = "Default country"

SHOP_TITLE = "Your shop"
SHOP_TEXT = (
    "The name signs your texts. The postal address goes at the end of every email: "
    "the law asks for it, and Duet sends no marketing until it is set."
)
SHOP_NAME = "Shop name"
SHOP_ADDRESS = "Postal address"
SHOP_EMAIL = "Reply-to email"
SHOP_NAME_PLACEHOLDER = "Corner Shop"
SHOP_ADDRESS_PLACEHOLDER = "1 Main Street, Springfield, IL 62701"
SHOP_EMAIL_PLACEHOLDER = "shop@example.com"

IMPORT_TITLE = "Bring in your customers"
IMPORT_TEXT = (
    "Use an export from your till or web shop (CSV), a spreadsheet saved as CSV, or "
    "contacts from your phone (vCard). Duet reads the columns, cleans up the numbers "
    "and keeps each customer's consent. This guide stays open meanwhile."
)
IMPORT_BUTTON = "Import customers…"
IMPORT_LATER = "No file at hand? The Contacts page has the same button."

TEST_TITLE = "Send a test pair to yourself"
TEST_TEXT = (
    "Type your own mobile number and email. Duet adds you as a contact, writes a "
    "“Welcome” text and email, and sends the pair so you see what customers get."
)
TEST_MODE = (
    "Test mode: until you add Twilio and email credentials, nothing leaves this PC; "
    "every message is saved as a file in the test outbox folder instead."
)
CREDENTIALS_WAIT = "Credentials can wait. Add them any time in Settings → Sending."
TEST_NAME = "Your first name"
TEST_PHONE = "Your mobile"
TEST_EMAIL = "Your email"
TEST_PHONE_PLACEHOLDER = "(212) 555-0100"
TEST_EMAIL_PLACEHOLDER = "you@example.com"
TEST_BUTTON = "Send the test pair"
TEST_SENDING = "Sending the test pair…"
TEST_NEED_ONE = "Type your mobile number or your email (or both)."
TEST_DONE = "{summary} The messages are in {folder}."
TEST_OPEN_FOLDER = "Open the test outbox"
OPEN_SETTINGS = "Open Settings → Sending"

WELCOME_NAME = "Welcome"
# Merge fields ({first_name}, {shop_name}) are filled in for each contact.
WELCOME_SMS = (
    "Hi {first_name}, welcome to {shop_name}! This is how our texts look. "
    "Reply STOP to opt out."
)
WELCOME_SUBJECT = "Welcome to {shop_name}"
WELCOME_BODY = (
    "Hi {first_name},\n\nWelcome to {shop_name}! This is how our emails look: the "
    "unsubscribe line and our address are added at the end.\n\nSee you soon."
)
