"""The Automation page: trigger rules, schedules, recent activity, the event endpoint.

Four tabs:

- **Trigger rules**: one row per event kind (the built-in ones are created with their
  transactional templates the first time the page opens); tick "On" to let a rule
  send, or choose another template or delay and save.
- **Schedules**: what is coming up as a calendar-like list grouped by day, the
  schedules themselves (delete), and a form to add one: template, audience, the first
  date and time, and how it repeats.
- **Activity**: the newest automation events, what each triggered, and why anything
  was skipped.
- **Event endpoint**: whether scripts on this PC may post events (off by default, in
  the command line only), and the token, shown or copied only on demand.
"""

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from PySide6.QtCore import QDateTime, Qt, QTime, Signal, Slot
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import recurrence
from desktop_app.errors import KnownError
from desktop_app.storage import automation, contacts, messages, settings, templates
from desktop_app.ui import feedback, tasks
from desktop_app.ui.automation import texts

logger = logging.getLogger(__name__)

ACTIVITY_LIMIT = 100
UPCOMING_PER_SCHEDULE = 4
WEEKDAY_CODES = recurrence.WEEKDAYS


def kind_name(kind: str) -> str:
    """Return an event kind in words (``ticket_opened`` → "Support ticket opened")."""
    return texts.KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())


def rule_for(repeat: str, moment: datetime) -> dict[str, Any]:
    """Return the schedule rule JSON for a repeat choice and the first local time.

    Args:
        repeat: one of the keys of :data:`texts.REPEAT_CHOICES`.
        moment: the first date and time, in the shop's time zone (naive).

    Returns:
        The rule as ``core.recurrence`` stores it.
    """
    clock = moment.strftime("%H:%M")
    weekday = WEEKDAY_CODES[moment.weekday()]
    if repeat == "daily":
        return {"freq": "daily", "time": clock}
    if repeat == "weekly":
        return {"freq": "weekly", "weekday": weekday, "time": clock}
    if repeat == "monthly_day":
        return {"freq": "monthly", "day": moment.day, "time": clock}
    if repeat == "monthly_nth":
        nth = (moment.day - 1) // 7 + 1
        return {
            "freq": "monthly",
            "weekday": weekday,
            "nth": nth if nth <= 4 else -1,
            "time": clock,
        }
    return {"freq": "once", "at": moment.strftime("%Y-%m-%dT%H:%M")}


