"""Quiet-hours decisions with fixed clocks, across time zones, state rules and DST."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import quiet_hours
from desktop_app.core.quiet_hours import (
    QuietDecision,
    RuleTable,
    decide,
    decide_everywhere,
    easter_sunday,
    french_public_holidays,
    load_rules,
    parse_rules,
    rhode_island_holidays,
    us_federal_holidays,
)
from desktop_app.core.timezones import (
    recipient_zone,
    recipient_zones,
    region_for_number,
)
from desktop_app.errors import ValidationError

RULES = load_rules()
SHOP_ZONE = "America/Chicago"

NEW_YORK = "+12125550123"
CHICAGO = "+13125550134"
DENVER = "+13035550145"
PHOENIX = "+16025550156"
LOS_ANGELES = "+12135550167"
HONOLULU = "+18085550178"
MIAMI = "+13055550189"
DALLAS = "+12145550190"
PROVIDENCE = "+14015550101"
HARTFORD = "+18605550112"
PARIS = "+33199001234"
LONDON = "+442079460123"

DEFAULT = "quiet hours 08:00–21:00"
FR_SUNDAY = "no marketing SMS in France on Sundays"
RI_SUNDAY = "no telephone solicitation in Rhode Island on Sundays"
RI_HOLIDAY = "no telephone solicitation in Rhode Island on holidays"
MS_SUNDAY = "no telephone solicitation in Mississippi on Sundays"
JACKSON = "+16015550123"


def utc(text: str) -> datetime:
    """Parse ``2027-01-12 12:59`` (seconds optional) as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def decide_for(
    e164: str,
    when: datetime,
    *,
    contact_zone: str = "",
    transactional: bool = False,
    rules: RuleTable = RULES,
) -> QuietDecision:
    """Wire the pieces the way the planner does: zone, then region, then decide."""
    zone = recipient_zone(contact_zone, e164, SHOP_ZONE).zone
    country, state = region_for_number(e164)
    return decide(
        when,
        zone=zone,
        country=country,
        state=state,
        transactional=transactional,
        rules=rules,
    )


