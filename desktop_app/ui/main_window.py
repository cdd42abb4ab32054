"""Duet's main window: a side bar of pages, the test-mode banner and a status bar."""

import logging
from pathlib import Path

import sqlite_utils

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.providers.base import Senders
from desktop_app.ui import feedback, messages, tasks
from desktop_app.ui.compose.compose_view import ComposeView
from desktop_app.ui.contacts.contacts_view import ContactsView
from desktop_app.ui.history.history_view import HistoryView
from desktop_app.ui.reports.reports_view import ReportsView
from desktop_app.ui.settings.settings_view import SettingsView
from desktop_app.ui.tasks import TaskContext
from desktop_app.ui.templates.templates_view import TemplatesView

logger = logging.getLogger(__name__)

VIEW_NAMES = ("contacts", "templates", "compose", "history", "reports", "settings")
DEFAULT_SIZE = QSize(1100, 720)
OUTBOX_MODE = "test outbox"
CLOSE_WAIT_SECONDS = 30.0


class MainWindow(QMainWindow):
    """The one window: pages chosen from a side bar (Ctrl+1 … Ctrl+6).

    Signals:
        first_painted(): the window painted itself for the first time.
        mode_changed(str): the sending mode after the credentials were checked.
    """

    first_painted = Signal()
    mode_changed = Signal(str)

    def __init__(
        self,
        db: sqlite_utils.Database,
        data_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self._painted = False
        self.mode = OUTBOX_MODE
        self.setWindowTitle(messages.APP_TITLE)
        self.resize(DEFAULT_SIZE)
        self.setMinimumSize(QSize(900, 560))

        self.banner = QLabel(messages.TEST_MODE_BANNER)
        self.banner.setObjectName("testModeBanner")
        self.banner.setWordWrap(True)
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(170)
        self.stack = QStackedWidget()

        self.contacts_view = ContactsView(db, data_dir)
        self.templates_view = TemplatesView(db)
        self.compose_view = ComposeView(db, data_dir, self._make_senders)
        self.history_view = HistoryView(db)
        self.reports_view = ReportsView(db)
        self.settings_view = SettingsView(db, data_dir)
        self.views: dict[str, QWidget] = {
            "contacts": self.contacts_view,
            "templates": self.templates_view,
            "compose": self.compose_view,
            "history": self.history_view,
            "reports": self.reports_view,
            "settings": self.settings_view,
        }
        for number, name in enumerate(VIEW_NAMES, start=1):
            item = QListWidgetItem(messages.VIEW_TITLES[name])
            item.setToolTip(f"{messages.VIEW_TITLES[name]} (Ctrl+{number})")
            self.sidebar.addItem(item)
            self.stack.addWidget(self.views[name])
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, n=name: self.show_view(n))
            self.addAction(action)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.sidebar)
        body.addWidget(self.stack, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage(f"Data folder: {data_dir}")

        self.sidebar.currentRowChanged.connect(self._on_sidebar_current_row_changed)
        self.contacts_view.contacts_changed.connect(
            self._on_contacts_view_contacts_changed
        )
        self.templates_view.template_saved.connect(self._on_templates_view_changed)
        self.templates_view.template_deleted.connect(self._on_templates_view_changed)
        self.compose_view.send_finished.connect(self._on_compose_view_send_finished)
        self.compose_view.send_failed.connect(self._on_compose_view_send_failed)
        self.settings_view.settings_saved.connect(self._on_settings_view_settings_saved)
        self.sidebar.setCurrentRow(0)

    def show_view(self, name: str) -> None:
        """Switch to the page called ``name`` (``contacts`` … ``settings``)."""
        self.sidebar.setCurrentRow(VIEW_NAMES.index(name))

    def current_view_name(self) -> str:
        """Return the name of the page shown."""
        return VIEW_NAMES[self.stack.currentIndex()]

    def probe_credentials(self) -> None:
        """Find out in the background whether real providers are set up."""
        data_dir = self._data_dir

        def probe(_context: TaskContext) -> str:
            from desktop_app.providers.factory import senders_from_credentials

            senders, mode = senders_from_credentials(data_dir)
            senders.close()
            return mode

        tasks.run_in_background(
            probe,
            on_success=self._on_probe_succeeded,
            on_error=self._on_probe_failed,
            parent=self,
        )

    def set_mode(self, mode: str) -> None:
        """Show the sending mode in the banner and use it for the next send."""
        self.mode = mode
        sms = "twilio" if mode.startswith("Twilio") else "outbox"
        email = "smtp" if mode.endswith("SMTP") else "outbox"
        self.compose_view.set_provider_names((sms, email))
        if mode == OUTBOX_MODE:
            self.banner.setText(messages.TEST_MODE_BANNER)
            self.banner.setObjectName("testModeBanner")
        elif sms != "outbox" and email != "outbox":
            self.banner.setText(messages.LIVE_MODE_BANNER)
            self.banner.setObjectName("liveModeBanner")
        else:
            self.banner.setText(messages.MIXED_MODE_BANNER.format(mode=mode))
            self.banner.setObjectName("testModeBanner")
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.mode_changed.emit(mode)

    def is_busy(self) -> bool:
        """Return True while an import or a send runs."""
        return self.compose_view.is_sending() or self.contacts_view.is_busy()

    def _make_senders(self) -> Senders:
        """Build the senders for one send; runs on the worker thread."""
        if self.mode == OUTBOX_MODE:
            from desktop_app.providers.outbox import outbox_senders

            return outbox_senders(self._data_dir)
        from desktop_app.providers.factory import senders_from_credentials

        senders, _mode = senders_from_credentials(self._data_dir)
        return senders

    @Slot(int)
    def _on_sidebar_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        view = self.stack.currentWidget()
        if view is self.history_view or view is self.compose_view:
            view.refresh()  # type: ignore[attr-defined]
        logger.debug("view shown: %s", VIEW_NAMES[row])

    @Slot()
    def _on_contacts_view_contacts_changed(self) -> None:
        self.compose_view.refresh()

    @Slot(str)
    def _on_templates_view_changed(self, _name: str) -> None:
        self.compose_view.refresh()

    @Slot(object)
    def _on_compose_view_send_finished(self, _summary: object) -> None:
        self.history_view.refresh()
        self.reports_view.refresh()
        self.contacts_view.refresh()

    @Slot(str)
    def _on_compose_view_send_failed(self, _message: str) -> None:
        self.history_view.refresh()
        self.reports_view.refresh()

    @Slot()
    def _on_settings_view_settings_saved(self) -> None:
        self.compose_view.refresh()
        self.history_view.refresh()

    def _on_probe_succeeded(self, mode: str) -> None:
        self.set_mode(str(mode))

    def _on_probe_failed(self, error: BaseException) -> None:
        message = getattr(error, "message", str(error))
        logger.info("credentials not usable, staying in test mode: %s", message)
        feedback.status(self, message, 15000)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.compose_view.is_sending():
            stop = feedback.ask(
                self,
                messages.APP_TITLE,
                messages.CLOSE_WHILE_SENDING,
                messages.CLOSE_YES,
                messages.CLOSE_NO,
            )
            if not stop:
                event.ignore()
                return
        if tasks.running_tasks():
            self.statusBar().showMessage(messages.CLOSING_WAIT)
            if not tasks.cancel_and_wait_all(CLOSE_WAIT_SECONDS):
                logger.error("background work still running at close")
        event.accept()
