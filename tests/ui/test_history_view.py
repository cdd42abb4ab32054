"""The History page: filters, debounced search, paging, Excel-safe CSV, timelines."""

import csv

import pytest

from PySide6.QtCore import QDate

from desktop_app.services import importing, sending
from desktop_app.storage import messages, templates
from desktop_app.ui.history import history_table_model
from desktop_app.ui.history.history_view import HistoryView
from tests.ui.conftest import CSV_HEADER, write_many_contacts


def _send(db, data_dir, template="Order ready", **audience):
    return sending.send_campaign(
        db,
        data_dir=data_dir,
        template_name=template,
        **(audience or {"everyone": True}),
    )


def _view(qtbot, db):
    view = HistoryView(db)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def _shown(view, column):
    model = view.model
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_filters_narrow_the_rows(qtbot, shop_db, data_dir):
    _send(shop_db, data_dir)
    view = _view(qtbot, shop_db)
    assert view.model.rowCount() == 10
    assert "10 messages" in view.count_label.text()

    view.channel_combo.setCurrentIndex(view.channel_combo.findData("sms"))
    assert set(_shown(view, 1)) == {"SMS"}
    assert view.model.rowCount() == 5

    view.state_combo.setCurrentIndex(view.state_combo.findData("skipped"))
    assert view.model.rowCount() == 1
    assert _shown(view, 3) == ["Eve Ray"]

    view.state_combo.setCurrentIndex(0)
    view.channel_combo.setCurrentIndex(0)
    view.tag_combo.setCurrentIndex(view.tag_combo.findData("newsletter"))
    assert set(_shown(view, 3)) == {"Bob Stone", "Cara Diaz"}

    view.tag_combo.setCurrentIndex(0)
    view.until_edit.setDate(QDate(2001, 1, 1))
    assert view.model.rowCount() == 0
    assert view.count_label.text() == "No messages match these filters."
    view.until_edit.setDate(view.until_edit.minimumDate())
    assert view.model.rowCount() == 10


def test_campaign_filter_and_waiting_state(qtbot, shop_db, data_dir):
    _send(shop_db, data_dir)
    templates.save_template(
        shop_db, name="Later", sms_body="Hi {first_name}, see you soon.",
        email_subject="Soon", email_body="Hi {first_name}, see you soon.",
    )  # fmt: skip
    _send(shop_db, data_dir, template="Later", tag="vip")
    second = shop_db.execute("SELECT max(id) FROM campaigns").fetchone()[0]
    messages.set_campaign_state(shop_db, second, "waiting")
    view = _view(qtbot, shop_db)
    names = [
        view.campaign_combo.itemText(i) for i in range(view.campaign_combo.count())
    ]
    assert names[0] == "All campaigns" and len(names) == 3

    view.campaign_combo.setCurrentIndex(1)  # newest first: the "Later" send

    assert view.model.rowCount() == 6
    assert all(text.endswith("(waiting)") for text in _shown(view, 8))


def test_held_message_shows_its_reason(qtbot, shop_db, data_dir):
    _send(shop_db, data_dir)
    shop_db.execute(
        "UPDATE messages SET state = 'queued', sent_at = NULL, reason = ?,"
        " not_before = '2030-01-01T14:00:00+00:00' WHERE id = 1",
        ["held until 08:00 CST, Florida rule"],
    )
    shop_db.conn.commit()
    view = _view(qtbot, shop_db)

    view.state_combo.setCurrentIndex(view.state_combo.findData("held"))

    assert view.model.rowCount() == 1
    assert _shown(view, 4) == ["Held"]
    assert _shown(view, 5) == ["held until 08:00 CST, Florida rule"]


def test_search_is_debounced_and_matches_name_phone_and_email(qtbot, shop_db, data_dir):
    _send(shop_db, data_dir)
    view = _view(qtbot, shop_db)

    qtbot.keyClicks(view.search_edit, "cara")
    assert view.model.rowCount() == 10  # not yet: the search waits for a pause
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=3000)
    assert set(_shown(view, 3)) == {"Cara Diaz"}

    view.search_edit.setText("555-0102")
    view.apply_filters()
    assert set(_shown(view, 3)) == {"Bob Stone"}
    view.search_edit.setText("eve@example")
    view.apply_filters()
    assert _shown(view, 3) == ["Eve Ray", "Eve Ray"]


