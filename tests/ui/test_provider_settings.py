"""Settings → Sending and Mailbox: keyring-only secrets, plain answers, no freezing."""

import logging
from email.message import EmailMessage

import keyring
import pytest

from desktop_app import credentials
from desktop_app.providers.twilio_sms import API_URL_ENV
from desktop_app.ui.settings import texts
from desktop_app.ui.settings.settings_view import SettingsView
from tests.helpers import smtp_server
from tests.helpers.imap_server import ImapServer
from tests.helpers.memory_keyring import (  # noqa: F401
    MemoryKeyring,
    fail_keyring_fixture,
    memory_keyring_fixture,
)
from tests.helpers.smtp_server import smtp_plain_fixture  # noqa: F401
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
)

WAIT = 15000


@pytest.fixture(autouse=True)
def no_twilio_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's DUET_TWILIO_API_URL out of the tests."""
    monkeypatch.delenv(API_URL_ENV, raising=False)


def make_view(qtbot, db, data_dir, page: str = "providers") -> SettingsView:
    view = SettingsView(db, data_dir)
    qtbot.addWidget(view)
    view.show_page(page)
    with qtbot.waitSignal(view.credentials_loaded, timeout=WAIT):
        view.show()
    return view


def answer(qtbot, form, action) -> tuple[str, bool]:
    with qtbot.waitSignal(form.answered, timeout=WAIT) as blocker:
        action()
    return blocker.args[0], blocker.args[1]


def all_text_in_database(db) -> str:
    parts = []
    for table in db.table_names():
        for row in db[table].rows:
            parts.extend(str(value) for value in row.values())
    return "\n".join(parts)


def fill_twilio(form, token: str) -> None:
    form.sid_edit.setText(ACCOUNT_SID)
    form.token_edit.setText(token)
    form.sender_edit.setText(SENDER)


def test_saving_twilio_keeps_the_token_in_the_keyring_only(
    qtbot, file_db, data_dir, memory_keyring: MemoryKeyring, caplog
):
    caplog.set_level(logging.DEBUG)
    view = make_view(qtbot, file_db, data_dir)
    form = view.providers.twilio_form
    assert form.save_button.isEnabled()
    assert not view.providers.keyring_panel.isVisible()
    fill_twilio(form, AUTH_TOKEN)
    form.rate_spin.setValue(3)

    with qtbot.waitSignal(view.credentials_saved, timeout=WAIT) as saved:
        form.save()

    assert saved.args == ["twilio"]
    assert credentials.load_twilio() == (
        credentials.TwilioConfig(ACCOUNT_SID, SENDER, 3.0),
        AUTH_TOKEN,
    )
    assert form.token_edit.text() == ""
    assert form.token_edit.placeholderText() == texts.SAVED_PLACEHOLDER
    assert form.result_label.text() == texts.TWILIO_SAVED
    assert AUTH_TOKEN not in all_text_in_database(file_db)
    assert AUTH_TOKEN not in caplog.text
    assert view.data.sign_number_edit.text() == SENDER


def test_saved_twilio_settings_show_without_the_secret(
    qtbot, file_db, data_dir, memory_keyring: MemoryKeyring
):
    credentials.save_twilio(credentials.TwilioConfig(ACCOUNT_SID, SENDER), AUTH_TOKEN)

    view = make_view(qtbot, file_db, data_dir)

    form = view.providers.twilio_form
    assert form.sid_edit.text() == ACCOUNT_SID
    assert form.sender_edit.text() == SENDER
    assert form.token_edit.text() == ""
    assert form.token_edit.placeholderText() == texts.SAVED_PLACEHOLDER
    assert form.forget_button.isVisible()
    assert view.data.sign_number_edit.text() == SENDER


