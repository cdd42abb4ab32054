"""The Contacts page: the customer table, a type-ahead filter, a tag filter, import."""

import logging
from pathlib import Path
from typing import Any

import sqlite_utils

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app import paths
from desktop_app.storage import contacts
from desktop_app.ui import feedback, messages
from desktop_app.ui.contacts.contact_table_model import ContactTableModel
from desktop_app.ui.contacts.import_report_dialog import ImportReportDialog
from desktop_app.ui.tasks import Task, TaskContext, run_in_background
from desktop_app.ui.widgets.progress_panel import ProgressPanel

logger = logging.getLogger(__name__)

FILTER_DELAY_MS = 150


class ContactsView(QWidget):
    """Lists contacts and imports new ones.

    Signals:
        import_finished(object): the import's report as a JSON-ready dict.
        contacts_changed(): contacts were added or changed.
    """

    import_finished = Signal(object)
    contacts_changed = Signal()

    def __init__(
        self, db: sqlite_utils.Database, data_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self.import_task: Task | None = None
        self.report_dialog: ImportReportDialog | None = None
        self._import_name = ""

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(messages.CONTACTS_FILTER_PLACEHOLDER)
        self.filter_edit.setClearButtonEnabled(True)
        self.tag_combo = QComboBox()
        self.tag_combo.setMinimumContentsLength(14)
        self.tag_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.import_button = QPushButton(messages.CONTACTS_IMPORT_BUTTON)
        self.import_button.setObjectName("primaryButton")
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")

        self.model = ContactTableModel(db, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(60)
        for column, width in enumerate((0, 115, 90, 0, 100, 100, 105)):
            if width:
                header.resizeSection(column, width)
        # Names and emails share whatever width the window has.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        self.progress = ProgressPanel()

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.tag_combo)
        top.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self._filter_timer.timeout.connect(self._on_filter_timer_timeout)
        self.tag_combo.currentIndexChanged.connect(self._on_tag_combo_changed)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.progress.cancel_requested.connect(self._on_progress_cancel_requested)
        self._fill_tags()
        self._update_count()

    def refresh(self) -> None:
        """Read contacts and tags again from the database."""
        self._fill_tags()
        self.model.reload()
        self._update_count()

    def start_import(self, path: Path) -> Task:
        """Import ``path`` in the background, with progress and Cancel."""
        data_dir = self._data_dir

        def job(context: TaskContext) -> dict[str, Any]:
            from desktop_app.services import importing
            from desktop_app.storage.database import open_database

            db = open_database(paths.database_path(data_dir))
            try:
                report = importing.import_file(
                    db, path, progress=context.progress, cancel=context.cancelled
                )
            finally:
                db.close()
            return dict(report.to_json())

        self._import_name = path.name
        self.import_button.setEnabled(False)
        self.progress.start(messages.IMPORT_RUNNING.format(file=path.name))
        self.import_task = run_in_background(
            job,
            on_success=self._on_import_succeeded,
            on_error=self._on_import_failed,
            on_progress=self._on_import_progressed,
            parent=self,
        )
        return self.import_task

    def is_busy(self) -> bool:
        """Return True while an import runs."""
        return self.import_task is not None and self.import_task.is_running()

    def _fill_tags(self) -> None:
        current = self.tag_combo.currentData()
        self.tag_combo.blockSignals(True)
        self.tag_combo.clear()
        self.tag_combo.addItem(messages.CONTACTS_ALL_TAGS, None)
        for tag in contacts.all_tags(self._db):
            self.tag_combo.addItem(tag, tag)
        index = self.tag_combo.findData(current) if current else 0
        self.tag_combo.setCurrentIndex(max(index, 0))
        self.tag_combo.blockSignals(False)

    def _apply_filter(self) -> None:
        self.model.set_filter(self.filter_edit.text(), self.tag_combo.currentData())
        self._update_count()

    def _update_count(self) -> None:
        if self.model.total == 0:
            self.count_label.setText(messages.CONTACTS_EMPTY)
            return
        self.count_label.setText(
            messages.CONTACTS_COUNT.format(
                shown=f"{self.model.rowCount():,}", total=f"{self.model.total:,}"
            )
        )

    def _finish_import(self) -> None:
        self.progress.stop()
        self.import_button.setEnabled(True)

    @Slot(str)
    def _on_filter_edit_text_changed(self, _text: str) -> None:
        self._filter_timer.start()

    @Slot()
    def _on_filter_timer_timeout(self) -> None:
        self._apply_filter()

    @Slot(int)
    def _on_tag_combo_changed(self, _index: int) -> None:
        self._apply_filter()

    @Slot()
    def _on_import_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            messages.IMPORT_CHOOSE_TITLE,
            str(Path.home()),
            messages.IMPORT_FILE_FILTER,
        )
        if name:
            self.start_import(Path(name))

    @Slot()
    def _on_progress_cancel_requested(self) -> None:
        if self.import_task is not None:
            self.import_task.cancel()

    def _on_import_progressed(self, done: int, total: int) -> None:
        self.progress.set_progress(
            done, total, messages.IMPORT_PROGRESS.format(done=done, total=total)
        )

    def _on_import_succeeded(self, report: dict[str, Any]) -> None:
        self._finish_import()
        self.refresh()
        file_name = Path(str(report.get("file", ""))).name
        feedback.status(
            self,
            messages.IMPORT_DONE.format(
                file=file_name,
                imported=report.get("imported", 0),
                merged=report.get("merged", 0),
                rejected=report.get("rejected", 0),
            ),
        )
        self.report_dialog = ImportReportDialog(report, self)
        self.report_dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.report_dialog.open()
        self.contacts_changed.emit()
        self.import_finished.emit(report)

    def _on_import_failed(self, error: BaseException) -> None:
        cancelled = self.import_task is not None and self.import_task.is_cancelled()
        self._finish_import()
        self.refresh()
        if cancelled:
            feedback.status(
                self, messages.IMPORT_CANCELLED.format(file=self._import_name)
            )
            self.import_finished.emit(None)
            return
        feedback.report_error(self, messages.IMPORT_FAILED_TITLE, error)
        self.import_finished.emit(None)
