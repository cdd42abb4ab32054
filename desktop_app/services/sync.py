"""Sync with Twilio: delivery status of recent SMS, and customers' replies.

A desktop app has no public address for Twilio's webhooks, so Duet asks instead. One
:func:`sync_once` does two things:

1. **Delivery.** Each SMS Twilio accepted in the last seven days whose delivery is not
   known yet is fetched; ``delivered`` marks it delivered, ``failed`` or
   ``undelivered`` marks it failed with Twilio's error code. Twilio's other states
   (queued, sending, sent...) leave it as it is, to be asked again next time.
2. **Replies.** The messages customers sent to the shop's number since the last sync
   (with a small overlap) are stored once each, by Twilio SID, as ``reply`` events
   of every contact having the sender's number, as main phone or as another of
   theirs (one lookup for all the new replies, ``contacts.contacts_by_phone``),
   and read with :mod:`desktop_app.core.optout`: an opt-out records an SMS opt-out with
   the reply as evidence, START/UNSTOP records an opt-in, HELP is shown to the owner,
   and a sentence that may mean "stop" is flagged for review, never acted on. A
   JOIN (or a keyword a printed sign used) from an unknown number creates the
   contact (``compliance.handle_join_reply``). An opt-out from an unknown number is
   written to the ledger without a contact, for the number
   (``consent.record_without_contact``), so a contact created later with that number
   by an import, a JOIN or an event starts opted out. A reply from a sender that is
   not a phone number (a short code such as 72975, a sender name) is skipped and
   counted; it never stops the sync.

Each reply and what it caused are written in one transaction, so a reply is never
half handled and never handled twice.
"""

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlite_utils

from desktop_app.core.optout import ReplyKind, classify_reply_detailed
from desktop_app.core.phones import parse_phone
from desktop_app.core.planning import REVIEW_REASON_FOR
from desktop_app.core.words import counted
from desktop_app.errors import ProviderError, ValidationError
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts as contact_store
from desktop_app.storage import messages, settings
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

LAST_INBOUND_KEY = "_sync.last_inbound"
STATUS_WINDOW = timedelta(days=7)
FIRST_INBOUND_WINDOW = timedelta(days=7)
INBOUND_OVERLAP = timedelta(minutes=10)
DELIVERED = frozenset({"delivered", "read"})
NOT_DELIVERED = frozenset({"failed", "undelivered", "canceled"})

SHARED_NUMBER_OPT_IN = (
    "An opt-in keyword from a number {count} contacts have: Duet cannot tell who "
    "agreed, so no consent was recorded. Set it on the right contact's page."
)
_EVENT_FOR: dict[ReplyKind, str] = {
    ReplyKind.OPT_OUT: "opt_out",
    ReplyKind.OPT_IN: "opt_in",
    ReplyKind.HELP: "help",
    ReplyKind.MAYBE_OPT_OUT: "review",
}


class RecordedMessage(Protocol):
    """What sync reads of a provider's record (``ProviderMessage`` fits)."""

    sid: str
    from_: str
    to: str
    body: str
    status: str
    created: datetime | None
    price: float | None
    error_code: int | None


class SmsRecord(Protocol):
    """The provider calls sync needs (``TwilioSms`` fits)."""

    name: str

    def fetch(self, sid: str) -> Any:
        """Return the provider's record of one message."""
        ...

    def list_received(self, since: datetime) -> list[Any]:
        """Return inbound messages since ``since``, newest first."""
        ...


