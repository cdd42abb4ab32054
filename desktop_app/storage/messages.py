"""Campaigns and their messages: the send queue and its recorded history.

A plan is written as one ``campaigns`` row and its ``messages`` rows in one
transaction. The unique key on (campaign, contact, channel) makes a second queue of the
same rows impossible. Each state change is committed at once (``mark_sent`` may ride on
the next claim's commit), so the record before and after a provider call survives a
crash: ``queued → sending → sent | failed | unknown``, ``skipped`` from the start, and
later ``sent → delivered | failed`` from the delivery status sync. A row found in
``sending`` after an interruption, or ``unknown`` while a check with the provider is
pending, is "in doubt" until that check confirms it, queues it again, or leaves it
``unknown`` for the owner.

Also here: the events table (replies, opt-outs, flags for the owner), warnings the
provider gave about a contact, and internal values kept in the settings table under
keys starting with ``_`` (the last sync time, a campaign's sending lease), which
``storage.settings`` never shows.
"""

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import sqlite_utils

from desktop_app.core.planning import (
    NO_ADDRESS,
    QUIET_AFTER_REVIEW,
    REVIEW_REASONS,
    PlannedMessage,
)
from desktop_app.errors import StorageError, ValidationError
from desktop_app.storage.database import utc_now

STATES = ("queued", "sending", "sent", "delivered", "failed", "skipped", "unknown")

# A queued message may go: not held for quiet hours past the given time (parameter
# 1), nor waiting for the shop's postal address or the owner's decision on a reply
# (the reasons in _WAITING; release_address_holds and release_review_holds let
# those go).
_WAITING: Final = (NO_ADDRESS, *REVIEW_REASONS)
_READY = (
    "((not_before IS NULL OR not_before <= ?)"
    f" AND coalesce(reason, '') NOT IN ({', '.join('?' for _ in _WAITING)}))"
)


@dataclass(frozen=True)
class MessageRow:
    """One stored message."""

    id: int
    campaign_id: int
    contact_id: int | None
    channel: str
    to: str
    subject: str
    body: str
    html: str
    encoding: str | None
    segments: int
    cost: float
    state: str
    reason: str | None
    provider: str
    provider_id: str | None
    error_code: str | None
    queued_at: str
    sending_at: str | None
    sent_at: str | None
    failed_at: str | None
    not_before: str | None = None


@dataclass(frozen=True)
class Campaign:
    """One stored campaign."""

    id: int
    name: str
    template_id: int
    audience: dict[str, Any]
    state: str
    created_at: str
    finished_at: str | None
    provider_sms: str = "outbox"
    provider_email: str = "outbox"
    scheduled_at: str | None = None


def _message_from_row(row: dict[str, Any]) -> MessageRow:
    return MessageRow(
        id=row["id"],
        campaign_id=row["campaign_id"],
        contact_id=row["contact_id"],
        channel=row["channel"],
        to=row["to_address"],
        subject=row["subject"],
        body=row["body"],
        html=row["html"],
        encoding=row["encoding"],
        segments=row["segments"],
        cost=row["cost"],
        state=row["state"],
        reason=row["reason"],
        provider=row["provider"],
        provider_id=row["provider_id"],
        error_code=row["error_code"],
        queued_at=row["queued_at"],
        sending_at=row["sending_at"],
        sent_at=row["sent_at"],
        failed_at=row["failed_at"],
        not_before=row.get("not_before"),
    )


def create_campaign(
    db: sqlite_utils.Database,
    *,
    name: str,
    template_id: int,
    audience: dict[str, Any],
    messages: Iterable[PlannedMessage],
    provider_sms: str = "outbox",
    provider_email: str = "outbox",
) -> int:
    """Write a campaign and all its messages in one transaction.

    Messages to send are ``queued``; messages the plan skips are ``skipped`` with
    their reason.

    Args:
        name: the campaign's name, shown in History.
        template_id: the template it sends.
        audience: how the contacts were chosen, stored as JSON.
        messages: the plan's messages.
        provider_sms: the SMS provider's short name.
        provider_email: the email provider's short name.

    Returns:
        The new campaign's id.

    Raises:
        StorageError: the rows could not be written; nothing was kept.
    """
    now = utc_now()
    try:
        with db.conn:
            cursor = db.conn.execute(
                "INSERT INTO campaigns (name, template_id, audience, state,"
                " provider_sms, provider_email, created_at)"
                " VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                [name, template_id, json.dumps(audience), provider_sms,
                 provider_email, now],
            )  # fmt: skip
            campaign_id = int(cursor.lastrowid or 0)
            _insert_messages(db, campaign_id, messages, now)
    except sqlite3.Error as error:
        raise StorageError(
            f"Duet could not queue campaign '{name}'.", detail=str(error)
        ) from error
    return campaign_id


