"""Only ui/ and app.py may import Qt; the rest must run without a window."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "desktop_app"
QT_ALLOWED = {PACKAGE / "app.py"}


def _python_files_outside_ui() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "ui" not in path.relative_to(PACKAGE).parts[:1] and path not in QT_ALLOWED
    ]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", _python_files_outside_ui(), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_layering_no_qt_outside_ui(path: Path) -> None:
    qt = {
        name
        for name in _imported_modules(path)
        if name.split(".")[0] in {"PySide6", "PyQt5", "PyQt6", "shiboken6"}
        or name.startswith("matplotlib.backends.backend_qt")
    }
    assert not qt, f"{path.name} imports Qt: {sorted(qt)}"


def test_layering_finds_the_modules() -> None:
    names = {path.name for path in _python_files_outside_ui()}
    assert {"cli.py", "database.py", "contacts.py"} <= names
