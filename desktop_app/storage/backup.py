"""Backup and restore of Duet's database file.

A backup is a consistent copy made with SQLite's backup API, so it can be taken while
the window or a send is writing. A restore checks that the chosen file really is a
Duet database, keeps a copy of the current one, and swaps the files in one rename.

A restore never forgets a customer's choice: every consent-ledger row recorded after
the backup (an opt-out above all) is carried into the restored file, tied to the same
phone number or address, so going back to an older backup cannot re-subscribe anyone.
"""

import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop_app import paths
from desktop_app.errors import StorageError, ValidationError
from desktop_app.storage.database import MIGRATIONS, backup_database, migrate

logger = logging.getLogger(__name__)

REQUIRED_TABLES = (
    "settings",
    "imports",
    "contacts",
    "consent",
    "templates",
    "campaigns",
    "messages",
    "events",
)
SAFETY_COPY_FOLDER = "backups"
_KEPT_NOTE = "(kept when a backup was restored)"


def backup_to(db: sqlite_utils.Database, target_path: Path | str) -> Path:
    """Write a consistent copy of ``db`` to ``target_path``.

    The copy is written next to the target first and renamed into place once it has
    been checked, so an existing file at ``target_path`` is never left half-written.
    The copy is a single self-contained file (no ``-wal`` file beside it).

    Args:
        db: the open database; other connections may keep writing meanwhile.
        target_path: where the backup goes; its folder is created if needed.

    Returns:
        The path of the backup.

    Raises:
        ValidationError: ``target_path`` is the live database file itself.
        StorageError: the copy could not be written (disk full, no permission).
    """
    target = Path(target_path)
    live = _main_file(db)
    if live is not None and _same_file(target, live):
        raise ValidationError(
            f"{target} is Duet's own database; choose another file for the backup."
        )

    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        backup_database(db, partial)
        _make_self_contained(partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise StorageError(
            f"Duet could not write the backup {target}.", detail=str(error)
        ) from error

    logger.info("backup written to %s", target)
    return target


def check_duet_database(path: Path | str) -> int:
    """Check that ``path`` is an intact Duet database this version can open.

    Args:
        path: the file to check; it is opened read-only.

    Returns:
        Its schema version (the number of migrations applied).

    Raises:
        ValidationError: the file is missing, not an SQLite file, lacks Duet's tables,
            is damaged, or was written by a newer Duet.
    """
    source = Path(path)
    if not source.is_file():
        raise ValidationError(f"{source} does not exist or is not a file.")

    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            }
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise ValidationError(
            f"{source} is not a Duet database: it is not an SQLite database file.",
            detail=str(error),
        ) from error

    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if version == 0 or missing:
        names = ", ".join(missing) or "none (schema version 0)"
        raise ValidationError(
            f"{source} is not a Duet database: tables missing: {names}."
        )
    if version > len(MIGRATIONS):
        raise ValidationError(
            f"{source} was written by a newer version of Duet (schema {version}); "
            "update Duet before restoring it."
        )
    if check != "ok":
        raise ValidationError(
            f"{source} is damaged and cannot be restored: {check}", detail=check
        )
    return version


def restore_from(data_dir: Path, source_path: Path | str) -> Path:
    """Replace the database in ``data_dir`` with the backup at ``source_path``.

    Every connection to the current database must be closed first (the window closes
    its own, restores, then opens the database again; an older backup is upgraded by
    the usual migrations when it is opened). The current database is copied into
    ``data_dir/backups/`` before anything is replaced, and the new file is renamed
    into place in one step, so a failure leaves either the old or the new data.

    Args:
        data_dir: Duet's data folder.
        source_path: the backup to restore; it is only read.

    Returns:
        The copy kept of the replaced database, or the database path itself when
        there was no database to replace.

    Raises:
        ValidationError: the source is not a usable Duet database, or it is the
            current database itself.
        StorageError: the current database is still open elsewhere, or a file could
            not be written.
    """
    source = Path(source_path)
    live = paths.database_path(data_dir)
    check_duet_database(source)
    if live.exists() and _same_file(source, live):
        raise ValidationError(f"{source} is the database Duet is using already.")

    staged = live.with_name(f".{live.name}.restore-{os.getpid()}")
    try:
        _copy_file_database(source, staged)
        _make_self_contained(staged)
        kept = _keep_current(data_dir, live) if live.exists() else live
        if live.exists():
            carried = _carry_newer_consent(kept, staged)
            if carried:
                logger.info("%d consent changes newer than the backup kept", carried)
        os.replace(staged, live)
    except (sqlite3.Error, OSError) as error:
        staged.unlink(missing_ok=True)
        raise StorageError(
            f"Duet could not restore {source}; the current data is unchanged.",
            detail=str(error),
        ) from error
    finally:
        staged.unlink(missing_ok=True)

    logger.info("database restored from %s; previous copy kept at %s", source, kept)
    return kept


