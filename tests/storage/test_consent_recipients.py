"""The ledger outlives its contacts: migration 7, recipients and suppression."""

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.storage import consent, contacts, database, imports


def _contact(db: sqlite_utils.Database, phone: str | None, email: str | None) -> int:
    contact_id = contacts.next_contact_id(db)
    phones = [{"e164": phone, "raw": phone}] if phone else []
    contacts.insert_contact_rows(
        db,
        [
            {
                "id": contact_id,
                "first_name": f"Person{contact_id}",
                "last_name": "",
                "full_name": "",
                "company": "",
                "phone": phone,
                "phone_kind": "mobile" if phone else "unknown",
                "phones": json.dumps(phones),
                "email": email,
                "email_key": email.casefold() if email else None,
                "emails": json.dumps([email] if email else []),
                "tags": "[]",
                "country": "",
                "timezone": "",
                "custom": "{}",
                "warnings": "[]",
                "source_import": None,
                "created_at": "2026-01-02T10:00:00+00:00",
                "updated_at": "2026-01-02T10:00:00+00:00",
            }
        ],
    )
    return contact_id


def _old_database(path: Path) -> None:
    """Write a file as Duet wrote it before migration 7, with ledger rows."""
    old = sqlite_utils.Database(path)
    old.execute("PRAGMA foreign_keys=ON")
    for migration in database.MIGRATIONS[:6]:
        migration(old)
    old.execute("PRAGMA user_version = 6")
    old.execute(
        "INSERT INTO imports (id, file_name, format, created_at)"
        " VALUES (4, 'shop.csv', 'shopify', '2025-12-01T09:00:00+00:00')"
    )
    old["contacts"].insert_all(
        [
            {"id": 7, "phone": "+12125550107", "email": "Ann@Example.com",
             "created_at": "x", "updated_at": "x"},
            {"id": 9, "phone": None, "email": "bo@example.com",
             "created_at": "x", "updated_at": "x"},
        ]
    )  # fmt: skip
    rows = [
        (3, 7, "sms", "opted_in", "import", "shop.csv row 1: x=yes", 4),
        (5, 7, "email", "opted_in", "import", "shop.csv row 1: y=yes", 4),
        (8, 9, "sms", "unknown", "import", "shop.csv row 2: x=no", 4),
        (11, 7, "sms", "opted_out", "reply", "SMS reply 'STOP'", None),
    ]
    for row in rows:
        old.execute(
            "INSERT INTO consent (id, contact_id, channel, status, source, evidence,"
            " import_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*row, f"2025-12-0{row[0] % 9 + 1}T10:00:00+00:00"],
        )
    old.conn.commit()
    old.close()


COLUMNS = "id, contact_id, channel, status, source, evidence, import_id, created_at"


def test_migration_7_keeps_every_row_and_fills_the_recipient(tmp_path: Path) -> None:
    path = tmp_path / "duet.sqlite3"
    _old_database(path)
    before = sqlite_utils.Database(path).execute(
        f"SELECT {COLUMNS} FROM consent ORDER BY id"
    )
    before_rows = before.fetchall()

    db = database.open_database(path)

    assert database.schema_version(db) == len(database.MIGRATIONS)
    after = db.execute(f"SELECT {COLUMNS} FROM consent ORDER BY id").fetchall()
    assert after == before_rows
    recipients = dict(db.execute("SELECT id, recipient FROM consent").fetchall())
    assert recipients == {
        3: "+12125550107",
        5: "Ann@Example.com",
        8: None,
        11: "+12125550107",
    }
    indexes = {row[1] for row in db.execute("PRAGMA index_list(consent)")}
    assert "consent_contact" in indexes
    assert list(tmp_path.glob("*.before-v7"))
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_migrated_ledger_keeps_rows_of_a_deleted_contact(tmp_path: Path) -> None:
    path = tmp_path / "duet.sqlite3"
    _old_database(path)
    db = database.open_database(path)

    with db.atomic():
        contacts.delete_contact_rows(db, [7])

    rows = db.execute(
        "SELECT id, contact_id, recipient FROM consent ORDER BY id"
    ).fetchall()
    assert rows == [
        (3, None, "+12125550107"),
        (5, None, "Ann@Example.com"),
        (8, 9, None),
        (11, None, "+12125550107"),
    ]
    known = consent.deleted_opt_outs(db)
    assert set(known["sms"]) == {"+12125550107"}
    assert known["sms"]["+12125550107"].row_id == 11
    assert known["email"] == {}


def test_migration_copies_a_row_whose_contact_was_already_missing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "duet.sqlite3"
    _old_database(path)
    old = sqlite_utils.Database(path)
    old.execute("PRAGMA foreign_keys=OFF")
    old.execute(
        "INSERT INTO consent (id, contact_id, channel, status, source, created_at)"
        " VALUES (20, 555, 'sms', 'opted_out', 'reply', '2025-12-09T10:00:00+00:00')"
    )
    old.conn.commit()
    old.close()

    db = database.open_database(path)

    row = db.execute("SELECT contact_id, status FROM consent WHERE id = 20")
    assert row.fetchone() == (None, "opted_out")


