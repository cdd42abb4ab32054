"""The consent ledger: one row per change, per contact and channel, never deleted.

The current status of a contact on a channel is its newest row. Every row says where
it came from (``import`` with file and row, ``reply`` with the reply's text,
``manual`` with the owner's note, ``email`` for an unsubscribe mail) and when.

Each row also keeps its ``recipient``: the contact's E.164 phone (sms) or email
(email) when the row was written. Deleting a contact keeps its rows (``contact_id``
becomes NULL, migration 7), so an opt-out outlives the contact: a contact created
later with the same number or address gets the opt-out again (source
``suppression``, see :func:`suppression_rows`).
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlite_utils

from desktop_app.core.emails import email_key
from desktop_app.errors import ValidationError
from desktop_app.spreadsheet import write_excel_csv
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

CHANNELS = ("sms", "email")
STATUSES = ("opted_in", "opted_out", "unknown")
MANUAL: Final = "manual"
SUPPRESSION: Final = "suppression"
CHANNEL_NAMES: Final = {"sms": "SMS", "email": "email"}

LEDGER_COLUMNS: Final = (
    "id",
    "contact_id",
    "contact_name",
    "phone",
    "email",
    "recipient",
    "channel",
    "status",
    "source",
    "evidence",
    "import_id",
    "created_at",
)


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

    The row's ``recipient`` is the contact's current phone (sms) or email (email).
    """
    if channel not in CHANNELS or status not in STATUSES:
        raise ValueError(f"bad consent {channel!r}/{status!r}")
    table = db["consent"]
    row: dict[str, Any] = {
        "contact_id": contact_id,
        "channel": channel,
        "status": status,
        "source": source,
        "evidence": evidence,
        "import_id": import_id,
        "created_at": utc_now(),
    }
    if has_recipient_column(db):
        row["recipient"] = recipient_of(db, contact_id, channel)
    table.insert(row)
    return int(table.last_pk)  # type: ignore[arg-type]


def has_recipient_column(db: sqlite_utils.Database) -> bool:
    """Return True when the ledger has migration 7's ``recipient`` column."""
    columns = db.execute("PRAGMA table_info(consent)").fetchall()
    return any(column[1] == "recipient" for column in columns)


def recipient_of(
    db: sqlite_utils.Database, contact_id: int, channel: str
) -> str | None:
    """Return the contact's phone (sms) or email (email) as a ledger row keeps it.

    Args:
        contact_id: the contact.
        channel: ``sms`` or ``email``.

    Returns:
        The E.164 phone or the email; None for an unknown contact or a missing one.
    """
    column = "phone" if channel == "sms" else "email"
    row = db.execute(
        f"SELECT {column} FROM contacts WHERE id = ?", [contact_id]
    ).fetchone()
    return None if row is None else row[0]


def current_consent(db: sqlite_utils.Database, contact_id: int, channel: str) -> str:
    """Return the newest status for one contact and channel (``unknown`` if none)."""
    return consent_map(db, [contact_id], channel).get(contact_id, "unknown")


