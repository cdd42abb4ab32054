"""Reports: KPIs per campaign and A/B variant, attribution of sales, chart data.

Numbers come from the ``messages``, ``events`` and ``sales`` tables. Which campaign
earned a sale (or an opt-out or reply that names no message) is decided here, when
the report is built, by :mod:`desktop_app.core.attribution`, so changing the
attribution window re-reads history instead of leaving stale rows behind.

Event kinds read from ``events``: ``opt_out`` (any channel), ``reply`` (inbound SMS),
``unsubscribe`` (email) and ``bounce`` (email bounced after it was accepted).

Days and months are the shop's, in its time zone. SQLite groups timestamps by UTC
hour first so Python handles few rows; for zones whose offset is not a whole hour
(India, Nepal, parts of Australia...) it groups by quarter hour instead, so no
bucket straddles a local midnight. The daily chart reads ``message_buckets``, a
running count per quarter hour that triggers keep (migration 2).
"""

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from desktop_app.core import abtest
from desktop_app.core.attribution import (
    Attribution,
    Sale,
    Touch,
    TouchIndex,
    attribute_sales,
    customer_keys,
    parse_utc,
)
from desktop_app.core.kpis import (
    STATUS_PROVIDERS,
    AbComparison,
    Funnel,
    Kpis,
    MonthlyCost,
    RateSeries,
    VariantResult,
)
from desktop_app.core.stats import DailyCounts
from desktop_app.core.stats import daily_counts as bucket_daily_counts
from desktop_app.errors import ValidationError
from desktop_app.storage import sales as sales_store
from desktop_app.storage import settings

logger = logging.getLogger(__name__)

ATTRIBUTION_SETTING = "reports.attribution_days"
ATTRIBUTION_SOURCE = "sales import"
UTM_NOTE = (
    "Links in SMS and email carry utm_source=duet, utm_medium=sms or email, "
    "utm_campaign and utm_content (the A/B variant): your shop's web analytics "
    "shows those visits by channel."
)
EVENT_OPT_OUT = "opt_out"
EVENT_REPLY = "reply"
EVENT_UNSUBSCRIBE = "unsubscribe"
EVENT_BOUNCE = "bounce"
CHART_NAMES = ("daily", "rates", "cost", "funnel", "abtest")
SENT = "(m.state IN ('sent', 'delivered') OR m.sent_at IS NOT NULL)"

GroupKey = tuple[int, str | None]


def attribution_days(db: sqlite_utils.Database) -> float:
    """Return the attribution window in days (setting ``reports.attribution_days``).

    Args:
        db: the database.

    Returns:
        The window, from 0 to 365 days.
    """
    return float(settings.get_setting(db, ATTRIBUTION_SETTING))


def _zone_name(db: sqlite_utils.Database, tz: str | None) -> str:
    return tz or settings.get_setting(db, "shop.timezone")


# --- buckets in the shop's time zone -------------------------------------------------


def bucket_minutes(zone: ZoneInfo, first: datetime, last: datetime) -> int:
    """Return 60 when every UTC offset of ``zone`` in [first, last] is whole hours.

    Args:
        zone: the shop's zone.
        first: the earliest time to cover (aware).
        last: the latest time to cover (aware).

    Returns:
        60, or 15 when some offset is a half or quarter hour (all real offsets are
        multiples of 15 minutes).
    """
    moment = first - timedelta(days=1)
    while moment <= last + timedelta(days=1):
        offset = moment.astimezone(zone).utcoffset() or timedelta(0)
        if offset % timedelta(hours=1):
            return 15
        moment += timedelta(days=1)
    return 60


def _bucket_sql(column: str, minutes: int) -> str:
    if minutes == 60:
        return f"substr({column}, 1, 13)"
    return (
        f"substr({column}, 1, 14) ||"
        f" printf('%02d', (cast(substr({column}, 15, 2) AS INTEGER) / 15) * 15)"
    )


def _bucket_time(bucket: str) -> str:
    """Turn a bucket prefix (``2024-03-01T10`` or ``...T10:45``) into UTC ISO."""
    return bucket + (":00:00+00:00" if len(bucket) == 13 else ":00+00:00")


def _local_date(bucket: str, zone: ZoneInfo) -> date:
    return parse_utc(_bucket_time(bucket)).astimezone(zone).date()


