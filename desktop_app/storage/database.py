"""Open Duet's SQLite file and bring its schema up to date.

The schema is built by numbered migrations. Before any migration runs on an existing
file, a consistent copy of that file is taken next to it, so a failed upgrade never
costs the shop its customers.
"""

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from desktop_app.errors import StorageError

logger = logging.getLogger(__name__)

Migration = Callable[[sqlite_utils.Database], None]


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 text, as every table stores it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _run_script(db: sqlite_utils.Database, script: str) -> None:
    # sqlite3's executescript() commits first and runs outside any transaction, so a
    # failing migration would leave half its tables behind; run statement by statement
    # inside the migration's transaction instead.
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise sqlite3.OperationalError(f"incomplete statement: {statement[:60]}")


def _m001_initial(db: sqlite_utils.Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            file_name TEXT NOT NULL,
            format TEXT NOT NULL,
            mapping TEXT NOT NULL DEFAULT '{}',
            report TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            undone_at TEXT
        );
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            first_name TEXT NOT NULL DEFAULT '',
            last_name TEXT NOT NULL DEFAULT '',
            full_name TEXT NOT NULL DEFAULT '',
            company TEXT NOT NULL DEFAULT '',
            phone TEXT,
            phone_kind TEXT NOT NULL DEFAULT 'unknown',
            phones TEXT NOT NULL DEFAULT '[]',
            email TEXT,
            email_key TEXT,
            emails TEXT NOT NULL DEFAULT '[]',
            tags TEXT NOT NULL DEFAULT '[]',
            country TEXT NOT NULL DEFAULT '',
            timezone TEXT NOT NULL DEFAULT '',
            custom TEXT NOT NULL DEFAULT '{}',
            warnings TEXT NOT NULL DEFAULT '[]',
            source_import INTEGER REFERENCES imports(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX contacts_email_key ON contacts(email_key);
        CREATE INDEX contacts_phone ON contacts(phone);
        CREATE TABLE import_changes (
            id INTEGER PRIMARY KEY,
            import_id INTEGER NOT NULL REFERENCES imports(id),
            contact_id INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('created', 'updated')),
            before TEXT
        );
        CREATE INDEX import_changes_import ON import_changes(import_id);
        CREATE TABLE consent (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
            status TEXT NOT NULL
                CHECK (status IN ('opted_in', 'opted_out', 'unknown')),
            source TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '',
            import_id INTEGER REFERENCES imports(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX consent_contact ON consent(contact_id, channel, id);
        CREATE TABLE templates (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            sms_body TEXT NOT NULL DEFAULT '',
            email_subject TEXT NOT NULL DEFAULT '',
            email_body TEXT NOT NULL DEFAULT '',
            transactional INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            template_id INTEGER NOT NULL REFERENCES templates(id),
            audience TEXT NOT NULL DEFAULT '{}',
            state TEXT NOT NULL DEFAULT 'queued',
            provider_sms TEXT NOT NULL DEFAULT 'outbox',
            provider_email TEXT NOT NULL DEFAULT 'outbox',
            scheduled_at TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
            to_address TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            html TEXT NOT NULL DEFAULT '',
            encoding TEXT,
            segments INTEGER NOT NULL DEFAULT 0,
            cost REAL NOT NULL DEFAULT 0,
            state TEXT NOT NULL CHECK (state IN (
                'queued', 'sending', 'sent', 'delivered', 'failed', 'skipped',
                'unknown')),
            reason TEXT,
            provider TEXT NOT NULL DEFAULT '',
            provider_id TEXT,
            error_code TEXT,
            queued_at TEXT NOT NULL,
            sending_at TEXT,
            sent_at TEXT,
            delivered_at TEXT,
            failed_at TEXT,
            UNIQUE (campaign_id, contact_id, channel)
        );
        CREATE INDEX messages_state ON messages(campaign_id, state, id);
        CREATE INDEX messages_queued_at ON messages(queued_at);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            message_id INTEGER REFERENCES messages(id),
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            body TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        """,
    )


def _m002_sales(db: sqlite_utils.Database) -> None:
    # Sales are stored as imported; which campaign earned a sale is computed when a
    # report is built (core/attribution.py), so a changed attribution window or a
    # later contact import never leaves stale conversions behind.
    _run_script(
        db,
        """
        CREATE TABLE sales_imports (
            id INTEGER PRIMARY KEY,
            file_name TEXT NOT NULL,
            format TEXT NOT NULL,
            mapping TEXT NOT NULL DEFAULT '{}',
            report TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE TABLE sales (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            source_file TEXT NOT NULL,
            external_id TEXT NOT NULL,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            email_key TEXT,
            phone TEXT,
            occurred_at TEXT NOT NULL,
            amount REAL NOT NULL,
            currency TEXT NOT NULL DEFAULT '',
            import_id INTEGER REFERENCES sales_imports(id),
            created_at TEXT NOT NULL,
            UNIQUE (source, external_id)
        );
        CREATE INDEX sales_occurred_at ON sales(occurred_at);
        ALTER TABLE messages ADD COLUMN variant TEXT;
        CREATE INDEX messages_contact_sent ON messages(contact_id, sent_at);
        CREATE INDEX events_kind ON events(kind, created_at);
        """,
    )
    _message_buckets(db)


def _bucket_of(row: str) -> tuple[str, str]:
    """SQL for the UTC hour (``2024-03-01T10``) and quarter (0-3) a message is in."""
    moment = f"coalesce({row}.sent_at, {row}.failed_at, {row}.queued_at)"
    return (
        f"substr({moment}, 1, 13)",
        f"CAST(substr({moment}, 15, 2) AS INTEGER) / 15",
    )


def _message_buckets(db: sqlite_utils.Database) -> None:
    # The daily chart must stay fast with a million messages. Scanning them all
    # takes seconds, so triggers keep a running count per UTC hour, channel and
    # state, split into the hour's four quarters (q0-q3): the chart reads a few
    # thousand rows and turns them into the shop's days; a quarter hour never
    # straddles a local midnight, even in India or Nepal.
    (new_hour, new_q), (old_hour, old_q) = _bucket_of("NEW"), _bucket_of("OLD")
    quarters = ", ".join(f"q{k}" for k in range(4))
    add = (
        f"INSERT INTO message_buckets (hour, channel, state, {quarters})"
        f" VALUES ({new_hour}, NEW.channel, NEW.state,"
        f" {', '.join(f'({new_q}) = {k}' for k in range(4))})"
        " ON CONFLICT (hour, channel, state) DO UPDATE SET "
        + ", ".join(f"q{k} = q{k} + excluded.q{k}" for k in range(4))
        + ";"
    )
    remove = (
        "UPDATE message_buckets SET "
        + ", ".join(f"q{k} = q{k} - (({old_q}) = {k})" for k in range(4))
        + f" WHERE hour = {old_hour} AND channel = OLD.channel"
        " AND state = OLD.state;"
    )
    hour, quarter = _bucket_of("messages")
    sums = ", ".join(f"sum(({quarter}) = {k})" for k in range(4))
    _run_script(
        db,
        f"""
        CREATE TABLE message_buckets (
            hour TEXT NOT NULL,
            channel TEXT NOT NULL,
            state TEXT NOT NULL,
            q0 INTEGER NOT NULL DEFAULT 0,
            q1 INTEGER NOT NULL DEFAULT 0,
            q2 INTEGER NOT NULL DEFAULT 0,
            q3 INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (hour, channel, state)
        ) WITHOUT ROWID;
        INSERT INTO message_buckets (hour, channel, state, {quarters})
            SELECT {hour}, channel, state, {sums} FROM messages GROUP BY 1, 2, 3;
        CREATE TRIGGER messages_bucket_insert AFTER INSERT ON messages
        BEGIN {add} END;
        CREATE TRIGGER messages_bucket_delete AFTER DELETE ON messages
        BEGIN {remove} END;
        CREATE TRIGGER messages_bucket_update
            AFTER UPDATE OF channel, state, queued_at, sent_at, failed_at ON messages
        BEGIN {remove} {add} END;
        """,
    )


def _m003_compliance(db: sqlite_utils.Database) -> None:
    # A message held by quiet hours stays 'queued' with a not_before time (UTC); the
    # sender skips it until then. Transactional sends are recorded as such.
    _run_script(
        db,
        """
        ALTER TABLE messages ADD COLUMN not_before TEXT;
        ALTER TABLE messages ADD COLUMN transactional INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX messages_not_before ON messages(state, not_before);
        """,
    )


def _m004_automation(db: sqlite_utils.Database) -> None:
    # Trigger rules and schedules name their template (templates are replaced by
    # name), so deleting a template never breaks these rows; a rule whose template
    # is gone skips its events with that reason. UNIQUE (source, event_id) makes an
    # event delivered twice send once; UNIQUE (schedule_id, due_at) does the same
    # for each occurrence of a schedule.
    _run_script(
        db,
        """
        CREATE TABLE trigger_rules (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL UNIQUE,
            template_name TEXT NOT NULL,
            fields TEXT NOT NULL DEFAULT '[]',
            delay_minutes INTEGER NOT NULL DEFAULT 0,
            enabled INTEGER NOT NULL DEFAULT 1,
            builtin INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE trigger_events (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            event_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            state TEXT NOT NULL,
            reason TEXT,
            campaign_id INTEGER REFERENCES campaigns(id),
            received_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            handled_at TEXT,
            UNIQUE (source, event_id)
        );
        CREATE INDEX trigger_events_due ON trigger_events(state, due_at);
        CREATE TABLE schedules (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            template_name TEXT NOT NULL,
            audience TEXT NOT NULL DEFAULT '{}',
            rule TEXT NOT NULL,
            next_due_at TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE schedule_runs (
            id INTEGER PRIMARY KEY,
            schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
            due_at TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            campaign_id INTEGER REFERENCES campaigns(id),
            created_at TEXT NOT NULL,
            UNIQUE (schedule_id, due_at)
        );
        CREATE TABLE automation_activity (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            ref TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            contact_id INTEGER,
            campaign_id INTEGER,
            data TEXT NOT NULL DEFAULT '{}'
        );
        """,
    )


def _m005_contact_search(db: sqlite_utils.Database) -> None:
    # One folded, accent-free text per contact for the type-ahead filter. Writers in
    # storage/contacts.py keep it current; the trigger marks it stale when another
    # writer changes a searchable field, and the Contacts view refills stale rows.
    _run_script(
        db,
        """
        ALTER TABLE contacts ADD COLUMN search_text TEXT;
        CREATE INDEX contacts_search ON contacts(id, search_text);
        CREATE INDEX contacts_search_stale ON contacts(id) WHERE search_text IS NULL;
        CREATE TRIGGER contacts_search_stale AFTER UPDATE OF
            first_name, last_name, full_name, company, phones, emails, tags
            ON contacts
        WHEN NEW.search_text IS OLD.search_text AND NEW.search_text IS NOT NULL AND (
            NEW.first_name IS NOT OLD.first_name OR NEW.last_name IS NOT OLD.last_name
            OR NEW.full_name IS NOT OLD.full_name OR NEW.company IS NOT OLD.company
            OR NEW.phones IS NOT OLD.phones OR NEW.emails IS NOT OLD.emails
            OR NEW.tags IS NOT OLD.tags)
        BEGIN
            UPDATE contacts SET search_text = NULL WHERE id = NEW.id;
        END;
        """,
    )


def _m006_sms_variant_b(db: sqlite_utils.Database) -> None:
    # An optional second SMS text for A/B tests (issue 7); empty means no variant B.
    _run_script(
        db,
        """
        ALTER TABLE templates ADD COLUMN sms_body_b TEXT NOT NULL DEFAULT '';
        """,
    )


def _m007_consent_outlives_contacts(db: sqlite_utils.Database) -> None:
    # The consent ledger is proof and must outlive the contact (issue 6): deleting a
    # contact now leaves its rows with contact_id NULL instead of deleting them, and
    # each row keeps the recipient it was about (the E.164 phone for sms, the email
    # for email) so a deleted contact's opt-out still applies to a new contact with
    # the same number or address. SQLite cannot change a foreign key in place, so
    # the table is rebuilt; ids stay as they were. The foreign_keys pragma cannot
    # change inside the migration's transaction; with it on, nothing refers to
    # consent, and a row whose contact or import is already missing is copied with
    # NULL rather than failing the upgrade. The trigger fills the recipient for
    # writers that do not give one.
    _run_script(
        db,
        """
        CREATE TABLE consent_new (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
            status TEXT NOT NULL
                CHECK (status IN ('opted_in', 'opted_out', 'unknown')),
            source TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '',
            import_id INTEGER REFERENCES imports(id),
            created_at TEXT NOT NULL,
            recipient TEXT
        );
        INSERT INTO consent_new (id, contact_id, channel, status, source, evidence,
            import_id, created_at, recipient)
        SELECT k.id, c.id, k.channel, k.status, k.source, k.evidence,
            (SELECT i.id FROM imports i WHERE i.id = k.import_id), k.created_at,
            CASE k.channel WHEN 'sms' THEN c.phone ELSE c.email END
        FROM consent k LEFT JOIN contacts c ON c.id = k.contact_id
        ORDER BY k.id;
        DROP TABLE consent;
        ALTER TABLE consent_new RENAME TO consent;
        CREATE INDEX consent_contact ON consent(contact_id, channel, id);
        CREATE INDEX consent_orphans ON consent(recipient, channel, id)
            WHERE contact_id IS NULL;
        CREATE TRIGGER consent_recipient AFTER INSERT ON consent
        WHEN NEW.recipient IS NULL AND NEW.contact_id IS NOT NULL
        BEGIN
            UPDATE consent SET recipient = (
                SELECT CASE NEW.channel WHEN 'sms' THEN phone ELSE email END
                FROM contacts WHERE id = NEW.contact_id)
            WHERE id = NEW.id;
        END;
        """,
    )


LEDGER_GUARD_MESSAGE = (
    "The consent ledger keeps every row as it was written; record a new row instead."
)


def _m008_consent_ledger_append_only(db: sqlite_utils.Database) -> None:
    # The ledger is the shop's proof of consent (issue 6), so the database itself
    # refuses to delete or rewrite a row, whatever code or tool touches the file.
    # Two changes stay allowed because Duet makes them: a deleted contact's rows
    # lose their contact_id (ON DELETE SET NULL), and the consent_recipient trigger
    # fills a recipient that was written empty (with the contact's own number or
    # address, nothing else). Duet logs each contact it deletes in
    # contact_deletions first; a row may lose its contact only for a logged one,
    # so REPLACE INTO contacts (a delete in disguise) cannot detach a living
    # contact's ledger. An INSERT OR REPLACE into the ledger would delete a row
    # without firing the DELETE trigger, so a ledger insert may not reuse an id.
    # (A trigger on contacts inserts instead would cost imports about 13 %.)
    _run_script(
        db,
        f"""
        CREATE TRIGGER consent_rows_stay BEFORE DELETE ON consent
        BEGIN
            SELECT RAISE(ABORT, '{LEDGER_GUARD_MESSAGE}');
        END;
        CREATE TRIGGER consent_ids_new BEFORE INSERT ON consent
        WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM consent WHERE id = NEW.id)
        BEGIN
            SELECT RAISE(ABORT, '{LEDGER_GUARD_MESSAGE}');
        END;
        CREATE TABLE contact_deletions (
            contact_id INTEGER PRIMARY KEY,
            deleted_at TEXT NOT NULL
        );
        CREATE TRIGGER consent_rows_unchanged BEFORE UPDATE ON consent
        WHEN NEW.id IS NOT OLD.id
            OR NEW.channel IS NOT OLD.channel
            OR NEW.status IS NOT OLD.status
            OR NEW.source IS NOT OLD.source
            OR NEW.evidence IS NOT OLD.evidence
            OR NEW.import_id IS NOT OLD.import_id
            OR NEW.created_at IS NOT OLD.created_at
            OR (NEW.contact_id IS NOT OLD.contact_id AND (NEW.contact_id IS NOT NULL
                OR NOT EXISTS (
                    SELECT 1 FROM contact_deletions WHERE contact_id = OLD.contact_id)))
            OR (NEW.recipient IS NOT OLD.recipient AND (OLD.recipient IS NOT NULL
                OR NEW.recipient IS NOT (
                    SELECT CASE NEW.channel WHEN 'sms' THEN phone ELSE email END
                    FROM contacts WHERE id = NEW.contact_id)))
        BEGIN
            SELECT RAISE(ABORT, '{LEDGER_GUARD_MESSAGE}');
        END;
        """,
    )


MIGRATIONS: list[Migration] = [
    _m001_initial,
    _m002_sales,
    _m003_compliance,
    _m004_automation,
    _m005_contact_search,
    _m006_sms_variant_b,
    _m007_consent_outlives_contacts,
    _m008_consent_ledger_append_only,
]


def open_database(path: Path | str | None) -> sqlite_utils.Database:
    """Open (or create) Duet's database and apply pending migrations.

    Args:
        path: the SQLite file; ``None`` or ``":memory:"`` opens a private in-memory
            database, for tests.

    Returns:
        The open database, with WAL and foreign keys on.

    Raises:
        StorageError: the file cannot be opened, is not a Duet database, or a
            migration failed (the backup taken before it is named in the message).
    """
    in_memory = path is None or str(path) == ":memory:"
    try:
        if in_memory:
            db = sqlite_utils.Database(memory=True)
        else:
            file_path = Path(path)  # type: ignore[arg-type]
            file_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(file_path, timeout=30, check_same_thread=False)
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync survives an application crash intact; only a power
            # cut can lose the last few commits, which the queue then re-checks.
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
    except sqlite3.Error as error:
        raise StorageError(
            f"Duet could not open its database at {path}.", detail=str(error)
        ) from error

    migrate(db, None if in_memory else Path(path))  # type: ignore[arg-type]
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    """Return how many migrations have been applied to ``db``."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, file_path: Path | None) -> None:
    """Apply every pending migration, each in its own transaction.

    Raises:
        StorageError: the database is newer than this Duet, or a migration failed.
    """
    current = schema_version(db)
    if current > len(MIGRATIONS):
        raise StorageError(
            "This database was written by a newer version of Duet. "
            "Please update Duet before opening it."
        )
    if current == len(MIGRATIONS):
        return

    backup = None
    if file_path is not None and current > 0:
        backup = backup_database(db, file_path.with_suffix(f".before-v{current + 1}"))

    for number in range(current, len(MIGRATIONS)):
        try:
            db.execute("BEGIN IMMEDIATE")
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        except sqlite3.Error as error:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            where = f" A copy from before the upgrade is at {backup}." if backup else ""
            raise StorageError(
                f"Duet could not upgrade its database.{where}", detail=str(error)
            ) from error
        logger.debug("applied migration %d", number + 1)


def backup_database(db: sqlite_utils.Database, target: Path) -> Path:
    """Write a consistent copy of ``db`` to ``target`` with SQLite's backup API.

    Safe while another connection is writing.

    Returns:
        The path of the copy.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(target) as copy:
        db.conn.backup(copy)
    copy.close()
    return target
