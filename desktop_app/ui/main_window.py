"""Duet's main window: a side bar of pages, the test-mode banner and a status bar.

The window paints a light shell first (side bar, banner, status bar and a "Loading…"
page): this module imports no view and opens no database. Right after the first
paint, :meth:`MainWindow.finish_start` opens the database and builds the page shown;
every other page is built the first time it is selected (:meth:`MainWindow.view`),
while the view modules are imported in idle slices so the first click stays quick.

The window owns the GUI thread's database connection. A restore closes it, swaps the
file and opens it again, then builds the pages anew on the new connection
(:meth:`MainWindow.reopen_database`).
"""

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QSize, QTimer, Signal, Slot
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
from desktop_app.ui import messages, tasks
from desktop_app.ui.automation import texts as automation_texts

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.providers.base import Senders
    from desktop_app.ui.background_jobs import BackgroundJobs, StartupWork

logger = logging.getLogger(__name__)

VIEW_NAMES = (
    "contacts",
    "templates",
    "compose",
    "history",
    "replies",
    "automation",
    "reports",
    "settings",
)
VIEW_MODULES = {
    "contacts": "desktop_app.ui.contacts.contacts_view",
    "templates": "desktop_app.ui.templates.templates_view",
    "compose": "desktop_app.ui.compose.compose_view",
    "history": "desktop_app.ui.history.history_view",
    "replies": "desktop_app.ui.activity.activity_view",
    "automation": "desktop_app.ui.automation.automation_view",
    "reports": "desktop_app.ui.reports.reports_view",
    "settings": "desktop_app.ui.settings.settings_view",
}
# Qt::AlignCenter as a number: touching PySide6's ``Qt`` namespace builds all of its
# enums (~20 ms), which the shell leaves until after the first paint.
ALIGN_CENTER = 0x0084
DEFAULT_SIZE = QSize(1100, 720)
OUTBOX_MODE = "test outbox"
CLOSE_WAIT_SECONDS = 30.0
SKIP_FIRST_RUN_ENV = "DUET_SKIP_FIRST_RUN"
TITLE_SEPARATOR = " — "


def view_title(name: str, waiting: int = 0) -> str:
    """Return the side-bar label of the page ``name``.

    ``waiting`` is the number of replies that wait for the owner's decision; the
    Replies page shows it as a badge ("Replies (2)").
    """
    if name == "automation":
        return messages.VIEW_TITLES.get(name, automation_texts.VIEW_TITLE)
    title = messages.VIEW_TITLES[name]
    if name == "replies" and waiting:
        return messages.REPLIES_BADGE.format(title=title, count=waiting)
    return title


