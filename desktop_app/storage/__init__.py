"""Storage layer of Duet."""

from desktop_app import load_sqlite_utils_without_numpy

# Every storage module imports sqlite-utils; this runs first, before any of them.
load_sqlite_utils_without_numpy()