def _carry_newer_consent(current: Path, staged: Path) -> int:
    """Copy the ledger rows ``current`` has and ``staged`` lacks into ``staged``.

    A row is missing when the backup has none with the same channel, status,
    source, evidence, time and number or address (ids differ between copies). Each is tied to the
    restored contact with the same phone number (SMS) or address
    (email), else kept with no contact and its number or address, where the next
    import finds it (see ``consent.deleted_opt_outs``).

    Returns:
        How many rows were carried.
    """
    target = sqlite_utils.Database(sqlite3.connect(staged))
    try:
        target.execute("PRAGMA foreign_keys=ON")
        migrate(target, None)  # the recipient column needs migration 7
        present = set(
            target.execute(
                "SELECT channel, status, source, evidence, created_at, recipient"
                " FROM consent"
            ).fetchall()
        )
        rows = [row for row in _consent_rows(current) if tuple(row) not in present]
        with target.conn:
            for channel, status, source, evidence, created_at, recipient in rows:
                target.conn.execute(
                    "INSERT INTO consent (contact_id, channel, status, source,"
                    " evidence, import_id, created_at, recipient)"
                    " VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                    [
                        _contact_for(target, channel, recipient),
                        channel,
                        status,
                        source,
                        _kept_evidence(evidence),
                        created_at,
                        recipient,
                    ],
                )
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.conn.close()
    return len(rows)


def _kept_evidence(evidence: str) -> str:
    if evidence.endswith(_KEPT_NOTE):
        return evidence
    return f"{evidence} {_KEPT_NOTE}".strip()


def _consent_rows(path: Path) -> list[tuple[Any, ...]]:
    """Return every ledger row of the database at ``path``, oldest first."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(consent)")}
        stored = "c.recipient" if "recipient" in columns else "NULL"
        return conn.execute(
            "SELECT c.channel, c.status, c.source, c.evidence, c.created_at,"
            f" coalesce({stored}, CASE c.channel WHEN 'sms' THEN k.phone"
            " ELSE k.email END)"
            " FROM consent c LEFT JOIN contacts k ON k.id = c.contact_id"
            " ORDER BY c.id"
        ).fetchall()
    finally:
        conn.close()


def _contact_for(
    db: sqlite_utils.Database, channel: str, recipient: str | None
) -> int | None:
    if not recipient:
        return None
    column = "phone" if channel == "sms" else "lower(email)"
    wanted = recipient if channel == "sms" else recipient.lower()
    row = db.execute(
        f"SELECT id FROM contacts WHERE {column} = ? ORDER BY id LIMIT 1", [wanted]
    ).fetchone()
    return None if row is None else int(row[0])


def _keep_current(data_dir: Path, live: Path) -> Path:
    """Take the live database out of WAL mode, then copy it aside.

    Leaving WAL mode needs the only connection, so it doubles as the check that no
    window still has the file open; it also folds the ``-wal`` file into the
    database and removes it, so no stale ``-wal`` is replayed onto the restored file.
    """
    conn = sqlite3.connect(live, timeout=2)
    try:
        try:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.OperationalError:
            mode = "busy"
        if str(mode).lower() != "delete":
            raise StorageError(
                f"Duet's database {live} is still open in another window or "
                "program; close it and try again. Nothing was restored."
            )

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        kept = data_dir / SAFETY_COPY_FOLDER / f"duet-before-restore-{stamp}.sqlite3"
        kept.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(kept) as copy:
            conn.backup(copy)
        copy.close()
    finally:
        conn.close()
    _make_self_contained(kept)
    return kept


def _copy_file_database(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        with sqlite3.connect(target) as copy:
            src.backup(copy)
        copy.close()
    finally:
        src.close()


def _make_self_contained(path: Path) -> None:
    """Switch a copied file to rollback-journal mode so it needs no ``-wal`` file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if check != "ok":
        raise sqlite3.DatabaseError(f"the copy failed its check: {check}")


def _main_file(db: sqlite_utils.Database) -> Path | None:
    for _seq, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.exists() and os.path.samefile(first, second)
    except OSError:
        return first.resolve() == second.resolve()
