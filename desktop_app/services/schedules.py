"""Scheduled and recurring campaigns: what is due, what was missed, and sending them.

A schedule sends a template to a tag (or everyone) once at a local date and time, or
by a recurring rule (``core.recurrence``) in the shop's time zone. Each schedule
keeps the next occurrence it has not handled yet (UTC).

:func:`run_due` (``schedule run-due``, run by the window or by the system's task
scheduler every few minutes) sends each occurrence whose time has come, once: an
occurrence is recorded before it is sent, unique per (schedule, time). An occurrence
more than :data:`GRACE` late was *missed* (the PC was off): it is recorded as
``missed``, listed by :func:`missed_runs` (``schedule missed``), and sent only when
the owner confirms (``run-due --include-missed``); of several missed occurrences of
one schedule only the latest is sent, the older ones are marked superseded (three
missed monthly newsletters are one newsletter, not three).

Sends go through the usual pipeline (plan → queue → send) and the SMS spending caps:
a send that would pass a cap pauses with its messages queued.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from desktop_app.core import recurrence
from desktop_app.errors import ValidationError
from desktop_app.providers.base import Senders
from desktop_app.services import sending, triggers
from desktop_app.storage import automation, messages, settings, templates

logger = logging.getLogger(__name__)

GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class Occurrence:
    """One time a schedule is (or was) due.

    Attributes:
        schedule_id: the schedule.
        schedule: its name.
        template: the template it sends.
        audience: ``{"tag": ...}`` or ``{"everyone": true}``.
        due_at: the moment, UTC ISO text.
        local: the moment in the shop's time zone, e.g. ``2027-03-01 10:00 EST``.
        state: ``upcoming``, ``due``, ``missed``, ``sent``, ``paused``,
            ``skipped`` or ``superseded``.
        reason: why it was skipped, paused or superseded.
        campaign_id: the campaign it sent, if any.
    """

    schedule_id: int
    schedule: str
    template: str
    audience: dict[str, Any]
    due_at: str
    local: str
    state: str
    reason: str | None = None
    campaign_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the occurrence as JSON."""
        return {
            "schedule_id": self.schedule_id,
            "schedule": self.schedule,
            "template": self.template,
            "audience": self.audience,
            "due_at": self.due_at,
            "local": self.local,
            "state": self.state,
            "reason": self.reason,
            "campaign_id": self.campaign_id,
        }

    def line(self) -> str:
        """Return the occurrence as one line of a calendar-like list."""
        who = (
            "everyone"
            if self.audience.get("everyone")
            else f"tag {self.audience.get('tag')}"
        )
        text = f"{self.local}  {self.schedule} ({self.template} to {who})  {self.state}"
        return f"{text}: {self.reason}" if self.reason else text


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _zone(db: sqlite_utils.Database) -> str:
    return settings.get_setting(db, "shop.timezone") or "UTC"


def _local(db: sqlite_utils.Database, due_at: str) -> str:
    zone = recurrence.zone_of(_zone(db))
    return datetime.fromisoformat(due_at).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _occurrence(
    db: sqlite_utils.Database,
    schedule: automation.Schedule,
    due_at: str,
    state: str,
    *,
    reason: str | None = None,
    campaign_id: int | None = None,
) -> Occurrence:
    return Occurrence(
        schedule_id=schedule.id,
        schedule=schedule.name,
        template=schedule.template_name,
        audience=schedule.audience,
        due_at=due_at,
        local=_local(db, due_at),
        state=state,
        reason=reason,
        campaign_id=campaign_id,
    )


