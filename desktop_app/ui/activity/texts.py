"""The words the Activity page shows."""

TITLE = "Replies"
FILTERS = (
    (None, "Everything"),
    ("decide", "Needs your decision"),
    ("opt_out", "Opt-outs"),
    ("opt_in", "Sign-ups and opt-ins"),
    ("help", "Asked for help"),
    ("reply", "Other replies"),
    ("bounce", "Bounced emails"),
)
COLUMNS = ("When", "Customer", "What Duet did", "Their words", "Why", "Decision")
DECISIONS = {
    None: "Needs your decision",
    "opt_out": "Treated as opt-out",
    "not_opt_out": "Not an opt-out",
}
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
    "Some replies may mean “stop” without the keyword (“please don't text me”); "
    "others only mention it (“don't stop the sale!”). Duet does not guess: such "
    "replies wait here, in bold, for your decision."
)
DECIDED_OPT_OUT = "{name} will get no more texts (opt-out recorded with their reply)."
DECIDED_OPT_OUT_EMAIL = (
    "{name} will get no more emails (unsubscribe recorded with their mail)."
)
DECIDED_NOT = "Kept {name} subscribed; the reply stays on record."
DECIDE_FAILED_TITLE = "That did not work"
EMPTY = "Nothing yet: replies and opt-outs appear here after a check for replies."
COUNT = "{count} replies and emails"
COUNT_ONE = "1 reply or email"
NONE_WAITING = "No reply waits for your decision."
WAITING_HINT_ONE = (
    "1 reply may mean “stop” without the keyword (in bold below). Duet does not "
    "guess: choose it, read it, then decide."
)
WAITING_HINT = (
    "{count} replies may mean “stop” without the keyword (in bold below). Duet does "
    "not guess: choose one, read it, then decide."
)
HELD_FOR_DECISIONS = " Until you decide, {messages} to these customers wait."
CHOOSE_ONE = "Choose a reply in bold to read it in full and decide."
DETAIL = "{who} wrote: “{words}”. {what}. Why: {reading}"
