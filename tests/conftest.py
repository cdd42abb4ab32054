"""Shared fixtures. Qt runs offscreen; nothing here opens a network socket."""

import logging
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import sqlite_utils

from desktop_app.storage.database import open_database

# The shared test inputs sit beside the clone (as CI lays them out), unless
# DUET_SHARED_DIR points elsewhere.
SHARED = Path(
    os.environ.get("DUET_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared"
)
if not (SHARED / "samples").is_dir():
    raise RuntimeError(
        f"The shared test inputs were not found at {SHARED}. Put the shared/ folder "
        "beside this clone, or set DUET_SHARED_DIR to it."
    )
SAMPLES = SHARED / "samples"
SMS_VECTORS = SHARED / "sms"


@pytest.fixture
def db() -> Iterator[sqlite_utils.Database]:
    """A fresh in-memory database with every migration applied."""
    database = open_database(None)
    yield database
    database.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data folder for one test."""
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


class _FailOnWarning(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def close_added_log_handlers() -> Iterator[None]:
    """``cli.run`` adds a log file handler per call; close them after each test."""
    logger = logging.getLogger("desktop_app")
    before = list(logger.handlers)
    level = logger.level
    yield
    for handler in logger.handlers[:]:
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def fail_on_unexpected_warning_log(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose code logs a WARNING it did not expect (qutebrowser logfail).

    Mark a test with ``@pytest.mark.allow_warning_log`` to allow it.
    """
    handler = _FailOnWarning()
    logger = logging.getLogger("desktop_app")
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    if request.node.get_closest_marker("allow_warning_log") is None and handler.records:
        texts = [record.getMessage() for record in handler.records]
        pytest.fail(f"unexpected WARNING log: {texts}")
