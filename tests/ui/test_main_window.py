"""The main window: pages and shortcuts, sending from Compose into History, closing."""

from pathlib import Path

import sqlite_utils

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from desktop_app import app, paths
from desktop_app.services import importing
from desktop_app.storage import templates
from desktop_app.ui import messages
from desktop_app.ui.main_window import VIEW_NAMES, MainWindow
from tests.helpers.memory_keyring import memory_keyring_fixture  # noqa: F401
from tests.ui.conftest import wait_until_ready, write_many_contacts


def make_window(qtbot, db, data_dir: Path) -> MainWindow:
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_until_ready(qtbot, window)
    return window


def message_states(db) -> dict[str, int]:
    rows = db.execute("SELECT state, count(*) FROM messages GROUP BY state").fetchall()
    return dict(rows)


def test_window_opens_in_test_mode_with_every_page(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)

    assert window.banner.text() == messages.TEST_MODE_BANNER
    labels = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert labels == [
        "Contacts",
        "Templates",
        "Compose",
        "History",
        "Replies",
        "Automation",
        "Reports",
        "Settings",
    ]
    assert window.current_view_name() == "contacts"
    assert window.windowTitle() == "Duet — Test Shop"
    assert 900 <= window.width() <= 1280 and 560 <= window.height() <= 800


