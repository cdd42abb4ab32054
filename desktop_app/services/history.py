"""History: every message Duet queued, sent, skipped or failed, newest first.

:func:`list_history` reads the messages with filters (campaign, dates, channel,
state, tag, a search over the customer's name, phone and email, one contact) a page
at a time (``limit`` and ``offset``); :func:`count_history` counts the same rows, so
the window can page through 100,000 messages without holding them all.
:func:`export_history_csv` writes them for a spreadsheet, every cell safe to open in
Excel. :func:`contact_timeline` is one customer's messages and events (replies,
opt-outs...) in time order.
"""

import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from desktop_app.core.stats import DailyCounts
from desktop_app.errors import ValidationError
from desktop_app.spreadsheet import write_excel_csv
from desktop_app.storage import settings

logger = logging.getLogger(__name__)

CHANNELS = ("sms", "email")
# The states a filter accepts: the stored ones, and "held" (queued but waiting for
# quiet hours to end or for the shop's address).
FILTER_STATES = (
    "queued", "held", "sending", "sent", "delivered", "failed", "skipped", "unknown",
)  # fmt: skip
HELD_SQL = "(m.state = 'queued' AND (m.not_before IS NOT NULL OR m.reason IS NOT NULL))"
EXPORT_PAGE = 2000

