"""Small dialogs of the Contacts page: edit a contact, pick a tag, change consent.

Each checks its input through the service it calls and shows the service's message
inline (tier 1), so a wrong phone number never closes the dialog.
"""

import logging
from typing import Any

import sqlite_utils

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import KnownError
from desktop_app.services import compliance
from desktop_app.services import contacts as contact_service
from desktop_app.storage import consent as consent_store
from desktop_app.storage.contacts import Contact
from desktop_app.ui.contacts import texts

logger = logging.getLogger(__name__)


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("mutedLabel")
    label.setWordWrap(True)
    return label


def _with_hint(widget: QWidget, hint: str) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    layout.addWidget(_hint(hint))
    return box


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def _lines(editor: QPlainTextEdit) -> list[str]:
    return [line.strip() for line in editor.toPlainText().splitlines() if line.strip()]


def shown_name(contact: Contact) -> str:
    """Return what names a contact on its page: its name, else email, else phone.

    A contact a JOIN reply created has only its number, which then names it.
    """
    if contact.display_name:
        return contact.display_name
    numbers = [contact.phone or "", *phone_lines(contact)]
    number = next((n for n in numbers if n), "")
    return number or texts.UNNAMED_CONTACT.format(id=contact.id)


def phone_lines(contact: Contact) -> list[str]:
    """Return a contact's numbers as the edit box shows them, one a line."""
    lines = []
    for entry in contact.phones:
        number = entry.get("e164") or entry.get("raw") or ""
        if number:
            lines.append(str(number))
    return lines


