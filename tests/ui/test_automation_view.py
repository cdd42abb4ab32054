"""The Automation page: trigger rules, schedules, activity and the event token."""

from datetime import UTC, datetime, timedelta

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app import credentials
from desktop_app.core.events import Event
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import schedules, triggers
from desktop_app.storage import automation
from desktop_app.ui.automation import texts
from desktop_app.ui.automation.automation_view import AutomationView, rule_for
from desktop_app.ui.main_window import VIEW_NAMES, MainWindow
from tests.helpers.memory_keyring import memory_keyring_fixture  # noqa: F401
from tests.ui.conftest import wait_until_ready

WAIT = 10000
BUILTIN = ["appointment_reminder", "purchase", "ticket_opened", "ticket_resolved"]


@pytest.fixture
def view(qtbot, shop_db, data_dir) -> AutomationView:
    widget = AutomationView(shop_db, data_dir)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def cell(table, row: int, column: int) -> str:
    return table.item(row, column).text()


def test_lists_the_built_in_rules_with_their_templates(view, shop_db):
    assert view.rule_kinds() == BUILTIN
    table = view.rules_table
    shown = {cell(table, r, 0): cell(table, r, 1) for r in range(table.rowCount())}
    assert shown["Purchase"] == "Purchase receipt"
    assert shown["Support ticket opened"] == "Support ticket opened"
    assert all(
        table.item(r, 3).checkState() == Qt.CheckState.Checked
        for r in range(table.rowCount())
    )
    assert cell(table, 0, 2) == texts.RULES_DELAY_NONE
    assert not view.rule_save_button.isEnabled()


def test_ticking_a_rule_off_and_on_saves_it(view, shop_db):
    row = view.rule_kinds().index("purchase")

    view.rules_table.item(row, 3).setCheckState(Qt.CheckState.Unchecked)

    assert automation.get_rule(shop_db, "purchase").enabled is False
    assert view.rules_table.item(row, 3).checkState() == Qt.CheckState.Unchecked
    assert automation.get_rule(shop_db, "ticket_opened").enabled is True

    assert view.set_rule_enabled("purchase", True)
    assert automation.get_rule(shop_db, "purchase").enabled is True


def test_changing_a_rules_template_and_delay(view, shop_db, qtbot):
    changed: list[bool] = []
    view.changed.connect(lambda: changed.append(True))
    view.select_rule("purchase")
    assert view.rule_save_button.isEnabled()
    assert view.rule_template_combo.currentText() == "Purchase receipt"

    view.rule_template_combo.setCurrentIndex(
        view.rule_template_combo.findText("Order ready")
    )
    view.rule_delay_spin.setValue(30)
    qtbot.mouseClick(view.rule_save_button, Qt.MouseButton.LeftButton)

    rule = automation.get_rule(shop_db, "purchase")
    assert (rule.template_name, rule.delay_minutes, rule.enabled) == (
        "Order ready",
        30,
        True,
    )
    assert rule.fields == ("order_number", "total")
    row = view.rule_kinds().index("purchase")
    assert cell(view.rules_table, row, 1) == "Order ready"
    assert cell(view.rules_table, row, 2) == "30 min"
    assert changed == [True]


def test_adding_a_weekly_schedule_shows_it_in_the_calendar(view, shop_db, boxes):
    now = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # a Monday
    first = datetime(2027, 3, 3, 10, 0)  # Wednesday 10:00 in the shop's zone

    assert view.add_schedule(
        template_name="Order ready", tag="vip", first=first, repeat="weekly", now=now
    )

    stored = automation.list_schedules(shop_db)
    assert len(stored) == 1
    assert stored[0].rule == {"freq": "weekly", "weekday": "WE", "time": "10:00"}
    assert stored[0].audience == {"tag": "vip"}
    assert [view.schedule_list.item(i).text() for i in range(1)] == [stored[0].name]
    days = [
        view.calendar.topLevelItem(i).text(0)
        for i in range(view.calendar.topLevelItemCount())
    ]
    assert days[0] == "Wednesday 03 March 2027"
    assert len(days) == 4
    entry = view.calendar.topLevelItem(0).child(0).text(0)
    assert entry == "10:00  Order ready → tag “vip”"
    tip = view.calendar.topLevelItem(0).child(0).toolTip(0)
    assert "2027-03-03 10:00 CST" in tip
    assert boxes.calls == []


def test_a_schedule_in_the_past_is_refused_with_the_reason(view, shop_db, boxes):
    assert not view.add_schedule(
        template_name="Order ready",
        tag=None,
        first=datetime(2020, 1, 1, 10, 0),
        repeat="once",
    )

    assert boxes.kinds() == ["warn"]
    assert "2020-01-01 10:00 is in the past" in boxes.calls[0][1][2]
    assert automation.list_schedules(shop_db) == []