# (number, asked at UTC, None when allowed or (next allowed UTC, reason))
CASES: list[tuple[str, str, tuple[str, str] | None]] = [
    # New York, a Tuesday in January (EST, UTC-5).
    (
        NEW_YORK,
        "2027-01-12 12:59:59",
        ("2027-01-12 13:00", f"held until 08:00 EST, {DEFAULT}"),
    ),
    (NEW_YORK, "2027-01-12 13:00", None),
    (NEW_YORK, "2027-01-13 01:59:59", None),
    (
        NEW_YORK,
        "2027-01-13 02:00",
        ("2027-01-13 13:00", f"held until Wednesday 08:00 EST, {DEFAULT}"),
    ),
    # Chicago (CST, UTC-6) and Denver in summer (MDT, UTC-6).
    (
        CHICAGO,
        "2027-01-12 13:30",
        ("2027-01-12 14:00", f"held until 08:00 CST, {DEFAULT}"),
    ),
    (CHICAGO, "2027-01-12 14:30", None),
    (
        DENVER,
        "2027-07-13 13:30",
        ("2027-07-13 14:00", f"held until 08:00 MDT, {DEFAULT}"),
    ),
    (
        DENVER,
        "2027-07-14 03:30",
        ("2027-07-14 14:00", f"held until Wednesday 08:00 MDT, {DEFAULT}"),
    ),
    # Phoenix keeps MST (UTC-7) all year, even on the US DST days.
    (
        PHOENIX,
        "2027-07-13 14:30",
        ("2027-07-13 15:00", f"held until 08:00 MST, {DEFAULT}"),
    ),
    (
        PHOENIX,
        "2027-01-12 14:30",
        ("2027-01-12 15:00", f"held until 08:00 MST, {DEFAULT}"),
    ),
    (
        PHOENIX,
        "2027-03-14 14:59",
        ("2027-03-14 15:00", f"held until 08:00 MST, {DEFAULT}"),
    ),
    (PHOENIX, "2027-11-07 15:00", None),
    # Los Angeles and Honolulu.
    (LOS_ANGELES, "2027-01-12 16:30", None),
    (
        LOS_ANGELES,
        "2027-01-13 05:00",
        ("2027-01-13 16:00", f"held until Wednesday 08:00 PST, {DEFAULT}"),
    ),
    (
        HONOLULU,
        "2027-01-12 17:59",
        ("2027-01-12 18:00", f"held until 08:00 HST, {DEFAULT}"),
    ),
    (HONOLULU, "2027-07-13 18:00", None),
    # Florida (Miami, 305): 8–20. New York at the same instant is still open.
    (
        MIAMI,
        "2027-01-13 01:30",
        ("2027-01-13 13:00", "held until Wednesday 08:00 EST, Florida rule"),
    ),
    (NEW_YORK, "2027-01-13 01:30", None),
    (
        MIAMI,
        "2027-01-12 12:30",
        ("2027-01-12 13:00", "held until 08:00 EST, Florida rule"),
    ),
    # Texas (Dallas): 9–21, Sunday from noon.
    (
        DALLAS,
        "2027-01-10 16:00",
        ("2027-01-10 18:00", "held until 12:00 CST, Texas rule"),
    ),
    (DALLAS, "2027-01-10 18:00", None),
    (
        DALLAS,
        "2027-01-09 14:30",
        ("2027-01-09 15:00", "held until 09:00 CST, Texas rule"),
    ),
    (DALLAS, "2027-01-09 15:00", None),
    # Rhode Island: 9–18 on weekdays, 10–17 at weekends.
    (
        PROVIDENCE,
        "2027-01-09 14:30",
        ("2027-01-09 15:00", "held until 10:00 EST, Rhode Island rule"),
    ),
    (
        PROVIDENCE,
        "2027-01-10 22:00",
        ("2027-01-11 14:00", f"held until Monday 09:00 EST: {RI_SUNDAY}"),
    ),
    (PROVIDENCE, "2027-01-12 22:59", None),
    (
        PROVIDENCE,
        "2027-01-12 23:00",
        ("2027-01-13 14:00", "held until Wednesday 09:00 EST, Rhode Island rule"),
    ),
    # Rhode Island closes Sundays and holidays (R.I. Gen. Laws 5-61-2, 5-61-3.6).
    (
        PROVIDENCE,
        "2027-01-10 17:00",
        ("2027-01-11 14:00", f"held until Monday 09:00 EST: {RI_SUNDAY}"),
    ),
    (
        PROVIDENCE,
        "2027-05-31 16:00",
        (
            "2027-06-01 13:00",
            f"held until Tuesday 09:00 EDT: {RI_HOLIDAY} (Memorial Day)",
        ),
    ),
    (
        PROVIDENCE,
        "2027-08-09 16:00",
        (
            "2027-08-10 13:00",
            f"held until Tuesday 09:00 EDT: {RI_HOLIDAY} (Victory Day)",
        ),
    ),
    (PROVIDENCE, "2027-08-10 16:00", None),
    # Mississippi: 8–20, never on Sundays (Miss. Code 77-3-723).
    (
        JACKSON,
        "2027-01-10 18:00",
        ("2027-01-11 14:00", f"held until Monday 08:00 CST: {MS_SUNDAY}"),
    ),
    (JACKSON, "2027-01-11 14:00", None),
    # Connecticut: 9–20.
    (
        HARTFORD,
        "2027-01-12 13:30",
        ("2027-01-12 14:00", "held until 09:00 EST, Connecticut rule"),
    ),
    (
        HARTFORD,
        "2027-01-13 01:00",
        ("2027-01-13 14:00", "held until Wednesday 09:00 EST, Connecticut rule"),
    ),
    (HARTFORD, "2027-01-12 14:00", None),
    # Paris: Sundays and public holidays are closed.
    (
        PARIS,
        "2027-01-10 10:00",
        ("2027-01-11 07:00", f"held until Monday 08:00 CET: {FR_SUNDAY}"),
    ),
    (PARIS, "2027-01-09 10:00", None),
    (
        PARIS,
        "2027-07-14 10:00",
        (
            "2027-07-15 06:00",
            "held until Thursday 08:00 CEST: no marketing SMS in France on public "
            "holidays (Bastille Day)",
        ),
    ),
    (
        PARIS,
        "2027-03-29 09:00",
        (
            "2027-03-30 06:00",
            "held until Tuesday 08:00 CEST: no marketing SMS in France on public "
            "holidays (Easter Monday)",
        ),
    ),
    # Easter Sunday 2027 is also the EU change to summer time.
    (
        PARIS,
        "2027-03-28 09:00",
        (
            "2027-03-30 06:00",
            f"held until Tuesday 08:00 CEST: {FR_SUNDAY}; no marketing SMS in France "
            "on public holidays (Easter Monday)",
        ),
    ),
    (
        PARIS,
        "2027-03-27 20:30",
        (
            "2027-03-30 06:00",
            f"held until Tuesday 08:00 CEST, {DEFAULT}; {FR_SUNDAY}; no marketing SMS "
            "in France on public holidays (Easter Monday)",
        ),
    ),
    # The EU change back falls on a Sunday, and 1 November 2027 is a Monday holiday.
    (
        PARIS,
        "2027-10-30 20:00",
        (
            "2027-11-02 07:00",
            f"held until Tuesday 08:00 CET, {DEFAULT}; {FR_SUNDAY}; no marketing SMS "
            "in France on public holidays (All Saints' Day)",
        ),
    ),
    # London: default window only, GMT in winter and BST in summer; Sundays are open.
    (
        LONDON,
        "2027-01-12 07:59",
        ("2027-01-12 08:00", f"held until 08:00 GMT, {DEFAULT}"),
    ),
    (
        LONDON,
        "2027-07-13 06:59",
        ("2027-07-13 07:00", f"held until 08:00 BST, {DEFAULT}"),
    ),
    (LONDON, "2027-01-10 12:00", None),
    (
        LONDON,
        "2027-03-28 00:30",
        ("2027-03-28 07:00", f"held until 08:00 BST, {DEFAULT}"),
    ),
    (
        LONDON,
        "2027-10-31 00:30",
        ("2027-10-31 08:00", f"held until 08:00 GMT, {DEFAULT}"),
    ),
    # US change to summer time, Sunday 2027-03-14.
    (
        NEW_YORK,
        "2027-03-14 06:30",
        ("2027-03-14 12:00", f"held until 08:00 EDT, {DEFAULT}"),
    ),
    (
        NEW_YORK,
        "2027-03-14 03:00",
        ("2027-03-14 12:00", f"held until Sunday 08:00 EDT, {DEFAULT}"),
    ),
    (NEW_YORK, "2027-03-14 12:00", None),
    (
        DALLAS,
        "2027-03-14 16:00",
        ("2027-03-14 17:00", "held until 12:00 CDT, Texas rule"),
    ),
    (
        LOS_ANGELES,
        "2027-03-14 14:59",
        ("2027-03-14 15:00", f"held until 08:00 PDT, {DEFAULT}"),
    ),
    # US change back, Sunday 2027-11-07: 01:30 happens twice in New York.
    (
        NEW_YORK,
        "2027-11-07 05:30",
        ("2027-11-07 13:00", f"held until 08:00 EST, {DEFAULT}"),
    ),
    (
        NEW_YORK,
        "2027-11-07 06:30",
        ("2027-11-07 13:00", f"held until 08:00 EST, {DEFAULT}"),
    ),
    (
        CHICAGO,
        "2027-11-07 02:30",
        ("2027-11-07 14:00", f"held until Sunday 08:00 CST, {DEFAULT}"),
    ),
    (
        MIAMI,
        "2027-11-07 00:30",
        ("2027-11-07 13:00", "held until Sunday 08:00 EST, Florida rule"),
    ),
]


