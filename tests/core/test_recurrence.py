"""Recurring rules: parsing, and next occurrences across daylight-saving changes."""

from datetime import UTC, datetime

import pytest

from desktop_app.core import recurrence
from desktop_app.core.recurrence import Rule, next_occurrence, occurrences, parse_rule
from desktop_app.errors import ValidationError

NEW_YORK = "America/New_York"
PARIS = "Europe/Paris"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "first monday monthly 10:00",
            {"freq": "monthly", "weekday": "MO", "nth": 1, "time": "10:00"},
        ),
        (
            "last friday of each month at 18:00",
            {"freq": "monthly", "weekday": "FR", "nth": -1, "time": "18:00"},
        ),
        ("every monday 9:30", {"freq": "weekly", "weekday": "MO", "time": "09:30"}),
        ("daily 07:00", {"freq": "daily", "time": "07:00"}),
        ("monthly 15 10:00", {"freq": "monthly", "day": 15, "time": "10:00"}),
        (
            '{"freq": "weekly", "weekday": "SA", "time": "08:15"}',
            {"freq": "weekly", "weekday": "SA", "time": "08:15"},
        ),
    ],
)
def test_parse_rule_reads_words_and_json(
    text: str, expected: dict[str, object]
) -> None:
    assert parse_rule(text).to_json() == expected


@pytest.mark.parametrize(
    "text", ["whenever 10:00", "first monday monthly", "daily 25:00", '{"freq": "x"}']
)
def test_parse_rule_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_rule(text)


def test_daily_rule_keeps_local_time_across_spring_forward_new_york() -> None:
    rule = parse_rule("daily 10:00")

    found = occurrences(rule, utc(2027, 3, 13), utc(2027, 3, 15, 23), NEW_YORK)

    # 10:00 EST is 15:00 UTC; from 14 March 10:00 EDT is 14:00 UTC.
    assert found == [utc(2027, 3, 13, 15), utc(2027, 3, 14, 14), utc(2027, 3, 15, 14)]


def test_a_time_the_clocks_skip_happens_after_the_gap() -> None:
    rule = parse_rule("daily 02:30")

    moment = next_occurrence(rule, utc(2027, 3, 14, 0), NEW_YORK)

    assert moment == utc(2027, 3, 14, 7, 30)  # 03:30 EDT, the gap's length later
    assert moment is not None
    assert moment.astimezone(recurrence.zone_of(NEW_YORK)).hour == 3


def test_a_repeated_time_on_fall_back_night_is_due_once() -> None:
    rule = parse_rule("daily 01:30")

    found = occurrences(rule, utc(2027, 11, 6, 12), utc(2027, 11, 8, 12), NEW_YORK)

    # 7 November: 01:30 EDT (05:30 UTC) only, not again at 01:30 EST (06:30 UTC).
    assert found == [utc(2027, 11, 7, 5, 30), utc(2027, 11, 8, 6, 30)]


def test_weekly_rule_across_fall_back_new_york() -> None:
    rule = parse_rule("every monday 10:00")

    found = occurrences(rule, utc(2027, 10, 30), utc(2027, 11, 10), NEW_YORK)

    assert found == [utc(2027, 11, 1, 14), utc(2027, 11, 8, 15)]


def test_first_monday_monthly_in_paris_across_summer_time() -> None:
    rule = parse_rule("first monday monthly 10:00")

    found = occurrences(rule, utc(2027, 2, 15), utc(2027, 5, 31), PARIS)

    # 10:00 CET is 09:00 UTC; after 28 March 10:00 CEST is 08:00 UTC.
    assert found == [utc(2027, 3, 1, 9), utc(2027, 4, 5, 8), utc(2027, 5, 3, 8)]


def test_last_weekday_and_day_past_the_months_end() -> None:
    last_friday = parse_rule("last friday monthly 18:00")
    day_31 = parse_rule("monthly 31 09:00")

    assert next_occurrence(last_friday, utc(2027, 1, 1), "UTC") == utc(2027, 1, 29, 18)
    assert next_occurrence(day_31, utc(2027, 2, 1), "UTC") == utc(2027, 2, 28, 9)


def test_once_rule_is_due_once_then_never() -> None:
    rule = recurrence.once_at("2027-01-04 10:00")

    first = next_occurrence(rule, utc(2027, 1, 1), NEW_YORK)

    assert first == utc(2027, 1, 4, 15)
    assert next_occurrence(rule, first, NEW_YORK) is None


def test_occurrences_is_strictly_after_and_bounded() -> None:
    rule = Rule("daily", "10:00")

    found = occurrences(rule, utc(2027, 1, 1, 10), utc(2030, 1, 1), "UTC", limit=5)

    assert found[0] == utc(2027, 1, 2, 10)
    assert len(found) == 5


def test_unknown_zone_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        next_occurrence(Rule("daily", "10:00"), utc(2027, 1, 1), "Mars/Olympus")


def test_describe_reads_like_the_owner_wrote_it() -> None:
    assert (
        parse_rule("first monday monthly 10:00").describe()
        == "first Monday of each month, 10:00"
    )
