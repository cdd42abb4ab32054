"""Quiet hours: may a marketing SMS go out now, in the recipient's local time, or when.

The rules come from ``quiet_hours_rules.json``, a dated table shipped inside this
package that the owner (or a later release) can edit: a default window for every
country, stricter windows for some US states, and closed days (France: Sundays and
public holidays). Every rule that matches a recipient applies at once, so a state rule
can only make the default stricter.

Everything here is pure: the caller passes the time, nothing reads the clock. Local
times are worked out with ``zoneinfo``, including the days when clocks change: a window
that opens at a wall time skipped by the change opens at the change itself, and a wall
time that happens twice opens at its first occurrence still ahead.
"""

import functools
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop_app.errors import ValidationError

logger = logging.getLogger(__name__)

RULES_FILE: Final = "quiet_hours_rules.json"
EVERY_COUNTRY: Final = "*"
DAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_MONTH_NAMES: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_GROUPS: Final = {"weekdays": (0, 1, 2, 3, 4), "weekends": (5, 6)}
# US territories are countries of their own to phonenumbers (+1 787 is "PR"), and
# these Canadian provinces and territories share area codes (902, 867).
_US_TERRITORIES: Final = frozenset({"PR", "VI", "GU", "AS", "MP"})
_CA_SHARED_AREA_CODES: Final = frozenset({"NS", "PE", "NT", "NU", "YT"})
_WHOLE_DAY: Final = (0, 86_400)
_SEARCH_DAYS: Final = 400
_RULE_KEYS: Final = frozenset(
    {
        "name",
        "country",
        "state",
        "effective",
        "until",
        "source",
        "hours",
        "closed_reason",
        "public_holidays",
        "holiday_reason",
    }
)

# A window in seconds after local midnight: start inclusive, end exclusive.
Window = tuple[int, int]


def easter_sunday(year: int) -> date:
    """Return the date of Western (Gregorian) Easter Sunday.

    Args:
        year: a year of the Gregorian calendar (1583 or later).

    Returns:
        Easter Sunday of that year, by the anonymous Gregorian computus.
    """
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century + 8) // 25
    moon_correction = (century - correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - moon_correction + 15) % 30
    quads, year_rest = divmod(year_of_century, 4)
    weekday_shift = (32 + 2 * century_rest + 2 * quads - epact - year_rest) % 7
    late = (golden + 11 * epact + 22 * weekday_shift) // 451
    month, day = divmod(epact + weekday_shift - 7 * late + 114, 31)
    return date(year, month, day + 1)