def midnight_hours(zone: ZoneInfo, first: datetime, last: datetime) -> set[str]:
    """Return the UTC hours (``"18"``) in which a local midnight falls mid-hour.

    Args:
        zone: the shop's zone.
        first: the earliest time to cover (aware).
        last: the latest time to cover (aware).

    Returns:
        Two-digit UTC hours; empty for zones whose offsets are whole hours.
    """
    hours = set()
    moment = first - timedelta(days=1)
    while moment <= last + timedelta(days=1):
        offset = moment.astimezone(zone).utcoffset() or timedelta(0)
        if offset % timedelta(hours=1):
            midnight = (-offset) % timedelta(days=1)
            hours.add(f"{int(midnight.total_seconds()) // 3600:02d}")
        moment += timedelta(days=1)
    return hours


def _midnight_hours(db: sqlite_utils.Database, zone: ZoneInfo) -> set[str]:
    first = db.execute("SELECT min(hour) FROM message_buckets").fetchone()[0]
    last = db.execute("SELECT max(hour) FROM message_buckets").fetchone()[0]
    if first is None:
        return set()
    return midnight_hours(zone, parse_utc(_bucket_time(first)),
                          parse_utc(_bucket_time(last)))  # fmt: skip


def _bucket_size(db: sqlite_utils.Database, zone: ZoneInfo) -> int:
    # Two queries: SQLite answers a lone min() or max() from the index at once,
    # but scans the table for both together.
    first_text = db.execute("SELECT min(queued_at) FROM messages").fetchone()[0]
    last_text = db.execute("SELECT max(queued_at) FROM messages").fetchone()[0]
    if first_text is None:
        return 60
    # Messages are sent after they are queued; a month's margin covers slow sends.
    first = parse_utc(first_text)
    last = parse_utc(last_text) + timedelta(days=31)
    return bucket_minutes(zone, first, last)


def daily_counts(db: sqlite_utils.Database, tz: str | None = None) -> DailyCounts:
    """Return messages per local day by channel and state (the daily chart's data).

    It reads the running per-quarter-hour counts, so it stays fast at scale.

    Args:
        db: the database.
        tz: the IANA zone; defaults to the ``shop.timezone`` setting.

    Returns:
        The counts.
    """
    zone_name = _zone_name(db, tz)
    zone = ZoneInfo(zone_name)
    # message_buckets is kept by triggers (migration 2): counts per UTC hour,
    # channel and state, split in quarters, so this reads thousands of rows, not
    # every message. Quarters matter only in hours where a local midnight falls
    # (zones like UTC+05:30); elsewhere the hour decides the day.
    split = _midnight_hours(db, zone)
    rows = db.execute(
        "SELECT hour, channel, state, q0, q1, q2, q3 FROM message_buckets"
    ).fetchall()

    per_day = _sum_by_local_day(rows, zone, split)

    # Noon of each local day, written with its offset, lands on that same day.
    return bucket_daily_counts(
        (
            (datetime.combine(day, time(12), tzinfo=zone).isoformat(), ch, st, n)
            for (day, ch, st), n in per_day.items()
        ),
        zone_name,
    )


def _sum_by_local_day(
    rows: Iterable[Sequence[Any]], zone: ZoneInfo, split: set[str]
) -> Counter[tuple[date, str, str]]:
    """Add (hour, channel, state, q0..q3) rows into local days."""
    days: dict[str, date] = {}
    per_day: Counter[tuple[date, str, str]] = Counter()

    def add(stamp: str, channel: str, state: str, count: int) -> None:
        day = days.get(stamp)
        if day is None:
            day = days[stamp] = _local_date(stamp, zone)
        per_day[(day, channel, state)] += count

    for hour, channel, state, *quarters in rows:
        if hour[11:13] not in split:
            if any(quarters):
                add(hour, channel, state, sum(quarters))
            continue
        for quarter, count in enumerate(quarters):
            if count:
                add(f"{hour}:{quarter * 15:02d}", channel, state, count)
    return per_day


# --- touches, sales and events -------------------------------------------------------


