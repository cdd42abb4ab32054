"""Imported sales: the rows attribution reads, and each import batch with its report.

A sale is stored once: the key (source, external_id) makes a second import of the
same order a duplicate, not a second conversion.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from desktop_app.storage.database import utc_now

SALE_COLUMNS = (
    "source",
    "source_file",
    "external_id",
    "contact_id",
    "email_key",
    "phone",
    "occurred_at",
    "amount",
    "currency",
    "import_id",
    "created_at",
)


@dataclass(frozen=True)
class SaleRow:
    """One stored sale."""

    id: int
    source: str
    source_file: str
    external_id: str
    contact_id: int | None
    email_key: str | None
    phone: str | None
    occurred_at: str
    amount: float
    currency: str
    import_id: int | None


def create_sales_import(
    db: sqlite_utils.Database, file_name: str, fmt: str, mapping: dict[str, Any]
) -> int:
    """Record a sales import batch (inside the caller's transaction).

    Args:
        file_name: the file's name, without folders.
        fmt: ``shopify``, ``square``, ``woocommerce`` or ``csv``.
        mapping: which column was read for what.

    Returns:
        The batch id.
    """
    cursor = db.conn.execute(
        "INSERT INTO sales_imports (file_name, format, mapping, created_at)"
        " VALUES (?, ?, ?, ?)",
        [file_name, fmt, json.dumps(mapping), utc_now()],
    )
    return int(cursor.lastrowid or 0)


def save_sales_report(
    db: sqlite_utils.Database, import_id: int, report: dict[str, Any]
) -> None:
    """Store a batch's report JSON (inside the caller's transaction)."""
    db.conn.execute(
        "UPDATE sales_imports SET report = ? WHERE id = ?",
        [json.dumps(report), import_id],
    )


def known_external_ids(
    db: sqlite_utils.Database, source: str, external_ids: Iterable[str]
) -> set[str]:
    """Return which of ``external_ids`` are already stored for ``source``."""
    wanted = list(dict.fromkeys(external_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT external_id FROM sales WHERE source = ? AND external_id IN ({marks})",
            [source, *chunk],
        ).fetchall()
        found.update(row[0] for row in rows)
    return found


def insert_sales(db: sqlite_utils.Database, rows: Sequence[dict[str, Any]]) -> int:
    """Insert sales (inside the caller's transaction); duplicates are ignored.

    Args:
        rows: dicts with the keys of :data:`SALE_COLUMNS` (``created_at`` optional).

    Returns:
        How many rows were new.
    """
    now = utc_now()
    values = [
        tuple(row.get(column, now if column == "created_at" else None)
              for column in SALE_COLUMNS)
        for row in rows
    ]  # fmt: skip
    before = db.conn.total_changes
    db.conn.executemany(
        f"INSERT OR IGNORE INTO sales ({', '.join(SALE_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(SALE_COLUMNS))})",
        values,
    )
    return db.conn.total_changes - before


def list_sales(
    db: sqlite_utils.Database, *, since: str | None = None, until: str | None = None
) -> list[SaleRow]:
    """Return sales in time order, optionally within [since, until) (UTC ISO)."""
    clauses, params = [], []
    if since is not None:
        clauses.append("occurred_at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("occurred_at < ?")
        params.append(until)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.query(
        "SELECT id, source, source_file, external_id, contact_id, email_key, phone,"
        f" occurred_at, amount, currency, import_id FROM sales{where}"
        " ORDER BY occurred_at, id",
        params,
    )
    return [SaleRow(**row) for row in rows]


def count_sales(db: sqlite_utils.Database) -> int:
    """Return how many sales are stored."""
    return int(db.execute("SELECT count(*) FROM sales").fetchone()[0])


def list_sales_imports(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Return every sales import batch, newest first, with its report."""
    rows = db.query(
        "SELECT id, file_name, format, report, created_at FROM sales_imports"
        " ORDER BY id DESC"
    )
    return [{**row, "report": json.loads(row["report"] or "{}")} for row in rows]
