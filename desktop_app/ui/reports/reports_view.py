"""The Reports page: KPIs per campaign and overall, the charts, sales import.

The KPI table shows each campaign (and its A/B variants) with sent, delivered,
failed, opted out, replied, sales, revenue, the rates and the SMS cost; a number
Duet cannot know is a dash whose tooltip says why. Below it one chart at a time,
chosen from a list: messages per day, delivery and opt-out rates, cost per month,
the funnel per campaign, the A/B comparison. matplotlib costs about half a second to
import, so it is imported only when this page is first shown; the same Figure and
canvas are then redrawn on every refresh and chart switch.
"""

import logging
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.kpis import Kpis
from desktop_app.errors import KnownError
from desktop_app.services import reporting
from desktop_app.ui import feedback, tasks
from desktop_app.ui.history.worker_db import database_file, worker_connection
from desktop_app.ui.reports import texts
from desktop_app.ui.tasks import TaskContext

logger = logging.getLogger(__name__)

RESIZE_REDRAW_MS = 150
CAMPAIGN_CHARTS = ("funnel", "abtest")
KPI_SHARE = 0.4
MIN_CAMPAIGN_WIDTH = 170


def _days(value: float) -> str:
    number = int(value) if float(value).is_integer() else value
    return "1 day" if number == 1 else f"{number} days"


def _percent(value: float | None) -> str:
    return texts.NULL if value is None else f"{value * 100:.1f} %"


def _money(amount: float, currency: str) -> str:
    if currency in ("", "USD"):
        return f"${amount:,.2f}"
    return f"{amount:,.2f} {currency}"


class KpiTable(QTableWidget):
    """The KPI table: numbers sized to their contents, the campaign name the rest.

    The campaign column never gets narrower than :data:`MIN_CAMPAIGN_WIDTH`; on a
    small window the table scrolls sideways instead of cutting names to a letter.
    """

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_campaign_column()

    def fit_campaign_column(self) -> None:
        """Give the campaign column the width the number columns leave."""
        header = self.horizontalHeader()
        numbers = sum(header.sectionSize(c) for c in range(1, self.columnCount()))
        spare = self.viewport().width() - numbers
        header.resizeSection(0, max(MIN_CAMPAIGN_WIDTH, spare))


