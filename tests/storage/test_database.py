"""Opening the database: migrations, pragmas, backups before upgrades."""

from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import StorageError
from desktop_app.storage import database


def test_database_file_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = database.open_database(tmp_path / "duet.sqlite3")

    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.schema_version(db) == len(database.MIGRATIONS)


def test_database_reopen_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "duet.sqlite3"
    database.open_database(path).close()

    db = database.open_database(path)

    assert database.schema_version(db) == len(database.MIGRATIONS)
    assert not list(tmp_path.glob("*.before-v*"))


def test_database_failed_migration_leaves_nothing_half_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "duet.sqlite3"
    database.open_database(path).close()

    def broken(db: sqlite_utils.Database) -> None:
        database._run_script(
            db, "CREATE TABLE half_done (id INTEGER);\nCREATE TABLE oops (;\n"
        )

    monkeypatch.setattr(database, "MIGRATIONS", [*database.MIGRATIONS, broken])
    with pytest.raises(StorageError) as caught:
        database.open_database(path)

    assert "before-v" in caught.value.message
    check = sqlite_utils.Database(path)
    assert "half_done" not in check.table_names()
    assert database.schema_version(check) == len(database.MIGRATIONS) - 1
    assert list(tmp_path.glob("*.before-v*"))


def test_database_newer_than_this_duet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "duet.sqlite3"
    database.open_database(path).close()
    sqlite_utils.Database(path).execute("PRAGMA user_version = 999")

    with pytest.raises(StorageError, match="newer version of Duet"):
        database.open_database(path)


def test_database_phone_numbers_stay_text(db: sqlite_utils.Database) -> None:
    db["contacts"].insert(
        {"phone": "+15555550123", "created_at": "x", "updated_at": "x"}
    )

    stored = db.execute("SELECT typeof(phone), phone FROM contacts").fetchone()

    assert stored == ("text", "+15555550123")


def test_settings_spending_caps_are_checked(db: sqlite_utils.Database) -> None:
    from desktop_app.errors import ValidationError
    from desktop_app.storage import automation, settings

    assert settings.set_setting(db, "sms.daily_cap", "$25") == "25"
    assert automation.spending_caps(db) == (25.0, None)
    with pytest.raises(ValidationError, match="not an amount"):
        settings.set_setting(db, "sms.monthly_cap", "lots")
    assert settings.set_setting(db, "sms.daily_cap", "") == ""
    assert automation.spending_caps(db) == (None, None)
