"""Read and change contacts in the database.

A contact's ``phone`` is its first SMS-capable number in E.164 text; ``phones`` and
``emails`` hold every number and address it has, as JSON lists. ``email_key`` is the
primary email folded for case-insensitive matching.

Search: with migration 4, ``search_text`` holds each contact's names, company, emails,
tags and phone digits folded (lower case, no accents), and an index on
``(id, search_text)`` lets the type-ahead filter scan that narrow index instead of the
whole table. The write helpers here keep it up to date; a row written elsewhere is
marked stale (NULL, by a trigger) and found through the slower expressions until
:func:`fill_search_text` refreshes it. Without the column the slow expressions are
used for every row.
"""

import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.storage import consent as consent_store
from desktop_app.storage.consent import DeletedOptOut
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

JSON_COLUMNS = ("phones", "emails", "tags", "custom", "warnings")
# Between the fields of search_text: no typed search contains it.
_SEPARATOR = "\x1f"
_NOT_DIGIT = re.compile(r"\D")
# Up to this many numbers, contacts_by_phone narrows on search_text first.
_FEW_NUMBERS = 5


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


def fold_text(text: str) -> str:
    """Return ``text`` as the search compares it: case-folded, accents removed.

    Args:
        text: any text.

    Returns:
        The folded text (``"Chloé"`` becomes ``"chloe"``).
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value) if value not in ("[]", "") else []
    return value or []


def search_text_for(row: dict[str, Any]) -> str:
    """Return the ``search_text`` of a raw ``contacts`` row.

    Fields are joined by a separator no search text contains, so a search never
    matches across two fields (first and last name are one field, as shown).

    Args:
        row: a raw row (JSON columns as text or already decoded).

    Returns:
        The folded text the type-ahead filter looks in.
    """
    first = row.get("first_name") or ""
    last = row.get("last_name") or ""
    parts = [f"{first} {last}".strip(), row.get("full_name"), row.get("company")]
    parts += _decoded(row.get("emails"))
    parts += _decoded(row.get("tags"))
    text = fold_text(_SEPARATOR.join([str(part) for part in parts if part]))
    numbers: list[str] = []
    for entry in _decoded(row.get("phones")):
        for key in ("e164", "raw"):
            digits = _NOT_DIGIT.sub("", str(entry.get(key) or ""))
            if digits and digits not in numbers:
                numbers.append(digits)
    return _SEPARATOR.join([text, *numbers]) if numbers else text


def has_search_column(db: sqlite_utils.Database) -> bool:
    """Return True when the database has migration 4's ``search_text`` column."""
    columns = db.execute("PRAGMA table_info(contacts)").fetchall()
    return any(column[1] == "search_text" for column in columns)


def _has_stale_rows(db: sqlite_utils.Database) -> bool:
    row = db.execute(
        "SELECT 1 FROM contacts WHERE search_text IS NULL LIMIT 1"
    ).fetchone()
    return row is not None


def fill_search_text(db: sqlite_utils.Database, *, batch: int = 5000) -> int:
    """Compute ``search_text`` for contacts that lack it (new or changed elsewhere).

    Args:
        db: the open database.
        batch: rows read and written per step.

    Returns:
        How many contacts were filled (0 without the column).
    """
    if not has_search_column(db):
        return 0
    filled = 0
    names = ", ".join(CONTACT_COLUMNS)
    while True:
        cursor = db.execute(
            f"SELECT {names} FROM contacts WHERE search_text IS NULL LIMIT ?", [batch]
        )
        rows = [dict(zip(CONTACT_COLUMNS, row, strict=True)) for row in cursor]
        if not rows:
            break
        with db.atomic():
            db.conn.executemany(
                "UPDATE contacts SET search_text = ? WHERE id = ?",
                ((search_text_for(row), row["id"]) for row in rows),
            )
        filled += len(rows)
    if filled:
        logger.debug("search text filled for %d contacts", filled)
    return filled


