"""Trigger events: rules, contacts from events, consent, compliance, caps, once only."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.core import planning
from desktop_app.core.events import parse_event
from desktop_app.errors import ValidationError
from desktop_app.providers.base import OutgoingEmail, Senders, SendReceipt
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import triggers
from desktop_app.storage import automation, consent, messages, settings, templates

# 16:00 in New York on a weekday: inside quiet hours' allowed window.
DAYTIME = datetime(2027, 3, 10, 21, 0, tzinfo=UTC)
# 23:30 in New York: a marketing SMS must wait.
NIGHT = datetime(2027, 3, 11, 4, 30, tzinfo=UTC)


class RecordingSms:
    """An SMS provider at the boundary that keeps what it was given (a real one)."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_sms(self, to: str, body: str) -> SendReceipt:
        self.sent.append((to, body))
        return SendReceipt(provider=self.name, provider_id=f"SM{len(self.sent)}")

    def close(self) -> None:
        """Nothing to release."""


class RecordingEmail:
    """An email provider at the boundary that keeps what it was given."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []

    def send_email(self, email: OutgoingEmail) -> SendReceipt:
        self.sent.append(email)
        return SendReceipt(provider=self.name, provider_id=f"<{len(self.sent)}@x>")

    def close(self) -> None:
        """Nothing to release."""


def recording() -> Senders:
    return Senders(sms=RecordingSms(), email=RecordingEmail())  # type: ignore[arg-type]


def shop(db: sqlite_utils.Database) -> None:
    settings.set_setting(db, "shop.name", "Corner Shop")
    settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
    settings.set_setting(db, "shop.email", "shop@example.com")
    settings.set_setting(db, "shop.timezone", "America/New_York")


def purchase(**values: object) -> dict[str, object]:
    event: dict[str, object] = {
        "kind": "purchase",
        "event_id": "order-1042",
        "email": "ana@example.com",
        "phone": "+15550100101",
        "first_name": "Ana",
        "order_number": "1042",
        "total": "59.90",
    }
    event.update(values)
    return event


def handle(
    db: sqlite_utils.Database,
    senders: Senders,
    now: datetime = DAYTIME,
    **values: object,
) -> triggers.TriggerResult:
    event = parse_event(purchase(**values), source="cli")
    return triggers.handle_event(db, event, senders, now=now)


def test_purchase_sends_the_receipt_pair_with_event_fields(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    senders = recording()

    result = handle(db, senders)

    assert (result.status, result.sent, result.contact_created) == ("sent", 2, True)
    [(to, body)] = senders.sms.sent  # type: ignore[attr-defined]
    assert to == "+15550100101"
    assert body.startswith("Thanks for your order 1042, Ana!")
    [email] = senders.email.sent  # type: ignore[attr-defined]
    assert email.subject == "Your receipt for order 1042"
    assert "Total: 59.90" in email.text
    rows = db.execute(
        "SELECT channel, state, transactional FROM messages ORDER BY channel"
    ).fetchall()
    assert rows == [("email", "sent", 1), ("sms", "sent", 1)]
    campaign = messages.get_campaign(db, result.campaign_id or 0)
    assert campaign.audience["transactional"] is True
    assert campaign.audience["event_id"] == "order-1042"


def test_the_same_event_twice_sends_once(db: sqlite_utils.Database) -> None:
    shop(db)
    senders = recording()

    first = handle(db, senders)
    second = handle(db, senders, now=DAYTIME + timedelta(minutes=5))

    assert second.status == "duplicate"
    assert second.campaign_id == first.campaign_id
    assert len(senders.sms.sent) == 1  # type: ignore[attr-defined]
    assert db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 1
    outcomes = [row.outcome for row in automation.recent_activity(db, 10)]
    assert outcomes == ["duplicate", "sent"]


def test_same_id_from_another_source_is_another_event(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    senders = recording()

    handle(db, senders)
    other = handle(db, senders, source="webshop")

    assert other.status == "sent"
    assert len(senders.sms.sent) == 2  # type: ignore[attr-defined]


def test_event_matches_a_stored_contact_like_an_import(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    senders = recording()
    handle(db, senders, event_id="1", phone="", email="Ana@Example.COM")

    by_email = handle(db, senders, event_id="2", email="ana@example.com", phone="")
    by_phone = handle(
        db,
        senders,
        event_id="3",
        email="",
        phone="+15550100199",
        first_name="Bo",
    )
    same_phone = handle(
        db,
        senders,
        event_id="4",
        email="",
        phone="(555) 010-0199",
        first_name="Bo",
    )
    other_name = handle(
        db,
        senders,
        event_id="5",
        email="",
        phone="+15550100199",
        first_name="Cy",
    )

    assert not by_email.contact_created
    assert by_phone.contact_created
    assert (same_phone.contact_id, same_phone.contact_created) == (
        by_phone.contact_id,
        False,
    )
    assert other_name.contact_created  # same phone, another name: a household
    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 3


def test_match_fills_blanks_but_overwrites_nothing(db: sqlite_utils.Database) -> None:
    shop(db)
    senders = recording()
    first = handle(db, senders, event_id="1", phone="", first_name="")

    handle(db, senders, event_id="2", first_name="Ana", phone="+15550100101")
    handle(db, senders, event_id="3", first_name="Anna", phone="")

    row = db.execute(
        "SELECT first_name, phone FROM contacts WHERE id = ?", [first.contact_id]
    ).fetchone()
    assert row == ("Ana", "+15550100101")


def test_consent_is_recorded_only_when_the_event_says_so(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    senders = recording()

    silent = handle(db, senders, event_id="1")
    said = handle(
        db, senders, event_id="2", email="bo@example.com", phone="", sms_consent="yes"
    )

    assert consent.consent_history(db, silent.contact_id or 0) == []
    [row] = consent.consent_history(db, said.contact_id or 0)
    assert (row["channel"], row["status"], row["source"]) == (
        "sms",
        "opted_in",
        "event",
    )
    assert row["evidence"] == "cli event 2 (purchase): sms_consent=true"


def test_an_event_never_undoes_an_opt_out(db: sqlite_utils.Database) -> None:
    shop(db)
    senders = recording()
    first = handle(db, senders, event_id="1")
    consent.record_consent(
        db, first.contact_id or 0, "sms", "opted_out", source="reply"
    )

    again = handle(db, senders, event_id="2", sms_consent=True)

    assert consent.current_consent(db, first.contact_id or 0, "sms") == "opted_out"
    assert "never undoes an opt-out" in again.detail
    assert again.skipped == {"sms": planning.SMS_OPTED_OUT}
    assert len(senders.sms.sent) == 1  # type: ignore[attr-defined]


def test_marketing_rule_obeys_consent_and_quiet_hours(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    templates.save_template(
        db,
        name="Thanks",
        sms_body="Thanks {first_name}! 10% off your next visit: {code}",
        email_subject="A thank-you",
        email_body="Hello {first_name}, your code is {code}.",
        extra_fields=["code"],
    )
    automation.save_rule(db, kind="visit", template_name="Thanks", fields=["code"])
    senders = recording()
    event = {"kind": "visit", "email": "cy@example.com", "phone": "+15550100103"}

    no_consent = triggers.handle_event(
        db,
        parse_event({**event, "event_id": "v1", "code": "X1"}, source="cli"),
        senders,
        now=DAYTIME,
    )
    night = triggers.handle_event(
        db,
        parse_event(
            {**event, "event_id": "v2", "code": "X2", "sms_consent": True},
            source="cli",
        ),
        senders,
        now=NIGHT,
    )

    assert no_consent.skipped == {"sms": planning.NO_SMS_CONSENT}
    assert night.status == "held"
    [held] = [
        m
        for m in messages.campaign_messages(db, night.campaign_id or 0)
        if m.channel == "sms"
    ]
    assert (held.state, held.not_before) == ("queued", "2027-03-11T13:00:00+00:00")
    assert senders.sms.sent == []  # type: ignore[attr-defined]
    assert len(senders.email.sent) == 2  # type: ignore[attr-defined]


def test_transactional_receipt_goes_out_at_night(db: sqlite_utils.Database) -> None:
    shop(db)
    senders = recording()

    result = handle(db, senders, now=NIGHT)

    assert result.status == "sent"
    assert len(senders.sms.sent) == 1  # type: ignore[attr-defined]


def test_kind_without_rule_is_recorded_and_skipped_with_a_reason(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    senders = recording()

    result = handle(db, senders, kind="refund")

    assert result.status == "skipped"
    assert "no trigger rule for 'refund'" in result.detail
    assert senders.sms.sent == []  # type: ignore[attr-defined]
    [row] = automation.recent_activity(db, 1)
    assert (row.outcome, row.ref) == ("skipped", "refund order-1042")
    assert "rules set refund" in row.to_json()["detail"]


def test_a_rule_that_is_off_or_lost_its_template_skips(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    automation.ensure_builtin_rules(db)
    automation.save_rule(
        db,
        kind="purchase",
        template_name="Purchase receipt",
        fields=["order_number", "total"],
        enabled=False,
    )
    automation.save_rule(db, kind="ticket_opened", template_name="Gone")
    senders = recording()

    off = handle(db, senders, event_id="1")
    lost = handle(db, senders, event_id="2", kind="ticket_opened")

    assert (off.status, off.detail) == (
        "skipped",
        "the rule for 'purchase' is switched off",
    )
    assert lost.status == "skipped"
    assert "no template named 'Gone'" in lost.detail


def test_builtin_rules_are_seeded_once_and_stay_editable(
    db: sqlite_utils.Database,
) -> None:
    created = automation.ensure_builtin_rules(db)
    automation.remove_rule(db, "ticket_resolved")
    templates.save_template(
        db,
        name="Purchase receipt",
        sms_body="Order {order_number} is paid. Thanks!",
        email_subject="Receipt {order_number}",
        email_body="Total {total}",
        transactional=True,
    )

    again = automation.ensure_builtin_rules(db)

    assert created == [
        "purchase",
        "ticket_opened",
        "ticket_resolved",
        "appointment_reminder",
    ]
    assert again == []
    assert automation.get_rule(db, "ticket_resolved") is None
    receipt = templates.get_template(db, "Purchase receipt")
    assert receipt.sms_body.startswith("Order {order_number}")
    assert all(templates.get_template(db, r.template_name).transactional for r in
               automation.list_rules(db))  # fmt: skip


def test_event_fields_are_refused_in_templates_until_declared(
    db: sqlite_utils.Database,
) -> None:
    body = {"sms_body": "Order {order_number}", "email_subject": "x", "email_body": "y"}

    with pytest.raises(ValidationError, match="order_number"):
        templates.save_template(db, name="A", **body)
    templates.save_template(db, name="B", extra_fields=["order_number"], **body)
    automation.ensure_builtin_rules(db)
    templates.save_template(db, name="C", **body)

    assert [t.name for t in templates.list_templates(db)][:2] == [
        "Appointment reminder",
        "B",
    ]


def test_an_event_lacking_a_field_the_template_needs_is_skipped(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    senders = recording()

    result = handle(db, senders, total="", first_name="")

    assert result.status == "skipped"
    assert "no value for total" in result.detail
    assert senders.sms.sent == []  # type: ignore[attr-defined]
    assert senders.email.sent == []  # type: ignore[attr-defined]


def test_a_field_with_a_fallback_may_be_missing(db: sqlite_utils.Database) -> None:
    shop(db)
    senders = recording()

    result = handle(db, senders, first_name="")

    assert result.status == "sent"
    [(_, body)] = senders.sms.sent  # type: ignore[attr-defined]
    assert body.startswith("Thanks for your order 1042, there!")


def test_delayed_rule_waits_then_sends_once(db: sqlite_utils.Database) -> None:
    shop(db)
    automation.ensure_builtin_rules(db)
    automation.save_rule(
        db,
        kind="ticket_resolved",
        template_name="Support ticket resolved",
        fields=["ticket_id", "resolution"],
        delay_minutes=10,
    )
    senders = recording()
    event = parse_event(
        {"kind": "ticket_resolved", "id": "T-7", "email": "dee@example.com",
         "ticket_id": "T-7"},
        source="http",
    )  # fmt: skip

    waiting = triggers.handle_event(db, event, senders, now=DAYTIME)
    early = triggers.send_pending(db, senders, now=DAYTIME + timedelta(minutes=5))
    due = triggers.send_pending(db, senders, now=DAYTIME + timedelta(minutes=11))
    later = triggers.send_pending(db, senders, now=DAYTIME + timedelta(minutes=20))

    assert (waiting.status, waiting.due_at) == ("waiting", "2027-03-10T21:10:00+00:00")
    assert early == []
    assert [r.status for r in due] == ["sent"]
    assert later == []
    [email] = senders.email.sent  # type: ignore[attr-defined]
    assert email.subject == "Your request T-7 is resolved"


def test_queued_without_sending_is_sent_by_send_pending(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    shop(db)
    senders = outbox_senders(data_dir)
    event = parse_event(purchase(), source="http")

    queued = triggers.handle_event(db, event, senders, now=DAYTIME, send=False)
    assert queued.status == "queued"
    assert not (data_dir / "outbox").exists()

    sent = triggers.send_pending(db, senders, now=DAYTIME)

    assert [r.status for r in sent] == ["sent"]
    assert len(list((data_dir / "outbox" / "sms").iterdir())) == 1


def test_daily_cap_pauses_with_messages_queued(db: sqlite_utils.Database) -> None:
    shop(db)
    settings.set_setting(db, "sms.price_per_segment", "0.05")
    automation.set_spending_caps(db, daily=0.08, monthly=10)
    senders = recording()

    now = datetime.now(UTC)  # the cap counts what was sent today, by the real clock

    first = handle(db, senders, now, event_id="1")
    second = handle(db, senders, now, event_id="2", email="bo@example.com",
                    phone="+15550100102")  # fmt: skip

    assert first.status == "sent"
    assert second.status == "paused"
    assert "over the daily cap of $0.08" in second.detail
    assert len(senders.sms.sent) == 1  # type: ignore[attr-defined]
    states = {
        m.channel: m.state
        for m in messages.campaign_messages(db, second.campaign_id or 0)
    }
    assert states == {"sms": "queued", "email": "queued"}
    assert messages.get_campaign(db, second.campaign_id or 0).state == "paused"
    assert automation.recent_activity(db, 2)[1].kind == "cap"


def test_monthly_cap_counts_what_was_sent_this_month(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    settings.set_setting(db, "sms.price_per_segment", "0.05")
    now = datetime.now(UTC)
    handle(db, recording(), now, event_id="1")  # one segment sent: $0.05
    automation.set_spending_caps(db, monthly=0.12)

    assert triggers.cap_problem(db, 0.05, now) is None
    problem = triggers.cap_problem(db, 0.10, now)

    assert problem is not None
    assert "this month's SMS cost to $0.15, over the monthly cap of $0.12" in problem
    assert automation.set_spending_caps(db, monthly=0) == (None, None)
    assert triggers.cap_problem(db, 100.0, now) is None


def test_event_with_unusable_contact_is_refused_before_recording(
    db: sqlite_utils.Database,
) -> None:
    shop(db)
    event = parse_event(purchase(email="", phone="12"), source="cli")

    with pytest.raises(ValidationError, match="email/phone"):
        triggers.handle_event(db, event, recording(), now=DAYTIME)

    assert db.execute("SELECT count(*) FROM trigger_events").fetchone()[0] == 0


def test_activity_rows_are_json(db: sqlite_utils.Database) -> None:
    shop(db)
    handle(db, recording())

    [row] = automation.recent_activity(db, 5)

    data = row.to_json()
    assert json.loads(json.dumps(data)) == data
    assert (data["kind"], data["source"], data["outcome"]) == ("event", "cli", "sent")


# --- the event shape (core.events), as every way in reads it ----------------------


def test_parse_event_reads_aliases_fields_and_consent() -> None:
    event = parse_event(
        {
            "Event": "Ticket-Opened",
            "id": " T-9 ",
            "Email": "dee@example.com",
            "name": "Dee Example",
            "SMS_Consent": "Yes",
            "email_consent": False,
            "fields": {"ticket_id": "T-9"},
            "subject": "Broken zip",
            "empty": "",
        },
        source="http",
    )

    assert (event.kind, event.event_id, event.source) == (
        "ticket_opened",
        "T-9",
        "http",
    )
    assert (event.full_name, event.sms_consent, event.email_consent) == (
        "Dee Example",
        True,
        False,
    )
    assert event.fields == {"ticket_id": "T-9", "subject": "Broken zip"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"email": "a@example.com"}, "kind: the event does not say"),
        ({"kind": "purchase"}, "email/phone"),
        ({"kind": "pur chase!", "email": "a@example.com"}, "Event kind"),
        ({"kind": "purchase", "email": "a@example.com", "sms_consent": "maybe"},
         "sms_consent: 'maybe' is not yes or no"),
        ({"kind": "purchase", "email": "a@example.com", "bad-name": "1"},
         "Field 'bad-name'"),
        ({"kind": "purchase", "email": "a@example.com", "note": "x" * 501},
         "Field 'note': 501 characters"),
        ({"kind": "purchase", "email": "a@example.com", "total": [1]},
         "expected text or a number"),
    ],
)  # fmt: skip
def test_parse_event_names_what_is_wrong(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        parse_event(raw, source="cli")


def test_events_without_id_get_a_stable_one_from_their_content() -> None:
    raw = {"kind": "purchase", "email": "a@example.com", "order_number": "1"}

    first = parse_event(raw, source="folder")
    same = parse_event(dict(reversed(list(raw.items()))), source="folder")
    other = parse_event({**raw, "order_number": "2"}, source="folder")

    assert first.event_id == same.event_id
    assert first.event_id != other.event_id
    assert not first.id_given


def test_held_event_goes_out_when_quiet_hours_end(db: sqlite_utils.Database) -> None:
    shop(db)
    templates.save_template(
        db,
        name="Thanks",
        sms_body="Thanks {first_name}, see you soon!",
        email_subject="Thanks",
        email_body="Hello {first_name}.",
    )
    automation.save_rule(db, kind="visit", template_name="Thanks")
    senders = recording()
    event = parse_event(
        {"kind": "visit", "id": "v1", "phone": "+15550100103", "sms_consent": True},
        source="cli",
    )

    held = triggers.handle_event(db, event, senders, now=NIGHT)
    still_night = triggers.send_pending(db, senders, now=NIGHT + timedelta(hours=1))

    assert held.status == "held"
    assert still_night == []
    assert senders.sms.sent == []  # type: ignore[attr-defined]
