"""The Contacts page: the lazy model, the type-ahead and tag filters, the import."""

from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.services import importing
from desktop_app.storage import contacts
from desktop_app.ui.contacts import contact_table_model
from desktop_app.ui.contacts.contact_table_model import ContactTableModel
from desktop_app.ui.contacts.contacts_view import ContactsView
from tests.ui.conftest import write_many_contacts


def make_view(qtbot, db, data_dir: Path) -> ContactsView:
    view = ContactsView(db, data_dir)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_model_shows_every_contact_with_its_columns(shop_db, data_dir):
    model = ContactTableModel(shop_db)

    assert model.rowCount() == 5
    names = [model.index(row, 0).data() for row in range(5)]
    assert names == ["Ann Lee", "Bob Stone", "Cara Diaz", "Dan Ng", "Eve Ray"]
    assert model.index(0, 1).data() == "+12125550101"
    assert model.index(1, 4).data() == "vip, newsletter"
    assert model.index(4, 1).data() == ""
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Email"


def test_model_reads_pages_lazily(file_db, tmp_path, monkeypatch):
    importing.import_file(file_db, write_many_contacts(tmp_path / "many.csv", 450))
    monkeypatch.setattr(contact_table_model, "PAGE_SIZE", 50)
    monkeypatch.setattr(contact_table_model, "MAX_CACHED_PAGES", 3)
    model = ContactTableModel(file_db)

    assert model.rowCount() == 450
    assert model._pages == {}
    assert model.index(449, 0).data() == "Cust449 Test"
    assert model.index(0, 0).data() == "Cust0 Test"
    assert model.index(220, 3).data() == "c220@example.com"
    assert model.index(300, 0).data() == "Cust300 Test"
    assert len(model._pages) == 3
    assert model.contact_at(450) is None


def test_filter_box_narrows_the_table(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    assert view.model.rowCount() == 5
    assert view.count_label.text() == "5 of 5 contacts"

    qtbot.keyClicks(view.filter_edit, "stone")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert view.model.index(0, 0).data() == "Bob Stone"
    assert view.count_label.text() == "1 of 5 contacts"

    view.filter_edit.clear()
    qtbot.waitUntil(lambda: view.model.rowCount() == 5)
    qtbot.keyClicks(view.filter_edit, "555-0103")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert view.model.index(0, 0).data() == "Cara Diaz"

    view.filter_edit.clear()
    qtbot.waitUntil(lambda: view.model.rowCount() == 5)


def test_tag_combo_filters_by_tag(qtbot, shop_db, data_dir):
    view = make_view(qtbot, shop_db, data_dir)
    tags = [view.tag_combo.itemText(i) for i in range(view.tag_combo.count())]
    assert tags == ["All tags", "newsletter", "vip"]

    view.tag_combo.setCurrentIndex(tags.index("vip"))

    assert view.model.rowCount() == 3
    assert {view.model.index(r, 0).data() for r in range(3)} == {
        "Ann Lee",
        "Bob Stone",
        "Eve Ray",
    }


def test_import_runs_in_background_and_shows_report(
    qtbot, file_db, data_dir, contacts_csv
):
    view = make_view(qtbot, file_db, data_dir)
    assert view.model.rowCount() == 0

    with qtbot.waitSignal(view.import_finished, timeout=20000) as blocker:
        view.start_import(contacts_csv)
        assert view.progress.isVisible()
        assert not view.import_button.isEnabled()

    report = blocker.args[0]
    assert report["imported"] == 5
    assert report["rejected"] == 1
    assert view.model.rowCount() == 5
    assert not view.progress.isVisible()
    assert view.import_button.isEnabled()
    dialog = view.report_dialog
    assert dialog is not None and dialog.isVisible()
    assert "5 new contacts" in dialog.summary_label.text()
    assert dialog.summary_label.text().startswith(
        "Read as a spreadsheet: 5 new contacts"
    )
    assert dialog.rejected_table.rowCount() == 1
    assert dialog.rejected_table.item(0, 0).text() == "6"
    assert (
        "no e-mail address or phone number" in dialog.rejected_table.item(0, 2).text()
    )
    assert contacts.count_contacts(file_db) == 5
    dialog.close()


def test_cancelled_import_changes_nothing(qtbot, file_db, data_dir, tmp_path):
    big = write_many_contacts(tmp_path / "big.csv", 800)
    view = make_view(qtbot, file_db, data_dir)

    with qtbot.waitSignal(view.import_finished, timeout=20000) as blocker:
        task = view.start_import(big)
        task.cancel()

    assert blocker.args == [None]
    assert contacts.count_contacts(file_db) == 0
    assert view.model.rowCount() == 0
    assert view.report_dialog is None


def test_unreadable_file_is_reported_calmly(qtbot, file_db, data_dir, tmp_path, boxes):
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x00\x01\x02\x03 not text")
    view = make_view(qtbot, file_db, data_dir)

    with qtbot.waitSignal(view.import_finished, timeout=20000) as blocker:
        view.start_import(binary)

    assert blocker.args == [None]
    assert boxes.kinds() == ["warn"]
    title, text = boxes.calls[0][1][1:3]
    assert title == "The import did not work"
    assert "photo.csv" in text
    assert view.import_button.isEnabled()


def test_empty_file_report_says_so(qtbot, file_db, data_dir, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    view = make_view(qtbot, file_db, data_dir)

    with qtbot.waitSignal(view.import_finished, timeout=20000):
        view.start_import(empty)

    assert view.report_dialog is not None
    assert "The file is empty." in view.report_dialog.summary_label.text()
    view.report_dialog.close()
