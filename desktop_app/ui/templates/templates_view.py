"""The Templates page: write a paired SMS + email and see, live, what it costs and how
it reads: the exact SMS counter, the cost per customer over an audience, inline checks
(merge fields, compliance lints, what belongs in the email) and a preview of one
customer's SMS and email."""

import html
import logging
from dataclasses import dataclass

import sqlite_utils

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QColor,
    QHideEvent,
    QShowEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import pairing, qr, segments
from desktop_app.core.compose import AudienceBreakdown
from desktop_app.core.lint import lint_template
from desktop_app.core.templates import (
    FieldInfo,
    ShopInfo,
    check_template,
    field_catalog,
    render_pair,
)
from desktop_app.errors import ValidationError
from desktop_app.storage import contacts, settings, templates
from desktop_app.ui import feedback, messages
from desktop_app.ui.compose.breakdown import BreakdownRunner, breakdown_text
from desktop_app.ui.compose.preview import PairPreview

logger = logging.getLogger(__name__)

_CULPRIT_COLOUR = QColor("#ffd8a8")
CHECKS_DELAY_MS = 250
PREVIEW_DELAY_MS = 150
PREVIEW_CONTACTS = 200
EXAMPLE_CONTACT = -1

SAVE_OFF_EMPTY = "Save is off: the SMS text is empty, so nothing would be sent."
SAVE_OFF_TOO_LONG = "Save is off: {problem}"
TOO_LONG = (
    "Too long to send. {problem} Shorten the SMS; the detail can go in the email."
)
MANY_SEGMENTS = (
    "Warning: {segments} segments per message. Above {limit}, carriers may drop "
    "or garble long messages and every customer pays for {segments} segments; "
    "move the detail to the email."
)
BODY_HINT = (
    "Formatting: **bold**, *italic*, [link text](https://…), “- ” starts a list "
    "item, {qr:https://…} or {qr:CODE} adds a QR code. Your address and an "
    "unsubscribe line are added at the end."
)
INSERT_QR = "Insert QR code…"
TRANSACTIONAL_SHORT = "Transactional (a receipt or order update)"
QR_TITLE = "Insert a QR code"
QR_PROMPT = "Link or coupon code to show as a QR code in the email:"
FALLBACK_HINT = "Fallback: {first_name|there} writes “there” when a name is missing"
FIELD_MENU_TITLE = "Fields your customers' messages are filled with"
CUSTOM_MENU_TITLE = "Fields from your imported contacts"
AUDIENCE_LABEL = "Cost for"
PREVIEW_FOR = "Preview for"
EXAMPLE_CUSTOMER = "Example customer ({name})"
CHECKS_TITLE = "Checks"
VARIANT_B_LABEL = "SMS variant B (A/B test)"
VARIANT_B_PLACEHOLDER = (
    "Optional: a second wording of the SMS. Compose can then split customers at "
    "random between the two texts and Results compares them."
)
CHECKS_NONE = "No problems found."

PROBLEM = "problem"
WARNING = "warning"
TIP = "tip"
_CHECK_COLOURS = {PROBLEM: "#b3261e", WARNING: "#8a4b00", TIP: "#2f5f8a"}
_CHECK_NAMES = {PROBLEM: "Fix", WARNING: "Check", TIP: "Tip"}


@dataclass(frozen=True)
class Draft:
    """The editor's texts, shaped like a stored template for the core checks."""

    sms_body: str
    email_subject: str
    email_body: str
    transactional: bool = False


def counter_texts(text: str) -> tuple[str, str, bool]:
    """Return the counter line, the UCS-2 explanation and whether lookalikes exist."""
    count = segments.count_segments(text)
    if count.characters == 0:
        return messages.COUNTER_EMPTY, "", False

    first_line, _, culprit_line = count.summary_text().partition("\n")
    fixable = any(culprit.replacement is not None for culprit in count.culprits)
    return first_line, culprit_line, fixable


