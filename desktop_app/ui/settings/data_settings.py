"""Settings → Data: where the data lives, backup and restore, consent proof, JOIN sign.

Backups, the ledger export and the sign are written by workers with their own
database connection. A restore needs every connection closed, so this page only asks
for it (``restore_requested``); the main window closes its database, restores and
opens it again.
"""

import logging
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import paths
from desktop_app.core.words import counted
from desktop_app.errors import KnownError, ValidationError
from desktop_app.storage import settings
from desktop_app.ui import feedback, messages, tasks
from desktop_app.ui.settings import common, texts
from desktop_app.ui.tasks import Task, TaskContext

logger = logging.getLogger(__name__)


class DataSettings(QWidget):
    """Paths, Back up…, Restore…, Export consent ledger…, Print opt-in sign….

    Signals:
        restore_requested(object): the owner confirmed restoring this backup path.
    """

    restore_requested = Signal(object)

    def __init__(
        self, db: sqlite_utils.Database, data_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self.task: Task | None = None

        self.data_dir_label = common.path_label(data_dir)
        self.database_label = common.path_label(paths.database_path(data_dir))
        where = QFormLayout()
        where.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        where.addRow(messages.SETTINGS_DATA_FOLDER, self.data_dir_label)
        where.addRow(messages.SETTINGS_DATABASE, self.database_label)
        where_box = QGroupBox(texts.DATA_WHERE_TITLE)
        where_box.setLayout(where)

        self.backup_button = QPushButton(texts.DATA_BACKUP)
        self.backup_button.setObjectName("primaryButton")
        self.restore_button = QPushButton(texts.DATA_RESTORE)
        self.safety_result = common.result_label()
        safety_box = QGroupBox(texts.DATA_SAFETY_TITLE)
        safety = QVBoxLayout(safety_box)
        safety.addWidget(common.help_label(texts.DATA_SAFETY_INTRO))
        safety.addLayout(_button_row(self.backup_button, self.restore_button))
        safety.addWidget(self.safety_result)

        self.ledger_button = QPushButton(texts.DATA_EXPORT_LEDGER)
        self.sign_number_edit = QLineEdit()
        self.sign_number_edit.setPlaceholderText(texts.DATA_SIGN_NUMBER_PLACEHOLDER)
        self.sign_keyword_edit = QLineEdit("JOIN")
        self.sign_keyword_edit.setMaxLength(20)
        self.sign_keyword_edit.setMaximumWidth(220)
        self.sign_button = QPushButton(texts.DATA_PRINT_SIGN)
        self.proof_result = common.result_label()
        sign_form = QFormLayout()
        sign_form.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow
        )
        sign_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        sign_form.addRow(texts.DATA_SIGN_NUMBER, self.sign_number_edit)
        sign_form.addRow(texts.DATA_SIGN_KEYWORD, self.sign_keyword_edit)
        proof_box = QGroupBox(texts.DATA_PROOF_TITLE)
        proof = QVBoxLayout(proof_box)
        proof.addWidget(common.help_label(texts.DATA_PROOF_INTRO))
        proof.addLayout(sign_form)
        proof.addLayout(_button_row(self.ledger_button, self.sign_button))
        proof.addWidget(self.proof_result)

        scroll, column = common.scrolling_page(where_box, safety_box, proof_box)
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.backup_button.clicked.connect(self._on_backup_button_clicked)
        self.restore_button.clicked.connect(self._on_restore_button_clicked)
        self.ledger_button.clicked.connect(self._on_ledger_button_clicked)
        self.sign_button.clicked.connect(self._on_sign_button_clicked)

    def set_sign_number(self, number: str) -> None:
        """Offer ``number`` (the Twilio sender) for the sign unless one is typed."""
        if number.startswith("+") and not self.sign_number_edit.text().strip():
            self.sign_number_edit.setText(number)

    def backup(self, target: Path) -> Task:
        """Write a consistent copy of the database to ``target`` in the background."""
        database = paths.database_path(self._data_dir)

        def back_up(_context: TaskContext) -> Path:
            from desktop_app.storage.backup import backup_to
            from desktop_app.storage.database import open_database

            db = open_database(database)
            try:
                return backup_to(db, target)
            finally:
                db.close()

        return self._run(
            back_up,
            self.safety_result,
            lambda path: texts.DATA_BACKUP_DONE.format(path=path),
        )

    def request_restore(self, source: Path) -> bool:
        """Ask before replacing the data with ``source``; emit the request if yes."""
        question = texts.DATA_RESTORE_QUESTION.format(path=source)
        if not feedback.ask(
            self,
            texts.DATA_RESTORE,
            question,
            texts.DATA_RESTORE_YES,
            texts.DATA_RESTORE_NO,
        ):
            return False
        self.restore_requested.emit(Path(source))
        return True

    def show_safety_result(self, text: str, ok: bool = True) -> None:
        """Show a line under the backup buttons (used after a restore)."""
        common.show_result(self.safety_result, text, "ok" if ok else "error")

    def export_ledger(self, target: Path) -> Task:
        """Write the consent ledger to ``target`` as CSV in the background."""
        database = paths.database_path(self._data_dir)

        def export(_context: TaskContext) -> tuple[int, Path]:
            from desktop_app.services.compliance import export_ledger
            from desktop_app.storage.database import open_database

            db = open_database(database)
            try:
                return export_ledger(db, target), target
            finally:
                db.close()

        return self._run(
            export,
            self.proof_result,
            lambda result: texts.DATA_LEDGER_DONE.format(
                records=counted(result[0], "consent record"), path=result[1]
            ),
        )

    def make_sign(self, target: Path) -> Task:
        """Draw the opt-in sign into ``target`` (``.png`` or ``.pdf``).

        Once it is saved the keyword is kept, so that a reply with it signs the
        customer up, and a doubtful number (not in use, made up, a landline) is
        named under the buttons; the sign is saved all the same.
        """
        from desktop_app.services import compliance

        shop_name = settings.get_setting(self._db, "shop.name")
        number = self.sign_number_edit.text().strip()
        keyword = self.sign_keyword_edit.text().strip() or "JOIN"
        region = compliance.sign_region(self._db)
        database = paths.database_path(self._data_dir)

        def draw(_context: TaskContext) -> tuple[Path, str | None]:
            from desktop_app.storage.database import open_database

            if not number:
                raise ValidationError(texts.DATA_SIGN_NO_NUMBER)
            path = compliance.make_join_sign(
                shop_name, number, target, keyword=keyword, region=region
            )
            db = open_database(database)
            try:
                compliance.remember_join_keyword(db, keyword)
            finally:
                db.close()
            e164 = compliance.parse_sign_number(number, region)
            return path, compliance.sign_number_warning(e164)

        return self._run(draw, self.proof_result, _sign_done_text, _sign_warned)

    def is_busy(self) -> bool:
        """Return True until a backup, export or sign job's answer has been shown."""
        return self.task is not None

    def _run(self, job: Any, label: Any, done_text: Any, warned: Any = None) -> Task:
        common.show_result(label, texts.SAVING, "busy")
        self._set_buttons_enabled(False)

        def succeeded(result: Any) -> None:
            self.task = None
            self._set_buttons_enabled(True)
            text = done_text(result)
            feedback.status(self, text.splitlines()[0])
            common.show_result(label, text, "ok")
            if warned is not None and warned(result):
                label.setObjectName("warningLabel")
                label.style().unpolish(label)
                label.style().polish(label)

        def failed(error: BaseException) -> None:
            self.task = None
            self._set_buttons_enabled(True)
            if isinstance(error, KnownError):
                logger.info("%s", error.message)
                common.show_result(label, error.message, "error")
                return
            common.show_result(label, "", "busy")
            feedback.report_error(self, messages.GENERIC_ERROR_TITLE, error)

        self.task = tasks.run_in_background(
            job, on_success=succeeded, on_error=failed, parent=self
        )
        return self.task

    def _set_buttons_enabled(self, enabled: bool) -> None:
        for button in (
            self.backup_button,
            self.restore_button,
            self.ledger_button,
            self.sign_button,
        ):
            button.setEnabled(enabled)

    @Slot()
    def _on_backup_button_clicked(self) -> None:
        suggested = Path.home() / f"duet-backup-{date.today().isoformat()}.sqlite3"
        name, _ = QFileDialog.getSaveFileName(
            self, texts.DATA_BACKUP_TITLE, str(suggested), texts.DATA_BACKUP_FILTER
        )
        if name:
            self.backup(Path(name))

    @Slot()
    def _on_restore_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, texts.DATA_RESTORE_TITLE, str(Path.home()), texts.DATA_BACKUP_FILTER
        )
        if name:
            self.request_restore(Path(name))

    @Slot()
    def _on_ledger_button_clicked(self) -> None:
        suggested = Path.home() / f"consent-ledger-{date.today().isoformat()}.csv"
        name, _ = QFileDialog.getSaveFileName(
            self, texts.DATA_LEDGER_TITLE, str(suggested), texts.DATA_LEDGER_FILTER
        )
        if name:
            self.export_ledger(Path(name))

    @Slot()
    def _on_sign_button_clicked(self) -> None:
        suggested = Path.home() / "join-sign.pdf"
        name, chosen = QFileDialog.getSaveFileName(
            self, texts.DATA_SIGN_TITLE, str(suggested), texts.DATA_SIGN_FILTER
        )
        if not name:
            return
        target = Path(name)
        if target.suffix.lower() not in (".png", ".pdf"):
            target = target.with_suffix(".png" if "png" in chosen else ".pdf")
        self.make_sign(target)


def _sign_done_text(result: tuple[Path, str | None]) -> str:
    path, warning = result
    done = texts.DATA_SIGN_DONE.format(path=path)
    return done if warning is None else f"{done}\n{texts.DATA_SIGN_WARNING}{warning}"


def _sign_warned(result: tuple[Path, str | None]) -> bool:
    return result[1] is not None


def _button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row
