"""Read and change contacts in the database.

A contact's ``phone`` is its first SMS-capable number in E.164 text; ``phones`` and
``emails`` hold every number and address it has, as JSON lists. ``email_key`` is the
primary email folded for case-insensitive matching.
"""

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from desktop_app.errors import ValidationError

JSON_COLUMNS = ("phones", "emails", "tags", "custom", "warnings")


@dataclass
class Contact:
    """One customer as stored."""

    id: int
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    company: str = ""
    phone: str | None = None
    phone_kind: str = "unknown"
    phones: list[dict[str, Any]] = field(default_factory=list)
    email: str | None = None
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    country: str = ""
    timezone: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""

    @property
    def display_name(self) -> str:
        """Return the best name to show: full name, else first + last, else company."""
        joined = f"{self.first_name} {self.last_name}".strip()
        return self.full_name or joined or self.company or self.email or ""

    def merge_values(self) -> dict[str, str]:
        """Return the values merge fields are filled from (all text)."""
        values = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": self.display_name
            if (self.first_name or self.full_name)
            else "",
            "company": self.company,
            "phone": self.phone or "",
            "email": self.email or "",
        }
        for key, value in self.custom.items():
            values.setdefault(str(key), "" if value is None else str(value))
        return values

    def to_json(self) -> dict[str, Any]:
        """Return the contact as the JSON the command line prints."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": self.full_name,
            "company": self.company,
            "phone": self.phone,
            "phone_kind": self.phone_kind,
            "phones": self.phones,
            "email": self.email,
            "emails": self.emails,
            "tags": self.tags,
            "country": self.country,
            "timezone": self.timezone,
            "custom": self.custom,
            "warnings": self.warnings,
        }


_FIELDS = set(Contact.__dataclass_fields__)


def contact_from_row(row: dict[str, Any]) -> Contact:
    """Build a :class:`Contact` from a ``contacts`` row, decoding its JSON columns."""
    values = {key: row[key] for key in row if key in _FIELDS}
    for column in JSON_COLUMNS:
        if column in values and isinstance(values[column], str):
            values[column] = json.loads(values[column])
    for column in ("first_name", "last_name", "full_name", "company", "country"):
        values[column] = values.get(column) or ""
    return Contact(**values)


def _filter_sql(tag: str | None, search: str | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if tag:
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(contacts.tags) "
            "WHERE lower(json_each.value) = lower(?))"
        )
        params.append(tag.strip())
    if search:
        needle = f"%{search.strip().lower()}%"
        digits = "".join(ch for ch in search if ch.isdigit())
        parts = [
            "lower(first_name || ' ' || last_name) LIKE ?",
            "lower(full_name) LIKE ?",
            "lower(company) LIKE ?",
            "lower(emails) LIKE ?",
            "lower(tags) LIKE ?",
        ]
        params.extend([needle] * len(parts))
        if len(digits) >= 3:
            parts.append("phones LIKE ?")
            params.append(f"%{digits}%")
        clauses.append("(" + " OR ".join(parts) + ")")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


def list_contacts(
    db: sqlite_utils.Database,
    *,
    tag: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Contact]:
    """Return contacts ordered by id, optionally filtered.

    Args:
        tag: only contacts carrying this tag (case-insensitive).
        search: text matched against names, company, emails, tags and phone digits.
        limit: at most this many; ``None`` for all.
        offset: skip this many first.
    """
    where, params = _filter_sql(tag, search)
    sql = f"SELECT * FROM contacts{where} ORDER BY id"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [contact_from_row(row) for row in db.query(sql, params)]


def count_contacts(
    db: sqlite_utils.Database, *, tag: str | None = None, search: str | None = None
) -> int:
    """Return how many contacts match the same filters as :func:`list_contacts`."""
    where, params = _filter_sql(tag, search)
    row = db.execute(f"SELECT count(*) FROM contacts{where}", params).fetchone()
    return int(row[0])


def get_contact(db: sqlite_utils.Database, contact_id: int) -> Contact:
    """Return one contact.

    Raises:
        ValidationError: no contact has that id.
    """
    rows = list(db.query("SELECT * FROM contacts WHERE id = ?", [contact_id]))
    if not rows:
        raise ValidationError(f"There is no contact number {contact_id}.")
    return contact_from_row(rows[0])


def all_tags(db: sqlite_utils.Database) -> list[str]:
    """Return every tag in use, sorted case-insensitively, each once."""
    rows = db.query(
        "SELECT DISTINCT json_each.value AS tag FROM contacts, json_each(contacts.tags)"
    )
    seen: dict[str, str] = {}
    for row in rows:
        tag = str(row["tag"])
        seen.setdefault(tag.casefold(), tag)
    return sorted(seen.values(), key=str.casefold)


# Write functions used by imports (bulk, inside the caller's transaction).

CONTACT_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "full_name",
    "company",
    "phone",
    "phone_kind",
    "phones",
    "email",
    "email_key",
    "emails",
    "tags",
    "country",
    "timezone",
    "custom",
    "warnings",
    "source_import",
    "created_at",
    "updated_at",
)


def next_contact_id(db: sqlite_utils.Database) -> int:
    """Return the id the next inserted contact may use."""
    row = db.execute("SELECT coalesce(max(id), 0) + 1 FROM contacts").fetchone()
    return int(row[0])


def insert_contact_rows(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Insert raw ``contacts`` rows (JSON columns already encoded) in one call.

    Args:
        rows: dicts with every name in :data:`CONTACT_COLUMNS`.
    """
    columns = ", ".join(CONTACT_COLUMNS)
    marks = ", ".join("?" for _ in CONTACT_COLUMNS)
    db.conn.executemany(
        f"INSERT INTO contacts ({columns}) VALUES ({marks})",
        ([row[name] for name in CONTACT_COLUMNS] for row in rows),
    )


def replace_contact_rows(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Overwrite stored contacts with raw rows (matched by ``id``).

    Args:
        rows: dicts with every name in :data:`CONTACT_COLUMNS`.
    """
    names = [name for name in CONTACT_COLUMNS if name != "id"]
    assignments = ", ".join(f"{name} = ?" for name in names)
    db.conn.executemany(
        f"UPDATE contacts SET {assignments} WHERE id = ?",
        ([row[name] for name in names] + [row["id"]] for row in rows),
    )


def delete_contact_rows(db: sqlite_utils.Database, ids: list[int]) -> None:
    """Delete contacts (their consent rows go with them).

    Args:
        ids: the contact ids.
    """
    db.conn.executemany("DELETE FROM consent WHERE contact_id = ?", ([i] for i in ids))
    db.conn.executemany("DELETE FROM contacts WHERE id = ?", ([i] for i in ids))


def raw_contact_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Return every stored contact as a raw row (JSON columns still text)."""
    cursor = db.execute(f"SELECT {', '.join(CONTACT_COLUMNS)} FROM contacts")
    return [dict(zip(CONTACT_COLUMNS, row, strict=True)) for row in cursor]
