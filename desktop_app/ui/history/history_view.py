"""The History page: every message Duet queued, sent, held, skipped or failed.

Filters (dates, channel, state, campaign, tag) and a search box narrow the table;
the table reads the database a page at a time, so it opens at once with 100,000
messages. "Export CSV…" writes what the filters show, safe to open in Excel, on a
background thread. A double-click opens that customer's timeline.
"""

import logging
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import KnownError
from desktop_app.services import history
from desktop_app.services.history import HistoryFilter
from desktop_app.storage import contacts, settings
from desktop_app.ui import feedback, tasks
from desktop_app.ui.history import texts
from desktop_app.ui.history.history_table_model import STATE_LABELS, HistoryTableModel
from desktop_app.ui.history.timeline_dialog import TimelineDialog
from desktop_app.ui.history.worker_db import database_file, worker_connection
from desktop_app.ui.tasks import TaskContext

logger = logging.getLogger(__name__)

SEARCH_DELAY_MS = 300
# The earliest date the pickers offer; choosing it means "no bound".
NO_DATE = QDate(2000, 1, 1)
# Columns by model index: fixed widths, and shares of the width left for the rest.
FIXED_WIDTHS = {0: 132, 1: 56, 4: 62, 6: 72, 7: 64}
FLEX_SHARES = {2: (1.0, 112), 3: (1.0, 96), 5: (2.2, 110), 8: (1.2, 120)}
REASON_COLUMN = 5


class ReasonDelegate(QStyledItemDelegate):
    """Cuts a reason at its end: its first words say why ("waits for your …")."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class HistoryTable(QTableView):
    """The message table: fixed columns for times and counts, the rest shared.

    On every resize the text columns (to, customer, reason, campaign) share the
    width the fixed ones leave, each at least a readable minimum; below that the
    table scrolls sideways.
    """

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Share the viewport's width between the columns."""
        header = self.horizontalHeader()
        for column, width in FIXED_WIDTHS.items():
            header.resizeSection(column, width)
        spare = self.viewport().width() - sum(FIXED_WIDTHS.values())
        extra = max(0, spare - sum(minimum for _share, minimum in FLEX_SHARES.values()))
        weight = sum(share for share, _minimum in FLEX_SHARES.values())
        for column, (share, minimum) in FLEX_SHARES.items():
            header.resizeSection(column, minimum + int(extra * share / weight))


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText(texts.ANY_DATE)
    edit.setDate(NO_DATE)
    edit.setMinimumWidth(110)
    return edit


