"""A background job's own connection to the window's database file.

A sqlite3 connection belongs to the thread that opened it, so a job that reads or
writes the database off the GUI thread opens the same file again (WAL lets the
window keep reading meanwhile) and closes it when done.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from desktop_app.storage.database import open_database


def database_file(db: sqlite_utils.Database) -> Path | None:
    """Return the file behind ``db``, or None for an in-memory database."""
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return Path(row[2])
    return None


@contextmanager
def worker_connection(path: Path) -> Iterator[sqlite_utils.Database]:
    """Open ``path`` for the calling thread and close it afterwards."""
    db = open_database(path)
    try:
        yield db
    finally:
        db.close()