@functools.lru_cache(maxsize=64)
def french_public_holidays(year: int) -> Mapping[date, str]:
    """Return France's national public holidays (jours fériés) for one year.

    Alsace-Moselle's two extra days (Good Friday, 26 December) are not included.

    Args:
        year: the calendar year.

    Returns:
        A mapping from each holiday's date to its English name.
    """
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "New Year's Day",
        easter + timedelta(days=1): "Easter Monday",
        date(year, 5, 1): "Labour Day",
        date(year, 5, 8): "Victory in Europe Day",
        easter + timedelta(days=39): "Ascension Day",
        easter + timedelta(days=50): "Whit Monday",
        date(year, 7, 14): "Bastille Day",
        date(year, 8, 15): "Assumption Day",
        date(year, 11, 1): "All Saints' Day",
        date(year, 11, 11): "Armistice Day",
        date(year, 12, 25): "Christmas Day",
    }


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """Return the ``nth`` given weekday (0 = Monday) of a month; -1 for the last."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@functools.lru_cache(maxsize=64)
def us_federal_holidays(year: int) -> Mapping[date, str]:
    """Return the US federal holidays of one year, with their observed days.

    A holiday on a Saturday is also observed on the Friday before, one on a
    Sunday on the Monday after; both days count, the stricter reading.

    Args:
        year: the calendar year.

    Returns:
        A mapping from each holiday's date (and observed date) to its name.
    """
    fixed = {
        date(year, 1, 1): "New Year's Day",
        date(year, 6, 19): "Juneteenth",
        date(year, 7, 4): "Independence Day",
        date(year, 11, 11): "Veterans Day",
        date(year, 12, 25): "Christmas Day",
    }
    days = {
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Washington's Birthday",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        _nth_weekday(year, 10, 0, 2): "Columbus Day",
        _nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
    }
    for day, name in fixed.items():
        days[day] = name
        if day.weekday() == 5:
            days.setdefault(day - timedelta(days=1), f"{name} (observed)")
        elif day.weekday() == 6:
            days.setdefault(day + timedelta(days=1), f"{name} (observed)")
    if date(year + 1, 1, 1).weekday() == 5:  # next New Year's Day, seen on 31 Dec
        days.setdefault(date(year, 12, 31), "New Year's Day (observed)")
    return {day: name for day, name in days.items() if day.year == year}


@functools.lru_cache(maxsize=64)
def rhode_island_holidays(year: int) -> Mapping[date, str]:
    """Return the federal holidays plus Rhode Island's Victory Day (2nd Monday of August).

    Args:
        year: the calendar year.

    Returns:
        A mapping from each holiday's date to its name.
    """
    return {
        **us_federal_holidays(year),
        _nth_weekday(year, 8, 0, 2): "Victory Day",
    }


HOLIDAY_CALENDARS: Final[dict[str, Callable[[int], Mapping[date, str]]]] = {
    "FR": french_public_holidays,
    "US": us_federal_holidays,
    "US-RI": rhode_island_holidays,
}


@dataclass(frozen=True)
class QuietHoursRule:
    """One row of the quiet-hours table.

    Attributes:
        name: how the owner sees it, e.g. ``Florida rule``.
        country: ISO country code, or ``*`` for every country.
        state: US state or Canadian province code, or ``None`` for the whole country.
        effective: the first local date the rule applies.
        until: the first local date it no longer applies, or ``None``.
        source: where the rule comes from, in words.
        hours: per weekday (Monday first) the allowed window, or ``None`` when the day
            is closed; a day the rule does not limit holds the whole day.
        closed_reason: the owner's explanation for a closed weekday.
        public_holidays: a key of ``HOLIDAY_CALENDARS`` whose days are closed.
        holiday_reason: the explanation for a holiday; ``{holiday}`` is its name.
    """

    name: str
    country: str
    state: str | None
    effective: date
    until: date | None
    source: str
    hours: tuple[Window | None, ...]
    closed_reason: str | None = None
    public_holidays: str | None = None
    holiday_reason: str | None = None

    @property
    def specificity(self) -> int:
        """Return 2 for a state rule, 1 for a country rule, 0 for every country."""
        if self.state is not None:
            return 2
        return 0 if self.country == EVERY_COUNTRY else 1

    def covers(self, country: str, state: str | None) -> bool:
        """Tell whether the rule covers a place, whatever the date.

        Args:
            country: the recipient's ISO country code (``""`` when unknown).
            state: the recipient's state or province code, or ``None``.

        Returns:
            True for a rule of every country, of that country, or of that state.
        """
        if self.country == EVERY_COUNTRY:
            return True
        return self.country == country and (self.state is None or self.state == state)

    def in_force(self, day: date) -> bool:
        """Tell whether the rule applies on a local date (``effective`` … ``until``).

        Args:
            day: the recipient's local date.

        Returns:
            True from ``effective`` up to, not including, ``until``.
        """
        return self.effective <= day and (self.until is None or day < self.until)

    def applies_to(self, country: str, state: str | None, day: date) -> bool:
        """Tell whether the rule covers a recipient on a local date.

        Args:
            country: the recipient's ISO country code (``""`` when unknown).
            state: the recipient's state or province code, or ``None``.
            day: the recipient's local date.

        Returns:
            True when place and date both match.
        """
        return self.covers(country, state) and self.in_force(day)

    def window_on(self, day: date) -> tuple[Window | None, str | None]:
        """Return the allowed window on one local date, or why the day is closed.

        Args:
            day: the recipient's local date.

        Returns:
            ``(window, None)`` on an open day, ``(None, explanation)`` on a closed one.
        """
        if self.public_holidays is not None:
            holiday = HOLIDAY_CALENDARS[self.public_holidays](day.year).get(day)
            if holiday is not None:
                template = (
                    self.holiday_reason or f"{self.name}: public holiday ({{holiday}})"
                )
                return None, template.format(holiday=holiday)

        window = self.hours[day.weekday()]
        if window is None:
            weekday = WEEKDAY_NAMES[day.weekday()]
            return None, self.closed_reason or f"{self.name}: no sending on {weekday}s"
        return window, None


@dataclass(frozen=True)
class RuleTable:
    """The whole quiet-hours table as loaded.

    Attributes:
        reviewed: the date the table was last checked against the law.
        rules: every rule, in file order.
    """

    reviewed: date
    rules: tuple[QuietHoursRule, ...]

    def rules_for(
        self, country: str, state: str | None, day: date
    ) -> list[QuietHoursRule]:
        """Return the rules covering a recipient on a date, most specific first.

        Args:
            country: ISO country code (``""`` when unknown).
            state: state or province code, or ``None``.
            day: the recipient's local date.

        Returns:
            State rules, then country rules, then rules for every country.
        """
        return [rule for rule in self._by_place(country, state) if rule.in_force(day)]

    def _by_place(self, country: str, state: str | None) -> tuple[QuietHoursRule, ...]:
        """Return the rules for a place whatever the date, most specific first."""
        cache: dict[tuple[str, str | None], tuple[QuietHoursRule, ...]]
        cache = self.__dict__.setdefault("_place_cache", {})
        key = (country, state)
        if key not in cache:
            matching = [rule for rule in self.rules if rule.covers(country, state)]
            cache[key] = tuple(sorted(matching, key=lambda rule: -rule.specificity))
        return cache[key]


@dataclass(frozen=True)
class QuietDecision:
    """Whether a message may go out at the asked time.

    Attributes:
        allowed: True when it may go out now.
        next_allowed_utc: when held, the first moment it may go out (aware, UTC);
            ``None`` when allowed, or when no moment within a year qualifies.
        reason: when held, plain words for the owner, e.g.
            ``held until 08:00 CST, Florida rule``.
        rule_name: when held, the name of the rule that holds it.
    """

    allowed: bool
    next_allowed_utc: datetime | None
    reason: str | None
    rule_name: str | None


ALLOWED: Final = QuietDecision(True, None, None, None)
_MAX_ZONE_ROUNDS: Final = 8


def _rule_error(
    label: str, index: int, name: str, field: str, problem: str
) -> ValidationError:
    who = f"rule {index} ('{name}')" if name else f"rule {index}"
    return ValidationError(f"{label}: {who}, field '{field}': {problem}")


def _parse_clock(text: Any, *, allow_midnight_end: bool) -> int | None:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        return None
    hours, minutes = text[:2], text[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    seconds = int(hours) * 3600 + int(minutes) * 60
    if int(minutes) > 59:
        return None
    if seconds < 86_400 or (allow_midnight_end and seconds == 86_400):
        return seconds
    return None


def _parse_window(raw: Any) -> Window | str | None:
    """Return a window, ``None`` for a closed day, or a problem as text."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 2:
        return f'{raw!r} is not a pair of times such as ["08:00", "21:00"] or null'
    start = _parse_clock(raw[0], allow_midnight_end=False)
    end = _parse_clock(raw[1], allow_midnight_end=True)
    if start is None or end is None:
        return f"{raw!r} holds a time that is not HH:MM between 00:00 and 24:00"
    if start >= end:
        return f"{raw!r} opens after it closes"
    return (start, end)