def _slow_search_sql(needle: str, digits: str) -> tuple[str, list[Any]]:
    like = f"%{needle}%"
    parts = [
        "lower(first_name || ' ' || last_name) LIKE ?",
        "lower(full_name) LIKE ?",
        "lower(company) LIKE ?",
        "lower(emails) LIKE ?",
        "lower(tags) LIKE ?",
    ]
    params: list[Any] = [like] * len(parts)
    if len(digits) >= 3:
        parts.append("phones LIKE ?")
        params.append(f"%{digits}%")
    return "(" + " OR ".join(parts) + ")", params


def _filter_sql(
    db: sqlite_utils.Database, tag: str | None, search: str | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if tag:
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(contacts.tags) "
            "WHERE lower(json_each.value) = lower(?))"
        )
        params.append(tag.strip())
    if search and search.strip():
        text = search.strip()
        digits = "".join(ch for ch in text if ch.isdigit())
        if has_search_column(db):
            # instr() on the narrow (id, search_text) index: a tenth of the work
            # of the LIKE expressions over the whole table.
            fast = "instr(search_text, ?) > 0"
            fast_params: list[Any] = [fold_text(text)]
            if len(digits) >= 3:
                fast = f"({fast} OR instr(search_text, ?) > 0)"
                fast_params.append(digits)
            if _has_stale_rows(db):
                slow, slow_params = _slow_search_sql(text.lower(), digits)
                fast = f"({fast} OR (search_text IS NULL AND {slow}))"
                fast_params += slow_params
            clauses.append(fast)
            params += fast_params
        else:
            slow, slow_params = _slow_search_sql(text.lower(), digits)
            clauses.append(slow)
            params += slow_params
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
    where, params = _filter_sql(db, tag, search)
    if where and limit is not None:
        # Pick the ids on the narrow search index first, then read only those rows.
        sql = (
            f"SELECT * FROM contacts WHERE id IN (SELECT id FROM contacts{where}"
            " ORDER BY id LIMIT ? OFFSET ?) ORDER BY id"
        )
        params += [limit, offset]
    else:
        sql = f"SELECT * FROM contacts{where} ORDER BY id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
    return [contact_from_row(row) for row in db.query(sql, params)]


def count_contacts(
    db: sqlite_utils.Database, *, tag: str | None = None, search: str | None = None
) -> int:
    """Return how many contacts match the same filters as :func:`list_contacts`."""
    where, params = _filter_sql(db, tag, search)
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


def contacts_by_phone(
    db: sqlite_utils.Database, numbers: Iterable[str]
) -> dict[str, list[int]]:
    """Return the contacts that have each number, as main phone or as another one.

    One query answers for every number (a sync passes the senders of all its new
    replies): the main phones through their index, the other numbers through the
    ``phones`` lists. For a few numbers only the contacts whose ``search_text``
    holds the digits (or is stale) have their list read; for more, one pass reads
    every list, which costs the same whatever the count of numbers.

    Args:
        numbers: E.164 numbers; blanks are skipped.

    Returns:
        number -> the ids of the contacts having it, lowest first; a number no
        contact has is left out.
    """
    wanted = sorted({number.strip() for number in numbers if number and number.strip()})
    if not wanted:
        return {}
    candidates = "contacts.phones != '[]'"
    params: list[Any] = [json.dumps(wanted)]
    digits = [_NOT_DIGIT.sub("", number) for number in wanted]
    if len(wanted) <= _FEW_NUMBERS and all(digits) and has_search_column(db):
        found_in = " OR ".join("instr(search_text, ?) > 0" for _ in digits)
        candidates += (
            " AND contacts.id IN (SELECT id FROM contacts"
            f" WHERE {found_in} OR search_text IS NULL)"
        )
        params += digits
    cursor = db.execute(
        "WITH wanted(number) AS (SELECT value FROM json_each(?))"
        " SELECT contacts.id, json_extract(entry.value, '$.e164')"
        f" FROM contacts, json_each(contacts.phones) AS entry WHERE {candidates}"
        " AND json_extract(entry.value, '$.e164') IN (SELECT number FROM wanted)"
        " UNION"
        " SELECT id, phone FROM contacts WHERE phone IN (SELECT number FROM wanted)",
        params,
    )
    found: dict[str, set[int]] = {}
    for contact_id, number in cursor:
        found.setdefault(str(number), set()).add(int(contact_id))
    return {number: sorted(ids) for number, ids in found.items()}


