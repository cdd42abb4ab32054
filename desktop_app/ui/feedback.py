"""Every message box Duet shows, and the status-bar line; tests patch this module.

Views never build a ``QMessageBox`` themselves: they call :func:`inform`, :func:`warn`,
:func:`ask` or :func:`show_crash`, so a test can replace these functions and no dialog
ever blocks a test run.
"""

import logging
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from desktop_app.errors import KnownError

logger = logging.getLogger(__name__)


def status(widget: QWidget | None, text: str, timeout_ms: int = 8000) -> None:
    """Show ``text`` on the window's status bar (and log it at INFO)."""
    logger.info("%s", text)
    window = widget.window() if widget is not None else None
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, timeout_ms)


def inform(parent: QWidget | None, title: str, text: str) -> None:
    """Show a calm, window-modal information box."""
    box = _box(parent, QMessageBox.Icon.Information, title, text)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.exec()


def warn(parent: QWidget | None, title: str, text: str, detail: str = "") -> None:
    """Show a window-modal box for a problem the user can act on."""
    box = _box(parent, QMessageBox.Icon.Warning, title, text)
    box.addButton(QMessageBox.StandardButton.Ok)
    if detail:
        box.setDetailedText(detail)
    box.exec()


def ask(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> bool:
    """Ask a yes/no question with named buttons; return True for ``yes``."""
    box = _box(parent, QMessageBox.Icon.Question, title, text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def show_crash(parent: QWidget | None, title: str, text: str, details: str) -> None:
    """Show the calm "something went wrong" box with a "Copy details" button."""
    box = _box(parent, QMessageBox.Icon.Critical, title, text)
    box.setDetailedText(details)
    copy_button = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
    box.exec()


def report_error(parent: QWidget | None, title: str, error: BaseException) -> None:
    """Show a known error calmly; hand anything else to the crash handler."""
    if isinstance(error, KnownError):
        if error.detail:
            logger.warning("%s (%s)", error.message, error.detail)
        warn(parent, title, error.message)
        return
    sys.excepthook(type(error), error, error.__traceback__)


def _box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str
) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setWindowModality(
        Qt.WindowModality.WindowModal
        if parent is not None
        else Qt.WindowModality.ApplicationModal
    )
    return box
