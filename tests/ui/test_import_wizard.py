"""The import wizard (mapping and preview) and the past-imports dialog with undo."""

from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.services import importing
from desktop_app.storage import contacts, settings
from desktop_app.ui.contacts.contacts_view import ContactsView
from desktop_app.ui.contacts.import_wizard import ImportWizard
from desktop_app.ui.contacts.imports_dialog import ImportsDialog

SHOPIFY = (
    "First Name,Last Name,Email,Phone,Accepts SMS Marketing,Tags,Note\n"
    "Ann,Lee,ann@example.com,(212) 555-0101,yes,vip,likes rye\n"
    "Bob,Stone,,(212) 555-0102,no,,\n"
    "Cara,Diaz,cara@example.com,4.47E+11,,newsletter,\n"
    "Nobody,Here,,,,,\n"
)


def make_view(qtbot, db, data_dir: Path) -> ContactsView:
    view = ContactsView(db, data_dir)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def open_wizard(qtbot, data_dir: Path, path: Path, region: str = "US"):
    wizard = ImportWizard(data_dir, path, region)
    qtbot.addWidget(wizard)
    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.show()
    return wizard


def cell(table, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def preview_rows(wizard: ImportWizard) -> list[list[str]]:
    table = wizard.preview_table
    return [
        [cell(table, row, column) for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


def write_shopify(tmp_path: Path) -> Path:
    path = tmp_path / "shop_customers.csv"
    path.write_text(SHOPIFY, encoding="utf-8")
    return path


def test_wizard_shows_format_mapping_and_rows_as_stored(
    qtbot, file_db, data_dir, tmp_path
):
    wizard = open_wizard(qtbot, data_dir, write_shopify(tmp_path))

    assert wizard.windowTitle() == "Import customers: shop_customers.csv"
    info = wizard.info_label.text()
    assert "Read as a Shopify export" in info
    assert "utf-8" in info and "commas" in info
    mapping = {
        cell(wizard.mapping_table, row, 0): wizard.mapping_table.cellWidget(
            row, 2
        ).currentText()
        for row in range(wizard.mapping_table.rowCount())
    }
    assert mapping["Email"] == "Email"
    assert mapping["Phone"] == "Phone"
    assert mapping["Accepts SMS Marketing"] == "SMS marketing consent"
    assert mapping["Note"] == "Extra field: note"
    assert cell(wizard.mapping_table, 0, 1) == "Ann"

    rows = preview_rows(wizard)
    assert rows[0] == [
        "1", "Ann Lee", "+12125550101", "ann@example.com", "Yes", "", "vip", "",
    ]  # fmt: skip
    assert rows[1][:3] == ["2", "Bob Stone", "+12125550102"]
    assert rows[1][4] == "Not asked"
    assert rows[2][:4] == ["3", "Cara Diaz", "", "cara@example.com"]
    assert rows[2][6] == "newsletter"
    assert "4.47E+11" in rows[2][7] and "scientific notation" in rows[2][7]
    assert rows[3][:2] == ["4", "Rejected: no e-mail address or phone number"]
    assert wizard.preview_table.columnSpan(3, 1) == 7
    red = wizard.preview_table.item(3, 1)
    assert red.foreground().color().name() == "#b3261e"
    assert "will be imported" in wizard.counts_label.text()
    assert wizard.import_button.isEnabled()
    assert contacts.count_contacts(file_db) == 0


def test_changing_a_mapping_changes_the_preview(qtbot, file_db, data_dir, tmp_path):
    wizard = open_wizard(qtbot, data_dir, write_shopify(tmp_path))
    assert preview_rows(wizard)[0][6] == "vip"

    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.set_role("Tags", "ignore")

    assert wizard.overrides() == {"Tags": "ignore"}
    assert preview_rows(wizard)[0][6] == ""

    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.set_role("Phone", "ignore")
    rows = preview_rows(wizard)
    assert rows[0][2] == ""
    bob = next(r for r in rows if r[0] == "2")
    assert bob[1].startswith("Rejected:")

    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.set_role("Tags", "tags")
    assert wizard.overrides() == {"Phone": "ignore"}
    assert preview_rows(wizard)[0][6] == "vip"


def test_a_file_without_channels_can_be_mapped_by_hand(
    qtbot, file_db, data_dir, tmp_path
):
    path = tmp_path / "kunden.csv"
    path.write_text("Kunde,Nummer\nAnn Lee,(212) 555-0101\n", encoding="utf-8")
    wizard = open_wizard(qtbot, data_dir, path)

    assert "no column" in wizard.status_label.text()
    assert not wizard.import_button.isEnabled()
    assert wizard.preview_table.rowCount() == 0

    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.set_role("Nummer", "phone")
    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.set_role("Kunde", "full_name")

    assert wizard.status_label.text() == ""
    assert preview_rows(wizard)[0][1:3] == ["Ann Lee", "+12125550101"]
    assert wizard.import_button.isEnabled()


def test_region_defaults_to_settings_and_changes_the_reading(
    qtbot, file_db, data_dir, tmp_path
):
    settings.set_setting(file_db, "phones.default_region", "GB")
    path = tmp_path / "uk.csv"
    path.write_text("Name,Phone\nAnn Lee,020 7946 0018\n", encoding="utf-8")
    view = make_view(qtbot, file_db, data_dir)
    wizard = view.open_wizard(path)
    qtbot.waitUntil(lambda: wizard.preview is not None, timeout=20000)

    assert wizard.region() == "GB"
    assert preview_rows(wizard)[0][2] == "+442079460018"

    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.region_combo.setCurrentIndex(wizard.region_combo.findData("US"))
    assert preview_rows(wizard)[0][2] != "+442079460018"
    wizard.reject()


def test_empty_file_says_so_and_cannot_be_imported(qtbot, file_db, data_dir, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    wizard = open_wizard(qtbot, data_dir, path)

    assert wizard.status_label.text() == "Nothing to import: The file is empty."
    assert not wizard.import_button.isEnabled()


def test_unreadable_file_fails_inline(qtbot, file_db, data_dir, tmp_path):
    path = tmp_path / "book.csv"
    path.write_bytes(b"PK\x03\x04 zipped workbook")
    wizard = ImportWizard(data_dir, path, "US")
    qtbot.addWidget(wizard)
    with qtbot.waitSignal(wizard.preview_failed, timeout=20000):
        wizard.show()

    assert "book.csv is an Excel workbook" in wizard.status_label.text()
    assert not wizard.import_button.isEnabled()


def test_wizard_import_then_undo_from_past_imports(
    qtbot, file_db, data_dir, tmp_path, boxes
):
    view = make_view(qtbot, file_db, data_dir)
    wizard = view.open_wizard(write_shopify(tmp_path))
    qtbot.waitUntil(lambda: wizard.import_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(wizard.preview_ready, timeout=20000):
        wizard.set_role("Tags", "ignore")

    with qtbot.waitSignal(view.import_finished, timeout=20000) as blocker:
        qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)

    report = blocker.args[0]
    assert report["imported"] == 3
    assert report["mapping"].get("Tags") is None
    assert view.model.rowCount() == 3
    assert all(c.tags == [] for c in contacts.list_contacts(file_db))
    view.report_dialog.close()

    dialog = view.open_imports_dialog()
    assert dialog.table.rowCount() == 1
    assert cell(dialog.table, 0, 0) == "shop_customers.csv"
    assert cell(dialog.table, 0, 3) == "3"
    assert cell(dialog.table, 0, 6) == "In place"
    assert not dialog.undo_button.isEnabled()
    dialog.select_batch(report["import_id"])
    assert dialog.undo_button.isEnabled()

    boxes.answer = False
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert boxes.kinds() == ["ask"]
    assert view.model.rowCount() == 3

    boxes.answer = True
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert boxes.kinds() == ["ask", "ask"]
    assert "shop_customers.csv" in boxes.calls[-1][1][2]
    assert view.model.rowCount() == 0
    assert contacts.count_contacts(file_db) == 0
    assert cell(dialog.table, 0, 6).startswith("Undone")
    assert view.count_label.text().startswith("No contacts yet")


def test_undo_is_refused_when_a_later_import_changed_the_same_contacts(
    qtbot, file_db, data_dir, tmp_path, contacts_csv, boxes
):
    first = importing.import_file(file_db, contacts_csv, region="US")
    again = tmp_path / "again.csv"
    again.write_text(
        "First Name,Last Name,Email,Company\nAnn,Lee,ann@example.com,Lee Bakery\n",
        encoding="utf-8",
    )
    importing.import_file(file_db, again, region="US")
    dialog = ImportsDialog(file_db)
    qtbot.addWidget(dialog)

    dialog.select_batch(first.import_id)
    assert not dialog.undo_selected()

    assert boxes.kinds() == ["ask", "warn"]
    title, text = boxes.calls[1][1][1:3]
    assert title == "This import cannot be undone"
    assert "again.csv" in text and "undo it first" in text
    assert contacts.count_contacts(file_db) == 5
