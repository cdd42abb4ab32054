"""The Contacts page: the customer table, filters, import, edit, tag and delete.

Import goes file dialog → :class:`ImportWizard` (mapping and preview) → background
import with progress and Cancel → report. "Past imports…" lists batches and undoes
one. The table allows many rows to be selected for tagging and deleting; a double
click opens the contact's page (consent ledger, messages).
"""

import logging
from pathlib import Path
from typing import Any

import sqlite_utils

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal, Slot
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
from desktop_app.errors import KnownError
from desktop_app.services import contacts as contact_service
from desktop_app.storage import contacts
from desktop_app.storage.settings import get_setting
from desktop_app.ui import feedback, messages
from desktop_app.ui.contacts import texts
from desktop_app.ui.contacts.contact_detail_view import ContactDetailDialog
from desktop_app.ui.contacts.contact_dialog import ContactDialog, TagDialog
from desktop_app.ui.contacts.contact_table_model import ContactTableModel
from desktop_app.ui.contacts.import_report_dialog import ImportReportDialog
from desktop_app.ui.contacts.import_wizard import ImportWizard
from desktop_app.ui.contacts.imports_dialog import ImportsDialog
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
        self.wizard: ImportWizard | None = None
        self.imports_dialog: ImportsDialog | None = None
        self.edit_dialog: ContactDialog | None = None
        self.detail_dialog: ContactDetailDialog | None = None
        self.tag_dialog: TagDialog | None = None
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
        self.imports_button = QPushButton(texts.PAST_IMPORTS_BUTTON)
        self.export_button = QPushButton(texts.EXPORT_BUTTON)
        self.export_button.setToolTip(texts.EXPORT_TOOLTIP)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")
        self.details_button = QPushButton(texts.DETAILS_BUTTON)
        self.edit_button = QPushButton(texts.EDIT_BUTTON)
        self.tag_button = QPushButton(texts.TAG_BUTTON)
        self.untag_button = QPushButton(texts.UNTAG_BUTTON)
        self.delete_button = QPushButton(texts.DELETE_BUTTON)
        self.selection_label = QLabel()
        self.selection_label.setObjectName("mutedLabel")

        self.model = ContactTableModel(db, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
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
        top.addWidget(self.export_button)
        top.addWidget(self.imports_button)
        top.addWidget(self.import_button)
        actions = QHBoxLayout()
        for button in (
            self.details_button,
            self.edit_button,
            self.tag_button,
            self.untag_button,
            self.delete_button,
        ):
            actions.addWidget(button)
        actions.addWidget(self.selection_label)
        actions.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addLayout(actions)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self._filter_timer.timeout.connect(self._on_filter_timer_timeout)
        self.tag_combo.currentIndexChanged.connect(self._on_tag_combo_changed)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.imports_button.clicked.connect(self._on_imports_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.details_button.clicked.connect(self._on_details_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.tag_button.clicked.connect(self._on_tag_button_clicked)
        self.untag_button.clicked.connect(self._on_untag_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._on_selection_changed)
        self.progress.cancel_requested.connect(self._on_progress_cancel_requested)
        self._fill_tags()
        self._update_count()
        self._on_selection_changed()

    def refresh(self) -> None:
        """Read contacts and tags again from the database."""
        self._fill_tags()
        self.model.reload()
        self._update_count()

    def default_region(self) -> str:
        """Return the Settings country for numbers without a +code."""
        return get_setting(self._db, "phones.default_region") or "US"

    def open_wizard(self, path: Path) -> ImportWizard:
        """Show the import wizard for ``path`` (non-blocking); Import starts it."""
        wizard = ImportWizard(self._data_dir, path, self.default_region(), self)
        wizard.setWindowModality(Qt.WindowModality.WindowModal)
        wizard.accepted.connect(lambda: self._on_wizard_accepted(wizard))
        self.wizard = wizard
        wizard.open()
        return wizard

    def start_import(
        self,
        path: Path,
        *,
        region: str | None = None,
        mapping_overrides: dict[str, str] | None = None,
    ) -> Task:
        """Import ``path`` in the background, with progress and Cancel."""
        data_dir = self._data_dir
        overrides = dict(mapping_overrides or {})

        def job(context: TaskContext) -> dict[str, Any]:
            from desktop_app.services import importing
            from desktop_app.storage.database import open_database

            db = open_database(paths.database_path(data_dir))
            try:
                report = importing.import_file(
                    db,
                    path,
                    region=region,
                    progress=context.progress,
                    cancel=context.cancelled,
                    mapping_overrides=overrides or None,
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

    def selected_ids(self) -> list[int]:
        """Return the ids of the selected contacts, in table order."""
        rows = sorted(
            index.row() for index in self.table.selectionModel().selectedRows()
        )
        found = (self.model.contact_at(row) for row in rows)
        return [contact.id for contact in found if contact is not None]

    def open_imports_dialog(self) -> ImportsDialog:
        """Show the past imports (non-blocking)."""
        dialog = ImportsDialog(self._db, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.import_undone.connect(self._on_import_undone)
        self.imports_dialog = dialog
        dialog.open()
        return dialog

    def open_detail(self, contact_id: int) -> ContactDetailDialog:
        """Show one contact's page (non-blocking)."""
        dialog = ContactDetailDialog(self._db, contact_id, self.default_region(), self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.contact_changed.connect(self._on_contact_edited)
        self.detail_dialog = dialog
        dialog.open()
        return dialog

    def open_edit_dialog(self) -> ContactDialog | None:
        """Edit the first selected contact (non-blocking)."""
        ids = self.selected_ids()
        if not ids:
            feedback.status(self, texts.SELECT_FIRST)
            return None
        contact = contacts.get_contact(self._db, ids[0])
        dialog = ContactDialog(self._db, contact, self.default_region(), self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.saved.connect(self._on_contact_saved)
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def open_tag_dialog(self, *, remove: bool = False) -> TagDialog | None:
        """Ask for a tag to add to (or remove from) the selected contacts."""
        ids = self.selected_ids()
        if not ids:
            feedback.status(self, texts.SELECT_FIRST)
            return None
        title = (texts.UNTAG_TITLE if remove else texts.TAG_TITLE).format(
            count=len(ids)
        )
        dialog = TagDialog(title, contacts.all_tags(self._db), self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self.change_tag(ids, dialog.tag(), remove))
        self.tag_dialog = dialog
        dialog.open()
        return dialog

    def change_tag(self, ids: list[int], tag: str, remove: bool) -> int:
        """Add ``tag`` to (or take it off) the contacts ``ids``; return how many."""
        try:
            if remove:
                count = contact_service.remove_tag(self._db, ids, tag)
            else:
                count = contact_service.add_tag(self._db, ids, tag)
        except KnownError as error:
            feedback.warn(self, messages.GENERIC_ERROR_TITLE, error.message)
            return 0
        text = texts.TAG_REMOVED if remove else texts.TAG_ADDED
        feedback.status(self, text.format(tag=tag.strip(), count=count))
        self.refresh()
        self.contacts_changed.emit()
        return count

    def delete_selected(self) -> contact_service.DeleteResult | None:
        """Ask, then delete the selected contacts (opted-out ones are kept)."""
        ids = self.selected_ids()
        if not ids:
            feedback.status(self, texts.SELECT_FIRST)
            return None
        if len(ids) == 1:
            name = contacts.get_contact(self._db, ids[0]).display_name
            question = texts.DELETE_QUESTION_ONE.format(name=name)
        else:
            question = texts.DELETE_QUESTION.format(count=len(ids))
        if not feedback.ask(
            self, texts.DELETE_TITLE, question, texts.DELETE_YES, texts.DELETE_NO
        ):
            return None
        result = contact_service.delete_contacts(self._db, ids)
        feedback.status(self, texts.DELETE_DONE.format(deleted=len(result.deleted)))
        if result.kept:
            names = "\n".join(
                f"• {contacts.get_contact(self._db, contact_id).display_name}: {why}"
                for contact_id, why in list(result.kept.items())[:10]
            )
            feedback.inform(
                self,
                texts.DELETE_KEPT_TITLE,
                texts.DELETE_KEPT.format(count=len(result.kept), names=names),
            )
        self.refresh()
        self.contacts_changed.emit()
        return result

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
            self.open_wizard(Path(name))

    def _on_wizard_accepted(self, wizard: ImportWizard) -> None:
        self.start_import(
            wizard.path, region=wizard.region(), mapping_overrides=wizard.overrides()
        )

    def export_to(self, path: Path) -> int:
        """Write the contacts the filter shows to a spreadsheet-safe CSV file."""
        written = contact_service.export_contacts_csv(
            self._db,
            path,
            tag=self.tag_combo.currentData(),
            search=self.filter_edit.text().strip() or None,
        )
        feedback.status(self, texts.EXPORT_DONE.format(count=written, path=path))
        return written

    @Slot()
    def _on_export_button_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, texts.EXPORT_BUTTON, str(Path.home() / "contacts.csv"), "CSV (*.csv)"
        )
        if not name:
            return
        try:
            self.export_to(Path(name))
        except KnownError as error:
            feedback.warn(self, texts.EXPORT_BUTTON, error.message)

    @Slot()
    def _on_imports_button_clicked(self) -> None:
        self.open_imports_dialog()

    def _on_import_undone(self, _import_id: int) -> None:
        self.refresh()
        self.contacts_changed.emit()

    @Slot()
    def _on_details_button_clicked(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.open_detail(ids[0])
        else:
            feedback.status(self, texts.SELECT_FIRST)

    @Slot()
    def _on_edit_button_clicked(self) -> None:
        self.open_edit_dialog()

    @Slot()
    def _on_tag_button_clicked(self) -> None:
        self.open_tag_dialog()

    @Slot()
    def _on_untag_button_clicked(self) -> None:
        self.open_tag_dialog(remove=True)

    @Slot()
    def _on_delete_button_clicked(self) -> None:
        self.delete_selected()

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        contact = self.model.contact_at(index.row())
        if contact is not None:
            self.open_detail(contact.id)

    @Slot()
    def _on_selection_changed(self, *_args: object) -> None:
        count = len(self.table.selectionModel().selectedRows())
        for button in (self.details_button, self.edit_button):
            button.setEnabled(count == 1)
        for button in (self.tag_button, self.untag_button, self.delete_button):
            button.setEnabled(count > 0)
        self.selection_label.setText(
            texts.SELECTED_COUNT.format(count=f"{count:,}") if count > 1 else ""
        )

    def _on_contact_saved(self, contact: object) -> None:
        name = getattr(contact, "display_name", "")
        feedback.status(self, texts.EDIT_SAVED.format(name=name))
        self.refresh()
        self.contacts_changed.emit()

    def _on_contact_edited(self, _contact_id: int) -> None:
        self.refresh()
        self.contacts_changed.emit()

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
