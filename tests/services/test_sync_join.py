"""Sync and the counter sign: the sign's own keyword, short-code senders."""

import logging

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import compliance, sync
from desktop_app.storage import consent, settings
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
    twilio_fixture,
)
from tests.services.test_sending import add_contact, set_up_shop


def _contact_ids_with_phone(db: sqlite_utils.Database, phone: str) -> list[int]:
    rows = db.execute("SELECT id FROM contacts WHERE phone = ?", [phone]).fetchall()
    return [int(row[0]) for row in rows]


def test_a_sign_keyword_reply_creates_the_contact(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    set_up_shop(db, contacts=0)
    compliance.remember_join_keyword(db, "deals")
    twilio_emulator.add_inbound("+15550100097", SENDER, "Deals!")
    twilio_emulator.add_inbound("+15550100096", SENDER, "VIP")

    report = sync.sync_once(db, twilio)

    [joined] = _contact_ids_with_phone(db, "+15550100097")
    assert consent.current_consent(db, joined, "sms") == "opted_in"
    assert "Deals!" in consent.consent_history(db, joined)[-1]["evidence"]
    assert _contact_ids_with_phone(db, "+15550100096") == []
    assert (report.replies, report.opt_ins, report.unmatched) == (2, 1, 1)


def test_a_sign_keyword_from_a_known_contact_opts_in(
    db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    set_up_shop(db, contacts=0)
    contact_id = add_contact(db, 1, email=None)
    compliance.remember_join_keyword(db, "DEALS")
    twilio_emulator.add_inbound("+15550100001", SENDER, "DEALS")

    report = sync.sync_once(db, twilio)

    assert report.opt_ins == 1
    assert consent.current_consent(db, contact_id, "sms") == "opted_in"


def test_a_short_code_sender_is_skipped_and_the_batch_goes_on(
    db: sqlite_utils.Database,
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    set_up_shop(db, contacts=0)
    contact_id = add_contact(db, 1, email=None)
    consent.record_consent(db, contact_id, "sms", "opted_in", source="manual")
    twilio_emulator.add_inbound("72975", SENDER, "JOIN")
    twilio_emulator.add_inbound("CornerShop", SENDER, "JOIN")
    twilio_emulator.add_inbound("+15550100001", SENDER, "STOP")

    with caplog.at_level(logging.DEBUG, logger="desktop_app.services.sync"):
        report = sync.sync_once(db, twilio)

    assert report.errors == []
    assert (report.skipped, report.replies, report.opt_outs) == (2, 1, 1)
    assert report.to_json()["skipped"] == 2
    assert consent.current_consent(db, contact_id, "sms") == "opted_out"
    assert db["contacts"].count == 1
    skipped = [r for r in caplog.records if "not a phone number" in r.getMessage()]
    assert len(skipped) == 2 and all(r.levelno == logging.DEBUG for r in skipped)
    assert all("72975" not in r.getMessage() for r in caplog.records)


def test_a_join_from_a_bad_number_never_calls_it_the_shop_number(
    db: sqlite_utils.Database,
) -> None:
    with pytest.raises(ValidationError) as raised:
        compliance.handle_join_reply(db, "72975", "JOIN", "SM1", "2026-03-07T15:00:00")

    assert "Shop number" not in raised.value.message
    assert "'72975' is not a phone number" in raised.value.message


def test_join_keywords_are_kept_once_each_in_upper_case(
    db: sqlite_utils.Database,
) -> None:
    assert compliance.join_keywords(db) == []

    compliance.remember_join_keyword(db, "deals")
    compliance.remember_join_keyword(db, "VIP10")
    kept = compliance.remember_join_keyword(db, " Deals ")

    assert kept == ["DEALS", "VIP10"] == compliance.join_keywords(db)
    assert db["settings"].get(compliance.JOIN_KEYWORDS_KEY)["value"] == (
        '["DEALS", "VIP10"]'
    )


@pytest.mark.parametrize("keyword", ["STOP", "unsub", "HELP", "END", "cancel"])
def test_a_keyword_that_means_stop_or_help_is_refused(
    db: sqlite_utils.Database, keyword: str
) -> None:
    with pytest.raises(ValidationError, match="already means opt-out or help"):
        compliance.remember_join_keyword(db, keyword)
    assert compliance.join_keywords(db) == []


@pytest.mark.parametrize("keyword", ["YES", "ok", "Thanks", "123", "hi"])
def test_an_everyday_reply_word_is_refused_as_a_keyword(
    db: sqlite_utils.Database, keyword: str
) -> None:
    with pytest.raises(ValidationError, match="everyday replies"):
        compliance.remember_join_keyword(db, keyword)
    assert compliance.join_keywords(db) == []
    assert compliance.remember_join_keyword(db, "deals") == ["DEALS"]


def test_sign_number_reads_national_forms_in_the_shop_region(
    db: sqlite_utils.Database,
) -> None:
    assert compliance.sign_number(db, "(212) 555-0100") == "+12125550100"
    settings.set_setting(db, "phones.default_region", "GB")
    assert compliance.sign_number(db, "020 7946 0000") == "+442079460000"
    with pytest.raises(ValidationError, match="Shop number: '72975'"):
        compliance.sign_number(db, "72975")
