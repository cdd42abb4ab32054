"""A lazy table model over the message history in SQLite, read a page at a time.

The model counts the messages that match the filters (one ``count(*)``) and fetches
only the rows the view paints, in pages of :data:`PAGE_SIZE`, keeping at most
:data:`MAX_CACHED_PAGES` pages in memory; 100,000 messages open at once and
scrolling stays smooth.
"""

import logging
from collections import OrderedDict
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop_app.services import history
from desktop_app.services.history import HistoryFilter
from desktop_app.storage import settings

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_CACHED_PAGES = 20

COLUMNS = (
    ("queued_at", "Queued"),
    ("channel", "Channel"),
    ("to", "To"),
    ("contact", "Customer"),
    ("state", "State"),
    ("reason", "Reason"),
    ("segments", "Segments"),
    ("cost", "Cost"),
    ("campaign", "Campaign"),
)

STATE_LABELS = {
    "queued": "Queued",
    "held": "Held",
    "sending": "Sending",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Failed",
    "skipped": "Skipped",
    "unknown": "Unknown",
}
CAMPAIGN_STATE_NOTES = {
    "waiting": "waiting",
    "paused": "paused",
    "sending": "sending",
    "queued": "queued",
}
_CHANNEL_LABELS = {"sms": "SMS", "email": "Email"}
TRANSACTIONAL_NOTE = (
    "Transactional (a receipt or notice the customer asked for): exempt from quiet "
    "hours and marketing consent, never from an opt-out."
)

_Index = QModelIndex | QPersistentModelIndex


def local_time(value: object, zone: ZoneInfo | None) -> str:
    """Turn a stored ISO time into ``2026-12-04 09:15`` in the shop's time zone."""
    return settings.shown_time(value, zone or ZoneInfo("UTC"))


def shown_state(row: dict[str, Any]) -> str:
    """Return the state as History shows it: a queued message with a reason is held."""
    if row.get("state") == "queued" and row.get("reason"):
        return "held"
    return str(row.get("state") or "")


class HistoryTableModel(QAbstractTableModel):
    """Messages matching a :class:`HistoryFilter`, newest first, fetched lazily."""

    def __init__(self, db: sqlite_utils.Database, parent: Any = None) -> None:
        super().__init__(parent)
        self._db = db
        self._filter = HistoryFilter()
        self._zone: ZoneInfo | None = None
        self._count = 0
        self._pages: OrderedDict[int, list[dict[str, Any]]] = OrderedDict()
        self._campaign_states: dict[int, str] = {}

    @property
    def history_filter(self) -> HistoryFilter:
        """The filters in use."""
        return self._filter

    def total(self) -> int:
        """Return how many messages match the filters."""
        return self._count

    def cached_pages(self) -> int:
        """Return how many pages are held in memory (at most MAX_CACHED_PAGES)."""
        return len(self._pages)

    def set_filter(self, wanted: HistoryFilter, zone: ZoneInfo | None) -> None:
        """Show the messages ``wanted`` selects, from the first page.

        Raises:
            ValidationError: a filter is not valid; the model is left empty.
        """
        self._filter = wanted
        self._zone = zone
        self.reload()

    def reload(self) -> None:
        """Read the count again and forget the cached pages."""
        self.beginResetModel()
        self._pages.clear()
        try:
            self._campaign_states = history.campaign_states(self._db)
            self._count = history.count_history(self._db, self._filter)
        except Exception:
            self._count = 0
            raise
        finally:
            self.endResetModel()
        logger.debug("history model: %d rows", self._count)

    def row_at(self, row: int) -> dict[str, Any] | None:
        """Return the ``HistoryRow.to_json()`` dict shown on ``row``."""
        if not 0 <= row < self._count:
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
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
        ):
            return COLUMNS[section][1]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, key)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("segments", "cost"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        if key == "queued_at":
            return local_time(value, self._zone)
        if key == "channel":
            return _CHANNEL_LABELS.get(str(value), str(value or ""))
        if key == "state":
            state = shown_state(row)
            return STATE_LABELS.get(state, state)
        if key == "segments":
            return str(value) if value and row.get("channel") == "sms" else ""
        if key == "cost":
            return f"${value:,.4f}" if value else ""
        if key == "reason" and row.get("error_code"):
            return f"{value or 'failed'} (error {row['error_code']})"
        if key == "campaign":
            state = self._campaign_states.get(int(row.get("campaign_id") or 0), "")
            note = CAMPAIGN_STATE_NOTES.get(state)
            return f"{value} ({note})" if note else str(value or "")
        return "" if value is None else str(value)

    def _tooltip(self, row: dict[str, Any], key: str) -> str | None:
        if key == "campaign":
            lines = [f"Campaign: {row.get('campaign')}"]
            if row.get("template"):
                lines.append(f"Template: {row['template']}")
            state = self._campaign_states.get(int(row.get("campaign_id") or 0))
            if state:
                lines.append(f"Campaign state: {state}")
            return "\n".join(lines)
        if key in ("queued_at", "state"):
            lines = [f"Queued: {local_time(row.get('queued_at'), self._zone)}"]
            if row.get("sent_at"):
                lines.append(f"Sent: {local_time(row['sent_at'], self._zone)}")
            if row.get("failed_at"):
                lines.append(f"Failed: {local_time(row['failed_at'], self._zone)}")
            if row.get("provider"):
                lines.append(f"Through: {row['provider']}")
            if row.get("transactional"):
                lines.append(TRANSACTIONAL_NOTE)
            return "\n".join(lines)
        text = self._text(row, key)
        return text or None

    def _page(self, number: int) -> list[dict[str, Any]]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page

        found = history.history_page(
            self._db, self._filter, limit=PAGE_SIZE, offset=number * PAGE_SIZE
        )
        page = [row.to_json() for row in found]
        self._pages[number] = page
        if len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)
        return page