@pytest.mark.parametrize(("e164", "asked", "expected"), CASES)
def test_decide(e164: str, asked: str, expected: tuple[str, str] | None) -> None:
    decision = decide_for(e164, utc(asked))

    if expected is None:
        assert decision == QuietDecision(True, None, None, None)
    else:
        next_allowed, reason = expected
        assert (decision.allowed, decision.next_allowed_utc, decision.reason) == (
            False,
            utc(next_allowed),
            reason,
        )
        assert decide_for(e164, utc(next_allowed)).allowed


def test_decision_names_the_rule_that_holds() -> None:
    assert decide_for(MIAMI, utc("2027-01-13 01:30")).rule_name == "Florida rule"
    assert decide_for(NEW_YORK, utc("2027-01-13 03:00")).rule_name == DEFAULT
    assert decide_for(PARIS, utc("2027-01-10 10:00")).rule_name == "France rule"


@pytest.mark.parametrize("e164", [NEW_YORK, MIAMI, DALLAS, PROVIDENCE, PARIS])
def test_transactional_is_always_allowed(e164: str) -> None:
    for asked in ("2027-01-10 06:00", "2027-07-14 02:00", "2027-03-14 07:30"):
        decision = decide_for(e164, utc(asked), transactional=True)

        assert decision == QuietDecision(True, None, None, None)
        assert not decide_for(e164, utc(asked)).allowed


