"""The Settings page: the shop's details and sending defaults, checked as they are saved."""

import logging
from pathlib import Path
from zoneinfo import available_timezones

import sqlite_utils

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app import paths
from desktop_app.errors import ValidationError
from desktop_app.storage import settings
from desktop_app.ui import feedback, messages

logger = logging.getLogger(__name__)


class SettingsView(QWidget):
    """A form with one field per setting, its help text and its own error line.

    Signals:
        settings_saved(): every changed setting was stored.
    """

    settings_saved = Signal()

    def __init__(
        self, db: sqlite_utils.Database, data_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.edits: dict[str, QLineEdit] = {}
        self.error_labels: dict[str, QLabel] = {}

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for spec in settings.SPECS:
            form.addRow(spec.label, self._field(spec))

        self.save_button = QPushButton(messages.SETTINGS_SAVE)
        self.save_button.setObjectName("primaryButton")
        self.status_label = QLabel()
        self.status_label.setObjectName("errorLabel")
        save_row = QHBoxLayout()
        save_row.addWidget(self.status_label, 1)
        save_row.addWidget(self.save_button)

        shop_box = QGroupBox("Your shop")
        shop_box.setLayout(form)

        self.data_dir_label = _path_label(data_dir)
        self.database_label = _path_label(paths.database_path(data_dir))
        where = QFormLayout()
        where.addRow(messages.SETTINGS_DATA_FOLDER, self.data_dir_label)
        where.addRow(messages.SETTINGS_DATABASE, self.database_label)
        where_box = QGroupBox("Where Duet keeps your data")
        where_box.setLayout(where)

        inner = QWidget()
        inner.setMaximumWidth(860)
        inner_layout = QVBoxLayout(inner)
        inner_layout.addWidget(shop_box)
        inner_layout.addLayout(save_row)
        inner_layout.addWidget(where_box)
        inner_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
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

    def _field(self, spec: settings.SettingSpec) -> QWidget:
        edit = QLineEdit()
        if spec.key == "shop.timezone":
            completer = QCompleter(sorted(available_timezones()), edit)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            edit.setCompleter(completer)
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
            help_label = QLabel(spec.help)
            help_label.setObjectName("helpLabel")
            help_label.setWordWrap(True)
            layout.addWidget(help_label)
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


def _path_label(path: Path) -> QLabel:
    label = QLabel(str(path))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label
