"""Contact storage: the search text, the fast filter and its fallback, raw rows."""

import json
import sqlite3
from typing import Any

import pytest
import sqlite_utils

from desktop_app.storage import contacts, database

# The same SQL as migration 5 (storage/database.py), applied by hand to a database
# made without it, so the old and the new search can be compared.
MIGRATION_5 = """
ALTER TABLE contacts ADD COLUMN search_text TEXT;
CREATE INDEX contacts_search ON contacts(id, search_text);
CREATE INDEX contacts_search_stale ON contacts(id) WHERE search_text IS NULL;
CREATE TRIGGER contacts_search_stale AFTER UPDATE OF
    first_name, last_name, full_name, company, phones, emails, tags ON contacts
WHEN NEW.search_text IS OLD.search_text AND NEW.search_text IS NOT NULL AND (
    NEW.first_name IS NOT OLD.first_name OR NEW.last_name IS NOT OLD.last_name
    OR NEW.full_name IS NOT OLD.full_name OR NEW.company IS NOT OLD.company
    OR NEW.phones IS NOT OLD.phones OR NEW.emails IS NOT OLD.emails
    OR NEW.tags IS NOT OLD.tags)
BEGIN
    UPDATE contacts SET search_text = NULL WHERE id = NEW.id;
END;
"""


def add_search_column(db: sqlite_utils.Database) -> None:
    """Apply MIGRATION_5 unless the database already has it."""
    if contacts.has_search_column(db):
        return
    statement = ""
    for line in MIGRATION_5.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    db.conn.commit()


def contact_row(number: int, **values: Any) -> dict[str, Any]:
    """A raw contacts row on a 555-01xx number and an example.com address."""
    phone = f"+1212555{number % 10000:04d}"
    email = f"c{number}@example.com"
    row = {
        "id": number,
        "first_name": f"First{number}",
        "last_name": "Test",
        "full_name": "",
        "company": "",
        "phone": phone,
        "phone_kind": "mobile",
        "phones": json.dumps([{"e164": phone, "raw": phone, "kind": "mobile"}]),
        "email": email,
        "email_key": email,
        "emails": json.dumps([email]),
        "tags": "[]",
        "country": "US",
        "timezone": "",
        "custom": "{}",
        "warnings": "[]",
        "source_import": None,
        "created_at": "2024-01-01T00:00:00+00:00",
        "updated_at": "2024-01-01T00:00:00+00:00",
    }
    row.update(values)
    return row


