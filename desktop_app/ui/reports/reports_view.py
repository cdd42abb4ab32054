"""The Reports page: messages per day, by channel and state, as a matplotlib chart.

matplotlib costs about half a second to import, so it is imported only when this page
is first shown; the same Figure is then redrawn on every refresh.
"""

import logging
from typing import Any

import sqlite_utils

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui import messages

logger = logging.getLogger(__name__)


class ReportsView(QWidget):
    """Hosts the daily chart; builds its canvas on first show."""

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.figure: Any = None
        self.canvas: Any = None

        self.refresh_button = QPushButton(messages.REPORTS_REFRESH)
        self.total_label = QLabel()
        self.total_label.setObjectName("mutedLabel")
        self.placeholder = QLabel(messages.REPORTS_LOADING)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        top = QHBoxLayout()
        top.addWidget(self.total_label, 1)
        top.addWidget(self.refresh_button)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(top)
        self._layout.addWidget(self.placeholder, 1)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)

    def refresh(self) -> None:
        """Redraw the chart from the database (only once the canvas exists)."""
        if self.canvas is None:
            return
        from desktop_app.charts.daily import draw_daily_chart
        from desktop_app.services.history import daily_counts_for

        counts = daily_counts_for(self._db)
        draw_daily_chart(self.figure, counts)
        self.canvas.draw_idle()
        if counts.is_empty:
            self.total_label.setText(messages.REPORTS_EMPTY)
        else:
            days = len(counts.days)
            text = (
                messages.REPORTS_TOTAL_ONE_DAY if days == 1 else messages.REPORTS_TOTAL
            )
            self.total_label.setText(text.format(total=f"{counts.total:,}", days=days))

    def _build_canvas(self) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(8, 4.5), layout=None)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self._layout.replaceWidget(self.placeholder, self.canvas)
        self.placeholder.deleteLater()
        logger.debug("reports chart canvas created")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.canvas is None:
            self._build_canvas()
            self.refresh()

    @Slot()
    def _on_refresh_button_clicked(self) -> None:
        self.refresh()
