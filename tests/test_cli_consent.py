"""The command line for consent reviews and the counter sign (issue 6)."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app import cli, paths
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import compliance, sync
from desktop_app.storage import consent, settings
from desktop_app.storage.database import open_database, utc_now
from tests.helpers.memory_keyring import memory_keyring_fixture  # noqa: F401
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
)

PHONES = ("+15550100101", "+15550100102")
REVIEW_KEYS = {"id", "contact_id", "contact", "channel", "sender", "text",
               "received_at", "evidence", "decision", "about_channel"}  # fmt: skip


@pytest.fixture
def shop_db(data_dir: Path) -> Iterator[sqlite_utils.Database]:
    """The data folder's database with two customers opted in to SMS."""
    db = open_database(paths.database_path(data_dir))
    settings.set_setting(db, "shop.name", "Corner Shop")
    for number, phone in enumerate(PHONES, start=1):
        db["contacts"].insert(
            {"first_name": f"Client{number}", "last_name": "Example", "phone": phone,
             "phone_kind": "mobile", "email": f"client{number}@example.com",
             "email_key": f"client{number}@example.com", "tags": "[]",
             "created_at": utc_now(), "updated_at": utc_now()}
        )  # fmt: skip
        consent.record_consent(db, number, "sms", "opted_in", source="manual")
    yield db
    db.close()


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> Callable[..., tuple[int, str, str]]:
    """Run one command against the test data folder: (status, out, err)."""

    def call(*args: str) -> tuple[int, str, str]:
        status = cli.run(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return status, out, err

    return call


def _flag_two_replies(db: sqlite_utils.Database, emulator: TwilioEmulator) -> None:
    emulator.add_inbound(PHONES[0], SENDER, "don't stop the sale!")
    emulator.add_inbound(PHONES[1], SENDER, "i want out")
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=emulator.base_url)
    try:
        report = sync.sync_once(db, sms)
    finally:
        sms.close()
    assert report.review == 2


def test_review_lists_flagged_replies_as_json(
    shop_db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, run
) -> None:
    _flag_two_replies(shop_db, twilio_emulator)

    status, out, _ = run("consent", "review", "--json")

    listed = json.loads(out)
    assert status == 0 and len(listed) == 2
    assert all(set(item) == REVIEW_KEYS for item in listed)
    newest = listed[0]
    assert (newest["contact_id"], newest["channel"], newest["text"]) == (
        2, "sms", "i want out",
    )  # fmt: skip
    assert newest["contact"] == "Client2 Example"
    assert newest["sender"] == PHONES[1] and newest["decision"] is None
    assert newest["received_at"].endswith("+00:00")
    assert "without naming the texts" in newest["evidence"]


def test_decide_keep_and_opt_out_use_the_activity_decision(
    shop_db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, run
) -> None:
    _flag_two_replies(shop_db, twilio_emulator)
    first, second = (r.id for r in reversed(compliance.reviews(shop_db)))

    kept = run("consent", "decide", str(first), "keep", "--note", "likes the sale")
    out_status, out_text, _ = run("consent", "decide", str(second), "opt-out")

    assert kept[0] == 0 and "kept; no opt-out recorded" in kept[1]
    assert out_status == 0 and "recorded as an opt-out" in out_text
    assert consent.current_consent(shop_db, 1, "sms") == "opted_in"
    assert consent.current_consent(shop_db, 2, "sms") == "opted_out"

    status, out, _ = run("consent", "review")
    assert status == 0 and "No replies or mails are waiting" in out
    status, out, _ = run("consent", "review", "--all", "--json")
    decisions = {item["id"]: item["decision"] for item in json.loads(out)}
    assert decisions == {first: "not_opt_out", second: "opt_out"}
    status, out, _ = run("consent", "review", "--all")
    assert status == 0 and len(out.splitlines()) == 3
    assert "Decide one with" not in out
    assert out.splitlines()[-1] == (
        "All of these are decided; none is waiting for your decision."
    )


def test_review_text_lists_one_line_each(
    shop_db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, run
) -> None:
    _flag_two_replies(shop_db, twilio_emulator)

    status, out, _ = run("consent", "review")

    lines = out.splitlines()
    assert status == 0 and len(lines) == 3
    assert "sms" in lines[0] and "Client2 Example (contact 2)" in lines[0]
    assert '"i want out"' in lines[0]
    assert lines[2].startswith("Decide one with: consent decide ID")


def test_deciding_an_unknown_review_fails_plainly(shop_db, run) -> None:
    status, _, err = run("consent", "decide", "999", "opt-out")

    assert status == 1 and "There is no reply to review with number 999" in err


@pytest.mark.usefixtures("memory_keyring")
def test_sign_accepts_a_national_number_and_keeps_its_keyword(
    shop_db: sqlite_utils.Database, run, tmp_path: Path
) -> None:
    sign = tmp_path / "deals.png"

    status, out, err = run(
        "sign", "--out", str(sign), "--number", "(212) 555-0100", "--keyword", "deals"
    )

    assert status == 0, err
    assert sign.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Saved the DEALS sign" in out and "+12125550100" in out
    assert "once Twilio is set up (credentials set twilio)" in out  # test mode
    assert compliance.join_keywords(shop_db) == ["DEALS"]
    joined = compliance.handle_join_reply(
        shop_db, "+15550100177", "DEALS", "SM-test-1", "2026-03-07T15:00:00+00:00"
    )
    assert joined is not None and joined.created