def _contact_keys(db: sqlite_utils.Database) -> dict[int, frozenset[str]]:
    keys: dict[int, frozenset[str]] = {}
    for row in db.execute(
        "SELECT id, email, emails, phone, phones FROM contacts"
    ).fetchall():
        emails = [row[1], *json.loads(row[2] or "[]")]
        phones = [row[3]]
        phones += [
            p.get("e164") for p in json.loads(row[4] or "[]") if isinstance(p, dict)
        ]
        keys[row[0]] = customer_keys(emails, phones) | {f"c:{row[0]}"}
    return keys


def load_touches(
    db: sqlite_utils.Database, *, since: str | None = None, until: str | None = None
) -> list[Touch]:
    """Return every message that reached someone (state sent or delivered).

    Args:
        db: the database.
        since: only messages sent at or after this UTC ISO time.
        until: only messages sent at or before this UTC ISO time.

    Returns:
        The touches, each with its customer's match keys (the address it went to,
        and every address and number of its contact).
    """
    contact_keys = _contact_keys(db)
    clauses = ["state IN ('sent', 'delivered')", "sent_at IS NOT NULL"]
    params: list[Any] = []
    if since:
        clauses.append("sent_at >= ?")
        params.append(since)
    if until:
        clauses.append("sent_at <= ?")
        params.append(until)
    rows = db.execute(
        "SELECT id, campaign_id, channel, variant, sent_at, contact_id, to_address"
        f" FROM messages WHERE {' AND '.join(clauses)}",
        params,
    ).fetchall()
    touches = []
    for message_id, campaign_id, channel, variant, sent_at, contact_id, to in rows:
        own = customer_keys([to] if channel == "email" else [], [to])
        keys = own | contact_keys.get(contact_id, frozenset())
        touches.append(
            Touch(
                message_id, campaign_id, channel, variant, parse_utc(sent_at),
                contact_id, keys,
            )
        )  # fmt: skip
    return touches


def load_sales(db: sqlite_utils.Database) -> list[Sale]:
    """Return every imported sale as the attribution rule reads it."""
    return [
        Sale(
            row.id,
            parse_utc(row.occurred_at),
            row.amount,
            row.currency,
            customer_keys([row.email_key], [row.phone]),
        )
        for row in sales_store.list_sales(db)
    ]


def attribute(
    db: sqlite_utils.Database, *, window_days: float | None = None
) -> list[Attribution]:
    """Credit every imported sale to the buyer's last message within the window.

    Args:
        db: the database.
        window_days: the window; defaults to the ``reports.attribution_days``
            setting (7 days).

    Returns:
        One attribution per sale (``touch`` None when unattributed).
    """
    window = attribution_days(db) if window_days is None else window_days
    return attribute_sales(load_sales(db), load_touches(db), window)


@dataclass(frozen=True)
class _Event:
    kind: str
    contact: str
    group: GroupKey
    channel: str
    message_id: int | None
    sent_at: datetime | None


def _events(
    db: sqlite_utils.Database, index: TouchIndex, window: timedelta
) -> list[_Event]:
    """Return opt-outs, replies, unsubscribes and bounces tied to a campaign."""
    rows = db.execute(
        "SELECT e.kind, e.message_id, e.contact_id, e.created_at, m.campaign_id,"
        " m.variant, m.channel, m.sent_at, m.contact_id, m.to_address"
        " FROM events e LEFT JOIN messages m ON m.id = e.message_id"
        " WHERE e.kind IN (?, ?, ?, ?)"
        # Sync stores every inbound SMS as a reply, STOP and START included; those
        # keywords are counted as opt-outs/opt-ins, not as replies.
        " AND NOT (e.kind = ? AND json_valid(e.data)"
        " AND coalesce(json_extract(e.data, '$.kind'), '') IN ('opt_out', 'opt_in'))"
        " ORDER BY e.id",
        [EVENT_OPT_OUT, EVENT_REPLY, EVENT_UNSUBSCRIBE, EVENT_BOUNCE, EVENT_REPLY],
    ).fetchall()
    found = []
    for kind, message_id, contact_id, created_at, *message in rows:
        campaign_id, variant, channel, sent_at, m_contact, to = message
        if campaign_id is None and contact_id is not None:
            touch = index.last_before(
                [f"c:{contact_id}"], parse_utc(created_at), window
            )
            if touch is None:
                continue
            t = touch[0]
            campaign_id, variant, channel = t.campaign_id, t.variant, t.channel
            message_id, sent_at, m_contact = t.message_id, t.sent_at.isoformat(), None
        if campaign_id is None:
            continue
        who = contact_id or m_contact
        contact = f"c:{who}" if who is not None else f"to:{to}"
        found.append(
            _Event(
                kind, contact, (campaign_id, variant), channel, message_id,
                parse_utc(sent_at) if sent_at else None,
            )
        )  # fmt: skip
    return found


