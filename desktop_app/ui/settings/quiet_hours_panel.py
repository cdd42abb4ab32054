"""Settings → Shop → Quiet hours: Duet's table, and the shop's own stricter rules."""

import logging
from pathlib import Path

import sqlite_utils

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import KnownError
from desktop_app.services import quiet_rules
from desktop_app.ui.settings import common

logger = logging.getLogger(__name__)

TITLE = "Quiet hours"
HELP = (
    "Marketing SMS go out only between 8:00 and 21:00 in each customer's own time, "
    "and within the stricter state and country rules Duet knows. You can add rules "
    "of your own (a local law, your shop's policy): they apply on top of Duet's, so "
    "they can only make sending stricter."
)
SHIPPED = "Duet's table, checked {reviewed}:\n{rules}"
OWN_NONE = "Your own rules: none."
OWN_SOME = "Your own rules, from {file}:\n{rules}"
RULE_LINE = "• {name} ({place}): {hours}"
NOTE_LINE = "   Note: {note}."
STARTER = "Save a starter file…"
LOAD = "Load your rules…"
REMOVE = "Remove your rules"
LOADED_ONE = "Loaded your rule from {file}."
LOADED_MANY = "Loaded {count} rules of your own from {file}."
REMOVED = "Your own rules are removed; Duet's table alone applies."
SAVED = "Saved {path}. Edit it, then load it here."
JSON_FILTER = "Quiet-hours rules (*.json)"


class QuietHoursPanel(QGroupBox):
    """Shows the rules sends are judged by and loads the shop's own."""

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(TITLE, parent)
        self._db = db
        self.shipped_label = QLabel()
        self.shipped_label.setWordWrap(True)
        self.own_label = QLabel()
        self.own_label.setWordWrap(True)
        self.result_label = common.result_label()
        self.starter_button = QPushButton(STARTER)
        self.load_button = QPushButton(LOAD)
        self.remove_button = QPushButton(REMOVE)

        buttons = QHBoxLayout()
        buttons.addWidget(self.starter_button)
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(common.help_label(HELP))
        layout.addWidget(self.shipped_label)
        layout.addWidget(self.own_label)
        layout.addLayout(buttons)
        layout.addWidget(self.result_label)

        self.starter_button.clicked.connect(self._on_starter_button_clicked)
        self.load_button.clicked.connect(self._on_load_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.refresh()

    def refresh(self) -> None:
        """Show the rules as stored now."""
        try:
            facts = quiet_rules.describe(self._db)
        except KnownError as error:
            common.show_result(self.result_label, error.message, "error")
            return
        shipped = [_line(rule) for rule in facts["rules"] if not rule["own"]]
        own = [_line(rule) for rule in facts["rules"] if rule["own"]]
        self.shipped_label.setText(
            SHIPPED.format(reviewed=facts["reviewed"], rules="\n".join(shipped))
        )
        self.own_label.setText(
            OWN_SOME.format(file=facts["own_file"], rules="\n".join(own))
            if own
            else OWN_NONE
        )
        self.remove_button.setEnabled(bool(own))

    def load(self, path: Path) -> bool:
        """Check and keep the rules in ``path``; say what happened."""
        try:
            table = quiet_rules.use_own_rules(self._db, path)
        except KnownError as error:
            common.show_result(self.result_label, error.message, "error")
            return False
        self.refresh()
        count = len(table.rules)
        loaded = LOADED_ONE if count == 1 else LOADED_MANY
        notes = quiet_rules.changes_nothing_notes(table).values()
        lines = [loaded.format(count=count, file=path.name)]
        lines += [f"{note[:1].upper()}{note[1:]}." for note in notes]
        common.show_result(self.result_label, "\n".join(lines))
        if notes:
            self.result_label.setObjectName("warningLabel")
            self.result_label.style().unpolish(self.result_label)
            self.result_label.style().polish(self.result_label)
        return True

    def save_starter(self, path: Path) -> bool:
        """Write the shop's rules (or a starter) to ``path`` for editing."""
        try:
            quiet_rules.write_rules_file(self._db, path)
        except KnownError as error:
            common.show_result(self.result_label, error.message, "error")
            return False
        common.show_result(self.result_label, SAVED.format(path=path))
        return True

    def remove(self) -> None:
        """Forget the shop's own rules."""
        quiet_rules.clear_own_rules(self._db)
        self.refresh()
        common.show_result(self.result_label, REMOVED)

    @Slot()
    def _on_starter_button_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, STARTER, str(Path.home() / "quiet-hours.json"), JSON_FILTER
        )
        if name:
            self.save_starter(Path(name))

    @Slot()
    def _on_load_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, LOAD, str(Path.home()), JSON_FILTER)
        if name:
            self.load(Path(name))

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        self.remove()


def _line(rule: dict[str, object]) -> str:
    place = rule["state"] or str(rule["country"]).replace("*", "everywhere")
    line = RULE_LINE.format(name=rule["name"], place=place, hours=rule["hours"])
    if rule.get("note"):
        line += "\n" + NOTE_LINE.format(note=rule["note"])
    return line
