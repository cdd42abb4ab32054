"""The Compose page: choose a template and an audience, review the plan, then send."""

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlite_utils

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app import paths
from desktop_app.core.compose import AudienceBreakdown
from desktop_app.core.templates import ShopInfo, render_pair
from desktop_app.core.words import counted
from desktop_app.errors import KnownError
from desktop_app.providers.base import Senders
from desktop_app.storage import contacts, settings, templates
from desktop_app.ui import feedback, messages
from desktop_app.ui.compose import plan_groups
from desktop_app.ui.compose.breakdown import BreakdownRunner, breakdown_text
from desktop_app.ui.compose.plan_panel import PlanPanel
from desktop_app.ui.compose.preview import PairPreview
from desktop_app.ui.tasks import Task, TaskContext, run_in_background
from desktop_app.ui.widgets.progress_panel import ProgressPanel

logger = logging.getLogger(__name__)

PREVIEW_CONTACTS = 200
SEND_TIP = "Send the reviewed messages (Ctrl+Return)"
TEST_MODE_NOTE = "Test mode: messages go to the local test outbox only."
BREAKDOWN_TITLE = "Before review, every customer with a phone number: "
PLAN_SENDS = "{sms:,} SMS and {emails:,} emails will be sent now."
PLAN_COST = (
    "Estimated cost of the SMS that go out: ${cost:,.2f} ({segments:,} segments, "
    "at most {worst} per message). Skipped customers cost nothing."
)
MORE_MEMBERS = "… and {count:,} more"
GROUP_MEMBERS_SHOWN = 100
DECISION_STYLES = {"send": "ok", "hold": "warning", "skip": "error"}
AB_CHECK = "A/B test: split customers between text A and text B"
AB_TIP_OFF = "Add an SMS variant B to the template (Templates page) to run an A/B test."
AB_TIP_ON = "Each customer gets text A or text B at random; Results compares them."
SET_ADDRESS = "Set the shop's postal address…"
ADDRESS_WAIT = "{emails} will wait until the shop's postal address is set in Settings."

SendersFactory = Callable[[], Senders]