# --- KPIs ----------------------------------------------------------------------------

_COUNTS_SQL = f"""
SELECT m.campaign_id, m.variant,
  sum(m.channel = 'sms' AND {SENT}),
  sum(m.channel = 'sms' AND m.state = 'delivered'),
  sum(m.channel = 'sms' AND {SENT} AND m.provider IN ({{status}})),
  sum(m.channel = 'sms' AND m.state = 'failed'),
  sum(m.channel = 'sms' AND m.state = 'skipped'),
  sum(CASE WHEN m.channel = 'sms' AND {SENT} THEN m.segments ELSE 0 END),
  sum(CASE WHEN {SENT} THEN m.cost ELSE 0 END),
  sum(m.channel = 'email' AND {SENT}),
  sum(m.channel = 'email' AND m.state = 'failed'),
  sum(m.channel = 'email' AND m.state = 'skipped'),
  sum(m.state = 'unknown'),
  sum(m.state IN ('queued', 'sending')),
  sum({SENT} AND m.provider = 'outbox'),
  count(DISTINCT CASE WHEN {SENT} THEN coalesce(m.contact_id, m.to_address) END),
  count(DISTINCT CASE WHEN m.channel = 'sms' AND {SENT}
        THEN coalesce(m.contact_id, m.to_address) END)
FROM messages m {{where}}
GROUP BY m.campaign_id, m.variant
"""
_COUNT_FIELDS = (
    "sms_sent", "sms_delivered", "sms_status_known", "sms_failed", "sms_skipped",
    "segments", "cost", "email_sent", "email_failed", "email_skipped", "unknown",
    "pending", "outbox_sent", "reached", "sms_reached",
)  # fmt: skip


def _message_counts(
    db: sqlite_utils.Database, campaign_ids: list[int] | None
) -> dict[GroupKey, Kpis]:
    status = ", ".join(f"'{name}'" for name in sorted(STATUS_PROVIDERS))
    where, params = "", []
    if campaign_ids is not None:
        where = f"WHERE m.campaign_id IN ({', '.join('?' * len(campaign_ids))})"
        params = list(campaign_ids)
    groups: dict[GroupKey, Kpis] = {}
    for row in db.execute(_COUNTS_SQL.format(status=status, where=where), params):
        values = {
            name: value or 0 for name, value in zip(_COUNT_FIELDS, row[2:], strict=True)
        }
        groups[(row[0], row[1])] = Kpis(**values)

    failed = db.execute(
        "SELECT m.campaign_id, m.variant, m.channel, m.error_code, m.reason, count(*)"
        f" FROM messages m {where} {'AND' if where else 'WHERE'} m.state = 'failed'"
        " GROUP BY 1, 2, 3, 4, 5",
        params,
    ).fetchall()
    for campaign_id, variant, channel, code, reason, count in failed:
        label = f"{channel}: {reason or 'no reason given'}"
        if code:
            label += f" (error {code})"
        groups[(campaign_id, variant)].failed_by_reason[label] += count
    return groups


def _add_events(groups: dict[GroupKey, Kpis], events: Iterable[_Event]) -> None:
    seen: dict[str, set[tuple[GroupKey, str]]] = defaultdict(set)
    bounced: set[int | None] = set()
    for event in events:
        kpis = groups.setdefault(event.group, Kpis())
        if event.kind == EVENT_BOUNCE:
            if event.message_id not in bounced:
                bounced.add(event.message_id)
                kpis.email_bounced += 1
            continue
        name = {
            EVENT_OPT_OUT: "opted_out",
            EVENT_REPLY: "replied",
            EVENT_UNSUBSCRIBE: "email_unsubscribed",
        }[event.kind]
        names = [name]
        if event.kind == EVENT_OPT_OUT and event.channel == "email":
            names.append("email_unsubscribed")
        if event.kind == EVENT_UNSUBSCRIBE:
            names.append("opted_out")
        for attr in names:
            if (event.group, event.contact) not in seen[attr]:
                seen[attr].add((event.group, event.contact))
                setattr(kpis, attr, getattr(kpis, attr) + 1)


