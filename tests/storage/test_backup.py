"""Backup and restore: consistent copies while writing, safe replacement, refusals."""

import json
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app import paths
from desktop_app.errors import StorageError, ValidationError
from desktop_app.storage.backup import backup_to, check_duet_database, restore_from
from desktop_app.storage.database import MIGRATIONS, open_database, utc_now


def _add_contact(db: sqlite_utils.Database, number: int) -> None:
    """One contact and its consent row, in one transaction."""
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO contacts (first_name, phone, email, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                f"Customer {number}",
                f"+1201555{number % 100:04d}"[:12],
                f"customer{number}@example.com",
                utc_now(),
                utc_now(),
            ],
        )
        db.execute(
            "INSERT INTO consent (contact_id, channel, status, source, created_at) "
            "VALUES (?, 'sms', 'opted_in', 'test', ?)",
            [cursor.lastrowid, utc_now()],
        )


def _counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        contacts = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
        consent = conn.execute("SELECT count(*) FROM consent").fetchone()[0]
    finally:
        conn.close()
    return contacts, consent


class _Writer(threading.Thread):
    """Adds contacts through its own connection until told to stop."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.written = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        db = open_database(self.path)
        try:
            while not self.stop.is_set() and self.written < 200_000:
                _add_contact(db, 10_000 + self.written)
                self.written += 1
        except BaseException as error:  # reported by the test thread
            self.error = error
        finally:
            db.close()

    def wait_for(self, count: int) -> None:
        for _ in range(2_000):
            if self.written >= count or not self.is_alive():
                return
            self.stop.wait(0.01)


def test_backup_while_another_connection_writes_is_consistent(data_dir: Path) -> None:
    live = paths.database_path(data_dir)
    db = open_database(live)
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO contacts (first_name, created_at, updated_at) VALUES (?, ?, ?)",
            [(f"Old {n}", utc_now(), utc_now()) for n in range(20_000)],
        )
        db.execute(
            "INSERT INTO consent (contact_id, channel, status, source, created_at) "
            "SELECT id, 'email', 'unknown', 'seed', created_at FROM contacts"
        )
    writer = _Writer(live)
    writer.start()
    writer.wait_for(20)
    before = writer.written

    copies = [backup_to(db, data_dir / f"copy{n}.sqlite3") for n in range(3)]

    writer.wait_for(writer.written + 20)
    writer.stop.set()
    writer.join(timeout=30)
    db.close()
    assert writer.error is None
    final_contacts, _ = _counts(live)
    for copy in copies:
        assert check_duet_database(copy) == len(MIGRATIONS)
        contacts, consent = _counts(copy)
        # Each writer transaction adds a contact and its consent row together.
        assert contacts == consent
        assert 20_000 + before <= contacts < final_contacts
        assert not copy.with_name(copy.name + "-wal").exists()
    assert before >= 20


def test_backup_replaces_an_existing_file_and_refuses_the_live_one(
    data_dir: Path,
) -> None:
    live = paths.database_path(data_dir)
    db = open_database(live)
    _add_contact(db, 1)
    target = data_dir / "backup.sqlite3"
    target.write_text("an older, unrelated file", encoding="utf-8")

    backup_to(db, target)

    assert _counts(target) == (1, 1)
    assert list(data_dir.glob(".backup.sqlite3.partial-*")) == []
    with pytest.raises(ValidationError, match="Duet's own database"):
        backup_to(db, live)
    db.close()


def test_restore_replaces_the_database_and_keeps_the_old_one(
    data_dir: Path, tmp_path: Path
) -> None:
    live = paths.database_path(data_dir)
    db = open_database(live)
    _add_contact(db, 1)
    backup = backup_to(db, tmp_path / "saved.sqlite3")
    for number in range(2, 6):
        _add_contact(db, number)
    db.close()

    kept = restore_from(data_dir, backup)

    assert kept.parent == data_dir / "backups"
    assert _counts(kept) == (5, 5)
    # The contacts go back to the backup; their consent rows stay in the ledger.
    assert _counts(live) == (1, 5)
    assert _counts(backup) == (1, 1)
    assert not live.with_name(live.name + "-wal").exists()
    reopened = open_database(live)
    assert reopened.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    _add_contact(reopened, 7)
    assert reopened.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2
    reopened.close()


def test_restore_into_an_empty_folder_needs_nothing_to_keep(
    db: sqlite_utils.Database, data_dir: Path, tmp_path: Path
) -> None:
    _add_contact(db, 1)
    backup = backup_to(db, tmp_path / "from-memory.sqlite3")

    result = restore_from(data_dir, backup)

    assert result == paths.database_path(data_dir)
    assert _counts(result) == (1, 1)
    assert not (data_dir / "backups").exists()


def test_restore_refuses_while_the_database_is_open(
    data_dir: Path, tmp_path: Path
) -> None:
    live = paths.database_path(data_dir)
    db = open_database(live)
    _add_contact(db, 1)
    backup = backup_to(db, tmp_path / "saved.sqlite3")
    _add_contact(db, 2)
    db.execute("SELECT count(*) FROM contacts").fetchone()

    with pytest.raises(StorageError, match="still open"):
        restore_from(data_dir, backup)

    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2
    db.close()
    assert _counts(live) == (2, 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"first_name,phone\nAda,+12015550123\n", "not an SQLite database file"),
        (b"", "tables missing"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_database(
    data_dir: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    live = paths.database_path(data_dir)
    open_database(live).close()
    before = live.read_bytes()
    source = tmp_path / "customers.csv"
    source.write_bytes(content)

    with pytest.raises(ValidationError, match=message) as raised:
        restore_from(data_dir, source)

    assert str(source) in raised.value.message
    assert live.read_bytes() == before
    assert not (data_dir / "backups").exists()


def test_restore_refuses_an_sqlite_file_from_another_program(
    data_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "notes.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()

    with pytest.raises(ValidationError, match="tables missing: settings, imports"):
        restore_from(data_dir, other)

    assert not paths.database_path(data_dir).exists()


def test_restore_refuses_a_database_from_a_newer_duet(
    data_dir: Path, tmp_path: Path
) -> None:
    newer = open_database(tmp_path / "newer.sqlite3")
    newer.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    newer.close()

    with pytest.raises(ValidationError, match="newer version of Duet"):
        restore_from(data_dir, tmp_path / "newer.sqlite3")


def test_restore_refuses_the_live_database_itself(data_dir: Path) -> None:
    live = paths.database_path(data_dir)
    open_database(live).close()

    with pytest.raises(ValidationError, match="using already"):
        restore_from(data_dir, live)


@pytest.mark.allow_warning_log
def test_cli_backup_and_restore_round_trip(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_app.cli import run

    base = ["--data-dir", str(data_dir)]
    backup = tmp_path / "shop.sqlite3"
    assert run([*base, "settings", "set", "shop.name", "Before"]) == 0
    assert run([*base, "backup", str(backup), "--json"]) == 0
    capsys.readouterr()
    assert run([*base, "settings", "set", "shop.name", "After"]) == 0
    capsys.readouterr()

    assert run([*base, "restore", str(backup), "--json"]) == 0

    result = json.loads(capsys.readouterr().out)
    assert result["database"] == str(paths.database_path(data_dir))
    assert Path(result["kept"]).parent == data_dir / "backups"
    assert run([*base, "settings", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["shop.name"] == "Before"
    not_duet = tmp_path / "notes.txt"
    not_duet.write_text("shopping list\n", encoding="utf-8")
    assert run([*base, "restore", str(not_duet)]) == 1
    assert "notes.txt is not a Duet database" in capsys.readouterr().err


def test_restore_keeps_every_opt_out_recorded_after_the_backup(
    data_dir: Path, tmp_path: Path
) -> None:
    from desktop_app.storage import consent

    live = paths.database_path(data_dir)
    db = open_database(live)
    _add_contact(db, 1)
    _add_contact(db, 2)
    backup = backup_to(db, tmp_path / "saved.sqlite3")
    consent.record_consent(db, 1, "sms", "opted_out", source="reply", evidence="STOP")
    _add_contact(db, 3)
    consent.record_consent(db, 3, "email", "opted_out", source="manual", evidence="x")
    before = db.execute("SELECT count(*) FROM consent").fetchone()[0]
    db.close()

    restore_from(data_dir, backup)

    restored = open_database(live)
    assert consent.current_consent(restored, 1, "sms") == "opted_out"
    assert restored.execute("SELECT count(*) FROM consent").fetchone()[0] == before
    kept = consent.deleted_opt_outs(restored)["email"]
    assert [o.recipient for o in kept.values()] == ["customer3@example.com"]
    evidence = restored.execute(
        "SELECT evidence FROM consent WHERE contact_id = 1 ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    assert evidence == "STOP (kept when a backup was restored)"
    restored.close()

    restore_from(data_dir, backup)  # restoring again adds nothing twice
    again = open_database(live)
    assert again.execute("SELECT count(*) FROM consent").fetchone()[0] == before
    again.close()