def template_checks(
    draft: Draft, *, shop_name: str, extra_fields: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """Return the inline checks of a draft as (kind, text), problems first.

    The empty-SMS and too-long problems are left out: the counter and the Save
    button already say so.
    """
    checks = [
        (PROBLEM, str(problem))
        for problem in check_template(
            draft.sms_body, draft.email_subject, draft.email_body, extra_fields
        )
        if problem.kind not in ("empty", "body")
    ]
    if not draft.sms_body.strip():
        return checks

    checks += [
        (WARNING, str(note))
        for note in lint_template(draft, shop_name, transactional=draft.transactional)
    ]
    checks += [
        (WARNING, f"SMS text: {warning}")
        for warning in pairing.check_pairing(
            draft.sms_body, draft.email_subject, draft.email_body
        )
    ]
    tip = pairing.inbox_tip(draft.sms_body)
    if tip:
        checks.append((TIP, tip.removeprefix("Tip: ")))
    return checks


def ask_qr_value(parent: QWidget) -> str | None:
    """Ask for the link or code of a QR code; None when the owner cancels."""
    value, accepted = QInputDialog.getText(parent, QR_TITLE, QR_PROMPT)
    return value.strip() if accepted else None


class TemplatesView(QWidget):
    """Lists templates and edits one, with live counts, checks and previews.

    Signals:
        template_saved(str): the name of the template just saved.
        template_deleted(str): the name of the template just deleted.
    """

    template_saved = Signal(str)
    template_deleted = Signal(str)

    def __init__(
        self, db: sqlite_utils.Database, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.check_lines: list[tuple[str, str]] = []
        self.breakdown: AudienceBreakdown | None = None
        self._stale = False

        self.template_list = QListWidget()
        self.template_list.setMinimumWidth(110)
        self.template_list.setMaximumWidth(150)
        self.new_button = QPushButton(messages.TEMPLATES_NEW)
        self.delete_button = QPushButton(messages.TEMPLATES_DELETE)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(messages.TEMPLATES_NAME_PLACEHOLDER)
        self.sms_edit = QPlainTextEdit()
        self.sms_edit.setPlaceholderText(messages.TEMPLATES_SMS_PLACEHOLDER)
        self.sms_edit.setMinimumHeight(76)
        self.sms_edit.setMaximumHeight(104)
        self.sms_edit.setTabChangesFocus(True)
        self.counter_label = QLabel()
        self.counter_label.setObjectName("counterLabel")
        self.counter_label.setWordWrap(True)
        self.sms_b_edit = QPlainTextEdit()
        self.sms_b_edit.setPlaceholderText(VARIANT_B_PLACEHOLDER)
        self.sms_b_edit.setMinimumHeight(56)
        self.sms_b_edit.setMaximumHeight(84)
        self.sms_b_edit.setTabChangesFocus(True)
        self.sms_b_counter_label = QLabel()
        self.sms_b_counter_label.setObjectName("counterLabel")
        self.culprit_label = QLabel()
        self.culprit_label.setObjectName("warningLabel")
        self.culprit_label.setWordWrap(True)
        self.replace_button = QPushButton(messages.TEMPLATES_REPLACE_LOOKALIKES)
        self.limit_label = _wrapped_label("errorLabel")
        self.limit_label.setStyleSheet("font-weight: bold;")
        self.audience_combo = QComboBox()
        self.audience_combo.setMinimumContentsLength(8)
        self.breakdown_label = _wrapped_label("mutedLabel")
        self.breakdown_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText(messages.TEMPLATES_SUBJECT_PLACEHOLDER)
        self.body_edit = QPlainTextEdit()
        self.body_edit.setPlaceholderText(messages.TEMPLATES_BODY_PLACEHOLDER)
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setMinimumHeight(90)
        self.body_edit.setMaximumHeight(170)
        self.body_hint = _wrapped_label("helpLabel")
        self.body_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.body_hint.setText(BODY_HINT)
        self.qr_button = QPushButton(INSERT_QR)
        self.transactional_check = QCheckBox(TRANSACTIONAL_SHORT)
        self.transactional_check.setToolTip(messages.TEMPLATES_TRANSACTIONAL)
        self.insert_button = QPushButton(messages.TEMPLATES_INSERT_FIELD)
        self.insert_menu = QMenu(self.insert_button)
        self.insert_menu.setToolTipsVisible(True)
        self.insert_button.setMenu(self.insert_menu)
        self.checks_label = _wrapped_label("checksLabel")
        self.checks_label.setTextFormat(Qt.TextFormat.RichText)
        self.save_reason_label = _wrapped_label("warningLabel")
        self.save_button = QPushButton(messages.TEMPLATES_SAVE)
        self.save_button.setObjectName("primaryButton")
        self.save_button.setShortcut("Ctrl+S")
        self.error_label = _wrapped_label("errorLabel")
        self.error_label.setVisible(False)
        self.preview_combo = QComboBox()
        self.preview_combo.setMinimumContentsLength(10)
        self.preview = PairPreview(side_by_side=False)
        self._last_editor: QWidget = self.sms_edit

        self.runner = BreakdownRunner(db, self)
        self.checks_timer = _single_shot(self, CHECKS_DELAY_MS)
        self.preview_timer = _single_shot(self, PREVIEW_DELAY_MS)

        self._build_layout()
        self._connect()
        self._fill_audiences()
        self._fill_field_menu()
        self.refresh()
        if self.template_list.count():
            self.template_list.setCurrentRow(0)
        self._fill_preview_contacts()
        self._on_any_text_changed()
        self._update_counter()

    def refresh(self) -> None:
        """Read the template list again, keeping the selection."""
        current = self.name_edit.text().strip()
        self.template_list.blockSignals(True)
        self.template_list.clear()
        for template in templates.list_templates(self._db):
            item = QListWidgetItem(template.name)
            self.template_list.addItem(item)
            if template.name == current:
                self.template_list.setCurrentItem(item)
        self.template_list.blockSignals(False)
        self.delete_button.setEnabled(self.template_list.currentItem() is not None)

    def contacts_changed(self) -> None:
        """Read contacts again (after an import): audiences, fields, previews, costs."""
        self.runner.contacts_changed()
        self._fill_audiences()
        self._fill_field_menu()
        self._fill_preview_contacts()

    def load(self, name: str) -> None:
        """Show the stored template called ``name`` in the editor."""
        template = templates.get_template(self._db, name)
        self.name_edit.setText(template.name)
        self.sms_edit.setPlainText(template.sms_body)
        self.sms_b_edit.setPlainText(template.sms_body_b)
        self.subject_edit.setText(template.email_subject)
        self.body_edit.setPlainText(template.email_body)
        self.transactional_check.setChecked(template.transactional)
        self._show_error("")
        self.delete_button.setEnabled(True)

    def clear(self) -> None:
        """Start a new, empty template."""
        self.template_list.clearSelection()
        self.template_list.setCurrentItem(None)
        for editor in (self.name_edit, self.subject_edit):
            editor.clear()
        self.sms_edit.clear()
        self.sms_b_edit.clear()
        self.body_edit.clear()
        self.transactional_check.setChecked(False)
        self._show_error("")
        self.delete_button.setEnabled(False)
        self.name_edit.setFocus()

    def save(self) -> bool:
        """Save the editor's template; show the problem inline when it is refused."""
        try:
            template = templates.save_template(
                self._db,
                name=self.name_edit.text(),
                sms_body=self.sms_edit.toPlainText(),
                email_subject=self.subject_edit.text(),
                email_body=self.body_edit.toPlainText(),
                transactional=self.transactional_check.isChecked(),
                sms_body_b=self.sms_b_edit.toPlainText(),
            )
        except ValidationError as error:
            self._show_error(error.message)
            return False

        self._show_error("")
        self.name_edit.setText(template.name)
        self.refresh()
        feedback.status(self, messages.TEMPLATES_SAVED.format(name=template.name))
        self.template_saved.emit(template.name)
        return True

    def draft(self) -> Draft:
        """Return the texts in the editor."""
        return Draft(
            sms_body=self.sms_edit.toPlainText(),
            email_subject=self.subject_edit.text(),
            email_body=self.body_edit.toPlainText(),
            transactional=self.transactional_check.isChecked(),
        )

    def insert_qr_code(self, value: str) -> bool:
        """Insert ``{qr:VALUE}`` into the email body; False (shown inline) if refused."""
        problem = qr.value_problem(value)
        if problem:
            self._show_error(f"QR code: {problem}")
            return False
        self._show_error("")
        self.body_edit.insertPlainText("{qr:" + value + "}")
        self.body_edit.setFocus()
        return True

    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.template_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        left_layout.addLayout(buttons)

        culprit_row = QHBoxLayout()
        culprit_row.addWidget(self.culprit_label, 1)
        culprit_row.addWidget(self.replace_button, 0, Qt.AlignmentFlag.AlignTop)
        audience_row = QHBoxLayout()
        audience_row.addWidget(QLabel(AUDIENCE_LABEL))
        audience_row.addWidget(self.audience_combo, 1)
        sms_box = QVBoxLayout()
        sms_box.setSpacing(4)
        sms_box.addWidget(self.sms_edit, 1)
        sms_box.addWidget(self.counter_label)
        sms_box.addLayout(culprit_row)
        sms_box.addWidget(self.limit_label)
        sms_box.addLayout(audience_row)
        sms_box.addWidget(self.breakdown_label)
        sms_box.addWidget(QLabel(VARIANT_B_LABEL))
        sms_box.addWidget(self.sms_b_edit)
        sms_box.addWidget(self.sms_b_counter_label)

        qr_row = QHBoxLayout()
        qr_row.addWidget(self.body_hint, 1)
        qr_row.addWidget(self.qr_button, 0, Qt.AlignmentFlag.AlignTop)
        body_box = QVBoxLayout()
        body_box.setSpacing(4)
        body_box.addWidget(self.body_edit, 1)
        body_box.addLayout(qr_row)

        name_row = QHBoxLayout()
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.insert_button)

        top = Qt.AlignmentFlag.AlignTop
        form = QGridLayout()
        form.setVerticalSpacing(8)
        form.addWidget(QLabel("Name"), 0, 0)
        form.addLayout(name_row, 0, 1)
        form.addWidget(QLabel("SMS text"), 1, 0, top)
        form.addLayout(sms_box, 1, 1)
        form.addWidget(QLabel(CHECKS_TITLE), 2, 0, top)
        form.addWidget(self.checks_label, 2, 1)
        form.addWidget(QLabel("Email subject"), 3, 0)
        form.addWidget(self.subject_edit, 3, 1)
        form.addWidget(QLabel("Email body"), 4, 0, top)
        form.addLayout(body_box, 4, 1)
        form.addWidget(self.transactional_check, 5, 0, 1, 2)
        form.setRowStretch(1, 1)
        form.setRowStretch(4, 2)
        form.setRowStretch(6, 1)
        form.setColumnStretch(1, 1)

        editor = QWidget()
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(8, 0, 8, 0)
        editor_layout.addLayout(form, 1)
        scroll = QScrollArea()
        scroll.setWidget(editor)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The splitter must not squeeze the form below what it needs, or it is cut.
        scroll.setMinimumWidth(
            editor.minimumSizeHint().width()
            + scroll.verticalScrollBar().sizeHint().width()
        )
        save_row = QHBoxLayout()
        save_row.setContentsMargins(8, 0, 8, 0)
        save_row.addWidget(self.error_label, 10)
        save_row.addWidget(self.save_reason_label, 10)
        save_row.addStretch(1)
        save_row.addWidget(self.save_button, 0, top)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(scroll, 1)
        middle_layout.addLayout(save_row)

        preview_top = QHBoxLayout()
        preview_top.addWidget(QLabel(PREVIEW_FOR))
        preview_top.addWidget(self.preview_combo, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(preview_top)
        right_layout.addWidget(self.preview, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(middle)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([140, 520, 340])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.template_list.currentItemChanged.connect(self._on_template_list_changed)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.sms_edit.textChanged.connect(self._on_sms_edit_text_changed)
        self.sms_b_edit.textChanged.connect(self._on_sms_b_edit_text_changed)
        self.subject_edit.textChanged.connect(self._on_any_text_changed)
        self.body_edit.textChanged.connect(self._on_any_text_changed)
        self.transactional_check.toggled.connect(self._on_any_text_changed)
        self.replace_button.clicked.connect(self._on_replace_button_clicked)
        self.qr_button.clicked.connect(self._on_qr_button_clicked)
        self.insert_menu.triggered.connect(self._on_insert_menu_triggered)
        self.insert_menu.aboutToShow.connect(self._on_insert_menu_about_to_show)
        self.audience_combo.currentIndexChanged.connect(self._on_audience_changed)
        self.preview_combo.currentIndexChanged.connect(self._on_preview_combo_changed)
        self.runner.updated.connect(self._on_runner_updated)
        self.checks_timer.timeout.connect(self._on_checks_timer_timeout)
        self.preview_timer.timeout.connect(self._on_preview_timer_timeout)
        editors = (self.sms_edit, self.sms_b_edit, self.subject_edit, self.body_edit)
        for editor in editors:
            editor.installEventFilter(self)

    def _fill_audiences(self) -> None:
        chosen = self.audience_combo.currentData()
        self.audience_combo.blockSignals(True)
        self.audience_combo.clear()
        self.audience_combo.addItem(messages.COMPOSE_EVERYONE, "")
        for tag in contacts.all_tags(self._db):
            self.audience_combo.addItem(messages.COMPOSE_TAG.format(tag=tag), tag)
        index = self.audience_combo.findData(chosen) if chosen else 0
        self.audience_combo.setCurrentIndex(max(index, 0))
        self.audience_combo.blockSignals(False)
        self.runner.set_audience(self.audience_combo.currentData() or None)

    def _fill_field_menu(self) -> None:
        self.insert_menu.clear()
        custom = self.runner.custom_fields()
        catalog = field_catalog(custom)
        standard = [info for info in catalog if info.name not in custom]
        extra = [info for info in catalog if info.name in custom]
        self.insert_menu.addSection(FIELD_MENU_TITLE)
        for info in standard:
            self.insert_menu.addAction(_field_action(info, self.insert_menu))
        if extra:
            self.insert_menu.addSection(CUSTOM_MENU_TITLE)
            for info in extra:
                self.insert_menu.addAction(_field_action(info, self.insert_menu))
        self.insert_menu.addSeparator()
        hint = QAction(FALLBACK_HINT, self.insert_menu)
        hint.setEnabled(False)
        self.insert_menu.addAction(hint)

    def _fill_preview_contacts(self) -> None:
        chosen = self.preview_combo.currentData()
        tag = self.audience_combo.currentData() or None
        example = next(i.example for i in field_catalog() if i.name == "full_name")
        self.preview_combo.blockSignals(True)
        self.preview_combo.clear()
        self.preview_combo.addItem(
            EXAMPLE_CUSTOMER.format(name=example), EXAMPLE_CONTACT
        )
        for contact in contacts.list_contacts(
            self._db, tag=tag, limit=PREVIEW_CONTACTS
        ):
            label = contact.display_name or contact.phone or str(contact.id)
            self.preview_combo.addItem(label, contact.id)
        index = self.preview_combo.findData(chosen) if chosen is not None else -1
        if index < 0 and self.preview_combo.count() > 1:
            index = 1
        self.preview_combo.setCurrentIndex(max(index, 0))
        self.preview_combo.blockSignals(False)
        self.preview_timer.start()

    def _update_counter(self) -> None:
        text = self.sms_edit.toPlainText()
        line, culprit_line, fixable = counter_texts(text)
        self.counter_label.setText(line)
        self.culprit_label.setText(culprit_line)
        self.culprit_label.setVisible(bool(culprit_line))
        self.replace_button.setVisible(bool(culprit_line))
        self.replace_button.setEnabled(fixable)
        self._highlight_culprits(text)
        self._update_limits(text)

    def _update_limits(self, text: str) -> None:
        problem = segments.body_problem(text)
        size = segments.count_segments(text).segments
        if not segments.trim_for_sending(text):
            limit, reason = "", SAVE_OFF_EMPTY
        elif problem:
            limit = TOO_LONG.format(problem=problem)
            reason = SAVE_OFF_TOO_LONG.format(problem=problem)
        elif size > segments.WARN_SEGMENTS:
            limit = MANY_SEGMENTS.format(segments=size, limit=segments.WARN_SEGMENTS)
            reason = ""
        else:
            limit = reason = ""
        self.limit_label.setText(limit)
        self.limit_label.setVisible(bool(limit))
        self.save_reason_label.setText(reason)
        self.save_reason_label.setVisible(bool(reason))
        self.save_button.setEnabled(not reason)
        self.save_button.setToolTip(reason)

    def _highlight_culprits(self, text: str) -> None:
        selections = []
        if not segments.is_gsm7(text):
            fmt = QTextCharFormat()
            fmt.setBackground(_CULPRIT_COLOUR)
            for culprit in segments.count_segments(text).culprits[:200]:
                selection = QTextEdit.ExtraSelection()
                cursor = QTextCursor(self.sms_edit.document())
                start = segments.utf16_offset(text, culprit.position)
                cursor.setPosition(start)
                cursor.setPosition(
                    start + len(culprit.char.encode("utf-16-le")) // 2,
                    QTextCursor.MoveMode.KeepAnchor,
                )
                selection.cursor = cursor  # type: ignore[attr-defined]
                selection.format = fmt  # type: ignore[attr-defined]
                selections.append(selection)
        self.sms_edit.setExtraSelections(selections)

    def _update_checks(self) -> None:
        draft = self.draft()
        if not (draft.sms_body.strip() or draft.email_subject or draft.email_body):
            self.check_lines = []
        else:
            self.check_lines = template_checks(
                draft,
                shop_name=settings.get_setting(self._db, "shop.name"),
                extra_fields=(
                    *self.runner.custom_fields(),
                    *sorted(templates.rule_fields(self._db)),
                ),
            )
        if not self.check_lines:
            self.checks_label.setText(
                f"<span style='color:#5f6b68'>{CHECKS_NONE}</span>"
            )
            return
        items = "".join(
            f"<li><span style='color:{_CHECK_COLOURS[kind]}'>"
            f"<b>{_CHECK_NAMES[kind]}:</b> {html.escape(text)}</span></li>"
            for kind, text in self.check_lines
        )
        self.checks_label.setText(
            f"<ul style='margin:0; -qt-list-indent:1'>{items}</ul>"
        )

    def _update_preview(self) -> None:
        contact_id = self.preview_combo.currentData()
        values = settings.get_settings(self._db)
        shop = ShopInfo.from_settings(values)
        if contact_id is None or contact_id == EXAMPLE_CONTACT:
            merge = {info.name: info.example for info in field_catalog()}
            merge.pop("shop_name", None)
            phone, email = merge["phone"], merge["email"]
        else:
            try:
                contact = contacts.get_contact(self._db, int(contact_id))
            except ValidationError:
                self._fill_preview_contacts()
                return
            merge, phone, email = contact.merge_values(), contact.phone, contact.email
        pair = render_pair(self.draft(), merge, shop)
        self.preview.show_pair(pair, phone=phone, email=email, shop=shop)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if event.spontaneous():
            return
        if self._stale:
            self._stale = False
            self.contacts_changed()
        self.runner.schedule()
        self.checks_timer.start()
        self.preview_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not event.spontaneous():
            # Contacts may change while another page is shown: read them on return.
            self._stale = True
            for timer in (self.checks_timer, self.preview_timer):
                timer.stop()
            self.runner.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self._last_editor = watched
        return super().eventFilter(watched, event)

    @Slot()
    def _on_sms_edit_text_changed(self) -> None:
        self._update_counter()
        self.runner.set_text(self.sms_edit.toPlainText())
        self._on_any_text_changed()

    @Slot()
    def _on_sms_b_edit_text_changed(self) -> None:
        text = self.sms_b_edit.toPlainText()
        line = segments.count_segments(text).summary_text().partition("\n")[0]
        self.sms_b_counter_label.setText(line if text.strip() else "")

    @Slot()
    def _on_any_text_changed(self) -> None:
        self.checks_timer.start()
        self.preview_timer.start()

    @Slot()
    def _on_checks_timer_timeout(self) -> None:
        if self.isVisible():  # a hidden page is brought up to date when shown
            self._update_checks()

    @Slot()
    def _on_preview_timer_timeout(self) -> None:
        if self.isVisible():
            self._update_preview()

    @Slot(object)
    def _on_runner_updated(self, result: AudienceBreakdown | None) -> None:
        self.breakdown = result
        tag = self.audience_combo.currentData() or None
        self.breakdown_label.setText(breakdown_text(result, tag))

    @Slot(int)
    def _on_audience_changed(self, _index: int) -> None:
        self.runner.set_audience(self.audience_combo.currentData() or None)
        self._fill_preview_contacts()

    @Slot(int)
    def _on_preview_combo_changed(self, _index: int) -> None:
        self._update_preview()

    @Slot()
    def _on_replace_button_clicked(self) -> None:
        cursor = self.sms_edit.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(segments.smart_encode(self.sms_edit.toPlainText()))

    @Slot()
    def _on_qr_button_clicked(self) -> None:
        value = ask_qr_value(self)
        if value is not None:
            self.insert_qr_code(value)

    @Slot()
    def _on_insert_menu_about_to_show(self) -> None:
        self._fill_field_menu()

    @Slot(QAction)
    def _on_insert_menu_triggered(self, action: QAction) -> None:
        if not action.data():
            return
        token = "{" + str(action.data()) + "}"
        editor = self._last_editor
        if isinstance(editor, QLineEdit):
            editor.insert(token)
        elif isinstance(editor, QPlainTextEdit):
            editor.insertPlainText(token)
        editor.setFocus()

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_template_list_changed(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None
    ) -> None:
        if current is not None:
            self.load(current.text())

    @Slot()
    def _on_new_button_clicked(self) -> None:
        self.clear()

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    @Slot()
    def _on_delete_button_clicked(self) -> None:
        item = self.template_list.currentItem()
        if item is None:
            return
        name = item.text()
        question = messages.TEMPLATES_DELETE_QUESTION.format(name=name)
        if not feedback.ask(
            self, messages.TEMPLATES_DELETE, question, "Delete", "Keep"
        ):
            return
        try:
            templates.delete_template(self._db, name)
        except ValidationError as error:
            feedback.warn(self, messages.GENERIC_ERROR_TITLE, error.message)
            return
        self.clear()
        self.refresh()
        feedback.status(self, messages.TEMPLATES_DELETED.format(name=name))
        self.template_deleted.emit(name)


def _field_action(info: FieldInfo, parent: QObject) -> QAction:
    text = f"{info.label}  {info.token}"
    if info.example:
        text += f"  (e.g. {info.example})"
    action = QAction(text, parent)
    action.setData(info.name)
    action.setToolTip(
        f"Inserts {info.token}. Write {{{info.name}|…}} to give a fallback for "
        "customers without it."
    )
    return action


def _wrapped_label(object_name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    return label


def _single_shot(parent: QObject, interval_ms: int) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    return timer