class ContactDialog(QDialog):
    """Edit names, company, phones, emails, tags and time zone of one contact.

    Signals:
        saved(object): the contact as stored after Save.
    """

    saved = Signal(object)

    def __init__(
        self,
        db: sqlite_utils.Database,
        contact: Contact,
        region: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.contact = contact
        self.setWindowTitle(texts.EDIT_TITLE.format(name=shown_name(contact)))
        self.resize(520, 560)

        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        for name in ("first_name", "last_name", "full_name", "company", "timezone"):
            edit = QLineEdit(str(getattr(contact, name) or ""))
            self.fields[name] = edit
        self.fields["timezone"].setPlaceholderText("e.g. America/Chicago")
        self.fields["tags"] = QLineEdit(", ".join(contact.tags))
        for name, lines in (
            ("phones", phone_lines(contact)),
            ("emails", list(contact.emails)),
        ):
            editor = QPlainTextEdit("\n".join(lines))
            editor.setTabChangesFocus(True)
            editor.setFixedHeight(72)
            self.fields[name] = editor

        form = QFormLayout()
        for name in ("first_name", "last_name", "full_name", "company"):
            form.addRow(texts.EDIT_FIELDS[name], self.fields[name])
        phones_hint = texts.EDIT_PHONES_HINT.format(region=region)
        for name, hint in (
            ("phones", phones_hint),
            ("emails", texts.EDIT_EMAILS_HINT),
            ("tags", texts.EDIT_TAGS_HINT),
            ("timezone", texts.EDIT_TIMEZONE_HINT),
        ):
            form.addRow(texts.EDIT_FIELDS[name], _with_hint(self.fields[name], hint))

        self.error_label = _error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def changes(self) -> dict[str, Any]:
        """Return what the form holds, in the service's terms."""
        values: dict[str, Any] = {}
        for name, widget in self.fields.items():
            if isinstance(widget, QPlainTextEdit):
                values[name] = _lines(widget)
            elif name == "tags":
                values[name] = [t.strip() for t in widget.text().split(",")]
            else:
                values[name] = widget.text()
        return values

    @Slot()
    def save(self) -> bool:
        """Store the form; show what is wrong inline, else close."""
        try:
            stored = contact_service.update_contact(
                self._db, self.contact.id, self.changes()
            )
        except KnownError as error:
            self.error_label.setText(error.message)
            self.error_label.setVisible(True)
            return False
        self.contact = stored
        self.saved.emit(stored)
        self.accept()
        return True


class TagDialog(QDialog):
    """Ask which tag to add to (or take off) the selected contacts."""

    def __init__(
        self, title: str, tags: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(380, 120)
        self.tag_combo = QComboBox()
        self.tag_combo.setEditable(True)
        self.tag_combo.addItems(tags)
        self.tag_combo.setCurrentText("")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout()
        form.addRow(texts.TAG_LABEL, self.tag_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def tag(self) -> str:
        """Return the tag typed or picked."""
        return self.tag_combo.currentText().strip()


class ConsentDialog(QDialog):
    """Change one channel's consent by hand, with a note.

    The note (the evidence) is required for an opt-in and to undo an opt-out;
    saving the status a channel already has records nothing. A contact without a
    phone (SMS) or email (email) cannot be opted in to that channel; opting out
    is always allowed.

    Signals:
        changed(object): the new ledger row.
    """

    changed = Signal(object)

    def __init__(
        self,
        db: sqlite_utils.Database,
        contact: Contact,
        current: dict[str, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.contact = contact
        self._current = current
        self.setWindowTitle(texts.CONSENT_TITLE.format(name=shown_name(contact)))
        self.resize(480, 260)

        self.channel_combo = QComboBox()
        for channel in consent_store.CHANNELS:
            self.channel_combo.addItem(texts.CHANNEL_NAMES[channel], channel)
        self.status_combo = QComboBox()
        for status in consent_store.STATUSES:
            self.status_combo.addItem(texts.STATUS_NAMES[status], status)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(texts.CONSENT_NOTE_PLACEHOLDER)
        self.current_label = _hint("")
        self.error_label = _error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
        )

        form = QFormLayout()
        form.addRow(texts.CONSENT_CHANNEL, self.channel_combo)
        form.addRow("", self.current_label)
        form.addRow(texts.CONSENT_STATUS, self.status_combo)
        form.addRow(texts.CONSENT_NOTE, self.note_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.channel_combo.currentIndexChanged.connect(self._on_channel_changed)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._on_channel_changed(0)

    def set_choice(self, channel: str, status: str, note: str = "") -> None:
        """Fill the form (as a user would)."""
        self.channel_combo.setCurrentIndex(self.channel_combo.findData(channel))
        self.status_combo.setCurrentIndex(self.status_combo.findData(status))
        self.note_edit.setText(note)

    @Slot()
    def save(self) -> bool:
        """Record the change; what stops it (no change, no note) is shown inline."""
        channel = str(self.channel_combo.currentData())
        status = str(self.status_combo.currentData())
        note = self.note_edit.text()
        words = texts.CHANNEL_WORDS[channel]
        before = self._current.get(channel, "unknown")
        if status == "opted_in" and not self._has_address(channel):
            self._show_error(texts.CONSENT_NO_ADDRESS[channel])
            return False
        if before == status:
            self._show_unchanged(channel, status)
            return False
        if not note.strip() and (before == "opted_out" or status == "opted_in"):
            template = (
                texts.CONSENT_NOTE_REQUIRED
                if before == "opted_out"
                else texts.CONSENT_NOTE_FOR_OPT_IN
            )
            self._show_error(template.format(channel=words))
            self.note_edit.setFocus()
            return False

        try:
            row = compliance.change_consent(
                self._db, self.contact.id, channel, status, note
            )
        except KnownError as error:
            self._show_error(error.message)
            return False
        if row is None:
            self._show_unchanged(channel, status)
            return False
        self.changed.emit(row)
        self.accept()
        return True

    def _has_address(self, channel: str) -> bool:
        return bool(self.contact.phone if channel == "sms" else self.contact.email)

    def _show_unchanged(self, channel: str, status: str) -> None:
        self._show_error(
            texts.CONSENT_UNCHANGED.format(
                channel=texts.CHANNEL_NAMES[channel],
                status=texts.STATUS_NAMES[status].lower(),
            )
        )

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)

    @Slot(int)
    def _on_channel_changed(self, _index: int) -> None:
        channel = str(self.channel_combo.currentData())
        status = self._current.get(channel, "unknown")
        self.current_label.setText(f"Now: {texts.STATUS_NAMES[status]}")
        self.status_combo.setCurrentIndex(self.status_combo.findData(status))
