"""What a sales import did: counts in plain words, and the rows it could not use."""

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

from desktop_app.ui.reports import texts


class SalesReportDialog(QDialog):
    """Shows a ``SalesImportReport`` (its summary and its rejected rows)."""

    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(texts.IMPORT_REPORT_TITLE.format(file=report.file))
        self.resize(640, 380)

        self.summary = QLabel(report.summary_text().split("\n  row ")[0])
        self.summary.setWordWrap(True)
        self.rejected = QTableWidget(0, 2)
        self.rejected.setHorizontalHeaderLabels(["Row", "Why it was not imported"])
        self.rejected.verticalHeader().setVisible(False)
        self.rejected.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rejected.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch
        )
        rows: list[dict[str, Any]] = list(report.rejected_rows)
        self.rejected.setRowCount(len(rows))
        for number, row in enumerate(rows):
            self.rejected.setItem(number, 0, QTableWidgetItem(str(row.get("row", ""))))
            reason = QTableWidgetItem(str(row.get("reason", "")))
            reason.setToolTip(reason.text())
            self.rejected.setItem(number, 1, reason)
        heading = QLabel(texts.IMPORT_REJECTED)
        heading.setObjectName("sectionTitle")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        if rows:
            layout.addWidget(heading)
            layout.addWidget(self.rejected, 1)
        else:
            self.rejected.hide()
            layout.addStretch(1)
        layout.addWidget(buttons)
