"""Past imports: every batch with its counts, and "Undo this import"."""

import logging
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from PySide6.QtCore import Signal, Slot
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

from desktop_app.errors import KnownError
from desktop_app.services import importing
from desktop_app.storage import settings
from desktop_app.ui import feedback
from desktop_app.ui.contacts import texts
from desktop_app.ui.contacts.import_report_dialog import format_name

logger = logging.getLogger(__name__)


class ImportsDialog(QDialog):
    """Lists :func:`importing.list_imports` and undoes one on request.

    Signals:
        import_undone(int): the batch id that was undone.
    """

    import_undone = Signal(int)

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.batches: list[importing.ImportBatch] = []
        self.setWindowTitle(texts.IMPORTS_TITLE)
        self.resize(860, 420)

        self.table = QTableWidget(0, len(texts.IMPORTS_COLUMNS))
        self.table.setHorizontalHeaderLabels(texts.IMPORTS_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel(texts.IMPORTS_EMPTY)
        self.empty_label.setObjectName("mutedLabel")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.undo_button = self.buttons.addButton(
            texts.IMPORTS_UNDO, QDialogButtonBox.ButtonRole.ActionRole
        )
        self.undo_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.buttons)

        self.buttons.rejected.connect(self.reject)
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.reload()

    def reload(self) -> None:
        """Read the batches again."""
        self.batches = importing.list_imports(self._db)
        zone = settings.shop_zone(self._db)
        self.table.setRowCount(len(self.batches))
        for row, batch in enumerate(self.batches):
            for column, text in enumerate(_cells(batch, zone)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.empty_label.setVisible(not self.batches)
        self._on_selection_changed()

    def select_batch(self, import_id: int) -> None:
        """Select the row of one batch."""
        for row, batch in enumerate(self.batches):
            if batch.id == import_id:
                self.table.selectRow(row)
                return
        raise KeyError(import_id)

    def selected_batch(self) -> importing.ImportBatch | None:
        """Return the selected batch, if any."""
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if len(rows) != 1:
            return None
        return self.batches[rows.pop()]

    def undo_selected(self) -> bool:
        """Ask, then undo the selected batch; return True when it was undone."""
        batch = self.selected_batch()
        if batch is None or batch.undone_at:
            return False
        report: dict[str, Any] = batch.report
        question = texts.IMPORTS_UNDO_QUESTION.format(
            file=batch.file_name,
            when=settings.shown_time(batch.created_at, settings.shop_zone(self._db)),
            created=report.get("imported", 0),
            updated=report.get("updated", 0),
        )
        if not feedback.ask(
            self,
            texts.IMPORTS_UNDO,
            question,
            texts.IMPORTS_UNDO_YES,
            texts.IMPORTS_UNDO_NO,
        ):
            return False
        try:
            undone = importing.undo_import(self._db, batch.id)
        except KnownError as error:
            feedback.warn(self, texts.IMPORTS_UNDO_REFUSED, error.message)
            return False
        feedback.status(self.parentWidget(), undone.undo_text())
        self.reload()
        self.import_undone.emit(batch.id)
        return True

    @Slot()
    def _on_selection_changed(self) -> None:
        batch = self.selected_batch()
        self.undo_button.setEnabled(batch is not None and not batch.undone_at)

    @Slot()
    def _on_undo_button_clicked(self) -> None:
        self.undo_selected()


def _cells(batch: importing.ImportBatch, zone: ZoneInfo) -> list[str]:
    report = batch.report
    state = (
        texts.IMPORTS_UNDONE.format(when=settings.shown_time(batch.undone_at, zone))
        if batch.undone_at
        else texts.IMPORTS_ACTIVE
    )
    return [
        batch.file_name,
        settings.shown_time(batch.created_at, zone),
        format_name(batch.format, article=False),
        str(report.get("imported", 0)),
        str(report.get("merged", 0)),
        str(report.get("rejected", 0)),
        state,
    ]
