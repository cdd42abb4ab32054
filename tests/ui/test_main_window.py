"""The main window: pages and shortcuts, sending from Compose into History, closing."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app import paths
from desktop_app.services import importing
from desktop_app.storage import templates
from desktop_app.ui import messages
from desktop_app.ui.main_window import VIEW_NAMES, MainWindow
from tests.ui.conftest import write_many_contacts


def make_window(qtbot, db, data_dir: Path) -> MainWindow:
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
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
        "Reports",
        "Settings",
    ]
    assert window.current_view_name() == "contacts"
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
    assert "4 SMS and 4 emails will be sent." in compose.plan_label.text()
    skipped = [
        compose.skipped_list.item(i).text() for i in range(compose.skipped_list.count())
    ]
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