def insert(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    with db.atomic():
        contacts.insert_contact_rows(db, rows)


@pytest.fixture
def searchable(db: sqlite_utils.Database) -> sqlite_utils.Database:
    add_search_column(db)
    return db


def test_fold_text_drops_case_and_accents():
    assert contacts.fold_text("Chloé WEIß") == "chloe weiss"
    assert contacts.fold_text("Ann") == "ann"


def test_search_text_holds_every_searchable_field():
    row = contact_row(
        101,
        company="Lee Bakery",
        tags=json.dumps(["VIP", "Café"]),
        phones=json.dumps([{"e164": "+12125550101", "raw": "(212) 555-0101"}]),
    )
    text = contacts.search_text_for(row)
    fields = text.split("\x1f")
    assert fields[:5] == [
        "first101 test",
        "lee bakery",
        "c101@example.com",
        "vip",
        "cafe",
    ]
    assert fields[5:] == ["12125550101", "2125550101"]


@pytest.mark.parametrize("with_column", [True, False])
def test_filter_finds_the_same_contacts_with_and_without_the_column(db, with_column):
    if with_column:
        add_search_column(db)
    insert(
        db,
        [
            contact_row(101, first_name="Ann", last_name="Lee"),
            contact_row(102, full_name="Bob Stone", tags=json.dumps(["vip"])),
            contact_row(103, company="Diaz Deli"),
        ],
    )

    def names(search: str) -> list[int]:
        return [c.id for c in contacts.list_contacts(db, search=search)]

    assert names("ann lee") == [101]
    assert names("STONE") == [102]
    assert names("vip") == [102]
    assert names("deli") == [103]
    assert names("c103@example") == [103]
    assert names("555-0102") == [102]
    assert names("zzz") == []
    assert contacts.count_contacts(db, search="example.com") == 3
    assert contacts.count_contacts(db, search="example.com", tag="VIP") == 1
    assert [
        c.id for c in contacts.list_contacts(db, search="test", limit=1, offset=1)
    ] == [103]


def test_accents_are_ignored_with_the_column(searchable):
    insert(searchable, [contact_row(101, first_name="Chloé", last_name="Müller")])
    assert contacts.count_contacts(searchable, search="chloe muller") == 1
    assert contacts.count_contacts(searchable, search="CHLOÉ") == 1


def test_rows_written_elsewhere_are_found_and_then_filled(searchable):
    insert(searchable, [contact_row(101, first_name="Ann")])
    searchable.execute(
        "INSERT INTO contacts (first_name, phones, emails, tags, created_at,"
        " updated_at) VALUES ('Joiner', '[]', '[]', '[]', 'x', 'x')"
    )
    searchable.execute("UPDATE contacts SET first_name = 'Annette' WHERE id = 101")
    stale = searchable.execute(
        "SELECT count(*) FROM contacts WHERE search_text IS NULL"
    ).fetchone()[0]
    assert stale == 2

    assert contacts.count_contacts(searchable, search="joiner") == 1
    assert contacts.count_contacts(searchable, search="annette") == 1

    assert contacts.fill_search_text(searchable) == 2
    assert contacts.fill_search_text(searchable) == 0
    assert contacts.count_contacts(searchable, search="annette") == 1
    assert "search_text IS NULL" not in contacts._filter_sql(searchable, None, "x")[0]


def test_replace_keeps_search_text_current(searchable):
    insert(searchable, [contact_row(101, first_name="Ann")])
    row = contacts.raw_rows_by_id(searchable, [101])[0]
    row["first_name"] = "Zoe"

    contacts.replace_contact_rows(searchable, [row])

    assert contacts.count_contacts(searchable, search="zoe") == 1
    assert contacts.count_contacts(searchable, search="ann") == 0
    stale = searchable.execute(
        "SELECT count(*) FROM contacts WHERE search_text IS NULL"
    ).fetchone()[0]
    assert stale == 0


def test_fill_without_the_column_does_nothing(db):
    insert(db, [contact_row(101)])
    assert contacts.fill_search_text(db) == 0


def test_raw_rows_by_id_skips_missing_ids(db):
    insert(db, [contact_row(n) for n in range(1, 1201)])
    rows = contacts.raw_rows_by_id(db, [1200, 3, 3, 9999, *range(500, 1100)])
    assert [r["id"] for r in rows] == [3, *range(500, 1100), 1200]


def _vm_steps(db: sqlite_utils.Database, search: str) -> int:
    """Count SQLite virtual-machine steps (in thousands) for one keystroke's work."""
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.conn.set_progress_handler(tick, 1000)
    try:
        contacts.list_contacts(db, search=search, limit=200)
        contacts.count_contacts(db, search=search)
    finally:
        db.conn.set_progress_handler(None, 0)
    return steps


def test_fast_filter_does_a_fraction_of_the_sql_work(monkeypatch):
    # A database from before migration 5, so the old search can be measured.
    monkeypatch.setattr(database, "MIGRATIONS", database.MIGRATIONS[:4])
    db = database.open_database(None)
    rows = [
        contact_row(n, tags=json.dumps(["vip"] if n % 7 else []))
        for n in range(1, 20001)
    ]
    insert(db, rows)
    searches = ("first1999", "vip", "zzz", "5550123")
    slow = {s: _vm_steps(db, s) for s in searches}
    add_search_column(db)
    assert contacts.fill_search_text(db) == 20000
    fast = {s: _vm_steps(db, s) for s in searches}

    for search in searches:
        assert fast[search] * 2 < slow[search], (search, fast, slow)
