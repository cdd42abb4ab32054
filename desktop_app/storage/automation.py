"""Automation records: trigger rules, received events, schedules, caps and activity.

- ``trigger_rules``: one rule per event kind: which template it sends, the event
  fields the template may use, an optional delay, on or off.
- ``trigger_events``: every event received, unique per (source, event id), with what
  became of it (``waiting`` for its delay, ``queuing``, ``queued``, ``sent``,
  ``skipped``, ``paused``) and why.
- ``schedules`` and ``schedule_runs``: scheduled and recurring sends, and each due
  occurrence (``sent``, ``missed``, ``paused``, ``skipped``), unique per occurrence.
- ``automation_activity``: a plain log of what automation did and why anything was
  skipped, for the Activity view and ``rules activity``.

The spending caps live in the settings table under ``sms.daily_cap`` and
``sms.monthly_cap`` (dollars; empty or 0: no cap).
"""

import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from desktop_app.core import events as core_events
from desktop_app.core import templates as core_templates
from desktop_app.errors import StorageError, ValidationError
from desktop_app.storage import templates
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

DAILY_CAP = "sms.daily_cap"
MONTHLY_CAP = "sms.monthly_cap"
_SEEDED = "_automation.seeded_kinds"


@dataclass(frozen=True)
class BuiltinRule:
    """A rule and transactional template pair Duet ships for a built-in kind."""

    kind: str
    template_name: str
    fields: tuple[str, ...]
    sms_body: str
    email_subject: str
    email_body: str


BUILTIN_RULES: tuple[BuiltinRule, ...] = (
    BuiltinRule(
        "purchase",
        "Purchase receipt",
        ("order_number", "total"),
        "Thanks for your order {order_number}, {first_name|there}! Your receipt is "
        "in your inbox.",
        "Your receipt for order {order_number}",
        "Hello {first_name|there},\n\nThanks for your order {order_number} at "
        "{shop_name}.\n\nTotal: {total}\n\nPlease keep this email as your receipt.",
    ),
    BuiltinRule(
        "ticket_opened",
        "Support ticket opened",
        ("ticket_id", "subject"),
        "Hi {first_name|there}, we got your request {ticket_id} and will answer by "
        "email.",
        "We received your request {ticket_id}",
        "Hello {first_name|there},\n\nThanks for contacting {shop_name}. Your request "
        "{ticket_id} ({subject|no subject}) is open and we will answer by email.",
    ),
    BuiltinRule(
        "ticket_resolved",
        "Support ticket resolved",
        ("ticket_id", "resolution"),
        "Hi {first_name|there}, your request {ticket_id} is resolved. Details are in "
        "your inbox.",
        "Your request {ticket_id} is resolved",
        "Hello {first_name|there},\n\nYour request {ticket_id} is resolved.\n\n"
        "{resolution|Reply to this email if anything is still wrong.}",
    ),
    BuiltinRule(
        "appointment_reminder",
        "Appointment reminder",
        ("appointment_time", "location"),
        "Reminder: your appointment at {shop_name} is on {appointment_time}. Details "
        "are in your inbox.",
        "Your appointment on {appointment_time}",
        "Hello {first_name|there},\n\nThis is a reminder of your appointment at "
        "{shop_name} on {appointment_time}.\n\nWhere: {location|at the shop}",
    ),
)


@dataclass(frozen=True)
class TriggerRule:
    """One stored trigger rule.

    Attributes:
        kind: the event kind it answers.
        template_name: the paired template it sends.
        fields: the event fields the template may use as merge fields.
        delay_minutes: how long after the event to send (0: at once).
        enabled: off rules record their events as skipped.
        builtin: shipped with Duet (the owner may still edit it).
    """

    id: int
    kind: str
    template_name: str
    fields: tuple[str, ...]
    delay_minutes: int
    enabled: bool
    builtin: bool

    def to_json(self) -> dict[str, Any]:
        """Return the rule as the JSON the command line prints."""
        return {
            "kind": self.kind,
            "template": self.template_name,
            "fields": list(self.fields),
            "delay_minutes": self.delay_minutes,
            "enabled": self.enabled,
            "builtin": self.builtin,
        }


@dataclass(frozen=True)
class StoredEvent:
    """One received event and what became of it."""

    id: int
    source: str
    event_id: str
    kind: str
    contact_id: int | None
    payload: dict[str, Any]
    state: str
    reason: str | None
    campaign_id: int | None
    received_at: str
    due_at: str
    handled_at: str | None


