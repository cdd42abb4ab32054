"""Settings → Shop: the shop's details and sending defaults, checked as they are saved."""

import logging

import sqlite_utils

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.storage import settings
from desktop_app.ui import feedback, messages
from desktop_app.ui.settings import common
from desktop_app.ui.settings.quiet_hours_panel import QuietHoursPanel

logger = logging.getLogger(__name__)


class ShopSettings(QWidget):
    """A form with one field per setting, its help text and its own error line.

    Signals:
        settings_saved(): every changed setting was stored.
    """

    settings_saved = Signal()

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._completer_ready = False
        self.edits: dict[str, QLineEdit] = {}
        self.error_labels: dict[str, QLabel] = {}

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for spec in settings.SPECS:
            form.addRow(spec.label, self._field(spec))
        shop_box = QGroupBox("Your shop")
        shop_box.setLayout(form)

        self.save_button = QPushButton(messages.SETTINGS_SAVE)
        self.save_button.setObjectName("primaryButton")
        self.status_label = QLabel()
        self.status_label.setObjectName("errorLabel")
        self.status_label.setWordWrap(True)
        save_row = QWidget()
        row = QHBoxLayout(save_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.save_button)

        self.quiet_hours = QuietHoursPanel(db)
        scroll, column = common.scrolling_page(shop_box, save_row, self.quiet_hours)
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.refresh()

    def refresh(self) -> None:
        """Show the stored values."""
        for key, value in settings.get_settings(self._db).items():
            if key in self.edits:
                self.edits[key].setText(value)
        self._clear_errors()

    def focus_setting(self, key: str) -> None:
        """Put the cursor in the field of ``key``, when the form has one."""
        edit = self.edits.get(key)
        if edit is not None:
            edit.setFocus(Qt.FocusReason.OtherFocusReason)
            edit.selectAll()

    def save(self) -> bool:
        """Store every changed value; mark each refused one under its field."""
        stored = settings.get_settings(self._db)
        self._clear_errors()
        failed = False
        for key, edit in self.edits.items():
            value = edit.text()
            if value == stored.get(key):
                continue
            try:
                edit.setText(settings.set_setting(self._db, key, value))
            except ValidationError as error:
                self.error_labels[key].setText(error.message)
                self.error_labels[key].setVisible(True)
                failed = True
        if failed:
            self.status_label.setText(messages.SETTINGS_FIX_ERRORS)
            return False

        feedback.status(self, messages.SETTINGS_SAVED)
        self.settings_saved.emit()
        return True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._completer_ready:
            self._completer_ready = True
            self._add_time_zone_completer()

    def _add_time_zone_completer(self) -> None:
        # Listing the zones reads the tz database: done when the page is first shown.
        from zoneinfo import available_timezones

        edit = self.edits["shop.timezone"]
        completer = QCompleter(sorted(available_timezones()), edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        edit.setCompleter(completer)

    def _field(self, spec: settings.SettingSpec) -> QWidget:
        edit = QLineEdit()
        self.edits[spec.key] = edit
        error = QLabel()
        error.setObjectName("errorLabel")
        error.setWordWrap(True)
        error.setVisible(False)
        self.error_labels[spec.key] = error

        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(edit)
        if spec.help:
            layout.addWidget(common.help_label(spec.help))
        layout.addWidget(error)
        return box

    def _clear_errors(self) -> None:
        for label in self.error_labels.values():
            label.clear()
            label.setVisible(False)
        self.status_label.clear()

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()
