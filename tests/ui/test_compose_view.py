"""The Compose page: the cost per customer, the plan review with its notices, sending."""

from pathlib import Path

import sqlite_utils

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app.core.planning import (
    HOLD,
    HOLD_QUIET_HOURS,
    PlannedMessage,
    SendPlan,
)
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import importing
from desktop_app.storage import consent, templates
from desktop_app.ui.compose import plan_groups
from desktop_app.ui.compose.compose_view import ComposeView
from tests.ui.conftest import CSV_HEADER

ACCENT_ROWS = (
    "Tomás,Lopez,tomas@example.com,(212) 555-0111,club\n"
    "Tom,Hill,tom@example.com,(212) 555-0112,club\n"
    "Sam,Wu,sam@example.com,(212) 555-0113,club\n"
    "Liz,Ford,liz@example.com,,nophone\n"
)


def make_view(qtbot, db: sqlite_utils.Database, data_dir: Path) -> ComposeView:
    view = ComposeView(db, data_dir, lambda: outbox_senders(data_dir))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def add_club(db: sqlite_utils.Database, tmp_path: Path) -> None:
    path = tmp_path / "club.csv"
    path.write_text(CSV_HEADER + ACCENT_ROWS, encoding="utf-8")
    importing.import_file(db, path, region="US")


