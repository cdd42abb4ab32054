"""The common part of the Twilio, email and mailbox forms: buttons, answer line, jobs.

Every keyring access and every network check runs through ``run_in_background``: a
locked keyring may show an unlock prompt and a server may take seconds to answer, and
the window must not freeze meanwhile.
"""

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import KnownError
from desktop_app.ui import feedback, tasks
from desktop_app.ui.settings import common, texts
from desktop_app.ui.tasks import Task, TaskContext

logger = logging.getLogger(__name__)


class CredentialForm(QGroupBox):
    """A titled form whose secret lives in the keyring.

    Subclasses fill ``form`` and the action buttons, and call :meth:`run_job`.

    Signals:
        saved(str): the provider's settings were saved or forgotten.
        answered(str, bool): a job's answer text and whether it went well.
    """

    saved = Signal(str)
    answered = Signal(str, bool)

    def __init__(
        self,
        title: str,
        intro: str,
        save_text: str,
        check_text: str,
        forget_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.has_saved_secret = False
        self.saving_allowed = False
        self.task: Task | None = None

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow
        )
        self.form.setLabelAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.save_button = QPushButton(save_text)
        self.save_button.setObjectName("primaryButton")
        self.save_button.setEnabled(False)
        self.save_button.setToolTip(texts.KEYRING_CHECKING)
        self.check_button = QPushButton(check_text)
        self.forget_button = QPushButton(forget_text)
        self.forget_button.setVisible(False)
        self.result_label = common.result_label()

        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.forget_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        if intro:
            layout.addWidget(common.help_label(intro))
        layout.addLayout(self.form)
        layout.addLayout(buttons)
        layout.addWidget(self.result_label)

    def secret_edit(self) -> QLineEdit:
        """Return a password field that never shows what is typed."""
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText(texts.NOT_SAVED_PLACEHOLDER)
        return edit

    def add_row(self, label: str, field: QWidget, help_text: str = "") -> None:
        """Add a labelled field, with a muted help line under it when given."""
        if not help_text:
            self.form.addRow(label, field)
            return
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        column.addWidget(common.help_label(help_text))
        self.form.addRow(label, box)

    def show_saved_secret(self, edit: QLineEdit, saved: bool) -> None:
        """Say in the field's placeholder whether a secret is saved; never show it."""
        self.has_saved_secret = saved
        edit.clear()
        edit.setPlaceholderText(
            texts.SAVED_PLACEHOLDER if saved else texts.NOT_SAVED_PLACEHOLDER
        )
        self.forget_button.setVisible(saved)

    def set_saving_allowed(self, allowed: bool, reason: str = "") -> None:
        """Enable or disable saving, with ``reason`` as the disabled button's tip."""
        self.saving_allowed = allowed
        self.save_button.setToolTip("" if allowed else reason)
        self._update_buttons()

    def show_answer(self, text: str, ok: bool) -> None:
        """Show a job's answer under the buttons."""
        common.show_result(self.result_label, text, "ok" if ok else "error")
        self.answered.emit(text, ok)

    def run_job(
        self,
        job: Callable[[TaskContext], Any],
        busy_text: str,
        on_done: Callable[[Any], str],
    ) -> Task:
        """Run ``job`` in the background; show ``on_done(result)`` or the error.

        Args:
            job: the blocking work (keyring, network); never touches widgets.
            busy_text: shown while it runs.
            on_done: turns the result into the answer text (GUI thread).

        Returns:
            The running task.
        """
        common.show_result(self.result_label, busy_text, "busy")
        self.task = tasks.run_in_background(
            job,
            on_success=lambda result: self._job_succeeded(on_done, result),
            on_error=self._job_failed,
            parent=self,
        )
        self._update_buttons()
        return self.task

    def is_busy(self) -> bool:
        """Return True until a save, check or forget job's answer has been shown."""
        return self.task is not None

    def _job_succeeded(self, on_done: Callable[[Any], str], result: Any) -> None:
        self.task = None
        self._update_buttons()
        text = on_done(result)
        feedback.status(self, text)
        self.show_answer(text, True)

    def _job_failed(self, error: BaseException) -> None:
        self.task = None
        self._update_buttons()
        if not isinstance(error, KnownError):
            common.show_result(self.result_label, "", "busy")
            feedback.report_error(self, self.title(), error)
            return
        logger.info("%s: %s", self.title(), error.message)
        if error.detail:
            logger.debug("detail: %s", error.detail)
        self.show_answer(error.message, False)

    def _update_buttons(self) -> None:
        busy = self.task is not None
        self.save_button.setEnabled(self.saving_allowed and not busy)
        self.check_button.setEnabled(not busy)
        self.forget_button.setEnabled(self.saving_allowed and not busy)


class KeyringPanel(QWidget):
    """The inline explanation shown when no secure password store is usable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame, self.title_label, self.text_label = common.notice_panel()
        self.title_label.setText(texts.KEYRING_TITLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.frame)
        self.setVisible(False)

    def show_status(self, status: Any, problems: tuple[str, ...] = ()) -> None:
        """Explain what is wrong and how to fix it; hide when all is well."""
        if status.ok and not problems:
            self.setVisible(False)
            return
        reason = status.reason if not status.ok else " ".join(problems)
        if not status.ok and "No secure keyring was found" in reason:
            reason = texts.NO_SECURE_STORE
        self.text_label.setText(f"{reason}\n\n{texts.KEYRING_AFTER}")
        self.setVisible(True)
