"""Composition root: paths, logging, the QApplication and the main window."""

import faulthandler
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

logger = logging.getLogger(__name__)

START_VIEW_ENV = "DUET_START_VIEW"
_fault_file: TextIO | None = None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``python main.py``: the window, or a command-line command."""
    from desktop_app import cli

    return cli.run(sys.argv[1:] if argv is None else argv)


def resources_dir() -> Path:
    """Return the folder holding the style sheet and icon (bundled or not)."""
    bundled = getattr(sys, "_MEIPASS", None)
    if bundled:
        return Path(bundled) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def log_dir_for(data_dir: Path) -> Path:
    """Return the log folder: inside a chosen data folder, else the per-user one."""
    from desktop_app import paths

    if data_dir.resolve() == paths.default_data_dir().resolve():
        return paths.default_log_dir()
    return data_dir / "logs"


def run_gui(data_dir: Path, *, quit_after_start: bool = False) -> int:
    """Open the main window on ``data_dir`` and run the event loop.

    Args:
        data_dir: Duet's data folder (database, outbox).
        quit_after_start: quit as soon as the window has painted once.

    Returns:
        The process exit status.
    """
    from PySide6.QtWidgets import QApplication

    from desktop_app.logconfig import setup_logging

    log_dir = log_dir_for(data_dir)
    setup_logging(log_dir)
    _enable_faulthandler(log_dir)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setDesktopFileName("duet")
    _style_application(app)
    _install_qt_message_handler()
    sys.excepthook = _excepthook

    window = _open_main_window(data_dir)
    if window is None:
        return 1
    start_view = os.environ.get(START_VIEW_ENV, "").strip().lower()
    if start_view:
        _show_start_view(window, start_view)
    if quit_after_start:
        window.first_painted.connect(app.quit)
    else:
        window.first_painted.connect(window.probe_credentials)
    window.show()
    logger.info("window opened on %s", data_dir)

    status = app.exec()
    window.close()
    window.database.close()
    return int(status)


def _open_main_window(data_dir: Path) -> Any:
    from desktop_app import paths
    from desktop_app.errors import KnownError
    from desktop_app.storage.database import open_database
    from desktop_app.ui import feedback, messages
    from desktop_app.ui.main_window import MainWindow

    try:
        db = open_database(paths.database_path(data_dir))
    except KnownError as error:
        logger.error("could not open the database: %s", error.detail or error.message)
        feedback.warn(None, messages.START_FAILED_TITLE, error.message)
        return None
    window = MainWindow(db, data_dir)
    window.database = db  # type: ignore[attr-defined]
    return window


def _show_start_view(window: Any, name: str) -> None:
    from desktop_app.ui.main_window import VIEW_NAMES

    if name in VIEW_NAMES:
        window.show_view(name)
    else:
        logger.warning("unknown %s=%s; known: %s", START_VIEW_ENV, name, VIEW_NAMES)


def _style_application(app: Any) -> None:
    from PySide6.QtGui import QIcon

    app.setApplicationName("Duet")
    app.setOrganizationName("Duet")
    folder = resources_dir()
    style = folder / "style.qss"
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    icon = folder / "duet.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))


def _enable_faulthandler(log_dir: Path) -> None:
    global _fault_file
    if _fault_file is not None:
        return
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        _fault_file = (log_dir / "crash.log").open("a", encoding="utf-8")
    except OSError:
        return
    faulthandler.enable(_fault_file)


def _install_qt_message_handler() -> None:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_logger = logging.getLogger("desktop_app.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: Any, _context: Any, text: str) -> None:
        # Harmless noise from the offscreen and xcb platforms.
        if "propagateSizeHints" in text:
            return
        qt_logger.log(levels.get(kind, logging.INFO), "%s", text)

    qInstallMessageHandler(handler)


_in_excepthook = False


def _excepthook(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    """Log a bug's traceback and show the calm crash box; Duet keeps running."""
    global _in_excepthook
    details = "".join(traceback.format_exception(kind, error, tb))
    logger.error("unexpected error:\n%s", details)
    if _in_excepthook or issubclass(kind, KeyboardInterrupt):
        return
    _in_excepthook = True
    try:
        from PySide6.QtWidgets import QApplication

        from desktop_app.ui import feedback, messages

        parent = QApplication.activeWindow()
        feedback.show_crash(parent, messages.CRASH_TITLE, messages.CRASH_TEXT, details)
    finally:
        _in_excepthook = False