def _insert_messages(
    db: sqlite_utils.Database,
    campaign_id: int,
    messages: Iterable[PlannedMessage],
    now: str,
) -> None:
    rows = [
        (
            campaign_id, m.contact_id, m.channel, m.to, m.subject, m.body, m.html,
            m.encoding, m.segments, m.cost, "queued" if m.is_queued else "skipped",
            m.reason, now, m.not_before_text, int(m.transactional), m.variant,
        )
        for m in messages
    ]  # fmt: skip
    db.conn.executemany(
        "INSERT INTO messages (campaign_id, contact_id, channel, to_address, subject,"
        " body, html, encoding, segments, cost, state, reason, queued_at, not_before,"
        " transactional, variant)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def add_messages(
    db: sqlite_utils.Database, campaign_id: int, messages: Iterable[PlannedMessage]
) -> None:
    """Queue more messages into an existing campaign, all or none.

    Raises:
        ValidationError: a contact already has a message on that channel in this
            campaign; a campaign never sends the same message twice. Nothing is kept.
    """
    try:
        with db.conn:
            _insert_messages(db, campaign_id, messages, utc_now())
    except sqlite3.IntegrityError as error:
        raise ValidationError(
            f"Campaign {campaign_id} already holds these messages; "
            "a campaign is never sent twice.",
            detail=str(error),
        ) from error


def campaign_name_taken(db: sqlite_utils.Database, name: str) -> bool:
    """Return True when a campaign already has ``name``."""
    row = db.execute("SELECT 1 FROM campaigns WHERE name = ?", [name]).fetchone()
    return row is not None


