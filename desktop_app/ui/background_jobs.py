"""What Duet does by itself while the window is open, and the questions at start.

:class:`BackgroundJobs` runs :func:`run_pass` every few minutes (default
:data:`DEFAULT_INTERVAL_MINUTES`) through the one task bridge
(:func:`desktop_app.ui.tasks.run_in_background`), in a worker with its own database
connection and the saved providers:

1. Twilio sync (delivery status, replies, STOP/START), when Twilio is set up;
2. the shop's mailbox (unsubscribe mails, replies to review, bounces), when IMAP is
   set up in the keyring; before anything is sent, so an unsubscribe counts at
   once. An unreachable mailbox never fails the pass: the status line says so once,
   and again only when the reason changes or after it worked in between;
3. delayed trigger events whose time has come (``triggers.send_pending``);
4. scheduled sends that are due now (``schedules.run_due``; never the missed ones,
   which wait for the owner);
5. campaigns whose held messages may go now (quiet hours ended, or the shop's
   postal address was set, which releases the emails that waited for it).

Only one pass runs at a time, and none starts while Compose sends, an import runs or
the start-up resume runs. If Compose starts a send during a pass, the pass stops
after the message in hand (the held campaign it was sending goes back to waiting).
The sending lease (``services.sending``) keeps two senders off one campaign anyway.

:class:`StartupWork` runs once after the window is ready: it offers to finish
campaigns a crash or a close interrupted (``resume_all`` in a worker, with a progress
panel), then lists the schedules missed while Duet was closed and sends them only
when the owner confirms (``run_due(include_missed=True)``).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop_app import paths
from desktop_app.errors import KnownError, ValidationError
from desktop_app.ui import feedback, tasks
from desktop_app.ui.automation import texts
from desktop_app.ui.widgets.progress_panel import ProgressPanel

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_MINUTES = 3.0
FIRST_RUN_DELAY_MS = 15_000
BUSY_POLL_MS = 250
WAITING = "waiting"
MAILBOX_TIMEOUT = 10.0
MAILBOX_ERROR_KEY = "_mailbox.last_error"


@dataclass(frozen=True)
class JobRequest:
    """What one background pass needs.

    Attributes:
        data_dir: Duet's data folder (database, outbox).
        now: the current time (aware); tests fix it. None: the real clock.
    """

    data_dir: Path
    now: datetime | None = None


@dataclass
class JobReport:
    """What one background pass did.

    Attributes:
        sync: the Twilio sync report, when Twilio is set up.
        mailbox: the mailbox poll's ``ImapReport``, when IMAP is set up and the
            mailbox answered.
        held_sent: held messages sent now that their time came.
        held_campaigns: campaigns whose held messages were sent.
        triggered: trigger events handled (delays that ended, queued events).
        scheduled: scheduled occurrences handled.
        files: event files picked up from the watched folder (FileReport each).
        errors: plain sentences for what could not be done.
        yielded: the pass stopped early for a send from Compose or a close.
    """

    sync: Any = None
    mailbox: Any = None
    held_sent: int = 0
    held_campaigns: list[int] = field(default_factory=list)
    triggered: list[Any] = field(default_factory=list)
    scheduled: list[Any] = field(default_factory=list)
    files: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    yielded: bool = False

    def did_something(self) -> bool:
        """Return True when the pass sent, recorded or failed anything to tell."""
        return bool(self.status_text())

    def status_text(self) -> str:
        """Return the pass in one status-bar line ("" when nothing happened)."""
        parts: list[str] = []
        if self.held_sent:
            count = texts.plural(self.held_sent, "held message", "held messages")
            parts.append(texts.JOB_HELD_SENT.format(count=count))
        sent = sum(int(getattr(result, "sent", 0)) for result in self.triggered)
        if sent:
            count = texts.plural(sent, "message", "messages")
            parts.append(texts.JOB_TRIGGERED.format(count=count))
        done = [o for o in self.scheduled if o.state == "sent"]
        if done:
            count = texts.plural(len(done), "scheduled send", "scheduled sends")
            parts.append(texts.JOB_SCHEDULED.format(count=count))
        if self.files:
            count = texts.plural(len(self.files), "event file", "event files")
            parts.append(texts.JOB_FILES.format(count=count))
        paused = [o for o in self.scheduled if o.state == "paused"]
        paused += [r for r in self.triggered if r.stopped]
        if paused:
            parts.append(texts.JOB_PAUSED.format(count=len(paused)))
        if self.sync is not None:
            parts.extend(_sync_parts(self.sync))
        if self.mailbox is not None:
            parts.extend(_mailbox_parts(self.mailbox))
        parts.extend(self.errors)
        return "; ".join(parts)


def _sync_parts(report: Any) -> list[str]:
    parts: list[str] = []
    if report.replies:
        what: list[str] = []
        if report.opt_outs == 1:
            what.append(texts.JOB_OPT_OUTS)
        elif report.opt_outs:
            what.append(texts.JOB_OPT_OUTS_MANY.format(count=report.opt_outs))
        if report.opt_ins:
            what.append(texts.JOB_OPT_INS.format(count=report.opt_ins))
        if report.help:
            what.append(texts.JOB_HELP.format(count=report.help))
        if report.review:
            what.append(texts.JOB_REVIEW.format(count=report.review))
        head = texts.JOB_REPLIES.format(
            count=texts.plural(report.replies, "reply", "replies")
        )
        parts.append(f"{head}: {', '.join(what)}" if what else head)
    if report.delivered:
        parts.append(texts.JOB_DELIVERED.format(count=report.delivered))
    parts.extend(report.errors)
    return parts


def _mailbox_parts(report: Any) -> list[str]:
    what: list[str] = []
    if report.unsubscribed:
        what.append(
            texts.JOB_MAILBOX_UNSUBSCRIBED.format(count=len(report.unsubscribed))
        )
    if report.bounced:
        what.append(texts.plural(len(report.bounced), "bounce", "bounces"))
    if report.review:
        what.append(texts.JOB_REVIEW.format(count=len(report.review)))
    return [texts.JOB_MAILBOX.format(what=", ".join(what))] if what else []


def _poll_mailbox(db: Any, report: JobReport) -> None:
    """Poll the shop's mailbox when IMAP is set up; never raise for the mailbox."""
    from desktop_app import credentials
    from desktop_app.services.imap_poll import poll_mailbox
    from desktop_app.storage import messages

    try:
        saved = credentials.load_imap()
        if saved is None:
            return
        config, password = saved
        report.mailbox = poll_mailbox(
            db,
            config.host,
            config.port,
            config.user,
            password,
            security=config.security,  # type: ignore[arg-type]
            timeout=MAILBOX_TIMEOUT,
        )
    except KnownError as error:
        text = texts.JOB_MAILBOX_FAILED.format(message=error.message)
        if messages.get_internal(db, MAILBOX_ERROR_KEY) == text:
            logger.debug("mailbox still not checked: %s", error.message)
            return
        messages.set_internal(db, MAILBOX_ERROR_KEY, text)
        report.errors.append(text)
        logger.info("mailbox not checked: %s", error.message)
        return
    messages.set_internal(db, MAILBOX_ERROR_KEY, None)


