"""The one bridge between the window and long jobs: run a blocking call off the GUI thread.

``run_in_background(fn, on_success=..., on_error=...)`` runs ``fn(context)`` on a
``QThreadPool`` and delivers its result (or its exception) on the GUI thread through a
QObject's signals. ``fn`` receives a :class:`TaskContext`: it reports progress with
``context.progress(done, total)`` and polls ``context.cancelled()`` to stop early.

Workers never touch widgets. A job that needs the database opens its own connection
(a sqlite3 connection belongs to the thread that opened it) and closes it.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

logger = logging.getLogger(__name__)

_running: set["Task"] = set()


class TaskContext:
    """What a background function gets: a progress callback and a cancel flag."""

    def __init__(self, signals: "_TaskSignals", cancel_event: threading.Event) -> None:
        self._signals = signals
        self._cancel_event = cancel_event

    def progress(self, done: int, total: int) -> None:
        """Report progress; delivered to ``on_progress`` on the GUI thread."""
        self._signals.progressed.emit(int(done), int(total))

    def cancelled(self) -> bool:
        """Return True once the user asked to stop."""
        return self._cancel_event.is_set()


class _TaskSignals(QObject):
    """Carries a worker's outcome to the GUI thread.

    Signals:
        succeeded(object): the function's return value.
        failed(object): the exception it raised.
        progressed(int, int): done and total.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int)


class _Runnable(QRunnable):
    def __init__(self, task: "Task") -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:
        task = self._task
        try:
            result = task.fn(task.context)
        except BaseException as error:  # delivered to on_error on the GUI thread
            task.signals.failed.emit(error)
        else:
            task.signals.succeeded.emit(result)
        finally:
            task.done_event.set()


class Task(QObject):
    """A running background job; keep it to cancel it or wait for it.

    Signals:
        finished(): emitted on the GUI thread after on_success or on_error ran.
    """

    finished = Signal()

    def __init__(
        self,
        fn: Callable[[TaskContext], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Callable[[int, int], None] | None,
        parent: QObject | None,
    ) -> None:
        super().__init__(parent)
        self.fn = fn
        self.signals = _TaskSignals()
        self.done_event = threading.Event()
        self._cancel_event = threading.Event()
        self.context = TaskContext(self.signals, self._cancel_event)
        self._on_success = on_success
        self._on_error = on_error
        self._on_progress = on_progress
        self._delivered = False
        self.signals.succeeded.connect(self._on_signals_succeeded)
        self.signals.failed.connect(self._on_signals_failed)
        self.signals.progressed.connect(self._on_signals_progressed)

    def cancel(self) -> None:
        """Ask the function to stop; it notices at its next poll."""
        self._cancel_event.set()

    def is_cancelled(self) -> bool:
        """Return True once :meth:`cancel` was called."""
        return self._cancel_event.is_set()

    def is_running(self) -> bool:
        """Return True until the function has returned or raised."""
        return not self.done_event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the function has returned; True if it did within ``timeout``."""
        return self.done_event.wait(timeout)

    @Slot(object)
    def _on_signals_succeeded(self, result: object) -> None:
        try:
            self._on_success(result)
        finally:
            self._finish()

    @Slot(object)
    def _on_signals_failed(self, error: object) -> None:
        try:
            self._on_error(error)  # type: ignore[arg-type]
        finally:
            self._finish()

    @Slot(int, int)
    def _on_signals_progressed(self, done: int, total: int) -> None:
        if self._on_progress is not None and not self._delivered:
            self._on_progress(done, total)

    def _finish(self) -> None:
        self._delivered = True
        _running.discard(self)
        self.finished.emit()


def run_in_background(
    fn: Callable[[TaskContext], Any],
    *,
    on_success: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    on_progress: Callable[[int, int], None] | None = None,
    parent: QObject | None = None,
) -> Task:
    """Run ``fn(context)`` on the thread pool; deliver its outcome on the GUI thread.

    Args:
        fn: a blocking function taking a :class:`TaskContext`; it must not touch
            widgets or the GUI thread's database connection.
        on_success: called with the return value, on the GUI thread.
        on_error: called with the exception, on the GUI thread.
        on_progress: called with (done, total), on the GUI thread.
        parent: the QObject the task belongs to (usually the view).

    Returns:
        The :class:`Task`, to cancel it or wait for it.
    """
    task = Task(fn, on_success, on_error, on_progress, parent)
    _running.add(task)
    QThreadPool.globalInstance().start(_Runnable(task))
    logger.debug("background task started: %s", getattr(fn, "__name__", fn))
    return task


def running_tasks() -> list[Task]:
    """Return the tasks whose results have not been delivered yet."""
    return list(_running)


def cancel_and_wait_all(timeout: float = 30.0) -> bool:
    """Cancel every task and wait for the pool to drain; True if it did in time."""
    for task in list(_running):
        task.cancel()
    return QThreadPool.globalInstance().waitForDone(int(timeout * 1000))
