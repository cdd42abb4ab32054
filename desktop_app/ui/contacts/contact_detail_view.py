"""One contact's page: details, consent per channel with its ledger, messages.

The consent ledger is shown in full (every change with its source and evidence);
"Change consent…" records a manual change through the compliance service, and
"Edit…" opens the edit dialog. Both refresh the page and tell the Contacts page.
"""

import logging
from html import escape

import sqlite_utils

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services import compliance
from desktop_app.services import contacts as contact_service
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts as contact_store
from desktop_app.storage import settings
from desktop_app.storage.contacts import Contact
from desktop_app.ui.contacts import texts
from desktop_app.ui.contacts.contact_dialog import (
    ConsentDialog,
    ContactDialog,
    shown_name,
)

logger = logging.getLogger(__name__)


def _table(headers: tuple[str, ...], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for row, values in enumerate(rows):
        for column, text in enumerate(values):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(row, column, item)


class ContactDetailDialog(QDialog):
    """Shows one contact with its consent ledger and message timeline.

    Signals:
        contact_changed(int): the contact or its consent was changed here.
    """

    contact_changed = Signal(int)

    def __init__(
        self,
        db: sqlite_utils.Database,
        contact_id: int,
        region: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._region = region
        self.contact_id = contact_id
        self.contact: Contact | None = None
        self.current: dict[str, str] = {}
        self.consent_dialog: ConsentDialog | None = None
        self.edit_dialog: ContactDialog | None = None
        self.resize(860, 600)

        self.name_label = QLabel()
        self.name_label.setObjectName("contactName")
        self.name_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.consent_labels: dict[str, QLabel] = {}
        consent_grid = QGridLayout()
        consent_grid.addWidget(QLabel(f"<b>{texts.DETAIL_CONSENT_HEADER}</b>"), 0, 0)
        for row, channel in enumerate(consent_store.CHANNELS, start=1):
            label = QLabel()
            self.consent_labels[channel] = label
            consent_grid.addWidget(QLabel(texts.CHANNEL_NAMES[channel]), row, 0)
            consent_grid.addWidget(label, row, 1)
        consent_grid.setColumnStretch(2, 1)
        self.change_consent_button = QPushButton(texts.DETAIL_CHANGE_CONSENT)
        self.edit_button = QPushButton(texts.DETAIL_EDIT)

        self.ledger_table = _table(texts.LEDGER_COLUMNS, stretch=4)
        self.ledger_table.setWordWrap(True)
        self.messages_table = _table(texts.MESSAGE_COLUMNS, stretch=4)
        self.no_messages_label = QLabel(texts.DETAIL_NO_MESSAGES)
        self.no_messages_label.setObjectName("mutedLabel")
        messages_page = QWidget()
        messages_layout = QVBoxLayout(messages_page)
        messages_layout.addWidget(self.no_messages_label)
        messages_layout.addWidget(self.messages_table, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.ledger_table, texts.DETAIL_LEDGER_HEADER)
        self.tabs.addTab(messages_page, texts.DETAIL_MESSAGES_HEADER)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        actions = QHBoxLayout()
        actions.addWidget(self.edit_button)
        actions.addWidget(self.change_consent_button)
        actions.addStretch(1)

        top = QHBoxLayout()
        about = QVBoxLayout()
        about.addWidget(self.name_label)
        about.addWidget(self.details_label)
        about.addStretch(1)
        top.addLayout(about, 3)
        top.addLayout(consent_grid, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

        buttons.rejected.connect(self.reject)
        self.change_consent_button.clicked.connect(self._on_change_consent_clicked)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.reload()

    def reload(self) -> None:
        """Read the contact, its consent and its messages again."""
        contact = contact_store.get_contact(self._db, self.contact_id)
        self.contact = contact
        overview = compliance.consent_overview(self._db, self.contact_id)
        self.current = dict(overview["current"])
        zone = settings.shop_zone(self._db)
        for table, columns in (
            (self.ledger_table, texts.LEDGER_COLUMNS),
            (self.messages_table, texts.MESSAGE_COLUMNS),
        ):
            header = table.horizontalHeaderItem(0)
            header.setText(texts.IN_ZONE.format(column=columns[0], zone=zone.key))
            header.setToolTip(texts.IN_ZONE_TIP.format(zone=zone.key))
        name = shown_name(contact)
        self.setWindowTitle(texts.DETAIL_TITLE.format(name=name))
        self.name_label.setText(f"<h2>{escape(name)}</h2>")
        self.details_label.setText(_details_html(contact))
        for channel, label in self.consent_labels.items():
            label.setText(f"<b>{texts.STATUS_NAMES[self.current[channel]]}</b>")
        _fill(
            self.ledger_table,
            [
                [
                    settings.shown_time(row["created_at"], zone),
                    texts.CHANNEL_NAMES.get(str(row["channel"]), str(row["channel"])),
                    texts.STATUS_NAMES.get(str(row["status"]), str(row["status"])),
                    str(row["source"]),
                    str(row["evidence"]),
                ]
                for row in overview["history"]
            ],
        )
        self.ledger_table.resizeRowsToContents()
        timeline = contact_service.contact_messages(self._db, self.contact_id)
        _fill(
            self.messages_table,
            [
                [
                    settings.shown_time(row.queued_at, zone),
                    texts.CHANNEL_NAMES.get(row.channel, row.channel),
                    row.to,
                    row.state + (f": {row.reason}" if row.reason else ""),
                    row.campaign,
                ]
                for row in timeline
            ],
        )
        self.no_messages_label.setVisible(not timeline)
        self.messages_table.setVisible(bool(timeline))

    def open_consent_dialog(self) -> ConsentDialog:
        """Open "Change consent…" (non-blocking) and return it."""
        assert self.contact is not None
        dialog = ConsentDialog(self._db, self.contact, self.current, self)
        dialog.changed.connect(self._on_consent_changed)
        self.consent_dialog = dialog
        dialog.open()
        return dialog

    def open_edit_dialog(self) -> ContactDialog:
        """Open the edit dialog (non-blocking) and return it."""
        assert self.contact is not None
        dialog = ContactDialog(self._db, self.contact, self._region, self)
        dialog.saved.connect(self._on_contact_saved)
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    @Slot()
    def _on_change_consent_clicked(self) -> None:
        self.open_consent_dialog()

    @Slot()
    def _on_edit_clicked(self) -> None:
        self.open_edit_dialog()

    def _on_consent_changed(self, _row: object) -> None:
        self.reload()
        self.contact_changed.emit(self.contact_id)

    def _on_contact_saved(self, _contact: object) -> None:
        self.reload()
        self.contact_changed.emit(self.contact_id)


def _details_html(contact: Contact) -> str:
    lines: list[str] = []
    if contact.company and contact.company != contact.display_name:
        lines.append(escape(contact.company))
    for entry in contact.phones:
        number = str(entry.get("e164") or entry.get("raw") or "")
        kind = texts.PHONE_KINDS.get(str(entry.get("kind") or ""), "")
        label = str(entry.get("label") or "")
        extra = ", ".join(part for part in (label, kind) if part)
        lines.append(escape(number) + (f" ({escape(extra)})" if extra else ""))
    lines += [escape(address) for address in contact.emails]
    if contact.tags:
        lines.append("Tags: " + escape(", ".join(contact.tags)))
    if contact.timezone:
        lines.append("Time zone: " + escape(contact.timezone))
    for warning in contact.warnings:
        lines.append(f"<i>{escape(str(warning))}</i>")
    return "<br>".join(lines)
