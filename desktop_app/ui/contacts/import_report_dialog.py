"""The dialog shown after an import: what came in, what merged, what was refused and why."""

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui import messages


class ImportReportDialog(QDialog):
    """Lists the counts of an import and every rejected row with its reason."""

    def __init__(self, report: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        file_name = str(report.get("file", ""))
        self.setWindowTitle(messages.IMPORT_REPORT_TITLE.format(file=file_name))
        self.resize(720, 480)
        layout = QVBoxLayout(self)

        self.summary_label = QLabel(_summary(report))
        self.summary_label.setWordWrap(True)
        self.summary_label.setObjectName("reportSummary")
        layout.addWidget(self.summary_label)

        rejected = list(report.get("rejected_rows") or [])
        self.rejected_table = _table(
            ["Row", "Field", "Reason"],
            [
                [r.get("row", ""), r.get("field", ""), r.get("reason", "")]
                for r in rejected
            ],
        )
        if rejected:
            layout.addWidget(QLabel(f"<b>{messages.IMPORT_REJECTED_HEADER}</b>"))
            layout.addWidget(self.rejected_table, 2)

        warnings = list(report.get("warnings") or [])
        self.warnings_table = _table(
            ["Row", "Field", "Note"],
            [
                [w.get("row", ""), w.get("field", ""), w.get("message", "")]
                for w in warnings
            ],
        )
        if warnings:
            layout.addWidget(QLabel(f"<b>{messages.IMPORT_WARNINGS_HEADER}</b>"))
            layout.addWidget(self.warnings_table, 1)
        if not rejected and not warnings:
            layout.addStretch(1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


_FORMAT_NAMES = {
    "generic": "a spreadsheet",
    "google": "a Google Contacts export",
    "hubspot": "a HubSpot export",
    "mailchimp": "a Mailchimp export",
    "outlook": "an Outlook export",
    "shopify": "a Shopify export",
    "square": "a Square export",
    "vcard": "a vCard file",
    "woocommerce": "a WooCommerce export",
}


def format_name(fmt: str, *, article: bool = True) -> str:
    """Return the plain name of a detected exporter, e.g. "a Shopify export".

    ``article=False`` drops the "a"/"an" for a table cell ("Shopify export").
    """
    name = _FORMAT_NAMES.get(fmt, fmt)
    if not article:
        name = name.removeprefix("an ").removeprefix("a ")
        name = name[:1].upper() + name[1:]
    return name


def _summary(report: dict[str, Any]) -> str:
    parts = [
        f"{report.get('imported', 0)} new contacts",
        f"{report.get('merged', 0)} merged into existing ones",
        f"{report.get('rejected', 0)} rejected",
    ]
    skipped = report.get("skipped", 0)
    if skipped:
        parts.append(f"{skipped} empty rows skipped")
    text = ", ".join(parts) + "."
    detected = str(report.get("format") or "")
    if detected:
        text = f"Read as {format_name(detected)}: {text}"
    message = report.get("message")
    if message:
        text += f"\n{message}"
    return text


def _table(headers: list[str], rows: list[list[Any]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(True)
    for row_number, values in enumerate(rows):
        for column, value in enumerate(values):
            text = "" if value is None else str(value)
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(row_number, column, item)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    table.resizeRowsToContents()
    return table
