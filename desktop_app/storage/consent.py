"""The consent ledger: one row per change, per contact and channel, never deleted.

The current status of a contact on a channel is its newest row. Every row says where
it came from (``import`` with file and row, ``reply`` with the reply's text,
``manual`` with the owner's note, ``email`` for an unsubscribe mail) and when.
"""

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.spreadsheet import write_excel_csv
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

CHANNELS = ("sms", "email")
STATUSES = ("opted_in", "opted_out", "unknown")
MANUAL: Final = "manual"

LEDGER_COLUMNS: Final = (
    "id",
    "contact_id",
    "contact_name",
    "phone",
    "email",
    "channel",
    "status",
    "source",
    "evidence",
    "import_id",
    "created_at",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).


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


def set_consent_manually(
    db: sqlite_utils.Database, contact_id: int, channel: str, status: str, note: str
) -> int:
    """Record a consent change the owner makes by hand, with their note.

    An opt-out is never undone silently: moving a contact away from ``opted_out``
    (back to ``opted_in`` or to ``unknown``) needs a note saying why, e.g. "asked
    in the shop on 3 May, signed the form". The evidence keeps the old status.

    Args:
        contact_id: the contact.
        channel: ``sms`` or ``email``.
        status: ``opted_in``, ``opted_out`` or ``unknown``.
        note: the owner's reason; required when undoing an opt-out.

    Returns:
        The new ledger row's id.

    Raises:
        ValidationError: unknown contact, channel or status, or a missing note.
    """
    if channel not in CHANNELS:
        raise ValidationError(f"Channel: '{channel}' is not sms or email.")
    if status not in STATUSES:
        known = ", ".join(STATUSES)
        raise ValidationError(f"Status: '{status}' is not one of {known}.")
    exists = db.execute("SELECT 1 FROM contacts WHERE id = ?", [contact_id]).fetchone()
    if exists is None:
        raise ValidationError(f"There is no contact number {contact_id}.")

    note = " ".join(note.split())
    before = current_consent(db, contact_id, channel)
    if before == "opted_out" and status != "opted_out" and not note:
        raise ValidationError(
            f"Note: contact {contact_id} opted out of {channel}. Say why the opt-out "
            "no longer applies (for example, when and how they asked to join again)."
        )

    evidence = f"manual change from {before} to {status}"
    evidence += f": {note}" if note else " (no note)"
    row_id = record_consent(
        db, contact_id, channel, status, source=MANUAL, evidence=evidence
    )
    logger.info(
        "consent of contact %d on %s set to %s by hand", contact_id, channel, status
    )
    return row_id


def ledger_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Return every ledger row with the contact's name, phone and email, oldest first.

    Returns:
        Dicts keyed by :data:`LEDGER_COLUMNS`.
    """
    sql = (
        "SELECT consent.id, consent.contact_id,"
        " coalesce(nullif(contacts.full_name, ''),"
        "  trim(coalesce(contacts.first_name, '') || ' ' ||"
        "  coalesce(contacts.last_name, ''))) AS contact_name,"
        " contacts.phone, contacts.email, consent.channel, consent.status,"
        " consent.source, consent.evidence, consent.import_id, consent.created_at"
        " FROM consent LEFT JOIN contacts ON contacts.id = consent.contact_id"
        " ORDER BY consent.id"
    )
    return list(db.query(sql))


def export_ledger_csv(db: sqlite_utils.Database, path: Path) -> int:
    """Write the whole consent ledger to a CSV file, as proof of consent.

    The file is UTF-8 with a byte-order mark so Excel reads accents right; a cell
    that a spreadsheet would run as a formula is written with a leading ``'``
    (see :func:`desktop_app.spreadsheet.excel_safe`). The database keeps its values unchanged.

    Args:
        path: the CSV file to write (replaced if it exists).

    Returns:
        How many ledger rows were written.

    Raises:
        StorageError: the file cannot be written.
    """
    rows = ledger_rows(db)
    write_excel_csv(
        path,
        LEDGER_COLUMNS,
        ([row[name] for name in LEDGER_COLUMNS] for row in rows),
        what="the consent ledger",
    )
    logger.info("consent ledger exported: %d rows", len(rows))
    return len(rows)