class ReportsView(QWidget):
    """KPIs, one chart at a time, exports and the sales import.

    Signals:
        sales_imported(object): the ``SalesImportReport`` of a finished import.
        chart_drawn(str): the name of the chart just drawn.
    """

    sales_imported = Signal(object)
    chart_drawn = Signal(str)

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.figure: Any = None
        self.canvas: Any = None
        self.report: reporting.Report | None = None
        self.chart_name = "daily"
        self.chart_data: Any = None
        self.sales_report_dialog: QWidget | None = None
        self._import_task: tasks.Task | None = None

        self.chart_combo = QComboBox()
        for name, label in texts.CHARTS:
            self.chart_combo.addItem(label, name)
        self.chart_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToContents
        )
        self.campaign_combo = QComboBox()
        self.campaign_combo.setToolTip(texts.CAMPAIGN_TOOLTIP)
        self.campaign_combo.setMinimumContentsLength(10)
        self.campaign_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.campaign_combo.addItem(texts.ALL_CAMPAIGNS, None)
        self.campaign_combo.setEnabled(False)
        self.refresh_button = QPushButton(texts.REFRESH)
        self.import_button = QPushButton(texts.IMPORT_SALES)
        self.export_png_button = QPushButton(texts.EXPORT_PNG)
        self.export_data_button = QPushButton(texts.EXPORT_DATA)
        self.total_label = QLabel()
        self.total_label.setObjectName("mutedLabel")
        self.attribution_label = QLabel()
        self.attribution_label.setObjectName("mutedLabel")
        self.attribution_label.setWordWrap(True)
        self.chart_note = QLabel()
        self.chart_note.setObjectName("mutedLabel")
        self.chart_note.setWordWrap(True)
        self.chart_note.hide()
        self.placeholder = QLabel(texts.LOADING)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.kpi_table = KpiTable(0, len(texts.KPI_COLUMNS))
        self.kpi_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.kpi_table.setSelectionBehavior(
            QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.kpi_table.verticalHeader().setVisible(False)
        self.kpi_table.verticalHeader().setDefaultSectionSize(24)
        self.kpi_table.setAlternatingRowColors(True)
        self.kpi_table.setWordWrap(False)
        for column, (_key, label, tip) in enumerate(texts.KPI_COLUMNS):
            item = QTableWidgetItem(label)
            item.setToolTip(tip)
            self.kpi_table.setHorizontalHeaderItem(column, item)
        header = self.kpi_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.kpi_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header.setMinimumSectionSize(48)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(RESIZE_REDRAW_MS)

        top = QHBoxLayout()
        top.addWidget(QLabel(texts.CHART_LABEL))
        top.addWidget(self.chart_combo)
        top.addWidget(QLabel(texts.CAMPAIGN_LABEL))
        top.addWidget(self.campaign_combo, 1)
        top.addStretch(0)
        top.addWidget(self.export_png_button)
        top.addWidget(self.export_data_button)
        top.addWidget(self.refresh_button)

        self._chart_box = QWidget()
        chart_layout = QVBoxLayout(self._chart_box)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.addWidget(self.placeholder, 1)
        chart_layout.addWidget(self.chart_note)
        self._chart_layout = chart_layout
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.kpi_table)
        self.splitter.addWidget(self._chart_box)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setChildrenCollapsible(False)
        self._splitter_moved = False

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.total_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.attribution_label, 1)
        bottom.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(bottom)

        self.chart_combo.currentIndexChanged.connect(self._on_chart_combo_changed)
        self.campaign_combo.currentIndexChanged.connect(self._on_campaign_combo_changed)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.export_png_button.clicked.connect(self._on_export_png_button_clicked)
        self.export_data_button.clicked.connect(self._on_export_data_button_clicked)
        self._redraw_timer.timeout.connect(self._on_redraw_timer_timeout)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)

    # --- refreshing ------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the KPIs and redraw the chart (only once the page was shown)."""
        if self.canvas is None:
            return
        try:
            self.report = reporting.build_report(self._db)
        except KnownError as error:
            feedback.report_error(self, texts.REPORT_FAILED_TITLE, error)
            return
        self._fill_kpis(self.report)
        self._fill_campaigns(self.report)
        self._show_attribution(self.report)
        self.draw_chart()

    def show_chart(self, name: str) -> None:
        """Switch to the chart called ``name`` (``daily``, ``rates``, ``cost``...)."""
        index = self.chart_combo.findData(name)
        if index == self.chart_combo.currentIndex():
            self.draw_chart()
        else:
            self.chart_combo.setCurrentIndex(index)

    def draw_chart(self) -> None:
        """Read the chosen chart's data and draw it on the one Figure."""
        if self.canvas is None:
            return
        from desktop_app.charts.export import draw_chart

        name = str(self.chart_combo.currentData())
        campaign = (
            self.campaign_combo.currentData() if name in CAMPAIGN_CHARTS else None
        )
        self.chart_name = name
        try:
            self.chart_data = reporting.chart_data(self._db, name, campaign=campaign)
        except KnownError as error:
            feedback.report_error(self, texts.REPORT_FAILED_TITLE, error)
            return
        draw_chart(self.figure, name, self.chart_data)
        self.canvas.draw_idle()
        self._show_chart_text(name, self.chart_data)
        self.chart_drawn.emit(name)

    def _redraw(self) -> None:
        """Draw the same data again (after a resize, so the layout fits the size)."""
        if self.canvas is None or self.chart_data is None:
            return
        from desktop_app.charts.export import draw_chart

        draw_chart(self.figure, self.chart_name, self.chart_data)
        self.canvas.draw_idle()

    def _show_chart_text(self, name: str, data: Any) -> None:
        self.total_label.setText("")
        note = ""
        if name == "daily":
            if data.is_empty:
                self.total_label.setText(texts.EMPTY)
            else:
                days = len(data.days)
                text = texts.TOTAL_ONE_DAY if days == 1 else texts.TOTAL
                self.total_label.setText(
                    text.format(total=f"{data.total:,}", days=days)
                )
        elif name == "abtest" and not data.is_empty:
            # The chart writes the first sentence under itself; the others go here.
            note = " ".join(data.sentences[1:])
        self.chart_note.setText(note)
        self.chart_note.setVisible(bool(note))

    def _fill_campaigns(self, report: reporting.Report) -> None:
        chosen = self.campaign_combo.currentData()
        self.campaign_combo.blockSignals(True)
        self.campaign_combo.clear()
        self.campaign_combo.addItem(self._first_campaign_label(), None)
        for campaign in reversed(report.campaigns):
            label = campaign.campaign
            if campaign.variants:
                label += " (A/B)"
            self.campaign_combo.addItem(label, campaign.campaign_id)
        index = self.campaign_combo.findData(chosen) if chosen is not None else 0
        self.campaign_combo.setCurrentIndex(max(index, 0))
        self.campaign_combo.blockSignals(False)

    def _first_campaign_label(self) -> str:
        if self.chart_combo.currentData() == "abtest":
            return texts.NEWEST_SPLIT
        return texts.ALL_CAMPAIGNS

    def _show_attribution(self, report: reporting.Report) -> None:
        if report.sales:
            source = texts.SOURCE_SALES.format(
                sales=f"{report.sales:,}", attributed=f"{report.attributed:,}"
            )
        else:
            source = texts.SOURCE_NONE
        self.attribution_label.setText(
            texts.ATTRIBUTION.format(days=_days(report.window_days), source=source)
        )
        self.attribution_label.setToolTip(reporting.UTM_NOTE)

    # --- the KPI table ---------------------------------------------------------------

    def _fill_kpis(self, report: reporting.Report) -> None:
        rows: list[tuple[str, Kpis, bool]] = []
        for campaign in report.campaigns:
            rows.append((campaign.campaign, campaign.kpis, False))
            for name, kpis in sorted(campaign.variants.items()):
                rows.append((texts.VARIANT.format(name=name), kpis, False))
        if report.campaigns:
            rows.append((texts.OVERALL, report.overall, True))
        self.kpi_table.setRowCount(len(rows))
        for number, (label, kpis, bold) in enumerate(rows):
            cells = self._kpi_cells(label, kpis, has_sales=report.sales > 0)
            for column, (text, tip) in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if tip:
                    item.setToolTip(tip)
                if bold:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.kpi_table.setItem(number, column, item)
        if not rows:
            self.kpi_table.setRowCount(1)
            self.kpi_table.setItem(0, 0, QTableWidgetItem(texts.NO_CAMPAIGNS))
        self.kpi_table.resizeColumnsToContents()
        self.kpi_table.fit_campaign_column()
        self._fit_kpi_table()

    def _fit_kpi_table(self) -> None:
        """Give the KPI table the height of its rows (at most 40 %), the chart the rest."""
        if self._splitter_moved:
            return
        table = self.kpi_table
        wanted = (
            table.horizontalHeader().sizeHint().height()
            + table.rowCount() * table.verticalHeader().defaultSectionSize()
            + 2 * table.frameWidth()
            + table.horizontalScrollBar().sizeHint().height()
        )
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        height = min(wanted, int(total * KPI_SHARE))
        self.splitter.setSizes([height, total - height])

    @staticmethod
    def _delivery_reason(kpis: Kpis) -> str:
        notes = kpis.notes()
        if not kpis.sms_sent:
            return texts.NULL_NO_SMS
        return notes[0] if notes else texts.NULL_NO_SMS

    def _kpi_cells(
        self, label: str, kpis: Kpis, *, has_sales: bool
    ) -> list[tuple[str, str]]:
        """Return (text, tooltip) per KPI column; a dash always has a tooltip."""
        data = kpis.to_json()
        delivery_reason = self._delivery_reason(kpis)
        reasons = [f"{r['reason']}: {r['count']}" for r in data["failed_by_reason"]]
        sent_tip = texts.SENT_DETAIL.format(
            sms=kpis.sms_sent,
            email=kpis.email_sent,
            skipped=data["skipped"],
            pending=kpis.pending,
        )
        notes = "\n".join(kpis.notes())

        def with_rate(count: int, value: float | None) -> str:
            return f"{count:,}" if value is None else f"{count:,} ({_percent(value)})"

        delivered = data["delivered"]
        cells = {
            "campaign": (label, notes),
            "sent": (f"{kpis.sent:,}", sent_tip),
            "delivered": (
                texts.NULL
                if delivered is None
                else with_rate(delivered, kpis.delivery_rate),
                delivery_reason if delivered is None else "",
            ),
            "failed": (f"{kpis.failed:,}", "\n".join(reasons) or texts.FAILED_NONE),
            "opted_out": (
                with_rate(kpis.opted_out, kpis.opt_out_rate),
                "" if kpis.opt_out_rate is not None else texts.NULL_NOBODY,
            ),
            "replied": (
                with_rate(kpis.replied, kpis.reply_rate),
                "" if kpis.reply_rate is not None else texts.NULL_NO_SMS_REACHED,
            ),
            "conversions": (
                (with_rate(kpis.conversions, kpis.conversion_rate), "")
                if has_sales
                else (texts.NULL, texts.NULL_NO_SALES)
            ),
            "revenue": (
                (_money(kpis.revenue, kpis.currency), "")
                if has_sales
                else (texts.NULL, texts.NULL_NO_SALES)
            ),
            "cost": (
                f"${kpis.cost:,.2f}",
                texts.COST_DETAIL.format(segments=f"{kpis.segments:,}"),
            ),
        }
        return [cells[key] for key, _label, _tip in texts.KPI_COLUMNS]

    def kpi_text(self, row_label: str, key: str) -> str:
        """Return the text shown in the KPI table for a row and a column key."""
        column = [k for k, _l, _t in texts.KPI_COLUMNS].index(key)
        for row in range(self.kpi_table.rowCount()):
            item = self.kpi_table.item(row, 0)
            if item is not None and item.text() == row_label:
                cell = self.kpi_table.item(row, column)
                return cell.text() if cell is not None else ""
        raise KeyError(row_label)

    # --- exports ---------------------------------------------------------------------

    def export_png(self, path: Path) -> Path | None:
        """Save the chart shown as a PNG; None when it could not be saved."""
        if self.canvas is None or self.chart_data is None:
            return None
        from desktop_app.charts.export import export_chart

        try:
            written, _ = export_chart(
                self.figure, self.chart_name, self.chart_data, path
            )
        except KnownError as error:
            feedback.report_error(self, texts.EXPORT_FAILED_TITLE, error)
            return None
        feedback.status(self, texts.EXPORT_DONE.format(file=written))
        return written

    def export_data(self, path: Path) -> Path | None:
        """Save the numbers behind the chart shown as CSV (safe to open in Excel)."""
        if self.canvas is None or self.chart_data is None:
            return None
        from desktop_app.charts.export import chart_rows, write_csv

        try:
            written = write_csv(chart_rows(self.chart_name, self.chart_data), path)
        except KnownError as error:
            feedback.report_error(self, texts.EXPORT_FAILED_TITLE, error)
            return None
        logger.info("chart data exported: %s", self.chart_name)
        feedback.status(self, texts.EXPORT_DONE.format(file=written))
        return written

    # --- sales import ----------------------------------------------------------------

    def import_sales_file(self, path: Path) -> tasks.Task | None:
        """Import a sales export, then show its report and refresh the KPIs.

        A database file is written by a background job with its own connection;
        an in-memory one (tests) is written at once.

        Returns:
            The background task, or None when the import ran at once.
        """
        from desktop_app.services.sales_import import import_sales

        source = database_file(self._db)
        if source is None:
            try:
                report = import_sales(self._db, path)
            except KnownError as error:
                self._on_import_failed(error)
                return None
            self._on_import_succeeded(report)
            return None

        def work(_context: TaskContext) -> Any:
            with worker_connection(source) as db:
                return import_sales(db, path)

        self.import_button.setEnabled(False)
        feedback.status(self, texts.IMPORT_RUNNING.format(file=path.name))
        self._import_task = tasks.run_in_background(
            work,
            on_success=self._on_import_succeeded,
            on_error=self._on_import_failed,
            parent=self,
        )
        return self._import_task

    def _on_import_succeeded(self, report: Any) -> None:
        from desktop_app.ui.reports.sales_report_dialog import SalesReportDialog

        self.import_button.setEnabled(True)
        self._import_task = None
        feedback.status(
            self,
            texts.IMPORT_DONE.format(
                file=report.file, imported=report.imported, rejected=report.rejected
            ),
        )
        if self.sales_report_dialog is not None:
            self.sales_report_dialog.close()
            self.sales_report_dialog.deleteLater()
        dialog = SalesReportDialog(report, self)
        self.sales_report_dialog = dialog
        dialog.open()
        self.refresh()
        self.sales_imported.emit(report)

    def _on_import_failed(self, error: BaseException) -> None:
        self.import_button.setEnabled(True)
        self._import_task = None
        feedback.report_error(self, texts.IMPORT_FAILED_TITLE, error)

    # --- the canvas ------------------------------------------------------------------

    def _build_canvas(self) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(8, 4.5), layout=None)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(220)
        self._chart_layout.replaceWidget(self.placeholder, self.canvas)
        self.placeholder.deleteLater()
        self.canvas.mpl_connect("resize_event", self._on_canvas_resized)
        logger.debug("reports chart canvas created")

    def _on_canvas_resized(self, _event: object) -> None:
        self._redraw_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.canvas is None:
            self._build_canvas()
        self.refresh()

    # --- slots -----------------------------------------------------------------------

    @Slot(int)
    def _on_chart_combo_changed(self, _index: int) -> None:
        name = self.chart_combo.currentData()
        self.campaign_combo.setEnabled(name in CAMPAIGN_CHARTS)
        self.campaign_combo.setItemText(0, self._first_campaign_label())
        self.draw_chart()

    @Slot(int)
    def _on_campaign_combo_changed(self, _index: int) -> None:
        self.draw_chart()

    @Slot(int, int)
    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._splitter_moved = True

    @Slot()
    def _on_redraw_timer_timeout(self) -> None:
        self._redraw()

    @Slot()
    def _on_refresh_button_clicked(self) -> None:
        self.refresh()

    @Slot()
    def _on_import_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, texts.IMPORT_TITLE, str(Path.home()), texts.IMPORT_FILTER
        )
        if name:
            self.import_sales_file(Path(name))

    @Slot()
    def _on_export_png_button_clicked(self) -> None:
        suggested = Path.home() / f"duet-{self.chart_name}-{date.today()}.png"
        name, _ = QFileDialog.getSaveFileName(
            self, texts.EXPORT_PNG_TITLE, str(suggested), texts.EXPORT_PNG_FILTER
        )
        if name:
            self.export_png(Path(name))

    @Slot()
    def _on_export_data_button_clicked(self) -> None:
        suggested = Path.home() / f"duet-{self.chart_name}-{date.today()}.csv"
        name, _ = QFileDialog.getSaveFileName(
            self, texts.EXPORT_DATA_TITLE, str(suggested), texts.EXPORT_DATA_FILTER
        )
        if name:
            self.export_data(Path(name))
