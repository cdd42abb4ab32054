"""The live cost per customer: an SMS template counted over an audience, off the GUI thread.

``BreakdownRunner`` keeps each audience's merge values (read once with
``list_contacts``, on the GUI thread, which is fast enough for 10,000 contacts), waits
until typing pauses (about 200 ms), then runs ``core.compose.audience_breakdown`` on the
thread pool. Only the newest request is delivered: a result that arrives after the
text or the audience changed again is dropped, and at most one count runs at a time.
"""

import logging
from collections.abc import Mapping
from typing import Any

import shiboken6
import sqlite_utils

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop_app.core import planning
from desktop_app.core.compose import AudienceBreakdown, audience_breakdown
from desktop_app.core.templates import ShopInfo
from desktop_app.storage import contacts, settings
from desktop_app.ui.tasks import Task, TaskContext, run_in_background

logger = logging.getLogger(__name__)

DEBOUNCE_MS = 200
NO_CONTACTS = (
    "No contacts with a phone number yet: import customers to see what each "
    "one's SMS costs."
)
NO_TAGGED = "No contact with this tag has a phone number."
COUNTING = "Counting…"
_STANDARD_VALUES = frozenset(
    {"first_name", "last_name", "full_name", "company", "phone", "email"}
)


class BreakdownRunner(QObject):
    """Counts one SMS template over one audience whenever either changes.

    Signals:
        updated(object): the newest ``AudienceBreakdown`` (None when the audience
            is empty).
    """

    updated = Signal(object)

    def __init__(
        self,
        db: sqlite_utils.Database,
        parent: QObject | None = None,
        *,
        delay_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._tag: str | None = None
        self._text = ""
        self._cache: dict[str | None, list[dict[str, str]]] = {}
        self._fingerprint = _contacts_fingerprint(db)
        self._generation = 0
        self._task: Task | None = None
        self._pending = False
        self.result: AudienceBreakdown | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self._on_timer_timeout)

    def set_text(self, text: str) -> None:
        """Count ``text`` (the SMS as written) once typing pauses."""
        if text != self._text:
            self._text = text
            self.schedule()

    def set_audience(self, tag: str | None) -> None:
        """Count over the contacts with ``tag`` (everyone when None)."""
        tag = tag or None
        if tag != self._tag:
            self._tag = tag
            self.schedule()

    def contacts_changed(self) -> None:
        """Forget every audience's values if contacts were added, removed or edited."""
        fingerprint = _contacts_fingerprint(self._db)
        if fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            self._cache.clear()
        self.schedule()

    def schedule(self) -> None:
        """Start (or restart) the pause before the next count."""
        self._generation += 1
        self.timer.start()

    def stop(self) -> None:
        """Forget any count not delivered yet (the view was hidden or closed)."""
        self._generation += 1
        self._pending = False
        self.timer.stop()

    def recipients(self, tag: str | None = None) -> list[dict[str, str]]:
        """Return the merge values of the audience with ``tag``, read once and kept.

        Only contacts with a phone number count: the others get no SMS.
        """
        tag = tag or None
        values = self._cache.get(tag)
        if values is None:
            values = [
                contact.merge_values()
                for contact in contacts.list_contacts(self._db, tag=tag)
                if contact.phone
            ]
            self._cache[tag] = values
            logger.debug("audience values loaded: %d contacts", len(values))
        return values

    def custom_fields(self) -> dict[str, str]:
        """Return the contacts' own fields (beyond the standard ones), with an example."""
        found: dict[str, str] = {}
        for values in self.recipients(None):
            for key, value in values.items():
                if key not in _STANDARD_VALUES and not found.get(key):
                    found[key] = value
        return found

    def is_busy(self) -> bool:
        """Return True while a count waits for the pause or runs."""
        running = self._task is not None and self._task.is_running()
        return self.timer.isActive() or running or self._pending

    @Slot()
    def _on_timer_timeout(self) -> None:
        owner = self.parent()
        if isinstance(owner, QWidget) and not owner.isVisible():
            return  # counted again when the page is shown (see ``schedule``)
        if self._task is not None and self._task.is_running():
            self._pending = True
            return
        self._start()

    def _start(self) -> None:
        self._pending = False
        generation = self._generation
        recipients = self.recipients(self._tag)
        if not recipients:
            self.result = None
            self.updated.emit(None)
            return

        values = settings.get_settings(self._db)
        price = planning.price_from_settings(values)
        defaults: Mapping[str, str] = {"shop_name": ShopInfo.from_settings(values).name}
        text = self._text

        def count(_context: TaskContext) -> AudienceBreakdown:
            return audience_breakdown(
                text, recipients, price_per_segment=price, defaults=defaults
            )

        def delivered(result: Any) -> None:
            if shiboken6.isValid(self):  # the view may be gone by now
                self._on_count_done(generation, result)

        def failed(error: BaseException) -> None:
            if shiboken6.isValid(self):
                self._on_count_failed(error)

        # No parent: a task deleted with its view would never be delivered and
        # would stay in the running list.
        self._task = run_in_background(count, on_success=delivered, on_error=failed)

    def _on_count_done(self, generation: int, result: AudienceBreakdown) -> None:
        self._task = None
        if self._pending and generation != self._generation:
            self._start()
            return
        if generation != self._generation:
            logger.debug("stale breakdown dropped")
            return
        self.result = result
        self.updated.emit(result)

    def _on_count_failed(self, error: BaseException) -> None:
        self._task = None
        logger.error("counting the audience failed: %s", error)
        if self._pending:
            self._start()


def _contacts_fingerprint(db: sqlite_utils.Database) -> tuple[object, ...]:
    """How many contacts there are and when one last changed (a few ms at 10,000)."""
    return contacts.contacts_fingerprint(db)


def breakdown_text(result: AudienceBreakdown | None, tag: str | None = None) -> str:
    """Return what the window shows for a breakdown (or for an empty audience)."""
    if result is None:
        return NO_TAGGED if tag else NO_CONTACTS
    return result.summary_text()
