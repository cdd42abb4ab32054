"""What the opt-out report, the consent export and the mailbox check say (issue 6).

Tester 2, items 8, 9 and 11: the report names the contact that has a stranger's
number now and calls an owner's decision on a flagged reply what it was; the export
tells a stranger's opt-out from a deleted contact's; a second mailbox check does not
call the mails it read before new.
"""

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import compliance, history, sync
from desktop_app.services import contacts as contact_service
from desktop_app.services.imap_poll import poll_mailbox
from desktop_app.storage import consent
from desktop_app.storage.database import utc_now
from tests.helpers.imap_server import ImapServer
from tests.helpers.twilio_emulator import (  # noqa: F401
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
    twilio_fixture,
)
from tests.services.test_sending import add_contact, set_up_shop

STRANGER = "+15550100198"
USER = "shop@example.com"
PASSWORD = "test-password"


def _mail(sender: str, subject: str, body: str, message_id: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Sat, 07 Mar 2026 15:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def _poll(db: sqlite_utils.Database, server: ImapServer):
    return poll_mailbox(db, "127.0.0.1", server.port, USER, PASSWORD,
                        security="none", timeout=5)  # fmt: skip


def _exported(db: sqlite_utils.Database, tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "ledger.csv"
    consent.export_ledger_csv(db, path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_report_names_the_contact_that_has_a_strangers_number_now(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    set_up_shop(db, contacts=0)
    twilio_emulator.add_inbound(STRANGER, SENDER, "STOP")
    sync.sync_once(db, twilio)
    first = compliance.opt_out_sla_report(db)
    assert first.revocations[0].who == "number …98 (no contact)"

    contact_id = add_contact(db, 13, phone=STRANGER, first_name="Late")

    [revocation] = compliance.opt_out_sla_report(db).revocations
    assert revocation.who == f"number …98 (no contact then; now contact {contact_id})"
    assert revocation.to_json()["now_contact_ids"] == [contact_id]
    assert not revocation.deleted_contact


def test_a_deleted_contacts_opt_out_says_so(
    db: sqlite_utils.Database,
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
    tmp_path: Path,
) -> None:
    set_up_shop(db, contacts=0)
    gone = add_contact(db, 41, first_name="Gone")
    twilio_emulator.add_inbound("+15550100041", SENDER, "STOP")
    twilio_emulator.add_inbound(STRANGER, SENDER, "STOP")
    sync.sync_once(db, twilio)
    contact_service.delete_contacts(db, [gone])

    report = compliance.opt_out_sla_report(db)

    assert [r.who for r in report.revocations] == [
        "number …41 (deleted contact)",
        "number …98 (no contact)",
    ]
    names = {row["recipient"]: row["contact_name"] for row in _exported(db, tmp_path)}
    assert names == {
        "'+15550100041": "(deleted contact)",
        f"'{STRANGER}": "(no contact: a number no contact had)",
    }


def test_the_export_tells_a_strangers_unsubscribe_mail_from_a_deleted_contacts(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    set_up_shop(db, contacts=0)
    gone = add_contact(db, 42, first_name="Gone", email="gone@example.com",
                       email_key="gone@example.com")  # fmt: skip
    mails = [
        _mail("gone@example.com", "unsubscribe", "", "m1@x"),
        _mail("stranger@example.com", "unsubscribe", "", "m2@x"),
    ]
    with ImapServer(user=USER, password=PASSWORD, messages=mails) as server:
        _poll(db, server)
    # A stranger's row as the mailbox check wrote it before the evidence ended
    # with "(no contact had this address)" (the ledger is append-only).
    db["consent"].insert(
        {"contact_id": None, "channel": "email", "status": "opted_out",
         "source": "email", "recipient": "older@example.com", "created_at": utc_now(),
         "evidence": "unsubscribe mail from older@example.com received "
         "2026-03-01T10:00:00+00:00, subject 'contact found by me', Message-ID "
         "<m0@x>; no contact has this address; subject read as an opt-out: ..."}
    )  # fmt: skip
    contact_service.delete_contacts(db, [gone])

    names = {row["recipient"]: row["contact_name"] for row in _exported(db, tmp_path)}

    assert names == {
        "gone@example.com": "(deleted contact)",
        "stranger@example.com": "(no contact: an address no contact had)",
        "older@example.com": "(no contact: an address no contact had)",
    }


def test_a_decided_reply_is_named_as_the_owners_decision(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    set_up_shop(db, contacts=0)
    texter = add_contact(db, 51, first_name="Texter")
    mailer = add_contact(db, 52, first_name="Mailer")
    consent.record_consent(db, mailer, "email", "opted_in", source="manual")
    twilio_emulator.add_inbound("+15550100051", SENDER, "don't stop the sale!")
    sync.sync_once(db, twilio)
    db["events"].insert(
        {"kind": "review", "contact_id": mailer, "body": "can you stop these",
         "created_at": utc_now(),
         "data": json.dumps({"channel": "email", "from": "test52@example.com",
                             "received_at": utc_now()})}
    )  # fmt: skip
    for review in compliance.reviews(db):
        history.decide_review(db, review.id, opt_out=True, note="asked by phone")
    consent.set_consent_manually(db, texter, "email", "opted_out", "")

    report = compliance.opt_out_sla_report(db, now=datetime.now(UTC))

    hows = sorted((r.contact_id, r.channel, r.how) for r in report.revocations)
    assert hows == [
        (texter, "email", "manual"),
        (texter, "sms", "your decision on a flagged reply"),
        (mailer, "email", "your decision on a flagged reply"),
    ]
    assert f"contact {mailer} email (your decision on a flagged reply): seen" in (
        report.summary_text()
    )
    assert all(r.source == "manual" for r in report.revocations)


def test_a_second_mailbox_check_counts_only_new_mails(
    db: sqlite_utils.Database,
) -> None:
    set_up_shop(db, contacts=0)
    kept_unread = [
        _mail("friend@example.com", "Opening hours?", "Open on Sunday?", "q1@x"),
        _mail("other@example.com", "Lunch", "Lunch on Friday?", "q2@x"),
    ]
    with ImapServer(user=USER, password=PASSWORD, messages=kept_unread) as server:
        first = _poll(db, server)
        second = _poll(db, server)
        server.add(_mail("third@example.com", "Hello", "A question", "q3@x"))
        third = _poll(db, server)

    assert first.summary_text().startswith("2 new mails: ")
    assert (second.checked, second.read_before) == (2, 2)
    assert second.summary_text().startswith(
        "0 new mails (2 seen by an earlier check): "
    )
    assert third.summary_text().startswith("1 new mail (2 seen by an earlier check): ")