def test_record_consent_keeps_the_recipient(db: sqlite_utils.Database) -> None:
    ann = _contact(db, "+12125550111", "ann@example.com")

    sms = consent.record_consent(db, ann, "sms", "opted_in", source="manual")
    mail = consent.record_consent(
        db, contact_id=ann, channel="email", status="opted_out", source="email"
    )
    db.execute("UPDATE contacts SET phone = '+12125550112' WHERE id = ?", [ann])

    stored = dict(db.execute("SELECT id, recipient FROM consent").fetchall())
    assert stored == {sms: "+12125550111", mail: "ann@example.com"}


def test_a_writer_without_recipient_gets_it_from_the_trigger(
    db: sqlite_utils.Database,
) -> None:
    ann = _contact(db, "+12125550113", None)

    db.execute(
        "INSERT INTO consent (contact_id, channel, status, source, created_at)"
        " VALUES (?, 'sms', 'opted_out', 'reply', 'x')",
        [ann],
    )
    imports.insert_consent_rows(
        db, [(ann, "email", "unknown", "import", "", None, "x")]
    )

    rows = db.execute("SELECT channel, recipient FROM consent ORDER BY id")
    assert rows.fetchall() == [("sms", "+12125550113"), ("email", None)]


def test_consent_map_and_ledger_ignore_and_show_deleted_contacts(
    db: sqlite_utils.Database,
) -> None:
    ann = _contact(db, "+12125550114", "ann@example.com")
    bob = _contact(db, "+12125550115", None)
    consent.record_consent(db, ann, "sms", "opted_out", source="reply")
    consent.record_consent(db, bob, "sms", "opted_in", source="manual")
    with db.atomic():
        contacts.delete_contact_rows(db, [ann])

    assert consent.consent_map(db, None, "sms") == {bob: "opted_in"}
    ledger = consent.ledger_rows(db)
    gone = next(row for row in ledger if row["contact_id"] is None)
    assert gone["contact_name"] == "(deleted contact)"
    assert gone["recipient"] == "+12125550114"
    assert gone["phone"] is None
    assert [row["recipient"] for row in ledger] == ["+12125550114", "+12125550115"]


def test_new_contact_with_a_deleted_opt_out_gets_it_again(
    db: sqlite_utils.Database,
) -> None:
    ann = _contact(db, "+12125550116", "Ann@Example.com")
    consent.record_consent(db, ann, "sms", "opted_out", source="reply")
    consent.record_consent(db, ann, "email", "opted_out", source="email")
    with db.atomic():
        contacts.delete_contact_rows(db, [ann])

    again = _contact(db, "+12125550116", "ann@example.com")

    assert consent.current_consent(db, again, "sms") == "opted_out"
    assert consent.current_consent(db, again, "email") == "opted_out"
    history = consent.consent_history(db, again)
    assert {row["source"] for row in history} == {"suppression"}
    assert "+12125550116 opted out of SMS on" in history[0]["evidence"]
    assert "(ledger row 1)" in history[0]["evidence"]
    other = _contact(db, "+12125550117", "other@example.com")
    assert consent.consent_history(db, other) == []


def test_an_opt_in_after_the_opt_out_lifts_the_suppression(
    db: sqlite_utils.Database,
) -> None:
    ann = _contact(db, "+12125550118", None)
    consent.record_consent(db, ann, "sms", "opted_out", source="reply")
    consent.record_consent(db, ann, "sms", "opted_in", source="reply")
    with db.atomic():
        contacts.delete_contact_rows(db, [ann])

    again = _contact(db, "+12125550118", None)

    assert consent.deleted_opt_outs(db)["sms"] == {}
    assert consent.current_consent(db, again, "sms") == "unknown"


@pytest.mark.parametrize(
    ("phones", "emails", "channels"),
    [
        (["+12125550119"], [], ["sms"]),
        ([None, "+12125550119"], ["x@example.com"], ["sms"]),
        ([], ["  B@EXAMPLE.COM "], ["email"]),
        (["+12125550120"], ["c@example.com"], []),
    ],
)
def test_matching_opt_outs(
    phones: list[str | None], emails: list[str], channels: list[str]
) -> None:
    known = {
        "sms": {
            "+12125550119": consent.DeletedOptOut(1, "sms", "+12125550119", "2026-01")
        },
        "email": {
            "b@example.com": consent.DeletedOptOut(2, "email", "b@example.com", "x")
        },
    }

    found = consent.matching_opt_outs(known, phones, emails)

    assert [hit.channel for hit in found] == channels


