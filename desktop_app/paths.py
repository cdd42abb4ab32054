"""Where Duet keeps its files on the shop's PC."""

from pathlib import Path

APP_NAME = "Duet"
APP_AUTHOR = "Duet"
DATABASE_NAME = "duet.sqlite3"


def default_data_dir() -> Path:
    """Return the per-user data folder (not created here)."""
    import platformdirs  # imported when needed: it costs start-up time

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_log_dir() -> Path:
    """Return the per-user log folder (not created here)."""
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def database_path(data_dir: Path) -> Path:
    """Return the path of the SQLite file inside ``data_dir``."""
    return data_dir / DATABASE_NAME


def outbox_dir(data_dir: Path) -> Path:
    """Return the folder the test outbox writes its messages into."""
    return data_dir / "outbox"
