"""The consent ledger: one row per change, per contact and channel, never deleted."""

from collections.abc import Iterable

import sqlite_utils

from desktop_app.storage.database import utc_now

CHANNELS = ("sms", "email")
STATUSES = ("opted_in", "opted_out", "unknown")


def record_consent(
    db: sqlite_utils.Database,
    contact_id: int,
    channel: str,
    status: str,
    *,
    source: str,
    evidence: str = "",
    import_id: int | None = None,
) -> int:
    """Append one consent change and return its row id.

    Args:
        channel: ``sms`` or ``email``.
        status: ``opted_in``, ``opted_out`` or ``unknown``.
        source: where it came from, e.g. ``import``, ``reply``, ``manual``.
        evidence: proof as text, e.g. ``file.csv row 12: Accepts SMS Marketing=yes``.
    """
    if channel not in CHANNELS or status not in STATUSES:
        raise ValueError(f"bad consent {channel!r}/{status!r}")
    table = db["consent"]
    table.insert(
        {
            "contact_id": contact_id,
            "channel": channel,
            "status": status,
            "source": source,
            "evidence": evidence,
            "import_id": import_id,
            "created_at": utc_now(),
        }
    )
    return int(table.last_pk)  # type: ignore[arg-type]


def current_consent(db: sqlite_utils.Database, contact_id: int, channel: str) -> str:
    """Return the newest status for one contact and channel (``unknown`` if none)."""
    return consent_map(db, [contact_id], channel).get(contact_id, "unknown")


def consent_map(
    db: sqlite_utils.Database, contact_ids: Iterable[int] | None, channel: str
) -> dict[int, str]:
    """Return the newest status per contact for ``channel``.

    Args:
        contact_ids: the contacts to look up; ``None`` for every contact.

    Contacts without any row are left out (their status is ``unknown``).
    """
    sql = (
        "SELECT contact_id, status FROM consent WHERE id IN ("
        " SELECT max(id) FROM consent WHERE channel = ? GROUP BY contact_id)"
    )
    rows = db.execute(sql, [channel]).fetchall()
    wanted = None if contact_ids is None else set(contact_ids)
    return {
        contact_id: status
        for contact_id, status in rows
        if wanted is None or contact_id in wanted
    }


def consent_history(
    db: sqlite_utils.Database, contact_id: int
) -> list[dict[str, object]]:
    """Return every consent row for one contact, oldest first."""
    return list(
        db.query("SELECT * FROM consent WHERE contact_id = ? ORDER BY id", [contact_id])
    )
