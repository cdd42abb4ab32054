"""The first-run guide: a small window beside the main one, four steps, skippable.

It is not modal: "Import customers…" opens the import on the Contacts page while the
guide stays open. Finishing, skipping or closing it marks it done for good.
"""

import logging
from pathlib import Path

import sqlite_utils

from PySide6.QtCore import QLocale, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app import paths
from desktop_app.errors import KnownError, ValidationError
from desktop_app.storage import settings
from desktop_app.ui import feedback, messages, tasks
from desktop_app.ui.first_run import state, texts
from desktop_app.ui.first_run.test_pair import TestPairRequest, send_test_pair
from desktop_app.ui.settings import common
from desktop_app.ui.tasks import Task, TaskContext

logger = logging.getLogger(__name__)

STEP_COUNTRY, STEP_SHOP, STEP_IMPORT, STEP_TEST = range(4)


class FirstRunGuide(QDialog):
    """Country, shop details, import, a test pair to yourself.

    Signals:
        settings_changed(): the country or the shop's details were saved.
        import_requested(): the owner wants to import customers now.
        test_pair_sent(object): the test pair's ``SendSummary``.
        settings_requested(): the owner wants to open Settings → Sending.
    """

    settings_changed = Signal()
    import_requested = Signal()
    test_pair_sent = Signal(object)
    settings_requested = Signal()

    def __init__(
        self,
        db: sqlite_utils.Database,
        data_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self.task: Task | None = None
        self.setObjectName("firstRunGuide")
        self.setWindowTitle(texts.TITLE)
        self.setModal(False)
        self.setMinimumSize(620, 440)
        self.resize(720, 480)

        self.steps = QListWidget()
        self.steps.setObjectName("guideSteps")
        self.steps.addItems(list(texts.STEP_NAMES))
        self.steps.setFixedWidth(190)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._country_page())
        self.pages.addWidget(self._shop_page())
        self.pages.addWidget(self._import_page())
        self.pages.addWidget(self._test_page())

        self.skip_button = QPushButton(texts.SKIP)
        self.skip_button.setObjectName("linkButton")
        self.back_button = QPushButton(texts.BACK)
        self.next_button = QPushButton(texts.NEXT)
        self.next_button.setObjectName("primaryButton")
        self.next_button.setDefault(True)

        intro = QLabel(texts.INTRO)
        intro.setObjectName("helpLabel")
        intro.setWordWrap(True)
        heading = QLabel(texts.TITLE)
        heading.setObjectName("guideHeading")
        body = QHBoxLayout()
        body.addWidget(self.steps)
        body.addWidget(self.pages, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)

        self.steps.currentRowChanged.connect(self._on_steps_current_row_changed)
        self.skip_button.clicked.connect(self._on_skip_button_clicked)
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.open_outbox_button.clicked.connect(self._on_open_outbox_button_clicked)
        self.open_settings_button.clicked.connect(self.settings_requested)
        self.steps.setCurrentRow(STEP_COUNTRY)

    # --- pages -------------------------------------------------------------------

    def _country_page(self) -> QWidget:
        import phonenumbers  # after the first paint: the guide opens then

        self.country_combo = QComboBox()
        self.country_combo.setMaxVisibleItems(16)
        entries = []
        for code in phonenumbers.SUPPORTED_REGIONS:
            territory = QLocale.codeToTerritory(code)
            name = (
                QLocale.territoryToString(territory)
                if territory != QLocale.Country.AnyCountry
                else code
            )
            entries.append((name, code))
        for name, code in sorted(entries):
            self.country_combo.addItem(f"{name} ({code})", code)
        current = settings.get_setting(self._db, "phones.default_region")
        self.country_combo.setCurrentIndex(self.country_combo.findData(current))
        self.country_error = _error_label()
        form = QFormLayout()
        form.addRow(texts.COUNTRY_LABEL, self.country_combo)
        return _page(texts.COUNTRY_TITLE, texts.COUNTRY_TEXT, form, self.country_error)

    def _shop_page(self) -> QWidget:
        values = settings.get_settings(self._db)
        self.shop_edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label, placeholder in (
            ("shop.name", texts.SHOP_NAME, texts.SHOP_NAME_PLACEHOLDER),
            ("shop.address", texts.SHOP_ADDRESS, texts.SHOP_ADDRESS_PLACEHOLDER),
            ("shop.email", texts.SHOP_EMAIL, texts.SHOP_EMAIL_PLACEHOLDER),
        ):
            edit = QLineEdit(values.get(key, ""))
            edit.setPlaceholderText(placeholder)
            self.shop_edits[key] = edit
            form.addRow(label, edit)
        self.shop_error = _error_label()
        return _page(texts.SHOP_TITLE, texts.SHOP_TEXT, form, self.shop_error)

    def _import_page(self) -> QWidget:
        self.import_button = QPushButton(texts.IMPORT_BUTTON)
        self.import_button.setObjectName("primaryButton")
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addStretch(1)
        later = QLabel(texts.IMPORT_LATER)
        later.setObjectName("helpLabel")
        later.setWordWrap(True)
        return _page(texts.IMPORT_TITLE, texts.IMPORT_TEXT, row, later)

    def _test_page(self) -> QWidget:
        self.test_edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label, placeholder in (
            ("first_name", texts.TEST_NAME, ""),
            ("phone", texts.TEST_PHONE, texts.TEST_PHONE_PLACEHOLDER),
            ("email", texts.TEST_EMAIL, texts.TEST_EMAIL_PLACEHOLDER),
        ):
            edit = QLineEdit()
            edit.setPlaceholderText(placeholder)
            self.test_edits[key] = edit
            form.addRow(label, edit)
        self.test_button = QPushButton(texts.TEST_BUTTON)
        self.test_button.setObjectName("primaryButton")
        self.open_outbox_button = QPushButton(texts.TEST_OPEN_FOLDER)
        self.open_outbox_button.setVisible(False)
        self.open_settings_button = QPushButton(texts.OPEN_SETTINGS)
        self.open_settings_button.setObjectName("linkButton")
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.open_outbox_button)
        row.addStretch(1)
        self.test_result = common.result_label()
        mode = QLabel(f"{texts.TEST_MODE} {texts.CREDENTIALS_WAIT}")
        mode.setObjectName("helpLabel")
        mode.setWordWrap(True)
        settings_row = QHBoxLayout()
        settings_row.addWidget(self.open_settings_button)
        settings_row.addStretch(1)
        return _page(
            texts.TEST_TITLE,
            texts.TEST_TEXT,
            form,
            row,
            self.test_result,
            mode,
            settings_row,
        )

    # --- actions -----------------------------------------------------------------

    def current_step(self) -> int:
        """Return the step shown (0 to 3)."""
        return self.pages.currentIndex()

    def go_to(self, step: int) -> None:
        """Show ``step`` (0 to 3)."""
        self.steps.setCurrentRow(step)

    def next_step(self) -> bool:
        """Save the current step, then go on (or finish after the last one).

        Returns:
            False when a value was refused (the step stays, with the reason shown).
        """
        step = self.current_step()
        if step == STEP_COUNTRY and not self.save_country():
            return False
        if step == STEP_SHOP and not self.save_shop():
            return False
        if step == STEP_TEST:
            self.finish()
            return True
        self.go_to(step + 1)
        return True

    def save_country(self) -> bool:
        """Store the default country; show the reason when refused."""
        return self._save(
            {"phones.default_region": str(self.country_combo.currentData())},
            self.country_error,
        )

    def save_shop(self) -> bool:
        """Store the shop's name, address and reply-to email."""
        values = {key: edit.text() for key, edit in self.shop_edits.items()}
        return self._save(values, self.shop_error)

    def send_test(self) -> Task:
        """Create the owner's contact and the Welcome pair, and send it."""
        request = TestPairRequest(
            first_name=self.test_edits["first_name"].text(),
            phone=self.test_edits["phone"].text(),
            email=self.test_edits["email"].text(),
        )
        database = paths.database_path(self._data_dir)
        data_dir = self._data_dir

        def job(_context: TaskContext) -> object:
            return send_test_pair(database, data_dir, request)

        common.show_result(self.test_result, texts.TEST_SENDING, "busy")
        self.test_button.setEnabled(False)
        self.task = tasks.run_in_background(
            job,
            on_success=self._on_test_sent,
            on_error=self._on_test_failed,
            parent=self,
        )
        return self.task

    def finish(self) -> None:
        """Mark the guide done and close it."""
        self._mark_done("finished")
        self.accept()

    def skip(self) -> None:
        """Mark the guide done without finishing it, and close it."""
        self._mark_done("skipped")
        self.reject()

    def _save(self, values: dict[str, str], error_label: QLabel) -> bool:
        try:
            for key, value in values.items():
                settings.set_setting(self._db, key, value)
        except ValidationError as error:
            common.show_result(error_label, error.message, "error")
            return False
        common.show_result(error_label, "", "busy")
        self.settings_changed.emit()
        return True

    def _mark_done(self, how: str) -> None:
        if state.first_run_done(self._db):
            return
        state.mark_first_run_done(self._db)
        logger.info("first-run guide %s at step %d", how, self.current_step() + 1)

    def _on_test_sent(self, summary: object) -> None:
        self.task = None
        self.test_button.setEnabled(True)
        folder = paths.outbox_dir(self._data_dir)
        text = texts.TEST_DONE.format(
            summary=summary.summary_text(),  # type: ignore[attr-defined]
            folder=folder,
        )
        feedback.status(self, text)
        common.show_result(self.test_result, text, "ok")
        self.open_outbox_button.setVisible(True)
        self.test_pair_sent.emit(summary)

    def _on_test_failed(self, error: BaseException) -> None:
        self.task = None
        self.test_button.setEnabled(True)
        if isinstance(error, KnownError):
            logger.info("test pair not sent: %s", error.message)
            common.show_result(self.test_result, error.message, "error")
            return
        common.show_result(self.test_result, "", "busy")
        feedback.report_error(self, messages.GENERIC_ERROR_TITLE, error)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._mark_done("closed")
        super().closeEvent(event)

    def reject(self) -> None:
        self._mark_done("closed")
        super().reject()

    @Slot(int)
    def _on_steps_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        self.back_button.setEnabled(row > 0)
        self.next_button.setText(texts.DONE if row == STEP_TEST else texts.NEXT)

    @Slot()
    def _on_skip_button_clicked(self) -> None:
        self.skip()

    @Slot()
    def _on_back_button_clicked(self) -> None:
        self.go_to(max(0, self.current_step() - 1))

    @Slot()
    def _on_next_button_clicked(self) -> None:
        self.next_step()

    @Slot()
    def _on_import_button_clicked(self) -> None:
        self.import_requested.emit()

    @Slot()
    def _on_test_button_clicked(self) -> None:
        self.send_test()

    @Slot()
    def _on_open_outbox_button_clicked(self) -> None:
        folder = paths.outbox_dir(self._data_dir)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _error_label() -> QLabel:
    label = common.result_label()
    return label


def _page(title: str, text: str, *parts: object) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(8, 0, 0, 0)
    heading = QLabel(title)
    heading.setObjectName("guideStepTitle")
    heading.setWordWrap(True)
    explanation = QLabel(text)
    explanation.setWordWrap(True)
    explanation.setTextFormat(Qt.TextFormat.PlainText)
    layout.addWidget(heading)
    layout.addWidget(explanation)
    for part in parts:
        if isinstance(part, QWidget):
            layout.addWidget(part)
        else:
            layout.addLayout(part)  # type: ignore[arg-type]
    layout.addStretch(1)
    return page
