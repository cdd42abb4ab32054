"""The Replies page in the window: its place, its count badge, and deciding a reply."""

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app import credentials
from desktop_app.storage import consent, messages
from desktop_app.ui.activity.activity_view import ActivityView
from desktop_app.ui.background_jobs import BackgroundJobs
from desktop_app.ui.main_window import VIEW_NAMES, MainWindow
from tests.helpers.memory_keyring import memory_keyring_fixture  # noqa: F401
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    twilio_emulator_fixture,
)
from tests.ui.conftest import wait_until_ready

WAIT = 20000


def make_window(qtbot, db, data_dir) -> MainWindow:
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_until_ready(qtbot, window)
    return window


def contact_ids(db) -> dict[str, int]:
    return dict(db.execute("SELECT first_name, id FROM contacts").fetchall())


def flag(db, contact_id: int, body: str, sender: str) -> None:
    """Store a reply the way sync does when it may mean stop."""
    messages.add_event(
        db,
        "review",
        contact_id=contact_id,
        body=body,
        data={
            "from": sender,
            "explanation": "may mean stop; read it and decide",
            "channel": "email" if "@" in sender else "sms",
        },
    )


def badge(window: MainWindow) -> str:
    return window.sidebar.item(VIEW_NAMES.index("replies")).text()


def row_of(view: ActivityView, name: str) -> int:
    return [event.contact for event in view.events].index(name)


def test_replies_sit_between_history_and_automation_with_a_shortcut(
    qtbot, shop_db, data_dir
):
    window = make_window(qtbot, shop_db, data_dir)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    number = VIEW_NAMES.index("replies") + 1

    qtbot.keyClick(
        QApplication.focusWidget(),
        getattr(Qt.Key, f"Key_{number}"),
        Qt.KeyboardModifier.ControlModifier,
    )

    assert VIEW_NAMES[number - 2 : number + 1] == ("history", "replies", "automation")
    assert window.current_view_name() == "replies"
    assert isinstance(window.replies_view, ActivityView)
    assert badge(window) == "Replies"


def test_badge_counts_the_replies_waiting_for_a_decision(qtbot, shop_db, data_dir):
    ids = contact_ids(shop_db)
    flag(shop_db, ids["Ann"], "don't stop the sale!", "+12125550101")
    flag(shop_db, ids["Bob"], "please no more of these", "bob@example.com")

    window = make_window(qtbot, shop_db, data_dir)

    assert badge(window) == "Replies (2)"
    assert window.replies_waiting == 2
    assert not window.is_built("replies")  # counted without building the page
    tip = window.sidebar.item(VIEW_NAMES.index("replies")).toolTip()
    assert tip.startswith("2 replies wait for your decision.")


def test_deciding_updates_the_ledger_and_the_badge(qtbot, shop_db, data_dir):
    ids = contact_ids(shop_db)
    flag(shop_db, ids["Ann"], "don't stop the sale!", "+12125550101")
    flag(shop_db, ids["Bob"], "please stop texting me", "+12125550102")
    ann_before = consent.current_consent(shop_db, ids["Ann"], "sms")
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("replies")
    view = window.replies_view
    assert view.hint.text().startswith("2 replies may mean")

    view.table.selectRow(row_of(view, "Bob Stone"))
    assert "please stop texting me" in view.detail.text()
    qtbot.mouseClick(view.opt_out_button, Qt.MouseButton.LeftButton)

    assert consent.current_consent(shop_db, ids["Bob"], "sms") == "opted_out"
    assert badge(window) == "Replies (1)"
    assert view.hint.text().startswith("1 reply may mean")
    # The next reply that waits is chosen, ready for a decision.
    assert view.selected_event().contact == "Ann Lee"
    assert view.opt_out_button.isEnabled()

    qtbot.mouseClick(view.not_opt_out_button, Qt.MouseButton.LeftButton)

    assert consent.current_consent(shop_db, ids["Ann"], "sms") == ann_before
    assert badge(window) == "Replies"
    assert window.replies_waiting == 0
    assert not view.opt_out_button.isEnabled()
    assert view.hint.text() != ""
    assert not view.hint.text().startswith("0 ")


def test_an_email_reply_is_listed_and_counted_like_a_text(qtbot, shop_db, data_dir):
    ids = contact_ids(shop_db)
    flag(shop_db, ids["Cara"], "Stop the emails about sales", "cara@example.com")
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("replies")
    view = window.replies_view
    row = row_of(view, "Cara Diaz")

    assert badge(window) == "Replies (1)"
    assert view.table.item(row, 2).text() == (
        "May mean stop — needs your decision (by email)"
    )
    assert view.table.item(row, 5).text() == "Needs your decision"
    assert view.table.item(row, 5).font().bold()


@pytest.fixture
def twilio_set_up(memory_keyring, twilio_emulator, monkeypatch):
    """Twilio saved in the keyring and pointed at the local emulator."""
    monkeypatch.setenv("DUET_TWILIO_API_URL", twilio_emulator.base_url)
    credentials.save_twilio(
        credentials.TwilioConfig(account_sid=ACCOUNT_SID, sender=SENDER, rate=50),
        AUTH_TOKEN,
    )
    return twilio_emulator


def test_a_background_pass_refreshes_the_badge_and_the_page(
    qtbot, shop_db, data_dir, twilio_set_up
):
    twilio_set_up.add_inbound("+12125550102", SENDER, "don't stop the sale!")
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("replies")
    assert badge(window) == "Replies"
    assert window.replies_view.events == []
    jobs = BackgroundJobs(data_dir, busy=window.is_busy, parent=window)
    jobs.ran.connect(window._on_background_jobs_ran)

    with qtbot.waitSignal(jobs.ran, timeout=WAIT):
        assert jobs.run_now() is not None

    assert badge(window) == "Replies (1)"
    kinds = [event.kind for event in window.replies_view.events]
    assert "review" in kinds
    bob = contact_ids(shop_db)["Bob"]
    assert consent.current_consent(shop_db, bob, "sms") != "opted_out"


def test_each_text_a_customer_sent_is_one_row_saying_what_duet_did(
    qtbot, shop_db, data_dir
):
    from desktop_app.services import sync
    from tests.services.test_replies_view import NOW, FakeInbox

    inbox = FakeInbox()
    inbox.add("+12125550101", "STOP", 1)
    inbox.add("+13055550177", "JOIN", 2)
    inbox.add("+12125550102", "is the sale going to stop soon?", 3)
    sync.sync_once(shop_db, inbox, now=NOW)
    assert shop_db.execute("SELECT count(*) FROM events").fetchone()[0] > 3
    window = make_window(qtbot, shop_db, data_dir)
    window.show_view("replies")
    view = window.replies_view

    table = view.table
    cells = [
        (table.item(row, 1).text(), table.item(row, 2).text())
        for row in range(table.rowCount())
    ]

    assert cells == [
        ("Bob Stone", "May mean stop — needs your decision"),
        ("+13055550177 (contact, no name yet)", "Signed up (JOIN)"),
        ("Ann Lee", "Opted out (STOP)"),
    ]
    assert all(table.item(row, 4).text() for row in range(table.rowCount()))
    assert badge(window) == "Replies (1)"

    view.table.selectRow(0)
    qtbot.mouseClick(view.not_opt_out_button, Qt.MouseButton.LeftButton)

    assert table.rowCount() == 3
    assert table.item(0, 2).text() == "Decided: not an opt-out"
    assert badge(window) == "Replies"
    view.filter_combo.setCurrentIndex(view.filter_combo.findData("opt_in"))
    assert [event.label for event in view.events] == ["Signed up (JOIN)"]
