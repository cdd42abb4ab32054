"""When a scheduled send is due: one-off times and recurring rules in the shop's zone.

A rule is a small JSON object (stored as such with the schedule):

- ``{"freq": "once", "at": "2027-01-04T10:00"}``: once, at a local date and time;
- ``{"freq": "daily", "time": "09:00"}``;
- ``{"freq": "weekly", "weekday": "MO", "time": "10:00"}``;
- ``{"freq": "monthly", "weekday": "MO", "nth": 1, "time": "10:00"}``: the first
  Monday of each month (``nth`` 1-4, or -1 for the last);
- ``{"freq": "monthly", "day": 15, "time": "10:00"}``: the 15th (a day the month
  lacks falls on its last day).

Times are wall-clock times in the shop's time zone, so "10:00" stays 10:00 across
daylight-saving changes. A time the clocks skip (02:30 on a spring-forward night)
happens at the same moment shifted by the gap (03:30); a time that happens twice (01:30
on a fall-back night) is due once, at its first occurrence. :func:`parse_rule` reads
the same rules from plain words: ``first monday monthly 10:00``, ``last friday of
each month at 18:00``, ``every monday 10:00``, ``daily 09:00``, ``monthly 15 10:00``.
"""

import calendar
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop_app.errors import ValidationError

FREQS = ("once", "daily", "weekly", "monthly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = {name: index for index, name in enumerate(calendar.day_name)}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": -1,
}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]([0-2]?\d:[0-5]\d)$")


@dataclass(frozen=True)
class Rule:
    """A checked rule (see the module docstring for the JSON form).

    Attributes:
        freq: ``once``, ``daily``, ``weekly`` or ``monthly``.
        time: the local time, ``HH:MM``.
        at: for ``once``, the local date (``YYYY-MM-DD``).
        weekday: ``MO`` ... ``SU`` for weekly and nth-weekday monthly rules.
        nth: 1-4 or -1 (last) for nth-weekday monthly rules.
        day: 1-31 for day-of-month monthly rules.
    """

    freq: str
    time: str
    at: str = ""
    weekday: str = ""
    nth: int = 0
    day: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the rule's JSON form (only the keys it uses)."""
        if self.freq == "once":
            return {"freq": "once", "at": f"{self.at}T{self.time}"}
        data: dict[str, Any] = {"freq": self.freq}
        if self.weekday:
            data["weekday"] = self.weekday
        if self.nth:
            data["nth"] = self.nth
        if self.day:
            data["day"] = self.day
        data["time"] = self.time
        return data

    def describe(self) -> str:
        """Return the rule in plain words, e.g. ``first Monday of each month, 10:00``."""
        if self.freq == "once":
            return f"once, {self.at} {self.time}"
        if self.freq == "daily":
            return f"every day, {self.time}"
        name = calendar.day_name[WEEKDAYS.index(self.weekday)] if self.weekday else ""
        if self.freq == "weekly":
            return f"every {name}, {self.time}"
        if self.day:
            return f"day {self.day} of each month, {self.time}"
        order = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
        return f"{order[self.nth]} {name} of each month, {self.time}"


