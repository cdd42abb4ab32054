"""The Replies page: what customers sent, and the replies the owner must decide on.

One row per text or mail a customer sent (``services.replies_view`` merges the
events sync and the mailbox check record for it), newest first, saying in plain
words what Duet did: "Opted out (STOP)", "Signed up (JOIN)", "Asked for help",
"May mean stop — needs your decision", "Decided: not an opt-out"... For a flagged
reply the owner chooses "Treat as opt-out" or "Not an opt-out"; Duet never guesses.
"Check for replies now" runs one Twilio sync on a background thread with its own
database connection; in test mode it says there is nothing to check.
"""

import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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

from desktop_app.core.words import counted
from desktop_app.errors import KnownError
from desktop_app.services import history, replies_view
from desktop_app.services.replies_view import ReplyRow
from desktop_app.storage import messages as message_store
from desktop_app.storage import settings
from desktop_app.ui import feedback, tasks
from desktop_app.ui.activity import texts
from desktop_app.ui.activity.waiting import replies_waiting
from desktop_app.ui.history.history_table_model import local_time
from desktop_app.ui.history.worker_db import database_file, worker_connection
from desktop_app.ui.tasks import TaskContext

logger = logging.getLogger(__name__)

TEST_MODE_RESULT = "test mode"
MAX_ROW_LINES = 3
CUSTOMER_WIDTH = 170
WHAT_WIDTH = 160


def channel_of(event: ReplyRow) -> str:
    """Return ``email`` for a mail from the mailbox, else ``sms``."""
    return event.channel


def kind_label(event: ReplyRow) -> str:
    """Return the "What Duet did" cell, e.g. "Opted out (STOP)"."""
    return event.label


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
        self.events: list[ReplyRow] = []

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
        # Their words and Duet's reading wrap; the short columns fit their text.
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, CUSTOMER_WIDTH), (2, WHAT_WIDTH), (5, 112)):
            header.resizeSection(column, width)
        # "What Duet did" already says the decision ("Decided: opt-out"); the
        # column stays for readers of the table, out of sight.
        self.table.setColumnHidden(5, True)
        self.opt_out_button = QPushButton(texts.TREAT_AS_OPT_OUT)
        self.not_opt_out_button = QPushButton(texts.NOT_AN_OPT_OUT)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")
        self.count_label.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.waiting = 0

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
        layout.addWidget(self.detail)
        layout.addLayout(decide)

        self.filter_combo.currentIndexChanged.connect(self._on_filter_combo_changed)
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.opt_out_button.clicked.connect(self._on_opt_out_button_clicked)
        self.not_opt_out_button.clicked.connect(self._on_not_opt_out_button_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        header.sectionResized.connect(self._on_header_section_resized)
        self.refresh()

    def refresh(self) -> None:
        """Read the events again, keeping the selected one selected."""
        chosen = self.selected_event()
        key = self.filter_combo.currentData()
        self.events = replies_view.list_reply_rows(self._db, show=key)
        zone = self._zone()
        self.table.setRowCount(len(self.events))
        for row, event in enumerate(self.events):
            decision = (
                texts.DECISIONS.get(event.decision, "")
                if event.kind == "review"
                else ""
            )
            cells = (
                local_time(event.at, zone),
                event.who,
                kind_label(event),
                event.body,
                event.reading,
                decision,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if _needs_decision(event):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self._fit_rows()
        self._show_counts(key)
        if chosen is not None:
            self.select_event(chosen.id)
        self._update_buttons()

    def select_event(self, event_id: int) -> bool:
        """Select the row of the event ``event_id``; False when it is not listed."""
        for row, event in enumerate(self.events):
            if event.id == event_id:
                self.table.selectRow(row)
                return True
        return False

    def select_next_waiting(self) -> bool:
        """Select the newest reply that waits for a decision; False when none."""
        for row, event in enumerate(self.events):
            if _needs_decision(event):
                self.table.selectRow(row)
                return True
        return False

    def selected_event(self) -> ReplyRow | None:
        """Return the event on the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.events[rows[0].row()]

    def decide(self, event: ReplyRow, *, opt_out: bool) -> bool:
        """Record the owner's decision on a flagged reply; False when refused."""
        try:
            # Contacts sharing the number each got the reply; one decision for all.
            for review_id in event.review_ids or (event.id,):
                history.decide_review(self._db, review_id, opt_out=opt_out)
        except KnownError as error:
            feedback.report_error(self, texts.DECIDE_FAILED_TITLE, error)
            return False
        name = event.contact or event.sender
        if not opt_out:
            text = texts.DECIDED_NOT
        elif channel_of(event) == "email":
            text = texts.DECIDED_OPT_OUT_EMAIL
        else:
            text = texts.DECIDED_OPT_OUT
        feedback.status(self, text.format(name=name))
        self.table.clearSelection()
        self.refresh()
        self.select_next_waiting()
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

    def _fit_rows(self) -> None:
        """Rows as tall as their wrapped words, at most a few lines (the line
        under the table shows the selected reply in full)."""
        self.table.resizeRowsToContents()
        tallest = self.fontMetrics().lineSpacing() * MAX_ROW_LINES + 8
        for row in range(self.table.rowCount()):
            if self.table.rowHeight(row) > tallest:
                self.table.setRowHeight(row, tallest)

    def _show_counts(self, key: str | None) -> None:
        self.waiting = replies_waiting(self._db)
        held = message_store.count_waiting_for_review(self._db)
        waits = (
            texts.HELD_FOR_DECISIONS.format(messages=counted(held, "message"))
            if held
            else ""
        )
        if self.waiting == 1:
            self.hint.setText(texts.WAITING_HINT_ONE + waits)
        elif self.waiting:
            self.hint.setText(texts.WAITING_HINT.format(count=self.waiting) + waits)
        else:
            self.hint.setText(texts.REVIEW_HINT)
        self.hint.setObjectName("" if self.waiting else "mutedLabel")
        self.hint.style().unpolish(self.hint)
        self.hint.style().polish(self.hint)
        count = len(self.events)
        if count == 1:
            self.count_label.setText(texts.COUNT_ONE)
        elif count:
            self.count_label.setText(texts.COUNT.format(count=count))
        elif key == "decide":
            self.count_label.setText(texts.NONE_WAITING)
        else:
            self.count_label.setText(texts.EMPTY)

    def _update_buttons(self) -> None:
        event = self.selected_event()
        can_decide = event is not None and _needs_decision(event)
        self.opt_out_button.setEnabled(can_decide)
        self.not_opt_out_button.setEnabled(can_decide)
        if event is None:
            self.detail.setText(texts.CHOOSE_ONE if self.waiting else "")
            return
        self.detail.setText(
            texts.DETAIL.format(
                words=event.body,
                who=event.who,
                what=kind_label(event),
                reading=event.reading or "-",
            )
        )

    def _zone(self) -> ZoneInfo:
        return settings.shop_zone(self._db)

    @Slot(int, int, int)
    def _on_header_section_resized(self, _column: int, _old: int, _new: int) -> None:
        self._fit_rows()  # wrapped words need another height

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


def _needs_decision(event: ReplyRow) -> bool:
    return event.needs_decision