def run_pass(request: JobRequest, cancel: Callable[[], bool]) -> JobReport:
    """Run one background pass (see the module docstring); blocking, for a worker.

    Args:
        request: the data folder and the clock.
        cancel: True stops the pass after the message in hand.

    Returns:
        What the pass did.

    Raises:
        KnownError: the database or the keyring could not be opened.
    """
    from desktop_app.providers.factory import senders_from_credentials
    from desktop_app.services import schedules, sync, triggers
    from desktop_app.storage.database import open_database

    report = JobReport()
    db = open_database(paths.database_path(request.data_dir))
    try:
        senders, _mode = senders_from_credentials(request.data_dir)
        try:
            if senders.sms.name == "twilio":
                twilio = senders.sms  # a TwilioSms here, as its name says
                report.sync = sync.sync_once(db, twilio, now=request.now)
            if not cancel():
                _poll_mailbox(db, report)
            if not cancel():
                report.files = _watched_files(db, senders)
            if not cancel():
                report.triggered = triggers.send_pending(db, senders, now=request.now)
            if not cancel():
                report.scheduled = schedules.run_due(db, senders, now=request.now)
            if not cancel():
                _send_held(db, senders, request, cancel, report)
        finally:
            senders.close()
    finally:
        db.close()
    report.yielded = cancel()
    return report


