"""The import wizard: how Duet reads a file, what each column becomes, a preview.

Opened after the owner picks a file. A worker runs ``importing.preview_file`` (which
writes nothing) on its own connection; the dialog shows the detected exporter,
encoding and delimiter, one combo per column to change its meaning, and the first
rows as they will be stored, rejected rows in red with their reason. Changing a
column or the region re-runs the preview. Import closes the dialog; the Contacts
page then runs the import in the background with the chosen mapping and region.
"""

import logging
from pathlib import Path
from typing import Any

import phonenumbers

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app import paths
from desktop_app.core.contact_import import mapping as column_mapping
from desktop_app.ui import messages
from desktop_app.ui.contacts import texts
from desktop_app.ui.contacts.import_report_dialog import format_name
from desktop_app.ui.tasks import Task, TaskContext, run_in_background

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
_NOTES_MIN_WIDTH = 110
_SAMPLE_BYTES = 256 * 1024
_REJECTED_COLOR = QColor("#b3261e")
# Zip (xlsx) and OLE (xls) workbooks: not text, never mapped.
_BINARY_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_CONSENT_RANK = {"opted_out": 3, "opted_in": 2, "unknown": 1}


def preview_job(
    data_dir: Path, path: Path, region: str, overrides: dict[str, str]
) -> dict[str, Any]:
    """Return the preview of ``path`` plus delimiter, examples and consent per row.

    Runs on a worker thread with its own database connection; writes nothing.
    """
    from desktop_app.errors import ValidationError
    from desktop_app.services import importing
    from desktop_app.storage.database import open_database

    db = open_database(paths.database_path(data_dir))
    try:
        preview = importing.preview_file(
            db, path, region=region, mapping_overrides=overrides, limit=PREVIEW_ROWS
        )
    except ValidationError as error:
        # A CSV whose columns were not recognised still gets its mapping shown,
        # so the owner can say which column holds what.
        result = _csv_mapping_only(path, overrides)
        if result is None:
            raise
        result["error"] = error.message
        return result
    finally:
        db.close()
    result = preview.to_json()
    result.update(_csv_extras(path, result, overrides))
    return result


def _sample_table(path: Path) -> Any:
    from desktop_app.core.contact_import import reading
    from desktop_app.core.contact_import.csv_records import split_csv

    try:
        with path.open("rb") as handle:
            data = handle.read(_SAMPLE_BYTES)
    except OSError:
        return None
    if data.startswith(_BINARY_STARTS) or b"\x00\x00" in data[:4096]:
        return None
    if "BEGIN:VCARD" in data[:4096].decode("latin-1").upper():
        return None
    text, _ = reading.decode_bytes(data)
    return split_csv(text)


def _csv_mapping_only(path: Path, overrides: dict[str, str]) -> dict[str, Any] | None:
    table = _sample_table(path)
    if table is None or not table.header:
        return None
    mapping = column_mapping.build_mapping(table.header, overrides)
    result: dict[str, Any] = {
        "file": path.name,
        "format": mapping.format,
        "layout": mapping.layout,
        "encoding": None,
        "message": None,
        "header": table.header,
        "mapping": mapping.to_json(),
        "rows": [],
    }
    result.update(_csv_extras(path, result, overrides))
    return result


def _csv_extras(
    path: Path, preview: dict[str, Any], overrides: dict[str, str]
) -> dict[str, Any]:
    """Read the file's start again for the delimiter, an example per column and
    the consent each previewed row carries (the preview leaves these out)."""
    if preview["format"] == "vcard" or not preview["header"]:
        return {}
    table = _sample_table(path)
    if table is None:
        return {}
    mapping = column_mapping.build_mapping(table.header, overrides)
    examples = [""] * len(table.header)
    consent: dict[int, dict[str, str]] = {}
    for number, cells in enumerate(table.records(), start=1):
        if number > PREVIEW_ROWS * 3:
            break
        for index, cell in enumerate(cells[: len(examples)]):
            if not examples[index] and cell.strip():
                examples[index] = " ".join(cell.split())[:60]
        record = column_mapping.row_to_record(cells, mapping, number)
        chosen: dict[str, str] = {}
        for value in record.consent:
            current = chosen.get(value.channel)
            if current is None or _CONSENT_RANK[value.status] > _CONSENT_RANK[current]:
                chosen[value.channel] = value.status
        consent[number] = chosen
    return {"delimiter": table.delimiter, "examples": examples, "consent": consent}