class ComposeView(QWidget):
    """Plans a send, shows it for review, and runs it in the background.

    Signals:
        plan_reviewed(object): the plan's JSON totals after Review.
        send_finished(object): the campaign's summary JSON when sending ends.
        send_failed(str): the message of the error that stopped sending.
        setting_requested(str): the owner wants to fill in this setting (a
            ``shop.*`` key), e.g. the postal address emails wait for.
    """

    plan_reviewed = Signal(object)
    send_finished = Signal(object)
    send_failed = Signal(str)
    setting_requested = Signal(str)

    def __init__(
        self,
        db: sqlite_utils.Database,
        data_dir: Path,
        senders_factory: SendersFactory,
        parent: QWidget | None = None,
        *,
        provider_names: tuple[str, str] = ("outbox", "outbox"),
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._data_dir = data_dir
        self._senders_factory = senders_factory
        self._provider_names = provider_names
        self._plan: Any = None
        self.send_task: Task | None = None

        self.template_combo = QComboBox()
        self.template_combo.setMinimumContentsLength(18)
        self.audience_combo = QComboBox()
        self.audience_combo.setMinimumContentsLength(22)
        self.ab_check = QCheckBox(AB_CHECK)
        self.ab_check.setEnabled(False)
        self.ab_check.setToolTip(AB_TIP_OFF)
        self.review_button = QPushButton(messages.COMPOSE_REVIEW)
        self.send_button = QPushButton(messages.COMPOSE_SEND)
        self.send_button.setObjectName("primaryButton")
        self.send_button.setEnabled(False)
        self.send_button.setShortcut("Ctrl+Return")
        self.send_button.setToolTip(SEND_TIP)

        self.plan_label = QLabel(messages.COMPOSE_REVIEW_FIRST)
        self.plan_label.setObjectName("planLabel")
        self.plan_label.setWordWrap(True)
        self.progress = ProgressPanel()

        self.address_button = QPushButton(SET_ADDRESS)
        self.address_button.setVisible(False)
        self.breakdown_label = QLabel()
        self.breakdown_label.setObjectName("mutedLabel")
        self.breakdown_label.setWordWrap(True)
        self.breakdown_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.runner = BreakdownRunner(db, self)

        self.contact_combo = QComboBox()
        self.contact_combo.setMinimumContentsLength(24)
        self.preview = PairPreview(side_by_side=True)
        self.sms_bubble = self.preview.sms_bubble
        self.sms_info = self.preview.sms_info
        self.email_from = self.preview.email_from
        self.email_to = self.preview.email_to
        self.email_subject = self.preview.email_subject
        self.email_view = self.preview.email_view
        self.email_text = self.preview.email_text

        self._build_layout()
        self.template_combo.currentIndexChanged.connect(self._on_template_combo_changed)
        self.audience_combo.currentIndexChanged.connect(self._on_audience_combo_changed)
        self.contact_combo.currentIndexChanged.connect(self._on_contact_combo_changed)
        self.review_button.clicked.connect(self._on_review_button_clicked)
        self.ab_check.toggled.connect(self._on_ab_check_toggled)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.address_button.clicked.connect(self._on_address_button_clicked)
        self.progress.cancel_requested.connect(self._on_progress_cancel_requested)
        self.runner.updated.connect(self._on_runner_updated)
        self.refresh()

    def refresh(self) -> None:
        """Read templates, tags and the preview contacts again, keeping choices."""
        if self.is_sending():
            return
        template_name = self.template_combo.currentData()
        audience = self.audience_combo.currentData()
        for combo in (self.template_combo, self.audience_combo):
            combo.blockSignals(True)
            combo.clear()
        for template in templates.list_templates(self._db):
            self.template_combo.addItem(template.name, template.name)
        self.audience_combo.addItem(messages.COMPOSE_EVERYONE, "")
        for tag in contacts.all_tags(self._db):
            self.audience_combo.addItem(messages.COMPOSE_TAG.format(tag=tag), tag)
        _select(self.template_combo, template_name)
        _select(self.audience_combo, audience)
        for combo in (self.template_combo, self.audience_combo):
            combo.blockSignals(False)

        has_templates = self.template_combo.count() > 0
        self.review_button.setEnabled(has_templates)
        self._forget_plan(
            messages.COMPOSE_REVIEW_FIRST
            if has_templates
            else messages.COMPOSE_NO_TEMPLATES
        )
        self._fill_preview_contacts()
        self.runner.contacts_changed()
        self._update_breakdown()
        self._update_ab_check()

    def select(self, template_name: str, tag: str | None = None) -> None:
        """Choose a template and an audience (a tag, or everyone when None)."""
        _select(self.template_combo, template_name)
        _select(self.audience_combo, tag or "")

    def review(self) -> bool:
        """Plan the send and show it; True when there is something to send."""
        from desktop_app.services import sending

        name = self.template_combo.currentData()
        tag = self.audience_combo.currentData() or None
        if not name:
            self._forget_plan(messages.COMPOSE_NO_TEMPLATES)
            return False
        try:
            plan = sending.plan_send(
                self._db,
                template_name=name,
                tag=tag,
                everyone=tag is None,
                test_mode=self._provider_names[0] == "outbox",
                ab_split=self.ab_check.isEnabled() and self.ab_check.isChecked(),
            )
        except KnownError as error:
            self._forget_plan(error.message)
            return False

        self._plan = plan
        self._show_plan(plan)
        sends = plan.to_send
        self.send_button.setEnabled(sends["sms"] + sends["email"] > 0)
        self.plan_reviewed.emit(plan.to_json())
        return self.send_button.isEnabled()

    def send(self) -> Task | None:
        """Queue the reviewed plan and send it in the background."""
        from desktop_app.services import sending

        if self._plan is None or self.is_sending():
            return None
        if not self._owner_confirms(self._plan):
            return None
        try:
            campaign_id = sending.queue_plan(
                self._db,
                self._plan,
                provider_sms=self._provider_names[0],
                provider_email=self._provider_names[1],
            )
        except KnownError as error:
            feedback.warn(self, messages.COMPOSE_FAILED_TITLE, error.message)
            return None

        self._plan = None
        data_dir = self._data_dir
        senders_factory = self._senders_factory

        def job(context: TaskContext) -> dict[str, Any]:
            from desktop_app.storage.database import open_database

            db = open_database(paths.database_path(data_dir))
            senders = senders_factory()
            try:
                summary = sending.run_campaign(
                    db,
                    campaign_id,
                    senders,
                    progress=context.progress,
                    cancel=context.cancelled,
                )
            finally:
                senders.close()
                db.close()
            return {**summary.to_json(), "summary_text": summary.summary_text()}

        self._set_controls_enabled(False)
        self.progress.start(messages.COMPOSE_SENDING)
        self.send_task = run_in_background(
            job,
            on_success=self._on_send_succeeded,
            on_error=self._on_send_errored,
            on_progress=self._on_send_progressed,
            parent=self,
        )
        return self.send_task

    def _owner_confirms(self, plan: Any) -> bool:
        """Ask before sending a template again to the same customers, or over a cap."""
        from desktop_app.services import sending, triggers

        earlier = sending.recent_repeat(self._db, plan)
        if earlier is not None and not feedback.ask(
            self,
            messages.COMPOSE_AGAIN_TITLE,
            messages.COMPOSE_AGAIN_TEXT.format(campaign=earlier.name),
            messages.COMPOSE_AGAIN_YES,
            messages.COMPOSE_AGAIN_NO,
        ):
            return False
        if self._provider_names[0] == "outbox":
            return True
        problem = triggers.cap_problem(self._db, triggers.plan_sms_cost(plan))
        return problem is None or feedback.ask(
            self,
            messages.COMPOSE_CAP_TITLE,
            problem.removeprefix("Paused: ").split(" The messages stay")[0]
            + " Send anyway?",
            messages.COMPOSE_CAP_YES,
            messages.COMPOSE_AGAIN_NO,
        )

    def set_provider_names(self, names: tuple[str, str]) -> None:
        """Record which SMS and email providers the next campaign goes through."""
        self._provider_names = names

    def is_sending(self) -> bool:
        """Return True while a campaign is being sent."""
        return self.send_task is not None and self.send_task.is_running()

    def cancel_send(self) -> None:
        """Ask the running send to stop after the message in hand."""
        if self.send_task is not None:
            self.send_task.cancel()

    def _build_layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel(messages.COMPOSE_TEMPLATE))
        controls.addWidget(self.template_combo, 1)
        controls.addSpacing(12)
        controls.addWidget(QLabel(messages.COMPOSE_AUDIENCE))
        controls.addWidget(self.audience_combo, 1)
        controls.addSpacing(12)
        controls.addWidget(self.review_button)
        controls.addWidget(self.send_button)
        ab_row = QHBoxLayout()
        ab_row.addWidget(self.ab_check)
        ab_row.addStretch(1)

        header = QWidget()
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(0, 0, 0, 0)
        header_layout.addWidget(self.breakdown_label)
        plan_row = QHBoxLayout()
        plan_row.addWidget(self.plan_label, 1)
        plan_row.addWidget(self.address_button, 0, Qt.AlignmentFlag.AlignTop)
        header_layout.addLayout(plan_row)
        self.plan_panel = PlanPanel(header)
        review_box = QGroupBox("Review before sending")
        review_layout = QVBoxLayout(review_box)
        review_layout.addWidget(self.plan_panel)

        preview_top = QHBoxLayout()
        preview_top.addWidget(QLabel(messages.COMPOSE_PREVIEW_CONTACT))
        preview_top.addWidget(self.contact_combo, 1)
        preview_top.addStretch(1)

        preview_box = QGroupBox("Preview")
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.addLayout(preview_top)
        preview_layout.addWidget(self.preview, 1)

        # The owner can give the review or the preview more room.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(review_box)
        self.splitter.addWidget(preview_box)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self._splitter_placed = False

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(ab_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.splitter, 1)

    def _show_plan(self, plan: Any) -> None:
        sends = plan.to_send
        lines = [
            PLAN_SENDS.format(sms=sends["sms"], emails=sends["email"]),
            PLAN_COST.format(
                cost=plan.estimated_cost,
                segments=plan.total_segments,
                worst=plan.worst_case_segments,
            ),
        ]
        if plan.variants:
            lines.append(plan.split_text())
        if "outbox" in self._provider_names:
            lines.append(TEST_MODE_NOTE)
        waiting = plan.held.get("address", 0)
        if waiting:
            lines.append(ADDRESS_WAIT.format(emails=counted(waiting, "email")))
        self.plan_label.setText("\n".join(lines))
        self.address_button.setVisible(bool(waiting))
        self.breakdown_label.setVisible(False)  # the plan's own cost replaces it
        self._fill_groups(plan)
        self._update_preview()

    def _fill_groups(self, plan: Any) -> None:
        """One line per notice and skip reason, each with its customers' names."""
        names: dict[int, str] = {}
        shown = []
        for group in plan_groups.notice_groups(plan) + plan_groups.skip_groups(plan):
            members = []
            for message in group.members[:GROUP_MEMBERS_SHOWN]:
                name = names.get(message.contact_id)
                if name is None:
                    name = self._contact_name(message.contact_id)
                    names[message.contact_id] = name
                members.append(
                    plan_groups.member_text(name, message, detail=group.detail_reason)
                )
            hidden = len(group.members) - GROUP_MEMBERS_SHOWN
            if hidden > 0:
                members.append(MORE_MEMBERS.format(count=hidden))
            shown.append((group.title, members))
        self.plan_panel.set_groups(shown)

    def _contact_name(self, contact_id: int) -> str:
        try:
            contact = contacts.get_contact(self._db, contact_id)
        except KnownError:
            return f"#{contact_id}"
        return (
            contact.display_name or contact.phone or contact.email or f"#{contact_id}"
        )

    def group_titles(self) -> list[str]:
        """Return the review's lines (notices and skip reasons), as shown."""
        return [row.title.text() for row in self.plan_panel.rows]

    def group_members(self, index: int) -> list[str]:
        """Return the customers behind "Who?" on the review line ``index``."""
        return list(self.plan_panel.rows[index].members)

    def _forget_plan(self, text: str) -> None:
        had_plan = self._plan is not None
        self._plan = None
        self.plan_label.setText(text)
        self.address_button.setVisible(False)
        self.breakdown_label.setVisible(True)
        self.plan_panel.clear_groups()
        self.send_button.setEnabled(False)
        if had_plan:
            self.preview.show_decisions(None, None)

    def _fill_preview_contacts(self) -> None:
        chosen = self.contact_combo.currentData()
        tag = self.audience_combo.currentData() or None
        self.contact_combo.blockSignals(True)
        self.contact_combo.clear()
        for contact in contacts.list_contacts(
            self._db, tag=tag, limit=PREVIEW_CONTACTS
        ):
            label = contact.display_name or contact.phone or str(contact.id)
            self.contact_combo.addItem(label, contact.id)
        _select(self.contact_combo, chosen)
        self.contact_combo.blockSignals(False)
        self._update_preview()

    def _update_preview(self) -> None:
        name = self.template_combo.currentData()
        contact_id = self.contact_combo.currentData()
        if not name or contact_id is None:
            self.preview.show_nothing(messages.COMPOSE_PREVIEW_NONE)
            return

        template = templates.get_template(self._db, name)
        contact = contacts.get_contact(self._db, int(contact_id))
        shop = ShopInfo.from_settings(settings.get_settings(self._db))
        pair = render_pair(template, contact.merge_values(), shop)
        planned = (
            plan_groups.decisions_for(self._plan, contact.id).get("sms")
            if self._plan is not None
            else None
        )
        if planned is not None and planned.is_queued and planned.body:
            # The reviewed plan's text is what goes out: the shop's name and the
            # STOP line added, links tagged; the phone shows and counts that.
            pair = replace(pair, sms_body=planned.body)
        self.preview.show_pair(
            pair, phone=contact.phone, email=contact.email, shop=shop
        )
        self._show_decisions(contact.id)

    def _show_decisions(self, contact_id: int) -> None:
        """Over each pane, what the reviewed plan decided for this customer."""
        if self._plan is None:
            self.preview.show_decisions(None, None)
            return
        found = plan_groups.decisions_for(self._plan, contact_id)
        shown = []
        for channel in ("sms", "email"):
            message = found.get(channel)
            style = DECISION_STYLES.get(message.action, "ok") if message else "muted"
            shown.append((plan_groups.decision_text(message), style))
        self.preview.show_decisions(shown[0], shown[1])

    def _update_breakdown(self) -> None:
        name = self.template_combo.currentData()
        if not name:
            self.breakdown_label.clear()
            return
        template = templates.get_template(self._db, name)
        self.runner.set_audience(self.audience_combo.currentData() or None)
        self.runner.set_text(template.sms_body)

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (
            self.template_combo,
            self.audience_combo,
            self.review_button,
            self.send_button,
        ):
            widget.setEnabled(enabled)
        if enabled:
            self._update_ab_check()
        else:
            self.ab_check.setEnabled(False)

    def _update_ab_check(self) -> None:
        """Allow the A/B test only for a template with an SMS variant B."""
        name = self.template_combo.currentData()
        has_b = False
        if name:
            try:
                has_b = bool(templates.get_template(self._db, name).sms_body_b.strip())
            except KnownError:
                has_b = False
        self.ab_check.setEnabled(has_b)
        self.ab_check.setToolTip(AB_TIP_ON if has_b else AB_TIP_OFF)

    def _after_send(self) -> None:
        self.progress.stop()
        self._set_controls_enabled(True)
        self.send_button.setEnabled(False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.runner.schedule()
        if not self._splitter_placed:
            # The review gets a bit less than half the height, whatever the window.
            self._splitter_placed = True
            total = max(sum(self.splitter.sizes()), 1)
            self.splitter.setSizes([total * 9 // 20, total - total * 9 // 20])

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not event.spontaneous():
            self.runner.stop()

    @Slot(int)
    def _on_template_combo_changed(self, _index: int) -> None:
        self._forget_plan(messages.COMPOSE_REVIEW_FIRST)
        self._update_preview()
        self._update_breakdown()
        self._update_ab_check()

    @Slot(bool)
    def _on_ab_check_toggled(self, _checked: bool) -> None:
        self._forget_plan(messages.COMPOSE_REVIEW_FIRST)

    @Slot(int)
    def _on_audience_combo_changed(self, _index: int) -> None:
        self._forget_plan(messages.COMPOSE_REVIEW_FIRST)
        self._fill_preview_contacts()
        self._update_breakdown()

    @Slot(object)
    def _on_runner_updated(self, result: AudienceBreakdown | None) -> None:
        tag = self.audience_combo.currentData() or None
        self.breakdown_label.setText(BREAKDOWN_TITLE + breakdown_text(result, tag))

    @Slot(int)
    def _on_contact_combo_changed(self, _index: int) -> None:
        self._update_preview()

    @Slot()
    def _on_review_button_clicked(self) -> None:
        self.review()

    @Slot()
    def _on_address_button_clicked(self) -> None:
        self.setting_requested.emit("shop.address")

    @Slot()
    def _on_send_button_clicked(self) -> None:
        self.send()

    @Slot()
    def _on_progress_cancel_requested(self) -> None:
        self.cancel_send()

    def _on_send_progressed(self, done: int, total: int) -> None:
        self.progress.set_progress(
            done, total, messages.COMPOSE_PROGRESS.format(done=done, total=total)
        )

    def _on_send_succeeded(self, summary: dict[str, Any]) -> None:
        self._after_send()
        text = str(summary.get("summary_text", ""))
        if summary.get("stopped") == "cancelled":
            text = f"{messages.COMPOSE_CANCELLED}\n{text}"
        self.plan_label.setText(text)
        self.plan_panel.clear_groups()
        self.preview.show_decisions(None, None)
        feedback.status(self, text)
        self.send_finished.emit(summary)

    def _on_send_errored(self, error: BaseException) -> None:
        self._after_send()
        message = error.message if isinstance(error, KnownError) else str(error)
        self.plan_label.setText(message)
        self.send_failed.emit(message)
        feedback.report_error(self, messages.COMPOSE_FAILED_TITLE, error)


def _select(combo: QComboBox, data: object) -> None:
    if data is None:
        return
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)