def test_ctrl_number_switches_pages(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    for number, name in enumerate(VIEW_NAMES, start=1):
        if name == "reports":
            continue
        qtbot.keyClick(
            QApplication.focusWidget(),
            getattr(Qt.Key, f"Key_{number}"),
            Qt.KeyboardModifier.ControlModifier,
        )
        assert window.current_view_name() == name


def test_review_shows_plan_before_anything_is_queued(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("compose")
    compose = window.compose_view
    compose.select("Order ready", tag=None)
    assert not compose.send_button.isEnabled()

    with qtbot.waitSignal(compose.plan_reviewed) as blocker:
        qtbot.mouseClick(compose.review_button, Qt.MouseButton.LeftButton)

    plan = blocker.args[0]
    assert plan["to_send"] == {"sms": 4, "email": 4}
    assert "4 SMS and 4 emails will be sent now." in compose.plan_label.text()
    skipped = compose.group_titles()
    assert "Not sent (1): no email address" in skipped
    assert "Not sent (1): no phone number" in skipped
    assert compose.send_button.isEnabled()
    assert message_states(shop_db) == {}


def test_send_from_window_fills_history(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("compose")
    compose = window.compose_view
    compose.select("Order ready", tag="vip")
    assert compose.review()
    assert window.history_view.model.rowCount() == 0

    with qtbot.waitSignal(compose.send_finished, timeout=20000) as blocker:
        qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
        assert compose.progress.isVisible()

    summary = blocker.args[0]
    assert summary["sent"] == 5
    assert summary["skipped"] == 1
    assert message_states(shop_db) == {"sent": 5, "skipped": 1}
    history = window.history_view
    assert history.model.rowCount() == 6
    shown = {
        (history.model.index(r, 1).data(), history.model.index(r, 4).data())
        for r in range(6)
    }
    assert shown == {("SMS", "Sent"), ("Email", "Sent"), ("SMS", "Skipped")}
    assert not compose.progress.isVisible()
    assert not compose.send_button.isEnabled()
    sms_files = list((paths.outbox_dir(data_dir) / "sms").iterdir())
    assert len(sms_files) == 2

    history.state_combo.setCurrentIndex(history.state_combo.findData("skipped"))
    assert history.model.rowCount() == 1
    assert history.model.index(0, 5).data() == "no phone number"


def test_send_preview_shows_the_chosen_customer(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)
    compose = window.compose_view
    compose.select("Order ready", tag="newsletter")

    compose.contact_combo.setCurrentIndex(compose.contact_combo.findText("Cara Diaz"))

    assert (
        compose.sms_bubble.text()
        == "Hi Cara, your order is ready. Details in your inbox."
    )
    assert "GSM-7" in compose.sms_info.text()
    assert compose.email_to.text() == "cara@example.com"
    assert compose.email_subject.text() == "Your order is ready"
    assert "Hi Cara," in compose.email_view.toPlainText()
    assert "1 Example Street" in compose.email_view.toPlainText()


def test_new_template_appears_in_compose(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)
    view = window.templates_view
    view.clear()
    qtbot.keyClicks(view.name_edit, "Thanks")
    qtbot.keyClicks(view.sms_edit, "Thanks {first_name}!")
    qtbot.keyClicks(view.subject_edit, "Thank you")
    qtbot.keyClicks(view.body_edit, "We appreciate you.")

    assert view.save()

    combo = window.compose_view.template_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Order ready",
        "Thanks",
    ]


def test_closing_while_sending_stops_cleanly(qtbot, file_db, data_dir, tmp_path, boxes):
    importing.import_file(file_db, write_many_contacts(tmp_path / "many.csv", 800))
    templates.save_template(
        file_db,
        name="Hello",
        sms_body="Hi {first_name}",
        email_subject="Hi",
        email_body="Hello",
    )
    window = make_window(qtbot, file_db, data_dir)
    compose = window.compose_view
    compose.select("Hello", tag=None)
    assert compose.review()
    task = compose.send()
    assert task is not None and compose.is_sending()

    boxes.answer = False
    window.close()
    assert window.isVisible()
    assert boxes.kinds() == ["ask"]

    boxes.answer = True
    window.close()

    assert not window.isVisible()
    assert not task.is_running()
    assert task.is_cancelled()
    states = message_states(file_db)
    assert sum(states.values()) == 1600
    assert set(states) <= {"sent", "queued"}
    assert states.get("queued", 0) > 0


def test_banner_follows_the_sending_mode(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)

    with qtbot.waitSignal(window.mode_changed) as blocker:
        window.set_mode("Twilio + SMTP")
    assert blocker.args == ["Twilio + SMTP"]
    assert window.banner.text() == messages.LIVE_MODE_BANNER
    assert window.compose_view._provider_names == ("twilio", "smtp")

    window.set_mode("Twilio + test outbox")
    assert "Partly test mode (Twilio + test outbox)" in window.banner.text()
    assert window.compose_view._provider_names == ("twilio", "outbox")

    window.set_mode("test outbox")
    assert window.banner.text() == messages.TEST_MODE_BANNER
    assert window.compose_view._provider_names == ("outbox", "outbox")


def test_title_names_the_shop(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)
    assert window.windowTitle() == "Duet — Test Shop"

    window.settings_view.edits["shop.name"].setText("Corner Shop")
    assert window.settings_view.save()

    assert window.windowTitle() == "Duet — Corner Shop"


def test_backup_then_restore_from_the_window_round_trips(
    qtbot, shop_db, data_dir, tmp_path, boxes
):
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("settings")
    data_page = window.settings_view.data
    backup = tmp_path / "before.sqlite3"
    data_page.backup(backup)
    qtbot.waitUntil(lambda: not data_page.is_busy(), timeout=15000)
    assert backup.is_file()

    extra = tmp_path / "extra.csv"
    extra.write_text(
        "First Name,Email,Phone\nZed,zed@example.com,(212) 555-0199\n",
        encoding="utf-8",
    )
    importing.import_file(window.database, extra, region="US")
    assert window.database["contacts"].count == 6
    old_contacts_view = window.contacts_view

    boxes.answer = True
    assert data_page.request_restore(backup)

    db = window.database
    assert db is not shop_db
    assert db["contacts"].count == 5
    assert window.contacts_view is not old_contacts_view
    assert window.contacts_view.model.rowCount() == 5
    assert window.current_view_name() == "settings"
    assert window.settings_view.current_page() == "data"
    kinds = boxes.kinds()
    assert kinds == ["ask", "inform"]
    text = boxes.calls[-1][1][2]
    assert "Your previous data was kept in" in text
    kept = Path(text.rsplit(" in ", 1)[1])
    assert kept.is_file() and kept.parent == data_dir / "backups"
    kept_db = sqlite_utils.Database(kept)
    assert kept_db["contacts"].count == 6
    kept_db.close()
    assert window.settings_view.data.safety_result.text() == text
    window.close()
    db.close()


def test_restore_of_a_file_that_is_no_backup_changes_nothing(
    qtbot, shop_db, data_dir, tmp_path, boxes
):
    window = make_window(qtbot, shop_db, data_dir)
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_text("not a database", encoding="utf-8")
    old_view = window.contacts_view

    window.settings_view.data.request_restore(bogus)

    assert boxes.kinds() == ["ask", "warn"]
    assert "is not a Duet database" in boxes.calls[-1][1][2]
    assert window.database is shop_db
    assert window.contacts_view is old_view
    assert shop_db["contacts"].count == 5


def test_dark_style_is_applied_when_forced(qtbot, qapp, monkeypatch):
    before = qapp.styleSheet()
    monkeypatch.setenv(app.COLOR_SCHEME_ENV, "dark")
    try:
        app.follow_color_scheme(qapp)
        assert app.wants_dark(qapp)
        assert qapp.property("duetDark") is True
        assert qapp.styleSheet() == (app.resources_dir() / app.DARK_STYLE).read_text(
            encoding="utf-8"
        )
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80

        monkeypatch.setenv(app.COLOR_SCHEME_ENV, "light")
        app.apply_style(qapp, app.wants_dark(qapp))
        assert qapp.property("duetDark") is False
        assert "#fff3cd" in qapp.styleSheet()
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 150
    finally:
        qapp.setStyleSheet(before)


def test_start_view_may_name_a_settings_page(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)

    app._show_start_view(window, "settings.providers")

    assert window.current_view_name() == "settings"
    assert window.settings_view.current_page() == "providers"


def test_saving_credentials_updates_the_banner(
    qtbot, shop_db, data_dir, memory_keyring, monkeypatch
):
    monkeypatch.delenv("DUET_TWILIO_API_URL", raising=False)
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("settings")
    settings_view = window.settings_view
    settings_view.show_page("providers")
    qtbot.waitUntil(lambda: settings_view.saved_credentials is not None)
    form = settings_view.providers.twilio_form
    form.sid_edit.setText("AC" + "0" * 31 + "1")
    form.token_edit.setText("token-for-the-banner-test")
    form.sender_edit.setText("+15550100000")

    with qtbot.waitSignal(window.mode_changed, timeout=15000) as blocker:
        form.save()

    assert blocker.args == ["Twilio + test outbox"]
    assert "Partly test mode (Twilio + test outbox)" in window.banner.text()


def test_pages_are_built_when_first_selected(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)

    assert list(window.views) == ["contacts"]
    assert window.stack.currentWidget() is window.views["contacts"]

    with qtbot.waitSignal(window.view_built) as blocker:
        window.show_view("automation")
    assert blocker.args == ["automation"]
    assert window.stack.currentWidget() is window.views["automation"]
    assert sorted(window.views) == ["automation", "contacts"]

    with qtbot.assertNotEmitted(window.view_built):
        window.show_view("contacts")
        window.show_view("automation")
    assert sorted(window.views) == ["automation", "contacts"]


def test_a_window_without_a_database_opens_it_after_the_first_paint(qtbot, data_dir):
    window = MainWindow(None, data_dir)
    qtbot.addWidget(window)
    window.show_view("history")
    assert not window.is_database_open()
    assert window.stack.currentWidget() is window.loading

    with qtbot.waitSignal(window.ready, timeout=10000):
        window.show()

    assert window.is_database_open()
    assert paths.database_path(data_dir).is_file()
    assert list(window.views) == ["history"]
    assert window.current_view_name() == "history"
    assert window.stack.currentWidget() is window.views["history"]
    window.close()
    window.database.close()


def test_send_refreshes_only_built_pages(qtbot, shop_db, data_dir):
    window = make_window(qtbot, shop_db, data_dir)
    compose = window.compose_view
    compose.select("Order ready", tag="vip")
    assert compose.review()

    with qtbot.waitSignal(compose.send_finished, timeout=20000):
        compose.send()

    assert "history" not in window.views and "reports" not in window.views
    window.show_view("history")
    assert window.history_view.model.rowCount() == 6
