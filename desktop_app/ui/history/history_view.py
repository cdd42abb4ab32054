"""The History page: every message Duet queued, sent, skipped or failed, newest first."""

import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage import settings
from desktop_app.ui import messages
from desktop_app.ui.history.history_table_model import STATE_LABELS, HistoryTableModel

logger = logging.getLogger(__name__)

# TODO: #7 page the history lazily like the contacts once campaigns reach 100k messages.
HISTORY_LIMIT = 20_000


class HistoryView(QWidget):
    """A table of messages with a state filter."""

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._all_rows: list[dict[str, Any]] = []

        self.state_combo = QComboBox()
        self.state_combo.addItem(messages.HISTORY_ALL_STATES, None)
        for state, label in STATE_LABELS.items():
            self.state_combo.addItem(label, state)
        self.refresh_button = QPushButton(messages.REPORTS_REFRESH)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")
        self.model = HistoryTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((125, 60, 160, 130, 70, 180, 75)):
            header.resizeSection(column, width)
        # The campaign name takes whatever width is left.
        header.setStretchLastSection(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.state_combo)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self.state_combo.currentIndexChanged.connect(self._on_state_combo_changed)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.refresh()

    def refresh(self) -> None:
        """Read the history again from the database."""
        from desktop_app.services import history

        found = history.list_history(self._db, limit=HISTORY_LIMIT)
        self._all_rows = [row.to_json() for row in found]
        self._apply_filter()

    def _apply_filter(self) -> None:
        state = self.state_combo.currentData()
        rows = [row for row in self._all_rows if state is None or row["state"] == state]
        self.model.set_rows(rows, self._zone())
        self.count_label.setText(messages.HISTORY_COUNT.format(count=f"{len(rows):,}"))

    def _zone(self) -> ZoneInfo | None:
        name = settings.get_settings(self._db).get("shop.timezone", "")
        try:
            return ZoneInfo(name) if name else None
        except (ZoneInfoNotFoundError, ValueError):
            return None

    @Slot(int)
    def _on_state_combo_changed(self, _index: int) -> None:
        self._apply_filter()

    @Slot()
    def _on_refresh_button_clicked(self) -> None:
        self.refresh()
