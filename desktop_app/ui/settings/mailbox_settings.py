"""Settings → Mailbox: the shop's IMAP inbox, read for unsubscribe mails and bounces."""

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from desktop_app.errors import ValidationError
from desktop_app.ui.settings import common, texts
from desktop_app.ui.settings.credential_form import CredentialForm, KeyringPanel
from desktop_app.ui.settings.saved_credentials import SavedCredentials, secret_or_saved
from desktop_app.ui.tasks import Task, TaskContext

logger = logging.getLogger(__name__)

IMAP_DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SPIN_WIDTH = 220


class MailboxForm(CredentialForm):
    """Server, port, security, user and password; "Check mailbox now".

    Signals:
        mailbox_checked(object): the ``ImapReport`` of a finished check.
    """

    mailbox_checked = Signal(object)

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(
            texts.MAILBOX_TITLE,
            texts.MAILBOX_INTRO,
            texts.MAILBOX_SAVE,
            texts.MAILBOX_CHECK,
            texts.MAILBOX_FORGET,
            parent,
        )
        self._data_dir = data_dir
        self.host_edit = QLineEdit()
        self.host_edit.setPlaceholderText("imap.example.com")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(993)
        self.port_spin.setMaximumWidth(SPIN_WIDTH)
        self.security_combo = QComboBox()
        for key, name in texts.MAILBOX_SECURITY_NAMES.items():
            self.security_combo.addItem(name, key)
        self.user_edit = QLineEdit()
        self.user_edit.setPlaceholderText("shop@example.com")
        self.password_edit = self.secret_edit()

        self.add_row(texts.MAILBOX_HOST, self.host_edit)
        self.add_row(texts.MAILBOX_PORT, self.port_spin)
        self.add_row(texts.MAILBOX_SECURITY, self.security_combo)
        self.add_row(texts.MAILBOX_USER, self.user_edit)
        self.add_row(texts.MAILBOX_PASSWORD, self.password_edit)

        self.security_combo.currentIndexChanged.connect(self._on_security_combo_changed)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.forget_button.clicked.connect(self._on_forget_button_clicked)

    def apply_saved(self, config: Any) -> None:
        """Show a saved ``ImapConfig`` (or nothing saved)."""
        if config is not None:
            self.host_edit.setText(config.host)
            self.security_combo.blockSignals(True)
            self.security_combo.setCurrentIndex(
                self.security_combo.findData(config.security)
            )
            self.security_combo.blockSignals(False)
            self.port_spin.setValue(int(config.port))
            self.user_edit.setText(config.user)
        self.show_saved_secret(self.password_edit, config is not None)

    def values(self) -> dict[str, Any]:
        """Return the typed values that are not secret."""
        return {
            "host": self.host_edit.text().strip(),
            "port": self.port_spin.value(),
            "security": str(self.security_combo.currentData()),
            "user": self.user_edit.text().strip(),
        }

    def save(self) -> Task:
        """Save the settings and the password (typed, or the one already saved)."""
        values = self.values()
        typed = self.password_edit.text()

        def save_imap(_context: TaskContext) -> Any:
            from desktop_app import credentials

            password = secret_or_saved(typed, "imap", texts.MAILBOX_NO_PASSWORD)
            config = credentials.ImapConfig(**values)
            credentials.save_imap(config, password)
            return config

        return self.run_job(save_imap, texts.SAVING, self._saved)

    def check_mailbox(self) -> Task:
        """Read the inbox now and record unsubscribes and bounces."""
        values = self.values()
        typed = self.password_edit.text()
        database = _database_path(self._data_dir)

        def check_imap(_context: TaskContext) -> Any:
            from desktop_app.services.imap_poll import poll_mailbox
            from desktop_app.storage.database import open_database

            if not values["host"]:
                raise ValidationError(texts.MAILBOX_NO_HOST)
            password = secret_or_saved(typed, "imap", texts.MAILBOX_NO_PASSWORD_CHECK)
            db = open_database(database)
            try:
                return poll_mailbox(
                    db,
                    values["host"],
                    values["port"],
                    values["user"],
                    password,
                    security=values["security"],
                )
            finally:
                db.close()

        return self.run_job(check_imap, texts.CHECKING, self._checked)

    def forget(self) -> Task:
        """Remove the saved mailbox settings and password."""

        def forget_imap(_context: TaskContext) -> None:
            from desktop_app import credentials

            credentials.clear("imap")

        return self.run_job(forget_imap, texts.SAVING, self._forgotten)

    def _saved(self, _config: Any) -> str:
        self.show_saved_secret(self.password_edit, True)
        self.saved.emit("imap")
        return texts.MAILBOX_SAVED

    def _forgotten(self, _result: Any) -> str:
        self.show_saved_secret(self.password_edit, False)
        self.saved.emit("imap")
        return texts.MAILBOX_FORGOTTEN

    def _checked(self, report: Any) -> str:
        self.mailbox_checked.emit(report)
        return texts.MAILBOX_REPORT.format(summary=report.summary_text())

    @Slot(int)
    def _on_security_combo_changed(self, _index: int) -> None:
        if self.port_spin.value() in IMAP_DEFAULT_PORTS.values():
            self.port_spin.setValue(
                IMAP_DEFAULT_PORTS[str(self.security_combo.currentData())]
            )

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    @Slot()
    def _on_check_button_clicked(self) -> None:
        self.check_mailbox()

    @Slot()
    def _on_forget_button_clicked(self) -> None:
        self.forget()


class MailboxSettings(QWidget):
    """The Mailbox page: the keyring panel's twin and the IMAP form."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keyring_panel = KeyringPanel()
        self.form = MailboxForm(data_dir)
        scroll, column = common.scrolling_page(self.keyring_panel, self.form)
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def apply_saved(self, saved: SavedCredentials) -> None:
        """Show the keyring's state and the saved mailbox settings."""
        self.keyring_panel.show_status(saved.status, saved.problems)
        self.form.set_saving_allowed(saved.status.ok, texts.KEYRING_SAVE_DISABLED)
        self.form.apply_saved(saved.imap)


def _database_path(data_dir: Path) -> Path:
    from desktop_app import paths

    return paths.database_path(data_dir)