def test_twilio_test_connection_against_the_emulator(
    qtbot,
    file_db,
    data_dir,
    memory_keyring: MemoryKeyring,
    twilio_emulator: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv(API_URL_ENV, twilio_emulator.base_url)
    view = make_view(qtbot, file_db, data_dir)
    form = view.providers.twilio_form
    fill_twilio(form, AUTH_TOKEN)

    text, ok = answer(qtbot, form, form.test_connection)

    assert ok, text
    assert text.startswith("Connected to Twilio")
    assert form.result_label.objectName() == "okLabel"
    assert memory_keyring.store == {}

    form.token_edit.setText("wrong-token-0000")
    text, ok = answer(qtbot, form, form.test_connection)

    assert not ok
    assert "Twilio refused the Account SID and Auth Token" in text
    assert form.result_label.text() == text
    assert form.result_label.objectName() == "errorLabel"


def test_twilio_test_uses_the_saved_token_when_the_field_is_empty(
    qtbot,
    file_db,
    data_dir,
    memory_keyring: MemoryKeyring,
    twilio_emulator: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv(API_URL_ENV, twilio_emulator.base_url)
    credentials.save_twilio(credentials.TwilioConfig(ACCOUNT_SID, SENDER), AUTH_TOKEN)
    view = make_view(qtbot, file_db, data_dir)
    form = view.providers.twilio_form

    text, ok = answer(qtbot, form, form.test_connection)

    assert ok, text


def test_no_keyring_explains_and_disables_saving(
    qtbot, file_db, data_dir, fail_keyring: keyring.backend.KeyringBackend
):
    view = make_view(qtbot, file_db, data_dir)

    panel = view.providers.keyring_panel
    assert panel.isVisible()
    assert "No secure password store was found" in panel.text_label.text()
    assert "GNOME Keyring or KWallet" in panel.text_label.text()
    assert "plain file" in panel.text_label.text()
    for form in (view.providers.twilio_form, view.providers.smtp_form):
        assert not form.save_button.isEnabled()
        assert form.save_button.toolTip() == texts.KEYRING_SAVE_DISABLED
        assert form.check_button.isEnabled()
    assert not view.mailbox.form.save_button.isEnabled()


def test_smtp_presets_fill_the_server(qtbot, file_db, data_dir, memory_keyring):
    view = make_view(qtbot, file_db, data_dir)
    form = view.providers.smtp_form

    form.choose_preset("gmail")
    assert (form.host_edit.text(), form.port_spin.value()) == ("smtp.gmail.com", 587)
    assert form.security_combo.currentData() == "starttls"
    assert "app password" in form.preset_help.text()

    form.choose_preset("outlook")
    assert form.host_edit.text() == "smtp.office365.com"

    form.security_combo.setCurrentIndex(form.security_combo.findData("ssl"))
    assert form.port_spin.value() == 465


def test_smtp_save_and_test_connection(
    qtbot, file_db, data_dir, memory_keyring: MemoryKeyring, smtp_plain, caplog
):
    caplog.set_level(logging.DEBUG)
    view = make_view(qtbot, file_db, data_dir)
    form = view.providers.smtp_form
    form.host_edit.setText(smtp_plain.host)
    form.security_combo.setCurrentIndex(form.security_combo.findData("none"))
    form.port_spin.setValue(smtp_plain.port)
    form.user_edit.setText(smtp_server.USER)
    form.password_edit.setText("not-the-password")
    form.from_address_edit.setText("shop@example.com")

    text, ok = answer(qtbot, form, form.test_connection)
    assert not ok
    assert "refused the user name or password" in text

    form.password_edit.setText(smtp_server.PASSWORD)
    text, ok = answer(qtbot, form, form.test_connection)
    assert ok, text
    assert f"logged in as {smtp_server.USER}" in text

    with qtbot.waitSignal(view.credentials_saved, timeout=WAIT):
        form.save()
    config, password = credentials.load_smtp()
    assert password == smtp_server.PASSWORD
    assert config.port == smtp_plain.port and config.security == "none"
    assert smtp_server.PASSWORD not in all_text_in_database(file_db)
    assert smtp_server.PASSWORD not in caplog.text


def test_smtp_wrong_security_for_the_port_is_named(
    qtbot, file_db, data_dir, memory_keyring, smtp_plain
):
    view = make_view(qtbot, file_db, data_dir)
    form = view.providers.smtp_form
    form.host_edit.setText(smtp_plain.host)
    form.security_combo.setCurrentIndex(form.security_combo.findData("ssl"))
    form.port_spin.setValue(smtp_plain.port)
    form.user_edit.setText(smtp_server.USER)
    form.password_edit.setText(smtp_server.PASSWORD)

    text, ok = answer(qtbot, form, form.test_connection)

    assert not ok
    assert "STARTTLS" in text or "SSL" in text


def unsubscribe_mail() -> bytes:
    mail = EmailMessage()
    mail["From"] = "ann@example.com"
    mail["To"] = "shop@example.com"
    mail["Subject"] = "unsubscribe"
    mail["Message-ID"] = "<unsub-1@example.com>"
    mail.set_content("Please take me off the list.")
    return bytes(mail)


def test_mailbox_check_reads_the_inbox_and_records_the_opt_out(
    qtbot, shop_db, data_dir, memory_keyring: MemoryKeyring
):
    view = make_view(qtbot, shop_db, data_dir, page="mailbox")
    form = view.mailbox.form
    with ImapServer(
        user="shop@example.com", password="imap-pw", messages=[unsubscribe_mail()]
    ) as server:
        form.host_edit.setText("127.0.0.1")
        form.security_combo.setCurrentIndex(form.security_combo.findData("none"))
        form.port_spin.setValue(server.port)
        form.user_edit.setText("shop@example.com")
        form.password_edit.setText("imap-pw")

        with qtbot.waitSignal(view.mailbox_checked, timeout=WAIT) as checked:
            form.check_mailbox()

    report = checked.args[0]
    assert report.checked == 1
    assert len(report.unsubscribed) == 1
    assert "1 unsubscribed" in form.result_label.text()
    ann = shop_db.execute(
        "SELECT id FROM contacts WHERE email = 'ann@example.com'"
    ).fetchone()[0]
    status = shop_db.execute(
        "SELECT status FROM consent WHERE contact_id = ? AND channel = 'email' "
        "ORDER BY id DESC LIMIT 1",
        [ann],
    ).fetchone()[0]
    assert status == "opted_out"


def test_mailbox_settings_are_saved_in_the_keyring(
    qtbot, file_db, data_dir, memory_keyring: MemoryKeyring
):
    view = make_view(qtbot, file_db, data_dir, page="mailbox")
    form = view.mailbox.form
    form.host_edit.setText("imap.example.com")
    form.user_edit.setText("shop@example.com")

    text, ok = answer(qtbot, form, form.save)
    assert not ok
    assert text == texts.MAILBOX_NO_PASSWORD

    form.password_edit.setText("imap-secret-pw")
    text, ok = answer(qtbot, form, form.save)
    assert ok, text
    assert credentials.load_imap() == (
        credentials.ImapConfig("imap.example.com", 993, "ssl", "shop@example.com"),
        "imap-secret-pw",
    )
    assert "imap-secret-pw" not in all_text_in_database(file_db)