def test_contact_zone_beats_the_phone_number() -> None:
    # A New York number whose owner lives in Paris: 07:30 Paris, 01:30 New York.
    asked = utc("2027-01-12 06:30")

    decision = decide_for(NEW_YORK, asked, contact_zone="Europe/Paris")

    assert decision.next_allowed_utc == utc("2027-01-12 07:00")
    assert decision.reason == f"held until 08:00 CET, {DEFAULT}"


def test_shop_zone_is_used_for_a_toll_free_number() -> None:
    decision = decide_for("+18005550123", utc("2027-01-12 13:30"))

    assert decision.reason == f"held until 08:00 CST, {DEFAULT}"


def test_lower_case_country_and_state_still_match() -> None:
    decision = decide(
        utc("2027-01-13 01:30"),
        zone="America/New_York",
        country="us",
        state="fl",
        transactional=False,
        rules=RULES,
    )

    assert decision.rule_name == "Florida rule"


def test_decide_refuses_a_naive_time_or_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(
            datetime(2027, 1, 12, 12),
            zone="UTC",
            country="",
            state=None,
            transactional=False,
            rules=RULES,
        )
    with pytest.raises(ValueError, match="not a time zone"):
        decide(
            utc("2027-01-12 12:00"),
            zone="Europe/Atlantis",
            country="",
            state=None,
            transactional=False,
            rules=RULES,
        )


def test_an_aware_time_in_another_offset_is_the_same_instant() -> None:
    asked = datetime.fromisoformat("2027-01-12T07:59:59-05:00")

    decision = decide_for(NEW_YORK, asked)

    assert decision.next_allowed_utc == utc("2027-01-12 13:00")


# --- Edge cases of wall time on DST days, with a table written for the test ---------


def _table(hours: dict[str, Any], **extra: Any) -> RuleTable:
    rule = {
        "name": "test rule",
        "country": "*",
        "effective": "2020-01-01",
        "source": "written for this test",
        "hours": hours,
        **extra,
    }
    return parse_rules({"reviewed": "2026-12-04", "rules": [rule]}, label="test.json")


def test_window_opening_in_the_spring_gap_opens_at_the_change() -> None:
    # 02:30 does not exist in New York on 2027-03-14; clocks jump at 07:00 UTC.
    table = _table({"default": ["02:30", "23:00"]})

    decision = decide_for(NEW_YORK, utc("2027-03-14 06:00"), rules=table)

    assert decision.next_allowed_utc == utc("2027-03-14 07:00")
    assert decision.reason == "held until 03:00 EDT, test rule"


def test_window_opening_in_the_repeated_hour_opens_at_the_next_occurrence() -> None:
    # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST) on 2027-11-07.
    table = _table({"default": ["01:30", "23:00"]})

    first = decide_for(NEW_YORK, utc("2027-11-07 05:00"), rules=table)
    second = decide_for(NEW_YORK, utc("2027-11-07 06:10"), rules=table)

    assert first.next_allowed_utc == utc("2027-11-07 05:30")
    assert second.next_allowed_utc == utc("2027-11-07 06:30")
    assert decide_for(NEW_YORK, utc("2027-11-07 05:45"), rules=table).allowed


def test_a_table_with_no_open_day_holds_without_a_time() -> None:
    closed = dict.fromkeys(quiet_hours.DAY_KEYS)
    table = _table(closed, closed_reason="closed for the test")

    decision = decide_for(LONDON, utc("2027-01-12 12:00"), rules=table)

    assert (decision.allowed, decision.next_allowed_utc) == (False, None)
    assert (
        decision.reason == "held: closed for the test; no time to send in the next year"
    )