def get_campaign(db: sqlite_utils.Database, campaign_id: int) -> Campaign:
    """Return one campaign.

    Raises:
        ValidationError: no campaign has that id.
    """
    rows = list(db.query("SELECT * FROM campaigns WHERE id = ?", [campaign_id]))
    if not rows:
        raise ValidationError(f"There is no campaign number {campaign_id}.")
    row = rows[0]
    return Campaign(
        id=row["id"],
        name=row["name"],
        template_id=row["template_id"],
        audience=json.loads(row["audience"] or "{}"),
        state=row["state"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        provider_sms=row["provider_sms"],
        provider_email=row["provider_email"],
        scheduled_at=row["scheduled_at"],
    )


def set_campaign_state(
    db: sqlite_utils.Database, campaign_id: int, state: str, *, finished: bool = False
) -> None:
    """Record a campaign's state (``queued``, ``sending``, ``paused``, ``finished``).

    Args:
        finished: also stamp ``finished_at``, unless an earlier run already did.
    """
    with db.conn:
        db.conn.execute(
            "UPDATE campaigns SET state = ?, finished_at = coalesce(finished_at, ?)"
            " WHERE id = ?",
            [state, utc_now() if finished else None, campaign_id],
        )


def queued_messages(
    db: sqlite_utils.Database,
    campaign_id: int,
    *,
    after_id: int = 0,
    limit: int = 500,
    channel: str | None = None,
    ready_at: str | None = None,
) -> list[MessageRow]:
    """Return queued messages of a campaign in sending order, after ``after_id``.

    Args:
        channel: only this channel (``sms`` or ``email``); None for both.
        ready_at: only messages that may go at this time (UTC ISO text): not held
            for quiet hours beyond it, nor waiting for the shop's address.
    """
    sql = "SELECT * FROM messages WHERE campaign_id = ? AND state = 'queued' AND id > ?"
    params: list[Any] = [campaign_id, after_id]
    if ready_at is not None:
        sql += f" AND {_READY}"
        params += [ready_at, *_WAITING]
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    rows = db.query(sql + " ORDER BY id LIMIT ?", [*params, limit])
    return [_message_from_row(row) for row in rows]


def count_held(db: sqlite_utils.Database, campaign_id: int, now: str) -> int:
    """Return how many queued messages of a campaign may not go yet at ``now``."""
    row = db.execute(
        f"SELECT count(*) FROM messages WHERE campaign_id = ? AND state = 'queued'"
        f" AND NOT {_READY}",
        [campaign_id, now, *_WAITING],
    ).fetchone()
    return int(row[0])


def count_waiting_for_address(
    db: sqlite_utils.Database, campaign_id: int | None = None
) -> int:
    """Return how many queued emails wait for the shop's address.

    Args:
        campaign_id: count one campaign's; None for every campaign.
    """
    sql = "SELECT count(*) FROM messages WHERE state = 'queued' AND reason = ?"
    params: list[Any] = [NO_ADDRESS]
    if campaign_id is not None:
        sql += " AND campaign_id = ?"
        params.append(campaign_id)
    return int(db.execute(sql, params).fetchone()[0])


def release_address_holds(
    db: sqlite_utils.Database, refooter: Callable[[str, str], tuple[str, str]]
) -> int:
    """Let every email that waited for the shop's postal address go, all or none.

    Args:
        refooter: given an email's stored text and HTML, returns them with the
            footer that carries the address.

    Returns:
        How many emails were released.
    """
    rows = db.execute(
        "SELECT id, body, html FROM messages WHERE state = 'queued' AND reason = ?",
        [NO_ADDRESS],
    ).fetchall()
    if not rows:
        return 0

    updates = [
        (*refooter(body or "", html or ""), NO_ADDRESS, row_id)
        for row_id, body, html in rows
    ]
    with db.conn:
        db.conn.executemany(
            "UPDATE messages SET body = ?, html = ?, reason = NULL"
            " WHERE reason = ? AND state = 'queued' AND id = ?",
            updates,
        )
    return len(rows)


def wait_queued(db: sqlite_utils.Database, message_id: int, reason: str) -> None:
    """Keep a queued message waiting with one of the waiting reasons.

    Args:
        reason: ``planning.NO_ADDRESS`` (the shop's postal address) or one of
            ``planning.REVIEW_REASONS`` (the owner's decision on a reply).
    """
    with db.conn:
        db.conn.execute(
            "UPDATE messages SET reason = ? WHERE id = ? AND state = 'queued'",
            [reason, message_id],
        )


def hold_for_review(
    db: sqlite_utils.Database, contact_id: int, channel: str, reason: str
) -> int:
    """Make a contact's queued messages on ``channel`` wait for a decision.

    Caller's transaction; called when a reply that may mean stop arrives, so
    History says at once why they wait. Emails waiting for the shop's address
    keep that reason (the check before sending holds them for the decision too).

    Returns:
        How many messages now wait.
    """
    waiting = (NO_ADDRESS, *REVIEW_REASONS)
    marks = ", ".join("?" for _ in waiting)
    cursor = db.conn.execute(
        "UPDATE messages SET reason = ? WHERE state = 'queued' AND contact_id = ?"
        f" AND channel = ? AND coalesce(reason, '') NOT IN ({marks})",
        [reason, contact_id, channel, *waiting],
    )
    return cursor.rowcount


def release_review_holds(
    db: sqlite_utils.Database, contact_id: int, channel: str
) -> int:
    """Let a contact's messages on ``channel`` that waited for a decision go.

    Caller's transaction. Consent is checked again just before each is sent, so
    one the decision opted out is skipped then.

    Returns:
        How many were released.
    """
    marks = ", ".join("?" for _ in REVIEW_REASONS)
    cursor = db.conn.execute(
        "UPDATE messages SET reason = CASE WHEN not_before > ? THEN ? END"
        " WHERE state = 'queued' AND contact_id = ?"
        f" AND channel = ? AND reason IN ({marks})",
        [utc_now(), QUIET_AFTER_REVIEW, contact_id, channel, *REVIEW_REASONS],
    )
    return cursor.rowcount


def count_waiting_for_review(
    db: sqlite_utils.Database, campaign_id: int | None = None
) -> int:
    """Return how many queued messages wait for the owner's decision on a reply.

    Args:
        campaign_id: count one campaign's; None for every campaign.
    """
    marks = ", ".join("?" for _ in REVIEW_REASONS)
    sql = (
        f"SELECT count(*) FROM messages WHERE state = 'queued' AND reason IN ({marks})"
    )
    params: list[Any] = list(REVIEW_REASONS)
    if campaign_id is not None:
        sql += " AND campaign_id = ?"
        params.append(campaign_id)
    return int(db.execute(sql, params).fetchone()[0])


def set_queued_email_content(
    db: sqlite_utils.Database, message_id: int, text: str, html: str
) -> None:
    """Store a queued email's final text and HTML just before it is sent."""
    with db.conn:
        db.conn.execute(
            "UPDATE messages SET body = ?, html = ? WHERE id = ? AND state = 'queued'",
            [text, html, message_id],
        )


def campaign_messages(db: sqlite_utils.Database, campaign_id: int) -> list[MessageRow]:
    """Return every message of a campaign, in sending order."""
    rows = db.query(
        "SELECT * FROM messages WHERE campaign_id = ? ORDER BY id", [campaign_id]
    )
    return [_message_from_row(row) for row in rows]


def count_by_state(db: sqlite_utils.Database, campaign_id: int) -> dict[str, int]:
    """Return how many messages of a campaign are in each state (all states)."""
    counts = dict.fromkeys(STATES, 0)
    rows = db.execute(
        "SELECT state, count(*) FROM messages WHERE campaign_id = ? GROUP BY state",
        [campaign_id],
    ).fetchall()
    counts.update({state: int(count) for state, count in rows})
    return counts


def sent_totals(db: sqlite_utils.Database, campaign_id: int) -> tuple[int, float]:
    """Return the SMS segments and the cost of a campaign's sent messages."""
    row = db.execute(
        "SELECT coalesce(sum(segments), 0), coalesce(sum(cost), 0) FROM messages"
        " WHERE campaign_id = ? AND state IN ('sent', 'delivered')",
        [campaign_id],
    ).fetchone()
    return int(row[0]), round(float(row[1]), 4)


def _update(
    db: sqlite_utils.Database, sql: str, params: list[Any], *, commit: bool = True
) -> bool:
    if not commit:
        return db.conn.execute(sql, params).rowcount == 1
    with db.conn:
        cursor = db.conn.execute(sql, params)
    return cursor.rowcount == 1


def mark_sending(db: sqlite_utils.Database, message_id: int, provider: str) -> bool:
    """Claim a queued message for sending and commit it before the provider call.

    Returns:
        True when this caller claimed it; False when it was no longer queued.
    """
    return _update(
        db,
        "UPDATE messages SET state = 'sending', sending_at = ?, provider = ?"
        " WHERE id = ? AND state = 'queued'",
        [utc_now(), provider, message_id],
    )


def skip_queued(db: sqlite_utils.Database, message_id: int, reason: str) -> bool:
    """Skip a still-queued message for ``reason`` (e.g. an opt-out since queueing).

    Returns:
        True when the message was queued and is now skipped.
    """
    return _update(
        db,
        "UPDATE messages SET state = 'skipped', reason = ?"
        " WHERE id = ? AND state = 'queued'",
        [reason, message_id],
    )


def hold_queued(
    db: sqlite_utils.Database, message_id: int, not_before: str, reason: str
) -> bool:
    """Keep a queued message waiting until ``not_before`` (UTC ISO), saying why."""
    return _update(
        db,
        "UPDATE messages SET not_before = ?, reason = ? WHERE id = ? AND state = 'queued'",
        [not_before, reason, message_id],
    )


def send_time_facts(
    db: sqlite_utils.Database, message_id: int
) -> tuple[bool, str, str | None]:
    """Return (transactional, contact time zone, consent status) for one message.

    The consent status is the newest for the message's channel, or None when the
    contact has no consent row (or is gone).
    """
    row = db.execute(
        "SELECT m.transactional, coalesce(c.timezone, ''),"
        " (SELECT status FROM consent k WHERE k.contact_id = m.contact_id"
        "  AND k.channel = m.channel ORDER BY k.id DESC LIMIT 1)"
        " FROM messages m LEFT JOIN contacts c ON c.id = m.contact_id"
        " WHERE m.id = ?",
        [message_id],
    ).fetchone()
    if row is None:
        return False, "", None
    return bool(row[0]), str(row[1]), row[2]


def mark_sent(
    db: sqlite_utils.Database,
    message_id: int,
    *,
    provider_id: str,
    cost: float | None = None,
    commit: bool = True,
) -> None:
    """Record that the provider accepted a message (with its id and price).

    Args:
        commit: False leaves the change in the open transaction, for the caller's
            next commit (the send loop commits it with the next message's claim).
    """
    _update(
        db,
        "UPDATE messages SET state = 'sent', sent_at = ?, provider_id = ?,"
        " cost = coalesce(?, cost) WHERE id = ? AND state = 'sending'",
        [utc_now(), provider_id, cost, message_id],
        commit=commit,
    )


def mark_failed(
    db: sqlite_utils.Database,
    message_id: int,
    *,
    reason: str,
    error_code: str | None = None,
) -> None:
    """Record that the provider refused a message; it costs nothing."""
    _update(
        db,
        "UPDATE messages SET state = 'failed', failed_at = ?, reason = ?,"
        " error_code = ?, cost = 0 WHERE id = ? AND state = 'sending'",
        [utc_now(), reason, error_code, message_id],
    )


def release_to_queue(db: sqlite_utils.Database, message_id: int) -> None:
    """Put a message the provider never accepted back in the queue."""
    _update(
        db,
        "UPDATE messages SET state = 'queued', sending_at = NULL"
        " WHERE id = ? AND state = 'sending'",
        [message_id],
    )


def mark_interrupted(
    db: sqlite_utils.Database, campaign_id: int, *, reason: str
) -> int:
    """Turn messages left in ``sending`` (after a crash) into ``unknown``.

    Returns:
        How many messages were changed.
    """
    with db.conn:
        cursor = db.conn.execute(
            "UPDATE messages SET state = 'unknown', reason = ?"
            " WHERE campaign_id = ? AND state = 'sending'",
            [reason, campaign_id],
        )
    return int(cursor.rowcount)


def mark_unknown(
    db: sqlite_utils.Database,
    message_id: int,
    *,
    reason: str,
    error_code: str | None = None,
) -> None:
    """Record that a message may or may not have gone out (no answer came back).

    A message already ``unknown`` gets the new reason.
    """
    _update(
        db,
        "UPDATE messages SET state = 'unknown', reason = ?,"
        " error_code = coalesce(?, error_code)"
        " WHERE id = ? AND state IN ('sending', 'unknown')",
        [reason, error_code, message_id],
    )


def messages_in_doubt(
    db: sqlite_utils.Database, campaign_id: int, *, checking_reason: str
) -> list[MessageRow]:
    """Return the messages whose fate must be asked of the provider, in order.

    These are rows left in ``sending`` (a crash or a kill mid-call) and ``unknown``
    rows still waiting for that check (their reason is ``checking_reason``).
    """
    rows = db.query(
        "SELECT * FROM messages WHERE campaign_id = ? AND (state = 'sending'"
        " OR (state = 'unknown' AND reason = ?)) ORDER BY id",
        [campaign_id, checking_reason],
    )
    return [_message_from_row(row) for row in rows]


def confirm_sent(
    db: sqlite_utils.Database,
    message_id: int,
    *,
    provider_id: str,
    sent_at: str | None = None,
    cost: float | None = None,
) -> bool:
    """Record that the provider's own record shows a message in doubt was sent.

    Returns:
        True when the row was in doubt (``sending`` or ``unknown``) and is now sent.
    """
    return _update(
        db,
        "UPDATE messages SET state = 'sent', sent_at = coalesce(?, ?),"
        " provider_id = ?, reason = NULL, error_code = NULL, cost = coalesce(?, cost)"
        " WHERE id = ? AND state IN ('sending', 'unknown')",
        [sent_at, utc_now(), provider_id, cost, message_id],
    )


def requeue(db: sqlite_utils.Database, message_id: int) -> bool:
    """Put a message in doubt back in the queue, once the provider showed no trace.

    Returns:
        True when the row was in doubt and is queued again.
    """
    return _update(
        db,
        "UPDATE messages SET state = 'queued', sending_at = NULL, reason = NULL,"
        " error_code = NULL WHERE id = ? AND state IN ('sending', 'unknown')",
        [message_id],
    )


def provider_ids_in_use(
    db: sqlite_utils.Database, provider: str, candidates: Iterable[str]
) -> set[str]:
    """Return which of ``candidates`` already belong to a stored message."""
    wanted = list(candidates)
    if not wanted:
        return set()
    marks = ", ".join("?" for _ in wanted)
    rows = db.execute(
        "SELECT provider_id FROM messages WHERE provider = ?"
        f" AND provider_id IN ({marks})",
        [provider, *wanted],
    ).fetchall()
    return {row[0] for row in rows}


def unfinished_campaigns(
    db: sqlite_utils.Database, *, checking_reason: str, now: str
) -> list[Campaign]:
    """Return campaigns a run did not finish, oldest first.

    A campaign is unfinished when any of its messages is ``queued`` and may go at
    ``now`` (held ones count once their time has come), was left in ``sending``, or
    is ``unknown`` waiting for a check with the provider (its reason is
    ``checking_reason``).
    """
    ids = [
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT campaign_id FROM messages WHERE"
            f" (state = 'queued' AND {_READY}) OR state = 'sending'"
            f" OR (state = 'unknown' AND reason = ?) ORDER BY campaign_id",
            [now, *_WAITING, checking_reason],
        ).fetchall()
    ]
    return [get_campaign(db, campaign_id) for campaign_id in ids]