def _add_sales(
    groups: dict[GroupKey, Kpis], attributions: Iterable[Attribution]
) -> None:
    buyers: set[tuple[GroupKey, str]] = set()
    for item in attributions:
        if item.touch is None:
            continue
        group = (item.touch.campaign_id, item.touch.variant)
        kpis = groups.setdefault(group, Kpis())
        kpis.conversions += 1
        kpis.add_revenue(item.sale.currency, item.sale.amount)
        buyer = (group, min(item.sale.keys) if item.sale.keys else str(item.sale.id))
        if item.touch.contact_id is not None:
            buyer = (group, f"c:{item.touch.contact_id}")
        if buyer not in buyers:
            buyers.add(buyer)
            kpis.converted += 1


@dataclass
class CampaignReport:
    """One campaign's results, overall and per A/B variant."""

    campaign_id: int
    campaign: str
    template: str | None
    created_at: str
    kpis: Kpis
    variants: dict[str, Kpis] = field(default_factory=dict)

    def comparison(self) -> AbComparison:
        """Return the variants side by side, tested against the first."""
        results = [VariantResult(name, k) for name, k in sorted(self.variants.items())]
        comparison = AbComparison(self.campaign, results)
        if comparison.is_empty:
            return comparison
        first = results[0]
        measures: dict[str, tuple[str, Callable[[Kpis], tuple[int, int]]]] = {
            "conversion": ("conversion rate", lambda k: (k.converted, k.reached)),
            "reply": ("reply rate", lambda k: (k.replied, k.sms_reached)),
            "opt_out": ("opt-out rate", lambda k: (k.opted_out, k.reached)),
            "delivery": (
                "delivery rate",
                lambda k: (k.sms_delivered, k.sms_status_known),
            ),
        }
        for key, (measure, counts) in measures.items():
            for other in results[1:]:
                a, b = counts(first.kpis), counts(other.kpis)
                if not (a[1] and b[1]):
                    continue
                test = abtest.two_proportion_test(
                    *a, *b, label_a=first.variant, label_b=other.variant
                )
                comparison.tests.setdefault(key, []).append(test)
                comparison.sentences.append(abtest.describe(test, measure))
        return comparison

    def to_json(self) -> dict[str, Any]:
        """Return the campaign as the report's JSON."""
        result: dict[str, Any] = {
            "campaign": self.campaign,
            "campaign_id": self.campaign_id,
            "template": self.template,
            "created_at": self.created_at,
            **self.kpis.to_json(),
        }
        result["variants"] = [
            {"variant": name, **kpis.to_json()}
            for name, kpis in sorted(self.variants.items())
        ]
        comparison = self.comparison()
        result["ab_test"] = None if comparison.is_empty else {
            "tests": {
                key: [
                    {
                        "a": t.label_a, "b": t.label_b,
                        "a_count": [t.successes_a, t.total_a],
                        "b_count": [t.successes_b, t.total_b],
                        "z": None if t.z is None else round(t.z, 4),
                        "p_value": None if t.p_value is None else round(t.p_value, 4),
                    }
                    for t in tests
                ]
                for key, tests in comparison.tests.items()
            },
            "sentences": comparison.sentences,
        }  # fmt: skip
        return result


@dataclass
class Report:
    """Every campaign's KPIs, the overall totals and how sales were attributed."""

    campaigns: list[CampaignReport]
    overall: Kpis
    window_days: float
    sales: int
    attributed: int

    def to_json(self) -> dict[str, Any]:
        """Return the report as the one JSON object ``report --json`` prints."""
        days = self.window_days
        return {
            "campaigns": [c.to_json() for c in self.campaigns],
            "overall": {"campaigns": len(self.campaigns), **self.overall.to_json()},
            "attribution": {
                "window_days": int(days) if float(days).is_integer() else days,
                "source": ATTRIBUTION_SOURCE,
                "rule": "last message (SMS or email) sent to the buyer within the "
                "window before the sale; buyers matched by email or phone",
                "sales": self.sales,
                "attributed": self.attributed,
                "unattributed": self.sales - self.attributed,
                "utm": UTM_NOTE,
            },
        }


