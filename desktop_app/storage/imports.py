"""Import batches: what each import changed, so it can be listed and undone."""

import json
import logging
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from desktop_app.core.words import counted
from desktop_app.errors import ValidationError
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)


@dataclass
class ImportBatch:
    """One import as recorded."""

    id: int
    file_name: str
    format: str
    mapping: dict[str, Any]
    report: dict[str, Any]
    created_at: str
    undone_at: str | None
    undo: "UndoOutcome | None" = None

    def to_json(self) -> dict[str, Any]:
        """Return the batch as plain JSON values (``undo`` right after an undo)."""
        data: dict[str, Any] = {
            "id": self.id,
            "file_name": self.file_name,
            "format": self.format,
            "mapping": self.mapping,
            "report": self.report,
            "created_at": self.created_at,
            "undone_at": self.undone_at,
        }
        if self.undo is not None:
            data["undo"] = self.undo.to_json()
        return data

    def undo_text(self) -> str:
        """Return what the undo did in plain words ("" before an undo)."""
        if self.undo is None:
            return ""
        done = self.undo
        text = (
            f"Undid import {self.id} of {self.file_name}: "
            f"{counted(done.deleted, 'contact')} removed, {done.restored} restored."
        )
        if done.kept_contacts == 1:
            text += (
                " 1 contact it added is kept because it opted out; Duet never "
                "forgets an opt-out."
            )
        elif done.kept_contacts:
            text += (
                f" {done.kept_contacts} contacts it added are kept because they "
                "opted out; Duet never forgets an opt-out."
            )
        if done.kept_opt_outs:
            stay = "stays" if done.kept_opt_outs == 1 else "stay"
            text += (
                f" {counted(done.kept_opt_outs, 'opt-out')} recorded by this import "
                f"{stay} in force."
            )
        return text


def create_import(
    db: sqlite_utils.Database, file_name: str, fmt: str, mapping: dict[str, Any]
) -> int:
    """Add an import batch row and return its id (inside the caller's transaction).

    Args:
        file_name: the imported file's name.
        fmt: the detected exporter.
        mapping: header -> role.
    """
    cursor = db.conn.execute(
        "INSERT INTO imports (file_name, format, mapping, report, created_at) "
        "VALUES (?, ?, ?, '{}', ?)",
        (file_name, fmt, json.dumps(mapping, ensure_ascii=False), utc_now()),
    )
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def save_report(
    db: sqlite_utils.Database, import_id: int, report: dict[str, Any]
) -> None:
    """Store the finished report JSON on the batch.

    Args:
        import_id: the batch.
        report: the report as JSON values.
    """
    db.conn.execute(
        "UPDATE imports SET report = ? WHERE id = ?",
        (json.dumps(report, ensure_ascii=False), import_id),
    )


def record_changes(
    db: sqlite_utils.Database,
    import_id: int,
    created: list[int],
    updated: list[tuple[int, dict[str, Any]]],
) -> None:
    """Remember which contacts an import created and which it changed.

    Args:
        import_id: the batch.
        created: ids of new contacts.
        updated: (id, raw row before the change) for changed contacts.
    """
    db.conn.executemany(
        "INSERT INTO import_changes (import_id, contact_id, action, before) "
        "VALUES (?, ?, 'created', NULL)",
        ((import_id, contact_id) for contact_id in created),
    )
    db.conn.executemany(
        "INSERT INTO import_changes (import_id, contact_id, action, before) "
        "VALUES (?, ?, 'updated', ?)",
        (
            (import_id, contact_id, json.dumps(before, ensure_ascii=False))
            for contact_id, before in updated
        ),
    )


def insert_consent_rows(db: sqlite_utils.Database, rows: list[tuple[Any, ...]]) -> None:
    """Append consent rows in one call (same columns as ``record_consent``).

    Args:
        rows: (contact_id, channel, status, source, evidence, import_id, created_at)
            with an optional eighth value, the recipient; without it the row takes
            the contact's phone or email (a trigger fills it).
    """
    consent_store.insert_rows(
        db, (row if len(row) == 8 else (*row, None) for row in rows)
    )


def _batch(row: dict[str, Any]) -> ImportBatch:
    return ImportBatch(
        id=row["id"],
        file_name=row["file_name"],
        format=row["format"],
        mapping=json.loads(row["mapping"] or "{}"),
        report=json.loads(row["report"] or "{}"),
        created_at=row["created_at"],
        undone_at=row["undone_at"],
    )


def list_imports(db: sqlite_utils.Database) -> list[ImportBatch]:
    """Return every import batch, newest first."""
    return [_batch(row) for row in db.query("SELECT * FROM imports ORDER BY id DESC")]


def get_import(db: sqlite_utils.Database, import_id: int) -> ImportBatch:
    """Return one batch.

    Raises:
        ValidationError: there is no such import.
    """
    rows = list(db.query("SELECT * FROM imports WHERE id = ?", [import_id]))
    if not rows:
        raise ValidationError(f"There is no import number {import_id}.")
    return _batch(rows[0])


