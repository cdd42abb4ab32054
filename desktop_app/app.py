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
COLOR_SCHEME_ENV = "DUET_COLOR_SCHEME"
JOB_MINUTES_ENV = "DUET_JOB_MINUTES"
LIGHT_STYLE = "style.qss"
DARK_STYLE = "style-dark.qss"
_fault_file: TextIO | None = None
_base_look: dict[str, Any] = {}


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

    The window paints a light shell first; the database is opened and the first
    page built right after that paint (see :mod:`desktop_app.ui.main_window`).

    Args:
        data_dir: Duet's data folder (database, outbox).
        quit_after_start: quit as soon as the window has painted once (before the
            database is opened or any page is built).

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

    from desktop_app.ui.main_window import MainWindow

    window = MainWindow(
        None,
        data_dir,
        start_after_paint=not quit_after_start,
        preload_views=not quit_after_start,
    )
    start_view = os.environ.get(START_VIEW_ENV, "").strip().lower()
    page = _choose_start_view(window, start_view) if start_view else ""
    if quit_after_start:
        window.first_painted.connect(app.quit)
    else:
        if page:
            window.ready.connect(lambda: _show_settings_page(window, page))
        window.ready.connect(lambda: follow_color_scheme(app))
        window.ready.connect(window.probe_credentials)
        window.ready.connect(window.maybe_show_first_run)
        window.ready.connect(
            lambda: window.start_background_work(interval_minutes=_job_minutes())
        )
    window.show()
    logger.info("window opened on %s", data_dir)

    status = app.exec()
    window.close()
    if not window.is_database_open():
        # Not opened: --quit-after-start quits at the first paint, before the
        # database is needed; otherwise it did not open and the owner was told.
        return int(status) if quit_after_start else 1
    window.database.close()
    return int(status)


def _job_minutes() -> float | None:
    """Return the background job's interval from ``DUET_JOB_MINUTES``, if set."""
    text = os.environ.get(JOB_MINUTES_ENV, "").strip()
    if not text:
        return None
    try:
        minutes = float(text)
    except ValueError:
        logger.warning("ignored %s=%s: not a number of minutes", JOB_MINUTES_ENV, text)
        return None
    return minutes if minutes > 0 else None


def _choose_start_view(window: Any, name: str) -> str:
    """Select the page ``name`` before the first paint; return a Settings tab named.

    The tab is checked and shown once the Settings page is built.
    """
    from desktop_app.ui.main_window import VIEW_NAMES

    view, _, page = name.replace(":", ".").partition(".")
    if view not in VIEW_NAMES or (page and view != "settings"):
        logger.warning("unknown %s=%s; known: %s", START_VIEW_ENV, name, VIEW_NAMES)
        return ""
    window.show_view(view)
    return page


def _show_settings_page(window: Any, page: str) -> None:
    from desktop_app.ui.settings.settings_view import PAGE_NAMES

    if page not in PAGE_NAMES:
        logger.warning(
            "unknown %s page %s; known: %s", START_VIEW_ENV, page, PAGE_NAMES
        )
        return
    window.settings_view.show_page(page)


def _show_start_view(window: Any, name: str) -> None:
    """Show the page ``name``; ``settings.data`` also picks the Settings tab."""
    page = _choose_start_view(window, name)
    if page:
        _show_settings_page(window, page)


def _style_application(app: Any) -> None:
    """Name the application, give it the icon and the style for the first paint.

    The exact colour scheme (and following its changes) waits for
    :func:`follow_color_scheme` after the first paint: asking Qt for it builds all of
    PySide6's ``Qt`` enums (~20 ms). Until then the palette tells light from dark.
    """
    from PySide6.QtGui import QIcon

    app.setApplicationName("Duet")
    app.setOrganizationName("Duet")
    apply_style(app, _guess_dark(app))
    icon = resources_dir() / "duet.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))


def _forced_scheme() -> bool | None:
    forced = os.environ.get(COLOR_SCHEME_ENV, "").strip().lower()
    return forced == "dark" if forced in ("dark", "light") else None


def _guess_dark(app: Any) -> bool:
    """Tell light from dark cheaply: the forced scheme, else the palette's window."""
    from PySide6.QtGui import QPalette

    forced = _forced_scheme()
    if forced is not None:
        return forced
    return bool(app.palette().color(QPalette.ColorRole.Window).lightness() < 128)


def wants_dark(app: Any) -> bool:
    """Return True when Duet should look dark.

    ``DUET_COLOR_SCHEME=dark`` or ``light`` decides; otherwise the operating
    system's colour scheme as Qt reports it (Qt 6.5+).
    """
    from PySide6.QtCore import Qt

    forced = _forced_scheme()
    if forced is not None:
        return forced
    return bool(app.styleHints().colorScheme() == Qt.ColorScheme.Dark)


def apply_style(app: Any, dark: bool) -> None:
    """Load the light or dark style sheet (and, for dark, a dark Fusion palette).

    Args:
        app: the QApplication.
        dark: True for the dark look.
    """
    from PySide6.QtWidgets import QStyleFactory

    if not _base_look:
        _base_look.update(style=app.style().name(), palette=app.palette())
    if dark:
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(_dark_palette())
    elif app.property("duetDark"):
        base = QStyleFactory.create(str(_base_look["style"]))
        if base is not None:
            app.setStyle(base)
        app.setPalette(_base_look["palette"])
    style = resources_dir() / (DARK_STYLE if dark else LIGHT_STYLE)
    app.setStyleSheet(style.read_text(encoding="utf-8") if style.is_file() else "")
    app.setProperty("duetDark", dark)
    logger.debug("style applied: %s", "dark" if dark else "light")


def follow_color_scheme(app: Any) -> None:
    """Apply the style for the current colour scheme and follow its changes live."""
    dark = wants_dark(app)
    if app.property("duetDark") is None or dark != bool(app.property("duetDark")):
        apply_style(app, dark)
    if app.property("duetFollowsScheme"):
        return
    app.setProperty("duetFollowsScheme", True)

    def changed(_scheme: object) -> None:
        dark = wants_dark(app)
        if dark != bool(app.property("duetDark")):
            apply_style(app, dark)

    app.styleHints().colorSchemeChanged.connect(changed)


def _dark_palette() -> Any:
    from PySide6.QtGui import QColor, QPalette

    role = QPalette.ColorRole
    colors = {
        role.Window: "#1f2423",
        role.WindowText: "#e3e8e6",
        role.Base: "#161a19",
        role.AlternateBase: "#232928",
        role.ToolTipBase: "#2b3231",
        role.ToolTipText: "#e3e8e6",
        role.PlaceholderText: "#8a9794",
        role.Text: "#e3e8e6",
        role.Button: "#2b3231",
        role.ButtonText: "#e3e8e6",
        role.BrightText: "#ffffff",
        role.Highlight: "#2f8f77",
        role.HighlightedText: "#ffffff",
        role.Link: "#6cc3ab",
        role.Mid: "#3a4240",
        role.Dark: "#121514",
        role.Light: "#3a4240",
    }
    palette = QPalette()
    for color_role, value in colors.items():
        palette.setColor(color_role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for color_role in (role.Text, role.WindowText, role.ButtonText):
        palette.setColor(disabled, color_role, QColor("#6b7673"))
    return palette


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