def _campaign_rows(
    db: sqlite_utils.Database, campaign: str | int | None
) -> list[dict[str, Any]]:
    sql = (
        "SELECT c.id, c.name, t.name AS template, c.created_at FROM campaigns c"
        " LEFT JOIN templates t ON t.id = c.template_id"
    )
    if isinstance(campaign, int):
        rows = list(db.query(sql + " WHERE c.id = ?", [campaign]))
    elif campaign:
        rows = list(db.query(sql + " WHERE c.name = ?", [campaign]))
    else:
        rows = list(db.query(sql + " ORDER BY c.created_at, c.id"))
    if campaign is not None and not rows:
        raise ValidationError(f"There is no campaign named '{campaign}'.")
    return rows


def build_report(
    db: sqlite_utils.Database,
    *,
    campaign: str | int | None = None,
    window_days: float | None = None,
) -> Report:
    """Return the KPIs of every campaign (or one), with sales attributed.

    Args:
        db: the database.
        campaign: only this campaign, by name or id.
        window_days: the attribution window; default the setting (7 days).

    Returns:
        The report; ``overall`` covers the campaigns listed.

    Raises:
        ValidationError: no campaign has that name or id.
    """
    rows = _campaign_rows(db, campaign)
    ids = [row["id"] for row in rows]
    window = attribution_days(db) if window_days is None else window_days
    groups = _message_counts(db, None if campaign is None else ids)

    touches = load_touches(db)
    index = TouchIndex(touches)
    _add_events(groups, _events(db, index, timedelta(days=window)))
    attributions = attribute_sales(load_sales(db), index, window)
    _add_sales(groups, attributions)

    reports, overall = [], Kpis()
    for row in rows:
        total, variants = Kpis(), {}
        for (campaign_id, variant), kpis in groups.items():
            if campaign_id != row["id"]:
                continue
            total.add(kpis)
            if variant is not None:
                variants[variant] = kpis
        overall.add(total)
        reports.append(
            CampaignReport(
                row["id"], row["name"], row["template"], row["created_at"], total,
                variants if len(variants) > 1 else {},
            )
        )  # fmt: skip

    wanted = set(ids)
    attributed = sum(
        1 for a in attributions if a.touch and a.touch.campaign_id in wanted
    )
    logger.debug(
        "report built: %d campaigns, %d sales", len(reports), len(attributions)
    )
    return Report(reports, overall, window, len(attributions), attributed)


# --- chart data ----------------------------------------------------------------------


def _local_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def rate_series(db: sqlite_utils.Database, tz: str | None = None) -> RateSeries:
    """Return SMS delivery and opt-out rates per local day (the rates chart's data).

    A day is the day the messages were sent; opt-outs count on the day of the
    message they answer, so each day's rate is over that day's recipients.

    Args:
        db: the database.
        tz: the IANA zone; defaults to the ``shop.timezone`` setting.

    Returns:
        The series.
    """
    zone_name = _zone_name(db, tz)
    zone = ZoneInfo(zone_name)
    bucket = _bucket_sql("m.sent_at", _bucket_size(db, zone))
    status = ", ".join(f"'{name}'" for name in sorted(STATUS_PROVIDERS))
    rows = db.execute(
        f"SELECT {bucket} AS b, sum(m.channel = 'sms'),"
        f" sum(m.channel = 'sms' AND m.provider IN ({status})),"
        f" sum(m.channel = 'sms' AND m.provider IN ({status}) AND m.state = 'delivered'),"
        " count(DISTINCT m.campaign_id || ':' || coalesce(m.contact_id, m.to_address))"
        f" FROM messages m WHERE m.sent_at IS NOT NULL AND {SENT} GROUP BY b"
    ).fetchall()
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for b, sent, known, delivered, reached in rows:
        day = parse_utc(_bucket_time(b)).astimezone(zone).date()
        for i, value in enumerate((sent, known, delivered, reached)):
            per_day[day][i] += value or 0

    window = timedelta(days=attribution_days(db))
    index = TouchIndex(load_touches(db)) if rows else TouchIndex([])
    opted: set[tuple[GroupKey, str]] = set()
    for event in _events(db, index, window):
        if event.kind in (EVENT_OPT_OUT, EVENT_UNSUBSCRIBE) and event.sent_at:
            if (event.group, event.contact) in opted:
                continue
            opted.add((event.group, event.contact))
            per_day[event.sent_at.astimezone(zone).date()][4] += 1

    if not per_day:
        return RateSeries(tz=zone_name)
    days = _local_days(min(per_day), max(per_day))
    columns = list(zip(*(per_day.get(day, [0] * 5) for day in days), strict=True))
    return RateSeries(
        zone_name, days, list(columns[0]), list(columns[1]), list(columns[2]),
        list(columns[3]), list(columns[4]),
    )  # fmt: skip


