"""Sync with Twilio through the emulator: delivery status, replies, opt-outs."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.providers.base import Senders
from desktop_app.providers.outbox import OutboxEmail
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import sending, sync
from desktop_app.storage import consent, messages, settings
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
    twilio_fixture,
)
from tests.services.test_sending import add_contact, set_up_shop


def _shop(db: sqlite_utils.Database, count: int = 3) -> None:
    set_up_shop(db, contacts=0)
    for number in range(1, count + 1):
        add_contact(db, number, email=None)


def _send(db: sqlite_utils.Database, twilio: TwilioSms, data_dir: Path) -> int:
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan, provider_sms="twilio")
    senders = Senders(sms=twilio, email=OutboxEmail(data_dir))
    summary = sending.run_campaign(db, campaign_id, senders, sms_rate=0)
    assert summary.sent == len(
        [r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"]
    )
    return campaign_id


def _sms_rows(db: sqlite_utils.Database, campaign_id: int) -> list[messages.MessageRow]:
    return [
        r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"
    ]


def _events(db: sqlite_utils.Database, kind: str) -> list[dict[str, object]]:
    return list(db.query("SELECT * FROM events WHERE kind = ? ORDER BY id", [kind]))


def test_status_progression_reaches_the_messages(
    db: sqlite_utils.Database, twilio: TwilioSms, data_dir: Path
) -> None:
    _shop(db, 2)
    campaign_id = _send(db, twilio, data_dir)

    first = sync.sync_once(db, twilio)  # Twilio: queued -> sent
    states_after_first = {r.state for r in _sms_rows(db, campaign_id)}
    second = sync.sync_once(db, twilio)  # sent -> delivered
    third = sync.sync_once(db, twilio)  # nothing left to ask

    assert (first.checked, first.delivered) == (2, 0)
    assert states_after_first == {"sent"}
    assert (second.checked, second.delivered) == (2, 2)
    assert third.checked == 0
    rows = _sms_rows(db, campaign_id)
    assert {r.state for r in rows} == {"delivered"}
    assert all(r.cost == pytest.approx(0.0079) for r in rows)
    delivered_at = db.execute(
        "SELECT count(*) FROM messages WHERE delivered_at IS NOT NULL"
    ).fetchone()[0]
    assert delivered_at == 2


def test_undelivered_marks_the_message_failed_with_twilios_code(
    db: sqlite_utils.Database,
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
    data_dir: Path,
) -> None:
    _shop(db, 2)
    campaign_id = _send(db, twilio, data_dir)
    lost = _sms_rows(db, campaign_id)[0]
    resource = twilio_emulator.messages[lost.provider_id or ""]
    resource.update(status="undelivered", error_code=30003)

    report = sync.sync_once(db, twilio)

    assert report.undelivered == 1
    row = next(r for r in _sms_rows(db, campaign_id) if r.id == lost.id)
    assert (row.state, row.error_code) == ("failed", "30003")
    assert row.reason == "The carrier did not deliver this text (Twilio error 30003)."


def test_only_the_last_seven_days_are_polled(
    db: sqlite_utils.Database, twilio: TwilioSms, data_dir: Path
) -> None:
    _shop(db, 1)
    campaign_id = _send(db, twilio, data_dir)

    later = datetime.now(UTC) + timedelta(days=8)
    report = sync.sync_once(db, twilio, now=later)

    assert report.checked == 0
    assert {r.state for r in _sms_rows(db, campaign_id)} == {"sent"}


def test_stop_records_one_opt_out_even_when_synced_twice(
    db: sqlite_utils.Database,
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
    data_dir: Path,
) -> None:
    _shop(db, 2)
    campaign_id = _send(db, twilio, data_dir)
    sid = twilio_emulator.add_inbound("+15550100001", SENDER, "STOP")

    first = sync.sync_once(db, twilio)
    second = sync.sync_once(db, twilio)

    assert (first.replies, first.opt_outs) == (1, 1)
    assert (second.replies, second.opt_outs) == (0, 0)
    history = consent.consent_history(db, 1)
    assert [(h["status"], h["source"]) for h in history] == [("opted_out", "reply")]
    assert sid in str(history[0]["evidence"]) and "STOP" in str(history[0]["evidence"])
    assert consent.current_consent(db, 2, "sms") == "unknown"
    replies = _events(db, "reply")
    opt_outs = _events(db, "opt_out")
    assert len(replies) == 1 and len(opt_outs) == 1
    sent_to_first = _sms_rows(db, campaign_id)[0]
    assert opt_outs[0]["contact_id"] == 1
    assert opt_outs[0]["message_id"] == sent_to_first.id
    assert json.loads(str(replies[0]["data"]))["sid"] == sid


def test_start_re_subscribes_after_stop(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    _shop(db, 1)
    twilio_emulator.add_inbound("+15550100001", SENDER, "Stop")
    sync.sync_once(db, twilio)
    assert consent.current_consent(db, 1, "sms") == "opted_out"

    twilio_emulator.add_inbound("+15550100001", SENDER, "START")
    report = sync.sync_once(db, twilio)

    assert (report.replies, report.opt_ins) == (1, 1)
    assert consent.current_consent(db, 1, "sms") == "opted_in"
    assert len(_events(db, "opt_in")) == 1


def test_a_sentence_that_mentions_stop_is_flagged_not_an_opt_out(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    _shop(db, 1)
    twilio_emulator.add_inbound("+15550100001", SENDER, "don't stop the sale!")
    twilio_emulator.add_inbound("+15550100001", SENDER, "HELP")

    report = sync.sync_once(db, twilio)

    assert (report.replies, report.review, report.help, report.opt_outs) == (
        2, 1, 1, 0,
    )  # fmt: skip
    assert consent.consent_history(db, 1) == []
    review = _events(db, "review")
    assert [e["body"] for e in review] == ["don't stop the sale!"]
    assert [e["body"] for e in _events(db, "help")] == ["HELP"]


def test_a_stop_from_an_unknown_number_is_kept_for_the_number(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    _shop(db, 1)
    sid = twilio_emulator.add_inbound("+15550100099", SENDER, "STOP")

    report = sync.sync_once(db, twilio)
    sync.sync_once(db, twilio)

    assert (report.replies, report.unmatched, report.opt_outs) == (1, 1, 1)
    assert [e["contact_id"] for e in _events(db, "reply")] == [None]
    [row] = db.query("SELECT * FROM consent")
    assert (row["contact_id"], row["recipient"], row["channel"]) == (
        None, "+15550100099", "sms",
    )  # fmt: skip
    assert (row["status"], row["source"]) == ("opted_out", "reply")
    assert sid in row["evidence"] and '"STOP"' in row["evidence"]
    assert "no contact had this number" in row["evidence"]
    assert list(consent.deleted_opt_outs(db)["sms"]) == ["+15550100099"]


def test_other_replies_from_an_unknown_number_record_no_consent(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    _shop(db, 1)
    twilio_emulator.add_inbound("+15550100099", SENDER, "HELP")
    twilio_emulator.add_inbound("+15550100099", SENDER, "don't stop the sale!")
    twilio_emulator.add_inbound("+15550100099", SENDER, "Thanks")

    report = sync.sync_once(db, twilio)

    assert (report.replies, report.unmatched, report.opt_outs) == (3, 3, 0)
    assert db.execute("SELECT count(*) FROM consent").fetchone()[0] == 0


def test_the_last_sync_time_is_kept_out_of_the_settings(
    db: sqlite_utils.Database, twilio: TwilioSms
) -> None:
    _shop(db, 1)
    moment = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    sync.sync_once(db, twilio, now=moment)

    assert messages.get_internal(db, sync.LAST_INBOUND_KEY) == moment.isoformat()
    assert sync.LAST_INBOUND_KEY not in settings.get_settings(db)


def test_an_unreachable_twilio_is_reported_not_raised(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator
) -> None:
    _shop(db, 1)
    url = twilio_emulator.base_url
    twilio_emulator.stop()
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=url, timeout=1)

    report = sync.sync_once(db, sms)
    sms.close()

    assert len(report.errors) == 1 and "could not reach Twilio" in report.errors[0]
    assert messages.get_internal(db, sync.LAST_INBOUND_KEY) is None


def test_join_from_an_unknown_number_creates_a_consenting_contact(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    _shop(db, 1)
    twilio_emulator.add_inbound("+15550100098", SENDER, "JOIN")

    report = sync.sync_once(db, twilio)
    sync.sync_once(db, twilio)

    joined = db.execute(
        "SELECT id FROM contacts WHERE phone = '+15550100098'"
    ).fetchall()
    assert len(joined) == 1
    assert consent.current_consent(db, joined[0][0], "sms") == "opted_in"
    assert (report.replies, report.unmatched) == (1, 0)
    assert len(consent.consent_history(db, joined[0][0])) == 1