def contacts_by_email(
    db: sqlite_utils.Database, addresses: Iterable[str]
) -> dict[str, list[int]]:
    """Return the contacts that have each address, as main email or another one.

    Args:
        addresses: email addresses, compared case-insensitively; blanks skipped.

    Returns:
        address key (trimmed, case-folded) -> the ids of the contacts having it,
        lowest first; an address no contact has is left out.
    """
    wanted = sorted({a.strip().casefold() for a in addresses if a and a.strip()})
    if not wanted:
        return {}
    cursor = db.execute(
        "WITH wanted(address) AS (SELECT value FROM json_each(?))"
        " SELECT id, email_key FROM contacts"
        " WHERE email_key IN (SELECT address FROM wanted)"
        " UNION"
        " SELECT contacts.id, lower(trim(entry.value))"
        " FROM contacts, json_each(contacts.emails) AS entry"
        " WHERE contacts.emails != '[]'"
        " AND lower(trim(entry.value)) IN (SELECT address FROM wanted)",
        [json.dumps(wanted)],
    )
    found: dict[str, set[int]] = {}
    for contact_id, address in cursor:
        found.setdefault(str(address), set()).add(int(contact_id))
    return {address: sorted(ids) for address, ids in found.items()}


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


# The highest contact id ever deleted. Ids are never used twice, so a message, an
# event or an import's record of a deleted contact can never point at a new one.
_HIGHEST_DELETED_KEY = "_contacts.highest_deleted_id"


def next_contact_id(db: sqlite_utils.Database) -> int:
    """Return the id the next inserted contact may use (never a deleted one's)."""
    row = db.execute(
        "SELECT max(coalesce((SELECT max(id) FROM contacts), 0),"
        " coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?), 0))"
        " + 1",
        [_HIGHEST_DELETED_KEY],
    ).fetchone()
    return int(row[0])


def insert_contact_rows(
    db: sqlite_utils.Database,
    rows: list[dict[str, Any]],
    *,
    suppress: bool = True,
) -> list[tuple[int, DeletedOptOut]]:
    """Insert raw ``contacts`` rows (JSON columns already encoded) in one call.

    A new contact whose phone or email opted out before, as a contact that has
    since been deleted, gets that opt-out again in the consent ledger (source
    ``suppression``), so deleting a contact never re-subscribes the person.

    Args:
        rows: dicts with every name in :data:`CONTACT_COLUMNS`.
        suppress: False when the caller records those opt-outs itself (imports).

    Returns:
        (contact id, earlier opt-out) for each opt-out recorded again.
    """
    names = list(CONTACT_COLUMNS)
    values: Iterable[list[Any]] = ([row[name] for name in names] for row in rows)
    if has_search_column(db):
        names.append("search_text")
        values = (
            [row[n] for n in CONTACT_COLUMNS] + [search_text_for(row)] for row in rows
        )
    marks = ", ".join("?" for _ in names)
    db.conn.executemany(
        f"INSERT INTO contacts ({', '.join(names)}) VALUES ({marks})", values
    )
    if not suppress:
        return []
    return consent_store.suppress_new_contacts(db, rows)