@dataclass(frozen=True)
class ActivityRow:
    """One line of the automation activity log.

    Attributes:
        at: when (UTC ISO text).
        kind: ``event``, ``schedule``, ``file`` or ``cap``.
        source: where it came from (``cli``, ``folder``, ``http``, a schedule...).
        ref: the event id, schedule name or file name.
        outcome: ``sent``, ``queued``, ``waiting``, ``skipped``, ``duplicate``,
            ``paused``, ``missed``, ``failed``, ``done``.
        detail: what happened or why it was skipped, in plain words.
    """

    id: int
    at: str
    kind: str
    source: str
    ref: str
    outcome: str
    detail: str
    contact_id: int | None
    campaign_id: int | None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the row as JSON."""
        return {
            "id": self.id,
            "at": self.at,
            "kind": self.kind,
            "source": self.source,
            "ref": self.ref,
            "outcome": self.outcome,
            "detail": self.detail,
            "contact_id": self.contact_id,
            "campaign_id": self.campaign_id,
            "data": self.data,
        }


# --- trigger rules -------------------------------------------------------------


def _rule(row: dict[str, Any]) -> TriggerRule:
    return TriggerRule(
        id=int(row["id"]),
        kind=row["kind"],
        template_name=row["template_name"],
        fields=tuple(json.loads(row["fields"] or "[]")),
        delay_minutes=int(row["delay_minutes"]),
        enabled=bool(row["enabled"]),
        builtin=bool(row["builtin"]),
    )


def ensure_builtin_rules(db: sqlite_utils.Database) -> list[str]:
    """Create the shipped rule and transactional template for each built-in kind.

    Each kind is seeded once: a rule the owner removed stays removed, and a
    template the owner already has under the shipped name is kept as it is.

    Returns:
        The kinds seeded by this call.
    """
    seeded = set(json.loads(_get(db, _SEEDED) or "[]"))
    created: list[str] = []
    for builtin in BUILTIN_RULES:
        if builtin.kind in seeded:
            continue
        try:
            templates.get_template(db, builtin.template_name)
        except ValidationError:
            templates.save_template(
                db,
                name=builtin.template_name,
                sms_body=builtin.sms_body,
                email_subject=builtin.email_subject,
                email_body=builtin.email_body,
                transactional=True,
                extra_fields=builtin.fields,
            )
        now = utc_now()
        with db.conn:
            db.conn.execute(
                "INSERT OR IGNORE INTO trigger_rules (kind, template_name, fields,"
                " builtin, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
                [builtin.kind, builtin.template_name, json.dumps(builtin.fields),
                 now, now],
            )  # fmt: skip
        seeded.add(builtin.kind)
        created.append(builtin.kind)
    if created:
        _put(db, _SEEDED, json.dumps(sorted(seeded)))
        logger.debug("seeded trigger rules: %s", ", ".join(created))
    return created


def list_rules(db: sqlite_utils.Database) -> list[TriggerRule]:
    """Return every trigger rule, by kind."""
    return [_rule(row) for row in db.query("SELECT * FROM trigger_rules ORDER BY kind")]


def get_rule(db: sqlite_utils.Database, kind: str) -> TriggerRule | None:
    """Return the rule for ``kind``, or None when there is none."""
    rows = list(db.query("SELECT * FROM trigger_rules WHERE kind = ?", [kind]))
    return _rule(rows[0]) if rows else None


def save_rule(
    db: sqlite_utils.Database,
    *,
    kind: str,
    template_name: str,
    fields: tuple[str, ...] | list[str] = (),
    delay_minutes: int = 0,
    enabled: bool = True,
) -> TriggerRule:
    """Add or change the rule for an event kind.

    Args:
        kind: the event kind (built-in or the owner's own).
        template_name: the template to send.
        fields: the event fields the template may use.
        delay_minutes: minutes to wait after the event (0 to 10080, one week).
        enabled: whether the rule sends.

    Returns:
        The stored rule.

    Raises:
        ValidationError: a bad kind, field name or delay; the message names it.
    """
    kind = core_events.check_kind(kind)
    names = tuple(dict.fromkeys(core_events.check_field_name(f) for f in fields))
    if not template_name.strip():
        raise ValidationError("Template: name the template the rule sends.")
    if not 0 <= delay_minutes <= 7 * 24 * 60:
        raise ValidationError("Delay: between 0 and 10080 minutes (one week).")
    clash = set(names) & set(core_templates.KNOWN_FIELDS)
    if clash:
        raise ValidationError(
            f"Fields: {', '.join(sorted(clash))} already come from the contact."
        )
    now = utc_now()
    with db.conn:
        db.conn.execute(
            "INSERT INTO trigger_rules (kind, template_name, fields, delay_minutes,"
            " enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(kind) DO UPDATE SET template_name = excluded.template_name,"
            " fields = excluded.fields, delay_minutes = excluded.delay_minutes,"
            " enabled = excluded.enabled, updated_at = excluded.updated_at",
            [kind, template_name.strip(), json.dumps(names), delay_minutes,
             int(enabled), now, now],
        )  # fmt: skip
    rule = get_rule(db, kind)
    assert rule is not None
    return rule


def remove_rule(db: sqlite_utils.Database, kind: str) -> None:
    """Delete the rule for ``kind``; its events stay in the log.

    Raises:
        ValidationError: there is no rule for that kind.
    """
    with db.conn:
        cursor = db.conn.execute("DELETE FROM trigger_rules WHERE kind = ?", [kind])
    if not cursor.rowcount:
        raise ValidationError(f"There is no trigger rule for '{kind}'.")


# --- received events -----------------------------------------------------------


def _event(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        id=int(row["id"]),
        source=row["source"],
        event_id=row["event_id"],
        kind=row["kind"],
        contact_id=row["contact_id"],
        payload=json.loads(row["payload"] or "{}"),
        state=row["state"],
        reason=row["reason"],
        campaign_id=row["campaign_id"],
        received_at=row["received_at"],
        due_at=row["due_at"],
        handled_at=row["handled_at"],
    )


def record_event(
    db: sqlite_utils.Database,
    *,
    source: str,
    event_id: str,
    kind: str,
    payload: dict[str, Any],
    due_at: str,
) -> int | None:
    """Store a received event unless one with the same source and id exists.

    The check and the insert are one statement, so two processes receiving the
    same event store it once.

    Returns:
        The new row's id, or None for a duplicate.

    Raises:
        StorageError: the database refused the row.
    """
    try:
        with db.conn:
            cursor = db.conn.execute(
                "INSERT OR IGNORE INTO trigger_events (source, event_id, kind,"
                " payload, state, received_at, due_at) VALUES (?, ?, ?, ?,"
                " 'received', ?, ?)",
                [source, event_id, kind, json.dumps(payload, ensure_ascii=False),
                 utc_now(), due_at],
            )  # fmt: skip
    except sqlite3.Error as error:
        raise StorageError(
            "Duet could not record the event.", detail=str(error)
        ) from error
    return int(cursor.lastrowid) if cursor.rowcount else None


def find_event(
    db: sqlite_utils.Database, source: str, event_id: str
) -> StoredEvent | None:
    """Return the stored event with this source and id, if any."""
    rows = list(
        db.query(
            "SELECT * FROM trigger_events WHERE source = ? AND event_id = ?",
            [source, event_id],
        )
    )
    return _event(rows[0]) if rows else None


def get_event(db: sqlite_utils.Database, row_id: int) -> StoredEvent:
    """Return the stored event with row id ``row_id``.

    Raises:
        ValidationError: no such event.
    """
    rows = list(db.query("SELECT * FROM trigger_events WHERE id = ?", [row_id]))
    if not rows:
        raise ValidationError(f"There is no event number {row_id}.")
    return _event(rows[0])


def claim_event(
    db: sqlite_utils.Database, row_id: int, *, from_states: tuple[str, ...]
) -> bool:
    """Move an event to ``queuing`` if it is in one of ``from_states``.

    Returns:
        True when this caller claimed it (no other process will queue it).
    """
    marks = ", ".join("?" for _ in from_states)
    with db.conn:
        cursor = db.conn.execute(
            f"UPDATE trigger_events SET state = 'queuing' WHERE id = ?"
            f" AND state IN ({marks})",
            [row_id, *from_states],
        )
    return cursor.rowcount == 1


def update_event(
    db: sqlite_utils.Database,
    row_id: int,
    *,
    state: str,
    reason: str | None = None,
    contact_id: int | None = None,
    campaign_id: int | None = None,
) -> None:
    """Record what became of an event (contact and campaign kept when None)."""
    with db.conn:
        db.conn.execute(
            "UPDATE trigger_events SET state = ?, reason = ?,"
            " contact_id = coalesce(?, contact_id),"
            " campaign_id = coalesce(?, campaign_id), handled_at = ? WHERE id = ?",
            [state, reason, contact_id, campaign_id, utc_now(), row_id],
        )


def pending_events(db: sqlite_utils.Database, now: str) -> list[StoredEvent]:
    """Return events waiting to be queued whose time has come, oldest first.

    That is events ``waiting`` for their delay, and events left ``received`` (or
    ``queuing``, with no campaign) by a run that stopped half-way.
    """
    rows = db.query(
        "SELECT * FROM trigger_events WHERE due_at <= ? AND ("
        " state IN ('waiting', 'received')"
        " OR (state = 'queuing' AND campaign_id IS NULL)) ORDER BY id",
        [now],
    )
    return [_event(row) for row in rows]


def campaign_for_event(db: sqlite_utils.Database, row_id: int) -> int | None:
    """Return the campaign a run queued for event row ``row_id``, if any."""
    row = db.execute(
        "SELECT id FROM campaigns WHERE json_extract(audience, '$.trigger_event') = ?"
        " ORDER BY id LIMIT 1",
        [row_id],
    ).fetchone()
    return None if row is None else int(row[0])


# --- schedules -----------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """One stored schedule.

    Attributes:
        name: unique, shown in the list.
        template_name: the template it sends.
        audience: ``{"tag": ...}`` or ``{"everyone": true}``.
        rule: the rule's JSON (``core.recurrence``).
        next_due_at: the next occurrence not yet handled (UTC), or None when done.
    """

    id: int
    name: str
    template_name: str
    audience: dict[str, Any]
    rule: dict[str, Any]
    next_due_at: str | None
    enabled: bool
    created_at: str


def _schedule(row: dict[str, Any]) -> Schedule:
    return Schedule(
        id=int(row["id"]),
        name=row["name"],
        template_name=row["template_name"],
        audience=json.loads(row["audience"] or "{}"),
        rule=json.loads(row["rule"]),
        next_due_at=row["next_due_at"],
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
    )


def add_schedule(
    db: sqlite_utils.Database,
    *,
    name: str,
    template_name: str,
    audience: dict[str, Any],
    rule: dict[str, Any],
    next_due_at: str | None,
) -> Schedule:
    """Store a new schedule.

    Raises:
        ValidationError: the name is taken.
    """
    try:
        with db.conn:
            cursor = db.conn.execute(
                "INSERT INTO schedules (name, template_name, audience, rule,"
                " next_due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [name, template_name, json.dumps(audience), json.dumps(rule),
                 next_due_at, utc_now()],
            )  # fmt: skip
    except sqlite3.IntegrityError as error:
        raise ValidationError(f"Schedule name: '{name}' is already used.") from error
    return get_schedule(db, int(cursor.lastrowid or 0))


def get_schedule(db: sqlite_utils.Database, schedule_id: int) -> Schedule:
    """Return one schedule.

    Raises:
        ValidationError: no such schedule.
    """
    rows = list(db.query("SELECT * FROM schedules WHERE id = ?", [schedule_id]))
    if not rows:
        raise ValidationError(f"There is no schedule number {schedule_id}.")
    return _schedule(rows[0])


def list_schedules(db: sqlite_utils.Database) -> list[Schedule]:
    """Return every schedule, oldest first."""
    return [_schedule(row) for row in db.query("SELECT * FROM schedules ORDER BY id")]


def set_next_due(
    db: sqlite_utils.Database, schedule_id: int, next_due_at: str | None
) -> None:
    """Move a schedule on to its next occurrence (None: nothing left)."""
    with db.conn:
        db.conn.execute(
            "UPDATE schedules SET next_due_at = ? WHERE id = ?",
            [next_due_at, schedule_id],
        )


def remove_schedule(db: sqlite_utils.Database, schedule_id: int) -> None:
    """Delete a schedule and its run records (campaigns it sent stay in History).

    Raises:
        ValidationError: no such schedule.
    """
    with db.conn:
        cursor = db.conn.execute("DELETE FROM schedules WHERE id = ?", [schedule_id])
    if not cursor.rowcount:
        raise ValidationError(f"There is no schedule number {schedule_id}.")


def record_run(
    db: sqlite_utils.Database,
    schedule_id: int,
    due_at: str,
    *,
    state: str,
    reason: str | None = None,
    campaign_id: int | None = None,
) -> bool:
    """Record an occurrence of a schedule once; later calls update it.

    Returns:
        True when the occurrence was new.
    """
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO schedule_runs (schedule_id, due_at, state, reason,"
            " campaign_id, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (schedule_id, due_at) DO NOTHING",
            [schedule_id, due_at, state, reason, campaign_id, utc_now()],
        )
        if cursor.rowcount:
            return True
        db.conn.execute(
            "UPDATE schedule_runs SET state = ?, reason = ?,"
            " campaign_id = coalesce(?, campaign_id)"
            " WHERE schedule_id = ? AND due_at = ?",
            [state, reason, campaign_id, schedule_id, due_at],
        )
    return False


def claim_run(db: sqlite_utils.Database, run_id: int, *, from_state: str) -> bool:
    """Move a schedule occurrence to ``sending`` if it is in ``from_state``.

    Returns:
        True when this caller claimed it.
    """
    with db.conn:
        cursor = db.conn.execute(
            "UPDATE schedule_runs SET state = 'sending' WHERE id = ? AND state = ?",
            [run_id, from_state],
        )
    return cursor.rowcount == 1


def runs(
    db: sqlite_utils.Database, *, state: str | None = None
) -> list[dict[str, Any]]:
    """Return schedule occurrences (optionally in one state), oldest first."""
    sql = (
        "SELECT r.*, s.name AS schedule FROM schedule_runs r"
        " JOIN schedules s ON s.id = r.schedule_id"
    )
    params: list[Any] = []
    if state is not None:
        sql += " WHERE r.state = ?"
        params.append(state)
    return list(db.query(sql + " ORDER BY r.due_at, r.id", params))


# --- spending caps ---------------------------------------------------------------


def _get(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def _put(db: sqlite_utils.Database, key: str, value: str | None) -> None:
    with db.conn:
        if value is None:
            db.conn.execute("DELETE FROM settings WHERE key = ?", [key])
        else:
            db.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )


def _cap_value(text: str | None) -> float | None:
    try:
        value = float(text) if text else 0.0
    except ValueError:
        return None
    return value if value > 0 else None


def spending_caps(db: sqlite_utils.Database) -> tuple[float | None, float | None]:
    """Return the daily and monthly SMS cost caps in dollars (None: no cap)."""
    return _cap_value(_get(db, DAILY_CAP)), _cap_value(_get(db, MONTHLY_CAP))


def set_spending_caps(
    db: sqlite_utils.Database,
    *,
    daily: float | None = None,
    monthly: float | None = None,
) -> tuple[float | None, float | None]:
    """Set the caps given (0 removes one); the other is left as it is.

    Raises:
        ValidationError: a negative or absurd amount.
    """
    for key, value in ((DAILY_CAP, daily), (MONTHLY_CAP, monthly)):
        if value is None:
            continue
        if not 0 <= value <= 1_000_000:
            raise ValidationError(f"{key}: a cap is dollars from 0 (no cap) upwards.")
        _put(db, key, None if value == 0 else f"{value:g}")
    return spending_caps(db)


def sms_spent_since(db: sqlite_utils.Database, since: str) -> float:
    """Return the estimated cost of SMS sent (or in flight) since ``since`` (UTC)."""
    row = db.execute(
        "SELECT coalesce(sum(cost), 0) FROM messages WHERE channel = 'sms'"
        " AND state IN ('sending', 'sent', 'delivered', 'unknown')"
        " AND coalesce(sent_at, sending_at, queued_at) >= ?",
        [since],
    ).fetchone()
    return round(float(row[0]), 4)


# --- activity --------------------------------------------------------------------


def log_activity(
    db: sqlite_utils.Database,
    *,
    kind: str,
    outcome: str,
    detail: str = "",
    source: str = "",
    ref: str = "",
    contact_id: int | None = None,
    campaign_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Append one line to the activity log and return its id."""
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO automation_activity (at, kind, source, ref, outcome, detail,"
            " contact_id, campaign_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [utc_now(), kind, source, ref, outcome, detail, contact_id, campaign_id,
             json.dumps(data or {}, ensure_ascii=False)],
        )  # fmt: skip
    return int(cursor.lastrowid or 0)


def recent_activity(db: sqlite_utils.Database, limit: int = 100) -> list[ActivityRow]:
    """Return the newest activity lines first.

    Args:
        limit: at most this many lines.
    """
    rows = db.query(
        "SELECT * FROM automation_activity ORDER BY id DESC LIMIT ?", [limit]
    )
    return [
        ActivityRow(
            id=int(row["id"]),
            at=row["at"],
            kind=row["kind"],
            source=row["source"],
            ref=row["ref"],
            outcome=row["outcome"],
            detail=row["detail"],
            contact_id=row["contact_id"],
            campaign_id=row["campaign_id"],
            data=json.loads(row["data"] or "{}"),
        )
        for row in rows
    ]