def _check_time(text: str) -> str:
    match = _TIME.match(text.strip())
    if not match:
        raise ValidationError(f"Time: '{text}' is not a time; write it as 10:00.")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def rule_from_json(data: dict[str, Any] | str) -> Rule:
    """Check a rule in its JSON form (a dict, or its JSON text).

    Raises:
        ValidationError: an unknown ``freq`` or a missing or bad part.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as error:
            raise ValidationError("Rule: not JSON.") from error
    if not isinstance(data, dict):
        raise ValidationError('Rule: expected an object such as {"freq": "daily"}.')
    freq = str(data.get("freq", "")).lower()
    if freq not in FREQS:
        raise ValidationError(f"Rule: freq must be one of {', '.join(FREQS)}.")
    if freq == "once":
        return once_at(str(data.get("at", "")))

    clock = _check_time(str(data.get("time", "")))
    weekday = str(data.get("weekday", "")).upper()[:2]
    if weekday and weekday not in WEEKDAYS:
        raise ValidationError(f"Rule: weekday must be one of {', '.join(WEEKDAYS)}.")
    if freq == "daily":
        return Rule("daily", clock)
    if freq == "weekly":
        if not weekday:
            raise ValidationError("Rule: a weekly rule needs a weekday, e.g. MO.")
        return Rule("weekly", clock, weekday=weekday)
    nth, day = int(data.get("nth", 0) or 0), int(data.get("day", 0) or 0)
    if weekday and nth in (1, 2, 3, 4, -1) and not day:
        return Rule("monthly", clock, weekday=weekday, nth=nth)
    if not weekday and 1 <= day <= 31:
        return Rule("monthly", clock, day=day)
    raise ValidationError(
        "Rule: a monthly rule needs a weekday with nth (1-4 or -1), or a day 1-31."
    )


def once_at(text: str) -> Rule:
    """Return a one-off rule from local ``YYYY-MM-DD HH:MM`` text.

    Raises:
        ValidationError: not a date and time in that form.
    """
    match = _DATE_TIME.match(text.strip())
    if not match:
        raise ValidationError(
            f"Date and time: '{text}' is not in the form 2027-01-04 10:00."
        )
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError as error:
        raise ValidationError(f"Date: '{match.group(1)}' is not a date.") from error
    return Rule("once", _check_time(match.group(2)), at=day.isoformat())


def _weekday_word(word: str) -> str:
    """Return ``MO``... for a day name (``monday``, ``mondays``, ``mon``), else ""."""
    for name, index in _DAY_NAMES.items():
        lowered = name.lower()
        if word in (lowered, lowered + "s", lowered[:3]):
            return WEEKDAYS[index]
    return ""


def parse_rule(text: str) -> Rule:
    """Read a rule from plain words or from its JSON text.

    Args:
        text: e.g. ``first monday monthly 10:00``, ``every friday 18:00``,
            ``daily 09:00``, ``monthly 15 10:00`` or ``{"freq": ...}``.

    Returns:
        The checked rule.

    Raises:
        ValidationError: the words do not make a rule; the message shows examples.
    """
    if text.strip().startswith("{"):
        return rule_from_json(text)
    words = text.lower().replace(",", " ").split()
    clock = next((w for w in words if ":" in w), "")
    weekday = next((_weekday_word(w) for w in words if _weekday_word(w)), "")
    nth = next((_ORDINALS[w] for w in words if w in _ORDINALS), 0)
    numbers = [int(w) for w in words if w.isdigit()]
    monthly = any(w in ("monthly", "month") for w in words)
    daily = "daily" in words or (
        "day" in words and not numbers and not weekday and not monthly
    )
    examples = (
        "Rule: write e.g. 'first monday monthly 10:00', 'every friday 18:00', "
        "'daily 09:00' or 'monthly 15 10:00'."
    )
    if not clock:
        raise ValidationError(examples)
    clock = _check_time(clock)
    if weekday and nth:
        return Rule("monthly", clock, weekday=weekday, nth=nth)
    if monthly and len(numbers) == 1 and 1 <= numbers[0] <= 31 and not weekday:
        return Rule("monthly", clock, day=numbers[0])
    if weekday and not monthly:
        return Rule("weekly", clock, weekday=weekday)
    if daily and not weekday:
        return Rule("daily", clock)
    raise ValidationError(examples)


def zone_of(name: str) -> ZoneInfo:
    """Return the time zone called ``name``.

    Raises:
        ValidationError: not a time zone name.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"'{name}' is not a time zone name.") from error


def _local(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    # fold=0: a skipped time takes the offset from before the change (so it lands
    # after the gap); a repeated time is its first occurrence.
    moment = datetime.combine(day, time(hour, minute), tzinfo=zone)
    return moment.astimezone(UTC)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    days = calendar.monthrange(year, month)[1]
    matching = [
        day for day in range(1, days + 1) if date(year, month, day).weekday() == weekday
    ]
    return date(year, month, matching[nth - 1 if nth > 0 else -1])


def _month_days(rule: Rule, start: date) -> list[date]:
    """Return the rule's dates in the month of ``start`` and the next 13 months."""
    found: list[date] = []
    year, month = start.year, start.month
    for _ in range(14):
        if rule.day:
            last = calendar.monthrange(year, month)[1]
            found.append(date(year, month, min(rule.day, last)))
        else:
            weekday = WEEKDAYS.index(rule.weekday)
            found.append(_nth_weekday(year, month, weekday, rule.nth))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def next_occurrence(rule: Rule, after: datetime, zone: str) -> datetime | None:
    """Return the first time the rule is due strictly after ``after``.

    Args:
        rule: the rule.
        after: an aware moment.
        zone: the shop's time zone name.

    Returns:
        The moment in UTC, or None when a one-off time has passed.

    Raises:
        ValidationError: ``zone`` is not a time zone name.
    """
    tz = zone_of(zone)
    if rule.freq == "once":
        moment = _local(date.fromisoformat(rule.at), rule.time, tz)
        return moment if moment > after else None

    start = after.astimezone(tz).date() - timedelta(days=1)
    if rule.freq == "monthly":
        candidates = _month_days(rule, start.replace(day=1))
    else:
        step = 1 if rule.freq == "daily" else 7
        if rule.freq == "weekly":
            offset = (WEEKDAYS.index(rule.weekday) - start.weekday()) % 7
            start += timedelta(days=offset)
        candidates = [start + timedelta(days=step * n) for n in range(10)]
    for day in candidates:
        moment = _local(day, rule.time, tz)
        if moment > after:
            return moment
    return None  # pragma: no cover - every recurring rule has a date within 14 months


def occurrences(
    rule: Rule, after: datetime, until: datetime, zone: str, *, limit: int = 100
) -> list[datetime]:
    """Return the times the rule is due in (``after``, ``until``], at most ``limit``.

    Raises:
        ValidationError: ``zone`` is not a time zone name.
    """
    found: list[datetime] = []
    moment = next_occurrence(rule, after, zone)
    while moment is not None and moment <= until and len(found) < limit:
        found.append(moment)
        moment = next_occurrence(rule, moment, zone)
    return found
