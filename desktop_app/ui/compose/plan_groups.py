"""The reviewed plan in groups the owner can open: who is skipped, held or noted.

Pure functions over ``core.planning.SendPlan`` (no Qt): the Compose page shows each
group as a line that opens onto the customers it concerns, and the preview shows
what the plan decided for one customer on each channel.
"""

from dataclasses import dataclass, field

from desktop_app.core.planning import (
    HOLD_ADDRESS,
    HOLD_QUIET_HOURS,
    HOLD_REVIEW,
    SKIP,
    PlannedMessage,
    SendPlan,
)

CHANNEL_LABELS = {"sms": "SMS", "email": "email"}
SKIPPED = "Not sent ({count}): {reason}"
HELD_QUIET = (
    "Held for quiet hours ({count} SMS): each goes out by itself once the "
    "recipient's local time allows it."
)
HELD_ADDRESS = (
    "Emails waiting for the shop's postal address ({count}): every email must "
    "carry it; they go out once it is set in Settings."
)
HELD_REVIEW = (
    "Waiting for your decision ({count}): a reply from these customers may mean "
    "stop; decide on the Replies page and they go out, or not."
)
STOP_ADDED = (
    "“Reply STOP to opt out” added ({count} SMS): these customers had no text from "
    "the shop in the last 30 days."
)
TRANSACTIONAL = (
    "Transactional template ({count}): recorded as transactional, exempt from "
    "quiet hours and marketing consent, never from an opt-out."
)
NOTE = "Note ({count}): {note}"
MESSAGES = "{count} messages"
ONE_MESSAGE = "1 message"

WILL_SEND = "Will be sent."
NOT_SENT = "Not sent: {reason}"
WAITS = "Waits: {reason}"
NOTE_SUFFIX = "Note: {note}"
NOT_IN_PLAN = "Not in the reviewed plan."


@dataclass
class PlanGroup:
    """One line of the review: a title and the planned messages it stands for.

    Attributes:
        kind: ``skip``, ``hold``, ``stop``, ``transactional`` or ``note``.
        title: the line the owner reads.
        members: the messages it concerns, in plan order.
        detail_reason: each member's own reason is worth showing (held messages
            wait until different times).
    """

    kind: str
    title: str
    members: list[PlannedMessage] = field(default_factory=list)
    detail_reason: bool = False


def count_text(count: int) -> str:
    """Return "1 message" or "N messages"."""
    return ONE_MESSAGE if count == 1 else MESSAGES.format(count=f"{count:,}")


def skip_groups(plan: SendPlan) -> list[PlanGroup]:
    """Return one group per skip reason, the most common first."""
    by_reason: dict[str, list[PlannedMessage]] = {}
    for message in plan.messages:
        if message.action == SKIP:
            by_reason.setdefault(message.reason or "", []).append(message)
    ordered = sorted(by_reason.items(), key=lambda pair: -len(pair[1]))
    return [
        PlanGroup("skip", SKIPPED.format(count=f"{len(found):,}", reason=reason), found)
        for reason, found in ordered
    ]


def notice_groups(plan: SendPlan) -> list[PlanGroup]:
    """Return the plan's notices (held, STOP added, transactional, notes) as groups."""
    queued = [message for message in plan.messages if message.is_queued]
    quiet = [m for m in queued if m.is_hold and m.hold_kind == HOLD_QUIET_HOURS]
    address = [m for m in queued if m.is_hold and m.hold_kind == HOLD_ADDRESS]
    review = [m for m in queued if m.is_hold and m.hold_kind == HOLD_REVIEW]
    stop = [m for m in queued if m.stop_added]
    groups: list[PlanGroup] = []
    if quiet:
        groups.append(
            PlanGroup("hold", HELD_QUIET.format(count=f"{len(quiet):,}"), quiet, True)
        )
    if address:
        title = HELD_ADDRESS.format(count=f"{len(address):,}")
        groups.append(PlanGroup("hold", title, address))
    if review:
        title = HELD_REVIEW.format(count=count_text(len(review)))
        groups.append(PlanGroup("hold", title, review))
    if stop:
        groups.append(
            PlanGroup("stop", STOP_ADDED.format(count=f"{len(stop):,}"), stop)
        )
    if plan.transactional and queued:
        title = TRANSACTIONAL.format(count=count_text(len(queued)))
        groups.append(PlanGroup("transactional", title))
    by_note: dict[str, list[PlannedMessage]] = {}
    for message in queued:
        if message.note:
            by_note.setdefault(message.note, []).append(message)
    for note, found in sorted(by_note.items(), key=lambda pair: -len(pair[1])):
        title = NOTE.format(count=count_text(len(found)), note=note)
        groups.append(PlanGroup("note", title, found))
    return groups


def member_text(name: str, message: PlannedMessage, *, detail: bool) -> str:
    """Return one customer's line inside a group: name, channel, maybe the reason."""
    text = f"{name} ({CHANNEL_LABELS.get(message.channel, message.channel)})"
    if detail and message.reason:
        text += f": {message.reason}"
    return text


def decision_text(message: PlannedMessage | None) -> str:
    """Return what the plan decided for one message, for the preview."""
    if message is None:
        return NOT_IN_PLAN
    if message.action == SKIP:
        return NOT_SENT.format(reason=message.reason or "")
    if message.is_hold:
        reason = message.reason or ""
        # "waits for your decision: …" says it already; no "Waits: waits …".
        text = (
            reason[:1].upper() + reason[1:]
            if reason.startswith("waits")
            else WAITS.format(reason=reason)
        )
        separator = ". "
    else:
        text, separator = WILL_SEND, " "
    if message.note:
        text += separator + NOTE_SUFFIX.format(note=message.note)
    return text


def decisions_for(plan: SendPlan, contact_id: int) -> dict[str, PlannedMessage]:
    """Return the planned message per channel for one contact."""
    return {
        message.channel: message
        for message in plan.messages
        if message.contact_id == contact_id
    }