def test_review_lists_notices_and_skipped_reasons(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Order ready", tag="vip")

    with qtbot.waitSignal(view.plan_reviewed):
        qtbot.mouseClick(view.review_button, Qt.MouseButton.LeftButton)

    lines = view.group_titles()
    assert view.plan_panel.rows[0].isVisible()
    assert any("Reply STOP to opt out" in line for line in lines)
    assert "Test mode" in view.plan_label.text()
    skipped = [line for line in lines if line.startswith("Not sent")]
    assert skipped == ["Not sent (1): no phone number"]
    assert view.send_button.isEnabled()


def test_send_is_off_when_nothing_would_be_sent(qtbot, shop_db, data_dir, tmp_path):
    add_club(shop_db, tmp_path)
    templates.save_template(
        shop_db,
        name="Text only",
        sms_body="Hi {first_name}",
        email_subject="",
        email_body="",
    )
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Text only", tag="nophone")

    assert view.review() is False

    assert not view.send_button.isEnabled()
    assert "0 SMS and 0 emails" in view.plan_label.text()


def test_breakdown_names_the_accented_name(qtbot, shop_db, data_dir, tmp_path):
    add_club(shop_db, tmp_path)
    templates.save_template(
        shop_db,
        name="Long",
        sms_body="Hi {first_name}, " + "x" * 62,
        email_subject="S",
        email_body="B",
    )
    view = make_view(qtbot, shop_db, data_dir)

    view.select("Long", tag="club")

    qtbot.waitUntil(lambda: "a name with á" in view.breakdown_label.text())
    text = view.breakdown_label.text()
    assert "most customers: 1 segment" in text
    assert "1 customer: 2 segments" in text
    assert "Total: 4 segments" in text


def test_ctrl_return_sends_after_review(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    view.select("Order ready", tag="newsletter")

    with qtbot.assertNotEmitted(view.send_finished, wait=100):
        qtbot.keyClick(view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert view.review()

    with qtbot.waitSignal(view.send_finished, timeout=20000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert blocker.args[0]["sent"] == 4
    assert not view.send_button.isEnabled()


def test_preview_shows_segments_and_plain_text(qtbot, shop_db, data_dir):
    templates.save_template(
        shop_db,
        name="Coupon",
        sms_body="Hi {first_name}! " + "Fresh bread today. " * 9,
        email_subject="Your coupon",
        email_body="Hi {first_name},\n\n{qr:SAVE10}",
    )
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Coupon", tag="newsletter")

    view.contact_combo.setCurrentIndex(view.contact_combo.findText("Cara Diaz"))

    assert view.sms_bubble.text().startswith("Hi Cara! Fresh bread")
    assert len(view.sms_bubble.part_labels) == 2
    assert "Scan code: SAVE10" in view.email_text.toPlainText()


def test_sending_the_same_template_again_asks_first(qtbot, shop_db, data_dir, boxes):
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Order ready", tag="newsletter")
    assert view.review()
    with qtbot.waitSignal(view.send_finished, timeout=20000):
        view.send()
    assert "ask" not in boxes.kinds()

    assert view.review()
    boxes.answer = False
    assert view.send() is None

    assert boxes.kinds() == ["ask"]
    campaigns = shop_db.execute("SELECT count(*) FROM campaigns").fetchone()[0]
    assert campaigns == 1
    boxes.answer = True
    with qtbot.waitSignal(view.send_finished, timeout=20000):
        assert view.send() is not None
    assert shop_db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 2


def test_ab_check_is_on_only_for_a_template_with_variant_b(qtbot, shop_db, data_dir):
    templates.save_template(
        shop_db,
        name="Order ready AB",
        sms_body="Hi {first_name}, your order is ready. Details in your inbox.",
        sms_body_b="{first_name}, good news: your order is ready for pickup!",
        email_subject="Your order is ready",
        email_body="Hi {first_name},\n\nYour order is ready for pickup.",
    )
    view = make_view(qtbot, shop_db, data_dir)

    view.select("Order ready", tag=None)
    assert not view.ab_check.isEnabled()
    view.select("Order ready AB", tag=None)
    assert view.ab_check.isEnabled()
    view.ab_check.setChecked(True)

    with qtbot.waitSignal(view.plan_reviewed) as reviewed:
        qtbot.mouseClick(view.review_button, Qt.MouseButton.LeftButton)

    split = reviewed.args[0]["variants"]
    assert set(split) == {"A", "B"}
    assert f"{split['A']} customers get text A" in view.plan_label.text()
    sms = [m for m in view._plan.messages if m.channel == "sms" and m.is_queued]
    assert {m.variant for m in sms} == {"A", "B"}
    for message in sms:
        expected = "your order is ready." if message.variant == "A" else "good news"
        assert expected in message.body


def test_review_says_emails_wait_for_the_address_and_leads_to_it(
    qtbot, shop_db, data_dir
):
    from desktop_app.storage import settings
    from desktop_app.ui.main_window import MainWindow
    from tests.ui.conftest import wait_until_ready

    settings.set_setting(shop_db, "shop.address", "")
    window = MainWindow(shop_db, data_dir)
    qtbot.addWidget(window)
    window.show()
    wait_until_ready(qtbot, window)
    window.show_view("compose")
    view = window.view("compose")
    view.select("Order ready", tag="vip")

    with qtbot.waitSignal(view.plan_reviewed):
        qtbot.mouseClick(view.review_button, Qt.MouseButton.LeftButton)

    assert "will wait until the shop's postal address is set" in view.plan_label.text()
    assert view.address_button.isVisible()
    notices = view.group_titles()
    assert any("waiting for the shop's postal address" in line for line in notices)

    qtbot.mouseClick(view.address_button, Qt.MouseButton.LeftButton)

    page = window.view("settings")
    assert window.current_view_name() == "settings"
    assert page.tabs.currentWidget() is page.shop
    qtbot.waitUntil(lambda: page.shop.edits["shop.address"].hasFocus(), timeout=3000)

    settings.set_setting(shop_db, "shop.address", "1 Example Street")
    window.show_view("compose")
    with qtbot.waitSignal(view.plan_reviewed):
        qtbot.mouseClick(view.review_button, Qt.MouseButton.LeftButton)
    assert not view.address_button.isVisible()
    assert "postal address" not in view.plan_label.text()


def ids_by_name(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("SELECT first_name, id FROM contacts").fetchall())


def test_who_names_the_customers_of_each_review_line(qtbot, shop_db, data_dir):
    ids = ids_by_name(shop_db)
    consent.set_consent_manually(shop_db, ids["Ann"], "sms", "opted_out", "asked")
    consent.set_consent_manually(shop_db, ids["Bob"], "sms", "opted_out", "asked")
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Order ready", tag="vip")

    assert view.review()

    titles = view.group_titles()
    opted = titles.index("Not sent (2): opted out of SMS")
    assert view.group_members(opted) == ["Ann Lee (SMS)", "Bob Stone (SMS)"]
    assert view.group_members(titles.index("Not sent (1): no phone number")) == [
        "Eve Ray (SMS)"
    ]
    row = view.plan_panel.rows[opted]
    assert not row.members_shown()

    qtbot.mouseClick(row.who_button, Qt.MouseButton.LeftButton)

    assert row.members_shown()
    assert row.names.text() == "Ann Lee (SMS)\nBob Stone (SMS)"
    assert row.who_button.text() == "Hide"


def test_notes_name_their_count_in_plain_words(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Order ready", tag="vip")

    assert view.review()

    notes = [line for line in view.group_titles() if line.startswith("Note (")]
    assert notes
    assert all("Note for" not in line for line in view.group_titles())
    first = view.group_titles().index(notes[0])
    assert len(view.group_members(first)) == int(notes[0].split("(")[1].split()[0])


def test_preview_shows_what_the_plan_decided_for_the_customer(qtbot, shop_db, data_dir):
    ids = ids_by_name(shop_db)
    consent.set_consent_manually(shop_db, ids["Ann"], "sms", "opted_out", "asked")
    consent.set_consent_manually(shop_db, ids["Ann"], "email", "opted_out", "asked")
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Order ready", tag="vip")
    view.contact_combo.setCurrentIndex(view.contact_combo.findText("Ann Lee"))
    assert not view.preview.sms_decision.isVisible()

    assert view.review()

    assert view.preview.sms_decision.isVisible()
    assert view.preview.sms_decision.text() == "Not sent: opted out of SMS"
    assert view.preview.email_decision.text() == "Not sent: unsubscribed from email"
    assert view.preview.sms_decision.objectName() == "errorLabel"

    view.contact_combo.setCurrentIndex(view.contact_combo.findText("Bob Stone"))

    assert view.preview.sms_decision.text().startswith("Will be sent.")
    assert view.preview.email_decision.text().startswith("Will be sent.")
    planned = plan_groups.decisions_for(view._plan, ids["Bob"])["sms"]
    assert planned.stop_added and "Reply STOP" in planned.body
    assert view.sms_bubble.text() == planned.body  # what goes out, STOP line too

    view.select("Order ready", tag="newsletter")  # a new audience forgets the plan

    assert not view.preview.sms_decision.isVisible()


def test_the_live_breakdown_gives_way_to_the_plan_cost(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    view.select("Order ready", tag="vip")
    qtbot.waitUntil(lambda: "Total:" in view.breakdown_label.text())
    assert view.breakdown_label.text().startswith("Before review, every customer")

    assert view.review()

    assert not view.breakdown_label.isVisible()
    assert "Estimated cost of the SMS that go out" in view.plan_label.text()

    view.select("Order ready", tag="newsletter")

    assert view.breakdown_label.isVisible()


def test_review_lines_read_well_for_one_customer():
    plan = SendPlan("Promo", 1, {}, 0.0079)
    plan.messages = [
        PlannedMessage(1, "sms", "+12125550101", "Hi", segments=1, stop_added=True),
        PlannedMessage(1, "email", "ann@example.com", "Hi", note="consent unknown"),
        PlannedMessage(
            2, "sms", "+12125550102", "Hi", action=HOLD, hold_kind=HOLD_QUIET_HOURS,
            reason="held until 08:00 CST, Florida rule",
        ),
    ]  # fmt: skip

    titles = [group.title for group in plan_groups.notice_groups(plan)]

    assert titles[0].startswith("Held for quiet hours (1 SMS)")
    assert titles[1].startswith("“Reply STOP to opt out” added (1 SMS)")
    assert titles[2] == "Note (1 message): consent unknown"
    held = plan_groups.notice_groups(plan)[0]
    assert plan_groups.member_text("Bob Stone", held.members[0], detail=True) == (
        "Bob Stone (SMS): held until 08:00 CST, Florida rule"
    )
    assert plan_groups.decision_text(held.members[0]) == (
        "Waits: held until 08:00 CST, Florida rule"
    )
    email = plan.messages[1]
    assert plan_groups.decision_text(email) == "Will be sent. Note: consent unknown"
