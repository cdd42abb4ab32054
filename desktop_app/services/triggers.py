"""Trigger events: when a purchase or a ticket arrives, send its paired template.

One function, :func:`handle_event`, serves the command line, the watched folder and
the local HTTP endpoint:

1. the built-in rules and their transactional templates exist (created on first use);
2. the event is recorded once per (source, event id); a duplicate stops here;
3. the customer is matched or created with the import's rules (email
   case-insensitive; phone plus full name) and consent is recorded only when the
   event says so (an event never undoes an opt-out, as an import never does);
4. the rule for the event's kind names the template; with a delay the event waits
   (:func:`send_pending` queues it when its time comes);
5. the pair is planned with the event's fields as merge fields (consent, quiet
   hours and opt-out wording apply as for any send; a transactional template is
   recorded as such), queued as a campaign of its own, checked against the SMS
   spending caps (over a cap it pauses with the messages queued), then sent.

Every step that skips something says why in the activity log
(``storage.automation.recent_activity``).
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from desktop_app.core import emails as email_rules
from desktop_app.core import planning
from desktop_app.core import templates as core_templates
from desktop_app.core.contact_import import merging
from desktop_app.core.contact_import.records import RawRecord, SourceValue
from desktop_app.core.events import Event
from desktop_app.errors import ValidationError
from desktop_app.providers.base import Senders
from desktop_app.services import compliance, quiet_rules, sending
from desktop_app.storage import automation, consent, messages, settings, templates
from desktop_app.storage import contacts as contact_store
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

SENT = "sent"
HELD = "held"
QUEUED = "queued"
WAITING = "waiting"
DUPLICATE = "duplicate"
SKIPPED = "skipped"
PAUSED = "paused"
REJECTED = "rejected"

_CAMPAIGN_NAME_CHARS = 60


@dataclass
class TriggerResult:
    """What became of one event.

    Attributes:
        kind: the event kind.
        event_id: the event's id.
        source: who sent it.
        status: ``sent``, ``held`` (queued, waiting for quiet hours or the shop's
            address), ``queued`` (to be sent by the caller's loop), ``waiting``
            (the rule's delay), ``duplicate``, ``skipped``, ``paused`` (a spending
            cap or the provider stopped it; messages stay queued).
        detail: what happened or why not, in plain words.
        contact_id: the matched or created contact.
        contact_created: the event created the contact.
        campaign_id: the campaign that carries its messages.
        sent: messages sent by this call.
        skipped: per channel, why a message was skipped.
        due_at: when a waiting event will be sent (UTC).
    """

    kind: str
    event_id: str
    source: str
    status: str
    detail: str = ""
    contact_id: int | None = None
    contact_created: bool = False
    campaign_id: int | None = None
    sent: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    due_at: str | None = None

    @property
    def stopped(self) -> bool:
        """Return True when the owner must act (a cap or the provider paused it)."""
        return self.status == PAUSED

    def to_json(self) -> dict[str, Any]:
        """Return the result as the JSON the command line prints."""
        return {
            "kind": self.kind,
            "event_id": self.event_id,
            "source": self.source,
            "status": self.status,
            "detail": self.detail,
            "contact_id": self.contact_id,
            "contact_created": self.contact_created,
            "campaign_id": self.campaign_id,
            "sent": self.sent,
            "skipped": self.skipped,
            "due_at": self.due_at,
        }

    def summary_text(self) -> str:
        """Return the result in one or two plain lines."""
        text = f"Event {self.kind} {self.event_id}: {self.status}"
        return f"{text}. {self.detail}" if self.detail else f"{text}."


# --- contacts from events ------------------------------------------------------


def _candidates(
    db: sqlite_utils.Database, record: merging.CheckedRecord
) -> list[merging.ExistingContact]:
    """Return the stored contacts that could be the event's customer."""
    clauses: list[str] = []
    params: list[Any] = []
    for address in record.emails:
        clauses.append("email_key = ? OR instr(lower(emails), ?) > 0")
        params += [email_rules.email_key(address), address.lower()]
    for entry in record.phones:
        key = entry.result.match_key()
        if key:
            clauses.append("instr(phones, ?) > 0")
            params.append(key)
    if not clauses:
        return []
    cursor = db.execute(
        "SELECT id, first_name, last_name, full_name, email_key, emails, phones"
        f" FROM contacts WHERE {' OR '.join(clauses)}",
        params,
    )
    found = []
    for contact_id, first, last, full, key, emails, phones in cursor:
        name = full or " ".join(part for part in (first, last) if part)
        keys = [email_rules.email_key(a) for a in json.loads(emails or "[]")]
        if key and key not in keys:
            keys.insert(0, key)
        numbers = [
            (
                entry.get("e164"),
                "".join(c for c in entry.get("raw") or "" if c.isdigit()),
            )
            for entry in json.loads(phones or "[]")
        ]
        found.append(
            merging.ExistingContact(contact_id, merging.name_key(name), keys, numbers)
        )
    return found


def _record_for(event: Event, region: str) -> merging.CheckedRecord:
    raw = RawRecord(
        row=1,
        first_name=event.first_name,
        last_name=event.last_name,
        full_name=event.full_name,
        phones=[SourceValue(event.phone, "mobile", "phone")] if event.phone else [],
        emails=[SourceValue(event.email, "", "email")] if event.email else [],
    )
    checked = merging.check_record(raw, region)
    if isinstance(checked, merging.Rejection):
        raise ValidationError(f"email/phone: {checked.reason}")
    return checked


def _raw_row(db: sqlite_utils.Database, contact_id: int) -> dict[str, Any]:
    names = contact_store.CONTACT_COLUMNS
    row = db.execute(
        f"SELECT {', '.join(names)} FROM contacts WHERE id = ?", [contact_id]
    ).fetchone()
    return dict(zip(names, row, strict=True))


def _filled(before: dict[str, Any], values: dict[str, Any], now: str) -> dict[str, Any]:
    """Return ``before`` with the event's blanks filled and new channels added."""
    row = dict(before)
    for name in ("first_name", "last_name", "full_name"):
        if values[name] and not row[name]:
            row[name] = values[name]
    emails = json.loads(row["emails"] or "[]")
    keys = {email_rules.email_key(a) for a in emails}
    emails += [a for a in values["emails"] if email_rules.email_key(a) not in keys]
    phones = json.loads(row["phones"] or "[]")
    numbers = {p.get("e164") for p in phones}
    phones += [p for p in values["phones"] if p.get("e164") not in numbers]
    email = row["email"] or (emails[0] if emails else None)
    phone, kind = (
        (row["phone"], row["phone_kind"])
        if row["phone"]
        else merging.primary_phone(phones)
    )
    row.update(
        emails=json.dumps(emails, ensure_ascii=False),
        phones=json.dumps(phones, ensure_ascii=False),
        email=email,
        email_key=email_rules.email_key(email) if email else None,
        phone=phone,
        phone_kind=kind,
    )
    if row != before:
        row["updated_at"] = now
    return row


def match_contact(db: sqlite_utils.Database, event: Event) -> tuple[int, bool]:
    """Find the event's customer among the contacts, or add them.

    The same rules as an import: the same email (any case), or the same phone and
    the same full name. A match gets the event's blanks filled (a name it lacked, a
    new address or number); nothing it has is overwritten.

    Returns:
        The contact id, and True when the contact was created.

    Raises:
        ValidationError: the event's email and phone are both unusable.
    """
    region = settings.get_setting(db, "phones.default_region")
    record = _record_for(event, region)
    grouper = merging.Grouper(_candidates(db, record))
    grouper.add(record)
    [(db_id, records)] = grouper.groups()
    values = merging.fold_records(records)
    now = utc_now()

    with db.conn:
        if db_id is not None:
            before = _raw_row(db, db_id)
            row = _filled(before, values, now)
            if row != before:
                contact_store.replace_contact_rows(db, [row])
            return db_id, False
        contact_id = contact_store.next_contact_id(db)
        phone, kind = merging.primary_phone(values["phones"])
        email = values["emails"][0] if values["emails"] else None
        contact_store.insert_contact_rows(
            db,
            [
                {
                    "id": contact_id,
                    "first_name": values["first_name"],
                    "last_name": values["last_name"],
                    "full_name": values["full_name"],
                    "company": "",
                    "phone": phone,
                    "phone_kind": kind,
                    "phones": json.dumps(values["phones"], ensure_ascii=False),
                    "email": email,
                    "email_key": email_rules.email_key(email) if email else None,
                    "emails": json.dumps(values["emails"], ensure_ascii=False),
                    "tags": "[]",
                    "country": "",
                    "timezone": "",
                    "custom": "{}",
                    "warnings": json.dumps(values["warnings"], ensure_ascii=False),
                    "source_import": None,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
    return contact_id, True


def record_event_consent(
    db: sqlite_utils.Database, contact_id: int, event: Event
) -> list[str]:
    """Record the consent an event states (and only that).

    ``true`` records an opt-in, ``false`` an opt-out, with the event as evidence.
    An opt-in never undoes an earlier opt-out.

    Returns:
        Notes for the activity log (e.g. an opt-in that was ignored).
    """
    notes: list[str] = []
    for channel, said in (("sms", event.sms_consent), ("email", event.email_consent)):
        if said is None:
            continue
        status = "opted_in" if said else "opted_out"
        current = consent.current_consent(db, contact_id, channel)
        if current == status:
            continue
        if current == "opted_out":
            notes.append(
                f"{channel} consent in the event ignored: the customer opted out "
                "earlier, and an event never undoes an opt-out."
            )
            continue
        consent.record_consent(
            db,
            contact_id,
            channel,
            status,
            source="event",
            evidence=(
                f"{event.source} event {event.event_id} ({event.kind}): "
                f"{channel}_consent={'true' if said else 'false'}"
            ),
        )
    return notes


# --- spending caps ---------------------------------------------------------------


def cap_problem(
    db: sqlite_utils.Database, new_cost: float, now: datetime | None = None
) -> str | None:
    """Say why sending SMS costing ``new_cost`` would pass a spending cap.

    The day and month are the shop's (``shop.timezone``); spent means the
    estimated cost of SMS sent or being sent since their start.

    Args:
        new_cost: the estimated cost of the SMS about to go.
        now: the current time (aware); defaults to now.

    Returns:
        The reason in plain words, or None when no cap is passed.
    """
    daily, monthly = automation.spending_caps(db)
    if new_cost <= 0 or (daily is None and monthly is None):
        return None
    zone = ZoneInfo(settings.get_setting(db, "shop.timezone") or "UTC")
    local = (now or datetime.now(UTC)).astimezone(zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for cap, start, label in (
        (daily, day, "today's"),
        (monthly, day.replace(day=1), "this month's"),
    ):
        if cap is None:
            continue
        since = start.astimezone(UTC).isoformat(timespec="seconds")
        total = automation.sms_spent_since(db, since) + new_cost
        if total > cap + 1e-9:
            which = "daily" if label == "today's" else "monthly"
            return (
                f"Paused: these SMS (about ${new_cost:.2f}) would bring {label} SMS "
                f"cost to ${total:.2f}, over the {which} cap of ${cap:.2f}. The "
                "messages stay queued: raise the cap, or run 'python main.py resume' "
                "to send them anyway."
            )
    return None


def plan_sms_cost(plan: planning.SendPlan) -> float:
    """Return the estimated cost of a plan's SMS that will go out."""
    return round(
        sum(m.cost for m in plan.messages if m.channel == "sms" and m.is_queued), 6
    )


# --- handling events -------------------------------------------------------------


def _result(event: Event, status: str, detail: str = "", **extra: Any) -> TriggerResult:
    return TriggerResult(
        kind=event.kind,
        event_id=event.event_id,
        source=event.source,
        status=status,
        detail=detail,
        **extra,
    )


def _log(
    db: sqlite_utils.Database, result: TriggerResult, data: dict[str, Any] | None = None
) -> None:
    automation.log_activity(
        db,
        kind="event",
        source=result.source,
        ref=f"{result.kind} {result.event_id}",
        outcome=result.status,
        detail=result.detail,
        contact_id=result.contact_id,
        campaign_id=result.campaign_id,
        data={**(data or {}), "skipped": result.skipped} if result.skipped else data,
    )


def _campaign_name(db: sqlite_utils.Database, stored: automation.StoredEvent) -> str:
    base = f"{stored.kind} {stored.event_id}"[:_CAMPAIGN_NAME_CHARS]
    name, number = base, 2
    while messages.campaign_name_taken(db, name):
        name = f"{base} ({number})"
        number += 1
    return name


def _last_sms_at(db: sqlite_utils.Database, contact_id: int) -> dict[int, datetime]:
    row = db.execute(
        "SELECT max(sent_at) FROM messages WHERE contact_id = ? AND channel = 'sms'"
        " AND state IN ('sent', 'delivered')",
        [contact_id],
    ).fetchone()
    if not row or not row[0]:
        return {}
    return {contact_id: datetime.fromisoformat(row[0])}


def _plan(
    db: sqlite_utils.Database,
    stored: automation.StoredEvent,
    template: templates.Template,
    senders: Senders,
    now: datetime,
    declared: tuple[str, ...],
) -> planning.SendPlan:
    assert stored.contact_id is not None
    contact = contact_store.get_contact(db, stored.contact_id)
    consents = {
        channel: consent.consent_map(db, [contact.id], channel)
        for channel in ("sms", "email")
    }
    # A field the rule declares but the event lacks renders empty (or its fallback)
    # rather than counting as an unknown merge field.
    fields = dict.fromkeys(declared, "")
    fields.update({str(k): str(v) for k, v in stored.payload.get("fields", {}).items()})
    return planning.build_plan(
        [contact],
        consents,
        template,
        settings.get_settings(db),
        template_name=template.name,
        template_id=template.id,
        audience={
            "trigger_event": stored.id,
            "event": stored.kind,
            "event_id": stored.event_id,
            "source": stored.source,
        },
        transactional=template.transactional,
        test_mode=senders.sms.name == "outbox",
        now=now,
        last_sms_at=_last_sms_at(db, contact.id),
        extra_values={contact.id: fields},
        bounced=messages.bounced_addresses(db),
        quiet_rules=quiet_rules.current_rules(db),
        awaiting_review=compliance.awaiting_review(db),
    )


def _missing_fields(
    template: templates.Template,
    declared: tuple[str, ...],
    payload: dict[str, Any],
) -> str | None:
    """Say which event fields the template needs (no fallback) but the event lacks.

    A receipt without its order number or total would read as a broken message, so
    such an event is skipped with the reason rather than sent.
    """
    given = {str(k) for k, v in payload.get("fields", {}).items() if str(v).strip()}
    needed = [
        name
        for text in (template.sms_body, template.email_subject, template.email_body)
        for name, fallback in core_templates.compile_template(text).fields
        if name in declared and not fallback and name not in given
    ]
    if not needed:
        return None
    names = ", ".join(dict.fromkeys(needed))
    return f"the event has no value for {names}, which the template needs"


def _queue(
    db: sqlite_utils.Database,
    stored: automation.StoredEvent,
    senders: Senders,
    now: datetime,
    result: TriggerResult,
) -> planning.SendPlan | None:
    """Plan and queue the event's pair; None (with ``result`` set) when it cannot."""
    rule = automation.get_rule(db, stored.kind)
    problem = None
    if rule is None:
        problem = (
            f"no trigger rule for '{stored.kind}'; add one with "
            f"'python main.py rules set {stored.kind} --template NAME'"
        )
    elif not rule.enabled:
        problem = f"the rule for '{stored.kind}' is switched off"
    elif stored.contact_id is None:
        problem = "the event's contact was deleted"
    if problem is None and rule is not None:
        try:
            template = templates.get_template(db, rule.template_name)
        except ValidationError as error:
            problem = f"rule for '{stored.kind}': {error.message}"
    if problem is None and rule is not None:
        problem = _missing_fields(template, rule.fields, stored.payload)
    if problem is not None:
        automation.update_event(db, stored.id, state=SKIPPED, reason=problem)
        result.status, result.detail = SKIPPED, problem
        return None

    assert rule is not None
    plan = _plan(db, stored, template, senders, now, rule.fields)
    campaign_id = sending.queue_plan(
        db,
        plan,
        name=_campaign_name(db, stored),
        provider_sms=senders.sms.name,
        provider_email=senders.email.name,
    )
    automation.update_event(db, stored.id, state=QUEUED, campaign_id=campaign_id)
    result.campaign_id = campaign_id
    result.skipped = {
        m.channel: m.reason or "" for m in plan.messages if m.action == planning.SKIP
    }
    result.status = QUEUED
    return plan


def _send(
    db: sqlite_utils.Database,
    row_id: int,
    senders: Senders,
    result: TriggerResult,
    sms_rate: float | None,
) -> None:
    """Run the event's campaign and record the outcome in ``result``."""
    assert result.campaign_id is not None
    summary = sending.run_campaign(db, result.campaign_id, senders, sms_rate=sms_rate)
    result.sent = summary.sent_now
    skipped = "; ".join(f"{ch} skipped: {why}" for ch, why in result.skipped.items())
    if summary.stopped:
        result.status, result.detail = PAUSED, summary.stopped
    elif summary.held or summary.queued:
        result.status = HELD
        result.detail = f"{summary.sent_now} sent, {summary.held} held" + (
            f"; {skipped}" if skipped else ""
        )
    elif summary.sent_now:
        result.status = SENT
        result.detail = f"{summary.sent_now} sent" + (f"; {skipped}" if skipped else "")
    else:
        result.status = SKIPPED
        result.detail = skipped or "nothing was sent"
    automation.update_event(db, row_id, state=result.status, reason=result.detail)


def _queue_and_send(
    db: sqlite_utils.Database,
    stored: automation.StoredEvent,
    senders: Senders,
    result: TriggerResult,
    *,
    now: datetime,
    send: bool,
    sms_rate: float | None,
) -> None:
    plan = _queue(db, stored, senders, now, result)
    if plan is None or result.campaign_id is None:
        return
    problem = cap_problem(db, plan_sms_cost(plan), now)
    if problem is not None:
        messages.set_campaign_state(db, result.campaign_id, "paused")
        automation.update_event(db, stored.id, state=PAUSED, reason=problem)
        result.status, result.detail = PAUSED, problem
        automation.log_activity(
            db,
            kind="cap",
            source=stored.source,
            ref=f"{stored.kind} {stored.event_id}",
            outcome=PAUSED,
            detail=problem,
            campaign_id=result.campaign_id,
        )
        return
    if send:
        _send(db, stored.id, senders, result, sms_rate)


def handle_event(
    db: sqlite_utils.Database,
    event: Event,
    senders: Senders,
    *,
    now: datetime | None = None,
    send: bool = True,
    sms_rate: float | None = None,
) -> TriggerResult:
    """Record an event and send (or queue) the pair its rule names.

    Args:
        db: a connection owned by the calling thread.
        event: the checked event.
        senders: the providers; their names are recorded with the campaign.
        now: the current time (aware); tests pass a fixed clock.
        send: False queues the messages without sending them; the caller sends
            them later with :func:`send_pending` (the HTTP endpoint answers first).
        sms_rate: SMS segments per second (see ``sending.resolve_sms_rate``).

    Returns:
        What became of the event (see :class:`TriggerResult`).

    Raises:
        ValidationError: the event's email and phone are both unusable.
        StorageError: the database refused a write.
    """
    now = now or datetime.now(UTC)
    automation.ensure_builtin_rules(db)
    rule = automation.get_rule(db, event.kind)
    delay = rule.delay_minutes if rule is not None and rule.enabled else 0
    due = (now + timedelta(minutes=delay)).astimezone(UTC)

    _record_for(event, settings.get_setting(db, "phones.default_region"))
    row_id = automation.record_event(
        db,
        source=event.source,
        event_id=event.event_id,
        kind=event.kind,
        payload=event.to_json(),
        due_at=due.isoformat(timespec="seconds"),
    )
    if row_id is None:
        first = automation.find_event(db, event.source, event.event_id)
        result = _result(
            event,
            DUPLICATE,
            f"already received at {first.received_at if first else '?'}; not sent "
            "again",
            contact_id=first.contact_id if first else None,
            campaign_id=first.campaign_id if first else None,
        )
        _log(db, result)
        logger.info("event %s %s: duplicate", event.source, event.kind)
        return result

    contact_id, created = match_contact(db, event)
    notes = record_event_consent(db, contact_id, event)
    automation.update_event(db, row_id, state="received", contact_id=contact_id)
    result = _result(event, QUEUED, contact_id=contact_id, contact_created=created)
    if delay:
        automation.update_event(db, row_id, state=WAITING)
        result.status, result.due_at = WAITING, due.isoformat(timespec="seconds")
        result.detail = (
            f"sends after the rule's {delay}-minute delay, from the window, "
            "'watch', 'serve-events' or 'schedule run-due'"
        )
    elif automation.claim_event(db, row_id, from_states=("received",)):
        stored = automation.get_event(db, row_id)
        _queue_and_send(
            db, stored, senders, result, now=now, send=send, sms_rate=sms_rate
        )
    if notes:
        result.detail = "; ".join([result.detail, *notes]).strip("; ")
    _log(db, result, {"contact_created": created})
    logger.info(
        "event %s %s handled: %s (%d sent)",
        event.source,
        event.kind,
        result.status,
        result.sent,
    )
    return result


def _result_for(stored: automation.StoredEvent, status: str) -> TriggerResult:
    return TriggerResult(
        kind=stored.kind,
        event_id=stored.event_id,
        source=stored.source,
        status=status,
        contact_id=stored.contact_id,
        campaign_id=stored.campaign_id,
    )


def _ready(db: sqlite_utils.Database, stored: automation.StoredEvent, now: str) -> bool:
    """Return True when a queued or held event has messages that may go now."""
    if stored.state == QUEUED:
        return True
    assert stored.campaign_id is not None
    queued = messages.count_by_state(db, stored.campaign_id)["queued"]
    return queued > messages.count_held(db, stored.campaign_id, now)


def send_pending(
    db: sqlite_utils.Database,
    senders: Senders,
    *,
    now: datetime | None = None,
    sms_rate: float | None = None,
) -> list[TriggerResult]:
    """Send what events left for later: delays that ended, and queued campaigns.

    Events whose delay has ended are queued and sent; events queued without
    sending (by the HTTP endpoint) are sent, and so are held messages whose quiet
    hours have ended; an event a crash left half-queued is linked to its campaign,
    or queued now. Paused events (a spending cap) wait for the owner.

    Returns:
        One result per event handled, oldest first.
    """
    now = now or datetime.now(UTC)
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    results: list[TriggerResult] = []
    for stored in automation.pending_events(db, stamp):
        result = _result_for(stored, QUEUED)
        if stored.state == "queuing":
            found = automation.campaign_for_event(db, stored.id)
            if found is not None:
                automation.update_event(db, stored.id, state=QUEUED, campaign_id=found)
                continue
            automation.update_event(db, stored.id, state="received")
        if not automation.claim_event(
            db, stored.id, from_states=("waiting", "received")
        ):
            continue
        _queue_and_send(
            db,
            automation.get_event(db, stored.id),
            senders,
            result,
            now=now,
            send=True,
            sms_rate=sms_rate,
        )
        _log(db, result)
        results.append(result)

    rows = db.execute(
        "SELECT id FROM trigger_events WHERE state IN ('queued', 'held') ORDER BY id"
    ).fetchall()
    for (row_id,) in rows:
        stored = automation.get_event(db, int(row_id))
        if stored.campaign_id is None or not _ready(db, stored, stamp):
            continue
        result = _result_for(stored, QUEUED)
        _send(db, stored.id, senders, result, sms_rate)
        _log(db, result)
        results.append(result)
    if results:
        logger.info("pending events sent: %d", len(results))
    return results


def trigger(
    db: sqlite_utils.Database,
    event: Event,
    *,
    data_dir: Path,
    use_outbox: bool = False,
    senders: Senders | None = None,
    now: datetime | None = None,
) -> TriggerResult:
    """Handle one event with the saved providers (the command line's ``trigger``).

    Args:
        data_dir: Duet's data folder (the test outbox is inside it).
        use_outbox: send into the test outbox even when providers are set up.
        senders: use these providers instead (not closed here).
        now: the current time (aware).

    Returns:
        What became of the event.

    Raises:
        ValidationError: see :func:`handle_event`.
        CredentialsError: the keyring is locked or a saved entry is damaged.
    """
    own = senders is None
    if senders is None:
        from desktop_app.providers.factory import senders_from_credentials

        senders, _mode = senders_from_credentials(data_dir, use_outbox=use_outbox)
    try:
        rate = (
            sending.sms_rate_from_credentials()
            if senders.sms.name == "twilio"
            else None
        )
        return handle_event(db, event, senders, now=now, sms_rate=rate)
    finally:
        if own:
            senders.close()