class AutomationView(QWidget):
    """Trigger rules, schedules, activity and the event endpoint (see the module).

    Signals:
        changed(): a rule or a schedule was saved or deleted (templates may be new).
        token_loaded(object): the event token was read (None when there is none).
    """

    changed = Signal()
    token_loaded = Signal(object)

    def __init__(
        self,
        db: sqlite_utils.Database,
        data_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self._rules: list[automation.TriggerRule] = []
        self.token: str | None = None
        self.token_task: tasks.Task | None = None

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_rules_tab(), texts.TAB_RULES)
        self.tabs.addTab(self._build_schedules_tab(), texts.TAB_SCHEDULES)
        self.tabs.addTab(self._build_activity_tab(), texts.TAB_ACTIVITY)
        self.tabs.addTab(self._build_endpoint_tab(), texts.TAB_ENDPOINT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.tabs)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.refresh()

    # --- building -------------------------------------------------------------------

    def _build_rules_tab(self) -> QWidget:
        intro = QLabel(texts.RULES_INTRO)
        intro.setWordWrap(True)
        intro.setObjectName("mutedLabel")
        self.rules_table = QTableWidget(0, len(texts.RULES_HEADERS))
        self.rules_table.setHorizontalHeaderLabels(list(texts.RULES_HEADERS))
        self.rules_table.setSelectionBehavior(
            QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.rules_table.setSelectionMode(
            QAbstractItemView.SelectionMode.SingleSelection
        )
        self.rules_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rules_table.verticalHeader().setVisible(False)
        header = self.rules_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)

        self.rule_template_combo = QComboBox()
        self.rule_template_combo.setMinimumContentsLength(18)
        self.rule_delay_spin = QSpinBox()
        self.rule_delay_spin.setRange(0, 7 * 24 * 60)
        self.rule_delay_spin.setSuffix(texts.RULES_DELAY_SUFFIX)
        self.rule_delay_spin.setSpecialValueText(texts.RULES_DELAY_NONE)
        self.rule_enabled_check = QCheckBox(texts.RULES_ENABLED)
        self.rule_save_button = QPushButton(texts.RULES_SAVE)
        self.rule_save_button.setObjectName("primaryButton")
        self.rule_hint = QLabel(texts.RULES_PICK)
        self.rule_hint.setObjectName("mutedLabel")

        editor = QHBoxLayout()
        editor.addWidget(QLabel(texts.RULES_TEMPLATE))
        editor.addWidget(self.rule_template_combo, 1)
        editor.addWidget(QLabel(texts.RULES_DELAY))
        editor.addWidget(self.rule_delay_spin)
        editor.addWidget(self.rule_enabled_check)
        editor.addWidget(self.rule_save_button)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.rules_table, 1)
        layout.addWidget(self.rule_hint)
        layout.addLayout(editor)
        self.rules_table.itemChanged.connect(self._on_rules_table_item_changed)
        self.rules_table.itemSelectionChanged.connect(
            self._on_rules_table_selection_changed
        )
        self.rule_save_button.clicked.connect(self._on_rule_save_button_clicked)
        self._set_rule_editor_enabled(False)
        return page

    def _build_schedules_tab(self) -> QWidget:
        self.calendar = QTreeWidget()
        self.calendar.setHeaderHidden(True)
        self.calendar.setRootIsDecorated(False)
        self.calendar.setWordWrap(True)
        self.zone_label = QLabel()
        self.zone_label.setObjectName("mutedLabel")
        self.zone_label.setWordWrap(True)
        calendar_box = QGroupBox(texts.SCHEDULES_CALENDAR)
        calendar_layout = QVBoxLayout(calendar_box)
        calendar_layout.addWidget(self.calendar, 1)
        calendar_layout.addWidget(self.zone_label)

        self.schedule_list = QListWidget()
        self.schedule_list.setWordWrap(True)
        self.delete_schedule_button = QPushButton(texts.SCHEDULES_DELETE)
        self.delete_schedule_button.setEnabled(False)
        list_box = QGroupBox(texts.SCHEDULES_LIST)
        list_layout = QVBoxLayout(list_box)
        list_layout.addWidget(self.schedule_list, 1)
        list_layout.addWidget(
            self.delete_schedule_button, 0, Qt.AlignmentFlag.AlignRight
        )

        self.schedule_template_combo = QComboBox()
        self.schedule_template_combo.setMinimumContentsLength(16)
        self.schedule_audience_combo = QComboBox()
        self.schedule_audience_combo.setMinimumContentsLength(16)
        self.schedule_when_edit = QDateTimeEdit()
        self.schedule_when_edit.setCalendarPopup(True)
        self.schedule_when_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.schedule_repeat_combo = QComboBox()
        for key, label in texts.REPEAT_CHOICES:
            self.schedule_repeat_combo.addItem(label, key)
        self.add_schedule_button = QPushButton(texts.SCHEDULES_ADD_BUTTON)
        self.add_schedule_button.setObjectName("primaryButton")
        add_box = QGroupBox(texts.SCHEDULES_ADD)
        form = QFormLayout(add_box)
        form.addRow(texts.SCHEDULES_TEMPLATE, self.schedule_template_combo)
        form.addRow(texts.SCHEDULES_AUDIENCE, self.schedule_audience_combo)
        form.addRow(texts.SCHEDULES_WHEN, self.schedule_when_edit)
        form.addRow(texts.SCHEDULES_REPEAT, self.schedule_repeat_combo)
        form.addRow("", self.add_schedule_button)

        right = QVBoxLayout()
        right.addWidget(list_box, 1)
        right.addWidget(add_box)
        page = QWidget()
        layout = QHBoxLayout(page)
        layout.addWidget(calendar_box, 1)
        layout.addLayout(right, 1)
        self.schedule_list.currentRowChanged.connect(
            self._on_schedule_list_current_row_changed
        )
        self.delete_schedule_button.clicked.connect(
            self._on_delete_schedule_button_clicked
        )
        self.add_schedule_button.clicked.connect(self._on_add_schedule_button_clicked)
        return page

    def _build_activity_tab(self) -> QWidget:
        self.activity_table = QTableWidget(0, len(texts.ACTIVITY_HEADERS))
        self.activity_table.setHorizontalHeaderLabels(list(texts.ACTIVITY_HEADERS))
        self.activity_table.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.activity_table.setSelectionBehavior(
            QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.activity_table.setWordWrap(True)
        self.activity_table.verticalHeader().setVisible(False)
        header = self.activity_table.horizontalHeader()
        for column in range(len(texts.ACTIVITY_HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(
            len(texts.ACTIVITY_HEADERS) - 1, QHeaderView.ResizeMode.Stretch
        )
        header.sectionResized.connect(self._on_activity_header_section_resized)
        self.activity_empty = QLabel(texts.ACTIVITY_EMPTY)
        self.activity_empty.setObjectName("mutedLabel")
        self.refresh_activity_button = QPushButton(texts.ACTIVITY_REFRESH)
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(self.activity_empty)
        top.addStretch(1)
        top.addWidget(self.refresh_activity_button)
        layout.addLayout(top)
        layout.addWidget(self.activity_table, 1)
        self.refresh_activity_button.clicked.connect(self.refresh_activity)
        return page

    def _build_endpoint_tab(self) -> QWidget:
        self.endpoint_status = QLabel(texts.ENDPOINT_STATUS)
        self.endpoint_status.setObjectName("sectionTitle")
        bold = self.endpoint_status.font()
        bold.setBold(True)
        self.endpoint_status.setFont(bold)
        explain = QLabel(texts.ENDPOINT_EXPLAIN)
        explain.setWordWrap(True)
        explain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.token_edit = QLineEdit()
        self.token_edit.setReadOnly(True)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText(texts.ENDPOINT_HIDDEN)
        self.token_note = QLabel()
        self.token_note.setObjectName("mutedLabel")
        self.token_note.setWordWrap(True)
        self.show_token_button = QPushButton(texts.ENDPOINT_SHOW)
        self.copy_token_button = QPushButton(texts.ENDPOINT_COPY)
        self.new_token_button = QPushButton(texts.ENDPOINT_NEW)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_token_button)
        buttons.addWidget(self.copy_token_button)
        buttons.addWidget(self.new_token_button)
        buttons.addStretch(1)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.endpoint_status)
        layout.addWidget(explain)
        layout.addWidget(self.token_edit)
        layout.addLayout(buttons)
        layout.addWidget(self.token_note)
        layout.addStretch(1)
        self.show_token_button.clicked.connect(self._on_show_token_button_clicked)
        self.copy_token_button.clicked.connect(self._on_copy_token_button_clicked)
        self.new_token_button.clicked.connect(self._on_new_token_button_clicked)
        return page

    # --- reading ----------------------------------------------------------------------

    def refresh(self) -> None:
        """Read rules, templates, tags, schedules and activity again."""
        automation.ensure_builtin_rules(self._db)
        self.refresh_rules()
        self.refresh_schedules()
        self.refresh_activity()

    def refresh_rules(self) -> None:
        """Fill the rules table and the template choices."""
        names = [t.name for t in templates.list_templates(self._db)]
        _fill_combo(self.rule_template_combo, [(name, name) for name in names])
        self._rules = automation.list_rules(self._db)
        self.rules_table.blockSignals(True)
        self.rules_table.setRowCount(len(self._rules))
        for row, rule in enumerate(self._rules):
            kind = QTableWidgetItem(kind_name(rule.kind))
            kind.setData(Qt.ItemDataRole.UserRole, rule.kind)
            delay = (
                f"{rule.delay_minutes}{texts.RULES_DELAY_SUFFIX}"
                if rule.delay_minutes
                else texts.RULES_DELAY_NONE
            )
            enabled = QTableWidgetItem(
                texts.RULE_ON_LABEL if rule.enabled else texts.RULE_OFF_LABEL
            )
            enabled.setFlags(
                Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
            )
            enabled.setCheckState(
                Qt.CheckState.Checked if rule.enabled else Qt.CheckState.Unchecked
            )
            self.rules_table.setItem(row, 0, kind)
            self.rules_table.setItem(row, 1, QTableWidgetItem(rule.template_name))
            self.rules_table.setItem(row, 2, QTableWidgetItem(delay))
            self.rules_table.setItem(row, 3, enabled)
        self.rules_table.blockSignals(False)
        self._on_rules_table_selection_changed()

    def refresh_schedules(self, now: datetime | None = None) -> None:
        """Fill the calendar, the schedule list and the add form's choices."""
        from desktop_app.services import schedules

        names = [t.name for t in templates.list_templates(self._db)]
        _fill_combo(self.schedule_template_combo, [(name, name) for name in names])
        audiences: list[tuple[str, object]] = [(texts.SCHEDULES_EVERYONE, None)]
        audiences += [
            (texts.SCHEDULES_TAG.format(tag=tag), tag)
            for tag in contacts.all_tags(self._db)
        ]
        _fill_combo(self.schedule_audience_combo, audiences)
        self.add_schedule_button.setEnabled(bool(names))
        self.add_schedule_button.setToolTip(
            "" if names else texts.SCHEDULES_NO_TEMPLATES
        )
        zone = settings.get_setting(self._db, "shop.timezone") or "UTC"
        self.zone_label.setText(texts.SCHEDULES_ZONE.format(zone=zone))
        if self.schedule_when_edit.dateTime() < QDateTime.currentDateTime():
            tomorrow = QDateTime.currentDateTime().addDays(1)
            tomorrow.setTime(QTime(10, 0))
            self.schedule_when_edit.setDateTime(tomorrow)

        occurrences = schedules.upcoming(
            self._db, now=now, per_schedule=UPCOMING_PER_SCHEDULE
        )
        self.calendar.clear()
        days: dict[str, QTreeWidgetItem] = {}
        for occurrence in occurrences:
            day, _, clock = occurrence.local.partition(" ")
            parent = days.get(day)
            if parent is None:
                parent = QTreeWidgetItem([_day_heading(day)])
                font = parent.font(0)
                font.setBold(True)
                parent.setFont(0, font)
                parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
                days[day] = parent
                self.calendar.addTopLevelItem(parent)
            who = (
                texts.CALENDAR_EVERYONE
                if occurrence.audience.get("everyone")
                else texts.CALENDAR_TAG.format(tag=occurrence.audience.get("tag"))
            )
            state = texts.STATE_NAMES.get(occurrence.state, occurrence.state)
            hour, _, zone_abbreviation = clock.partition(" ")
            line = f"{hour}  {occurrence.template} → {who}"
            child = QTreeWidgetItem([f"{line}  ({state})" if state else line])
            child.setToolTip(
                0, f"{occurrence.schedule}: {occurrence.local} ({zone_abbreviation})"
            )
            parent.addChild(child)
        if not occurrences:
            self.calendar.addTopLevelItem(
                QTreeWidgetItem([texts.SCHEDULES_CALENDAR_EMPTY])
            )
        self.calendar.expandAll()

        self.schedule_list.clear()
        for schedule in automation.list_schedules(self._db):
            item = QListWidgetItem(schedule.name)
            item.setData(Qt.ItemDataRole.UserRole, schedule.id)
            self.schedule_list.addItem(item)
        self.delete_schedule_button.setEnabled(False)

    def refresh_activity(self) -> None:
        """Fill the activity table with the newest lines."""
        rows = automation.recent_activity(self._db, ACTIVITY_LIMIT)
        self.activity_table.setRowCount(len(rows))
        zone = recurrence.zone_of(
            settings.get_setting(self._db, "shop.timezone") or "UTC"
        )
        names: dict[int, str] = {}
        for row_number, row in enumerate(rows):
            when = datetime.fromisoformat(row.at).astimezone(zone)
            what, source = _activity_what(row)
            detail = _activity_detail(row)
            if row.campaign_id is not None:
                name = names.get(row.campaign_id)
                if name is None:
                    name = _campaign_name(self._db, row.campaign_id)
                    names[row.campaign_id] = name
                campaign = texts.ACTIVITY_CAMPAIGN.format(name=name)
                detail = f"{detail} ({campaign})" if detail else campaign
            values = (
                when.strftime("%Y-%m-%d %H:%M"),
                what,
                source,
                row.outcome,
                detail,
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.activity_table.setItem(row_number, column, item)
        self.activity_table.resizeRowsToContents()
        self.activity_empty.setVisible(not rows)

    # --- acting ---------------------------------------------------------------------

    def rule_kinds(self) -> list[str]:
        """Return the event kinds listed, in table order."""
        return [rule.kind for rule in self._rules]

    def set_rule_enabled(self, kind: str, enabled: bool) -> bool:
        """Turn the rule for ``kind`` on or off; return True when saved."""
        rule = automation.get_rule(self._db, kind)
        if rule is None:
            return False
        return self._save_rule(rule, rule.template_name, rule.delay_minutes, enabled)

    def select_rule(self, kind: str) -> None:
        """Select the row of ``kind`` (its settings fill the editor)."""
        self.rules_table.selectRow(self.rule_kinds().index(kind))

    def save_selected_rule(self) -> bool:
        """Save the editor's template, delay and on/off for the selected rule."""
        rule = self._selected_rule()
        if rule is None:
            return False
        return self._save_rule(
            rule,
            self.rule_template_combo.currentData() or rule.template_name,
            self.rule_delay_spin.value(),
            self.rule_enabled_check.isChecked(),
        )

    def _save_rule(
        self,
        rule: automation.TriggerRule,
        template_name: str,
        delay: int,
        enabled: bool,
    ) -> bool:
        try:
            saved = automation.save_rule(
                self._db,
                kind=rule.kind,
                template_name=template_name,
                fields=rule.fields,
                delay_minutes=delay,
                enabled=enabled,
            )
        except KnownError as error:
            feedback.warn(self, texts.RULES_SAVE, error.message)
            return False
        feedback.status(
            self,
            texts.RULES_SAVED.format(
                kind=kind_name(saved.kind),
                state=texts.RULE_ON if saved.enabled else texts.RULE_OFF,
                template=saved.template_name,
            ),
        )
        selected = rule.kind
        self.refresh_rules()
        self.select_rule(selected)
        self.changed.emit()
        return True

    def add_schedule(
        self,
        *,
        template_name: str,
        tag: str | None,
        first: datetime,
        repeat: str,
        now: datetime | None = None,
    ) -> bool:
        """Add a schedule; True when it was stored (else the owner was told why).

        Args:
            template_name: the template to send.
            tag: the tag to send to; None for all contacts.
            first: the first local date and time (shop's time zone, naive).
            repeat: a key of :data:`texts.REPEAT_CHOICES`.
            now: the current time (tests fix it).
        """
        from desktop_app.services import schedules

        rule = rule_for(repeat, first)
        try:
            if rule["freq"] == "once":
                schedule = schedules.add_schedule(
                    self._db,
                    template_name=template_name,
                    tag=tag,
                    everyone=tag is None,
                    at=first.strftime("%Y-%m-%d %H:%M"),
                    now=now,
                )
            else:
                schedule = schedules.add_schedule(
                    self._db,
                    template_name=template_name,
                    tag=tag,
                    everyone=tag is None,
                    rule=json.dumps(rule),
                    now=now,
                )
        except KnownError as error:
            feedback.warn(self, texts.SCHEDULES_FAILED, error.message)
            return False
        feedback.status(self, texts.SCHEDULES_ADDED.format(name=schedule.name))
        self.refresh_schedules(now)
        self.changed.emit()
        return True

    def delete_schedule(self, schedule_id: int) -> bool:
        """Delete a schedule after the owner confirms; True when deleted."""
        try:
            schedule = automation.get_schedule(self._db, schedule_id)
        except KnownError as error:
            feedback.warn(self, texts.SCHEDULES_DELETE, error.message)
            return False
        if not feedback.ask(
            self,
            texts.SCHEDULES_DELETE,
            texts.SCHEDULES_DELETE_QUESTION.format(name=schedule.name),
            texts.SCHEDULES_DELETE,
            "Keep it",
        ):
            return False
        automation.remove_schedule(self._db, schedule_id)
        feedback.status(self, texts.SCHEDULES_DELETED.format(name=schedule.name))
        self.refresh_schedules()
        self.changed.emit()
        return True

    def load_token(self) -> tasks.Task:
        """Read the event token from the keyring in the background, to show it."""
        from desktop_app import credentials

        def read(_context: tasks.TaskContext) -> str | None:
            return credentials.load_event_token()

        self.show_token_button.setEnabled(False)
        self.token_task = tasks.run_in_background(
            read,
            on_success=self._on_token_read,
            on_error=self._on_token_failed,
            parent=self,
        )
        return self.token_task

    def make_new_token(self) -> tasks.Task | None:
        """Replace the event token after the owner confirms; show the new one."""
        from desktop_app import credentials

        if not feedback.ask(
            self,
            texts.TAB_ENDPOINT,
            texts.ENDPOINT_NEW_QUESTION,
            texts.ENDPOINT_NEW_YES,
            texts.ENDPOINT_NEW_NO,
        ):
            return None

        def make(_context: tasks.TaskContext) -> str:
            token = credentials.new_event_token()
            credentials.save_event_token(token)
            return token

        self.new_token_button.setEnabled(False)
        self.token_task = tasks.run_in_background(
            make,
            on_success=self._on_token_made,
            on_error=self._on_token_failed,
            parent=self,
        )
        return self.token_task

    def hide_token(self) -> None:
        """Hide the token again and forget it."""
        self.token = None
        self.token_edit.clear()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_note.setText("")
        self.show_token_button.setText(texts.ENDPOINT_SHOW)

    # --- helpers and slots ----------------------------------------------------------

    def _selected_rule(self) -> automation.TriggerRule | None:
        rows = self.rules_table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return self._rules[row] if 0 <= row < len(self._rules) else None

    def _set_rule_editor_enabled(self, enabled: bool) -> None:
        for widget in (
            self.rule_template_combo,
            self.rule_delay_spin,
            self.rule_enabled_check,
            self.rule_save_button,
        ):
            widget.setEnabled(enabled)
        self.rule_hint.setVisible(not enabled)

    @Slot()
    def _on_rules_table_selection_changed(self) -> None:
        rule = self._selected_rule()
        self._set_rule_editor_enabled(rule is not None)
        if rule is None:
            return
        index = self.rule_template_combo.findData(rule.template_name)
        if index < 0:
            self.rule_template_combo.addItem(rule.template_name, rule.template_name)
            index = self.rule_template_combo.count() - 1
        self.rule_template_combo.setCurrentIndex(index)
        self.rule_delay_spin.setValue(rule.delay_minutes)
        self.rule_enabled_check.setChecked(rule.enabled)

    @Slot(QTableWidgetItem)
    def _on_rules_table_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 3 or not 0 <= item.row() < len(self._rules):
            return
        rule = self._rules[item.row()]
        enabled = item.checkState() == Qt.CheckState.Checked
        if enabled != rule.enabled:
            self._save_rule(rule, rule.template_name, rule.delay_minutes, enabled)

    @Slot(int)
    def _on_tabs_current_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.activity_table.parentWidget():
            self.activity_table.resizeRowsToContents()

    @Slot(int, int, int)
    def _on_activity_header_section_resized(self, *_sizes: int) -> None:
        self.activity_table.resizeRowsToContents()  # wrapped details fit the width

    @Slot()
    def _on_rule_save_button_clicked(self) -> None:
        self.save_selected_rule()

    @Slot(int)
    def _on_schedule_list_current_row_changed(self, row: int) -> None:
        self.delete_schedule_button.setEnabled(row >= 0)

    @Slot()
    def _on_delete_schedule_button_clicked(self) -> None:
        item = self.schedule_list.currentItem()
        if item is not None:
            self.delete_schedule(int(item.data(Qt.ItemDataRole.UserRole)))

    @Slot()
    def _on_add_schedule_button_clicked(self) -> None:
        template_name = self.schedule_template_combo.currentData()
        if not template_name:
            feedback.warn(self, texts.SCHEDULES_FAILED, texts.SCHEDULES_NO_TEMPLATES)
            return
        first = self.schedule_when_edit.dateTime().toPython()
        self.add_schedule(
            template_name=str(template_name),
            tag=self.schedule_audience_combo.currentData(),
            first=first.replace(second=0, microsecond=0),  # type: ignore[union-attr]
            repeat=str(self.schedule_repeat_combo.currentData()),
        )

    @Slot()
    def _on_show_token_button_clicked(self) -> None:
        if self.token is not None:
            self.hide_token()
        else:
            self.load_token()

    @Slot()
    def _on_copy_token_button_clicked(self) -> None:
        if self.token is None:
            self.load_token()
            self._copy_when_loaded = True
            return
        QGuiApplication.clipboard().setText(self.token)
        feedback.status(self, texts.ENDPOINT_COPIED)

    @Slot()
    def _on_new_token_button_clicked(self) -> None:
        self.make_new_token()

    _copy_when_loaded = False

    def _on_token_read(self, token: str | None) -> None:
        self.show_token_button.setEnabled(True)
        self._show_token(token)
        if token is not None and self._copy_when_loaded:
            QGuiApplication.clipboard().setText(token)
            feedback.status(self, texts.ENDPOINT_COPIED)
        self._copy_when_loaded = False
        self.token_loaded.emit(token)

    def _on_token_made(self, token: str) -> None:
        self.new_token_button.setEnabled(True)
        self._show_token(token)
        feedback.status(self, texts.ENDPOINT_NEW_DONE)
        self.token_loaded.emit(token)

    def _show_token(self, token: str | None) -> None:
        self.token = token
        if token is None:
            self.token_edit.clear()
            self.token_note.setText(texts.ENDPOINT_NO_TOKEN)
            return
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Normal)
        self.token_edit.setText(token)
        self.token_note.setText("")
        self.show_token_button.setText(texts.ENDPOINT_HIDE)

    def _on_token_failed(self, error: BaseException) -> None:
        self.show_token_button.setEnabled(True)
        self.new_token_button.setEnabled(True)
        self._copy_when_loaded = False
        feedback.report_error(self, texts.ENDPOINT_FAILED, error)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_activity()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        if self.token is not None:
            self.hide_token()  # shown on demand only


def _fill_combo(combo: QComboBox, items: list[tuple[str, object]]) -> None:
    """Replace a combo's items, keeping the chosen one when it is still there."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for label, data in items:
        combo.addItem(label, data)
    index = combo.findData(chosen) if chosen is not None else -1
    combo.setCurrentIndex(max(index, 0) if combo.count() else -1)
    combo.blockSignals(False)


def _activity_what(row: automation.ActivityRow) -> tuple[str, str]:
    """Return (what happened, where it came from) for one activity line."""
    if row.kind == "event":
        kind, _, event_id = row.ref.partition(" ")
        return kind_name(kind), f"{row.source} {event_id}".strip()
    what = texts.ACTIVITY_KINDS.get(row.kind, row.kind.capitalize())
    return what, row.ref or row.source


def _activity_detail(row: automation.ActivityRow) -> str:
    """Return the line's detail, with why each channel was skipped."""
    parts = [row.detail] if row.detail else []
    skipped = row.data.get("skipped") if isinstance(row.data, dict) else None
    if isinstance(skipped, dict):
        parts += [
            texts.ACTIVITY_SKIPPED.format(
                channel="SMS" if channel == "sms" else "email", why=why
            )
            for channel, why in skipped.items()
            if str(why) not in row.detail  # the detail may already say why
        ]
    return "; ".join(parts)


def _day_heading(day: str) -> str:
    try:
        return datetime.strptime(day, "%Y-%m-%d").strftime("%A %d %B %Y")
    except ValueError:
        return day


def _campaign_name(db: sqlite_utils.Database, campaign_id: int) -> str:
    try:
        return messages.get_campaign(db, campaign_id).name
    except KnownError:
        return f"#{campaign_id}"