def _parse_hours(raw: Any) -> tuple[Window | None, ...] | str:
    """Resolve the day keys of one rule into seven windows, or a problem as text."""
    if not isinstance(raw, dict):
        return 'must be an object such as {"default": ["08:00", "21:00"]}'
    known = {"default", *_GROUPS, *DAY_KEYS}
    unknown = sorted(set(raw) - known)
    if unknown:
        return f"unknown day key {unknown[0]!r}; use default, weekdays, weekends, mon … sun"

    parsed: dict[str, Window | None] = {}
    for key, value in raw.items():
        window = _parse_window(value)
        if isinstance(window, str):
            return f"{key}: {window}"
        parsed[key] = window

    days: list[Window | None] = []
    for weekday, key in enumerate(DAY_KEYS):
        group = "weekdays" if weekday < 5 else "weekends"
        for candidate in (key, group, "default"):
            if candidate in parsed:
                days.append(parsed[candidate])
                break
        else:
            days.append(_WHOLE_DAY)
    return tuple(days)


def _parse_date(raw: Any) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _optional_text(raw: Mapping[str, Any], key: str) -> str | bool | None:
    """Return the text, ``None`` when absent, or False when present but not text."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        return False
    return value


def _parse_texts(
    raw: Mapping[str, Any], fail: Callable[[str, str], ValidationError]
) -> dict[str, str | None]:
    """Check the optional texts of one rule: closed-day and holiday wording."""
    texts: dict[str, str | None] = {}
    for key in ("closed_reason", "public_holidays", "holiday_reason"):
        value = _optional_text(raw, key)
        if value is False:
            raise fail(key, "must be a non-empty text")
        texts[key] = value if isinstance(value, str) else None

    calendar = texts["public_holidays"]
    if calendar is not None and calendar not in HOLIDAY_CALENDARS:
        known = ", ".join(sorted(HOLIDAY_CALENDARS))
        raise fail("public_holidays", f"{calendar!r} is not a known calendar ({known})")
    return texts


def _parse_rule(raw: Any, index: int, label: str) -> QuietHoursRule:
    if not isinstance(raw, dict):
        raise ValidationError(f"{label}: rule {index} is not an object")
    name = raw.get("name")
    shown = name if isinstance(name, str) else ""

    def fail(field: str, problem: str) -> ValidationError:
        return _rule_error(label, index, shown, field, problem)

    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise fail(unknown[0], "is not a known field; check its spelling")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "must be a non-empty text")

    country = raw.get("country")
    if not isinstance(country, str) or not (
        country == EVERY_COUNTRY or len(country) == 2
    ):
        raise fail("country", f"{country!r} is not '*' or a two-letter country code")
    country = country.upper()
    state = _optional_text(raw, "state")
    if state is False or (state is not None and country == EVERY_COUNTRY):
        raise fail("state", "must be a state code of the rule's country")
    if isinstance(state, str):
        state = _state_code(state, country, fail)

    effective = _parse_date(raw.get("effective"))
    if effective is None:
        raise fail("effective", "must be a date such as 2024-01-01")
    until = None
    if raw.get("until") is not None:
        until = _parse_date(raw["until"])
        if until is None or until <= effective:
            raise fail("until", "must be a date after 'effective'")

    source = _optional_text(raw, "source")
    if not isinstance(source, str):
        raise fail("source", "must say where the rule comes from")

    if not raw.get("hours"):
        raise fail("hours", "must give the allowed hours of at least one day")
    hours = _parse_hours(raw["hours"])
    if isinstance(hours, str):
        raise fail("hours", hours)

    texts = _parse_texts(raw, fail)
    return QuietHoursRule(
        name=name.strip(),
        country=country,
        state=state if isinstance(state, str) else None,
        effective=effective,
        until=until,
        source=source,
        hours=hours,
        closed_reason=texts["closed_reason"],
        public_holidays=texts["public_holidays"],
        holiday_reason=texts["holiday_reason"],
    )


def _state_code(
    state: str, country: str, fail: Callable[[str, str], ValidationError]
) -> str:
    """Return a rule's state code once Duet can tell numbers in it apart.

    A recipient's state comes from the area code of a US or Canadian number, so
    a code Duet cannot place a number in would make a rule that never applies.
    """
    code = state.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise fail("state", f"{state!r} is not a two-letter code such as FL or TX")
    known = _known_states().get(country)
    if known is None:
        raise fail(
            "state",
            f"Duet tells states apart only for US and Canadian numbers; leave "
            f"'state' out to make the rule apply to the whole of {country}",
        )
    if country == "US" and code in _US_TERRITORIES:
        raise fail(
            "state",
            f"Duet counts {code!r} numbers as a country of their own, not a US "
            f'state; write "country": "{code}" and leave \'state\' out',
        )
    if country == "CA" and code in _CA_SHARED_AREA_CODES:
        raise fail(
            "state",
            f"{code!r} shares its area codes with other provinces, so Duet cannot "
            f"tell its numbers apart; make the rule apply to the whole of {country}",
        )
    if code not in known:
        kind = (
            "province code such as ON or BC"
            if country == "CA"
            else "state code such as FL or TX"
        )
        raise fail("state", f"{code!r} is not a {country} {kind}")
    return code


@functools.cache
def _known_states() -> dict[str, frozenset[str]]:
    """Return, per country, the states Duet can place a number in by area code."""
    from desktop_app.core.timezones import area_code_states

    places: dict[str, set[str]] = {}
    for country, state in area_code_states().values():
        places.setdefault(country, set()).add(state)
    return {country: frozenset(states) for country, states in places.items()}


def parse_rules(data: Any, *, label: str = RULES_FILE) -> RuleTable:
    """Check and turn the decoded JSON of a rules table into a ``RuleTable``.

    Args:
        data: the decoded JSON document.
        label: the file name used in error messages.

    Returns:
        The table.

    Raises:
        ValidationError: a field is missing or wrong; the message names the file, the
            rule and the field.
    """
    if not isinstance(data, dict):
        raise ValidationError(f"{label}: the file must hold a JSON object")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ValidationError(f"{label}: field 'rules' must be a non-empty list")
    reviewed = _parse_date(data.get("reviewed"))
    if reviewed is None:
        raise ValidationError(
            f"{label}: field 'reviewed' must be a date such as 2026-12-04"
        )

    rules = tuple(
        _parse_rule(raw, index, label) for index, raw in enumerate(raw_rules, start=1)
    )
    return RuleTable(reviewed=reviewed, rules=rules)


@functools.lru_cache(maxsize=1)
def _load_shipped() -> RuleTable:
    text = resources.files(__package__).joinpath(RULES_FILE).read_text(encoding="utf-8")
    table = parse_rules(json.loads(text))
    logger.debug(
        "quiet-hours table reviewed %s: %d rules", table.reviewed, len(table.rules)
    )
    return table


def load_rules(path: Path | None = None) -> RuleTable:
    """Load the quiet-hours table: the one shipped with Duet, or an edited copy.

    Args:
        path: an edited table to use instead of the shipped one.

    Returns:
        The checked table (the shipped one is read once and cached).

    Raises:
        ValidationError: the file cannot be read, is not JSON, or a rule is wrong.
    """
    if path is None:
        return _load_shipped()

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValidationError(
            f"{path.name}: cannot be read ({error.strerror})."
        ) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"{path.name}: is not a JSON file ({error}).") from error
    return parse_rules(data, label=path.name)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{name!r} is not a time zone name") from error


def _seconds_of_day(moment: datetime) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _blocking_rule(
    rules: Iterable[QuietHoursRule], local: datetime
) -> tuple[QuietHoursRule, str | None] | None:
    """Return the most specific rule that forbids ``local``, with a closed-day reason."""
    seconds = _seconds_of_day(local)
    for rule in rules:
        window, closed = rule.window_on(local.date())
        if window is None:
            return rule, closed
        if not window[0] <= seconds < window[1]:
            return rule, None
    return None


def _day_window(
    rules: Iterable[QuietHoursRule], day: date
) -> tuple[Window | None, list[str]]:
    """Intersect every rule's window on ``day``; closed days return their reasons."""
    start, end = _WHOLE_DAY
    closed: list[str] = []
    for rule in rules:
        window, reason = rule.window_on(day)
        if window is None:
            closed.append(reason or rule.name)
            continue
        start, end = max(start, window[0]), min(end, window[1])
    if closed:
        return None, closed
    if start >= end:
        return None, ["the rules leave no time to send on that day"]
    return (start, end), []


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, fold=0)


