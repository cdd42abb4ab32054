"""A lazy table model over the contacts in SQLite, read a page at a time.

The model knows how many contacts match the filter (one ``count(*)``) and fetches the
rows the view actually paints, in pages of :data:`PAGE_SIZE`, keeping only a few pages
in memory. So 100,000 contacts open at once and scrolling stays smooth.
"""

import logging
from collections import OrderedDict
from typing import Any

import sqlite_utils

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop_app.storage import consent, contacts
from desktop_app.storage.contacts import Contact

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_CACHED_PAGES = 20

COLUMNS = (
    "Name",
    "Phone",
    "Phone type",
    "Email",
    "Tags",
    "SMS consent",
    "Email consent",
)

_KIND_LABELS = {
    "mobile": "Mobile",
    "fixed_line": "Landline",
    "fixed line": "Landline",
    "fixed_line_or_mobile": "Mobile or landline",
    "voip": "Internet phone",
    "toll_free": "Toll-free",
    "unknown": "",
}
_CONSENT_LABELS = {"opted_in": "Yes", "opted_out": "Opted out", "unknown": "Not asked"}

_Index = QModelIndex | QPersistentModelIndex


class ContactTableModel(QAbstractTableModel):
    """Contacts matching a search text and a tag, fetched lazily."""

    def __init__(self, db: sqlite_utils.Database, parent: Any = None) -> None:
        super().__init__(parent)
        self._db = db
        self._search = ""
        self._tag: str | None = None
        self._count = 0
        self._total = 0
        self._pages: OrderedDict[int, list[Contact]] = OrderedDict()
        self._consent: dict[str, dict[int, str]] = {}
        self.reload()

    @property
    def total(self) -> int:
        """How many contacts exist, without the filter."""
        return self._total

    def set_filter(self, search: str, tag: str | None) -> None:
        """Show only contacts matching ``search`` (name, phone, email, tag) and ``tag``."""
        self._search = search.strip()
        self._tag = tag or None
        self._reset(reload_consent=False)

    def reload(self) -> None:
        """Read everything again (after an import or a send)."""
        self._reset(reload_consent=True)

    def contact_at(self, row: int) -> Contact | None:
        """Return the contact shown on ``row``, or None outside the table."""
        if row < 0 or row >= self._count:
            return None
        page = self._page(row // PAGE_SIZE)
        offset = row % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        contact = self.contact_at(index.row())
        if contact is None:
            return None
        text = self._cell(contact, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 0 and contact.warnings:
                return "\n".join(contact.warnings)
            return text or None
        return text

    def _cell(self, contact: Contact, column: int) -> str:
        if column == 0:
            return contact.display_name
        if column == 1:
            return contact.phone or ""
        if column == 2:
            return (
                _KIND_LABELS.get(contact.phone_kind, contact.phone_kind)
                if (contact.phone)
                else ""
            )
        if column == 3:
            return contact.email or ""
        if column == 4:
            return ", ".join(contact.tags)
        channel = "sms" if column == 5 else "email"
        status = self._consent.get(channel, {}).get(contact.id, "unknown")
        return _CONSENT_LABELS.get(status, status)

    def _page(self, number: int) -> list[Contact]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page

        page = contacts.list_contacts(
            self._db,
            tag=self._tag,
            search=self._search or None,
            limit=PAGE_SIZE,
            offset=number * PAGE_SIZE,
        )
        self._pages[number] = page
        if len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def _count_matches(self) -> int:
        if not self._search and not self._tag:
            return self._total
        # A narrow filter fits in its first page, which is then also the count:
        # one scan of the table instead of two for each keystroke.
        self._count = PAGE_SIZE
        first = self._page(0)
        if len(first) < PAGE_SIZE:
            return len(first)
        return contacts.count_contacts(self._db, tag=self._tag, search=self._search)

    def _reset(self, *, reload_consent: bool) -> None:
        self.beginResetModel()
        self._pages.clear()
        if reload_consent:
            contacts.fill_search_text(self._db)
            self._total = contacts.count_contacts(self._db)
            self._consent = {
                channel: consent.consent_map(self._db, None, channel)
                for channel in consent.CHANNELS
            }
        self._count = self._count_matches()
        self.endResetModel()
        logger.debug("contacts model: %d of %d rows", self._count, self._total)