def test_csv_export_neutralises_formula_cells(qtbot, shop_db, data_dir, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        CSV_HEADER + "=cmd|' /C calc'!A0,Sum,mal@example.com,(212) 555-0109,\n",
        encoding="utf-8",
    )
    importing.import_file(shop_db, hostile, region="US")
    _send(shop_db, data_dir)
    view = _view(qtbot, shop_db)
    view.search_edit.setText("mal@example")
    view.apply_filters()
    out = tmp_path / "history.csv"

    with qtbot.waitSignal(view.exported, timeout=10000) as blocker:
        assert view.export_csv(out) is not None  # a file database: in the background

    assert blocker.args == [2]
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert {row["contact"] for row in rows} == {"'=cmd|' /C calc'!A0 Sum"}
    assert {row["channel"] for row in rows} == {"sms", "email"}


def test_double_click_opens_only_that_contacts_timeline(qtbot, shop_db, data_dir):
    _send(shop_db, data_dir)
    bob = shop_db.execute(
        "SELECT id FROM contacts WHERE email = 'bob@example.com'"
    ).fetchone()[0]
    messages.add_event(shop_db, "reply", contact_id=bob, body="Thanks!")
    view = _view(qtbot, shop_db)
    row = _shown(view, 3).index("Bob Stone")

    index = view.model.index(row, 0)
    view.table.doubleClicked.emit(index)

    dialog = view.timeline
    assert dialog is not None and dialog.isVisible()
    assert dialog.contact_id == bob
    assert dialog.heading.text() == "Bob Stone"
    titles = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert sorted(titles) == ["Email sent", "Reply", "SMS sent"]
    details = [dialog.table.item(r, 3).text() for r in range(dialog.table.rowCount())]
    assert "Thanks!" in details
    other = shop_db.execute(
        "SELECT count(*) FROM messages WHERE contact_id != ?", [bob]
    ).fetchone()[0]
    assert other == 8 and len(dialog.entries) == 3


@pytest.mark.parametrize("count", [650])
def test_table_is_paged_not_loaded_whole(qtbot, file_db, data_dir, tmp_path, count):
    importing.import_file(
        file_db, write_many_contacts(tmp_path / "many.csv", count), region="US"
    )
    templates.save_template(
        file_db, name="Order ready", sms_body="Hi {first_name}, ready.",
        email_subject="Ready", email_body="Hi {first_name}, ready.",
    )  # fmt: skip
    _send(file_db, data_dir)
    view = _view(qtbot, file_db)

    assert view.model.rowCount() == 2 * count
    assert view.model.cached_pages() <= 2
    for row in range(0, 2 * count, 50):
        assert view.model.index(row, 1).data() in ("SMS", "Email")
    assert view.model.cached_pages() <= history_table_model.MAX_CACHED_PAGES
    newest = view.model.row_at(0)["queued_at"]
    oldest = view.model.row_at(2 * count - 1)["queued_at"]
    assert newest >= oldest
    assert view.model.row_at(2 * count) is None


def test_finish_sending_completes_a_cancelled_campaign(qtbot, shop_db, data_dir):
    plan = sending.plan_send(shop_db, template_name="Order ready", everyone=True)
    campaign_id = sending.queue_plan(shop_db, plan, name="Stopped")
    messages.set_campaign_state(shop_db, campaign_id, "paused")  # as after Cancel
    view = _view(qtbot, shop_db)
    assert not view.resume_button.isEnabled()

    view.campaign_combo.setCurrentIndex(view.campaign_combo.findData("Stopped"))
    assert view.resume_button.isEnabled()
    with qtbot.waitSignal(view.resume_button.clicked, timeout=1000):
        view.resume_button.click()
    qtbot.waitUntil(
        lambda: messages.count_by_state(shop_db, campaign_id)["queued"] == 0,
        timeout=20000,
    )

    qtbot.waitUntil(lambda: view._resume_task is None, timeout=5000)
    assert messages.count_by_state(shop_db, campaign_id)["sent"] > 0
    assert not view.resume_button.isEnabled()  # nothing left to finish
