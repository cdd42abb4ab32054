"""Consent rules: who may be sent what, opt-out wording, tokens, business days."""

from datetime import UTC, date, datetime, timedelta

import pytest

from desktop_app.core import consent_rules
from desktop_app.core.consent_rules import (
    business_days_between,
    email_consent,
    has_stop_wording,
    needs_stop_notice,
    parse_unsubscribe_token,
    sms_consent,
    unsubscribe_token,
    with_stop_notice,
)

SECRET = "test-secret-not-real"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reply STOP to opt out", True),
        ("Sale today. reply stop to unsubscribe.", True),
        ("Text STOP to quit", True),
        ("Txt 'STOP' to end", True),
        ("STOP to opt-out", True),
        ("Msg&data rates may apply. Reply “STOP” to cancel", True),
        ("Don't stop the sale!", False),
        ("Reply STOPPING to opt out", False),
        ("Bus stop at Main St", False),
        ("", False),
    ],
)
def test_stop_wording(text: str, expected: bool) -> None:
    assert has_stop_wording(text) is expected


def test_stop_notice_is_due_after_30_days() -> None:
    now = datetime(2026, 3, 7, 12, tzinfo=UTC)
    assert needs_stop_notice(None, now)
    assert not needs_stop_notice(now - timedelta(days=29, hours=23), now)
    assert needs_stop_notice(now - timedelta(days=30), now)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Your order shipped", "Your order shipped. Reply STOP to opt out."),
        ("Your order shipped!  ", "Your order shipped! Reply STOP to opt out."),
        ("Bis bald :)", "Bis bald :) Reply STOP to opt out."),
    ],
)
def test_with_stop_notice(body: str, expected: str) -> None:
    assert with_stop_notice(body) == expected


def test_consent_decisions_in_words() -> None:
    assert sms_consent("opted_out", transactional=True, test_mode=True).reason == (
        "opted out of SMS"
    )
    assert sms_consent("unknown", transactional=False, test_mode=False).reason == (
        "no SMS marketing consent"
    )
    assert sms_consent("unknown", transactional=False, test_mode=True).note == (
        consent_rules.TEST_MODE_NOTE
    )
    assert email_consent("opted_out", transactional=True).reason == (
        "unsubscribed from email"
    )
    assert email_consent("unknown", transactional=True).note is None
    assert email_consent("opted_in", transactional=False).note is None


def test_unsubscribe_token_round_trip() -> None:
    token = unsubscribe_token(42, SECRET)

    assert token.startswith("u42-")
    assert token.replace("-", "").replace("_", "").isalnum()
    assert parse_unsubscribe_token(token, SECRET) == 42
    assert parse_unsubscribe_token(f"shop+{token}@example.com", SECRET) == 42
    assert parse_unsubscribe_token(f"unsubscribe {token}", SECRET) == 42


def test_unsubscribe_token_refuses_forgeries() -> None:
    token = unsubscribe_token(42, SECRET)
    forged = "u43-" + token.split("-", 1)[1]

    assert parse_unsubscribe_token(forged, SECRET) is None
    assert parse_unsubscribe_token(token, "another-secret") is None
    assert parse_unsubscribe_token(token, "") is None
    assert parse_unsubscribe_token("unsubscribe me", SECRET) is None
    assert unsubscribe_token(7, SECRET) != unsubscribe_token(7, "another-secret")
    with pytest.raises(ValueError, match="empty"):
        unsubscribe_token(1, "")
    with pytest.raises(ValueError, match="positive"):
        unsubscribe_token(0, SECRET)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 3, 2), date(2026, 3, 2), 0),  # Monday, same day
        (date(2026, 3, 2), date(2026, 3, 3), 1),  # Monday -> Tuesday
        (date(2026, 3, 6), date(2026, 3, 9), 1),  # Friday -> Monday
        (date(2026, 3, 7), date(2026, 3, 8), 0),  # Saturday -> Sunday
        (date(2026, 3, 7), date(2026, 3, 9), 1),  # Saturday -> Monday
        (date(2026, 3, 2), date(2026, 3, 16), 10),  # two weeks
        (date(2026, 3, 2), date(2026, 3, 17), 11),
        (date(2026, 3, 5), date(2026, 3, 19), 10),  # Thursday, two weeks later
        (date(2026, 3, 9), date(2026, 3, 2), 0),  # backwards
    ],
)
def test_business_days_between(start: date, end: date, days: int) -> None:
    assert business_days_between(start, end) == days


def test_business_days_match_a_day_by_day_count() -> None:
    start = date(2026, 1, 1)
    for length in range(60):
        end = start + timedelta(days=length)
        slow = sum(
            1
            for offset in range(1, length + 1)
            if (start + timedelta(days=offset)).weekday() < 5
        )
        assert business_days_between(start, end) == slow
