"""The Replies page's rows: one per message a customer sent, saying what Duet did."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from desktop_app.services import history, replies_view, sync
from desktop_app.storage import consent, messages
from desktop_app.ui.activity.waiting import replies_waiting
from tests.services.test_sending import add_contact, set_up_shop

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@dataclass
class Inbound:
    """A received text as the provider reports it (what sync reads)."""

    sid: str
    from_: str
    body: str
    created: datetime
    to: str = "+15550100999"
    status: str = "received"
    price: float | None = None
    error_code: int | None = None


class FakeInbox:
    """A local stand-in for Twilio: it only lists the texts it was given."""

    name = "fake"

    def __init__(self) -> None:
        self.received: list[Inbound] = []

    def add(self, sender: str, body: str, minutes: int) -> None:
        sid = f"SM{len(self.received) + 1:032d}"
        created = NOW - timedelta(minutes=60 - minutes)
        self.received.insert(0, Inbound(sid, sender, body, created))

    def fetch(self, sid: str) -> Any:
        raise AssertionError(f"nothing was sent, so {sid} is not asked for")

    def list_received(self, since: datetime) -> list[Inbound]:
        return [record for record in self.received if record.created >= since]


def _shop(db: sqlite_utils.Database) -> dict[str, int]:
    set_up_shop(db, contacts=0)
    ann = add_contact(db, 1, first_name="Ann", last_name="Lee")
    bob = add_contact(db, 2, first_name="Bob", last_name="Stone")
    return {"ann": ann, "bob": bob}


def _sync(db: sqlite_utils.Database, inbox: FakeInbox) -> None:
    sync.sync_once(db, inbox, now=NOW)


def _by_body(db: sqlite_utils.Database) -> dict[str, replies_view.ReplyRow]:
    rows = replies_view.list_reply_rows(db)
    assert len({row.body for row in rows}) == len(rows)
    return {row.body: row for row in rows}


def phone_of(db: sqlite_utils.Database, contact_id: int) -> str:
    row = db.execute("SELECT phone FROM contacts WHERE id = ?", [contact_id])
    return str(row.fetchone()[0])


def test_a_stop_reply_is_one_row_saying_opted_out(db: sqlite_utils.Database) -> None:
    ids = _shop(db)
    inbox = FakeInbox()
    inbox.add(phone_of(db, ids["ann"]), "STOP", 1)
    _sync(db, inbox)

    rows = replies_view.list_reply_rows(db)

    kinds = [row[0] for row in db.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["reply", "opt_out"]  # two events, as sync records them
    assert len(rows) == 1
    row = rows[0]
    assert (row.label, row.outcome, row.kind) == (
        "Opted out (STOP)",
        "opt_out",
        "opt_out",
    )
    assert (row.contact, row.who, row.body) == ("Ann Lee", "Ann Lee", "STOP")
    assert "STOP" in row.reading
    assert row.at == (NOW - timedelta(minutes=59)).isoformat()
    assert len(row.event_ids) == 2


def test_join_from_an_unknown_number_is_a_sign_up_of_the_new_contact(
    db: sqlite_utils.Database,
) -> None:
    _shop(db)
    inbox = FakeInbox()
    inbox.add("+15550100177", "JOIN", 5)
    _sync(db, inbox)

    rows = replies_view.list_reply_rows(db)

    joined = db.execute("SELECT id FROM contacts WHERE phone = '+15550100177'")
    contact_id = joined.fetchone()[0]
    assert len(rows) == 1
    assert rows[0].label == "Signed up (JOIN)"
    assert rows[0].contact_id == contact_id
    assert rows[0].who == "+15550100177 (contact, no name yet)"
    assert not rows[0].who.startswith("unknown number")

    db.execute("UPDATE contacts SET first_name = 'Dee' WHERE id = ?", [contact_id])

    assert replies_view.list_reply_rows(db)[0].who == "Dee"


def test_start_from_a_known_contact_is_opted_in_again(
    db: sqlite_utils.Database,
) -> None:
    ids = _shop(db)
    inbox = FakeInbox()
    inbox.add(phone_of(db, ids["bob"]), "STOP", 1)
    inbox.add(phone_of(db, ids["bob"]), "START", 2)
    _sync(db, inbox)

    labels = [row.label for row in replies_view.list_reply_rows(db)]

    assert labels == ["Opted in again (START)", "Opted out (STOP)"]  # newest first
    assert consent.current_consent(db, ids["bob"], "sms") == "opted_in"


def test_plain_help_and_unknown_replies_each_get_one_row(
    db: sqlite_utils.Database,
) -> None:
    ids = _shop(db)
    inbox = FakeInbox()
    inbox.add(phone_of(db, ids["ann"]), "See you Saturday", 1)
    inbox.add(phone_of(db, ids["bob"]), "HELP", 2)
    inbox.add("+15550100188", "who is this?", 3)
    _sync(db, inbox)

    rows = _by_body(db)

    assert rows["See you Saturday"].label == "Reply"
    assert rows["See you Saturday"].reading != ""  # never an empty reading
    assert rows["HELP"].label == "Asked for help"
    assert rows["who is this?"].who == "unknown number +15550100188"
    assert rows["who is this?"].contact_id is None
    assert len(rows) == 3


def test_a_decided_review_stays_one_row_in_time_order(
    db: sqlite_utils.Database,
) -> None:
    ids = _shop(db)
    bob = phone_of(db, ids["bob"])
    inbox = FakeInbox()
    inbox.add(bob, "STOP", 1)
    inbox.add(bob, "please don't stop the sale", 2)
    inbox.add(bob, "stop sending the coupons on sundays", 3)
    _sync(db, inbox)
    waiting = replies_view.list_reply_rows(db, show="decide")
    assert [row.label for row in waiting] == ["May mean stop — needs your decision"] * 2
    assert all(row.needs_decision for row in waiting)

    for row in waiting:
        history.decide_review(db, row.id, opt_out="coupons" in row.body)

    rows = replies_view.list_reply_rows(db)
    assert replies_view.list_reply_rows(db, show="decide") == []
    assert [row.label for row in rows] == [
        "Decided: opt-out",
        "Decided: not an opt-out",
        "Opted out (STOP)",
    ]
    assert rows[0].body == "stop sending the coupons on sundays"
    assert rows[0].decision == "opt_out"
    assert rows[0].kind == "review"
    assert all(not row.needs_decision for row in rows)
    assert [
        row.outcome for row in replies_view.list_reply_rows(db, show="opt_out")
    ] == [
        "decided_opt_out",
        "opt_out",
    ]


def test_an_undecided_review_is_what_the_badge_counts(
    db: sqlite_utils.Database,
) -> None:
    ids = _shop(db)
    messages.add_event(
        db,
        "review",
        contact_id=ids["ann"],
        body="Stop the emails about sales",
        data={
            "from": "ann@example.com",
            "channel": "email",
            "mail_message_id": "<m1@example.com>",
            "explanation": "may mean stop",
        },
    )

    rows = replies_view.list_reply_rows(db, show="decide")

    assert [row.label for row in rows] == [
        "May mean stop — needs your decision (by email)"
    ]
    assert rows[0].needs_decision
    undecided = history.list_activity(db, kinds=("review",), undecided_only=True)
    assert [event.id for event in undecided] == [rows[0].id]


def test_email_unsubscribe_and_bounce_read_plainly(db: sqlite_utils.Database) -> None:
    ids = _shop(db)
    messages.add_event(
        db,
        "unsubscribe",
        contact_id=ids["ann"],
        body="Unsubscribe",
        data={"mail_message_id": "<u1@example.com>", "channel": "email"},
    )
    messages.add_event(
        db,
        "bounce",
        contact_id=ids["bob"],
        body="5.1.1 user unknown",
        data={
            "mail_message_id": "<b1@example.com>",
            "channel": "email",
            "status": "5.1.1 user unknown",
            "address": "test2@example.com",
        },
    )

    rows = _by_body(db)

    assert rows["Unsubscribe"].label == "Unsubscribed by email"
    assert rows["5.1.1 user unknown"].label == "Email bounced"
    assert rows["5.1.1 user unknown"].who == "Bob Stone"
    assert [
        row.outcome for row in replies_view.list_reply_rows(db, show="opt_out")
    ] == ["unsubscribe"]


def test_contacts_sharing_a_number_get_one_row_and_one_count(
    db: sqlite_utils.Database,
) -> None:
    ids = _shop(db)
    twin = add_contact(db, 3, first_name="Cy", phone=phone_of(db, ids["ann"]))
    inbox = FakeInbox()
    inbox.add(phone_of(db, twin), "could you stop for a while", 1)
    inbox.add(phone_of(db, twin), "HELP", 2)
    _sync(db, inbox)

    rows = replies_view.list_reply_rows(db)
    waiting = replies_view.list_reply_rows(db, show="decide")

    assert [row.label for row in rows] == [
        "Asked for help",
        "May mean stop — needs your decision",
    ]
    assert rows[0].who == "Ann Lee, Cy Example"
    assert len(waiting) == 1
    assert len(waiting[0].review_ids) == 2  # sync flagged it for each contact
    assert replies_waiting(db) == 1

    history.decide_review(db, waiting[0].review_ids[0], opt_out=False)

    assert replies_view.list_reply_rows(db, show="decide")[0].review_ids == (
        waiting[0].review_ids[1],
    )
    history.decide_review(db, waiting[0].review_ids[1], opt_out=False)
    assert replies_view.list_reply_rows(db)[1].label == "Decided: not an opt-out"
    assert replies_waiting(db) == 0