def test_the_database_refuses_to_delete_a_ledger_row(db: sqlite_utils.Database) -> None:
    ann = _contact(db, "+12125550107", "ann@example.com")
    row_id = consent.record_consent(db, ann, "sms", "opted_out", source="reply")

    with pytest.raises(sqlite3.IntegrityError, match="keeps every row"):
        db.execute("DELETE FROM consent WHERE id = ?", [row_id])

    assert consent.current_consent(db, ann, "sms") == "opted_out"


@pytest.mark.parametrize(
    "change",
    [
        "status = 'opted_in'",
        "source = 'manual'",
        "evidence = 'edited later'",
        "created_at = '2020-01-01T00:00:00+00:00'",
        "channel = 'email'",
        "recipient = '+12125550199'",
        "recipient = NULL",
        "contact_id = contact_id + 1",
        "contact_id = NULL",
        "id = id + 100",
    ],
)
def test_the_database_refuses_to_rewrite_a_ledger_row(
    db: sqlite_utils.Database, change: str
) -> None:
    ann = _contact(db, "+12125550107", "ann@example.com")
    _contact(db, "+12125550108", None)
    row_id = consent.record_consent(db, ann, "sms", "opted_out", source="reply")
    before = db.execute("SELECT * FROM consent WHERE id = ?", [row_id]).fetchone()

    with pytest.raises(sqlite3.IntegrityError, match="keeps every row"):
        db.execute(f"UPDATE consent SET {change} WHERE id = ?", [row_id])

    after = db.execute("SELECT * FROM consent WHERE id = ?", [row_id]).fetchone()
    assert after == before


def test_the_database_refuses_to_replace_a_ledger_row(
    db: sqlite_utils.Database,
) -> None:
    ann = _contact(db, "+12125550107", "ann@example.com")
    row_id = consent.record_consent(db, ann, "email", "opted_out", source="email")

    for verb in ("INSERT OR REPLACE", "REPLACE"):
        with pytest.raises(sqlite3.IntegrityError, match="keeps every row"):
            db.execute(
                f"{verb} INTO consent (id, contact_id, channel, status, source,"
                " evidence, created_at, recipient) VALUES (?, ?, 'email', 'opted_in',"
                " 'manual', 'forged', '2026-01-01T00:00:00+00:00', 'ann@example.com')",
                [row_id, ann],
            )
    with pytest.raises(sqlite3.IntegrityError, match="keeps every row"):
        db.execute(
            "INSERT INTO consent (id, contact_id, channel, status, source, evidence,"
            " created_at) VALUES (?, ?, 'email', 'opted_in', 'manual', '', 'x')"
            " ON CONFLICT (id) DO UPDATE SET status = 'opted_in'",
            [row_id, ann],
        )

    assert consent.current_consent(db, ann, "email") == "opted_out"


def test_a_contact_cannot_be_replaced_to_detach_its_ledger(
    db: sqlite_utils.Database,
) -> None:
    ann = _contact(db, "+12125550107", "ann@example.com")
    consent.record_consent(db, ann, "sms", "opted_out", source="reply")

    with pytest.raises(sqlite3.IntegrityError, match="keeps every row"):
        db.execute(
            "INSERT OR REPLACE INTO contacts (id, first_name, created_at, updated_at)"
            " VALUES (?, 'Ann', 'x', 'x')",
            [ann],
        )

    assert consent.current_consent(db, ann, "sms") == "opted_out"


def test_an_empty_recipient_can_only_be_filled_with_the_contacts_own(
    db: sqlite_utils.Database,
) -> None:
    bo = _contact(db, None, "bo@example.com")
    row_id = consent.record_consent(db, bo, "sms", "opted_out", source="manual")

    with pytest.raises(sqlite3.IntegrityError, match="keeps every row"):
        db.execute(
            "UPDATE consent SET recipient = '+12125550199' WHERE id = ?", [row_id]
        )


def test_deleting_the_contact_still_detaches_its_ledger_rows(
    db: sqlite_utils.Database,
) -> None:
    ann = _contact(db, "+12125550107", "ann@example.com")
    row_id = consent.record_consent(db, ann, "email", "opted_in", source="import")

    contacts.delete_contact_rows(db, [ann])

    row = db.execute(
        "SELECT contact_id, recipient, status FROM consent WHERE id = ?", [row_id]
    ).fetchone()
    assert row == (None, "ann@example.com", "opted_in")
    logged = db.execute("SELECT contact_id FROM contact_deletions").fetchall()
    assert logged == [(ann,)]


def test_an_upgraded_file_gets_the_guard_too(tmp_path: Path) -> None:
    path = tmp_path / "duet.sqlite3"
    _old_database(path)

    upgraded = database.open_database(path)

    with pytest.raises(sqlite3.IntegrityError, match="keeps every row"):
        upgraded.execute("DELETE FROM consent")
    assert upgraded.execute("SELECT count(*) FROM consent").fetchone()[0] == 4
