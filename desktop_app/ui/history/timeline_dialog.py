"""One customer's timeline: their messages and what they did (replies, opt-outs...)."""

import logging
from zoneinfo import ZoneInfo

import sqlite_utils

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

from desktop_app.errors import ValidationError
from desktop_app.services import history
from desktop_app.services.history import TimelineEntry
from desktop_app.storage import contacts
from desktop_app.ui.history import texts
from desktop_app.ui.history.history_table_model import local_time

logger = logging.getLogger(__name__)

_CHANNELS = {"sms": "SMS", "email": "Email"}


class TimelineDialog(QDialog):
    """A window-modal list of one contact's messages and events, oldest first."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        contact_id: int | None,
        zone: ZoneInfo | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.contact_id = contact_id
        self.entries: list[TimelineEntry] = []
        self.resize(760, 440)

        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("mutedLabel")
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, len(texts.TIMELINE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(texts.TIMELINE_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 130)
        header.resizeSection(1, 170)
        header.resizeSection(2, 60)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._load(db, contact_id, zone)

    def _load(
        self, db: sqlite_utils.Database, contact_id: int | None, zone: ZoneInfo | None
    ) -> None:
        contact = None
        if contact_id is not None:
            try:
                contact = contacts.get_contact(db, contact_id)
            except ValidationError:
                contact = None
        if contact is None:
            self.setWindowTitle(texts.TIMELINE_TITLE.format(name="?"))
            self.heading.setText(texts.TIMELINE_NO_CONTACT)
            self.note.hide()
            return

        name = contact.display_name or f"#{contact.id}"
        self.setWindowTitle(texts.TIMELINE_TITLE.format(name=name))
        self.heading.setText(name)
        self.note.setText(
            " · ".join(part for part in (contact.phone, contact.email) if part)
        )
        self.entries = history.contact_timeline(db, contact.id)
        if not self.entries:
            self.note.setText(f"{self.note.text()}\n{texts.TIMELINE_EMPTY}".strip())
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            cells = (
                local_time(entry.at, zone),
                entry.title,
                _CHANNELS.get(entry.channel, entry.channel),
                entry.detail,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        logger.debug(
            "timeline of contact %d: %d entries", contact.id, len(self.entries)
        )