def _role_items(detected: str) -> list[tuple[str, str]]:
    """Return (label, role) pairs for a column's combo; a detected extra field first."""
    items = [(texts.ROLE_LABELS[role], role) for role in column_mapping.ROLES]
    if detected.startswith("custom:"):
        name = detected[7:]
        items.insert(0, (texts.CUSTOM_ROLE.format(name=name), detected))
    return items


def detected_role(mapping: dict[str, Any], header: str) -> str:
    """Return the role the service detected for ``header`` (``ignore`` when unmapped).

    The stored mapping reads ``role`` or ``role (label)``; an extra field becomes
    ``custom:<label>``, the form the service accepts back.
    """
    value = str(mapping.get(header) or "ignore")
    role, _, label = value.partition(" (")
    label = label.rstrip(")")
    if role == "custom":
        return f"custom:{label}"
    return role


class ImportWizard(QDialog):
    """Shows how a file will be read and lets the owner change the mapping.

    Signals:
        preview_ready(): a preview was shown (after each run).
        preview_failed(object): the file cannot be read (the error).
    """

    preview_ready = Signal()
    preview_failed = Signal(object)

    def __init__(
        self,
        data_dir: Path,
        path: Path,
        default_region: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self.path = Path(path)
        self._overrides: dict[str, str] = {}
        self._detected: dict[str, str] = {}
        self._generation = 0
        self.preview: dict[str, Any] | None = None
        self.preview_task: Task | None = None
        self.resize(980, 640)

        self.file_label = QLabel()
        self.file_label.setObjectName("wizardFile")
        self.other_button = QPushButton(texts.WIZARD_CHOOSE_OTHER)
        self.region_combo = QComboBox()
        self.region_combo.setMinimumContentsLength(18)
        for code in sorted(phonenumbers.SUPPORTED_REGIONS):
            prefix = phonenumbers.country_code_for_region(code)
            self.region_combo.addItem(f"{code} (+{prefix})", code)
        index = self.region_combo.findData(default_region.upper())
        self.region_combo.setCurrentIndex(max(index, 0))

        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setObjectName("mutedLabel")

        self.mapping_table = QTableWidget(0, len(texts.MAPPING_COLUMNS))
        self.mapping_table.setHorizontalHeaderLabels(texts.MAPPING_COLUMNS)
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.mapping_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 230)
        header.resizeSection(2, 230)
        self.mapping_hint = QLabel(texts.WIZARD_MAPPING_HINT)
        self.mapping_hint.setObjectName("mutedLabel")

        self.preview_table = QTableWidget(0, len(texts.PREVIEW_COLUMNS))
        self.preview_table.setHorizontalHeaderLabels(texts.PREVIEW_COLUMNS)
        self.preview_table.verticalHeader().setVisible(False)
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setWordWrap(False)
        preview_header = self.preview_table.horizontalHeader()
        preview_header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        preview_header.setStretchLastSection(True)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("mutedLabel")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setObjectName("errorLabel")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(
            texts.WIZARD_IMPORT, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setObjectName("primaryButton")
        self.import_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.other_button)
        region_row = QHBoxLayout()
        region_row.addWidget(QLabel(texts.WIZARD_REGION))
        region_row.addWidget(self.region_combo)
        region_row.addStretch(1)

        mapping_box = QWidget()
        mapping_layout = QVBoxLayout(mapping_box)
        mapping_layout.setContentsMargins(0, 0, 0, 0)
        mapping_title = QHBoxLayout()
        mapping_title.addWidget(QLabel(f"<b>{texts.WIZARD_MAPPING_HEADER}</b>"))
        mapping_title.addWidget(self.mapping_hint, 1)
        mapping_layout.addLayout(mapping_title)
        mapping_layout.addWidget(self.mapping_table)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_title = QHBoxLayout()
        preview_title.addWidget(QLabel(f"<b>{texts.WIZARD_PREVIEW_HEADER}</b>"))
        preview_title.addWidget(self.counts_label, 1)
        preview_layout.addLayout(preview_title)
        preview_layout.addWidget(self.preview_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(mapping_box)
        splitter.addWidget(preview_box)
        splitter.setSizes([260, 300])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(region_row)
        layout.addWidget(self.info_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.other_button.clicked.connect(self._on_other_button_clicked)
        self.region_combo.currentIndexChanged.connect(self._on_region_changed)
        self._set_file(self.path)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.preview_table.rowCount():
            # After the layout has given the table its new size.
            QTimer.singleShot(0, self._fit_preview_columns)

    # What the Contacts page reads after Import -----------------------------------

    def region(self) -> str:
        """Return the chosen country for numbers without a +code."""
        return str(self.region_combo.currentData())

    def overrides(self) -> dict[str, str]:
        """Return header -> role for every column the owner changed."""
        return dict(self._overrides)

    def set_role(self, header: str, role: str) -> None:
        """Give the column ``header`` the meaning ``role`` (as its combo would)."""
        for row in range(self.mapping_table.rowCount()):
            item = self.mapping_table.item(row, 0)
            if item is not None and item.text() == header:
                combo = self.mapping_table.cellWidget(row, 2)
                assert isinstance(combo, QComboBox)
                combo.setCurrentIndex(combo.findData(role))
                return
        raise KeyError(header)

    def role_of(self, header: str) -> str:
        """Return the meaning the column ``header`` has now."""
        return self._overrides.get(header) or self._detected.get(header, "ignore")

    # Running the preview ----------------------------------------------------------

    def refresh_preview(self) -> Task:
        """Run the preview again with the current file, region and mapping."""
        self._generation += 1
        generation = self._generation
        data_dir, path = self._data_dir, self.path
        region, overrides = self.region(), self.overrides()

        def job(_context: TaskContext) -> dict[str, Any]:
            return preview_job(data_dir, path, region, overrides)

        self.import_button.setEnabled(False)
        self._show_status(texts.WIZARD_READING.format(file=path.name), error=False)
        self.preview_task = run_in_background(
            job,
            on_success=lambda result: self._on_preview_succeeded(generation, result),
            on_error=lambda error: self._on_preview_failed(generation, error),
            parent=self,
        )
        return self.preview_task

    def _set_file(self, path: Path) -> None:
        self.path = Path(path)
        self._overrides.clear()
        self._detected.clear()
        self.setWindowTitle(texts.WIZARD_TITLE.format(file=self.path.name))
        self.file_label.setText(f"<b>{self.path.name}</b>")
        self.file_label.setToolTip(str(self.path))
        self.mapping_table.setRowCount(0)
        self.preview_table.setRowCount(0)
        self.refresh_preview()

    def _on_preview_succeeded(self, generation: int, result: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        self.preview = result
        self._show_status(str(result.get("error") or ""), error=True)
        self._show_info(result)
        if not self._detected:
            self._fill_mapping(result)
        self._fill_preview(result)
        self._update_import_button(result)
        self.preview_ready.emit()

    def _on_preview_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.preview = None
        message = getattr(error, "message", None)
        if message is None:
            logger.error("preview failed: %r", error)
            message = messages.GENERIC_ERROR_TITLE
        self._show_status(str(message), error=True)
        self.preview_table.setRowCount(0)
        self.counts_label.setText("")
        self.import_button.setEnabled(False)
        self.preview_failed.emit(error)

    # Showing it -------------------------------------------------------------------

    def _show_info(self, result: dict[str, Any]) -> None:
        fmt = str(result.get("format") or "generic")
        parts = [texts.WIZARD_DETECTED.format(format=format_name(fmt))]
        if result.get("encoding"):
            parts.append(texts.WIZARD_ENCODING.format(encoding=result["encoding"]))
        delimiter = result.get("delimiter")
        if delimiter:
            name = texts.DELIMITER_NAMES.get(delimiter, f"“{delimiter}”")
            parts.append(texts.WIZARD_DELIMITER.format(delimiter=name))
        self.info_label.setText(" · ".join(parts))

    def _fill_mapping(self, result: dict[str, Any]) -> None:
        header = [str(name) for name in result.get("header") or []]
        mapping = dict(result.get("mapping") or {})
        examples = list(result.get("examples") or [])
        vcard = result.get("format") == "vcard"
        self.mapping_hint.setText(
            texts.WIZARD_VCARD_MAPPING if vcard else texts.WIZARD_MAPPING_HINT
        )
        self.mapping_table.setRowCount(len(header))
        for row, name in enumerate(header):
            role = detected_role(mapping, name)
            self._detected[name] = role
            name_item = QTableWidgetItem(name)
            name_item.setToolTip(name)
            self.mapping_table.setItem(row, 0, name_item)
            example = examples[row] if row < len(examples) else ""
            example_item = QTableWidgetItem(example)
            example_item.setToolTip(example)
            self.mapping_table.setItem(row, 1, example_item)
            combo = QComboBox()
            for label, value in _role_items(role):
                combo.addItem(label, value)
            combo.setCurrentIndex(max(combo.findData(role), 0))
            combo.currentIndexChanged.connect(
                lambda _index, header_name=name, box=combo: self._on_role_changed(
                    header_name, box
                )
            )
            self.mapping_table.setCellWidget(row, 2, combo)
        self.mapping_table.resizeRowsToContents()

    def _fill_preview(self, result: dict[str, Any]) -> None:
        rows = list(result.get("rows") or [])
        consent = {int(k): v for k, v in dict(result.get("consent") or {}).items()}
        self.preview_table.clearSpans()
        self.preview_table.setRowCount(len(rows))
        rejected = 0
        for index, row in enumerate(rows):
            number = int(row.get("row") or 0)
            self.preview_table.setItem(index, 0, QTableWidgetItem(str(number)))
            if row.get("rejected"):
                rejected += 1
                reason = texts.REJECTED.format(reason=row["rejected"])
                item = QTableWidgetItem(reason)
                item.setForeground(QBrush(_REJECTED_COLOR))
                item.setToolTip(reason)
                self.preview_table.setItem(index, 1, item)
                self.preview_table.setSpan(index, 1, 1, len(texts.PREVIEW_COLUMNS) - 1)
                self.preview_table.item(index, 0).setForeground(QBrush(_REJECTED_COLOR))
                continue
            cells = _preview_cells(row, consent.get(number, {}))
            for column, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.preview_table.setItem(index, column, item)
        self._fit_preview_columns()
        QTimer.singleShot(0, self._fit_preview_columns)
        shown = len(rows)
        self.counts_label.setText(
            texts.WIZARD_PREVIEW_COUNTS.format(
                kept=shown - rejected, shown=shown, rejected=rejected
            )
            if shown
            else ""
        )

    def _fit_preview_columns(self) -> None:
        """Size columns to their text; squeeze name, emails and tags to fit."""
        table = self.preview_table
        table.resizeColumnsToContents()
        header = table.horizontalHeader()
        last = table.columnCount() - 1
        flexible = (1, 3, 6)
        fixed = sum(header.sectionSize(c) for c in range(last) if c not in flexible)
        notes = max(header.minimumSectionSize(), _NOTES_MIN_WIDTH)
        room = table.viewport().width() - 2 - fixed - notes
        wanted = sum(header.sectionSize(c) for c in flexible)
        if wanted > room > 0:
            for column in flexible:
                width = header.sectionSize(column) * room // wanted
                header.resizeSection(column, max(width, 80))

    def _update_import_button(self, result: dict[str, Any]) -> None:
        if result.get("message"):
            message = texts.WIZARD_NOTHING.format(message=result["message"])
            self._show_status(message, error=True)
            self.import_button.setEnabled(False)
            return
        usable = any(not row.get("rejected") for row in result.get("rows") or [])
        self.import_button.setEnabled(usable and not result.get("error"))

    def _show_status(self, text: str, *, error: bool) -> None:
        self.status_label.setObjectName("errorLabel" if error else "mutedLabel")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    # Reacting ---------------------------------------------------------------------

    def _on_role_changed(self, header: str, combo: QComboBox) -> None:
        role = str(combo.currentData())
        if role == self._detected.get(header):
            self._overrides.pop(header, None)
        else:
            self._overrides[header] = role
        self.refresh_preview()

    @Slot(int)
    def _on_region_changed(self, _index: int) -> None:
        self.refresh_preview()

    @Slot()
    def _on_other_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            messages.IMPORT_CHOOSE_TITLE,
            str(self.path.parent),
            messages.IMPORT_FILE_FILTER,
        )
        if name:
            self._set_file(Path(name))


def _preview_cells(row: dict[str, Any], consent: dict[str, str]) -> list[str]:
    first = str(row.get("first_name") or "")
    last = str(row.get("last_name") or "")
    name = str(row.get("full_name") or "") or f"{first} {last}".strip()
    name = name or str(row.get("company") or "")
    phones = []
    for entry in row.get("phones") or []:
        number = entry.get("e164") or entry.get("raw") or ""
        if entry.get("extension"):
            number += f" ext. {entry['extension']}"
        phones.append(number)
    sms = consent.get("sms")
    email = consent.get("email")
    return [
        name,
        ", ".join(phones),
        ", ".join(str(address) for address in row.get("emails") or []),
        texts.CONSENT_SHORT.get(sms, "") if sms else "",
        texts.CONSENT_SHORT.get(email, "") if email else "",
        ", ".join(str(tag) for tag in row.get("tags") or []),
        " ".join(str(warning) for warning in row.get("warnings") or []),
    ]