def _watched_files(db: Any, senders: Any) -> list[Any]:
    """Handle the event files in the watched folder, when one is set in Settings."""
    from desktop_app.services import folder_watch
    from desktop_app.storage import settings

    folder = settings.get_setting(db, "automation.watch_folder")
    if not folder:
        return []
    return folder_watch.process_folder(db, Path(folder), senders)


def _send_held(
    db: Any,
    senders: Any,
    request: JobRequest,
    cancel: Callable[[], bool],
    report: JobReport,
) -> None:
    """Send the campaigns that only waited: for quiet hours, or the shop's address."""
    from desktop_app.services import sending
    from desktop_app.storage import messages

    fixed = request.now
    clock = (lambda: fixed) if fixed is not None else None
    sending.release_address_holds(db)
    for campaign in sending.interrupted_campaigns(db):
        if cancel():
            return
        if campaign.state != WAITING:
            continue  # paused by the owner, a cap or a crash: the owner decides
        have = (senders.sms.name, senders.email.name)
        if (campaign.provider_sms, campaign.provider_email) != have:
            logger.debug("held campaign %d waits for its providers", campaign.id)
            continue
        try:
            summary = sending.run_campaign(
                db,
                campaign.id,
                senders,
                cancel=cancel,
                now=clock,
            )
        except ValidationError as error:  # another process sends it
            logger.debug("held campaign %d not sent: %s", campaign.id, error.message)
            continue
        if summary.stopped == sending.CANCELLED:
            messages.set_campaign_state(db, campaign.id, WAITING)
        report.held_sent += summary.sent_now
        if summary.sent_now:
            report.held_campaigns.append(campaign.id)


