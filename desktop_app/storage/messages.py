"""Campaigns and their messages: the send queue and its recorded history.

A plan is written as one ``campaigns`` row and its ``messages`` rows in one
transaction. The unique key on (campaign, contact, channel) makes a second queue of the
same rows impossible. Each state change is committed at once, so the record before and
after a provider call survives a crash:
``queued → sending → sent | failed``, ``skipped`` from the start, and ``unknown`` for a
row found in ``sending`` after an interruption.
"""

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from desktop_app.core.planning import PlannedMessage
from desktop_app.errors import StorageError, ValidationError
from desktop_app.storage.database import utc_now

STATES = ("queued", "sending", "sent", "delivered", "failed", "skipped", "unknown")


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
            m.encoding, m.segments, m.cost, "queued" if m.is_send else "skipped",
            m.reason, now,
        )
        for m in messages
    ]  # fmt: skip
    db.conn.executemany(
        "INSERT INTO messages (campaign_id, contact_id, channel, to_address, subject,"
        " body, html, encoding, segments, cost, state, reason, queued_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    db: sqlite_utils.Database, campaign_id: int, *, after_id: int = 0, limit: int = 500
) -> list[MessageRow]:
    """Return queued messages of a campaign in sending order, after ``after_id``."""
    rows = db.query(
        "SELECT * FROM messages WHERE campaign_id = ? AND state = 'queued'"
        " AND id > ? ORDER BY id LIMIT ?",
        [campaign_id, after_id, limit],
    )
    return [_message_from_row(row) for row in rows]


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


def _update(db: sqlite_utils.Database, sql: str, params: list[Any]) -> bool:
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


def mark_sent(
    db: sqlite_utils.Database,
    message_id: int,
    *,
    provider_id: str,
    cost: float | None = None,
) -> None:
    """Record that the provider accepted a message (with its id and price)."""
    _update(
        db,
        "UPDATE messages SET state = 'sent', sent_at = ?, provider_id = ?,"
        " cost = coalesce(?, cost) WHERE id = ? AND state = 'sending'",
        [utc_now(), provider_id, cost, message_id],
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
