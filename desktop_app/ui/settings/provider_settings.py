"""Settings → Sending: Twilio for texts, an SMTP server for emails, and the keyring.

Secrets go to the keyring through ``credentials.py`` only; the fields show whether one
is saved, never the secret. "Test connection" uses what is typed (or the saved secret
when the field is left empty) and answers in plain words under the form.
"""

import logging
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.ui.settings import common, texts
from desktop_app.ui.settings.credential_form import CredentialForm, KeyringPanel
from desktop_app.ui.settings.saved_credentials import SavedCredentials, secret_or_saved
from desktop_app.ui.tasks import Task, TaskContext

logger = logging.getLogger(__name__)

SMTP_PRESETS: dict[str, tuple[str, int, str]] = {
    "gmail": ("smtp.gmail.com", 587, "starttls"),
    "outlook": ("smtp.office365.com", 587, "starttls"),
}
SMTP_DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
SPIN_WIDTH = 220


class TwilioForm(CredentialForm):
    """Account SID, Auth Token or API key + secret, sender and sending speed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            texts.TWILIO_TITLE,
            texts.TWILIO_INTRO,
            texts.TWILIO_SAVE,
            texts.TWILIO_TEST,
            texts.TWILIO_FORGET,
            parent,
        )
        self.sid_edit = QLineEdit()
        self.sid_edit.setPlaceholderText("AC…")
        self.login_combo = QComboBox()
        self.login_combo.addItem(texts.TWILIO_LOGIN_TOKEN, "token")
        self.login_combo.addItem(texts.TWILIO_LOGIN_API_KEY, "api_key")
        self.api_key_edit = QLineEdit()
        self.api_key_edit.setPlaceholderText("SK…")
        self.token_edit = self.secret_edit()
        self.sender_edit = QLineEdit()
        self.sender_edit.setPlaceholderText("+15550100000")
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setDecimals(1)
        self.rate_spin.setRange(0.1, 1000.0)
        self.rate_spin.setValue(1.0)
        self.rate_spin.setSuffix(texts.TWILIO_RATE_SUFFIX)
        self.rate_spin.setMaximumWidth(SPIN_WIDTH)

        self.add_row(texts.TWILIO_ACCOUNT_SID, self.sid_edit)
        self.add_row(texts.TWILIO_LOGIN, self.login_combo)
        self.add_row(texts.TWILIO_API_KEY, self.api_key_edit)
        self.add_row(texts.TWILIO_AUTH_TOKEN, self.token_edit)
        self.add_row(texts.TWILIO_SENDER, self.sender_edit, texts.TWILIO_SENDER_HELP)
        self.add_row(texts.TWILIO_RATE, self.rate_spin, texts.TWILIO_RATE_HELP)
        self._update_login_rows()

        self.login_combo.currentIndexChanged.connect(self._on_login_combo_changed)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.forget_button.clicked.connect(self._on_forget_button_clicked)

    def apply_saved(self, config: Any) -> None:
        """Show a saved ``TwilioConfig`` (or nothing saved)."""
        if config is not None:
            self.sid_edit.setText(config.account_sid)
            self.login_combo.setCurrentIndex(1 if config.api_key else 0)
            self.api_key_edit.setText(config.api_key or "")
            self.sender_edit.setText(config.sender)
            self.rate_spin.setValue(float(config.rate))
        self.show_saved_secret(self.token_edit, config is not None)

    def values(self) -> dict[str, Any]:
        """Return the typed values that are not secret."""
        api_key = self.api_key_edit.text().strip() if self._uses_api_key() else ""
        return {
            "account_sid": self.sid_edit.text().strip(),
            "sender": self.sender_edit.text().strip().replace(" ", ""),
            "rate": round(self.rate_spin.value(), 1),
            "api_key": api_key or None,
        }

    def save(self) -> Task:
        """Save the settings and the secret (typed, or the one already saved)."""
        values = self.values()
        typed = self.token_edit.text()

        def save_twilio(_context: TaskContext) -> Any:
            from desktop_app import credentials

            secret = secret_or_saved(typed, "twilio", texts.TWILIO_NO_TOKEN)
            config = credentials.TwilioConfig(**values)
            credentials.save_twilio(config, secret)
            return config

        return self.run_job(save_twilio, texts.SAVING, self._saved)

    def test_connection(self) -> Task:
        """Log in to Twilio with what is typed and read the account."""
        values = self.values()
        typed = self.token_edit.text()

        def check_twilio(_context: TaskContext) -> str:
            from desktop_app.providers.twilio_sms import TwilioSms

            if not values["account_sid"]:
                raise ValidationError(
                    "Twilio Account SID: type it (AC followed by 32 letters and digits)."
                )
            secret = secret_or_saved(typed, "twilio", texts.TWILIO_NO_TOKEN_TEST)
            client = TwilioSms(
                values["account_sid"],
                secret,
                values["sender"],
                api_key=values["api_key"],
            )
            try:
                return client.check_connection()
            finally:
                client.close()

        return self.run_job(check_twilio, texts.CHECKING, str)

    def forget(self) -> Task:
        """Remove the saved Twilio settings and secret."""

        def forget_twilio(_context: TaskContext) -> None:
            from desktop_app import credentials

            credentials.clear("twilio")

        return self.run_job(forget_twilio, texts.SAVING, self._forgotten)

    def _saved(self, _config: Any) -> str:
        self.show_saved_secret(self.token_edit, True)
        self.saved.emit("twilio")
        return texts.TWILIO_SAVED

    def _forgotten(self, _result: Any) -> str:
        self.show_saved_secret(self.token_edit, False)
        self.saved.emit("twilio")
        return texts.TWILIO_FORGOTTEN

    def _uses_api_key(self) -> bool:
        return self.login_combo.currentData() == "api_key"

    def _update_login_rows(self) -> None:
        api_key = self._uses_api_key()
        self.form.setRowVisible(self.api_key_edit, api_key)
        label = self.form.labelForField(self.token_edit)
        if label is not None:
            label.setText(  # type: ignore[attr-defined]
                texts.TWILIO_API_SECRET if api_key else texts.TWILIO_AUTH_TOKEN
            )

    @Slot(int)
    def _on_login_combo_changed(self, _index: int) -> None:
        self._update_login_rows()

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    @Slot()
    def _on_check_button_clicked(self) -> None:
        self.test_connection()

    @Slot()
    def _on_forget_button_clicked(self) -> None:
        self.forget()


class SmtpForm(CredentialForm):
    """Preset, server, port, security, login and the From name and address."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            texts.SMTP_TITLE,
            texts.SMTP_INTRO,
            texts.SMTP_SAVE,
            texts.SMTP_TEST,
            texts.SMTP_FORGET,
            parent,
        )
        self.preset_combo = QComboBox()
        for key, name in texts.SMTP_PRESETS.items():
            self.preset_combo.addItem(name, key)
        self.preset_help = common.help_label("")
        self.host_edit = QLineEdit()
        self.host_edit.setPlaceholderText("smtp.example.com")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(587)
        self.port_spin.setMaximumWidth(SPIN_WIDTH)
        self.security_combo = QComboBox()
        for key, name in texts.SMTP_SECURITY_NAMES.items():
            self.security_combo.addItem(name, key)
        self.user_edit = QLineEdit()
        self.user_edit.setPlaceholderText("shop@example.com")
        self.password_edit = self.secret_edit()
        self.from_name_edit = QLineEdit()
        self.from_name_edit.setPlaceholderText("Corner Shop")
        self.from_address_edit = QLineEdit()
        self.from_address_edit.setPlaceholderText("shop@example.com")

        preset_box = QWidget()
        preset_column = QVBoxLayout(preset_box)
        preset_column.setContentsMargins(0, 0, 0, 0)
        preset_column.setSpacing(2)
        preset_column.addWidget(self.preset_combo)
        preset_column.addWidget(self.preset_help)
        self.add_row(texts.SMTP_PRESET, preset_box)
        self.add_row(texts.SMTP_HOST, self.host_edit)
        self.add_row(texts.SMTP_PORT, self.port_spin)
        self.add_row(texts.SMTP_SECURITY, self.security_combo)
        self.add_row(texts.SMTP_USER, self.user_edit)
        self.add_row(texts.SMTP_PASSWORD, self.password_edit)
        self.add_row(texts.SMTP_FROM_NAME, self.from_name_edit)
        self.add_row(texts.SMTP_FROM_ADDRESS, self.from_address_edit)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData("generic"))
        self._show_preset_help()

        self.preset_combo.currentIndexChanged.connect(self._on_preset_combo_changed)
        self.security_combo.currentIndexChanged.connect(self._on_security_combo_changed)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.forget_button.clicked.connect(self._on_forget_button_clicked)

    def choose_preset(self, key: str) -> None:
        """Pick a preset (``gmail``, ``outlook`` or ``generic``) and fill its server."""
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(key))

    def apply_saved(self, config: Any) -> None:
        """Show a saved ``SmtpConfig`` (or nothing saved)."""
        if config is not None:
            preset = next(
                (k for k, v in SMTP_PRESETS.items() if v[0] == config.host), "generic"
            )
            self.preset_combo.blockSignals(True)
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset))
            self.preset_combo.blockSignals(False)
            self._show_preset_help()
            self.host_edit.setText(config.host)
            self.security_combo.blockSignals(True)
            self.security_combo.setCurrentIndex(
                self.security_combo.findData(config.security)
            )
            self.security_combo.blockSignals(False)
            self.port_spin.setValue(int(config.port))
            self.user_edit.setText(config.user)
            self.from_name_edit.setText(config.from_name)
            self.from_address_edit.setText(config.from_address)
        self.show_saved_secret(self.password_edit, config is not None)

    def values(self) -> dict[str, Any]:
        """Return the typed values that are not secret."""
        return {
            "host": self.host_edit.text().strip(),
            "port": self.port_spin.value(),
            "security": str(self.security_combo.currentData()),
            "user": self.user_edit.text().strip(),
            "from_address": self.from_address_edit.text().strip(),
            "from_name": self.from_name_edit.text().strip(),
        }

    def save(self) -> Task:
        """Save the settings and the password (typed, or the one already saved)."""
        values = self.values()
        typed = self.password_edit.text()

        def save_smtp(_context: TaskContext) -> Any:
            from desktop_app import credentials

            password = secret_or_saved(typed, "smtp", texts.SMTP_NO_PASSWORD)
            config = credentials.SmtpConfig(**values)
            credentials.save_smtp(config, password)
            return config

        return self.run_job(save_smtp, texts.SAVING, self._saved)

    def test_connection(self) -> Task:
        """Connect, secure the connection and log in with what is typed."""
        values = self.values()
        typed = self.password_edit.text()

        def check_smtp(_context: TaskContext) -> str:
            from desktop_app.providers.smtp_email import SmtpEmail

            if not values["host"]:
                raise ValidationError(
                    "Email server: type its name, such as smtp.example.com."
                )
            password = (
                secret_or_saved(typed, "smtp", texts.SMTP_NO_PASSWORD_TEST)
                if values["user"]
                else typed
            )
            client = SmtpEmail(**{**values, "password": password})
            try:
                return client.check_connection()
            finally:
                client.close()

        return self.run_job(check_smtp, texts.CHECKING, str)

    def forget(self) -> Task:
        """Remove the saved email settings and password."""

        def forget_smtp(_context: TaskContext) -> None:
            from desktop_app import credentials

            credentials.clear("smtp")

        return self.run_job(forget_smtp, texts.SAVING, self._forgotten)

    def _saved(self, config: Any) -> str:
        self.show_saved_secret(self.password_edit, True)
        self.saved.emit("smtp")
        return texts.SMTP_SAVED.format(host=config.host)

    def _forgotten(self, _result: Any) -> str:
        self.show_saved_secret(self.password_edit, False)
        self.saved.emit("smtp")
        return texts.SMTP_FORGOTTEN

    def _show_preset_help(self) -> None:
        key = str(self.preset_combo.currentData())
        self.preset_help.setText(texts.SMTP_PRESET_HELP[key])

    @Slot(int)
    def _on_preset_combo_changed(self, _index: int) -> None:
        key = str(self.preset_combo.currentData())
        self._show_preset_help()
        if key in SMTP_PRESETS:
            host, port, security = SMTP_PRESETS[key]
            self.host_edit.setText(host)
            self.security_combo.setCurrentIndex(self.security_combo.findData(security))
            self.port_spin.setValue(port)

    @Slot(int)
    def _on_security_combo_changed(self, _index: int) -> None:
        # Follow the usual port of the new mode unless the owner typed another one.
        if self.port_spin.value() in SMTP_DEFAULT_PORTS.values():
            self.port_spin.setValue(
                SMTP_DEFAULT_PORTS[str(self.security_combo.currentData())]
            )

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    @Slot()
    def _on_check_button_clicked(self) -> None:
        self.test_connection()

    @Slot()
    def _on_forget_button_clicked(self) -> None:
        self.forget()


class ProviderSettings(QWidget):
    """The Sending page: the keyring panel, the Twilio form and the email form.

    Signals:
        credentials_saved(str): ``twilio`` or ``smtp`` was saved or forgotten.
    """

    credentials_saved = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keyring_panel = KeyringPanel()
        self.twilio_form = TwilioForm()
        self.smtp_form = SmtpForm()
        scroll, column = common.scrolling_page(
            self.keyring_panel, self.twilio_form, self.smtp_form
        )
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.twilio_form.saved.connect(self.credentials_saved)
        self.smtp_form.saved.connect(self.credentials_saved)

    def apply_saved(self, saved: SavedCredentials) -> None:
        """Show the keyring's state and the saved settings."""
        self.keyring_panel.show_status(saved.status, saved.problems)
        for form in (self.twilio_form, self.smtp_form):
            form.set_saving_allowed(saved.status.ok, texts.KEYRING_SAVE_DISABLED)
        self.twilio_form.apply_saved(saved.twilio)
        self.smtp_form.apply_saved(saved.smtp)