_SELECT = """
SELECT m.id, m.campaign_id, c.name AS campaign, t.name AS template,
       m.contact_id,
       coalesce(nullif(k.full_name, ''), nullif(trim(k.first_name || ' ' ||
           k.last_name), ''), nullif(k.company, ''), k.email, '') AS contact,
       m.channel, m.to_address, m.subject, m.state, m.reason, m.segments, m.encoding,
       m.cost, m.provider, m.provider_id, m.error_code, m.queued_at, m.sent_at,
       m.failed_at, m.transactional, m.variant
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
    transactional: bool = False
    variant: str | None = None

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


@dataclass(frozen=True)
class HistoryFilter:
    """Which messages to list; every field left empty means "any".

    Attributes:
        campaign: a campaign's name or id.
        since: queued at or after this time (a date: from that local day's start).
        until: queued before this time (a date: that whole local day included).
        channel: ``sms`` or ``email``.
        state: one of :data:`FILTER_STATES`.
        tag: the contact carries this tag (case-insensitive).
        search: text found in the customer's name, phone or email, or the address
            the message went to.
        contact_id: only this contact's messages.
    """

    campaign: str | int | None = None
    since: date | datetime | str | None = None
    until: date | datetime | str | None = None
    channel: str | None = None
    state: str | None = None
    tag: str | None = None
    search: str | None = None
    contact_id: int | None = None


def _campaign_clause(db: sqlite_utils.Database, campaign: str | int) -> tuple[str, Any]:
    if isinstance(campaign, int):
        return "m.campaign_id = ?", campaign
    row = db.execute("SELECT id FROM campaigns WHERE name = ?", [campaign]).fetchone()
    if row is None:
        raise ValidationError(f"There is no campaign named '{campaign}'.")
    return "m.campaign_id IN (SELECT id FROM campaigns WHERE name = ?)", campaign


def _search_clause(text: str) -> tuple[str, list[Any]]:
    """Match the customer's name, email or phone, or the address written to."""
    needle = f"%{text.lower()}%"
    people = [
        "lower(s.first_name || ' ' || s.last_name) LIKE ?",
        "lower(s.full_name) LIKE ?",
        "lower(coalesce(s.email, '')) LIKE ?",
    ]
    people_params: list[Any] = [needle] * len(people)
    own = ["lower(m.to_address) LIKE ?"]
    own_params: list[Any] = [needle]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 3:
        people.append("coalesce(s.phone, '') LIKE ?")
        people_params.append(f"%{digits}%")
        own.append("m.to_address LIKE ?")
        own_params.append(f"%{digits}%")
    sql = (
        f"(m.contact_id IN (SELECT s.id FROM contacts s WHERE {' OR '.join(people)})"
        f" OR {' OR '.join(own)})"
    )
    return sql, people_params + own_params


def _where(db: sqlite_utils.Database, wanted: HistoryFilter) -> tuple[str, list[Any]]:
    """Return the WHERE text (or "") and its parameters for ``wanted``."""
    zone = ZoneInfo(settings.get_setting(db, "shop.timezone"))
    clauses: list[str] = []
    params: list[Any] = []
    if wanted.campaign is not None and wanted.campaign != "":
        clause, value = _campaign_clause(db, wanted.campaign)
        clauses.append(clause)
        params.append(value)
    if wanted.since is not None:
        clauses.append("m.queued_at >= ?")
        params.append(_bound(wanted.since, zone, end=False))
    if wanted.until is not None:
        clauses.append("m.queued_at < ?")
        params.append(_bound(wanted.until, zone, end=True))
    if wanted.channel:
        if wanted.channel not in CHANNELS:
            raise ValidationError(f"Channel: '{wanted.channel}' is not sms or email.")
        clauses.append("m.channel = ?")
        params.append(wanted.channel)
    if wanted.state:
        if wanted.state not in FILTER_STATES:
            known = ", ".join(FILTER_STATES)
            raise ValidationError(f"State: '{wanted.state}' is not one of {known}.")
        if wanted.state == "held":
            clauses.append(HELD_SQL)
        else:
            clauses.append("m.state = ?")
            params.append(wanted.state)
    if wanted.tag:
        clauses.append(
            "m.contact_id IN (SELECT t.id FROM contacts t WHERE EXISTS (SELECT 1"
            " FROM json_each(t.tags) WHERE lower(json_each.value) = lower(?)))"
        )
        params.append(wanted.tag.strip())
    if wanted.search and wanted.search.strip():
        clause, values = _search_clause(wanted.search.strip())
        clauses.append(clause)
        params += values
    if wanted.contact_id is not None:
        clauses.append("m.contact_id = ?")
        params.append(wanted.contact_id)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_history(
    db: sqlite_utils.Database,
    *,
    campaign: str | int | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    limit: int | None = None,
    offset: int = 0,
    channel: str | None = None,
    state: str | None = None,
    tag: str | None = None,
    search: str | None = None,
    contact_id: int | None = None,
) -> list[HistoryRow]:
    """Return messages, newest first.

    Args:
        campaign: only this campaign, by name or id.
        since: only messages queued at or after this time; a date means from the
            start of that day in the shop's time zone.
        until: only messages queued before this time; a date includes that whole
            day.
        limit: at most this many.
        offset: skip this many first (with ``limit``, a page).
        channel: only ``sms`` or only ``email``.
        state: only this state (see :data:`FILTER_STATES`; ``held`` is a queued
            message waiting for quiet hours or the shop's address).
        tag: only messages to contacts carrying this tag.
        search: only messages whose customer's name, phone or email (or the
            address the message went to) contains this text.
        contact_id: only this contact's messages.

    Returns:
        The messages.

    Raises:
        ValidationError: ``since`` or ``until`` is not a date, no campaign has
            that name, or an unknown channel or state.
    """
    wanted = HistoryFilter(
        campaign, since, until, channel, state, tag, search, contact_id
    )
    return history_page(db, wanted, limit=limit, offset=offset)


def history_page(
    db: sqlite_utils.Database,
    wanted: HistoryFilter,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[HistoryRow]:
    """Return one page of the messages ``wanted`` selects, newest first.

    The page's ids are picked on the messages table alone (the ``queued_at``
    index gives the order), then only those rows are joined with their campaign,
    template and contact, so a page deep in 100,000 messages costs little.

    Args:
        db: the database.
        wanted: the filters.
        limit: at most this many; None for all.
        offset: skip this many first.

    Returns:
        The messages.

    Raises:
        ValidationError: a filter is not valid (see :func:`list_history`).
    """
    where, params = _where(db, wanted)
    ids = f"SELECT m.id FROM messages m{where} ORDER BY m.queued_at DESC, m.id DESC"
    if limit is not None or offset:
        ids += " LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
    sql = f"{_SELECT} WHERE m.id IN ({ids}) ORDER BY m.queued_at DESC, m.id DESC"
    return [_row(row) for row in db.query(sql, params)]


def count_history(db: sqlite_utils.Database, wanted: HistoryFilter) -> int:
    """Return how many messages ``wanted`` selects.

    Args:
        db: the database.
        wanted: the filters.

    Returns:
        The count.

    Raises:
        ValidationError: a filter is not valid (see :func:`list_history`).
    """
    where, params = _where(db, wanted)
    row = db.execute(f"SELECT count(*) FROM messages m{where}", params)
    return int(row.fetchone()[0])


def campaign_states(db: sqlite_utils.Database) -> dict[int, str]:
    """Return each campaign's state (``queued``, ``sending``, ``waiting``...).

    Args:
        db: the database.

    Returns:
        The state by campaign id.
    """
    return {int(r[0]): str(r[1]) for r in db.execute("SELECT id, state FROM campaigns")}


def campaign_names(db: sqlite_utils.Database) -> list[str]:
    """Return the campaigns' names, newest first, each once.

    Args:
        db: the database.

    Returns:
        The names.
    """
    rows = db.execute(
        "SELECT name FROM campaigns GROUP BY name ORDER BY max(id) DESC"
    ).fetchall()
    return [str(row[0]) for row in rows]


def iter_history(
    db: sqlite_utils.Database, wanted: HistoryFilter, *, page: int = EXPORT_PAGE
) -> Iterator[HistoryRow]:
    """Yield every message ``wanted`` selects, newest first, a page at a time.

    Args:
        db: the database.
        wanted: the filters.
        page: rows read per query.

    Yields:
        The messages.
    """
    offset = 0
    while True:
        rows = history_page(db, wanted, limit=page, offset=offset)
        yield from rows
        if len(rows) < page:
            return
        offset += page


def export_history_csv(
    db: sqlite_utils.Database, wanted: HistoryFilter, path: Path
) -> int:
    """Write the messages ``wanted`` selects to a CSV file, safe to open in Excel.

    The file is UTF-8 with a byte-order mark (Excel then reads accents right); a
    cell that a spreadsheet would run as a formula (``= + - @``, a tab or a
    carriage return first) is written with a leading ``'``. The columns are the
    keys of :meth:`HistoryRow.to_json`.

    Args:
        db: the database.
        wanted: the filters.
        path: the file to write.

    Returns:
        How many messages were written.

    Raises:
        ValidationError: a filter is not valid.
        StorageError: the file cannot be written.
    """
    header = list(HistoryRow.__dataclass_fields__)
    count = write_excel_csv(
        path,
        header,
        ([row.to_json()[name] for name in header] for row in iter_history(db, wanted)),
        what="the history",
    )
    logger.info("history exported: %d messages", count)
    return count


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened with a customer: a message or an event.

    Attributes:
        at: when (UTC ISO text): sent, failed or queued for a message; received
            or recorded for an event.
        kind: ``message`` or the event's kind (``reply``, ``opt_out``, ``opt_in``,
            ``help``, ``review``, ``bounce``, ``unsubscribe``...).
        channel: ``sms`` or ``email`` (for events, as far as known).
        title: a short line such as ``SMS sent`` or ``Reply``.
        detail: the campaign and reason, or the reply's text.
        message_id: the message, when there is one.
    """

    at: str
    kind: str
    channel: str
    title: str
    detail: str
    message_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the entry as a dict."""
        return asdict(self)


_EVENT_TITLES = {
    "reply": "Reply",
    "opt_out": "Opted out",
    "opt_in": "Opted in",
    "help": "Asked for help",
    "review": "Reply to review (may mean stop)",
    "bounce": "Email bounced",
    "unsubscribe": "Unsubscribed from email",
}
_EVENT_CHANNELS = {"bounce": "email", "unsubscribe": "email"}


def contact_timeline(db: sqlite_utils.Database, contact_id: int) -> list[TimelineEntry]:
    """Return one customer's messages and events, oldest first.

    Args:
        db: the database.
        contact_id: the contact.

    Returns:
        The entries in time order.
    """
    entries = []
    for row in history_page(db, HistoryFilter(contact_id=contact_id)):
        at = row.sent_at or row.failed_at or row.queued_at
        channel = "SMS" if row.channel == "sms" else "Email"
        detail = f"Campaign {row.campaign}"
        if row.reason:
            detail += f": {row.reason}"
        entries.append(
            TimelineEntry(
                at, "message", row.channel, f"{channel} {row.state}", detail, row.id
            )
        )
    events = db.execute(
        "SELECT e.kind, e.message_id, e.body, e.data, e.created_at, m.channel"
        " FROM events e LEFT JOIN messages m ON m.id = e.message_id"
        " WHERE e.contact_id = ? ORDER BY e.id",
        [contact_id],
    ).fetchall()
    for kind, message_id, body, data, created_at, channel in events:
        try:
            extra = json.loads(data or "{}")
        except ValueError:
            extra = {}
        at = extra.get("received_at") if isinstance(extra, dict) else None
        entries.append(
            TimelineEntry(
                str(at or created_at),
                str(kind),
                _EVENT_CHANNELS.get(kind, channel or "sms"),
                _EVENT_TITLES.get(kind, str(kind).replace("_", " ").capitalize()),
                body or "",
                message_id,
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries


def _row(row: dict[str, Any]) -> HistoryRow:
    values = dict(row)
    values["to"] = values.pop("to_address")
    values["transactional"] = bool(values.get("transactional"))
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


# --- activity: replies, opt-outs, HELP and replies for the owner to decide ----------

ACTIVITY_KINDS = (
    "reply",
    "opt_out",
    "opt_in",
    "help",
    "review",
    "bounce",
    "unsubscribe",
)
DECISION_KIND = "review_decision"
TREAT_AS_OPT_OUT = "opt_out"
NOT_AN_OPT_OUT = "not_opt_out"


@dataclass(frozen=True)
class ActivityEvent:
    """One thing a customer did, as the Activity page lists it.

    Attributes:
        id: the event's id.
        kind: one of :data:`ACTIVITY_KINDS`.
        at: when it was received or recorded (UTC ISO text).
        contact_id: the customer, when the number or address is known.
        contact: the customer's name (or "" when unknown).
        sender: the number or address it came from, when known.
        body: the reply's text.
        evidence: why Duet read it so (the matched keyword or an explanation).
        decision: for a ``review``: None until the owner decides, then
            :data:`TREAT_AS_OPT_OUT` or :data:`NOT_AN_OPT_OUT`.
        channel: ``sms`` for a text, ``email`` for a mail from the mailbox.
    """

    id: int
    kind: str
    at: str
    contact_id: int | None
    contact: str
    sender: str
    body: str
    evidence: str
    decision: str | None = None
    channel: str = "sms"

    def to_json(self) -> dict[str, Any]:
        """Return the event as a dict."""
        return asdict(self)


def list_activity(
    db: sqlite_utils.Database,
    *,
    kinds: tuple[str, ...] = ACTIVITY_KINDS,
    undecided_only: bool = False,
    limit: int = 500,
) -> list[ActivityEvent]:
    """Return the newest customer events (replies, opt-outs, HELP, reviews...).

    Args:
        db: the database.
        kinds: only these kinds.
        undecided_only: only ``review`` events the owner has not decided yet.
        limit: at most this many.

    Returns:
        The events, newest first.
    """
    marks = ", ".join("?" * len(kinds))
    sql = (
        "SELECT e.id, e.kind, e.created_at, e.contact_id, e.body, e.data,"
        " coalesce(nullif(k.full_name, ''), nullif(trim(k.first_name || ' ' ||"
        "  k.last_name), ''), k.email, '') AS contact, k.phone,"
        " (SELECT json_extract(d.data, '$.decision') FROM events d"
        "  WHERE d.kind = ? AND json_valid(d.data)"
        "  AND json_extract(d.data, '$.review_event_id') = e.id"
        "  ORDER BY d.id DESC LIMIT 1) AS decision"
        " FROM events e LEFT JOIN contacts k ON k.id = e.contact_id"
        f" WHERE e.kind IN ({marks})"
    )
    params: list[Any] = [DECISION_KIND, *kinds]
    if undecided_only:
        sql = f"SELECT * FROM ({sql}) WHERE kind = 'review' AND decision IS NULL"
    sql += " ORDER BY 1 DESC LIMIT ?"
    params.append(limit)
    found = []
    for row in db.execute(sql, params).fetchall():
        event_id, kind, created_at, contact_id, body, data, contact, phone, decided = (
            row
        )
        extra = _event_data(data)
        evidence = str(extra.get("explanation") or extra.get("matched") or "")
        found.append(
            ActivityEvent(
                int(event_id),
                str(kind),
                str(extra.get("received_at") or created_at),
                contact_id,
                str(contact or ""),
                str(extra.get("from") or phone or ""),
                str(body or ""),
                evidence,
                decided,
                "email" if extra.get("channel") == "email" else "sms",
            )
        )
    return found


def decide_review(
    db: sqlite_utils.Database, event_id: int, *, opt_out: bool, note: str = ""
) -> None:
    """Record the owner's decision on a reply flagged for review.

    "Treat as opt-out" records an opt-out of the channel the reply came by (an SMS
    reply: SMS; a mail: email; a reply asking to stop only the other channel, such
    as "stop the emails" by text: that one) in the consent ledger, with the reply
    and the owner's note as evidence, and an ``opt_out`` event tied to the same message,
    so reports count it; "Not an opt-out" changes nothing but the record that it
    was decided.

    Args:
        db: the database.
        event_id: the ``review`` event.
        opt_out: True to treat the reply as an opt-out.
        note: the owner's words, kept as evidence.

    Raises:
        ValidationError: no review event has that id, it was decided already, or
            it names no contact (an opt-out needs one).
    """
    from desktop_app.storage import consent as consent_store
    from desktop_app.storage import messages as message_store

    row = db.execute(
        "SELECT contact_id, message_id, body, data FROM events"
        " WHERE id = ? AND kind = ?",
        [event_id, "review"],
    ).fetchone()
    if row is None:
        raise ValidationError(f"There is no reply to review with number {event_id}.")
    contact_id, message_id, body, data = row
    earlier = db.execute(
        "SELECT json_extract(data, '$.decision') FROM events WHERE kind = ?"
        " AND json_valid(data) AND json_extract(data, '$.review_event_id') = ?"
        " ORDER BY id DESC LIMIT 1",
        [DECISION_KIND, event_id],
    ).fetchone()
    if earlier is not None:
        what = "an opt-out" if earlier[0] == TREAT_AS_OPT_OUT else "not an opt-out"
        raise ValidationError(
            f"Reply {event_id} was already decided as {what}. To change the "
            "customer's consent, use the contact's page (or: consent set)."
        )
    extra = _event_data(data)
    arrival = "email" if extra.get("channel") == "email" else "sms"
    # A reply asking to stop only the other channel ("stop the emails" by text)
    # opts out of that one.
    asks = extra.get("asks_channel")
    channel = asks if asks in ("sms", "email") else arrival
    if opt_out and contact_id is None:
        raise ValidationError(
            "This reply came from a number no contact has, so there is nobody to "
            "opt out."
        )
    decision = TREAT_AS_OPT_OUT if opt_out else NOT_AN_OPT_OUT

    if opt_out:
        kind = "email" if arrival == "email" else "SMS"
        quoted = json.dumps(body or "", ensure_ascii=False)
        evidence = f"owner decided the {kind} reply {quoted} is an opt-out"
        consent_store.set_consent_manually(
            db, contact_id, channel, "opted_out", f"{evidence}. {note}".strip()
        )
        message_store.add_event(
            db,
            "unsubscribe" if channel == "email" else "opt_out",
            contact_id=contact_id,
            message_id=message_id,
            body=body or "",
            data={
                "source": "review",
                "review_event_id": event_id,
                "note": note,
                "channel": channel,
            },
        )
    message_store.add_event(
        db,
        DECISION_KIND,
        contact_id=contact_id,
        message_id=message_id,
        data={"review_event_id": event_id, "decision": decision, "note": note},
    )
    _release_after_decision(db, contact_id, channel)
    logger.debug("review %d decided: %s", event_id, decision)


def _release_after_decision(
    db: sqlite_utils.Database, contact_id: int | None, channel: str
) -> None:
    """Let messages that waited for this decision go (or be skipped, if opted out).

    Only when no other flagged reply of the contact still waits on that channel.
    """
    from desktop_app.services import compliance
    from desktop_app.storage import messages as message_store

    if contact_id is None or contact_id in compliance.awaiting_review(db)[channel]:
        return
    with db.conn:
        released = message_store.release_review_holds(db, contact_id, channel)
    if released:
        logger.debug("%d messages no longer wait for a decision", released)


def _event_data(data: str | None) -> dict[str, Any]:
    """Return an event's ``data`` JSON as a dict ({} when missing or unreadable)."""
    try:
        extra = json.loads(data or "{}")
    except ValueError:
        return {}
    return extra if isinstance(extra, dict) else {}
