"""Editing, tagging, deleting contacts; the contact page with consent and messages."""

from pathlib import Path

import pytest

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialog

from desktop_app.services import sending
from desktop_app.storage import consent, contacts, settings
from desktop_app.ui.contacts.contacts_view import ContactsView
from tests.storage.test_contacts import add_search_column, contact_row, insert


def make_view(qtbot, db, data_dir: Path) -> ContactsView:
    view = ContactsView(db, data_dir)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def select_rows(view: ContactsView, *rows: int) -> None:
    selection = view.table.selectionModel()
    selection.clearSelection()
    flags = (
        QItemSelectionModel.SelectionFlag.Select
        | QItemSelectionModel.SelectionFlag.Rows
    )
    for row in rows:
        selection.select(view.model.index(row, 0), flags)


def contact_id(db, first_name: str) -> int:
    return next(c.id for c in contacts.list_contacts(db) if c.first_name == first_name)


def test_buttons_follow_the_selection(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    assert not view.edit_button.isEnabled()
    assert not view.delete_button.isEnabled()

    select_rows(view, 0, 2)

    assert not view.edit_button.isEnabled()
    assert view.tag_button.isEnabled() and view.delete_button.isEnabled()
    assert view.selection_label.text() == "2 selected"
    select_rows(view, 1)
    assert view.edit_button.isEnabled() and view.details_button.isEnabled()


def test_edit_a_contacts_email_and_see_it_stored(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    select_rows(view, 0)

    qtbot.mouseClick(view.edit_button, Qt.MouseButton.LeftButton)
    dialog = view.edit_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.fields["emails"].toPlainText() == "ann@example.com"
    assert dialog.fields["phones"].toPlainText() == "+12125550101"
    dialog.fields["emails"].setPlainText("ann.lee@example.com\nann@example.com")
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Save),
        Qt.MouseButton.LeftButton,
    )

    assert not dialog.isVisible()
    stored = contacts.get_contact(shop_db, contact_id(shop_db, "Ann"))
    assert stored.email == "ann.lee@example.com"
    assert stored.emails == ["ann.lee@example.com", "ann@example.com"]
    assert view.model.index(0, 3).data() == "ann.lee@example.com"


