"""An opt-out from a number or address no contact has is kept for it (issue 6).

A STOP from an unknown number, read by the sync through the Twilio emulator, and an
unsubscribe mail from an unknown address, read from a local IMAP server, are written
to the consent ledger without a contact. Every way a contact is later created with
that number or address (an import, a trigger event, a JOIN reply) starts opted out;
a JOIN is the customer's own new request and opts back in, with both rows kept.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.core.events import parse_event
from desktop_app.providers.base import Senders
from desktop_app.providers.outbox import OutboxEmail
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import (
    compliance,
    importing,
    replies_view,
    sending,
    sync,
    triggers,
)
from desktop_app.services import contacts as contact_service
from desktop_app.services.imap_poll import poll_mailbox
from desktop_app.storage import consent, messages
from tests.helpers.imap_server import ImapServer
from tests.helpers.twilio_emulator import (  # noqa: F401
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
    twilio_fixture,
)
from tests.services.test_sending import add_contact, set_up_shop

STRANGER = "+15550100177"
STRANGER_EMAIL = "stranger@example.com"
MAILBOX_USER = "shop@example.com"
MAILBOX_PASSWORD = "test-password"
# A Monday afternoon in New York, the shop's zone.
MONDAY = datetime(2027, 3, 8, 19, 0, tzinfo=UTC)


@pytest.fixture
def stopped(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> sqlite_utils.Database:
    """A shop without contacts that got "STOP" from STRANGER, synced."""
    set_up_shop(db, contacts=0)
    twilio_emulator.add_inbound(STRANGER, SENDER, "Stop.")
    sync.sync_once(db, twilio)
    return db


def _import(db: sqlite_utils.Database, tmp_path: Path) -> importing.ImportReport:
    path = tmp_path / "customers.csv"
    path.write_text(
        "First Name,Last Name,Email,Phone,Accepts SMS Marketing,"
        "Accepts Email Marketing\n"
        f"Late,Stopper,{STRANGER_EMAIL},{STRANGER},yes,yes\n",
        encoding="utf-8",
    )
    return importing.import_file(db, path, region="US")


def _only_contact(db: sqlite_utils.Database) -> int:
    [(contact_id,)] = db.execute("SELECT id FROM contacts").fetchall()
    return int(contact_id)


def _ledger(db: sqlite_utils.Database, contact_id: int, channel: str) -> list[tuple]:
    return [
        (row["status"], row["source"])
        for row in consent.consent_history(db, contact_id)
        if row["channel"] == channel
    ]


def test_an_import_never_undoes_a_strangers_stop(
    stopped: sqlite_utils.Database, tmp_path: Path
) -> None:
    report = _import(stopped, tmp_path)

    contact_id = _only_contact(stopped)
    assert consent.current_consent(stopped, contact_id, "sms") == "opted_out"
    assert _ledger(stopped, contact_id, "sms")[0] == ("opted_out", "suppression")
    assert any(
        w["message"].startswith(f"{STRANGER} opted out of SMS on ")
        and "before this contact was added" in w["message"]
        for w in report.warnings
    )
    plan = sending.plan_send(stopped, template_name="Receipt", everyone=True)
    [sms] = [m for m in plan.messages if m.channel == "sms"]
    assert sms.action == "skip" and "opted out" in (sms.reason or "")


def test_a_contact_from_a_trigger_event_starts_opted_out(
    stopped: sqlite_utils.Database, twilio: TwilioSms, data_dir: Path
) -> None:
    raw = {
        "kind": "purchase",
        "event_id": "order-7",
        "phone": STRANGER,
        "first_name": "Late",
        "sms_consent": True,
    }
    senders = Senders(sms=twilio, email=OutboxEmail(data_dir))

    result = triggers.handle_event(
        stopped, parse_event(raw, source="cli"), senders, now=MONDAY, send=False
    )

    assert result.contact_created
    contact_id = result.contact_id or 0
    assert consent.current_consent(stopped, contact_id, "sms") == "opted_out"
    assert _ledger(stopped, contact_id, "sms") == [("opted_out", "suppression")]
    assert "never undoes an opt-out" in result.detail


def test_a_join_after_the_stop_is_a_new_opt_in_with_both_rows_kept(
    stopped: sqlite_utils.Database,
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    twilio_emulator.add_inbound(STRANGER, SENDER, "JOIN")

    report = sync.sync_once(stopped, twilio)

    contact_id = _only_contact(stopped)
    assert (report.opt_ins, report.unmatched) == (1, 0)
    assert _ledger(stopped, contact_id, "sms") == [
        ("opted_out", "suppression"),
        ("opted_in", "reply"),
    ]
    joined = consent.consent_history(stopped, contact_id)[-1]["evidence"]
    assert "'JOIN'" in joined and "this number opted out on " in joined
    assert "asked to join again" in joined
    assert consent.current_consent(stopped, contact_id, "sms") == "opted_in"


def test_the_sla_report_shows_the_masked_number_in_effect_at_once(
    stopped: sqlite_utils.Database,
) -> None:
    report = compliance.opt_out_sla_report(stopped)

    [revocation] = report.revocations
    assert revocation.contact_id is None and revocation.recipient == "…77"
    assert revocation.effective_at is not None and revocation.business_days == 0
    assert report.pending == [] and report.late == []
    line = report.summary_text().splitlines()[1]
    assert line.startswith("number …77 (no contact) sms (reply): seen ")
    assert "None" not in line and "not yet" not in line
    assert report.to_json()["revocations"][0]["recipient"] == "…77"


def test_the_replies_row_says_the_opt_out_is_kept_for_the_number(
    stopped: sqlite_utils.Database, tmp_path: Path
) -> None:
    [before] = replies_view.list_reply_rows(stopped)
    _import(stopped, tmp_path)
    [after] = replies_view.list_reply_rows(stopped)

    assert before.label == "Opted out (STOP)"
    assert before.who == f"unknown number {STRANGER}"
    assert before.reading == replies_view.READING_KEPT_FOR_SENDER.format(what="number")
    # The contact the import created now has the number, and is opted out.
    assert (after.who, after.label) == ("Late Stopper", "Opted out (STOP)")
    assert after.contact_id == _only_contact(stopped)
    assert consent.current_consent(stopped, _only_contact(stopped), "sms") == (
        "opted_out"
    )


def test_an_unsubscribe_mail_from_a_stranger_is_kept_for_the_address(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    set_up_shop(db, contacts=0)
    mail = (
        f"From: Late Stopper <{STRANGER_EMAIL}>\r\nTo: {MAILBOX_USER}\r\n"
        "Subject: Unsubscribe\r\nMessage-ID: <u1@example.com>\r\n"
        "Date: Mon, 08 Mar 2027 19:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nPlease remove me.\r\n"
    ).encode()
    with ImapServer(
        user=MAILBOX_USER, password=MAILBOX_PASSWORD, messages=[mail]
    ) as server:
        polled = poll_mailbox(db, "127.0.0.1", server.port, MAILBOX_USER,
                              MAILBOX_PASSWORD, security="none", timeout=5)  # fmt: skip
        seen = server.seen()

    assert (polled.unmatched, seen) == (1, [True])
    [row] = replies_view.list_reply_rows(db)
    assert (row.label, row.who) == (
        "Unsubscribed by email",
        f"unknown address {STRANGER_EMAIL}",
    )
    [revocation] = compliance.opt_out_sla_report(db).revocations
    assert revocation.recipient == "s…@example.com"
    assert revocation.effective_at is not None

    _import(db, tmp_path)

    contact_id = _only_contact(db)
    assert consent.current_consent(db, contact_id, "email") == "opted_out"
    assert consent.current_consent(db, contact_id, "sms") == "opted_in"
    assert _ledger(db, contact_id, "email")[0] == ("opted_out", "suppression")


def test_a_stop_an_older_duet_did_not_keep_is_not_called_kept(
    db: sqlite_utils.Database,
) -> None:
    set_up_shop(db, contacts=0)
    data = {"sid": "SM1", "from": STRANGER, "matched": "STOP", "channel": "sms",
            "received_at": "2027-03-08T19:00:00+00:00"}  # fmt: skip
    for kind in ("reply", "opt_out"):
        messages.add_event(db, kind, contact_id=None, body="STOP", data=data)

    [row] = replies_view.list_reply_rows(db)
    report = compliance.opt_out_sla_report(db, now=MONDAY)

    assert row.reading == replies_view.READING_NOT_KEPT.format(what="number")
    [pending] = report.pending
    assert (pending.contact_id, pending.recipient) == (None, "…77")
    assert report.summary_text().splitlines()[1].startswith("number …77 (no contact)")


def test_a_contact_edited_to_the_stopped_number_is_opted_out(
    stopped: sqlite_utils.Database,
) -> None:
    ann = add_contact(stopped, 1)
    consent.set_consent_manually(
        stopped, ann, "sms", "opted_in", "signed the form at the counter"
    )

    contact_service.update_contact(stopped, ann, {"phones": [STRANGER]})

    assert consent.current_consent(stopped, ann, "sms") == "opted_out"
    newest = consent.consent_history(stopped, ann)[-1]
    assert newest["source"] == "suppression"
    assert "before this contact had it" in newest["evidence"]
    assert newest["recipient"] == STRANGER


def test_an_edit_that_keeps_the_number_adds_no_row(
    stopped: sqlite_utils.Database,
) -> None:
    ann = add_contact(stopped, 1)
    contact_service.update_contact(stopped, ann, {"phones": [STRANGER]})
    consent.set_consent_manually(
        stopped, ann, "sms", "opted_in", "asked again in the shop on 3 May"
    )
    rows = len(consent.consent_history(stopped, ann))

    contact_service.update_contact(stopped, ann, {"first_name": "Annie"})
    contact_service.update_contact(stopped, ann, {"phones": [STRANGER, "+15550100102"]})

    assert len(consent.consent_history(stopped, ann)) == rows
    assert consent.current_consent(stopped, ann, "sms") == "opted_in"


def test_an_import_that_adds_the_number_to_a_contact_keeps_the_stop(
    stopped: sqlite_utils.Database, tmp_path: Path
) -> None:
    ann = add_contact(
        stopped, 1, phone=None, phones="[]", email=STRANGER_EMAIL,
        email_key=STRANGER_EMAIL, emails=f'["{STRANGER_EMAIL}"]',
    )  # fmt: skip

    report = _import(stopped, tmp_path)

    assert _only_contact(stopped) == ann
    assert consent.current_consent(stopped, ann, "sms") == "opted_out"
    assert ("opted_in", "import") not in _ledger(stopped, ann, "sms")
    assert any(
        "before this contact had it; the opt-out is kept" in w["message"]
        for w in report.warnings
    )
