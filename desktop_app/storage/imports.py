"""Import batches: what each import changed, so it can be listed and undone."""

import json
import logging
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from desktop_app.errors import ValidationError
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

    def to_json(self) -> dict[str, Any]:
        """Return the batch as plain JSON values."""
        return {
            "id": self.id,
            "file_name": self.file_name,
            "format": self.format,
            "mapping": self.mapping,
            "report": self.report,
            "created_at": self.created_at,
            "undone_at": self.undone_at,
        }


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
        rows: (contact_id, channel, status, source, evidence, import_id, created_at).
    """
    db.conn.executemany(
        "INSERT INTO consent (contact_id, channel, status, source, evidence, "
        "import_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
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


def undo_import_changes(db: sqlite_utils.Database, import_id: int) -> tuple[int, int]:
    """Reverse one import (inside the caller's transaction).

    Deletes the contacts it created, restores the ones it changed from their
    snapshots, removes its consent rows and marks the batch undone.

    Args:
        import_id: the batch.

    Returns:
        (contacts deleted, contacts restored).

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

    db.conn.execute("DELETE FROM consent WHERE import_id = ?", (import_id,))
    created = [row[0] for row in changes if row[1] == "created"]
    restored = [json.loads(row[2]) for row in changes if row[1] == "updated"]
    contacts.replace_contact_rows(db, restored)
    contacts.delete_contact_rows(db, created)
    db.conn.execute(
        "UPDATE imports SET undone_at = ? WHERE id = ?", (utc_now(), import_id)
    )
    return len(created), len(restored)