class HistoryView(QWidget):
    """A table of messages with filters, a search box, CSV export and timelines.

    Signals:
        exported(int): messages written by the last CSV export.
        export_failed(str): why the last export did not work.
    """

    exported = Signal(int)
    export_failed = Signal(str)

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._export_task: tasks.Task | None = None
        self.timeline: TimelineDialog | None = None

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(texts.SEARCH_PLACEHOLDER)
        self.search_edit.setClearButtonEnabled(True)
        self.channel_combo = QComboBox()
        self.channel_combo.addItem(texts.ALL_CHANNELS, None)
        self.channel_combo.addItem("SMS", "sms")
        self.channel_combo.addItem("Email", "email")
        self.state_combo = QComboBox()
        self.state_combo.addItem(texts.ALL_STATES, None)
        for state, label in STATE_LABELS.items():
            self.state_combo.addItem(label, state)
        self.state_combo.setToolTip(texts.STATE_TOOLTIP)
        self.campaign_combo = QComboBox()
        self.campaign_combo.setMinimumContentsLength(12)
        self.campaign_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.tag_combo = QComboBox()
        self.tag_combo.setMinimumContentsLength(8)
        self.tag_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.since_edit = _date_edit()
        self.until_edit = _date_edit()
        self.resume_button = QPushButton(texts.RESUME)
        self.resume_button.setToolTip(texts.RESUME_TOOLTIP)
        self.resume_button.setEnabled(False)
        self._resume_task: tasks.Task | None = None
        self.export_button = QPushButton(texts.EXPORT)
        self.refresh_button = QPushButton(texts.REFRESH)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")

        self.model = HistoryTableModel(db, self)
        self.table = HistoryTable()
        self.table.setModel(self.model)
        self.reason_delegate = ReasonDelegate(self.table)
        self.table.setItemDelegateForColumn(REASON_COLUMN, self.reason_delegate)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # Long campaign names and addresses keep both ends: "Spring sale 2…(waiting)".
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(50)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 2)
        filters.addWidget(self.channel_combo)
        filters.addWidget(self.state_combo)
        filters.addWidget(self.campaign_combo, 1)
        filters.addWidget(self.tag_combo)
        dates = QHBoxLayout()
        dates.addWidget(QLabel(texts.FROM))
        dates.addWidget(self.since_edit)
        dates.addWidget(QLabel(texts.TO))
        dates.addWidget(self.until_edit)
        dates.addStretch(1)
        dates.addWidget(self.resume_button)
        dates.addWidget(self.export_button)
        dates.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(dates)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self._fill_choices()
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        for combo in (
            self.channel_combo,
            self.state_combo,
            self.campaign_combo,
            self.tag_combo,
        ):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.since_edit.dateChanged.connect(self._on_date_changed)
        self.until_edit.dateChanged.connect(self._on_date_changed)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.apply_filters()

    # --- reading ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the choices and the messages again from the database."""
        self._fill_choices()
        self.apply_filters()

    def current_filter(self) -> HistoryFilter:
        """Return the filters the controls show."""
        return HistoryFilter(
            campaign=self.campaign_combo.currentData(),
            since=self._date_of(self.since_edit),
            until=self._date_of(self.until_edit),
            channel=self.channel_combo.currentData(),
            state=self.state_combo.currentData(),
            tag=self.tag_combo.currentData(),
            search=self.search_edit.text().strip() or None,
        )

    def apply_filters(self) -> None:
        """Show the messages the controls select (now, without waiting)."""
        self._search_timer.stop()
        wanted = self.current_filter()
        try:
            self.model.set_filter(wanted, self._zone())
        except KnownError as error:
            logger.info("history filter refused: %s", error.message)
            feedback.status(self, error.message)
        self._show_count()
        self.resume_button.setEnabled(
            self._resume_task is None and self.resumable_campaign() is not None
        )

    def _show_count(self) -> None:
        count = self.model.total()
        if count == 0:
            empty = self.current_filter() == HistoryFilter()
            self.count_label.setText(texts.EMPTY if empty else texts.NO_MATCH)
            return
        shown = (
            texts.COUNT_ONE if count == 1 else texts.COUNT.format(count=f"{count:,}")
        )
        self.count_label.setText(f"{shown}. {texts.COUNT_HINT}")

    def _fill_choices(self) -> None:
        """Fill the campaign and tag lists, keeping what was chosen."""
        self._refill(
            self.campaign_combo, texts.ALL_CAMPAIGNS, history.campaign_names(self._db)
        )
        self._refill(self.tag_combo, texts.ALL_TAGS, contacts.all_tags(self._db))

    @staticmethod
    def _refill(combo: QComboBox, everything: str, values: list[str]) -> None:
        chosen = combo.currentData()
        current = [combo.itemData(i) for i in range(1, combo.count())]
        if current == values and combo.count():
            return
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for value in values:
            combo.addItem(value, value)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    @staticmethod
    def _date_of(edit: QDateEdit) -> date | None:
        chosen = edit.date()
        if chosen == edit.minimumDate():
            return None
        return date(chosen.year(), chosen.month(), chosen.day())

    def _zone(self) -> ZoneInfo:
        return settings.shop_zone(self._db)

    # --- export ----------------------------------------------------------------------

    def export_csv(self, path: Path) -> tasks.Task | None:
        """Write the messages the filters show to ``path`` (CSV, Excel-safe).

        A database file is read by a background job with its own connection; an
        in-memory one (tests) is written at once.

        Returns:
            The background task, or None when the file was written at once.
        """
        wanted = self.current_filter()
        source = database_file(self._db)
        if source is None:
            try:
                count = history.export_history_csv(self._db, wanted, path)
            except KnownError as error:
                self._on_export_failed(error)
                return None
            self._on_export_succeeded((count, path))
            return None

        def work(_context: TaskContext) -> tuple[int, Path]:
            with worker_connection(source) as db:
                return history.export_history_csv(db, wanted, path), path

        self.export_button.setEnabled(False)
        feedback.status(self, texts.EXPORT_RUNNING.format(file=path.name))
        self._export_task = tasks.run_in_background(
            work,
            on_success=self._on_export_succeeded,
            on_error=self._on_export_failed,
            parent=self,
        )
        return self._export_task

    def _on_export_succeeded(self, result: Any) -> None:
        count, path = result
        self.export_button.setEnabled(True)
        self._export_task = None
        feedback.status(self, texts.EXPORT_DONE.format(count=count, file=path))
        self.exported.emit(int(count))

    def _on_export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        self._export_task = None
        message = getattr(error, "message", str(error))
        self.export_failed.emit(message)
        feedback.report_error(self, texts.EXPORT_FAILED_TITLE, error)

    # --- finishing a paused campaign -------------------------------------------------

    def resumable_campaign(self) -> int | None:
        """Return the chosen campaign's id when it was left unfinished, else None."""
        from desktop_app.services import sending

        name = self.campaign_combo.currentData()
        if not name:
            return None
        unfinished = [c.id for c in sending.interrupted_campaigns(self._db)]
        chosen = [c for c in unfinished if self._campaign_name(c) == name]
        return chosen[-1] if chosen else None

    def resume_campaign(self) -> tasks.Task | None:
        """Finish the chosen unfinished campaign in the background."""
        campaign_id = self.resumable_campaign()
        source = database_file(self._db)
        if campaign_id is None or source is None or self._resume_task is not None:
            return None
        data_dir = source.parent

        def work(context: TaskContext) -> Any:
            from desktop_app.providers.factory import senders_from_credentials
            from desktop_app.services import sending
            from desktop_app.storage import messages

            with worker_connection(source) as db:
                campaign = messages.get_campaign(db, campaign_id)
                outbox_only = {campaign.provider_sms, campaign.provider_email} == {
                    "outbox"
                }
                senders, _mode = senders_from_credentials(
                    data_dir, use_outbox=outbox_only
                )
                try:
                    return sending.resume_campaign(
                        db,
                        campaign_id,
                        senders,
                        progress=context.progress,
                        cancel=context.cancelled,
                    )
                finally:
                    senders.close()

        self.resume_button.setEnabled(False)
        feedback.status(self, texts.RESUME_RUNNING)
        self._resume_task = tasks.run_in_background(
            work,
            on_success=self._on_resume_succeeded,
            on_error=self._on_resume_failed,
            parent=self,
        )
        return self._resume_task

    def _campaign_name(self, campaign_id: int) -> str | None:
        row = self._db.execute(
            "SELECT name FROM campaigns WHERE id = ?", [campaign_id]
        ).fetchone()
        return None if row is None else str(row[0])

    def _on_resume_succeeded(self, summary: Any) -> None:
        self._resume_task = None
        feedback.status(self, summary.summary_text())
        self.refresh()

    def _on_resume_failed(self, error: BaseException) -> None:
        self._resume_task = None
        self.refresh()
        feedback.report_error(self, texts.RESUME, error)

    @Slot()
    def _on_resume_button_clicked(self) -> None:
        self.resume_campaign()

    # --- timeline --------------------------------------------------------------------

    def open_timeline(self, contact_id: int | None) -> TimelineDialog:
        """Open (or replace) the timeline of one customer, without blocking."""
        if self.timeline is not None:
            self.timeline.close()
            self.timeline.deleteLater()
        self.timeline = TimelineDialog(self._db, contact_id, self._zone(), self)
        self.timeline.open()
        return self.timeline

    # --- slots -----------------------------------------------------------------------

    @Slot(str)
    def _on_search_edit_text_changed(self, _text: str) -> None:
        self._search_timer.start()

    @Slot()
    def _on_search_timer_timeout(self) -> None:
        self.apply_filters()

    @Slot(int)
    def _on_filter_changed(self, _index: int) -> None:
        self.apply_filters()

    @Slot(QDate)
    def _on_date_changed(self, _date: QDate) -> None:
        self.apply_filters()

    @Slot()
    def _on_refresh_button_clicked(self) -> None:
        self.refresh()

    @Slot()
    def _on_export_button_clicked(self) -> None:
        suggested = Path.home() / f"duet-history-{date.today().isoformat()}.csv"
        name, _ = QFileDialog.getSaveFileName(
            self, texts.EXPORT_TITLE, str(suggested), texts.EXPORT_FILTER
        )
        if name:
            self.export_csv(Path(name))

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.open_timeline(row.get("contact_id"))
