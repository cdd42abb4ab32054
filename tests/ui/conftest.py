"""Fixtures for the window tests: a data folder with a real database, recorded boxes."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from desktop_app import paths
from desktop_app.services import importing
from desktop_app.storage import settings, templates
from desktop_app.storage.database import open_database
from desktop_app.ui import feedback

CSV_HEADER = "First Name,Last Name,Email,Phone,Tags\n"
CSV_ROWS = (
    "Ann,Lee,ann@example.com,(212) 555-0101,vip\n"
    'Bob,Stone,bob@example.com,(212) 555-0102,"vip, newsletter"\n'
    "Cara,Diaz,cara@example.com,(212) 555-0103,newsletter\n"
    "Dan,Ng,,(212) 555-0104,\n"
    "Eve,Ray,eve@example.com,,vip\n"
    "Nobody,Here,,,\n"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Ignore the offscreen platform's harmless propagateSizeHints warning."""
    for item in items:
        if "tests/ui" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore("propagateSizeHints"))


@dataclass
class Boxes:
    """Every message box the code under test asked for, instead of showing it."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    answer: bool = True

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> Boxes:
    """Replace ui/feedback's boxes so no dialog ever blocks a test."""
    recorded = Boxes()

    def record(kind: str) -> Any:
        def box(*args: Any, **_kwargs: Any) -> Any:
            recorded.calls.append((kind, args))
            return recorded.answer if kind == "ask" else None

        return box

    for kind in ("inform", "warn", "ask", "show_crash"):
        monkeypatch.setattr(feedback, kind, record(kind))
    return recorded


@pytest.fixture
def contacts_csv(tmp_path: Path) -> Path:
    """A small generic CSV: five importable customers and one row with no contact."""
    path = tmp_path / "customers.csv"
    path.write_text(CSV_HEADER + CSV_ROWS, encoding="utf-8")
    return path


@pytest.fixture
def file_db(data_dir: Path) -> Iterator[sqlite_utils.Database]:
    """The GUI thread's connection to the data folder's database file."""
    database = open_database(paths.database_path(data_dir))
    settings.set_setting(database, "shop.name", "Test Shop")
    settings.set_setting(database, "shop.address", "1 Example Street, Springfield")
    settings.set_setting(database, "shop.timezone", "America/Chicago")
    yield database
    database.close()


@pytest.fixture
def shop_db(
    file_db: sqlite_utils.Database, contacts_csv: Path
) -> sqlite_utils.Database:
    """The file database with the small CSV imported and one template saved."""
    importing.import_file(file_db, contacts_csv, region="US")
    templates.save_template(
        file_db,
        name="Order ready",
        sms_body="Hi {first_name}, your order is ready. Details in your inbox.",
        email_subject="Your order is ready",
        email_body="Hi {first_name},\n\nYour order is ready for pickup.",
    )
    return file_db


AREA_CODES = (212, 213, 312, 415, 503, 617, 702, 808)


def write_many_contacts(path: Path, count: int) -> Path:
    """Write a CSV with ``count`` customers on distinct 555-01xx numbers (at most 800)."""
    lines = [CSV_HEADER]
    for number in range(count):
        area = AREA_CODES[number // 100]
        lines.append(
            f"Cust{number},Test,c{number}@example.com,"
            f"({area}) 555-01{number % 100:02d},bulk\n"
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def wait_until_ready(qtbot: Any, window: Any, timeout: int = 10000) -> None:
    """Wait until the main window has painted, opened its database and built its page.

    The window builds its pages after the first paint (and the others when first
    selected); tests that press its shortcuts or count its built pages wait here.
    """
    qtbot.waitUntil(window.is_ready, timeout=timeout)