def test_a_bad_phone_keeps_the_dialog_open_with_the_reason(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    select_rows(view, 0)
    dialog = view.open_edit_dialog()
    dialog.fields["phones"].setPlainText("5551234567.0")

    assert not dialog.save()

    assert dialog.isVisible()
    assert "spreadsheet '.0' ending" in dialog.error_label.text()
    assert contacts.get_contact(shop_db, dialog.contact.id).phone == "+12125550101"
    dialog.reject()


def test_tag_two_selected_contacts_and_filter_by_that_tag(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    select_rows(view, 2, 3)

    qtbot.mouseClick(view.tag_button, Qt.MouseButton.LeftButton)
    dialog = view.tag_dialog
    assert dialog is not None and dialog.windowTitle() == "Tag 2 contacts"
    qtbot.keyClicks(dialog.tag_combo.lineEdit(), "spring sale")
    dialog.accept()

    tags = [view.tag_combo.itemText(i) for i in range(view.tag_combo.count())]
    assert "spring sale" in tags
    view.tag_combo.setCurrentIndex(tags.index("spring sale"))
    assert view.model.rowCount() == 2
    assert {view.model.index(r, 0).data() for r in range(2)} == {"Cara Diaz", "Dan Ng"}

    view.tag_combo.setCurrentIndex(0)
    select_rows(view, 2)
    dialog = view.open_tag_dialog(remove=True)
    dialog.tag_combo.setCurrentText("Spring Sale")
    dialog.accept()
    assert [
        c.first_name for c in contacts.list_contacts(shop_db, tag="spring sale")
    ] == ["Dan"]


def test_delete_asks_first_and_keeps_the_opt_out_in_the_ledger(
    qtbot, shop_db, data_dir, boxes
):
    bob = contact_id(shop_db, "Bob")
    bob_phone = contacts.get_contact(shop_db, bob).phone
    consent.set_consent_manually(shop_db, bob, "sms", "opted_out", "asked by phone")
    view = make_view(qtbot, shop_db, data_dir)
    select_rows(view, 0, 1)

    boxes.answer = False
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert boxes.kinds() == ["ask"]
    assert "Delete 2 contacts?" in boxes.calls[0][1][2]
    assert "an opt-out still applies" in boxes.calls[0][1][2]
    assert contacts.count_contacts(shop_db) == 5

    boxes.answer = True
    select_rows(view, 0, 1)
    result = view.delete_selected()

    assert result is not None and bob in result.deleted and result.kept == {}
    assert len(result.deleted) == 2
    assert boxes.kinds() == ["ask", "ask"]
    assert contacts.count_contacts(shop_db) == 3
    assert view.model.rowCount() == 3
    kept = consent.deleted_opt_outs(shop_db)["sms"]
    assert any(opt_out.recipient == bob_phone for opt_out in kept.values())


def test_contact_page_shows_consent_history_and_changes_it_with_a_note(
    qtbot, shop_db, data_dir
):
    bob = contact_id(shop_db, "Bob")
    consent.set_consent_manually(shop_db, bob, "sms", "opted_in", "signed at counter")
    consent.set_consent_manually(shop_db, bob, "sms", "opted_out", "replied STOP")
    view = make_view(qtbot, shop_db, data_dir)
    select_rows(view, 1)

    qtbot.mouseClick(view.details_button, Qt.MouseButton.LeftButton)
    page = view.detail_dialog
    assert page is not None and page.windowTitle() == "Bob Stone"
    assert page.consent_labels["sms"].text() == "<b>Opted out</b>"
    assert page.consent_labels["email"].text() == "<b>Not asked</b>"
    assert page.ledger_table.rowCount() == 2
    assert page.ledger_table.item(1, 2).text() == "Opted out"
    assert "replied STOP" in page.ledger_table.item(1, 4).text()

    dialog = page.open_consent_dialog()
    dialog.set_choice("sms", "opted_in")
    assert not dialog.save()
    assert "opted out of SMS" in dialog.error_label.text()
    assert consent.current_consent(shop_db, bob, "sms") == "opted_out"

    dialog.set_choice("sms", "opted_in", "asked again in the shop on 3 May")
    assert dialog.save()

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert consent.current_consent(shop_db, bob, "sms") == "opted_in"
    assert page.ledger_table.rowCount() == 3
    assert "asked again in the shop" in page.ledger_table.item(2, 4).text()
    assert page.consent_labels["sms"].text() == "<b>Opted in</b>"
    assert view.model.index(1, 5).data() == "Yes"


def test_consent_dialog_records_no_unchanged_status_and_no_bare_opt_in(
    qtbot, shop_db, data_dir
):
    bob = contact_id(shop_db, "Bob")
    view = make_view(qtbot, shop_db, data_dir)
    page = view.open_detail(bob)
    rows = len(consent.consent_history(shop_db, bob))

    dialog = page.open_consent_dialog()
    dialog.set_choice("email", "unknown", "nothing new")
    assert not dialog.save()
    assert dialog.error_label.text() == (
        "Email is already not asked; nothing to record."
    )
    dialog.set_choice("email", "opted_in")
    assert not dialog.save()
    assert "agreed to email" in dialog.error_label.text()
    assert len(consent.consent_history(shop_db, bob)) == rows
    assert dialog.result() != QDialog.DialogCode.Accepted

    dialog.set_choice("email", "opted_out")
    assert dialog.save()
    assert consent.current_consent(shop_db, bob, "email") == "opted_out"
    assert len(consent.consent_history(shop_db, bob)) == rows + 1


def test_contact_page_shows_times_in_the_shops_zone_not_the_pcs(
    qtbot, shop_db, data_dir
):
    bob = contact_id(shop_db, "Bob")
    settings.set_setting(shop_db, "shop.timezone", "Pacific/Auckland")
    shop_db["consent"].insert(
        {
            "contact_id": bob,
            "channel": "sms",
            "status": "opted_in",
            "source": "manual",
            "evidence": "signed at counter",
            "created_at": "2026-06-30T20:15:00+00:00",
        }
    )
    view = make_view(qtbot, shop_db, data_dir)

    page = view.open_detail(bob)

    assert page.ledger_table.item(0, 0).text() == "2026-07-01 08:15"
    assert page.ledger_table.horizontalHeaderItem(0).text() == "When (Pacific/Auckland)"
    assert page.messages_table.horizontalHeaderItem(0).text() == (
        "Queued (Pacific/Auckland)"
    )


def test_contact_page_lists_the_contacts_messages(qtbot, shop_db, data_dir):
    plan = sending.plan_send(shop_db, template_name="Order ready", everyone=True)
    sending.queue_plan(shop_db, plan, name="Spring")
    view = make_view(qtbot, shop_db, data_dir)

    page = view.open_detail(contact_id(shop_db, "Eve"))

    assert page.no_messages_label.isHidden()
    rows = page.messages_table.rowCount()
    assert rows == 2
    channels = {page.messages_table.item(r, 1).text() for r in range(rows)}
    assert channels == {"SMS", "Email"}
    assert {page.messages_table.item(r, 4).text() for r in range(rows)} == {"Spring"}
    to = {page.messages_table.item(r, 2).text() for r in range(rows)}
    assert "eve@example.com" in to


def test_editing_from_the_contact_page_refreshes_it(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    page = view.open_detail(contact_id(shop_db, "Dan"))
    assert not page.no_messages_label.isHidden()

    dialog = page.open_edit_dialog()
    dialog.fields["company"].setText("Ng Hardware")
    assert dialog.save()

    assert "Ng Hardware" in page.details_label.text()
    assert contacts.get_contact(shop_db, page.contact_id).company == "Ng Hardware"


def test_filter_narrowing_over_100k_contacts_does_little_sql_work(
    qtbot, file_db, data_dir
):
    add_search_column(file_db)
    insert(file_db, [contact_row(n) for n in range(1, 100_001)])
    view = make_view(qtbot, file_db, data_dir)
    assert view.model.rowCount() == 100_000
    statements: list[str] = []
    file_db.conn.set_trace_callback(statements.append)
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0

    file_db.conn.set_progress_handler(tick, 10_000)
    try:
        for typed in ("f", "fi", "first", "first9", "first99999"):
            view.filter_edit.setText(typed)
            view._apply_filter()
    finally:
        file_db.conn.set_trace_callback(None)
        file_db.conn.set_progress_handler(None, 0)

    assert view.model.rowCount() == 1
    assert view.model.index(0, 0).data() == "First99999 Test"
    scans = [s for s in statements if "instr(search_text" in s]
    # Per keystroke: the first page and, when it is full, one count.
    assert len(scans) <= 2 * 5
    assert all("lower(" not in s for s in scans)
    # About 100k rows x 5 keystrokes x a handful of VM steps per row on the narrow
    # index; the LIKE expressions over the table took three times as many.
    assert steps * 10_000 < 100_000 * 5 * 12


def test_export_writes_the_filtered_contacts(qtbot, shop_db, data_dir, tmp_path):
    import csv

    view = make_view(qtbot, shop_db, data_dir)
    everyone = view.export_to(tmp_path / "all.csv")
    view.filter_edit.setText("example.com")
    view._apply_filter()

    shown = view.export_to(tmp_path / "shown.csv")

    assert everyone == contacts.count_contacts(shop_db)
    assert shown == contacts.count_contacts(shop_db, search="example.com")
    with (tmp_path / "shown.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == shown
    assert all(row["phone"] == "" or row["phone"].startswith("'+") for row in rows)


def test_export_to_a_folder_that_is_not_there_warns(qtbot, shop_db, data_dir, tmp_path):
    from desktop_app.errors import StorageError

    view = make_view(qtbot, shop_db, data_dir)

    with pytest.raises(StorageError, match="could not write the contacts"):
        view.export_to(tmp_path / "missing" / "contacts.csv")