def consent_map(
    db: sqlite_utils.Database, contact_ids: Iterable[int] | None, channel: str
) -> dict[int, str]:
    """Return the newest status per contact for ``channel``.

    Args:
        contact_ids: the contacts to look up; ``None`` for every contact.

    Contacts without any row are left out (their status is ``unknown``), and so
    are the rows of deleted contacts.
    """
    sql = (
        "SELECT contact_id, status FROM consent WHERE id IN ("
        " SELECT max(id) FROM consent WHERE channel = ? AND contact_id IS NOT NULL"
        " GROUP BY contact_id)"
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

    A row of a deleted contact has no contact id and name ("(deleted contact)");
    ``recipient`` is the number or address the row was about, also for them.

    Returns:
        Dicts keyed by :data:`LEDGER_COLUMNS`.
    """
    sql = (
        "SELECT consent.id, consent.contact_id,"
        " CASE WHEN contacts.id IS NULL THEN '(deleted contact)' ELSE"
        " coalesce(nullif(contacts.full_name, ''),"
        "  trim(coalesce(contacts.first_name, '') || ' ' ||"
        "  coalesce(contacts.last_name, ''))) END AS contact_name,"
        " contacts.phone, contacts.email, consent.recipient,"
        " consent.channel, consent.status,"
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


# --- opt-outs that outlive their contact ------------------------------------------


@dataclass(frozen=True)
class DeletedOptOut:
    """An opt-out whose contact was deleted: the newest row for its recipient.

    Attributes:
        row_id: the ledger row.
        channel: ``sms`` or ``email``.
        recipient: the phone (E.164) or email it was about.
        created_at: when it was recorded (ISO 8601, UTC).
    """

    row_id: int
    channel: str
    recipient: str
    created_at: str

    @property
    def day(self) -> str:
        """Return the date of the opt-out (``2026-03-01``)."""
        return self.created_at[:10]

    def evidence(self) -> str:
        """Return the evidence text of the row that carries it to a new contact."""
        return (
            f"{self.recipient} opted out of {CHANNEL_NAMES[self.channel]} on "
            f"{self.day} (ledger row {self.row_id}) before that contact was deleted"
        )


def _recipient_key(channel: str, recipient: str) -> str:
    return email_key(recipient) if channel == "email" else recipient.strip()


def deleted_opt_outs(
    db: sqlite_utils.Database,
) -> dict[str, dict[str, DeletedOptOut]]:
    """Return the opt-outs still in force for recipients whose contact was deleted.

    For each channel and recipient only the newest row of deleted contacts counts:
    a deleted contact who opted out and later back in leaves no opt-out.

    Returns:
        channel -> recipient key (E.164 phone; email folded) -> the opt-out.
    """
    if not has_recipient_column(db):
        return {channel: {} for channel in CHANNELS}
    newest: dict[str, dict[str, tuple[int, str, str, str]]] = {c: {} for c in CHANNELS}
    cursor = db.execute(
        "SELECT id, channel, status, recipient, created_at FROM consent"
        " WHERE contact_id IS NULL AND recipient IS NOT NULL AND recipient != ''"
        " ORDER BY id"
    )
    for row_id, channel, status, recipient, created_at in cursor:
        key = _recipient_key(channel, recipient)
        newest[channel][key] = (row_id, status, recipient, created_at)
    return {
        channel: {
            key: DeletedOptOut(row_id, channel, recipient, created_at)
            for key, (row_id, status, recipient, created_at) in rows.items()
            if status == "opted_out"
        }
        for channel, rows in newest.items()
    }


def matching_opt_outs(
    known: dict[str, dict[str, DeletedOptOut]],
    phones: Iterable[str | None],
    emails: Iterable[str | None],
) -> list[DeletedOptOut]:
    """Return the deleted contacts' opt-outs a new contact's numbers or emails hit.

    Args:
        known: from :func:`deleted_opt_outs`.
        phones: the new contact's E.164 numbers (None and '' are skipped).
        emails: the new contact's email addresses.

    Returns:
        At most one opt-out per channel (the first number or address that hits).
    """
    found: list[DeletedOptOut] = []
    for channel, values in (("sms", phones), ("email", emails)):
        if not known.get(channel):
            continue
        for value in values:
            hit = known[channel].get(_recipient_key(channel, value)) if value else None
            if hit is not None:
                found.append(hit)
                break
    return found


def suppression_row(
    contact_id: int,
    opt_out: DeletedOptOut,
    now: str,
    import_id: int | None = None,
) -> tuple[Any, ...]:
    """Return the ledger row that gives a new contact a deleted contact's opt-out.

    Args:
        contact_id: the new contact.
        opt_out: the earlier opt-out.
        now: the time to record (ISO 8601, UTC).
        import_id: the import that created the contact, if any.

    Returns:
        (contact_id, channel, status, source, evidence, import_id, created_at,
        recipient), the columns :func:`insert_rows` takes.
    """
    return (
        contact_id,
        opt_out.channel,
        "opted_out",
        SUPPRESSION,
        opt_out.evidence(),
        import_id,
        now,
        opt_out.recipient,
    )


def insert_rows(db: sqlite_utils.Database, rows: Iterable[tuple[Any, ...]]) -> None:
    """Append ledger rows inside the caller's transaction (no commit).

    Args:
        rows: (contact_id, channel, status, source, evidence, import_id,
            created_at, recipient); a None recipient is filled from the contact.
    """
    db.conn.executemany(
        "INSERT INTO consent (contact_id, channel, status, source, evidence,"
        " import_id, created_at, recipient) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def suppress_new_contacts(
    db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]
) -> list[tuple[int, DeletedOptOut]]:
    """Give newly stored contacts the opt-outs of deleted contacts they match.

    Runs inside the caller's transaction. A contact matches when one of its phone
    numbers or emails is the recipient of an opt-out whose contact was deleted.

    Args:
        rows: raw ``contacts`` rows just inserted (``phones``/``emails`` as JSON
            text or lists).

    Returns:
        (contact id, earlier opt-out) for every opt-out recorded again.
    """
    known = deleted_opt_outs(db)
    if not any(known.values()):
        return []
    now = utc_now()
    found: list[tuple[int, DeletedOptOut]] = []
    for row in rows:
        for opt_out in matching_opt_outs(known, *contact_addresses(row)):
            found.append((int(row["id"]), opt_out))
    insert_rows(db, (suppression_row(cid, hit, now) for cid, hit in found))
    for contact_id, opt_out in found:
        logger.debug(
            "new contact %d keeps the %s opt-out of ledger row %d",
            contact_id,
            opt_out.channel,
            opt_out.row_id,
        )
    return found


def contact_addresses(row: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return (E.164 phones, emails) of a raw ``contacts`` row, primary first.

    Args:
        row: a raw row; ``phones`` and ``emails`` as JSON text or lists.
    """
    phones_value = row.get("phones") or "[]"
    emails_value = row.get("emails") or "[]"
    entries = (
        json.loads(phones_value) if isinstance(phones_value, str) else phones_value
    )
    emails = json.loads(emails_value) if isinstance(emails_value, str) else emails_value
    phones = [row.get("phone")] + [entry.get("e164") for entry in entries]
    return (
        [p for p in phones if p],
        [e for e in [row.get("email"), *emails] if e],
    )


def unanchored_opt_outs(
    db: sqlite_utils.Database, contact_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Prepare contacts' opt-outs to outlive them; return those that cannot.

    An opt-out lives on after its contact is deleted through the ``recipient`` of
    its row. When the contact's phone or email has changed since (or the row has
    none), a new ``opted_out`` row with the current number or address is added
    (inside the caller's transaction), so the opt-out covers that too.

    Args:
        contact_ids: the contacts about to be deleted.

    Returns:
        contact id -> channels whose opt-out has no number or address at all;
        deleting such a contact would forget the opt-out.
    """
    ids = sorted({int(i) for i in contact_ids})
    lost: dict[int, list[str]] = {}
    now = utc_now()
    carried: list[tuple[Any, ...]] = []
    for channel in CHANNELS:
        column = "phone" if channel == "sms" else "email"
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            cursor = db.execute(
                f"SELECT k.id, k.contact_id, k.status, k.recipient, c.{column}"
                " FROM consent k JOIN contacts c ON c.id = k.contact_id"
                f" WHERE k.id IN (SELECT max(id) FROM consent WHERE channel = ?"
                f" AND contact_id IN ({marks}) GROUP BY contact_id)",
                [channel, *chunk],
            )
            for row_id, contact_id, status, recipient, current in cursor:
                if status != "opted_out":
                    continue
                if not current:
                    if not recipient:
                        lost.setdefault(contact_id, []).append(channel)
                    continue
                if recipient and _recipient_key(channel, recipient) == (
                    _recipient_key(channel, current)
                ):
                    continue
                evidence = (
                    f"contact {contact_id} deleted; the opt-out of ledger row "
                    f"{row_id} is kept for {current}"
                )
                carried.append(
                    (contact_id, channel, "opted_out", "deletion", evidence, None,
                     now, current)
                )  # fmt: skip
    insert_rows(db, carried)
    return lost