def _instants_for_wall_time(day: date, seconds: int, zone: ZoneInfo) -> list[datetime]:
    """Return the UTC instants whose local wall time first reaches ``day`` + seconds.

    Usually one instant; two when the clocks go back over that time; in a gap left by
    the clocks going forward, the moment of the change (the first instant whose wall
    time is past the wanted one).
    """
    wanted = datetime.combine(day, time()) + timedelta(seconds=seconds)
    earlier_offset = wanted.replace(tzinfo=zone, fold=0).astimezone(UTC)
    later_offset = wanted.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if _wall(earlier_offset, zone) == wanted:
        return sorted({earlier_offset, later_offset})

    low, high = sorted((earlier_offset, later_offset))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if _wall(middle, zone) >= wanted:
            high = middle
        else:
            low = middle
    return [high]


def _next_opening(
    send_at_utc: datetime,
    zone: ZoneInfo,
    rule_table: RuleTable,
    country: str,
    state: str | None,
) -> tuple[datetime | None, list[str]]:
    """Find the first allowed instant after ``send_at_utc`` and the closed days passed."""
    first_day = send_at_utc.astimezone(zone).date()
    passed: list[str] = []
    for offset in range(_SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        rules = rule_table.rules_for(country, state, day)
        window, closed = _day_window(rules, day)
        if window is None:
            passed.extend(closed)
            continue

        start, end = window
        for instant in _instants_for_wall_time(day, start, zone):
            wall = _wall(instant, zone)
            in_window = wall.date() == day and start <= _seconds_of_day(wall) < end
            if instant > send_at_utc and in_window:
                return instant, passed
    return None, passed


def _describe_when(send_at_utc: datetime, moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    clock = f"{local:%H:%M} {local.tzname()}"
    days_ahead = (local.date() - send_at_utc.astimezone(zone).date()).days
    if days_ahead == 0:
        return clock
    weekday = WEEKDAY_NAMES[local.weekday()]
    if days_ahead < 7:
        return f"{weekday} {clock}"
    return f"{weekday} {local.day} {_MONTH_NAMES[local.month - 1]} {clock}"


def decide(
    send_at_utc: datetime,
    *,
    zone: str,
    country: str,
    state: str | None,
    transactional: bool,
    rules: RuleTable,
) -> QuietDecision:
    """Decide whether an SMS may go out at ``send_at_utc``, and if not, when.

    Args:
        send_at_utc: the moment asked for; any aware datetime (it is compared in UTC).
        zone: the recipient's IANA time zone (see ``timezones.recipient_zone``).
        country: the recipient's ISO country code, ``""`` when unknown.
        state: the recipient's US state or Canadian province code, or ``None``.
        transactional: True for a template the owner marked transactional; such
            messages are always allowed (the caller records them as transactional).
        rules: the table from ``load_rules()``.

    Returns:
        The decision. When held, ``next_allowed_utc`` is the first allowed moment in
        UTC and ``reason`` says why in plain words, e.g.
        ``held until Monday 08:00 CET: no marketing SMS in France on Sundays``.

    Raises:
        ValueError: ``send_at_utc`` is naive or ``zone`` is not a time zone name.
    """
    if send_at_utc.tzinfo is None or send_at_utc.utcoffset() is None:
        raise ValueError("send_at_utc must be an aware datetime")
    if transactional:
        return ALLOWED

    tz = _zone(zone)
    country = country.upper()
    state = state.upper() if state else None
    local = send_at_utc.astimezone(tz)
    blocking = _blocking_rule(rules.rules_for(country, state, local.date()), local)
    if blocking is None:
        return ALLOWED

    rule, closed_reason = blocking
    moment, passed = _next_opening(
        send_at_utc.astimezone(UTC), tz, rules, country, state
    )
    extra = [text for text in dict.fromkeys(passed) if text != closed_reason]
    if moment is None:
        why = closed_reason or rule.name
        return QuietDecision(
            False, None, f"held: {why}; no time to send in the next year", rule.name
        )

    when = _describe_when(send_at_utc, moment, tz)
    reason = (
        f"held until {when}: {closed_reason}"
        if closed_reason
        else f"held until {when}, {rule.name}"
    )
    if extra:
        reason = "; ".join([reason, *extra])
    return QuietDecision(False, moment, reason, rule.name)


def decide_everywhere(
    send_at_utc: datetime,
    *,
    zones: Sequence[str],
    country: str,
    state: str | None,
    transactional: bool,
    rules: RuleTable,
) -> QuietDecision:
    """Decide as :func:`decide` for a recipient who may be in any of ``zones``.

    The message may go only at a moment allowed in every zone (a number from the
    Florida Panhandle may ring in Eastern or Central time). When held, the reason
    is the one of the zone that opens last.

    Args:
        send_at_utc: the moment asked for (aware).
        zones: one or more IANA zones (see ``timezones.recipient_zones``).
        country, state, transactional, rules: as for :func:`decide`.

    Returns:
        The decision.

    Raises:
        ValueError: ``zones`` is empty, or as :func:`decide`.
    """
    if not zones:
        raise ValueError("zones must name at least one time zone")

    def at(moment: datetime, zone: str) -> QuietDecision:
        return decide(
            moment,
            zone=zone,
            country=country,
            state=state,
            transactional=transactional,
            rules=rules,
        )

    first = [at(send_at_utc, zone) for zone in zones]
    if len(zones) == 1 or all(decision.allowed for decision in first):
        return first[0] if len(zones) == 1 else ALLOWED

    asked = send_at_utc
    decisions = first
    for _ in range(_MAX_ZONE_ROUNDS):
        held = [(d, z) for d, z in zip(decisions, zones, strict=True) if not d.allowed]
        if not held:
            break
        closed = [d for d, _zone_name in held if d.next_allowed_utc is None]
        if closed:
            return closed[0]
        chosen, chosen_zone = max(held, key=lambda pair: pair[0].next_allowed_utc)
        moment = chosen.next_allowed_utc
        assert moment is not None and chosen.reason is not None
        # The reason was worded from the moment that round asked about; say it
        # again from the first moment asked, so "Monday" and "08:00" stay true.
        tz = _zone(chosen_zone)
        said = f"held until {_describe_when(asked, moment, tz)}"
        reason = f"held until {_describe_when(send_at_utc, moment, tz)}" + (
            chosen.reason.removeprefix(said)
        )
        asked = moment
        decisions = [at(moment, zone) for zone in zones]
    else:
        return QuietDecision(
            False, None, "held: no time allowed in every time zone", None
        )
    return QuietDecision(
        False,
        moment,
        f"{reason} (the number may be in several time zones)",
        chosen.rule_name,
    )


_DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hours_text(rule: QuietHoursRule) -> str:
    """Return a rule's allowed hours in a few words.

    Args:
        rule: one rule of the table.

    Returns:
        e.g. ``every day 08:00–20:00``, ``Mon–Sat 09:00–21:00, Sun 12:00–21:00``
        or ``Mon–Sat 08:00–20:00, no sending on Sun or public holidays``; a rule
        closing every day reads ``no sending on any day``.
    """

    def window(value: Window) -> str:
        start, end = (seconds // 60 for seconds in value)
        if (start, end) == (0, 24 * 60):
            return "any time"
        return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"

    def days(first: int, last: int) -> str:
        return _DAY_NAMES[first] + ("" if first == last else "–" + _DAY_NAMES[last])

    runs: list[tuple[int, int, str | None]] = []
    for day, value in enumerate(rule.hours):
        text = None if value is None else window(value)
        if runs and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], day, text)
        else:
            runs.append((day, day, text))
    open_runs = [run for run in runs if run[2] is not None]
    closed = [days(first, last) for first, last, text in runs if text is None]
    if len(open_runs) == 1 and not closed:
        parts = [f"every day {open_runs[0][2]}"]
    else:
        parts = [f"{days(first, last)} {text}" for first, last, text in open_runs]
    if rule.public_holidays:
        closed.append("public holidays")
    if not open_runs:
        parts.append("no sending on any day")
    elif closed:
        listed = (
            closed[0]
            if len(closed) == 1
            else f"{', '.join(closed[:-1])} or {closed[-1]}"
        )
        parts.append(f"no sending on {listed}")
    return ", ".join(parts)
