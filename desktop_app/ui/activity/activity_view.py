"""The Activity page: what customers did, and the replies the owner must decide on.

It lists replies, opt-outs (with the words that caused them), HELP requests and
replies flagged for review ("please don't text me"), newest first. For a flagged
reply the owner chooses "Treat as opt-out" or "Not an opt-out"; Duet never guesses.
"Check for replies now" runs one Twilio sync on a background thread with its own
database connection; in test mode it says there is nothing to check.
"""

import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import KnownError
from desktop_app.services import history
from desktop_app.services.history import ActivityEvent
from desktop_app.storage import settings
from desktop_app.ui import feedback, tasks
from desktop_app.ui.activity import texts
from desktop_app.ui.history.history_table_model import local_time
from desktop_app.ui.history.worker_db import database_file, worker_connection
from desktop_app.ui.tasks import TaskContext

logger = logging.getLogger(__name__)

TEST_MODE_RESULT = "test mode"


def check_for_replies(data_dir: Path, database: Path) -> Any:
    """Run one sync with Twilio (on a worker thread); "test mode" without Twilio."""
    from desktop_app.providers.factory import senders_from_credentials
    from desktop_app.services.sync import sync_once

    senders, mode = senders_from_credentials(data_dir)
    try:
        if not mode.startswith("Twilio"):
            return TEST_MODE_RESULT
        with worker_connection(database) as db:
            return sync_once(db, senders.sms)  # type: ignore[arg-type]
    finally:
        senders.close()


class ActivityView(QWidget):
    """Customer events with a filter, the review decisions and a sync button.

    Signals:
        decided(int, str): a review event and the decision taken.
        checked(object): the ``SyncReport`` (or "test mode") of a finished check.
    """

    decided = Signal(int, str)
    checked = Signal(object)

    def __init__(
        self,
        db: sqlite_utils.Database,
        data_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self._check_task: tasks.Task | None = None
        self.events: list[ActivityEvent] = []

        self.filter_combo = QComboBox()
        for key, label in texts.FILTERS:
            self.filter_combo.addItem(label, key)
        self.check_button = QPushButton(texts.CHECK_NOW)
        self.hint = QLabel(texts.REVIEW_HINT)
        self.hint.setObjectName("mutedLabel")
        self.hint.setWordWrap(True)
        self.table = QTableWidget(0, len(texts.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(texts.COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        for column, width in enumerate((128, 120, 124, 0, 130, 140)):
            if width:
                header.resizeSection(column, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.opt_out_button = QPushButton(texts.TREAT_AS_OPT_OUT)
        self.not_opt_out_button = QPushButton(texts.NOT_AN_OPT_OUT)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")

        top = QHBoxLayout()
        top.addWidget(self.filter_combo)
        top.addStretch(1)
        top.addWidget(self.check_button)
        decide = QHBoxLayout()
        decide.addWidget(self.count_label, 1)
        decide.addWidget(self.opt_out_button)
        decide.addWidget(self.not_opt_out_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(decide)

        self.filter_combo.currentIndexChanged.connect(self._on_filter_combo_changed)
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.opt_out_button.clicked.connect(self._on_opt_out_button_clicked)
        self.not_opt_out_button.clicked.connect(self._on_not_opt_out_button_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def refresh(self) -> None:
        """Read the events again."""
        key = self.filter_combo.currentData()
        if key == "decide":
            self.events = history.list_activity(self._db, undecided_only=True)
        elif key:
            self.events = history.list_activity(self._db, kinds=(key,))
        else:
            self.events = history.list_activity(self._db)
        zone = self._zone()
        self.table.setRowCount(len(self.events))
        for row, event in enumerate(self.events):
            who = event.contact or texts.UNKNOWN_SENDER.format(sender=event.sender)
            decision = (
                texts.DECISIONS.get(event.decision, "")
                if event.kind == "review"
                else ""
            )
            cells = (
                local_time(event.at, zone),
                who,
                texts.KIND_LABELS.get(event.kind, event.kind),
                event.body,
                event.evidence,
                decision,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        count = len(self.events)
        self.count_label.setText(
            texts.COUNT.format(count=count) if count else texts.EMPTY
        )
        self._update_buttons()

    def selected_event(self) -> ActivityEvent | None:
        """Return the event on the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.events[rows[0].row()]

    def decide(self, event: ActivityEvent, *, opt_out: bool) -> bool:
        """Record the owner's decision on a flagged reply; False when refused."""
        try:
            history.decide_review(self._db, event.id, opt_out=opt_out)
        except KnownError as error:
            feedback.report_error(self, texts.DECIDE_FAILED_TITLE, error)
            return False
        name = event.contact or event.sender
        text = texts.DECIDED_OPT_OUT if opt_out else texts.DECIDED_NOT
        feedback.status(self, text.format(name=name))
        self.refresh()
        self.decided.emit(event.id, "opt_out" if opt_out else "not_opt_out")
        return True

    def check_now(self) -> tasks.Task | None:
        """Ask Twilio for replies and delivery reports on a background thread."""
        source = database_file(self._db)
        if source is None or self._check_task is not None:
            return None
        data_dir = self._data_dir

        def work(_context: TaskContext) -> Any:
            return check_for_replies(data_dir, source)

        self.check_button.setEnabled(False)
        feedback.status(self, texts.CHECKING)
        self._check_task = tasks.run_in_background(
            work,
            on_success=self._on_check_succeeded,
            on_error=self._on_check_failed,
            parent=self,
        )
        return self._check_task

    def _on_check_succeeded(self, result: Any) -> None:
        self.check_button.setEnabled(True)
        self._check_task = None
        if result == TEST_MODE_RESULT:
            feedback.status(self, texts.TEST_MODE, 15000)
        else:
            feedback.status(self, result.summary_text(), 15000)
            self.refresh()
        self.checked.emit(result)

    def _on_check_failed(self, error: BaseException) -> None:
        self.check_button.setEnabled(True)
        self._check_task = None
        feedback.report_error(self, texts.CHECK_FAILED_TITLE, error)

    def _update_buttons(self) -> None:
        event = self.selected_event()
        can_decide = event is not None and event.kind == "review" and not event.decision
        self.opt_out_button.setEnabled(can_decide)
        self.not_opt_out_button.setEnabled(can_decide)

    def _zone(self) -> ZoneInfo | None:
        name = settings.get_settings(self._db).get("shop.timezone", "")
        try:
            return ZoneInfo(name) if name else None
        except (ZoneInfoNotFoundError, ValueError):
            return None

    @Slot(int)
    def _on_filter_combo_changed(self, _index: int) -> None:
        self.refresh()

    @Slot()
    def _on_check_button_clicked(self) -> None:
        self.check_now()

    @Slot()
    def _on_opt_out_button_clicked(self) -> None:
        event = self.selected_event()
        if event is not None:
            self.decide(event, opt_out=True)

    @Slot()
    def _on_not_opt_out_button_clicked(self) -> None:
        event = self.selected_event()
        if event is not None:
            self.decide(event, opt_out=False)
