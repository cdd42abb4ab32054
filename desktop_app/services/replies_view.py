"""The Replies page's rows: one row per thing a customer sent, with what Duet did.

The sync and the mailbox check record several events for one inbound message: a
``reply`` and its ``opt_out`` (same Twilio SID), a ``reply`` from an unknown number
and the ``opt_in`` that created the contact, a ``review`` and, once the owner
decided, an ``opt_out`` and a ``review_decision`` naming it. This module merges the
events of one message into a :class:`ReplyRow` that says in plain words what
happened ("Opted out (STOP)", "Signed up (JOIN)", "Decided: not an opt-out"...).
It imports no Qt, so it is tested without a window.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from desktop_app.services import history
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts as contact_store

logger = logging.getLogger(__name__)

# Events of the same sender, with the same words, this close in time belong to
# one message when they carry no SID or mail Message-ID.
SAME_MESSAGE_SECONDS = 5
MAX_EVENTS = 3000

ROW_KINDS = (*history.ACTIVITY_KINDS, history.DECISION_KIND)
# Which event names the row when one message left several (the strongest first).
_MAIN_ORDER = ("review", "opt_out", "unsubscribe", "opt_in", "help", "bounce", "reply")

OPTED_OUT = "Opted out"
SIGNED_UP = "Signed up"
OPTED_IN_AGAIN = "Opted in again"
ASKED_FOR_HELP = "Asked for help"
NEEDS_DECISION = "May mean stop — needs your decision"
DECIDED_OPT_OUT = "Decided: opt-out"
DECIDED_NOT = "Decided: not an opt-out"
PLAIN_REPLY = "Reply"
BOUNCED = "Email bounced"
UNSUBSCRIBED = "Unsubscribed by email"
BY_EMAIL = "{label} (by email)"

NO_NAME = "{number} (contact, no name yet)"
UNKNOWN_SENDER = "unknown number {sender}"
UNKNOWN_ADDRESS = "unknown address {sender}"

READING_REPLY = "No STOP, JOIN or HELP words: nothing changed."
READING_UNSUBSCRIBED = "Asked by email to get no more emails: none will be sent."
READING_UNSUBSCRIBED_BOTH = (
    "Asked by email to get no more emails or texts: neither will be sent."
)
READING_SIGNED_UP = "New contact, subscribed to texts by this reply."
READING_DECIDED_OPT_OUT = "You decided it means stop: no more {what}."
READING_DECIDED_NOT = "You decided it is not an opt-out: still subscribed."
READING_KEPT_FOR_SENDER = (
    "No contact had this {what} then: the opt-out is kept for the {what}, and a "
    "contact added with it later starts opted out."
)
READING_NOT_KEPT = (
    "No contact had this {what} then, and no opt-out is in force for it now."
)

# The filter combo's keys and the outcomes each one shows.
FILTER_OUTCOMES: dict[str, tuple[str, ...]] = {
    "reply": ("reply",),
    "opt_out": ("opt_out", "unsubscribe", "decided_opt_out"),
    "opt_in": ("signed_up", "opted_in"),
    "help": ("help",),
    "bounce": ("bounce",),
}


@dataclass(frozen=True)
class ReplyRow:
    """One message a customer sent (or one bounced mail) and what Duet did with it.

    Attributes:
        id: the event that names the row (a flagged reply's ``review`` event, which
            ``history.decide_review`` takes).
        kind: that event's kind (``review``, ``opt_out``, ``reply``...).
        outcome: ``reply``, ``opt_out``, ``signed_up``, ``opted_in``, ``help``,
            ``needs_decision``, ``decided_opt_out``, ``decided_not``, ``bounce``
            or ``unsubscribe``.
        label: the outcome in plain words ("Opted out (STOP)").
        at: when it was received (UTC ISO text).
        contact_id: the customer, when a contact has the number or address.
        contact: the contact's current name ("" when unknown).
        who: what the "Customer" cell says: the name (names, when contacts share
            the number), else the contact's number
            ("no name yet", e.g. a contact a JOIN reply created), else "unknown
            number ..." ("unknown address ..." for a mail).
        sender: the number or address it came from.
        body: the customer's words.
        reading: why Duet read it so, or what the owner decided.
        channel: ``sms`` or ``email``.
        decision: for a ``review``: None until decided, then ``opt_out`` or
            ``not_opt_out``.
        event_ids: every event merged into the row.
        review_ids: the ``review`` events still waiting for a decision (more
            than one when contacts share the number the reply came from; one
            decision settles them all).
    """

    id: int
    kind: str
    outcome: str
    label: str
    at: str
    contact_id: int | None
    contact: str
    who: str
    sender: str
    body: str
    reading: str
    channel: str = "sms"
    decision: str | None = None
    event_ids: tuple[int, ...] = field(default=())
    review_ids: tuple[int, ...] = field(default=())

    @property
    def needs_decision(self) -> bool:
        """True for a flagged reply the owner has not decided yet."""
        return self.kind == "review" and self.decision is None

    def to_json(self) -> dict[str, Any]:
        """Return the row as a dict."""
        return {
            "id": self.id,
            "kind": self.kind,
            "outcome": self.outcome,
            "label": self.label,
            "at": self.at,
            "contact_id": self.contact_id,
            "contact": self.contact,
            "who": self.who,
            "sender": self.sender,
            "body": self.body,
            "reading": self.reading,
            "channel": self.channel,
            "decision": self.decision,
            "event_ids": list(self.event_ids),
            "review_ids": list(self.review_ids),
        }


@dataclass
class _Event:
    id: int
    kind: str
    at: str
    contact_id: int | None
    body: str
    data: dict[str, Any]


def list_reply_rows(
    db: sqlite_utils.Database,
    *,
    show: str | None = None,
    limit: int = 500,
) -> list[ReplyRow]:
    """Return the Replies page's rows, one per inbound message, newest first.

    Args:
        db: the database.
        show: None for every row, ``decide`` for the flagged replies waiting for
            a decision, or a key of :data:`FILTER_OUTCOMES`.
        limit: at most this many rows.

    Returns:
        The rows, newest first.
    """
    events = _read_events(db)
    groups = _group(events)
    kept = consent_store.deleted_opt_outs(db)
    # Who has the numbers and addresses of messages stored without a contact, in
    # one query each: a contact may have been given one since, main or another.
    unmatched = [e for e in events if e.contact_id is None and _sender(e.data)]
    owners = contact_store.contacts_by_phone(
        db, (_sender(e.data) for e in unmatched if e.data.get("channel") != "email")
    )
    owners |= contact_store.contacts_by_email(
        db, (_sender(e.data) for e in unmatched if e.data.get("channel") == "email")
    )
    rows = [_row_of(db, group, kept, owners) for group in groups]
    rows.sort(key=lambda row: (_moment(row.at), max(row.event_ids)), reverse=True)
    if show == "decide":
        rows = [row for row in rows if row.needs_decision]
    elif show:
        wanted = FILTER_OUTCOMES.get(show, (show,))
        rows = [row for row in rows if row.outcome in wanted]
    return rows[:limit]


def _read_events(db: sqlite_utils.Database) -> list[_Event]:
    marks = ", ".join("?" * len(ROW_KINDS))
    found = db.execute(
        "SELECT id, kind, created_at, contact_id, body, data FROM events"
        f" WHERE kind IN ({marks}) ORDER BY id DESC LIMIT ?",
        [*ROW_KINDS, MAX_EVENTS],
    ).fetchall()
    events = []
    for event_id, kind, created_at, contact_id, body, data in reversed(found):
        extra = _data(data)
        events.append(
            _Event(
                int(event_id),
                str(kind),
                str(extra.get("received_at") or created_at),
                None if contact_id is None else int(contact_id),
                str(body or ""),
                extra,
            )
        )
    return events


def _group(events: list[_Event]) -> list[list[_Event]]:
    """Put the events of one inbound message together (oldest event first)."""
    groups: list[list[_Event]] = []
    by_key: dict[tuple[str, str], list[_Event]] = {}
    by_event: dict[int, list[_Event]] = {}
    for event in events:
        group = None
        review_id = event.data.get("review_event_id")
        if isinstance(review_id, int) and review_id in by_event:
            group = by_event[review_id]
        key = _message_key(event)
        if group is None and key is not None:
            group = by_key.get(key)
        if group is None and key is None:
            group = _nearby(groups, event)
        if group is None:
            if event.kind == "review_decision":
                continue  # its review is older than the rows read
            group = []
            groups.append(group)
        group.append(event)
        by_event[event.id] = group
        if key is not None:
            by_key.setdefault(key, group)
    return groups


def _message_key(event: _Event) -> tuple[str, str] | None:
    sid = event.data.get("sid")
    if sid:
        return ("sid", str(sid))
    mail = event.data.get("mail_message_id")
    if mail and event.kind != "bounce":
        return ("mail", str(mail))
    return None


def _nearby(groups: list[list[_Event]], event: _Event) -> list[_Event] | None:
    """The recent group of the same sender and words, a few seconds apart."""
    if event.kind in ("review_decision", "bounce"):
        return None
    moment = _moment(event.at)
    for group in reversed(groups[-20:]):
        first = group[0]
        if first.kind == "bounce" or _message_key(first) is not None:
            continue
        same_sender = first.contact_id == event.contact_id and _sender(
            first.data
        ) == _sender(event.data)
        seconds = abs((_moment(first.at) - moment).total_seconds())
        if (
            same_sender
            and first.body == event.body
            and first.kind != event.kind
            and seconds <= SAME_MESSAGE_SECONDS
        ):
            return group
    return None


def _row_of(
    db: sqlite_utils.Database,
    group: list[_Event],
    kept: dict[str, dict[str, consent_store.DeletedOptOut]],
    owners: dict[str, list[int]],
) -> ReplyRow:
    """Merge one message's events into its row.

    Args:
        group: the message's events, oldest first.
        kept: the opt-outs in force without a contact
            (``consent.deleted_opt_outs``), for opt-outs from unknown senders.
        owners: number -> the contacts having it now, for the senders of
            replies stored without a contact (``contacts.contacts_by_phone``).
    """
    kinds = {event.kind for event in group}
    main_kind = next(kind for kind in _MAIN_ORDER if kind in kinds)
    main = next(event for event in group if event.kind == main_kind)
    # The lowest id of a contact the message reached (a JOIN's new contact when
    # its reply was stored for an unknown number).
    contact_id = min((e.contact_id for e in group if e.contact_id), default=None)
    sender = next((_sender(e.data) for e in group if _sender(e.data)), "")
    channel = "email" if main.data.get("channel") == "email" else "sms"
    from_stranger = contact_id is None
    if contact_id is None and sender:
        contact_id = _contact_with_address(channel, sender, owners)
    decided = {
        e.data.get("review_event_id"): str(e.data.get("decision") or "")
        for e in group
        if e.kind == "review_decision"
    }
    reviews = [e.id for e in group if e.kind == "review"]
    waiting = [review for review in reviews if not decided.get(review)]
    if waiting:
        main = next(e for e in group if e.id == waiting[0])
    decision = None if waiting else (decided.get(main.id) or None)
    matched = next((str(e.data["matched"]) for e in group if e.data.get("matched")), "")
    explanation = next(
        (str(e.data["explanation"]) for e in group if e.data.get("explanation")), ""
    )
    body = next((e.body for e in group if e.kind != "bounce" and e.body), main.body)

    outcome, label, reading = _outcome(group, main, decision, matched, channel)
    if from_stranger and outcome in ("opt_out", "unsubscribe") and sender:
        what = "address" if channel == "email" else "number"
        in_force = consent_store.recipient_key(channel, sender) in kept[channel]
        reading = (READING_KEPT_FOR_SENDER if in_force else READING_NOT_KEPT).format(
            what=what
        )
    if not reading:
        reading = explanation or matched
    if channel == "email" and outcome not in ("bounce", "unsubscribe"):
        label = BY_EMAIL.format(label=label)
    name, phone, known = _contact(db, contact_id)
    others = sorted({e.contact_id for e in group if e.contact_id} - {contact_id})
    names = list(dict.fromkeys(n for n in [name] if n))
    names += [n for n in (_contact(db, other)[0] for other in others) if n]
    if names:
        who = ", ".join(names)
    elif known:
        who = NO_NAME.format(number=phone or sender)
    elif channel == "email":
        who = UNKNOWN_ADDRESS.format(sender=sender)
    else:
        who = UNKNOWN_SENDER.format(sender=sender)
    return ReplyRow(
        id=main.id,
        kind=main.kind,
        outcome=outcome,
        label=label,
        at=group[0].at,
        contact_id=contact_id if known else None,
        contact=name,
        who=who,
        sender=sender or phone,
        body=main.body if main.kind == "bounce" else body,
        reading=reading,
        channel=channel,
        decision=decision if main.kind == "review" else None,
        event_ids=tuple(event.id for event in group),
        review_ids=tuple(waiting),
    )


def _outcome(
    group: list[_Event],
    main: _Event,
    decision: str | None,
    matched: str,
    channel: str,
) -> tuple[str, str, str]:
    """Return (outcome key, plain label, reading when the outcome sets one)."""
    keyword = matched.upper() if matched and " " not in matched.strip() else ""

    def with_keyword(label: str) -> str:
        return f"{label} ({keyword})" if keyword else label

    if main.kind == "review":
        if decision == "opt_out":
            asks = next(
                (e.data["asks_channel"] for e in group
                 if e.data.get("asks_channel") in ("sms", "email")),
                channel,
            )  # fmt: skip
            what = "emails" if asks == "email" else "texts"
            return (
                "decided_opt_out",
                DECIDED_OPT_OUT,
                READING_DECIDED_OPT_OUT.format(what=what),
            )
        if decision == "not_opt_out":
            return "decided_not", DECIDED_NOT, READING_DECIDED_NOT
        return "needs_decision", NEEDS_DECISION, ""
    if main.kind == "opt_out":
        return "opt_out", with_keyword(OPTED_OUT), ""
    if main.kind == "unsubscribe":
        if main.data.get("also_texts"):
            return "unsubscribe", UNSUBSCRIBED, READING_UNSUBSCRIBED_BOTH
        return "unsubscribe", UNSUBSCRIBED, READING_UNSUBSCRIBED
    if main.kind == "opt_in":
        # handle_join_reply records an opt-in without "source"; when it made the
        # contact, the reply itself was stored before, for an unknown number.
        created = any(
            e.kind == "opt_in" and e.data.get("source") != "reply" for e in group
        ) and not any(e.kind == "reply" and e.contact_id for e in group)
        if created:
            return "signed_up", with_keyword(SIGNED_UP), READING_SIGNED_UP
        return "opted_in", with_keyword(OPTED_IN_AGAIN), ""
    if main.kind == "help":
        return "help", ASKED_FOR_HELP, ""
    if main.kind == "bounce":
        return "bounce", BOUNCED, str(main.data.get("status") or main.body)
    if main.data.get("shared_number") and main.data.get("explanation"):
        return "reply", PLAIN_REPLY, str(main.data["explanation"])
    if main.data.get("kind") in (None, "other") or not main.data.get("explanation"):
        return "reply", PLAIN_REPLY, READING_REPLY
    return "reply", PLAIN_REPLY, ""


def _contact_with_address(
    channel: str, sender: str, owners: dict[str, list[int]]
) -> int | None:
    """Return the first contact having ``sender``: any of its phones or emails.

    Args:
        channel: ``sms`` or ``email``.
        sender: the number or address the message came from.
        owners: number or folded address -> the contacts having it
            (``contacts.contacts_by_phone`` and ``contacts_by_email``).
    """
    key = sender.strip().casefold() if channel == "email" else sender.strip()
    found = owners.get(key)
    return found[0] if found else None


def _contact(
    db: sqlite_utils.Database, contact_id: int | None
) -> tuple[str, str, bool]:
    """Return the contact's current name, phone and whether the contact exists."""
    if contact_id is None:
        return "", "", False
    row = db.execute(
        "SELECT coalesce(nullif(full_name, ''), nullif(trim(first_name || ' ' ||"
        " last_name), ''), email, ''), coalesce(phone, '') FROM contacts"
        " WHERE id = ?",
        [contact_id],
    ).fetchone()
    if row is None:
        return "", "", False
    return str(row[0] or ""), str(row[1] or ""), True


def _sender(data: dict[str, Any]) -> str:
    return str(data.get("from") or data.get("address") or "")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _data(data: str | None) -> dict[str, Any]:
    try:
        extra = json.loads(data or "{}")
    except ValueError:
        return {}
    return extra if isinstance(extra, dict) else {}
