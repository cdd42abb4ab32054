"""Duet's main window: a side bar of pages, the test-mode banner and a status bar.

The window owns the GUI thread's database connection. A restore closes it, swaps the
file and opens it again, then builds every page anew on the new connection
(:meth:`MainWindow.reopen_database`).
"""

import logging
import os
from pathlib import Path

import sqlite_utils

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal, Slot
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

from desktop_app import paths
from desktop_app.errors import KnownError, ValidationError
from desktop_app.providers.base import Senders
from desktop_app.storage import settings
from desktop_app.ui import feedback, messages, tasks
from desktop_app.ui.compose.compose_view import ComposeView
from desktop_app.ui.contacts.contacts_view import ContactsView
from desktop_app.ui.history.history_view import HistoryView
from desktop_app.ui.reports.reports_view import ReportsView
from desktop_app.ui.settings import texts as settings_texts
from desktop_app.ui.settings.settings_view import SettingsView
from desktop_app.ui.tasks import TaskContext
from desktop_app.ui.templates.templates_view import TemplatesView

logger = logging.getLogger(__name__)

VIEW_NAMES = ("contacts", "templates", "compose", "history", "reports", "settings")
DEFAULT_SIZE = QSize(1100, 720)
OUTBOX_MODE = "test outbox"
CLOSE_WAIT_SECONDS = 30.0
SKIP_FIRST_RUN_ENV = "DUET_SKIP_FIRST_RUN"
TITLE_SEPARATOR = " — "


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

        self.views: dict[str, QWidget] = {}
        self._build_views(db)
        for number, name in enumerate(VIEW_NAMES, start=1):
            item = QListWidgetItem(messages.VIEW_TITLES[name])
            item.setToolTip(f"{messages.VIEW_TITLES[name]} (Ctrl+{number})")
            self.sidebar.addItem(item)
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, n=name: self.show_view(n))
            self.addAction(action)
        self.first_run_guide: QWidget | None = None

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
        self.sidebar.setCurrentRow(0)
        self.update_title()

    @property
    def database(self) -> sqlite_utils.Database:
        """The GUI thread's connection to the database (replaced by a restore)."""
        return self._db

    def update_title(self) -> None:
        """Show "Duet — <shop name>" (just "Duet" until the name is set)."""
        name = settings.get_setting(self._db, "shop.name").strip()
        title = messages.APP_TITLE
        self.setWindowTitle(f"{title}{TITLE_SEPARATOR}{name}" if name else title)

    def _build_views(self, db: sqlite_utils.Database) -> None:
        """Create every page on ``db``, replacing the pages there were."""
        for old in list(self.views.values()):
            self.stack.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.contacts_view = ContactsView(db, self._data_dir)
        self.templates_view = TemplatesView(db)
        self.compose_view = ComposeView(db, self._data_dir, self._make_senders)
        self.history_view = HistoryView(db)
        self.reports_view = ReportsView(db)
        self.settings_view = SettingsView(db, self._data_dir)
        self.views = {
            "contacts": self.contacts_view,
            "templates": self.templates_view,
            "compose": self.compose_view,
            "history": self.history_view,
            "reports": self.reports_view,
            "settings": self.settings_view,
        }
        for name in VIEW_NAMES:
            self.stack.addWidget(self.views[name])

        self.contacts_view.contacts_changed.connect(
            self._on_contacts_view_contacts_changed
        )
        self.templates_view.template_saved.connect(self._on_templates_view_changed)
        self.templates_view.template_deleted.connect(self._on_templates_view_changed)
        self.compose_view.send_finished.connect(self._on_compose_view_send_finished)
        self.compose_view.send_failed.connect(self._on_compose_view_send_failed)
        self.settings_view.settings_saved.connect(self._on_settings_view_settings_saved)
        self.settings_view.credentials_saved.connect(
            self._on_settings_view_credentials_saved
        )
        self.settings_view.restore_requested.connect(
            self._on_settings_view_restore_requested
        )
        self.settings_view.mailbox_checked.connect(
            self._on_settings_view_mailbox_checked
        )

    def reopen_database(self, source: Path) -> Path:
        """Replace the data with the backup ``source`` and rebuild every page.

        Running work is cancelled and waited for, the window's connection is closed,
        ``restore_from`` swaps the file (keeping a copy of the current one), and the
        database is opened again, upgraded by the usual migrations if it is older.

        Args:
            source: a backup made by Duet.

        Returns:
            The copy kept of the data that was replaced.

        Raises:
            ValidationError: ``source`` is not a usable Duet backup, or a send or an
                import is running; nothing was changed.
            StorageError: the restore failed; the previous data is open again.
        """
        from desktop_app.storage.backup import check_duet_database, restore_from
        from desktop_app.storage.database import open_database

        check_duet_database(source)
        if self.is_busy():
            raise ValidationError(
                "A send or an import is running; restore the backup when it is done."
            )
        if not tasks.cancel_and_wait_all(CLOSE_WAIT_SECONDS):
            raise ValidationError(
                "Duet is still finishing some work; try the restore again in a moment."
            )
        # Deliver the results of the work that just ended while its pages still exist.
        QCoreApplication.processEvents()

        view_name = self.current_view_name()
        if self.first_run_guide is not None:
            self.first_run_guide.close()  # it holds the connection about to close
        self._db.close()
        try:
            kept = restore_from(self._data_dir, source)
        finally:
            self._db = open_database(paths.database_path(self._data_dir))
            self._build_views(self._db)
            self.set_mode(self.mode)
            self.stack.setCurrentIndex(VIEW_NAMES.index(view_name))
            self.update_title()
        logger.debug("window reopened the restored database")
        return kept

    def maybe_show_first_run(self) -> bool:
        """Open the first-run guide on an empty database that never finished it.

        Returns:
            True when the guide was opened.
        """
        from desktop_app.ui.first_run import state

        if os.environ.get(SKIP_FIRST_RUN_ENV, "").strip() in ("1", "true", "yes"):
            return False
        if self.first_run_guide is not None or not state.needs_first_run(self._db):
            return False
        self.show_first_run()
        return True

    def show_first_run(self) -> QWidget:
        """Open the first-run guide beside the window (it does not block it)."""
        from desktop_app.ui.first_run.guide import FirstRunGuide

        guide = FirstRunGuide(self._db, self._data_dir, self)
        guide.import_requested.connect(self._on_guide_import_requested)
        guide.settings_changed.connect(self._on_guide_settings_changed)
        guide.test_pair_sent.connect(self._on_guide_test_pair_sent)
        guide.settings_requested.connect(self._on_guide_settings_requested)
        guide.finished.connect(self._on_guide_finished)
        self.first_run_guide = guide
        guide.show()
        return guide

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
        self.update_title()

    @Slot(str)
    def _on_settings_view_credentials_saved(self, provider: str) -> None:
        if provider in ("twilio", "smtp"):
            self.probe_credentials()

    @Slot(object)
    def _on_settings_view_restore_requested(self, source: Path) -> None:
        try:
            kept = self.reopen_database(Path(source))
        except KnownError as error:
            logger.info("restore refused: %s", error.message)
            feedback.warn(self, settings_texts.DATA_RESTORE_FAILED, error.message)
            return
        text = settings_texts.DATA_RESTORE_DONE.format(path=source, kept=kept)
        self.show_view("settings")
        self.settings_view.show_page("data")
        self.settings_view.data.show_safety_result(text)
        feedback.inform(self, settings_texts.DATA_RESTORE_TITLE_DONE, text)

    @Slot(object)
    def _on_settings_view_mailbox_checked(self, _report: object) -> None:
        self.contacts_view.refresh()
        self.history_view.refresh()

    @Slot()
    def _on_guide_import_requested(self) -> None:
        self.show_view("contacts")
        self.contacts_view.import_button.click()

    @Slot()
    def _on_guide_settings_changed(self) -> None:
        self.settings_view.refresh()
        self.compose_view.refresh()
        self.update_title()

    @Slot()
    def _on_guide_test_pair_sent(self) -> None:
        self.contacts_view.refresh()
        self.templates_view.refresh()
        self.compose_view.refresh()
        self.history_view.refresh()
        self.reports_view.refresh()

    @Slot()
    def _on_guide_settings_requested(self) -> None:
        self.show_view("settings")
        self.settings_view.show_page("providers")

    @Slot(int)
    def _on_guide_finished(self, _result: int) -> None:
        guide, self.first_run_guide = self.first_run_guide, None
        if guide is not None:
            guide.deleteLater()

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