ZONES_AND_PLACES = [
    (NEW_YORK, ""),
    (PHOENIX, ""),
    (HONOLULU, ""),
    (MIAMI, ""),
    (DALLAS, ""),
    (PROVIDENCE, ""),
    (HARTFORD, ""),
    (PARIS, ""),
    (LONDON, ""),
    (NEW_YORK, "Australia/Lord_Howe"),  # a 30-minute DST change
    (NEW_YORK, "Asia/Kolkata"),
    (NEW_YORK, "Pacific/Chatham"),
]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    place=st.sampled_from(ZONES_AND_PLACES),
    asked=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2029, 1, 1)
    ).map(lambda moment: moment.replace(microsecond=0, tzinfo=UTC)),
)
def test_next_allowed_is_the_first_allowed_second(
    place: tuple[str, str], asked: datetime
) -> None:
    e164, contact_zone = place

    decision = decide_for(e164, asked, contact_zone=contact_zone)

    if not decision.allowed:
        moment = decision.next_allowed_utc
        assert moment is not None and moment > asked
        assert decide_for(e164, moment, contact_zone=contact_zone).allowed
        before = moment - timedelta(seconds=1)
        assert not decide_for(e164, before, contact_zone=contact_zone).allowed


# --- Holidays --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1943, date(1943, 4, 25)),
        (2000, date(2000, 4, 23)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2028, date(2028, 4, 16)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_us_federal_holidays_with_their_observed_days() -> None:
    in_2027 = us_federal_holidays(2027)
    in_2026 = us_federal_holidays(2026)

    assert in_2027[date(2027, 1, 18)] == "Martin Luther King Jr. Day"
    assert in_2027[date(2027, 5, 31)] == "Memorial Day"
    assert in_2027[date(2027, 11, 25)] == "Thanksgiving Day"
    assert in_2027[date(2027, 12, 24)] == "Christmas Day (observed)"  # a Saturday
    assert in_2027[date(2027, 12, 31)] == "New Year's Day (observed)"  # 2028-01-01
    assert in_2027[date(2027, 7, 5)] == "Independence Day (observed)"  # a Sunday
    assert in_2026[date(2026, 7, 3)] == "Independence Day (observed)"
    assert all(day.year == 2028 for day in us_federal_holidays(2028))
    assert len(in_2026) == 12 and len(in_2027) == 15
    assert rhode_island_holidays(2027)[date(2027, 8, 9)] == "Victory Day"


def test_french_public_holidays_2027() -> None:
    holidays = french_public_holidays(2027)

    assert sorted(holidays) == [
        date(2027, 1, 1),
        date(2027, 3, 29),
        date(2027, 5, 1),
        date(2027, 5, 6),
        date(2027, 5, 8),
        date(2027, 5, 17),
        date(2027, 7, 14),
        date(2027, 8, 15),
        date(2027, 11, 1),
        date(2027, 11, 11),
        date(2027, 12, 25),
    ]
    assert holidays[date(2027, 5, 6)] == "Ascension Day"
    assert holidays[date(2027, 5, 17)] == "Whit Monday"


# --- The shipped table and edited copies ------------------------------------------


def test_shipped_table_is_dated_and_every_rule_has_a_source() -> None:
    assert RULES.reviewed >= date(2026, 12, 4)
    assert all(rule.source and rule.effective for rule in RULES.rules)
    states = {rule.state for rule in RULES.rules if rule.country == "US"}
    assert states == {"FL", "OK", "MD", "MS", "CT", "TX", "RI"}


@pytest.mark.parametrize(
    ("state", "zone", "name"),
    [
        ("FL", "America/New_York", "Florida rule"),
        ("OK", "America/Chicago", "Oklahoma rule"),
        ("MD", "America/New_York", "Maryland rule"),
        ("MS", "America/Chicago", "Mississippi rule"),
    ],
)
def test_eight_to_eight_states(state: str, zone: str, name: str) -> None:
    def at(hour: int, minute: int) -> QuietDecision:
        local = datetime(2027, 1, 12, hour, minute, tzinfo=ZoneInfo(zone))
        return decide(
            local,
            zone=zone,
            country="US",
            state=state,
            transactional=False,
            rules=RULES,
        )

    assert at(19, 59).allowed
    assert at(20, 0).rule_name == name
    assert at(7, 59).rule_name == name
    assert at(8, 0).allowed


def test_rule_before_its_effective_date_does_not_apply() -> None:
    # Maryland's 8–20 rule starts on 2024-01-01: 20:30 on 2023-12-12 was allowed.
    def at(asked: str) -> QuietDecision:
        return decide(
            utc(asked),
            zone="America/New_York",
            country="US",
            state="MD",
            transactional=False,
            rules=RULES,
        )

    assert at("2023-12-13 01:30").allowed
    assert at("2024-01-10 01:30").rule_name == "Maryland rule"


def _shipped_json() -> dict[str, Any]:
    path = Path(quiet_hours.__file__).with_name(quiet_hours.RULES_FILE)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_load_rules_reads_an_edited_copy(tmp_path: Path) -> None:
    data = _shipped_json()
    for rule in data["rules"]:
        if rule["name"] == "Florida rule":
            rule["hours"] = {"default": ["09:00", "20:00"]}
    edited = tmp_path / "my_rules.json"
    edited.write_text(json.dumps(data), encoding="utf-8")

    decision = decide_for(MIAMI, utc("2027-01-12 13:30"), rules=load_rules(edited))

    assert decision.reason == "held until 09:00 EST, Florida rule"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"hours": {"default": ["25:00", "26:00"]}},
            "rule 2 .'Florida rule'., field 'hours'",
        ),
        ({"hours": {"sunday": None}}, "unknown day key 'sunday'"),
        ({"hours": {"default": ["20:00", "08:00"]}}, "opens after it closes"),
        ({"effective": "July 2021"}, "field 'effective'"),
        ({"until": "2020-01-01"}, "field 'until'"),
        ({"hour": {}}, "field 'hour': is not a known field"),
        ({"country": "USA"}, "field 'country'"),
        ({"public_holidays": "XX"}, "'XX' is not a known calendar"),
        ({"source": ""}, "field 'source'"),
        ({"state": "ZZ"}, "field 'state': 'ZZ' is not a US state code such as FL"),
        ({"state": "PR"}, "counts 'PR' numbers as a country of their own"),
        ({"country": "FR"}, "tells states apart only for US and Canadian numbers"),
        ({"country": "CA"}, "'FL' is not a CA province code such as ON or BC"),
        ({"country": "CA", "state": "NS"}, "'NS' shares its area codes"),
    ],
)
def test_load_rules_names_file_rule_and_field(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    data = _shipped_json()
    data["rules"][1].update(change)
    edited = tmp_path / "my_rules.json"
    edited.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(ValidationError, match=f"^my_rules.json: .*{message}"):
        load_rules(edited)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"rules": "x"}, "field 'rules' must be a non-empty list"),
        ({"rules": []}, "field 'rules' must be a non-empty list"),
        ({"reviewed": "2026-12-04"}, "field 'rules' must be a non-empty list"),
        ({"rules": [{}]}, "field 'reviewed' must be a date"),
        (["x"], "the file must hold a JSON object"),
    ],
)
def test_a_table_without_rules_is_refused_naming_that_field(
    document: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^ours.json: {message}"):
        parse_rules(document, label="ours.json")


@pytest.mark.parametrize(
    ("hours", "holidays", "text"),
    [
        ({"default": ["08:00", "20:00"]}, None, "every day 08:00–20:00"),
        ({"default": ["08:00", "20:00"], "sun": None}, None,
         "Mon–Sat 08:00–20:00, no sending on Sun"),
        ({"default": None}, None, "no sending on any day"),
        ({"default": None}, "US", "no sending on any day"),
        ({"weekdays": ["09:00", "18:00"], "sat": None, "sun": ["00:00", "24:00"]},
         None, "Mon–Fri 09:00–18:00, Sun any time, no sending on Sat"),
        ({"mon": None, "weekends": None}, "FR",
         "Tue–Fri any time, no sending on Mon, Sat–Sun or public holidays"),
        ({"default": ["00:00", "23:59"]}, "US",
         "every day 00:00–23:59, no sending on public holidays"),
    ],
)  # fmt: skip
def test_hours_text_says_which_days_have_no_sending(
    hours: dict[str, Any], holidays: str | None, text: str
) -> None:
    rule = {"name": "Ours", "country": "US", "effective": "2026-01-01",
            "source": "shop policy", "hours": hours}  # fmt: skip
    if holidays:
        rule["public_holidays"] = holidays
    table = parse_rules({"reviewed": "2026-12-04", "rules": [rule]})

    assert quiet_hours.hours_text(table.rules[0]) == text


def test_load_rules_reports_a_file_that_is_not_json(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")

    with pytest.raises(ValidationError, match=r"broken\.json: is not a JSON file"):
        load_rules(broken)
    with pytest.raises(ValidationError, match=r"missing\.json: cannot be read"):
        load_rules(tmp_path / "missing.json")


SEVERAL = " (the number may be in several time zones)"


@pytest.mark.parametrize(
    ("e164", "asked", "expected"),
    [
        # 08:30 in Tallahassee is 07:30 in Pensacola: wait for 08:00 Central.
        (
            "+18505550102",
            "2027-01-12 13:30",
            ("2027-01-12 14:00", "held until 08:00 CST, Florida rule" + SEVERAL),
        ),
        ("+18505550102", "2027-01-13 00:30", None),
        # 20:00 Eastern closes the Florida window; it opens at 08:00 Central.
        (
            "+18505550102",
            "2027-01-13 01:00",
            (
                "2027-01-13 14:00",
                "held until Wednesday 08:00 CST, Florida rule" + SEVERAL,
            ),
        ),
        # Anchorage 08:30 is 07:30 on Adak.
        (
            "+19075550123",
            "2027-01-12 17:30",
            (
                "2027-01-12 18:00",
                "held until 08:00 HST, quiet hours 08:00–21:00" + SEVERAL,
            ),
        ),
        # Idaho: Boise (Mountain) opens an hour before the panhandle (Pacific) ...
        (
            "+12085550123",
            "2027-01-12 15:30",
            (
                "2027-01-12 16:00",
                "held until 08:00 PST, quiet hours 08:00–21:00" + SEVERAL,
            ),
        ),
        # ... and closes an hour before it too.
        (
            "+12085550123",
            "2027-01-13 04:00",
            (
                "2027-01-13 16:00",
                "held until Wednesday 08:00 PST, quiet hours 08:00–21:00" + SEVERAL,
            ),
        ),
        ("+12085550123", "2027-07-12 20:00", None),
    ],
)
def test_a_number_in_several_zones_waits_for_all_of_them(
    e164: str, asked: str, expected: tuple[str, str] | None
) -> None:
    zones = [choice.zone for choice in recipient_zones("", e164, SHOP_ZONE)]
    country, state = region_for_number(e164)

    decision = decide_everywhere(
        utc(asked),
        zones=zones,
        country=country,
        state=state,
        transactional=False,
        rules=RULES,
    )

    if expected is None:
        assert decision.allowed
    else:
        assert (decision.next_allowed_utc, decision.reason) == (
            utc(expected[0]),
            expected[1],
        )


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
        lambda moment: moment.replace(tzinfo=UTC)
    ),
    st.sampled_from(["+18505550102", "+19075550123", "+12085550123"]),
)
@settings(max_examples=200, deadline=None)
def test_held_time_is_allowed_in_every_zone(asked: datetime, e164: str) -> None:
    zones = [choice.zone for choice in recipient_zones("", e164, SHOP_ZONE)]
    country, state = region_for_number(e164)
    common = {"country": country, "state": state, "transactional": False}

    decision = decide_everywhere(asked, zones=zones, rules=RULES, **common)

    moment = asked if decision.allowed else decision.next_allowed_utc
    assert moment is not None
    for zone in zones:
        assert decide(moment, zone=zone, rules=RULES, **common).allowed


def test_own_rule_codes_in_lower_case_apply_and_names_are_refused() -> None:
    rule = {
        "name": "Ours",
        "country": "us",
        "state": "fl",
        "effective": "2026-01-01",
        "source": "shop policy",
        "hours": {"default": ["10:00", "20:00"]},
    }
    table = parse_rules({"reviewed": "2026-12-04", "rules": [rule]}, label="ours.json")
    half_past_nine = utc("2027-01-12 14:30")  # 09:30 in Miami

    decision = decide(half_past_nine, zone="America/New_York", country="US",
                      state="FL", transactional=False, rules=table)  # fmt: skip

    assert (table.rules[0].country, table.rules[0].state) == ("US", "FL")
    assert decision.rule_name == "Ours"
    for field, value, words in [
        ("state", "Florida", "not a two-letter code"),
        ("hours", {}, "at least one day"),
    ]:
        with pytest.raises(ValidationError, match=f"ours.json: rule 1 .*{words}"):
            parse_rules(
                {"reviewed": "2026-12-04", "rules": [{**rule, field: value}]},
                label="ours.json",
            )