def claim_lease(
    db: sqlite_utils.Database,
    key: str,
    holder: dict[str, Any],
    *,
    may_take: Callable[[dict[str, Any]], bool],
) -> dict[str, Any] | None:
    """Take an internal lease (a settings row) unless someone else holds it.

    Read and write happen in one ``BEGIN IMMEDIATE`` transaction, so two processes
    never both take it.

    Args:
        key: the internal key (starts with ``_``).
        holder: who takes it; stored as JSON. Its ``owner`` identifies the taker.
        may_take: called with the current holder; True when it may be replaced
            (it is this owner, gone, or stale).

    Returns:
        None when taken; the current holder when it is held by someone else.
    """
    if not key.startswith("_"):
        raise ValueError(f"internal keys start with '_': {key!r}")
    conn = db.conn
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        current = _json_dict(row[0]) if row else None
        if current is not None and not may_take(current):
            conn.rollback()
            return current
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(holder)],
        )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return None


def _json_dict(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def flag_recipient(
    db: sqlite_utils.Database,
    contact_id: int,
    warning: str,
    *,
    phone_kind: str | None = None,
) -> None:
    """Add a warning to a contact (once) and optionally correct its phone kind.

    Args:
        contact_id: the contact the provider refused.
        warning: the sentence shown with the contact.
        phone_kind: a corrected ``phone_kind`` (``fixed_line`` for a landline).
    """
    row = db.execute(
        "SELECT warnings FROM contacts WHERE id = ?", [contact_id]
    ).fetchone()
    if row is None:
        return
    try:
        warnings = json.loads(row[0] or "[]")
    except ValueError:
        warnings = []
    if not isinstance(warnings, list):
        warnings = [str(warnings)]
    if warning not in warnings:
        warnings.append(warning)
    with db.conn:
        db.conn.execute(
            "UPDATE contacts SET warnings = ?, phone_kind = coalesce(?, phone_kind),"
            " updated_at = ? WHERE id = ?",
            [json.dumps(warnings, ensure_ascii=False), phone_kind, utc_now(),
             contact_id],
        )  # fmt: skip


def add_event(
    db: sqlite_utils.Database,
    kind: str,
    *,
    contact_id: int | None = None,
    message_id: int | None = None,
    body: str = "",
    data: dict[str, Any] | None = None,
    commit: bool = True,
) -> int:
    """Append one event (a reply, an opt-out, a flag for the owner).

    Args:
        kind: ``reply``, ``opt_out``, ``opt_in``, ``help``, ``review``...
        commit: False inside a caller's transaction.

    Returns:
        The event's id.
    """
    sql = (
        "INSERT INTO events (kind, message_id, contact_id, body, data, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
    )
    params = [kind, message_id, contact_id, body,
              json.dumps(data or {}, ensure_ascii=False), utc_now()]  # fmt: skip
    if commit:
        with db.conn:
            cursor = db.conn.execute(sql, params)
    else:
        cursor = db.conn.execute(sql, params)
    return int(cursor.lastrowid or 0)


def reply_recorded(db: sqlite_utils.Database, sid: str) -> bool:
    """Return True when an inbound message with this provider id is already stored."""
    row = db.execute(
        "SELECT 1 FROM events WHERE kind = 'reply'"
        " AND json_extract(data, '$.sid') = ? LIMIT 1",
        [sid],
    ).fetchone()
    return row is not None


def latest_sms_to(db: sqlite_utils.Database, contact_id: int) -> int | None:
    """Return the id of the newest SMS sent to a contact, if any."""
    row = db.execute(
        "SELECT id FROM messages WHERE contact_id = ? AND channel = 'sms'"
        " AND state IN ('sent', 'delivered') ORDER BY sent_at DESC, id DESC LIMIT 1",
        [contact_id],
    ).fetchone()
    return None if row is None else int(row[0])


def sms_awaiting_delivery(
    db: sqlite_utils.Database, provider: str, since: str
) -> list[MessageRow]:
    """Return SMS a provider accepted since ``since`` whose delivery is not known."""
    rows = db.query(
        "SELECT * FROM messages WHERE channel = 'sms' AND provider = ?"
        " AND state = 'sent' AND provider_id IS NOT NULL AND sent_at >= ?"
        " ORDER BY id",
        [provider, since],
    )
    return [_message_from_row(row) for row in rows]


def record_delivery(
    db: sqlite_utils.Database,
    message_id: int,
    *,
    delivered: bool,
    error_code: str | None = None,
    reason: str | None = None,
    cost: float | None = None,
) -> bool:
    """Record the carrier's final word on a sent SMS: delivered, or not.

    Returns:
        True when the row changed.
    """
    if delivered:
        return _update(
            db,
            "UPDATE messages SET state = 'delivered', delivered_at = ?,"
            " cost = coalesce(?, cost) WHERE id = ? AND state = 'sent'",
            [utc_now(), cost, message_id],
        )
    return _update(
        db,
        "UPDATE messages SET state = 'failed', failed_at = ?, error_code = ?,"
        " reason = ?, cost = coalesce(?, cost) WHERE id = ? AND state = 'sent'",
        [utc_now(), error_code, reason, cost, message_id],
    )


def get_internal(db: sqlite_utils.Database, key: str) -> str | None:
    """Return an internal value kept in the settings table (keys start with ``_``)."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_internal(db: sqlite_utils.Database, key: str, value: str | None) -> None:
    """Store (or, with None, delete) an internal value in the settings table.

    Raises:
        ValueError: the key does not start with ``_``, so it could shadow a setting.
    """
    if not key.startswith("_"):
        raise ValueError(f"internal keys start with '_': {key!r}")
    with db.conn:
        if value is None:
            db.conn.execute("DELETE FROM settings WHERE key = ?", [key])
        else:
            db.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )


def bounced_addresses(db: sqlite_utils.Database) -> dict[str, str]:
    """Return the email addresses a mail server refused, with when and why.

    Returns:
        Address (as stored on the bounce, else as the bounced message was sent)
        to words such as ``bounced on 2027-01-12 (5.1.1)``.
    """
    rows = db.execute(
        "SELECT e.data, e.created_at, m.to_address FROM events e"
        " LEFT JOIN messages m ON m.id = e.message_id WHERE e.kind = 'bounce'"
        " ORDER BY e.id"
    ).fetchall()
    found: dict[str, str] = {}
    for data, created_at, sent_to in rows:
        facts = _json_dict(data or "") or {}
        address = str(facts.get("address") or sent_to or "")
        if not address:
            continue
        day = str(facts.get("received_at") or created_at)[:10]
        status = str(facts.get("status") or "")
        found[address.casefold()] = (
            f"bounced on {day} ({status})" if status else f"bounced on {day}"
        )
    return found
