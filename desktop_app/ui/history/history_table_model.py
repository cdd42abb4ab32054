"""A table model over the message history rows (already read from the database)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

COLUMNS = (
    ("queued_at", "Queued"),
    ("channel", "Channel"),
    ("to", "To"),
    ("contact", "Customer"),
    ("state", "State"),
    ("reason", "Reason"),
    ("segments", "Segments"),
    ("campaign", "Campaign"),
)

STATE_LABELS = {
    "queued": "Queued",
    "sending": "Sending",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Failed",
    "skipped": "Skipped",
    "unknown": "Unknown",
}
_CHANNEL_LABELS = {"sms": "SMS", "email": "Email"}

_Index = QModelIndex | QPersistentModelIndex


def local_time(value: object, zone: ZoneInfo | None) -> str:
    """Turn a stored ISO time into ``2026-12-04 09:15`` in the shop's time zone."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if zone is not None and moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M")


class HistoryTableModel(QAbstractTableModel):
    """Rows of ``HistoryRow.to_json()`` dicts, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self._zone: ZoneInfo | None = None

    def set_rows(self, rows: list[dict[str, Any]], zone: ZoneInfo | None) -> None:
        """Replace the rows shown."""
        self.beginResetModel()
        self._rows = rows
        self._zone = zone
        self.endResetModel()

    def row_at(self, row: int) -> dict[str, Any]:
        """Return the JSON dict shown on ``row``."""
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
        row = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self._text(row, key)
            if role == Qt.ItemDataRole.ToolTipRole:
                return text or None
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "segments":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        if key == "queued_at":
            return local_time(value, self._zone)
        if key == "channel":
            return _CHANNEL_LABELS.get(str(value), str(value or ""))
        if key == "state":
            return STATE_LABELS.get(str(value), str(value or ""))
        if key == "segments":
            return str(value) if value and row.get("channel") == "sms" else ""
        return "" if value is None else str(value)
