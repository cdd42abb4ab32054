"""Duet: paired SMS and email for small shops, kept on the shop's own PC."""

import sys

__version__ = "0.1.0"


def load_sqlite_utils_without_numpy() -> None:
    """Import sqlite-utils without letting it pull in numpy (see the comment)."""
    # WORKAROUND: sqlite-utils imports numpy and pandas when it loads, only to convert
    # their value types on insert (sqlite_utils/db.py). Duet never inserts those, and
    # numpy alone costs about 0.26 s of start-up, so it is hidden for that one import.
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]