@pytest.mark.usefixtures("memory_keyring")
@pytest.mark.parametrize(
    ("number", "warning"),
    [
        ("+15550100100", "+1 555-010-0100 does not look like a number in use"),
        ("(212) 555-0100", "+1 212-555-0100 is a made-up number (555-0100 to"),
        ("+33 1 23 45 67 89", "+33 1 23 45 67 89 is a landline number; a landline"),
    ],
)
def test_sign_warns_about_a_doubtful_number_and_still_makes_it(
    shop_db: sqlite_utils.Database, run, tmp_path: Path, number: str, warning: str
) -> None:
    sign = tmp_path / "s.png"

    status, out, err = run("sign", "--out", str(sign), "--number", number)

    assert status == 0 and sign.is_file()
    assert "Saved the JOIN sign" in out
    (line,) = err.splitlines()
    assert line.startswith(f"duet: warning: {warning}")


@pytest.mark.usefixtures("memory_keyring", "shop_db")
def test_sign_gives_no_warning_for_a_mobile_number(run, tmp_path: Path) -> None:
    status, _, err = run(
        "sign", "--out", str(tmp_path / "s.png"), "--number", "+33 6 12 34 56 78"
    )

    assert status == 0 and err == ""


@pytest.mark.usefixtures("memory_keyring")
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "give the shop's SMS number with --number"),
        (("--number", "72975"), "Shop number: '72975' is not a phone number"),
        (
            ("--number", "+12125550100x12"),
            "Shop number: '+12125550100x12' has an extension (ext. 12); a text "
            "cannot reach an extension",
        ),
        (("--number", "+15550100100", "--keyword", "STOP"), "already means opt-out"),
    ],
)
def test_sign_refuses_what_it_cannot_print(
    shop_db: sqlite_utils.Database, run, tmp_path: Path, extra, message
) -> None:
    status, _, err = run("sign", "--out", str(tmp_path / "s.png"), *extra)

    assert status == 1 and message in err
    assert compliance.join_keywords(shop_db) == []
    assert not (tmp_path / "s.png").exists()


def test_a_mail_flagged_for_review_is_decided_as_an_email_unsubscribe(
    shop_db: sqlite_utils.Database, run
) -> None:
    from desktop_app.services.imap_poll import poll_mailbox
    from tests.helpers.imap_server import ImapServer

    mail = (
        b"From: client1@example.com\r\nTo: shop@example.com\r\n"
        b"Subject: Re: Sale - I did not unsubscribe, why no emails?\r\n"
        b"Message-ID: <cli1@x>\r\nDate: Sat, 07 Mar 2026 15:00:00 +0000\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nPlease fix this.\r\n"
    )
    with ImapServer(user="shop", password="pw", messages=[mail]) as server:
        poll_mailbox(shop_db, "127.0.0.1", server.port, "shop", "pw",
                     security="none", timeout=5)  # fmt: skip

    status, out, _ = run("consent", "review", "--json")
    [flagged] = json.loads(out)
    assert (flagged["channel"], flagged["sender"]) == ("email", "client1@example.com")
    assert flagged["received_at"] == "2026-03-07T15:00:00+00:00"

    status, out, _ = run("consent", "decide", str(flagged["id"]), "opt-out")
    assert status == 0 and "no more emails" in out
    assert consent.current_consent(shop_db, 1, "email") == "opted_out"
    assert consent.current_consent(shop_db, 1, "sms") == "opted_in"
    assert compliance.reviews(shop_db) == []


def _ledger_size(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM consent").fetchone()[0])


def test_set_to_the_current_status_records_nothing(shop_db, run) -> None:
    before = _ledger_size(shop_db)

    status, out, err = run("consent", "set", "1", "sms", "opted_in")

    assert (status, err) == (0, "")
    assert out == "Contact 1: sms already opted in; nothing recorded.\n"
    assert _ledger_size(shop_db) == before


def test_an_opt_in_needs_a_note_and_an_opt_out_does_not(shop_db, run) -> None:
    before = _ledger_size(shop_db)

    refused = run("consent", "set", "1", "email", "opted_in")
    blank = run("consent", "set", "1", "email", "opted_in", "--note", "  ")
    noted = run("consent", "set", "1", "email", "opted_in", "--note",
                "signed the form at the counter on 3 May")  # fmt: skip
    opted_out = run("consent", "set", "2", "sms", "opted_out")

    for status, out, err in (refused, blank):
        assert (status, out) == (1, "")
        assert err.count("\n") == 1 and "--note" in err
        assert "agreed to email" in err
    assert noted[0] == 0 and noted[1] == "Contact 1: email is now opted_in.\n"
    assert opted_out[0] == 0 and opted_out[1] == "Contact 2: sms is now opted_out.\n"
    assert _ledger_size(shop_db) == before + 2
    last = consent.consent_history(shop_db, 1)[-1]
    assert last["evidence"] == (
        "manual change from unknown to opted_in: signed the form at the counter on "
        "3 May"
    )
