"""Whether the first-run guide is due, and marking it done (Qt-free)."""

import logging

import sqlite_utils

logger = logging.getLogger(__name__)

DONE_KEY = "_first_run.done"


def first_run_done(db: sqlite_utils.Database) -> bool:
    """Return True once the guide was finished or skipped."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [DONE_KEY]).fetchone()
    return row is not None and str(row[0]) == "1"


def needs_first_run(db: sqlite_utils.Database) -> bool:
    """Return True on a database with nothing in it that never saw the guide.

    The guide is due when it was never finished or skipped and the database has no
    contacts, no templates and no shop name (so an existing shop upgrading Duet is
    never sent through it).
    """
    if first_run_done(db):
        return False
    contacts = db.execute("SELECT count(*) FROM contacts").fetchone()[0]
    templates = db.execute("SELECT count(*) FROM templates").fetchone()[0]
    name = db.execute("SELECT value FROM settings WHERE key = 'shop.name'").fetchone()
    return not contacts and not templates and not (name and str(name[0]).strip())


def mark_first_run_done(db: sqlite_utils.Database) -> None:
    """Record that the guide was finished or skipped; it never shows again."""
    db["settings"].upsert({"key": DONE_KEY, "value": "1"}, pk="key")