def add_schedule(
    db: sqlite_utils.Database,
    *,
    template_name: str,
    tag: str | None = None,
    everyone: bool = False,
    at: str | None = None,
    rule: str | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> automation.Schedule:
    """Schedule a template for a tag or everyone, once (``at``) or by a rule.

    Args:
        template_name: the stored template to send.
        tag: send to the contacts with this tag.
        everyone: send to every contact.
        at: a local date and time, ``2027-01-04 10:00`` (shop's time zone).
        rule: a recurring rule in words or JSON (``core.recurrence.parse_rule``).
        name: the schedule's name; defaults to the template and the rule.
        now: the current time (aware).

    Returns:
        The stored schedule.

    Raises:
        ValidationError: no such template, no or two audiences, neither or both
            of ``at`` and ``rule``, a time in the past, a taken name.
    """
    template = templates.get_template(db, template_name)
    if bool(tag) == everyone:
        raise ValidationError("Audience: choose either a tag or everyone.")
    if (at is None) == (rule is None):
        raise ValidationError("When: give either a date and time or a rule.")
    checked = recurrence.once_at(at) if at is not None else recurrence.parse_rule(rule)
    now = now or datetime.now(UTC)
    first = recurrence.next_occurrence(checked, now, _zone(db))
    if first is None:
        raise ValidationError(f"Date and time: {at} is in the past.")

    base = name or f"{template.name}, {checked.describe()}"
    unique, number = base, 2
    taken = {schedule.name for schedule in automation.list_schedules(db)}
    while name is None and unique in taken:
        unique, number = f"{base} ({number})", number + 1
    schedule = automation.add_schedule(
        db,
        name=unique,
        template_name=template.name,
        audience={"everyone": True} if everyone else {"tag": tag},
        rule=checked.to_json(),
        next_due_at=_stamp(first),
    )
    logger.info("schedule %d added: %s", schedule.id, checked.describe())
    return schedule


def upcoming(
    db: sqlite_utils.Database, *, now: datetime | None = None, per_schedule: int = 3
) -> list[Occurrence]:
    """Return the next occurrences of every schedule, soonest first (a calendar).

    Occurrences already due (within :data:`GRACE`) are ``due``; older unhandled ones
    are ``missed``; the rest ``upcoming``.
    """
    now = now or datetime.now(UTC)
    zone = _zone(db)
    found: list[Occurrence] = []
    for schedule in automation.list_schedules(db):
        if not schedule.enabled or schedule.next_due_at is None:
            continue
        rule = recurrence.rule_from_json(schedule.rule)
        moment: datetime | None = datetime.fromisoformat(schedule.next_due_at)
        for _ in range(per_schedule):
            if moment is None:
                break
            state = "upcoming"
            if moment <= now:
                state = "due" if now - moment <= GRACE else "missed"
            found.append(_occurrence(db, schedule, _stamp(moment), state))
            moment = recurrence.next_occurrence(rule, moment, zone)
    return sorted(found, key=lambda occurrence: occurrence.due_at)


def catch_up(db: sqlite_utils.Database, now: datetime | None = None) -> int:
    """Record as ``missed`` every occurrence more than :data:`GRACE` late.

    Returns:
        How many occurrences were newly recorded as missed.
    """
    now = now or datetime.now(UTC)
    zone = _zone(db)
    count = 0
    for schedule in automation.list_schedules(db):
        if not schedule.enabled:
            continue
        rule = recurrence.rule_from_json(schedule.rule)
        next_due = schedule.next_due_at
        while next_due is not None and now - datetime.fromisoformat(next_due) > GRACE:
            if automation.record_run(db, schedule.id, next_due, state="missed"):
                count += 1
                automation.log_activity(
                    db,
                    kind="schedule",
                    source="schedule",
                    ref=schedule.name,
                    outcome="missed",
                    detail=f"due {_local(db, next_due)}; Duet was not running",
                )
            following = recurrence.next_occurrence(
                rule, datetime.fromisoformat(next_due), zone
            )
            next_due = None if following is None else _stamp(following)
            automation.set_next_due(db, schedule.id, next_due)
    return count


def missed_runs(
    db: sqlite_utils.Database, now: datetime | None = None
) -> list[Occurrence]:
    """Return the occurrences missed while Duet was not running, oldest first."""
    catch_up(db, now)
    by_id = {schedule.id: schedule for schedule in automation.list_schedules(db)}
    return [
        _occurrence(db, by_id[row["schedule_id"]], row["due_at"], "missed")
        for row in automation.runs(db, state="missed")
        if row["schedule_id"] in by_id
    ]


def _send(
    db: sqlite_utils.Database,
    schedule: automation.Schedule,
    due_at: str,
    senders: Senders,
    now: datetime,
    sms_rate: float | None,
) -> Occurrence:
    audience = schedule.audience
    try:
        plan = sending.plan_send(
            db,
            template_name=schedule.template_name,
            tag=audience.get("tag"),
            everyone=bool(audience.get("everyone")),
        )
    except ValidationError as error:
        automation.record_run(
            db, schedule.id, due_at, state="skipped", reason=error.message
        )
        return _occurrence(db, schedule, due_at, "skipped", reason=error.message)

    once = schedule.rule.get("freq") == "once"
    name = schedule.name if once else f"{schedule.name} ({_local(db, due_at)})"
    campaign_id = sending.queue_plan(
        db,
        plan,
        name=name if not messages.campaign_name_taken(db, name) else None,
        provider_sms=senders.sms.name,
        provider_email=senders.email.name,
    )
    problem = triggers.cap_problem(db, triggers.plan_sms_cost(plan), now)
    if problem is not None:
        messages.set_campaign_state(db, campaign_id, "paused")
        state, reason = "paused", problem
    else:
        summary = sending.run_campaign(db, campaign_id, senders, sms_rate=sms_rate)
        state = "paused" if summary.stopped else "sent"
        reason = summary.stopped or summary.summary_text()
    automation.record_run(
        db, schedule.id, due_at, state=state, reason=reason, campaign_id=campaign_id
    )
    return _occurrence(
        db, schedule, due_at, state, reason=reason, campaign_id=campaign_id
    )


def _log(db: sqlite_utils.Database, occurrence: Occurrence) -> None:
    automation.log_activity(
        db,
        kind="schedule" if occurrence.state != "paused" else "cap",
        source="schedule",
        ref=occurrence.schedule,
        outcome=occurrence.state,
        detail=occurrence.reason or "",
        campaign_id=occurrence.campaign_id,
    )


def _send_missed(
    db: sqlite_utils.Database,
    senders: Senders,
    now: datetime,
    sms_rate: float | None,
) -> list[Occurrence]:
    by_id = {schedule.id: schedule for schedule in automation.list_schedules(db)}
    latest: dict[int, str] = {}
    for row in automation.runs(db, state="missed"):
        latest[row["schedule_id"]] = max(
            latest.get(row["schedule_id"], ""), row["due_at"]
        )
    done: list[Occurrence] = []
    for row in automation.runs(db, state="missed"):
        schedule = by_id.get(row["schedule_id"])
        if schedule is None:
            continue
        if row["due_at"] != latest[schedule.id]:
            later = _local(db, latest[schedule.id])
            reason = f"superseded by the later missed run of {later}"
            automation.record_run(
                db, schedule.id, row["due_at"], state="superseded", reason=reason
            )
            done.append(
                _occurrence(db, schedule, row["due_at"], "superseded", reason=reason)
            )
            continue
        if not automation.claim_run(db, row["id"], from_state="missed"):
            continue
        done.append(_send(db, schedule, row["due_at"], senders, now, sms_rate))
    return done


def run_due(
    db: sqlite_utils.Database,
    senders: Senders,
    *,
    now: datetime | None = None,
    include_missed: bool = False,
    sms_rate: float | None = None,
) -> list[Occurrence]:
    """Send every occurrence due now, once; with confirmation, the missed ones too.

    Args:
        senders: the providers.
        now: the current time (aware); tests pass a fixed clock.
        include_missed: also send missed occurrences (the latest per schedule).
        sms_rate: SMS segments per second.

    Returns:
        What became of each occurrence handled, in order.
    """
    now = now or datetime.now(UTC)
    catch_up(db, now)
    zone = _zone(db)
    handled: list[Occurrence] = []
    if include_missed:
        handled += _send_missed(db, senders, now, sms_rate)
    for schedule in automation.list_schedules(db):
        due = schedule.next_due_at
        if not schedule.enabled or due is None or datetime.fromisoformat(due) > now:
            continue
        following = recurrence.next_occurrence(
            recurrence.rule_from_json(schedule.rule), datetime.fromisoformat(due), zone
        )
        automation.set_next_due(
            db, schedule.id, None if following is None else _stamp(following)
        )
        if automation.record_run(db, schedule.id, due, state="sending"):
            handled.append(_send(db, schedule, due, senders, now, sms_rate))
    for occurrence in handled:
        _log(db, occurrence)
    logger.info(
        "schedules run: %d handled (%s missed included)",
        len(handled),
        "with" if include_missed else "none",
    )
    return handled