def replace_contact_rows(
    db: sqlite_utils.Database,
    rows: list[dict[str, Any]],
    *,
    import_id: int | None = None,
    before: dict[int, dict[str, Any]] | None = None,
) -> list[tuple[int, DeletedOptOut]]:
    """Overwrite stored contacts with raw rows (matched by ``id``).

    A contact given a phone or email that opted out without a contact (a deleted
    contact's, a stranger's STOP) gets that opt-out in the ledger too, so no edit,
    import or event re-subscribes a number or address.

    Args:
        rows: dicts with every name in :data:`CONTACT_COLUMNS`.
        import_id: the import making the change, if any (for the ledger rows).
        before: the stored rows by id, when the caller has them already.

    Returns:
        (contact id, earlier opt-out) for each opt-out recorded again.
    """
    if not rows:
        return []
    if before is None:
        stored = raw_rows_by_id(db, (row["id"] for row in rows))
        before = {int(row["id"]): row for row in stored}
    names = [name for name in CONTACT_COLUMNS if name != "id"]
    searchable = has_search_column(db)
    assignments = ", ".join(f"{name} = ?" for name in names)
    if searchable:
        assignments += ", search_text = ?"

    def values(row: dict[str, Any]) -> list[Any]:
        extra = [search_text_for(row)] if searchable else []
        return [row[name] for name in names] + extra + [row["id"]]

    db.conn.executemany(
        f"UPDATE contacts SET {assignments} WHERE id = ?", (values(r) for r in rows)
    )
    return consent_store.suppress_gained_addresses(db, before, rows, import_id)


def delete_contact_rows(db: sqlite_utils.Database, ids: list[int]) -> None:
    """Delete contacts; their consent rows stay in the ledger.

    The rows keep their ``recipient`` and lose their ``contact_id`` (set NULL by
    the foreign key), so the proof of consent and every opt-out outlive the
    contact (see :func:`desktop_app.storage.consent.deleted_opt_outs`).

    Args:
        ids: the contact ids.
    """
    if ids:
        db.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO"
            " UPDATE SET value = max(CAST(value AS INTEGER), excluded.value)",
            [_HIGHEST_DELETED_KEY, max(ids)],
        )
    if _logs_deletions(db):
        # The ledger guard (migration 8) lets a row lose its contact only for a
        # contact logged here.
        now = utc_now()
        db.conn.executemany(
            "INSERT OR IGNORE INTO contact_deletions (contact_id, deleted_at)"
            " VALUES (?, ?)",
            ([i, now] for i in ids),
        )
    db.conn.executemany("DELETE FROM contacts WHERE id = ?", ([i] for i in ids))


def _logs_deletions(db: sqlite_utils.Database) -> bool:
    """Return True when the database has the deletion log (migration 8 on)."""
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
        ["contact_deletions"],
    ).fetchone()
    return row is not None


def raw_contact_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Return every stored contact as a raw row (JSON columns still text)."""
    cursor = db.execute(f"SELECT {', '.join(CONTACT_COLUMNS)} FROM contacts")
    return [dict(zip(CONTACT_COLUMNS, row, strict=True)) for row in cursor]


def raw_rows_by_id(
    db: sqlite_utils.Database, ids: Iterable[int]
) -> list[dict[str, Any]]:
    """Return the raw rows of the given contacts (missing ids are left out), by id.

    Args:
        ids: the contact ids.
    """
    wanted = sorted({int(i) for i in ids})
    rows: list[dict[str, Any]] = []
    names = ", ".join(CONTACT_COLUMNS)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        cursor = db.execute(
            f"SELECT {names} FROM contacts WHERE id IN ({marks}) ORDER BY id", chunk
        )
        rows += [dict(zip(CONTACT_COLUMNS, row, strict=True)) for row in cursor]
    return rows


def contacts_fingerprint(db: sqlite_utils.Database) -> tuple[object, ...]:
    """Return (count, latest change, highest id): it changes whenever contacts do."""
    row = db.execute("SELECT count(*), max(updated_at), max(id) FROM contacts")
    return tuple(row.fetchone())