@dataclass(frozen=True)
class UndoOutcome:
    """What undoing one import did.

    Attributes:
        deleted: contacts it had created, now deleted.
        restored: contacts it had changed, back as they were before it.
        kept_contacts: contacts it had created that are kept because they opted
            out of a channel (deleting them would forget the opt-out).
        kept_opt_outs: opt-outs it recorded that stay in force.
        reverted: consent statuses it set that went back to the one before it.
    """

    deleted: int
    restored: int
    kept_contacts: int = 0
    kept_opt_outs: int = 0
    reverted: int = 0

    def to_json(self) -> dict[str, int]:
        """Return the counts as JSON."""
        return {
            "deleted": self.deleted,
            "restored": self.restored,
            "kept_contacts": self.kept_contacts,
            "kept_opt_outs": self.kept_opt_outs,
            "reverted_consent": self.reverted,
        }


def undo_import_changes(db: sqlite_utils.Database, import_id: int) -> UndoOutcome:
    """Reverse one import (inside the caller's transaction).

    Deletes the contacts it created, restores the ones it changed from their
    snapshots and marks the batch undone. The consent ledger is only added to:
    a status the import set goes back to the one before it with a new row, except
    an opt-out, which stays. A contact the import created who has opted out of a
    channel since (or by the import) is kept, so the opt-out is never forgotten.
    The ledger rows of the contacts it deletes stay too, without a contact (they
    prove the consent for messages already sent).

    Args:
        import_id: the batch.

    Returns:
        What was deleted, restored and kept.

    Raises:
        ValidationError: no such import, already undone, or a later import changed
            the same contacts (undo that one first).
    """
    batch = get_import(db, import_id)
    if batch.undone_at:
        raise ValidationError(
            f"Import {import_id} ({batch.file_name}) is already undone."
        )
    changes = db.execute(
        "SELECT contact_id, action, before FROM import_changes WHERE import_id = ?",
        [import_id],
    ).fetchall()
    later = db.execute(
        "SELECT DISTINCT i.id, i.file_name FROM import_changes c "
        "JOIN imports i ON i.id = c.import_id "
        "WHERE c.import_id > ? AND i.undone_at IS NULL AND c.contact_id IN "
        "(SELECT contact_id FROM import_changes WHERE import_id = ?)",
        [import_id, import_id],
    ).fetchall()
    if later:
        raise ValidationError(
            f"Import {later[0][0]} ({later[0][1]}) changed the same contacts after "
            f"import {import_id}; undo it first."
        )

    opted_out = _opted_out_contacts(db)
    created = [row[0] for row in changes if row[1] == "created"]
    kept = [contact_id for contact_id in created if contact_id in opted_out]
    doomed = [contact_id for contact_id in created if contact_id not in opted_out]
    restored = [json.loads(row[2]) for row in changes if row[1] == "updated"]
    contacts.delete_contact_rows(db, doomed)
    reverted, kept_opt_outs = _revert_consent(db, import_id, batch.file_name)
    contacts.replace_contact_rows(db, restored)
    db.conn.execute(
        "UPDATE imports SET undone_at = ? WHERE id = ?", (utc_now(), import_id)
    )
    return UndoOutcome(
        deleted=len(doomed),
        restored=len(restored),
        kept_contacts=len(kept),
        kept_opt_outs=kept_opt_outs,
        reverted=reverted,
    )


def _opted_out_contacts(db: sqlite_utils.Database) -> set[int]:
    """Return the contacts whose current status on some channel is an opt-out."""
    rows = db.execute(
        "SELECT contact_id FROM consent WHERE status = 'opted_out' AND id IN"
        " (SELECT max(id) FROM consent WHERE contact_id IS NOT NULL"
        " GROUP BY contact_id, channel)"
    ).fetchall()
    return {row[0] for row in rows}


def _revert_consent(
    db: sqlite_utils.Database, import_id: int, file_name: str
) -> tuple[int, int]:
    """Undo an import's consent statuses with new rows; return (reverted, kept).

    Only statuses still current are touched (a reply or a manual change since
    wins), and an opt-out is kept: undoing a file never re-subscribes anyone.
    Rows of contacts deleted by the undo are left as they are.
    """
    current = db.execute(
        "SELECT id, contact_id, channel, status FROM consent WHERE import_id = ?"
        " AND id IN (SELECT max(id) FROM consent WHERE contact_id IS NOT NULL"
        " GROUP BY contact_id, channel)",
        [import_id],
    ).fetchall()
    now = utc_now()
    evidence = f"import {import_id} of {file_name} undone"
    reverted = 0
    kept = 0
    for row_id, contact_id, channel, status in current:
        if status == "opted_out":
            kept += 1
            continue
        before = db.execute(
            "SELECT status FROM consent WHERE contact_id = ? AND channel = ?"
            " AND id < ? AND coalesce(import_id, 0) != ? ORDER BY id DESC LIMIT 1",
            [contact_id, channel, row_id, import_id],
        ).fetchone()
        previous = before[0] if before else "unknown"
        if previous == status:
            continue
        db.conn.execute(
            "INSERT INTO consent (contact_id, channel, status, source, evidence,"
            " import_id, created_at) VALUES (?, ?, ?, 'undo', ?, NULL, ?)",
            [contact_id, channel, previous, evidence, now],
        )
        reverted += 1
    return reverted, kept