def test_deleting_a_schedule_asks_first(view, shop_db, boxes):
    schedule = schedules.add_schedule(
        shop_db, template_name="Order ready", everyone=True, rule="daily 09:00"
    )
    view.refresh_schedules()
    view.schedule_list.setCurrentRow(0)
    assert view.delete_schedule_button.isEnabled()

    boxes.answer = False
    view.delete_schedule_button.click()
    assert automation.list_schedules(shop_db) == [schedule]

    boxes.answer = True
    view.delete_schedule_button.click()
    assert automation.list_schedules(shop_db) == []
    assert view.schedule_list.count() == 0
    assert boxes.kinds() == ["ask", "ask"]


def test_repeat_choices_make_the_matching_rules():
    moment = datetime(2027, 3, 29, 18, 30)  # the last Monday of March

    assert rule_for("once", moment) == {"freq": "once", "at": "2027-03-29T18:30"}
    assert rule_for("daily", moment) == {"freq": "daily", "time": "18:30"}
    assert rule_for("monthly_day", moment)["day"] == 29
    assert rule_for("monthly_nth", moment) == {
        "freq": "monthly",
        "weekday": "MO",
        "nth": -1,
        "time": "18:30",
    }
    assert rule_for("monthly_nth", datetime(2027, 3, 1, 10, 0))["nth"] == 1


def test_activity_shows_what_an_event_triggered(view, shop_db, data_dir):
    senders = outbox_senders(data_dir)
    try:
        result = triggers.handle_event(
            shop_db,
            Event(
                kind="purchase",
                event_id="order-1042",
                source="till",
                email="zoe@example.com",
                fields={"order_number": "1042", "total": "59.90"},
            ),
            senders,
        )
    finally:
        senders.close()
    assert result.campaign_id is not None

    view.refresh_activity()

    table = view.activity_table
    assert table.rowCount() >= 1
    assert cell(table, 0, 1) == "Purchase"
    assert "till order-1042" in cell(table, 0, 2)
    assert cell(table, 0, 3) == result.status
    assert "campaign “" in cell(table, 0, 4)
    detail = cell(table, 0, 4)
    assert "no phone number" in detail  # a new customer without a phone
    assert detail.count("no phone number") == 1
    assert not view.activity_empty.isVisible()


def test_token_is_shown_only_on_demand(view, qtbot, boxes, memory_keyring):
    view.tabs.setCurrentIndex(3)
    assert view.token_edit.text() == ""
    assert view.endpoint_status.text() == texts.ENDPOINT_STATUS

    with qtbot.waitSignal(view.token_loaded, timeout=WAIT) as blocker:
        view.show_token_button.click()
    assert blocker.args == [None]
    assert view.token_note.text() == texts.ENDPOINT_NO_TOKEN

    boxes.answer = True
    with qtbot.waitSignal(view.token_loaded, timeout=WAIT) as blocker:
        view.new_token_button.click()
    token = blocker.args[0]
    assert credentials.load_event_token() == token and len(token) >= 20
    assert view.token_edit.text() == token
    view.copy_token_button.click()
    assert QApplication.clipboard().text() == token

    view.show_token_button.click()  # now "Hide token"
    assert view.token_edit.text() == "" and view.token is None
    assert boxes.kinds() == ["ask"]


def test_automation_has_a_side_bar_entry_and_shortcut(qtbot, shop_db, data_dir):
    window = MainWindow(shop_db, data_dir)
    qtbot.addWidget(window)
    window.show()
    wait_until_ready(qtbot, window)
    number = VIEW_NAMES.index("automation") + 1
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    qtbot.keyClick(
        QApplication.focusWidget(),
        getattr(Qt.Key, f"Key_{number}"),
        Qt.KeyboardModifier.ControlModifier,
    )

    assert window.current_view_name() == "automation"
    assert window.sidebar.item(number - 1).text() == "Automation"
    assert isinstance(window.automation_view, AutomationView)
    assert window.automation_view.rule_kinds() == BUILTIN
    assert "Purchase receipt" in [
        window.compose_view.template_combo.itemText(i)
        for i in range(window.compose_view.template_combo.count())
    ]


def test_new_schedule_from_the_form(view, shop_db, qtbot):
    tomorrow = datetime.now() + timedelta(days=1)
    view.schedule_when_edit.setDateTime(tomorrow.replace(hour=11, minute=15))
    view.schedule_template_combo.setCurrentIndex(
        view.schedule_template_combo.findText("Order ready")
    )
    view.schedule_audience_combo.setCurrentIndex(
        view.schedule_audience_combo.findData("newsletter")
    )
    view.schedule_repeat_combo.setCurrentIndex(
        view.schedule_repeat_combo.findData("once")
    )

    qtbot.mouseClick(view.add_schedule_button, Qt.MouseButton.LeftButton)

    stored = automation.list_schedules(shop_db)
    assert len(stored) == 1
    assert stored[0].rule == {
        "freq": "once",
        "at": tomorrow.strftime("%Y-%m-%dT11:15"),
    }
    assert stored[0].audience == {"tag": "newsletter"}
    assert view.schedule_list.count() == 1
