"""Counting messages for reports: per local day, by channel and state.

Timestamps are stored in UTC; days are the shop's days, in its time zone, so a message
sent at 23:30 in New York counts on that New York day, DST changes included.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CHANNELS = ("sms", "email")
STATE_ORDER = ("sent", "delivered", "failed", "skipped", "unknown", "queued", "sending")

# (UTC ISO timestamp, channel, state) with an optional count as a fourth item.
CountRow = Sequence[Any]


@dataclass
class DailyCounts:
    """Messages per local day, per (channel, state).

    Attributes:
        tz: the IANA time zone the days are in.
        days: every day from the first to the last with messages, gaps included.
        series: (channel, state) to one count per day, aligned with ``days``.
    """

    tz: str
    days: list[date] = field(default_factory=list)
    series: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Return True when there are no messages at all."""
        return not self.days

    @property
    def total(self) -> int:
        """Return how many messages are counted."""
        return sum(sum(counts) for counts in self.series.values())

    def count(self, day: date, channel: str, state: str) -> int:
        """Return the messages of one channel and state on one day."""
        if day not in self.days:
            return 0
        counts = self.series.get((channel, state))
        return counts[self.days.index(day)] if counts else 0

    def to_rows(self) -> list[dict[str, Any]]:
        """Return one row per day, channel and state with a count (for CSV)."""
        return [
            {"day": day.isoformat(), "channel": channel, "state": state, "count": n}
            for (channel, state), counts in self.series.items()
            for day, n in zip(self.days, counts, strict=True)
            if n
        ]


def _parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _series_key(key: tuple[str, str]) -> tuple[int, int, str, str]:
    channel, state = key
    channel_rank = CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS)
    state_rank = STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)
    return channel_rank, state_rank, channel, state


def daily_counts(rows: Iterable[CountRow], tz: str) -> DailyCounts:
    """Bucket messages into the shop's local days by channel and state.

    Args:
        rows: ``(utc_timestamp, channel, state)`` or ``(utc_timestamp, channel,
            state, count)``; timestamps are ISO 8601 text (naive means UTC).
        tz: the IANA time zone name of the shop, e.g. ``America/New_York``.

    Returns:
        The counts, with every day between the first and the last present.
    """
    zone = ZoneInfo(tz)
    buckets: dict[tuple[str, str], dict[date, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for row in rows:
        day = _parse_utc(row[0]).astimezone(zone).date()
        count = int(row[3]) if len(row) > 3 else 1
        buckets[(row[1], row[2])][day] += count

    seen = {day for per_day in buckets.values() for day in per_day}
    if not seen:
        return DailyCounts(tz=tz)
    first, last = min(seen), max(seen)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    series = {
        key: [buckets[key].get(day, 0) for day in days]
        for key in sorted(buckets, key=_series_key)
    }
    return DailyCounts(tz=tz, days=days, series=series)