class MainWindow(QMainWindow):
    """The one window: pages chosen from a side bar (Ctrl+1 … Ctrl+8).

    Signals:
        first_painted(): the window painted itself for the first time.
        ready(): the database is open and the page shown is built.
        view_built(str): the page with that name was built.
        mode_changed(str): the sending mode after the credentials were checked.
    """

    first_painted = Signal()
    ready = Signal()
    view_built = Signal(str)
    mode_changed = Signal(str)

    def __init__(
        self,
        db: "sqlite_utils.Database | None",
        data_dir: Path,
        parent: QWidget | None = None,
        *,
        start_after_paint: bool = True,
        preload_views: bool = False,
    ) -> None:
        """Build the shell.

        Args:
            db: the GUI thread's connection, or None to open the data folder's
                database right after the first paint.
            data_dir: Duet's data folder.
            parent: the parent widget.
            start_after_paint: open the database and build the page shown right
                after the first paint (False: only when something asks for it).
            preload_views: after start, import the other pages' modules in idle
                slices so they open quickly when first selected.
        """
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self._painted = False
        self._started = False
        self._start_after_paint = start_after_paint
        self._preload = preload_views
        self.mode = OUTBOX_MODE
        self.replies_waiting = 0
        self.views: dict[str, QWidget] = {}
        self.first_run_guide: QWidget | None = None
        self.background_jobs: BackgroundJobs | None = None
        self.startup_work: StartupWork | None = None
        self.setWindowTitle(messages.APP_TITLE)
        self.resize(DEFAULT_SIZE)
        self.setMinimumSize(QSize(900, 560))

        self.banner = QLabel(messages.TEST_MODE_BANNER)
        self.banner.setObjectName("testModeBanner")
        self.banner.setWordWrap(True)
        self.banner.setProperty("alignment", ALIGN_CENTER)

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(170)
        self.stack = QStackedWidget()
        self.loading = QLabel(automation_texts.LOADING)
        self.loading.setObjectName("mutedLabel")
        self.loading.setProperty("alignment", ALIGN_CENTER)
        self.stack.addWidget(self.loading)
        for number, name in enumerate(VIEW_NAMES, start=1):
            item = QListWidgetItem(view_title(name))
            item.setToolTip(f"{view_title(name)} (Ctrl+{number})")
            self.sidebar.addItem(item)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.sidebar)
        body.addWidget(self.stack, 1)
        central = QWidget()
        self.central_layout = QVBoxLayout(central)
        self.central_layout.setContentsMargins(0, 0, 0, 0)
        self.central_layout.setSpacing(0)
        self.central_layout.addWidget(self.banner)
        self.central_layout.addLayout(body, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage(f"Data folder: {data_dir}")

        self.sidebar.setCurrentRow(0)
        self.sidebar.currentRowChanged.connect(self._on_sidebar_current_row_changed)
        self.first_painted.connect(self._on_first_painted)
        if db is not None:
            self.update_title()

    # --- the database and the pages -------------------------------------------

    @property
    def database(self) -> "sqlite_utils.Database":
        """The GUI thread's connection to the database (replaced by a restore)."""
        return self._ensure_database()

    def is_ready(self) -> bool:
        """Return True once :meth:`finish_start` ran (database open, page built)."""
        return self._started

    def is_database_open(self) -> bool:
        """Return True once the window holds a database connection."""
        return self._db is not None

    @property
    def data_dir(self) -> Path:
        """Duet's data folder."""
        return self._data_dir

    def _ensure_database(self) -> "sqlite_utils.Database":
        if self._db is None:
            from desktop_app.storage.database import open_database

            self._db = open_database(paths.database_path(self._data_dir))
        return self._db

    def finish_start(self) -> bool:
        """Open the database and build the page shown (once; after the first paint).

        Returns:
            False when the database could not be opened (the owner was told and the
            window closes) or the window was closed first, else True.
        """
        from desktop_app.ui import feedback

        if self._started:
            return True
        if not self.isVisible():
            return False  # closed before the start finished
        self._add_shortcuts()
        try:
            self._ensure_database()
        except KnownError as error:
            logger.error("could not open the database: %s", error.detail or error)
            feedback.warn(self, messages.START_FAILED_TITLE, error.message)
            QTimer.singleShot(0, self.close)
            return False
        self._started = True
        self.update_title()
        self.update_replies_badge()
        self._show_row(self.sidebar.currentRow())
        logger.debug("window ready")
        self.ready.emit()
        if self._preload:
            QTimer.singleShot(0, self._preload_next)
        return True

    def _preload_next(self) -> None:
        """Import one page's module not yet imported; come back for the next."""
        for name in VIEW_NAMES:
            module = VIEW_MODULES[name]
            if name not in self.views and module not in sys.modules:
                importlib.import_module(module)
                QTimer.singleShot(0, self._preload_next)
                return

    def update_title(self) -> None:
        """Show "Duet — <shop name>" (just "Duet" until the name is set)."""
        from desktop_app.storage import settings

        name = settings.get_setting(self.database, "shop.name").strip()
        title = messages.APP_TITLE
        self.setWindowTitle(f"{title}{TITLE_SEPARATOR}{name}" if name else title)

    def update_replies_badge(self) -> int:
        """Count the replies waiting for a decision and show it in the side bar.

        Returns:
            How many replies wait for the owner's decision.
        """
        from desktop_app.ui.activity.waiting import replies_waiting

        count = replies_waiting(self.database)
        self.replies_waiting = count
        row = VIEW_NAMES.index("replies")
        item = self.sidebar.item(row)
        item.setText(view_title("replies", count))
        tip = ""
        if count:
            tip = (
                messages.REPLIES_WAITING_TIP_ONE
                if count == 1
                else messages.REPLIES_WAITING_TIP.format(count=count)
            )
        item.setToolTip(f"{tip}{view_title('replies')} (Ctrl+{row + 1})")
        logger.debug("replies waiting for a decision: %d", count)
        return count

    def is_built(self, name: str) -> bool:
        """Return True once the page ``name`` was built."""
        return name in self.views

    def view(self, name: str) -> QWidget:
        """Return the page ``name``, building it first if needed."""
        built = self.views.get(name)
        if built is None:
            built = self._build_view(name)
        return built

    @property
    def contacts_view(self) -> Any:
        """The Contacts page (built on first use)."""
        return self.view("contacts")

    @property
    def templates_view(self) -> Any:
        """The Templates page (built on first use)."""
        return self.view("templates")

    @property
    def compose_view(self) -> Any:
        """The Compose page (built on first use)."""
        return self.view("compose")

    @property
    def history_view(self) -> Any:
        """The History page (built on first use)."""
        return self.view("history")

    @property
    def replies_view(self) -> Any:
        """The Replies page (built on first use)."""
        return self.view("replies")

    @property
    def automation_view(self) -> Any:
        """The Automation page (built on first use)."""
        return self.view("automation")

    @property
    def reports_view(self) -> Any:
        """The Reports page (built on first use)."""
        return self.view("reports")

    @property
    def settings_view(self) -> Any:
        """The Settings page (built on first use)."""
        return self.view("settings")

    def _build_view(self, name: str) -> QWidget:
        db = self._ensure_database()
        data_dir = self._data_dir
        widget: Any
        if name == "contacts":
            from desktop_app.ui.contacts.contacts_view import ContactsView

            widget = ContactsView(db, data_dir)
            widget.contacts_changed.connect(self._on_contacts_view_contacts_changed)
        elif name == "templates":
            from desktop_app.ui.templates.templates_view import TemplatesView

            widget = TemplatesView(db)
            widget.template_saved.connect(self._on_templates_view_changed)
            widget.template_deleted.connect(self._on_templates_view_changed)
        elif name == "compose":
            from desktop_app.ui.compose.compose_view import ComposeView

            widget = ComposeView(
                db, data_dir, self._make_senders, provider_names=self.provider_names()
            )
            widget.send_finished.connect(self._on_compose_view_send_finished)
            widget.send_failed.connect(self._on_compose_view_send_failed)
            widget.setting_requested.connect(self._on_compose_view_setting_requested)
        elif name == "history":
            from desktop_app.ui.history.history_view import HistoryView

            widget = HistoryView(db)
        elif name == "replies":
            from desktop_app.ui.activity.activity_view import ActivityView

            widget = ActivityView(db, data_dir)
            widget.decided.connect(self._on_replies_view_decided)
            widget.checked.connect(self._on_replies_view_checked)
        elif name == "automation":
            from desktop_app.ui.automation.automation_view import AutomationView

            widget = AutomationView(db, data_dir)
            widget.changed.connect(self._on_automation_view_changed)
        elif name == "reports":
            from desktop_app.ui.reports.reports_view import ReportsView

            widget = ReportsView(db)
        elif name == "settings":
            from desktop_app.ui.settings.settings_view import SettingsView

            widget = SettingsView(db, data_dir)
            widget.settings_saved.connect(self._on_settings_view_settings_saved)
            widget.credentials_saved.connect(self._on_settings_view_credentials_saved)
            widget.restore_requested.connect(self._on_settings_view_restore_requested)
            widget.mailbox_checked.connect(self._on_settings_view_mailbox_checked)
        else:
            raise ValueError(f"no page called {name!r}")
        self.views[name] = widget
        self.stack.addWidget(widget)
        logger.debug("view built: %s", name)
        self.view_built.emit(name)
        return widget

    def _drop_views(self) -> None:
        """Forget every built page (they are rebuilt on the next use)."""
        for old in list(self.views.values()):
            self.stack.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.views = {}

    def refresh_views(self, *names: str) -> None:
        """Refresh the pages among ``names`` that are built (the rest read later)."""
        for name in names:
            widget = self.views.get(name)
            if widget is not None and hasattr(widget, "refresh"):
                widget.refresh()

    def reopen_database(self, source: Path) -> Path:
        """Replace the data with the backup ``source`` and rebuild the pages.

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
        if self.background_jobs is not None:
            self.background_jobs.pause()
        try:
            if not tasks.cancel_and_wait_all(CLOSE_WAIT_SECONDS):
                raise ValidationError(
                    "Duet is still finishing some work; try the restore again in a "
                    "moment."
                )
            # Deliver the results of the work that just ended while its pages exist.
            QCoreApplication.processEvents()

            view_name = self.current_view_name()
            if self.first_run_guide is not None:
                self.first_run_guide.close()  # it holds the connection about to close
            self.database.close()
            try:
                kept = restore_from(self._data_dir, source)
            finally:
                self._db = open_database(paths.database_path(self._data_dir))
                self._drop_views()
                self._show_row(VIEW_NAMES.index(view_name))
                self.update_title()
                self.update_replies_badge()
        finally:
            if self.background_jobs is not None:
                self.background_jobs.resume()
        logger.debug("window reopened the restored database")
        return kept

    # --- first run, pages, mode --------------------------------------------------

    def maybe_show_first_run(self) -> bool:
        """Open the first-run guide on an empty database that never finished it.

        Returns:
            True when the guide was opened.
        """
        from desktop_app.ui.first_run import state

        if os.environ.get(SKIP_FIRST_RUN_ENV, "").strip() in ("1", "true", "yes"):
            return False
        if self.first_run_guide is not None or not state.needs_first_run(self.database):
            return False
        self.show_first_run()
        return True

    def show_first_run(self) -> QWidget:
        """Open the first-run guide beside the window (it does not block it)."""
        from desktop_app.ui.first_run.guide import FirstRunGuide

        guide = FirstRunGuide(self.database, self._data_dir, self)
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
        row = VIEW_NAMES.index(name)
        if self.sidebar.currentRow() == row:
            self._show_row(row)
        else:
            self.sidebar.setCurrentRow(row)

    def current_view_name(self) -> str:
        """Return the name of the page chosen in the side bar."""
        return VIEW_NAMES[max(self.sidebar.currentRow(), 0)]

    def probe_credentials(self) -> None:
        """Find out in the background whether real providers are set up."""
        data_dir = self._data_dir

        def probe(_context: tasks.TaskContext) -> str:
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

    def provider_names(self) -> tuple[str, str]:
        """Return the (SMS, email) providers the current mode sends through."""
        sms = "twilio" if self.mode.startswith("Twilio") else "outbox"
        email = "smtp" if self.mode.endswith("SMTP") else "outbox"
        return sms, email

    def set_mode(self, mode: str) -> None:
        """Show the sending mode in the banner and use it for the next send."""
        self.mode = mode
        sms, email = self.provider_names()
        compose = self.views.get("compose")
        if compose is not None:
            compose.set_provider_names((sms, email))  # type: ignore[attr-defined]
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

    def is_sending(self) -> bool:
        """Return True while Compose sends a campaign."""
        compose = self.views.get("compose")
        return compose is not None and bool(compose.is_sending())  # type: ignore[attr-defined]

    def is_busy(self) -> bool:
        """Return True while an import, a send or a start-up resume runs."""
        contacts = self.views.get("contacts")
        importing = contacts is not None and bool(contacts.is_busy())  # type: ignore[attr-defined]
        startup = self.startup_work is not None and self.startup_work.is_running()
        return self.is_sending() or importing or startup

    # --- start-up work and the background job ----------------------------------

    def start_background_work(self, *, interval_minutes: float | None = None) -> None:
        """Ask about unfinished sends and missed schedules, then start the job.

        The questions come one after the other; the periodic job (sync, held
        messages, schedules, delayed triggers) starts once they are answered and
        any send they started has ended.

        Args:
            interval_minutes: minutes between two runs of the job (default 3).
        """
        from desktop_app.ui.background_jobs import (
            DEFAULT_INTERVAL_MINUTES,
            BackgroundJobs,
            StartupWork,
        )

        self.background_jobs = BackgroundJobs(
            self._data_dir,
            busy=self.is_busy,
            interval_minutes=interval_minutes or DEFAULT_INTERVAL_MINUTES,
            parent=self,
        )
        self.background_jobs.ran.connect(self._on_background_jobs_ran)
        self.startup_work = StartupWork(self, parent=self)
        self.central_layout.insertWidget(1, self.startup_work.panel)
        self.startup_work.finished.connect(self._on_startup_work_finished)
        self.startup_work.start()

    def _make_senders(self) -> "Senders":
        """Build the senders for one send; runs on the worker thread."""
        if self.mode == OUTBOX_MODE:
            from desktop_app.providers.outbox import outbox_senders

            return outbox_senders(self._data_dir)
        from desktop_app.providers.factory import senders_from_credentials

        senders, _mode = senders_from_credentials(self._data_dir)
        return senders

    # --- slots ---------------------------------------------------------------------

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        name = VIEW_NAMES[row]
        if not self._started and self._db is None:
            self.stack.setCurrentWidget(self.loading)
            return
        was_built = name in self.views
        widget = self.view(name)
        self.stack.setCurrentWidget(widget)
        if was_built and name in ("history", "replies", "compose", "automation"):
            widget.refresh()  # type: ignore[attr-defined]
        logger.debug("view shown: %s", name)

    @Slot(int)
    def _on_sidebar_current_row_changed(self, row: int) -> None:
        self._show_row(row)

    def _add_shortcuts(self) -> None:
        """Ctrl+1 … Ctrl+8 for the pages (after the first paint: setting a shortcut
        builds PySide6's ``Qt`` enums, ~20 ms)."""
        if self.actions():
            return
        for number, name in enumerate(VIEW_NAMES, start=1):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, n=name: self.show_view(n))
            self.addAction(action)

    @Slot()
    def _on_first_painted(self) -> None:
        if self._start_after_paint:
            QTimer.singleShot(0, self.finish_start)

    @Slot()
    def _on_contacts_view_contacts_changed(self) -> None:
        self.refresh_views("compose", "automation")

    @Slot(str)
    def _on_templates_view_changed(self, _name: str) -> None:
        self.refresh_views("compose", "automation")

    @Slot()
    def _on_automation_view_changed(self) -> None:
        self.refresh_views("templates", "compose")

    @Slot(object)
    def _on_compose_view_send_finished(self, _summary: object) -> None:
        self.refresh_views("history", "reports", "contacts")

    @Slot(str)
    def _on_compose_view_send_failed(self, _message: str) -> None:
        self.refresh_views("history", "reports")

    @Slot(str)
    def _on_compose_view_setting_requested(self, key: str) -> None:
        self.show_view("settings")
        self.view("settings").show_setting(key)

    @Slot()
    def _on_settings_view_settings_saved(self) -> None:
        self.refresh_views("compose", "history", "automation")
        self.update_title()
        if self.background_jobs is not None:
            # Emails that waited for the shop's postal address may go now.
            self.background_jobs.run_now()

    @Slot(str)
    def _on_settings_view_credentials_saved(self, provider: str) -> None:
        if provider in ("twilio", "smtp"):
            self.probe_credentials()

    @Slot(object)
    def _on_settings_view_restore_requested(self, source: Path) -> None:
        from desktop_app.ui import feedback
        from desktop_app.ui.settings import texts as settings_texts

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
        self.refresh_views("contacts", "history", "replies")
        self.update_replies_badge()

    @Slot(int, str)
    def _on_replies_view_decided(self, _event_id: int, _decision: str) -> None:
        self.update_replies_badge()
        self.refresh_views("contacts", "history", "reports")

    @Slot(object)
    def _on_replies_view_checked(self, _report: object) -> None:
        self.update_replies_badge()
        self.refresh_views("contacts", "history", "reports")

    @Slot(object)
    def _on_background_jobs_ran(self, _report: object) -> None:
        self.refresh_views("history", "replies", "reports", "contacts", "automation")
        self.update_replies_badge()

    @Slot()
    def _on_startup_work_finished(self) -> None:
        self.refresh_views("history", "replies", "reports", "contacts", "automation")
        self.update_replies_badge()
        if self.background_jobs is not None:
            self.background_jobs.start()

    @Slot()
    def _on_guide_import_requested(self) -> None:
        self.show_view("contacts")
        self.contacts_view.import_button.click()

    @Slot()
    def _on_guide_settings_changed(self) -> None:
        self.refresh_views("settings", "compose")
        self.update_title()

    @Slot()
    def _on_guide_test_pair_sent(self) -> None:
        self.refresh_views("contacts", "templates", "compose", "history", "reports")

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
        from desktop_app.ui import feedback

        message = getattr(error, "message", str(error))
        logger.info("credentials not usable, staying in test mode: %s", message)
        feedback.status(self, message, 15000)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_sending():
            from desktop_app.ui import feedback

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
        if self.background_jobs is not None:
            self.background_jobs.stop()
        if tasks.running_tasks():
            self.statusBar().showMessage(messages.CLOSING_WAIT)
            if not tasks.cancel_and_wait_all(CLOSE_WAIT_SECONDS):
                logger.error("background work still running at close")
        event.accept()
