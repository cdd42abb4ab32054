"""The Activity page: customer events, review decisions, the "check now" button."""

from PySide6.QtCore import Qt

from desktop_app.services import history, reporting, sending
from desktop_app.storage import consent, messages
from desktop_app.ui.activity.activity_view import TEST_MODE_RESULT, ActivityView
from tests.helpers.memory_keyring import memory_keyring_fixture  # noqa: F401


def _events(db, data_dir):
    sending.send_campaign(
        db, data_dir=data_dir, template_name="Order ready", everyone=True
    )
    ids = dict(db.execute("SELECT email, id FROM contacts").fetchall())
    ann, bob = ids["ann@example.com"], ids["bob@example.com"]
    sms = messages.latest_sms_to(db, bob)
    messages.add_event(
        db, "reply", contact_id=ann, body="See you Saturday",
        data={"from": "+12125550101"},
    )  # fmt: skip
    messages.add_event(
        db, "review", contact_id=bob, message_id=sms,
        body="please don't text me anymore",
        data={"explanation": "sounds like a request to stop"},
    )  # fmt: skip
    messages.add_event(
        db, "help", contact_id=None, body="HELP", data={"from": "+13125550177"}
    )
    return ann, bob


def _view(qtbot, db, data_dir):
    view = ActivityView(db, data_dir)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def _row_of(view, kind):
    return [event.kind for event in view.events].index(kind)


def test_events_are_listed_newest_first_with_their_words(qtbot, shop_db, data_dir):
    _events(shop_db, data_dir)
    view = _view(qtbot, shop_db, data_dir)

    assert [event.kind for event in view.events] == ["help", "review", "reply"]
    assert view.table.item(0, 1).text() == "unknown number +13125550177"
    review = _row_of(view, "review")
    assert view.table.item(review, 3).text() == "please don't text me anymore"
    assert view.table.item(review, 4).text() == "sounds like a request to stop"
    assert view.table.item(review, 5).text() == "Needs your decision"
    assert not view.opt_out_button.isEnabled()

    view.filter_combo.setCurrentIndex(view.filter_combo.findData("decide"))

    assert [event.kind for event in view.events] == ["review"]


def test_treat_as_opt_out_records_consent_and_counts_in_reports(
    qtbot, shop_db, data_dir
):
    _ann, bob = _events(shop_db, data_dir)
    view = _view(qtbot, shop_db, data_dir)
    view.table.selectRow(_row_of(view, "review"))
    assert view.opt_out_button.isEnabled()

    with qtbot.waitSignal(view.decided) as blocker:
        qtbot.mouseClick(view.opt_out_button, Qt.MouseButton.LeftButton)

    assert blocker.args[1] == "opt_out"
    assert consent.current_consent(shop_db, bob, "sms") == "opted_out"
    evidence = consent.consent_history(shop_db, bob)[-1]["evidence"]
    assert "please don't text me anymore" in evidence
    assert reporting.build_report(shop_db).overall.opted_out == 1
    review = _row_of(view, "review")
    assert view.table.item(review, 5).text() == "Treated as opt-out"
    assert history.list_activity(shop_db, undecided_only=True) == []


def test_not_an_opt_out_keeps_the_customer(qtbot, shop_db, data_dir):
    _ann, bob = _events(shop_db, data_dir)
    before = consent.current_consent(shop_db, bob, "sms")
    view = _view(qtbot, shop_db, data_dir)
    view.table.selectRow(_row_of(view, "review"))

    qtbot.mouseClick(view.not_opt_out_button, Qt.MouseButton.LeftButton)

    assert consent.current_consent(shop_db, bob, "sms") == before
    assert reporting.build_report(shop_db).overall.opted_out == 0
    assert view.table.item(_row_of(view, "review"), 5).text() == "Not an opt-out"
    assert not view.opt_out_button.isEnabled()


def test_check_now_in_test_mode_says_so(qtbot, shop_db, data_dir, memory_keyring):
    view = _view(qtbot, shop_db, data_dir)

    with qtbot.waitSignal(view.checked, timeout=10000) as blocker:
        assert view.check_now() is not None

    assert blocker.args == [TEST_MODE_RESULT]
    assert view.check_button.isEnabled()