def monthly_cost(db: sqlite_utils.Database, tz: str | None = None) -> MonthlyCost:
    """Return SMS cost and segments per local month (the cost chart's data).

    Args:
        db: the database.
        tz: the IANA zone; defaults to the ``shop.timezone`` setting.

    Returns:
        The months (gaps included) with cost in dollars and segments.
    """
    zone_name = _zone_name(db, tz)
    zone = ZoneInfo(zone_name)
    bucket = _bucket_sql("m.sent_at", _bucket_size(db, zone))
    rows = db.execute(
        f"SELECT {bucket} AS b, sum(m.cost), sum(m.segments) FROM messages m"
        f" WHERE m.channel = 'sms' AND m.sent_at IS NOT NULL AND {SENT} GROUP BY b"
    ).fetchall()
    cost: dict[date, float] = defaultdict(float)
    segments: Counter[date] = Counter()
    for b, amount, count in rows:
        local = parse_utc(_bucket_time(b)).astimezone(zone).date()
        month = local.replace(day=1)
        cost[month] += amount or 0.0
        segments[month] += count or 0
    if not cost:
        return MonthlyCost(tz=zone_name)

    months, month = [], min(cost)
    while month <= max(cost):
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return MonthlyCost(
        zone_name,
        months,
        [round(cost.get(m, 0.0), 4) for m in months],
        [segments.get(m, 0) for m in months],
    )


def funnels(
    db: sqlite_utils.Database, *, campaign: str | int | None = None
) -> list[Funnel]:
    """Return each campaign's funnel: reached → delivered → converted.

    Args:
        db: the database.
        campaign: only this campaign.

    Returns:
        One funnel per campaign, oldest first.
    """
    report = build_report(db, campaign=campaign)
    return [
        Funnel(c.campaign, c.kpis.reached, c.kpis.delivered, c.kpis.converted)
        for c in report.campaigns
    ]


def ab_comparison(
    db: sqlite_utils.Database, *, campaign: str | int | None = None
) -> AbComparison:
    """Return a campaign's A/B variants side by side (the A/B chart's data).

    Args:
        db: the database.
        campaign: the campaign; default the newest campaign that was split.

    Returns:
        The comparison (``is_empty`` when the campaign was not split, or none was).
    """
    report = build_report(db, campaign=campaign)
    split = [c for c in report.campaigns if c.variants]
    if not split:
        name = report.campaigns[-1].campaign if report.campaigns else ""
        return AbComparison(name, [])
    return split[-1].comparison()


def chart_data(
    db: sqlite_utils.Database, name: str, *, campaign: str | int | None = None
) -> Any:
    """Return the data one chart draws.

    Args:
        db: the database.
        name: one of :data:`CHART_NAMES`.
        campaign: for ``funnel`` and ``abtest``, only this campaign.

    Returns:
        ``DailyCounts``, ``RateSeries``, ``MonthlyCost``, ``list[Funnel]`` or
        ``AbComparison``.

    Raises:
        ValidationError: an unknown chart name.
    """
    loaders: dict[str, Callable[[], Any]] = {
        "daily": lambda: daily_counts(db),
        "rates": lambda: rate_series(db),
        "cost": lambda: monthly_cost(db),
        "funnel": lambda: funnels(db, campaign=campaign),
        "abtest": lambda: ab_comparison(db, campaign=campaign),
    }
    if name not in loaders:
        raise ValidationError(
            f"There is no chart named '{name}'. Charts: {', '.join(CHART_NAMES)}."
        )
    return loaders[name]()
