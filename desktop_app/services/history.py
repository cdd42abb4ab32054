"""History: every message Duet queued, sent, skipped or failed, newest first."""

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from desktop_app.core.stats import DailyCounts
from desktop_app.errors import ValidationError
from desktop_app.storage import settings

_SELECT = """
SELECT m.id, m.campaign_id, c.name AS campaign, t.name AS template,
       m.contact_id,
       coalesce(nullif(k.full_name, ''), nullif(trim(k.first_name || ' ' ||
           k.last_name), ''), nullif(k.company, ''), k.email, '') AS contact,
       m.channel, m.to_address, m.subject, m.state, m.reason, m.segments, m.encoding,
       m.cost, m.provider, m.provider_id, m.error_code, m.queued_at, m.sent_at,
       m.failed_at
FROM messages m
JOIN campaigns c ON c.id = m.campaign_id
LEFT JOIN templates t ON t.id = c.template_id
LEFT JOIN contacts k ON k.id = m.contact_id
"""


@dataclass(frozen=True)
class HistoryRow:
    """One message as History shows it."""

    id: int
    campaign_id: int
    campaign: str
    template: str | None
    contact_id: int | None
    contact: str
    channel: str
    to: str
    subject: str
    state: str
    reason: str | None
    segments: int
    encoding: str | None
    cost: float
    provider: str
    provider_id: str | None
    error_code: str | None
    queued_at: str
    sent_at: str | None
    failed_at: str | None

    def to_json(self) -> dict[str, Any]:
        """Return the row as the JSON the command line prints."""
        return asdict(self)


def _bound(value: date | datetime | str, zone: ZoneInfo, *, end: bool) -> str:
    """Turn a date or time into a UTC ISO bound; a date means the whole local day."""
    if isinstance(value, str):
        try:
            value = (
                date.fromisoformat(value)
                if len(value) == 10
                else datetime.fromisoformat(value)
            )
        except ValueError as error:
            raise ValidationError(
                f"'{value}' is not a date; write it as 2024-05-31 or 2024-05-31T18:00."
            ) from error
    if not isinstance(value, datetime):
        day = value + timedelta(days=1) if end else value
        value = datetime.combine(day, time(0), tzinfo=zone)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def list_history(
    db: sqlite_utils.Database,
    *,
    campaign: str | int | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    limit: int | None = None,
) -> list[HistoryRow]:
    """Return messages, newest first.

    Args:
        campaign: only this campaign, by name or id.
        since: only messages queued at or after this time; a date means from the
            start of that day in the shop's time zone.
        until: only messages queued before this time; a date includes that whole
            day.
        limit: at most this many.

    Returns:
        The messages.

    Raises:
        ValidationError: ``since`` or ``until`` is not a date, or no campaign has
            that name.
    """
    zone = ZoneInfo(settings.get_setting(db, "shop.timezone"))
    clauses: list[str] = []
    params: list[Any] = []
    if isinstance(campaign, int):
        clauses.append("m.campaign_id = ?")
        params.append(campaign)
    elif campaign:
        if not db.execute(
            "SELECT 1 FROM campaigns WHERE name = ?", [campaign]
        ).fetchone():
            raise ValidationError(f"There is no campaign named '{campaign}'.")
        clauses.append("c.name = ?")
        params.append(campaign)
    if since is not None:
        clauses.append("m.queued_at >= ?")
        params.append(_bound(since, zone, end=False))
    if until is not None:
        clauses.append("m.queued_at < ?")
        params.append(_bound(until, zone, end=True))

    sql = _SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
    sql += " ORDER BY m.queued_at DESC, m.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_row(row) for row in db.query(sql, params)]


def _row(row: dict[str, Any]) -> HistoryRow:
    values = dict(row)
    values["to"] = values.pop("to_address")
    return HistoryRow(**values)


def daily_counts_for(db: sqlite_utils.Database, tz: str | None = None) -> DailyCounts:
    """Return messages per local day by channel and state, for the daily chart.

    A message counts on the day it was sent (or failed), else the day it was queued,
    in the shop's time zone (half-hour zones and DST days included).

    Args:
        tz: the IANA time zone; defaults to the ``shop.timezone`` setting.

    Returns:
        The counts.
    """
    from desktop_app.services import reporting

    return reporting.daily_counts(db, tz)
