"""The words the Activity page shows."""

TITLE = "Activity"
FILTERS = (
    (None, "Everything"),
    ("decide", "Needs your decision"),
    ("reply", "Replies"),
    ("opt_out", "Opt-outs"),
    ("help", "Asked for help"),
)
KIND_LABELS = {
    "reply": "Reply",
    "opt_out": "Opted out",
    "opt_in": "Opted in again",
    "help": "Asked for help",
    "review": "May mean stop",
    "bounce": "Email bounced",
    "unsubscribe": "Unsubscribed",
}
COLUMNS = ("When", "Customer", "What", "Their words", "Duet's reading", "Decision")
DECISIONS = {
    None: "Needs your decision",
    "opt_out": "Treated as opt-out",
    "not_opt_out": "Not an opt-out",
}
UNKNOWN_SENDER = "unknown number {sender}"
CHECK_NOW = "Check for replies now"
CHECKING = "Checking Twilio for replies and delivery reports…"
TEST_MODE = (
    "Duet is in test mode: there is no Twilio number to check for replies. Add your "
    "Twilio details in Settings to receive replies."
)
CHECK_FAILED_TITLE = "Checking for replies did not work"
TREAT_AS_OPT_OUT = "Treat as opt-out"
NOT_AN_OPT_OUT = "Not an opt-out"
REVIEW_HINT = (
    "Some replies may mean “stop” without the keyword, such as “please don't text "
    "me”. Duet does not decide for you: don't stop the sale on a guess. Choose a "
    "reply, then decide."
)
DECIDED_OPT_OUT = "{name} will get no more texts (opt-out recorded with their reply)."
DECIDED_NOT = "Kept {name} subscribed; the reply stays on record."
DECIDE_FAILED_TITLE = "That did not work"
EMPTY = "Nothing yet: replies and opt-outs appear here after a check for replies."
COUNT = "{count} events"