class BackgroundJobs(QObject):
    """Runs :func:`run_pass` every few minutes while the window is open.

    Signals:
        ran(object): a pass ended; its :class:`JobReport`.
        failed(str): a pass could not run; the reason.
    """

    ran = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        data_dir: Path,
        *,
        busy: Callable[[], bool] = lambda: False,
        interval_minutes: float = DEFAULT_INTERVAL_MINUTES,
        first_delay_ms: int = FIRST_RUN_DELAY_MS,
        parent: QObject | None = None,
    ) -> None:
        """Prepare the timer (not started).

        Args:
            data_dir: Duet's data folder.
            busy: True while a send, an import or a start-up resume runs.
            interval_minutes: minutes between two passes.
            first_delay_ms: the wait before the first pass after :meth:`start`.
            parent: the owner (the main window).
        """
        super().__init__(parent)
        self._data_dir = data_dir
        self._busy = busy
        self._first_delay_ms = first_delay_ms
        self.interval_ms = max(1, round(interval_minutes * 60_000))
        self.task: tasks.Task | None = None
        self._yield = threading.Event()
        self._paused = False
        self._stopped = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.busy_timer = QTimer(self)
        self.busy_timer.setInterval(BUSY_POLL_MS)
        self.busy_timer.timeout.connect(self._on_busy_timer_timeout)

    def start(self) -> None:
        """Run the first pass after a short wait, then every interval."""
        if self._stopped:
            return
        self.timer.start(self._first_delay_ms)
        logger.debug("background job every %d s", self.interval_ms // 1000)

    def pause(self) -> None:
        """Start no new pass until :meth:`resume` (a restore is under way)."""
        self._paused = True

    def resume(self) -> None:
        """Allow passes again."""
        self._paused = False

    def stop(self) -> None:
        """Stop the timer and ask a running pass to stop (the window closes)."""
        self._stopped = True
        self.timer.stop()
        self.busy_timer.stop()
        self._yield.set()
        if self.task is not None:
            self.task.cancel()

    def is_running(self) -> bool:
        """Return True while a pass runs."""
        return self.task is not None and self.task.is_running()

    def run_now(self, now: datetime | None = None) -> tasks.Task | None:
        """Start a pass now, unless one runs or the window is busy.

        Args:
            now: the clock for the pass (tests fix it).

        Returns:
            The task, or None when no pass was started.
        """
        if self._stopped or self._paused or self.is_running() or self._busy():
            logger.debug("background pass skipped: busy")
            return None
        self._yield.clear()
        request = JobRequest(self._data_dir, now=now)
        yielded = self._yield

        def job(context: tasks.TaskContext) -> JobReport:
            return run_pass(request, lambda: context.cancelled() or yielded.is_set())

        self.task = tasks.run_in_background(
            job,
            on_success=self._on_pass_succeeded,
            on_error=self._on_pass_failed,
            parent=self,
        )
        self.busy_timer.start()
        return self.task

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.timer.start(self.interval_ms)
        self.run_now()

    @Slot()
    def _on_busy_timer_timeout(self) -> None:
        if not self.is_running():
            self.busy_timer.stop()
        elif self._busy():
            self._yield.set()

    def _on_pass_succeeded(self, report: JobReport) -> None:
        self.task = None  # delivered: the next pass may start
        self.busy_timer.stop()
        text = report.status_text()
        if text:
            window = self.parent()
            target = window if isinstance(window, QWidget) else None
            feedback.status(target, text, 0)
        else:
            logger.debug("background pass: nothing to do")
        self.ran.emit(report)

    def _on_pass_failed(self, error: BaseException) -> None:
        self.task = None
        self.busy_timer.stop()
        if not isinstance(error, KnownError):
            logger.error("background pass failed", exc_info=error)
            message = str(error) or type(error).__name__
        else:
            logger.info("background pass failed: %s", error.message)
            message = error.message
        text = texts.JOB_FAILED.format(message=message)
        window = self.parent()
        feedback.status(window, text, 0)  # type: ignore[arg-type]
        self.failed.emit(message)


@dataclass(frozen=True)
class _Unfinished:
    id: int
    name: str
    left: int


class StartupWork(QObject):
    """The questions at start: unfinished sends, then missed schedules.

    Signals:
        finished(): both questions were answered and any send they started ended.
    """

    finished = Signal()

    def __init__(self, window: Any, parent: QObject | None = None) -> None:
        """Prepare the work for ``window`` (the main window).

        Args:
            window: gives ``database``, ``data_dir`` and is the boxes' parent.
            parent: the owner.
        """
        super().__init__(parent)
        self._window = window
        self.task: tasks.Task | None = None
        self.panel = ProgressPanel()
        self.panel.setObjectName("startupProgress")
        self.panel.setContentsMargins(12, 0, 12, 0)
        self.panel.cancel_requested.connect(self._on_panel_cancel_requested)
        self.resumed: list[Any] = []
        self.missed_sent: list[Any] = []

    def is_running(self) -> bool:
        """Return True while a resume or a missed-schedule send runs."""
        return self.task is not None and self.task.is_running()

    def start(self) -> None:
        """Ask the first question (or go on to the next when there is none)."""
        unfinished = self.unfinished()
        if not unfinished:
            self._ask_missed()
            return
        lines = "\n".join(
            texts.RESUME_LINE.format(
                name=item.name, left=texts.plural(item.left, "message", "messages")
            )
            for item in unfinished
        )
        sends = "a send" if len(unfinished) == 1 else f"{len(unfinished)} sends"
        question = texts.RESUME_QUESTION.format(sends=sends, lines=lines)
        if not feedback.ask(
            self._window,
            texts.START_TITLE,
            question,
            texts.RESUME_YES,
            texts.RESUME_NO,
        ):
            logger.info("owner left %d interrupted sends for later", len(unfinished))
            self._ask_missed()
            return
        self._run(self._resume_job(), texts.RESUME_RUNNING, self._on_resumed)

    def unfinished(self) -> list[_Unfinished]:
        """Return the campaigns to offer: interrupted, not merely waiting."""
        from desktop_app.services import sending
        from desktop_app.storage import messages

        db = self._window.database
        found: list[_Unfinished] = []
        for campaign in sending.interrupted_campaigns(db):
            if campaign.state == WAITING:
                continue  # held messages: the background job sends them
            counts = messages.count_by_state(db, campaign.id)
            left = counts["queued"] + counts["sending"] + counts["unknown"]
            found.append(_Unfinished(campaign.id, campaign.name, left))
        return found

    def _resume_job(self) -> Callable[[tasks.TaskContext], Any]:
        data_dir = self._window.data_dir

        def job(context: tasks.TaskContext) -> list[Any]:
            from desktop_app.providers.factory import senders_from_credentials
            from desktop_app.services import sending
            from desktop_app.storage.database import open_database

            db = open_database(paths.database_path(data_dir))
            try:
                senders, _mode = senders_from_credentials(data_dir)
                try:
                    return sending.resume_all(
                        db,
                        senders,
                        progress=context.progress,
                        cancel=context.cancelled,
                    )
                finally:
                    senders.close()
            finally:
                db.close()

        return job

    def _ask_missed(self) -> None:
        from desktop_app.services import schedules

        missed = schedules.missed_runs(self._window.database)
        if not missed:
            self._finish()
            return
        lines = "\n".join(f"• {occurrence.line()}" for occurrence in missed)
        if not feedback.ask(
            self._window,
            texts.MISSED_TITLE,
            texts.MISSED_QUESTION.format(lines=lines),
            texts.MISSED_YES,
            texts.MISSED_NO,
        ):
            logger.info("owner left %d missed schedule runs unsent", len(missed))
            self._finish()
            return
        data_dir = self._window.data_dir

        def job(_context: tasks.TaskContext) -> list[Any]:
            from desktop_app.providers.factory import senders_from_credentials
            from desktop_app.services import schedules as schedule_service
            from desktop_app.storage.database import open_database

            db = open_database(paths.database_path(data_dir))
            try:
                senders, _mode = senders_from_credentials(data_dir)
                try:
                    return schedule_service.run_due(
                        db, senders, now=datetime.now(UTC), include_missed=True
                    )
                finally:
                    senders.close()
            finally:
                db.close()

        self._run(job, texts.MISSED_RUNNING, self._on_missed_sent)

    def _run(
        self,
        job: Callable[[tasks.TaskContext], Any],
        text: str,
        on_success: Callable[[Any], None],
    ) -> None:
        self.panel.start(text)
        self.task = tasks.run_in_background(
            job,
            on_success=on_success,
            on_error=self._on_failed,
            on_progress=self._on_progressed,
            parent=self,
        )

    def _on_progressed(self, done: int, total: int) -> None:
        self.panel.set_progress(
            done, total, texts.RESUME_PROGRESS.format(done=done, total=total)
        )

    def _on_resumed(self, summaries: list[Any]) -> None:
        self.panel.stop()
        self.resumed = list(summaries)
        text = " ".join(summary.summary_text() for summary in summaries)
        if any(summary.stopped for summary in summaries):
            feedback.inform(
                self._window, texts.START_TITLE, texts.RESUME_DONE.format(text=text)
            )
        else:
            feedback.status(self._window, texts.RESUME_DONE.format(text=text), 0)
        self._ask_missed()

    def _on_missed_sent(self, occurrences: list[Any]) -> None:
        self.panel.stop()
        self.missed_sent = list(occurrences)
        text = "; ".join(occurrence.line() for occurrence in occurrences)
        feedback.status(self._window, texts.MISSED_DONE.format(text=text), 0)
        self._finish()

    def _on_failed(self, error: BaseException) -> None:
        self.panel.stop()
        feedback.report_error(self._window, texts.RESUME_FAILED, error)
        self._finish()

    def _finish(self) -> None:
        self.task = None
        self.finished.emit()

    @Slot()
    def _on_panel_cancel_requested(self) -> None:
        if self.task is not None:
            self.task.cancel()
