"""The Templates page: write a paired SMS + email, with a live SMS segment counter."""

import logging

import sqlite_utils

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import segments
from desktop_app.core.templates import KNOWN_FIELDS
from desktop_app.errors import ValidationError
from desktop_app.storage import templates
from desktop_app.ui import feedback, messages

logger = logging.getLogger(__name__)

_CULPRIT_COLOUR = QColor("#ffd8a8")


def counter_texts(text: str) -> tuple[str, str, bool]:
    """Return the counter line, the UCS-2 explanation and whether lookalikes exist."""
    count = segments.count_segments(text)
    if count.characters == 0:
        return messages.COUNTER_EMPTY, "", False

    first_line, _, culprit_line = count.summary_text().partition("\n")
    fixable = any(culprit.replacement is not None for culprit in count.culprits)
    return first_line, culprit_line, fixable


class TemplatesView(QWidget):
    """Lists templates and edits one.

    Signals:
        template_saved(str): the name of the template just saved.
        template_deleted(str): the name of the template just deleted.
    """

    template_saved = Signal(str)
    template_deleted = Signal(str)

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db

        self.template_list = QListWidget()
        self.template_list.setMinimumWidth(170)
        self.new_button = QPushButton(messages.TEMPLATES_NEW)
        self.delete_button = QPushButton(messages.TEMPLATES_DELETE)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(messages.TEMPLATES_NAME_PLACEHOLDER)
        self.sms_edit = QPlainTextEdit()
        self.sms_edit.setPlaceholderText(messages.TEMPLATES_SMS_PLACEHOLDER)
        self.sms_edit.setMinimumHeight(80)
        self.sms_edit.setTabChangesFocus(True)
        self.counter_label = QLabel()
        self.counter_label.setObjectName("counterLabel")
        self.counter_label.setWordWrap(True)
        self.culprit_label = QLabel()
        self.culprit_label.setObjectName("warningLabel")
        self.culprit_label.setWordWrap(True)
        self.replace_button = QPushButton(messages.TEMPLATES_REPLACE_LOOKALIKES)
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText(messages.TEMPLATES_SUBJECT_PLACEHOLDER)
        self.body_edit = QPlainTextEdit()
        self.body_edit.setPlaceholderText(messages.TEMPLATES_BODY_PLACEHOLDER)
        self.body_edit.setTabChangesFocus(True)
        self.transactional_check = QCheckBox(messages.TEMPLATES_TRANSACTIONAL)
        self.insert_button = QToolButton()
        self.insert_button.setText(messages.TEMPLATES_INSERT_FIELD)
        self.insert_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.insert_menu = QMenu(self.insert_button)
        for field_name in KNOWN_FIELDS:
            action = QAction("{" + field_name + "}", self.insert_menu)
            action.setData(field_name)
            self.insert_menu.addAction(action)
        self.insert_button.setMenu(self.insert_menu)
        self.save_button = QPushButton(messages.TEMPLATES_SAVE)
        self.save_button.setObjectName("primaryButton")
        self.save_button.setShortcut("Ctrl+S")
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        self._last_editor: QWidget = self.sms_edit

        self._build_layout()
        self._connect()
        self.refresh()
        if self.template_list.count():
            self.template_list.setCurrentRow(0)
        self._update_counter()

    def refresh(self) -> None:
        """Read the template list again, keeping the selection."""
        current = self.name_edit.text().strip()
        self.template_list.blockSignals(True)
        self.template_list.clear()
        for template in templates.list_templates(self._db):
            item = QListWidgetItem(template.name)
            self.template_list.addItem(item)
            if template.name == current:
                self.template_list.setCurrentItem(item)
        self.template_list.blockSignals(False)
        self.delete_button.setEnabled(self.template_list.currentItem() is not None)

    def load(self, name: str) -> None:
        """Show the stored template called ``name`` in the editor."""
        template = templates.get_template(self._db, name)
        self.name_edit.setText(template.name)
        self.sms_edit.setPlainText(template.sms_body)
        self.subject_edit.setText(template.email_subject)
        self.body_edit.setPlainText(template.email_body)
        self.transactional_check.setChecked(template.transactional)
        self._show_error("")
        self.delete_button.setEnabled(True)

    def clear(self) -> None:
        """Start a new, empty template."""
        self.template_list.clearSelection()
        self.template_list.setCurrentItem(None)
        for editor in (self.name_edit, self.subject_edit):
            editor.clear()
        self.sms_edit.clear()
        self.body_edit.clear()
        self.transactional_check.setChecked(False)
        self._show_error("")
        self.delete_button.setEnabled(False)
        self.name_edit.setFocus()

    def save(self) -> bool:
        """Save the editor's template; show the problem inline when it is refused."""
        try:
            template = templates.save_template(
                self._db,
                name=self.name_edit.text(),
                sms_body=self.sms_edit.toPlainText(),
                email_subject=self.subject_edit.text(),
                email_body=self.body_edit.toPlainText(),
                transactional=self.transactional_check.isChecked(),
            )
        except ValidationError as error:
            self._show_error(error.message)
            return False

        self._show_error("")
        self.name_edit.setText(template.name)
        self.refresh()
        feedback.status(self, messages.TEMPLATES_SAVED.format(name=template.name))
        self.template_saved.emit(template.name)
        return True

    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.template_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        left_layout.addLayout(buttons)

        culprit_row = QHBoxLayout()
        culprit_row.addWidget(self.culprit_label, 1)
        culprit_row.addWidget(self.replace_button)
        sms_box = QVBoxLayout()
        sms_box.setSpacing(4)
        sms_box.addWidget(self.sms_edit)
        sms_box.addWidget(self.counter_label)
        sms_box.addLayout(culprit_row)

        name_row = QHBoxLayout()
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.insert_button)

        top = Qt.AlignmentFlag.AlignTop
        form = QGridLayout()
        form.setVerticalSpacing(8)
        form.addWidget(QLabel("Name"), 0, 0)
        form.addLayout(name_row, 0, 1)
        form.addWidget(QLabel("SMS text"), 1, 0, top)
        form.addLayout(sms_box, 1, 1)
        form.addWidget(QLabel("Email subject"), 2, 0)
        form.addWidget(self.subject_edit, 2, 1)
        form.addWidget(QLabel("Email body"), 3, 0, top)
        form.addWidget(self.body_edit, 3, 1)
        form.addWidget(self.transactional_check, 4, 1)
        form.setRowStretch(1, 2)
        form.setRowStretch(3, 3)
        form.setColumnStretch(1, 1)

        save_row = QHBoxLayout()
        save_row.addWidget(self.error_label, 10)
        save_row.addStretch(1)
        save_row.addWidget(self.save_button, 0, top)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.addLayout(form, 1)
        right_layout.addLayout(save_row)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([210, 800])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.template_list.currentItemChanged.connect(self._on_template_list_changed)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.sms_edit.textChanged.connect(self._on_sms_edit_text_changed)
        self.replace_button.clicked.connect(self._on_replace_button_clicked)
        self.insert_menu.triggered.connect(self._on_insert_menu_triggered)
        for editor in (self.sms_edit, self.subject_edit, self.body_edit):
            editor.installEventFilter(self)

    def _update_counter(self) -> None:
        text = self.sms_edit.toPlainText()
        line, culprit_line, fixable = counter_texts(text)
        self.counter_label.setText(line)
        self.culprit_label.setText(culprit_line)
        self.culprit_label.setVisible(bool(culprit_line))
        self.replace_button.setVisible(bool(culprit_line))
        self.replace_button.setEnabled(fixable)
        self._highlight_culprits(text)

    def _highlight_culprits(self, text: str) -> None:
        selections = []
        if not segments.is_gsm7(text):
            fmt = QTextCharFormat()
            fmt.setBackground(_CULPRIT_COLOUR)
            for culprit in segments.count_segments(text).culprits[:200]:
                selection = QTextEdit.ExtraSelection()
                cursor = QTextCursor(self.sms_edit.document())
                start = _utf16_offset(text, culprit.position)
                cursor.setPosition(start)
                cursor.setPosition(
                    start + len(culprit.char.encode("utf-16-le")) // 2,
                    QTextCursor.MoveMode.KeepAnchor,
                )
                selection.cursor = cursor  # type: ignore[attr-defined]
                selection.format = fmt  # type: ignore[attr-defined]
                selections.append(selection)
        self.sms_edit.setExtraSelections(selections)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self._last_editor = watched
        return super().eventFilter(watched, event)

    @Slot()
    def _on_sms_edit_text_changed(self) -> None:
        self._update_counter()

    @Slot()
    def _on_replace_button_clicked(self) -> None:
        cursor = self.sms_edit.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(segments.smart_encode(self.sms_edit.toPlainText()))

    @Slot(QAction)
    def _on_insert_menu_triggered(self, action: QAction) -> None:
        token = "{" + str(action.data()) + "}"
        editor = self._last_editor
        if isinstance(editor, QLineEdit):
            editor.insert(token)
        elif isinstance(editor, QPlainTextEdit):
            editor.insertPlainText(token)
        editor.setFocus()

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_template_list_changed(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None
    ) -> None:
        if current is not None:
            self.load(current.text())

    @Slot()
    def _on_new_button_clicked(self) -> None:
        self.clear()

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    @Slot()
    def _on_delete_button_clicked(self) -> None:
        item = self.template_list.currentItem()
        if item is None:
            return
        name = item.text()
        question = messages.TEMPLATES_DELETE_QUESTION.format(name=name)
        if not feedback.ask(
            self, messages.TEMPLATES_DELETE, question, "Delete", "Keep"
        ):
            return
        try:
            templates.delete_template(self._db, name)
        except ValidationError as error:
            feedback.warn(self, messages.GENERIC_ERROR_TITLE, error.message)
            return
        self.clear()
        self.refresh()
        feedback.status(self, messages.TEMPLATES_DELETED.format(name=name))
        self.template_deleted.emit(name)


def _utf16_offset(text: str, position: int) -> int:
    """Return the UTF-16 offset Qt uses for code point ``position`` of ``text``."""
    return len(text[:position].encode("utf-16-le")) // 2
