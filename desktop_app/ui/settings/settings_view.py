"""The Settings page: tabs for the shop, sending (Twilio, email), the mailbox and data.

The keyring is probed and the saved credentials are read in a worker the first time
the page is shown (a locked keyring may prompt, which must not freeze the window).
"""

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QTabWidget, QVBoxLayout, QWidget

from desktop_app.errors import KnownError
from desktop_app.ui import feedback, messages, tasks
from desktop_app.ui.settings import texts
from desktop_app.ui.settings.saved_credentials import (
    SavedCredentials,
    load_saved_credentials,
)
from desktop_app.ui.settings.shop_settings import ShopSettings
from desktop_app.ui.tasks import Task

if TYPE_CHECKING:
    from desktop_app.ui.settings.data_settings import DataSettings
    from desktop_app.ui.settings.mailbox_settings import MailboxSettings
    from desktop_app.ui.settings.provider_settings import ProviderSettings

logger = logging.getLogger(__name__)

PAGE_NAMES = ("shop", "providers", "mailbox", "data")


class SettingsView(QWidget):
    """Four tabs; see the module docstring.

    Signals:
        settings_saved(): the shop's settings were stored.
        credentials_saved(str): ``twilio``, ``smtp`` or ``imap`` was saved or forgotten.
        credentials_loaded(object): the :class:`SavedCredentials` read at first show.
        restore_requested(object): the owner confirmed restoring this backup path.
        mailbox_checked(object): a mailbox check finished with this report.
    """

    settings_saved = Signal()
    credentials_saved = Signal(str)
    credentials_loaded = Signal(object)
    restore_requested = Signal(object)
    mailbox_checked = Signal(object)

    def __init__(
        self, db: sqlite_utils.Database, data_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.saved_credentials: SavedCredentials | None = None
        self.load_task: Task | None = None

        self._db = db
        self._data_dir = data_dir
        self._providers: ProviderSettings | None = None
        self._mailbox: MailboxSettings | None = None
        self._data: DataSettings | None = None

        self.shop = ShopSettings(db)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.shop, texts.TAB_SHOP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.shop.settings_saved.connect(self.settings_saved)

    def show_setting(self, key: str) -> None:
        """Show the Shop tab with the field of ``key`` (a ``shop.*`` key) focused."""
        self.tabs.setCurrentWidget(self.shop)
        self.shop.focus_setting(key)

    # The other tabs are built when first needed, to keep them out of start-up.
    @property
    def providers(self) -> "ProviderSettings":
        """The Sending tab."""
        self._build_pages()
        assert self._providers is not None
        return self._providers

    @property
    def mailbox(self) -> "MailboxSettings":
        """The Mailbox tab."""
        self._build_pages()
        assert self._mailbox is not None
        return self._mailbox

    @property
    def data(self) -> "DataSettings":
        """The Data tab."""
        self._build_pages()
        assert self._data is not None
        return self._data

    def _build_pages(self) -> None:
        if self._data is not None:
            return
        from desktop_app.ui.settings.data_settings import DataSettings
        from desktop_app.ui.settings.mailbox_settings import MailboxSettings
        from desktop_app.ui.settings.provider_settings import ProviderSettings

        self._providers = ProviderSettings()
        self._mailbox = MailboxSettings(self._data_dir)
        self._data = DataSettings(self._db, self._data_dir)
        self.tabs.addTab(self._providers, texts.TAB_PROVIDERS)
        self.tabs.addTab(self._mailbox, texts.TAB_MAILBOX)
        self.tabs.addTab(self._data, texts.TAB_DATA)
        self._providers.credentials_saved.connect(self._on_credentials_saved)
        self._mailbox.form.saved.connect(self.credentials_saved)
        self._mailbox.form.mailbox_checked.connect(self.mailbox_checked)
        self._data.restore_requested.connect(self.restore_requested)
        if self.saved_credentials is not None:
            self._apply_saved(self.saved_credentials)

    # The shop form's parts, kept here for callers that knew the single-form page.
    @property
    def edits(self) -> dict[str, QLineEdit]:
        """The shop settings' fields by key."""
        return self.shop.edits

    @property
    def error_labels(self) -> dict[str, QLabel]:
        """The shop settings' error lines by key."""
        return self.shop.error_labels

    @property
    def status_label(self) -> QLabel:
        """The line under the shop form."""
        return self.shop.status_label

    @property
    def data_dir_label(self) -> QLabel:
        """The label showing the data folder."""
        return self.data.data_dir_label

    @property
    def database_label(self) -> QLabel:
        """The label showing the database file."""
        return self.data.database_label

    def refresh(self) -> None:
        """Show the stored shop settings again."""
        self.shop.refresh()

    def save(self) -> bool:
        """Store the shop settings; see :meth:`ShopSettings.save`."""
        return self.shop.save()

    def show_page(self, name: str) -> None:
        """Show the tab ``shop``, ``providers``, ``mailbox`` or ``data``."""
        self._build_pages()
        self.tabs.setCurrentIndex(PAGE_NAMES.index(name))

    def current_page(self) -> str:
        """Return the name of the tab shown."""
        return PAGE_NAMES[self.tabs.currentIndex()]

    def load_credentials(self) -> Task:
        """Probe the keyring and read the saved settings in the background."""
        self.load_task = tasks.run_in_background(
            load_saved_credentials,
            on_success=self._on_credentials_read,
            on_error=self._on_credentials_read_failed,
            parent=self,
        )
        return self.load_task

    def showEvent(self, event: QShowEvent) -> None:
        self._build_pages()
        super().showEvent(event)
        if self.load_task is None:
            self.load_credentials()

    def _on_credentials_read(self, saved: SavedCredentials) -> None:
        self.saved_credentials = saved
        if self._data is not None:
            self._apply_saved(saved)
        if not saved.status.ok:
            logger.info("no usable keyring: %s", saved.status.backend)
        self.credentials_loaded.emit(saved)

    def _apply_saved(self, saved: SavedCredentials) -> None:
        self.providers.apply_saved(saved)
        self.mailbox.apply_saved(saved)
        if saved.twilio is not None:
            self.data.set_sign_number(saved.twilio.sender)

    def _on_credentials_read_failed(self, error: BaseException) -> None:
        if isinstance(error, KnownError):
            feedback.status(self, error.message)
            return
        feedback.report_error(self, messages.GENERIC_ERROR_TITLE, error)

    def _on_credentials_saved(self, provider: str) -> None:
        if provider == "twilio":
            self.data.set_sign_number(self.providers.twilio_form.values()["sender"])
        self.credentials_saved.emit(provider)