@dataclass
class SyncReport:
    """What one sync found.

    Attributes:
        checked: sent SMS whose status was asked.
        delivered: of those, now delivered.
        undelivered: of those, now failed.
        replies: new inbound messages stored.
        opt_outs: SMS opt-outs recorded from replies (also those from unknown
            numbers, recorded for the number).
        opt_ins: SMS opt-ins recorded from replies.
        help: replies asking for help (shown to the owner).
        review: replies flagged for the owner to decide.
        unmatched: replies from numbers no contact has.
        skipped: replies from senders that are not phone numbers (short codes,
            sender names), not stored.
        errors: plain sentences for what could not be checked.
    """

    checked: int = 0
    delivered: int = 0
    undelivered: int = 0
    replies: int = 0
    opt_outs: int = 0
    opt_ins: int = 0
    help: int = 0
    review: int = 0
    unmatched: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the report as the JSON ``sync --json`` prints."""
        return {
            "checked": self.checked,
            "delivered": self.delivered,
            "undelivered": self.undelivered,
            "replies": self.replies,
            "opt_outs": self.opt_outs,
            "opt_ins": self.opt_ins,
            "help": self.help,
            "review": self.review,
            "unmatched": self.unmatched,
            "skipped": self.skipped,
            "errors": list(self.errors),
        }

    def summary_text(self) -> str:
        """Return the report in plain words."""
        text = (
            f"Checked {counted(self.checked, 'sent text')}: {self.delivered} "
            f"delivered, {self.undelivered} not delivered. "
            f"{counted(self.replies, 'new reply', 'new replies')}: "
            f"{counted(self.opt_outs, 'opt-out')}, {counted(self.opt_ins, 'opt-in')}, "
            f"{self.help} asking for help, {self.review} to review."
        )
        for error in self.errors:
            text += f" {error}"
        return text


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sync_once(
    db: sqlite_utils.Database, sms_provider: SmsRecord, *, now: datetime | None = None
) -> SyncReport:
    """Poll the provider once for delivery status and replies.

    Args:
        db: a connection owned by the calling thread.
        sms_provider: the SMS provider (``TwilioSms``).
        now: the current time (aware); tests pass a fixed one.

    Returns:
        What was found. A provider failure stops that half of the sync and is
        reported in ``errors``; what was already recorded stays.
    """
    now = now or datetime.now(UTC)
    report = SyncReport()
    try:
        _sync_status(db, sms_provider, now, report)
    except ProviderError as error:
        report.errors.append(f"Delivery status: {error.message}")
    try:
        _sync_replies(db, sms_provider, now, report)
    except ProviderError as error:
        report.errors.append(f"Replies: {error.message}")

    logger.info(
        "sync: %d checked, %d delivered, %d undelivered, %d replies, %d opt-outs, "
        "%d opt-ins, %d help, %d to review, %d errors",
        report.checked,
        report.delivered,
        report.undelivered,
        report.replies,
        report.opt_outs,
        report.opt_ins,
        report.help,
        report.review,
        len(report.errors),
    )
    return report


def _sync_status(
    db: sqlite_utils.Database, provider: SmsRecord, now: datetime, report: SyncReport
) -> None:
    since = _iso(now - STATUS_WINDOW)
    for row in messages.sms_awaiting_delivery(db, provider.name, since):
        assert row.provider_id is not None
        record = provider.fetch(row.provider_id)
        report.checked += 1
        status = (record.status or "").lower()
        cost = abs(record.price) if record.price is not None else None
        if status in DELIVERED:
            report.delivered += messages.record_delivery(
                db, row.id, delivered=True, cost=cost
            )
        elif status in NOT_DELIVERED:
            code = None if record.error_code is None else str(record.error_code)
            reason = "The carrier did not deliver this text" + (
                f" (Twilio error {code})." if code else "."
            )
            report.undelivered += messages.record_delivery(
                db, row.id, delivered=False, error_code=code, reason=reason, cost=cost
            )


def _sync_replies(
    db: sqlite_utils.Database, provider: SmsRecord, now: datetime, report: SyncReport
) -> None:
    last = messages.get_internal(db, LAST_INBOUND_KEY)
    if last:
        since = datetime.fromisoformat(last) - INBOUND_OVERLAP
    else:
        since = now - FIRST_INBOUND_WINDOW

    from desktop_app.services import compliance

    received = provider.list_received(since)
    join_words = compliance.join_keywords(db)
    new_replies = []
    for record in reversed(received):  # oldest first
        if not record.sid or messages.reply_recorded(db, record.sid):
            continue
        if not compliance.is_phone_sender(db, record.from_ or ""):
            report.skipped += 1
            logger.debug(
                "reply %s skipped: its sender is not a phone number", record.sid
            )
            continue
        new_replies.append(record)
    # Every contact having a sender's number, main or other, in one query.
    owners = contact_store.contacts_by_phone(
        db, (_e164_or_raw(db, record.from_) for record in new_replies)
    )
    for record in new_replies:
        _store_reply(db, record, report, join_words, owners)
    messages.set_internal(db, LAST_INBOUND_KEY, _iso(now))


def _store_reply(
    db: sqlite_utils.Database,
    record: RecordedMessage,
    report: SyncReport,
    join_words: list[str],
    owners: dict[str, list[int]],
) -> None:
    """Store one reply and what it causes, for every contact having its number.

    Args:
        owners: E.164 number -> the contacts having it (main phone or another
            of theirs); a JOIN's new contact is added for later replies.
    """
    verdict = classify_reply_detailed(record.body or "", join_keywords=join_words)
    sender = _e164_or_raw(db, record.from_)
    contact_ids = list(owners.get(sender, []))
    shared_opt_in = verdict.kind is ReplyKind.OPT_IN and len(contact_ids) > 1
    if shared_opt_in:
        # Who said yes? A number several contacts have cannot tell; an opt-in is
        # never guessed, so none is recorded and the owner is told why.
        verdict = replace(
            verdict,
            kind=ReplyKind.OTHER,
            explanation=SHARED_NUMBER_OPT_IN.format(count=len(contact_ids)),
        )
    received_at = _iso(record.created) if record.created else utc_now()
    data = {
        "sid": record.sid,
        "from": record.from_,
        "to": record.to,
        "received_at": received_at,
        "kind": verdict.kind.value,
        "matched": verdict.matched,
        "explanation": verdict.explanation,
        "asks_channel": verdict.asks_channel,
    }
    if shared_opt_in:
        data["shared_number"] = len(contact_ids)
    evidence = (
        f"SMS reply {record.sid} received {received_at}: "
        f"{json.dumps(record.body or '', ensure_ascii=False)}"
    )
    follow_up = _EVENT_FOR.get(verdict.kind)

    with db.conn:
        for contact_id in contact_ids or [None]:
            message_id = messages.latest_sms_to(db, contact_id) if contact_id else None
            messages.add_event(
                db,
                "reply",
                contact_id=contact_id,
                message_id=message_id,
                body=record.body or "",
                data=data,
                commit=False,
            )
            if follow_up is None:
                continue
            if contact_id is not None and verdict.kind in (
                ReplyKind.OPT_OUT,
                ReplyKind.OPT_IN,
            ):
                status = (
                    "opted_out" if verdict.kind is ReplyKind.OPT_OUT else "opted_in"
                )
                _record_consent(db, contact_id, status, evidence, sender)
                if status == "opted_out" and verdict.asks_channel == "both":
                    # "Stop texting and emailing me": the emails stop too.
                    _record_consent(
                        db,
                        contact_id,
                        "opted_out",
                        f"{evidence} (asked to stop the emails too)",
                        None,
                        channel="email",
                    )
            elif contact_id is None and verdict.kind is ReplyKind.OPT_OUT:
                # No contact has the number: the opt-out is kept for the number, so
                # a contact created with it later starts opted out (the evidence
                # ends "(no contact had this number)").
                consent_store.record_without_contact(
                    db,
                    "sms",
                    sender,
                    "opted_out",
                    source="reply",
                    evidence=evidence,
                )
            messages.add_event(
                db,
                follow_up,
                contact_id=contact_id,
                message_id=message_id,
                body=record.body or "",
                data={**data, "source": "reply"},
                commit=False,
            )
            if contact_id is not None and verdict.kind is ReplyKind.MAYBE_OPT_OUT:
                # Queued messages on the channel it may stop wait for the owner.
                about = verdict.asks_channel
                channel = about if about in ("sms", "email") else "sms"
                messages.hold_for_review(
                    db, contact_id, channel, REVIEW_REASON_FOR[channel]
                )

    if verdict.kind is ReplyKind.OPT_IN and not contact_ids:
        # A JOIN (or START) from a number Duet does not know: the opt-in sign at
        # the counter. It becomes a contact with SMS consent, the reply as evidence.
        from desktop_app.services import compliance

        try:
            joined = compliance.handle_join_reply(
                db, record.from_, record.body or "", record.sid, received_at
            )
        except ValidationError:
            # Its message quotes the sender; numbers stay out of the log.
            logger.debug("JOIN reply %s not recorded: bad sender", record.sid)
            joined = None
        if joined is not None:
            contact_ids = [joined.contact_id]
            owners[sender] = list(contact_ids)

    report.replies += 1
    report.unmatched += not contact_ids
    report.opt_outs += verdict.kind is ReplyKind.OPT_OUT
    report.opt_ins += verdict.kind is ReplyKind.OPT_IN and bool(contact_ids)
    report.help += verdict.kind is ReplyKind.HELP
    report.review += verdict.kind is ReplyKind.MAYBE_OPT_OUT
    logger.debug("reply %s stored as %s", record.sid, verdict.kind.value)


def _e164_or_raw(db: sqlite_utils.Database, number: str) -> str:
    """Return a sender's number in E.164 form (as given when it cannot be read)."""
    region = settings.get_setting(db, "phones.default_region") or "US"
    result = parse_phone(number, region)
    return result.e164 if result.plausible and result.e164 else number.strip()


def _record_consent(
    db: sqlite_utils.Database,
    contact_id: int,
    status: str,
    evidence: str,
    sender: str | None,
    *,
    channel: str = "sms",
) -> None:
    """Write a reply's consent row for one contact (caller's transaction).

    The row's recipient is the number the reply came from, which may be one of
    the contact's other numbers: the ledger shows which number asked, and the
    opt-out stays with that number if the contact is deleted. For the email
    channel (a text that also asks to stop the emails) it is None, and the
    ledger's trigger fills in the contact's email.
    """
    # consent.record_consent would commit on its own through sqlite-utils, so the
    # row is written here with the same columns.
    consent_store.insert_rows(
        db, [(contact_id, channel, status, "reply", evidence, None, utc_now(), sender)]
    )
