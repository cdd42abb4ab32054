"""Sending a paired template: plan, queue, and the crash-safe loop that sends the queue.

``run_campaign`` is a plain blocking function. The window calls it from a worker
thread with a database connection opened in that thread; the command line calls it
directly. Every message goes ``queued → sending → sent | failed | unknown``, and each
step is committed before and after the provider call, so a crash leaves at most the
message in hand in ``sending``.

Such a message is never re-sent blindly. Before a run sends anything, each message in
doubt is checked against the provider's own record: Twilio lists what it holds for
that number since the message was claimed; a match by text means it went (it is
marked sent with Twilio's SID), no match means it is safe to queue again. Providers
without a record to ask (SMTP, the test outbox) leave the message ``unknown`` for the
owner to check. A provider call that timed out after the request left
(``maybe_sent``) is handled the same way, after the rest of the batch.

SMS are paced per sender with a token bucket counted in segments; email is not paced
(one SMTP connection carries the batch). A 429 waits (``Retry-After``) and retries the
same message; a failing or unreachable provider is retried with growing waits a few
times, then the campaign pauses with the rest still queued. Refusals are sorted:
opted out (21610) records the SMS opt-out, an invalid or landline number (21211,
21614) flags the contact, and the batch goes on; refused credentials pause.

One run at a time sends a campaign: a lease row in the settings table names the
process that sends it, so the window and ``python main.py resume`` never both do.
"""

import json
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop_app.core import planning, quiet_hours, timezones
from desktop_app.core.planning import SendPlan
from desktop_app.core.templates import ShopInfo, with_new_footer
from desktop_app.core.throttle import Clock, Sleep, TokenBucket, backoff_delay
from desktop_app.core.words import counted
from desktop_app.errors import (
    ProviderAuthError,
    ProviderError,
    RecipientRejected,
    ValidationError,
)
from desktop_app.providers.base import OutgoingEmail, Senders, SendReceipt
from desktop_app.services import compliance, quiet_rules
from desktop_app.storage import consent, contacts, messages, settings, templates
from desktop_app.storage.database import utc_now
from desktop_app.storage.messages import Campaign, MessageRow

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted while sending; check before resending"
CHECKING = "no answer from the provider; Duet checks with it before resending"
DIFFERENT_TEXT = (
    "Twilio holds another text to this number from around that time; check it "
    "before resending"
)
CANCELLED = "cancelled"
DEFAULT_TWILIO_RATE = 1.0
RECONCILE_MARGIN = timedelta(minutes=2)
LEASE_SECONDS = 30.0
HEARTBEAT_SECONDS = 5.0
_WAIT_SLICE = 0.25
_BATCH = 500

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a run tries before it pauses.

    Attributes:
        rate_limit_retries: retries of one message after 429 / 20429.
        unavailable_retries: retries of one message after 5xx or no connection.
        base_delay: the first wait when the provider names none (then doubled).
        max_delay: the longest single wait.
        settle_delay: the least time between a call that got no answer and the
            check with the provider's record, so a slow provider has written it.
        doubt_rounds: how many times one run checks messages in doubt and sends
            again those the provider has no trace of.
    """

    rate_limit_retries: int = 6
    unavailable_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    settle_delay: float = 2.0
    doubt_rounds: int = 3


@dataclass(frozen=True)
class SendSummary:
    """Where a campaign stands after a run of the send loop.

    Attributes:
        campaign: the campaign's name.
        campaign_id: its id.
        sent: messages the providers accepted (all runs).
        failed: messages the providers refused.
        skipped: messages the plan skipped.
        queued: messages still waiting (after a pause or a cancel).
        unknown: messages interrupted mid-send, to be checked.
        segments: SMS segments of the sent SMS.
        cost: the cost of the sent SMS, in dollars.
        sent_now: messages sent by this run.
        stopped: why the run stopped early (``cancelled`` or the provider's
            message), else None.
        confirmed: messages in doubt that the provider's record showed as sent.
        requeued: messages in doubt the provider had no trace of, queued again.
        providers: the SMS and email providers' short names.
        held: queued messages that wait (quiet hours, the shop's address); they
            are not counted in ``queued``.
        held_address: of ``held``, the emails that wait for the shop's postal
            address to be set in Settings.
        held_review: of ``held``, the messages that wait for the owner's decision
            on a reply that may mean stop (Replies page).
    """

    campaign: str
    campaign_id: int
    sent: int
    failed: int
    skipped: int
    queued: int
    unknown: int
    segments: int
    cost: float
    sent_now: int = 0
    stopped: str | None = None
    confirmed: int = 0
    requeued: int = 0
    providers: tuple[str, str] = ("outbox", "outbox")
    held: int = 0
    held_address: int = 0
    held_review: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the summary as the JSON the command line prints."""
        return {
            "campaign": self.campaign,
            "campaign_id": self.campaign_id,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "queued": self.queued,
            "unknown": self.unknown,
            "segments": self.segments,
            "cost": self.cost,
            "stopped": self.stopped,
            "sent_now": self.sent_now,
            "confirmed": self.confirmed,
            "requeued": self.requeued,
            "provider_sms": self.providers[0],
            "provider_email": self.providers[1],
            "held": self.held,
            "held_address": self.held_address,
            "held_review": self.held_review,
        }

    def summary_text(self) -> str:
        """Return the summary in plain words."""
        text = (
            f"Campaign '{self.campaign}': {self.sent} sent, {self.failed} failed, "
            f"{self.skipped} skipped; {self.segments} SMS segments, "
            f"${self.cost:.2f}."
        )
        if self.queued:
            text += f" {self.queued} still waiting"
            text += f" ({self.stopped})." if self.stopped else "."
        quiet = self.held - self.held_address - self.held_review
        if quiet:
            text += f" {quiet} held for quiet hours, sent when allowed."
        if self.held_address:
            text += (
                " Waiting for the shop's postal address: "
                f"{counted(self.held_address, 'email')}; set it in Settings to send."
            )
        if self.held_review:
            text += (
                " Waiting for your decision on a reply that may mean stop (Replies "
                f"page): {counted(self.held_review, 'message')}."
            )
        if self.unknown:
            text += (
                f" {counted(self.unknown, 'message')} interrupted mid-send:"
                " check before resending."
            )
        return text


def plan_send(
    db: sqlite_utils.Database,
    *,
    template_name: str,
    tag: str | None = None,
    everyone: bool = False,
    test_mode: bool | None = None,
    now: datetime | None = None,
    ab_split: bool = False,
) -> SendPlan:
    """Plan sending a template to the contacts with a tag, or to everyone.

    Args:
        template_name: the stored template to send.
        tag: send to the contacts carrying this tag.
        everyone: send to every contact (``tag`` must then be None).
        test_mode: True when the SMS go to the test outbox, which relaxes the
            marketing-consent and quiet-hours rules into notes; None asks the
            keyring whether Twilio is set up (no credentials means test mode).
        now: the time the plan is for (quiet hours); default the current time.
        ab_split: an A/B test: split the customers at random between the SMS
            text (A) and the template's SMS variant B.

    Returns:
        The plan: one message per contact and channel, to send or skip.

    Raises:
        ValidationError: no such template, no audience chosen, nobody in it, or
            an A/B test asked of a template without an SMS variant B.
    """
    if bool(tag) == everyone:
        raise ValidationError("Choose either a tag or everyone to send to.")
    template = templates.get_template(db, template_name)
    if ab_split and not template.sms_body_b.strip():
        raise ValidationError(
            f"Template '{template.name}' has no SMS variant B, so there is nothing "
            "to compare; add a second SMS text to the template for an A/B test."
        )

    audience = contacts.list_contacts(db, tag=tag if not everyone else None)
    if not audience:
        if everyone:
            raise ValidationError("There are no contacts yet; import some first.")
        raise ValidationError(f"No contact has the tag '{tag}'.")

    ids = [contact.id for contact in audience]
    consents = {
        channel: consent.consent_map(db, ids, channel) for channel in ("sms", "email")
    }
    if test_mode is None:
        from desktop_app import credentials

        test_mode = credentials.load_twilio() is None
    return planning.build_plan(
        audience,
        consents,
        template,
        settings.get_settings(db),
        template_name=template.name,
        template_id=template.id,
        audience={"everyone": True} if everyone else {"tag": tag},
        transactional=template.transactional,
        test_mode=test_mode,
        now=now or datetime.now(UTC),
        last_sms_at=compliance.last_sms_times(db, ids),
        ab_split=ab_split,
        bounced=messages.bounced_addresses(db),
        quiet_rules=quiet_rules.current_rules(db),
        awaiting_review=compliance.awaiting_review(db),
    )


def _unique_name(db: sqlite_utils.Database, base: str) -> str:
    name, number = base, 2
    while messages.campaign_name_taken(db, name):
        name = f"{base} ({number})"
        number += 1
    return name


def queue_plan(
    db: sqlite_utils.Database,
    plan: SendPlan,
    *,
    name: str | None = None,
    provider_sms: str = "outbox",
    provider_email: str = "outbox",
) -> int:
    """Write a plan as a campaign and its queued (or skipped) messages.

    Args:
        plan: the plan from :func:`plan_send`.
        name: the campaign's name; defaults to the template's name and the local
            date and time.
        provider_sms: the SMS provider's short name, for the record.
        provider_email: the email provider's short name, for the record.

    Returns:
        The campaign id.

    Raises:
        ValidationError: the plan is empty, has no stored template, or ``name`` is
            already used by another campaign.
        StorageError: the rows could not be written; nothing was kept.
    """
    if not plan.messages or plan.template_id is None:
        raise ValidationError("There is nothing to send in this plan.")
    if name is None:
        stamp = settings.shown_time(utc_now(), settings.shop_zone(db))
        name = _unique_name(db, f"{plan.template_name} {stamp}")
    elif messages.campaign_name_taken(db, name):
        raise ValidationError(f"Campaign name: '{name}' is already used.")

    campaign_id = messages.create_campaign(
        db,
        name=name,
        template_id=plan.template_id,
        audience={**plan.audience, "transactional": plan.transactional},
        messages=plan.messages,
        provider_sms=provider_sms,
        provider_email=provider_email,
    )
    logger.debug("campaign %d queued with %d messages", campaign_id, len(plan.messages))
    return campaign_id


def _email_for(
    db: sqlite_utils.Database, row: MessageRow, shop: dict[str, str], sender: Any
) -> OutgoingEmail:
    # Unsubscribe mails go to the shop's address, else to the address the email is
    # sent from (the mailbox Settings → Mailbox reads), so every email carries one.
    headers: dict[str, str] = {}
    unsubscribe_to = shop.get("shop.email", "") or getattr(sender, "from_address", "")
    unsubscribe = (
        compliance.list_unsubscribe_header(db, row.contact_id, unsubscribe_to)
        if row.contact_id is not None
        else None
    )
    if unsubscribe:
        headers["List-Unsubscribe"] = unsubscribe
    return OutgoingEmail(
        to=row.to,
        subject=row.subject,
        text=row.body,
        html=row.html,
        from_address=shop.get("shop.email", ""),
        from_name=shop.get("shop.name", ""),
        headers=headers,
    )


def resolve_sms_rate(senders: Senders, sms_rate: float | None) -> float | None:
    """Return the SMS pace in segments per second, or None for no pacing.

    Args:
        senders: the providers; an SMS sender may carry its own ``rate``.
        sms_rate: an explicit rate; 0 or less means no pacing.

    Returns:
        ``sms_rate`` when given, else the sender's ``rate`` attribute, else one
        segment a second for Twilio (a US long code) and no pacing for others.
    """
    if sms_rate is not None:
        return sms_rate if sms_rate > 0 else None
    own = getattr(senders.sms, "rate", None)
    if isinstance(own, int | float):
        return float(own) if own > 0 else None
    return DEFAULT_TWILIO_RATE if senders.sms.name == "twilio" else None


def sms_rate_from_credentials() -> float | None:
    """Return the saved Twilio sender's rate (segments per second), if saved.

    Raises:
        CredentialsError: the keyring is locked or the saved entry is damaged.
    """
    from desktop_app import credentials

    twilio = credentials.load_twilio()
    return None if twilio is None else twilio[0].rate


# --- the lease: one sender per campaign ------------------------------------------


def _lease_key(campaign_id: int) -> str:
    return f"_lease.campaign.{campaign_id}"


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap check; the lease then simply expires
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Lease:
    def __init__(self, db: sqlite_utils.Database, campaign_id: int) -> None:
        self._db = db
        self._key = _lease_key(campaign_id)
        self._host = socket.gethostname()
        self._owner = f"{self._host}:{os.getpid()}:{id(self)}"
        self._beat = 0.0

    def _holder(self) -> dict[str, Any]:
        return {
            "owner": self._owner,
            "host": self._host,
            "pid": os.getpid(),
            "at": time.time(),
        }

    def _may_take(self, current: dict[str, Any]) -> bool:
        if current.get("owner") == self._owner:
            return True
        age = time.time() - float(current.get("at", 0) or 0)
        if age > LEASE_SECONDS:
            return True
        pid = current.get("pid")
        same_host = current.get("host") == self._host
        return same_host and isinstance(pid, int) and not _process_alive(pid)

    def take(self, name: str) -> None:
        current = messages.claim_lease(
            self._db, self._key, self._holder(), may_take=self._may_take
        )
        if current is not None:
            raise ValidationError(
                f"Campaign '{name}' is being sent by another Duet window or command "
                f"(process {current.get('pid', '?')}); wait for it to finish."
            )
        self._beat = time.monotonic()

    def beat(self) -> None:
        if time.monotonic() - self._beat >= HEARTBEAT_SECONDS:
            messages.claim_lease(
                self._db, self._key, self._holder(), may_take=self._may_take
            )
            self._beat = time.monotonic()

    def release(self) -> None:
        messages.set_internal(self._db, self._key, None)


# --- the run ---------------------------------------------------------------------


class _Stop(Exception):
    """Ends a run early; ``args[0]`` is the reason shown to the owner."""


OPTED_OUT_SINCE = {
    "sms": "opted out of SMS after it was queued",
    "email": "unsubscribed from email after it was queued",
}


@dataclass
class _Counts:
    sent_now: int = 0
    done: int = 0
    total: int = 0
    confirmed: int = 0
    requeued: int = 0


class _Run:
    """One run of the send loop over one campaign (see the module docstring)."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        campaign_id: int,
        senders: Senders,
        *,
        progress: Progress | None,
        cancel: Cancel | None,
        sms_rate: float | None,
        policy: RetryPolicy,
        clock: Clock,
        sleep: Sleep,
        lease: _Lease,
        now: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.campaign_id = campaign_id
        self.senders = senders
        self.progress = progress
        self.cancel = cancel
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.lease = lease
        self.now = now
        rate = resolve_sms_rate(senders, sms_rate)
        self.bucket = None if rate is None else TokenBucket(rate, clock=clock)
        self.shop = settings.get_settings(db)
        self.shop_info = ShopInfo.from_settings(self.shop)
        self.quiet_rules = quiet_rules.current_rules(db)
        self.awaiting_review = compliance.awaiting_review(db)
        self.counts = _Counts()
        self.last_doubt: float | None = None
        self.started = utc_now()  # messages held past this wait for a later run

    # Waiting -----------------------------------------------------------------

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel()

    def flush(self) -> None:
        """Commit a "sent" record still pending (see :meth:`deliver`)."""
        if self.db.conn.in_transaction:
            self.db.conn.commit()

    def wait(self, seconds: float) -> None:
        """Wait ``seconds`` in slices, asking ``cancel`` and renewing the lease."""
        self.flush()
        end = self.clock() + seconds
        while (left := end - self.clock()) > 1e-6:
            if self.cancelled():
                raise _Stop(CANCELLED)
            self.sleep(min(left, _WAIT_SLICE))
            self.lease.beat()

    # Checking messages in doubt ----------------------------------------------

    def reconcile(self) -> int:
        """Settle every message in doubt; return how many went back in the queue."""
        doubtful = messages.messages_in_doubt(
            self.db, self.campaign_id, checking_reason=CHECKING
        )
        if not doubtful:
            return 0
        if self.last_doubt is not None:
            self.wait(self.policy.settle_delay - (self.clock() - self.last_doubt))

        requeued = unknown = 0
        for row in doubtful:
            outcome = self._settle(row)
            requeued += outcome == "requeued"
            unknown += outcome == "unknown"
        if unknown:
            logger.warning(
                "campaign %d: %d messages were interrupted mid-send and are marked "
                "unknown",
                self.campaign_id,
                unknown,
            )
        return requeued

    def _settle(self, row: MessageRow) -> str:
        sender = self.senders.sms if row.channel == "sms" else self.senders.email
        lister = getattr(sender, "list_sent_to", None)
        if (
            row.channel != "sms"
            or lister is None
            or row.provider != sender.name
            or not row.sending_at
        ):
            messages.mark_unknown(self.db, row.id, reason=INTERRUPTED)
            return "unknown"

        since = datetime.fromisoformat(row.sending_at) - RECONCILE_MARGIN
        try:
            found = lister(row.to, since)
        except ProviderError as error:
            messages.mark_unknown(self.db, row.id, reason=CHECKING)
            raise _Stop(error.message) from error

        taken = messages.provider_ids_in_use(
            self.db, sender.name, [m.sid for m in found]
        )
        free = [m for m in found if m.sid not in taken]
        matches = [m for m in free if m.body == row.body]
        if matches:
            record = matches[-1]  # newest first: the oldest match is this message
            cost = abs(record.price) if record.price is not None else None
            messages.confirm_sent(self.db, row.id, provider_id=record.sid, cost=cost)
            self.counts.confirmed += 1
            logger.debug("message %d was sent before the interruption", row.id)
            return "confirmed"
        if free:
            # Twilio holds another text to this number that no message of Duet
            # claims: perhaps this one, rewritten on the way. Never guess.
            messages.mark_unknown(self.db, row.id, reason=DIFFERENT_TEXT)
            return "unknown"
        messages.requeue(self.db, row.id)
        self.counts.requeued += 1
        logger.debug("message %d never reached the provider; queued again", row.id)
        return "requeued"

    # Sending -----------------------------------------------------------------

    def send_queue(self) -> None:
        """Send every queued message, SMS paced, email in the SMS gaps."""
        queued = messages.count_by_state(self.db, self.campaign_id)["queued"]
        held = messages.count_held(self.db, self.campaign_id, self.started)
        self.counts.total += queued - held
        pending: dict[str, deque[MessageRow]] = {"sms": deque(), "email": deque()}
        after = {"sms": 0, "email": 0}
        exhausted: set[str] = set()

        while True:
            for channel, rows in pending.items():
                if not rows and channel not in exhausted:
                    batch = messages.queued_messages(
                        self.db,
                        self.campaign_id,
                        after_id=after[channel],
                        channel=channel,
                        limit=_BATCH,
                        ready_at=self.started,
                    )
                    rows.extend(batch)
                    if len(batch) < _BATCH:
                        exhausted.add(channel)
            sms, email = pending["sms"], pending["email"]
            if not sms and not email:
                self.flush()
                return

            delay = 0.0
            if sms and self.bucket is not None:
                delay = self.bucket.wait_time(max(1, sms[0].segments))
            if sms and delay <= 0 and (not email or sms[0].id < email[0].id):
                row = sms.popleft()
            elif email:
                row = email.popleft()
            else:
                self.wait(delay)
                continue
            after[row.channel] = row.id

            if self.cancelled():
                raise _Stop(CANCELLED)
            self.lease.beat()
            self.deliver(row)
            self.counts.done += 1
            if self.progress is not None:
                self.progress(self.counts.done, self.counts.total)

    def _send_one(self, row: MessageRow) -> SendReceipt:
        if row.channel == "sms":
            if self.bucket is not None:
                self.bucket.take(max(1, row.segments))
            return self.senders.sms.send_sms(row.to, row.body)
        return self.senders.email.send_email(
            _email_for(self.db, row, self.shop, self.senders.email)
        )

    def with_current_footer(self, row: MessageRow) -> MessageRow:
        """Give a queued email the footer Settings gives now, and store it.

        The owner may correct the shop's name or postal address after queueing;
        every email carries the current ones (issue #6). A marketing email never
        gets here while the address is empty (:meth:`blocked_now` holds it).
        """
        if row.channel != "email":
            return row
        text, html = with_new_footer(row.body, row.html, self.shop_info)
        if text == row.body and html == row.html:
            return row
        messages.set_queued_email_content(self.db, row.id, text, html)
        return replace(row, body=text, html=html)

    def blocked_now(self, row: MessageRow) -> bool:
        """Re-check consent and quiet hours at send time; skip or hold if needed.

        A customer may opt out between queueing and sending, and a slow queue can
        run past the end of the allowed hours, so the plan's decision is not enough.
        """
        transactional, zone_name, status = messages.send_time_facts(self.db, row.id)
        if status == "opted_out":
            why = OPTED_OUT_SINCE[row.channel]
            messages.skip_queued(self.db, row.id, why)
            return True
        if row.contact_id in self.awaiting_review.get(row.channel, ()):
            # A reply that may mean stop came after this was queued.
            messages.wait_queued(
                self.db, row.id, planning.REVIEW_REASON_FOR[row.channel]
            )
            return True
        if row.channel == "email" and not transactional and not self.shop_info.address:
            # The address was cleared after this email was queued or released: it
            # waits again, like at planning, until the owner sets one.
            messages.wait_queued(self.db, row.id, planning.NO_ADDRESS)
            return True
        if row.channel != "sms" or transactional or self.senders.sms.name == "outbox":
            return False

        choices = timezones.recipient_zones(
            zone_name, row.to, self.shop["shop.timezone"]
        )
        country, state = timezones.region_for_number(row.to)
        decision = quiet_hours.decide_everywhere(
            self.now(),
            zones=[choice.zone for choice in choices],
            country=country,
            state=state,
            transactional=False,
            rules=self.quiet_rules,
        )
        if decision.allowed:
            return False
        until = decision.next_allowed_utc
        reason = decision.reason or "held for quiet hours"
        if until is None:
            messages.skip_queued(self.db, row.id, reason)
        else:
            not_before = until.astimezone(UTC).isoformat(timespec="seconds")
            messages.hold_queued(self.db, row.id, not_before, reason)
        return True

    def deliver(self, row: MessageRow) -> None:
        """Send one message, retrying what may be retried; raise _Stop to pause."""
        sender = self.senders.sms if row.channel == "sms" else self.senders.email
        if self.blocked_now(row):
            return
        row = self.with_current_footer(row)
        if not messages.mark_sending(self.db, row.id, sender.name):
            return

        attempt = 0
        while True:
            try:
                receipt = self._send_one(row)
            except RecipientRejected as error:
                self._refused(row, error)
                return
            except ProviderAuthError as error:
                messages.release_to_queue(self.db, row.id)
                raise _Stop(error.message) from error
            except ProviderError as error:
                if getattr(error, "maybe_sent", False):
                    self._in_doubt(row, sender, error)
                    return
                attempt += 1
                delay = self._retry_delay(error, attempt)
                messages.release_to_queue(self.db, row.id)
                if delay is None:
                    raise _Stop(error.message) from error
                logger.debug(
                    "message %d: retry %d in %.2fs (%s)",
                    row.id,
                    attempt,
                    delay,
                    error.code,
                )
                self.wait(delay)
                if not messages.mark_sending(self.db, row.id, sender.name):
                    return
                continue

            # Committed with the next message's claim, before its provider call:
            # one commit per message instead of two. Lost in a crash, the row is
            # still "sending" and the check with the provider marks it sent.
            messages.mark_sent(
                self.db,
                row.id,
                provider_id=receipt.provider_id,
                cost=receipt.price,
                commit=False,
            )
            self.counts.sent_now += 1
            return

    def _retry_delay(self, error: ProviderError, attempt: int) -> float | None:
        if not error.retryable:
            return None
        rate_limited = error.code in (20429, 429, "20429", "429")
        limit = (
            self.policy.rate_limit_retries
            if rate_limited
            else self.policy.unavailable_retries
        )
        if attempt > limit:
            return None
        delay = backoff_delay(
            attempt,
            retry_after=getattr(error, "retry_after", None) if rate_limited else None,
            base=self.policy.base_delay,
            cap=self.policy.max_delay,
        )
        if rate_limited and self.bucket is not None:
            self.bucket.hold(delay)
        return delay

    def _in_doubt(self, row: MessageRow, sender: Any, error: ProviderError) -> None:
        code = None if error.code is None else str(error.code)
        if row.channel == "sms" and hasattr(sender, "list_sent_to"):
            messages.mark_unknown(self.db, row.id, reason=CHECKING, error_code=code)
            self.last_doubt = self.clock()
            logger.debug("message %d: no answer; checking later", row.id)
            return
        messages.mark_unknown(self.db, row.id, reason=error.message, error_code=code)
        logger.warning(
            "message %d may have been sent (%s); marked unknown", row.id, error.code
        )

    def _refused(self, row: MessageRow, error: RecipientRejected) -> None:
        code = None if error.code is None else str(error.code)
        contact_id = row.contact_id
        if row.channel == "sms" and contact_id is not None:
            if code == "21610":
                consent.record_consent(
                    self.db,
                    contact_id,
                    "sms",
                    "opted_out",
                    source="provider",
                    evidence=f"Twilio error 21610 on message {row.id}",
                )
                messages.add_event(
                    self.db,
                    "opt_out",
                    contact_id=contact_id,
                    message_id=row.id,
                    data={"source": "provider", "code": 21610},
                )
            elif code == "21211":
                messages.flag_recipient(
                    self.db,
                    contact_id,
                    f"Twilio says {row.to} is not a valid phone number.",
                )
            elif code == "21614":
                messages.flag_recipient(
                    self.db,
                    contact_id,
                    f"Twilio says {row.to} is not a mobile number (a landline?).",
                    phone_kind="fixed_line",
                )
        messages.mark_failed(self.db, row.id, reason=error.message, error_code=code)
        logger.debug("message %d refused: %s", row.id, code)

    # The whole run -----------------------------------------------------------

    def run(self) -> str | None:
        """Check doubts, send, and re-check; return why the run stopped early."""
        try:
            self.reconcile()
            for _ in range(self.policy.doubt_rounds):
                self.send_queue()
                if not self.reconcile():
                    break
            else:
                self.send_queue()
        except _Stop as stop:
            return str(stop.args[0])
        finally:
            self.flush()
        left = messages.messages_in_doubt(
            self.db, self.campaign_id, checking_reason=CHECKING
        )
        if left:
            return (
                f"{counted(len(left), 'message')} got no answer from the provider; Duet checks "
                "them with it when the campaign is resumed."
            )
        return None


def run_campaign(
    db: sqlite_utils.Database,
    campaign_id: int,
    senders: Senders,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    sms_rate: float | None = None,
    policy: RetryPolicy | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    now: Callable[[], datetime] | None = None,
) -> SendSummary:
    """Send a campaign's queued messages in order; resumable and crash-safe.

    Messages left in doubt by an earlier run are first checked against the
    provider's record (see the module docstring) and never re-sent blindly. A
    refused message fails alone and the batch goes on; a provider that stays
    unreachable (or refuses the credentials) pauses the campaign with the rest
    still queued, as does ``cancel``.

    Args:
        db: a connection owned by the calling thread; the only one used.
        campaign_id: the campaign to send.
        senders: the SMS and email providers.
        progress: called with (messages done, messages to do) after each message.
        cancel: asked before each message and during waits; True stops the run.
        sms_rate: SMS segments per second (0: no pacing); see
            :func:`resolve_sms_rate` for the default.
        policy: retry limits and waits.
        clock: a monotonic clock (tests pass a fake one).
        sleep: how to wait (tests pass a fake one).
        now: the wall clock for quiet hours, as an aware datetime (tests fix it).

    Returns:
        The campaign's totals after this run.

    Raises:
        ValidationError: no campaign has that id, or another process is sending it.
    """
    campaign = messages.get_campaign(db, campaign_id)
    lease = _Lease(db, campaign_id)
    lease.take(campaign.name)
    try:
        messages.set_campaign_state(db, campaign_id, "sending")
        run = _Run(
            db,
            campaign_id,
            senders,
            progress=progress,
            cancel=cancel,
            sms_rate=sms_rate,
            policy=policy or RetryPolicy(),
            clock=clock,
            sleep=sleep,
            lease=lease,
            now=now or (lambda: datetime.now(UTC)),
        )
        stopped = run.run()
        held = messages.count_held(db, campaign_id, run.started)
        state = "paused" if stopped else "waiting" if held else "finished"
        messages.set_campaign_state(
            db, campaign_id, state, finished=state == "finished"
        )
    finally:
        lease.release()

    summary = _summary(db, campaign, run, stopped, senders)
    logger.info(
        "campaign %d %s: %d sent now, %d sent, %d failed, %d skipped, %d queued, "
        "%d unknown",
        campaign_id,
        state,
        summary.sent_now,
        summary.sent,
        summary.failed,
        summary.skipped,
        summary.queued,
        summary.unknown,
    )
    return summary


def recent_repeat(
    db: sqlite_utils.Database, plan: SendPlan, *, within: timedelta = timedelta(days=1)
) -> Campaign | None:
    """Return a campaign that sent this plan's template to the same audience lately.

    Args:
        plan: the plan about to be queued.
        within: how far back counts as "lately".

    Returns:
        The newest such campaign, or None.
    """
    since = (datetime.now(UTC) - within).isoformat(timespec="seconds")
    rows = db.execute(
        "SELECT id, audience FROM campaigns WHERE template_id = ? AND created_at >= ?"
        " ORDER BY id DESC",
        [plan.template_id, since],
    ).fetchall()
    wanted = {k: v for k, v in plan.audience.items() if k != "transactional"}
    for campaign_id, audience in rows:
        stored = json.loads(audience or "{}")
        stored.pop("transactional", None)
        if stored == wanted:
            return messages.get_campaign(db, campaign_id)
    return None


def _refuse_over_cap(
    db: sqlite_utils.Database,
    campaign_id: int,
    plan: SendPlan,
    now: datetime | None,
) -> None:
    """Pause a just-queued campaign whose SMS would pass a spending cap.

    Raises:
        ValidationError: the cap that would be passed; the messages stay queued
            and ``resume`` sends them once the owner confirms.
    """
    from desktop_app.services import triggers

    problem = triggers.cap_problem(db, triggers.plan_sms_cost(plan), now)
    if problem is None:
        return
    messages.set_campaign_state(db, campaign_id, "paused")
    logger.info("campaign %d paused by the spending cap", campaign_id)
    raise ValidationError(problem)


def release_address_holds(db: sqlite_utils.Database) -> int:
    """Let the emails that waited for the shop's postal address go, once it is set.

    Each such email gets the footer with the address (its body stays as planned);
    the next run of its campaign (``resume``, or the window's background job) sends
    it, after the usual checks of consent just before sending.

    Returns:
        How many emails were released (0 while the address is still empty).
    """
    shop = ShopInfo.from_settings(settings.get_settings(db))
    if not shop.address:
        return 0

    released = messages.release_address_holds(
        db, lambda text, html: with_new_footer(text, html, shop)
    )
    if released:
        logger.debug("%d emails no longer wait for the shop's address", released)
    return released


def interrupted_campaigns(db: sqlite_utils.Database) -> list[Campaign]:
    """Return the campaigns a run left unfinished, oldest first.

    These have messages still queued, left mid-send, or waiting for a check with
    the provider. Campaigns scheduled for later are left out.
    """
    now = utc_now()
    return [
        campaign
        for campaign in messages.unfinished_campaigns(
            db, checking_reason=CHECKING, now=now
        )
        # Scheduled campaigns are started by the scheduler, not by resume.
        if not campaign.scheduled_at or campaign.scheduled_at <= now
    ]


def resume_campaign(
    db: sqlite_utils.Database,
    campaign_id: int,
    senders: Senders,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    *,
    sms_rate: float | None = None,
    policy: RetryPolicy | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    now: Callable[[], datetime] | None = None,
) -> SendSummary:
    """Finish an interrupted campaign with the providers it was started with.

    Args:
        campaign_id: the campaign to finish.
        senders: the providers; they must be the ones the campaign was queued with,
            so a real campaign never finishes in the test outbox (or the reverse).
        progress, cancel, sms_rate, policy, clock, sleep, now: as for
            :func:`run_campaign`.

    Returns:
        The campaign's totals after this run.

    Raises:
        ValidationError: no such campaign, other providers than the campaign's, or
            another process is sending it.
    """
    campaign = messages.get_campaign(db, campaign_id)
    wanted = (campaign.provider_sms, campaign.provider_email)
    have = (senders.sms.name, senders.email.name)
    for channel, was, is_now in zip(("SMS", "email"), wanted, have, strict=True):
        if was != is_now:
            raise ValidationError(
                f"Campaign '{campaign.name}' sends its {channel} through {was}, but "
                f"Duet is set up for {is_now} now; set {was} up again to finish it."
            )
    return run_campaign(
        db,
        campaign_id,
        senders,
        progress=progress,
        cancel=cancel,
        sms_rate=sms_rate,
        policy=policy,
        clock=clock,
        sleep=sleep,
        now=now,
    )


def _summary(
    db: sqlite_utils.Database,
    campaign: Campaign,
    run: _Run,
    stopped: str | None,
    senders: Senders,
) -> SendSummary:
    counts = messages.count_by_state(db, campaign.id)
    segments, cost = messages.sent_totals(db, campaign.id)
    held = messages.count_held(db, campaign.id, run.started)
    return SendSummary(
        campaign=campaign.name,
        campaign_id=campaign.id,
        sent=counts["sent"] + counts["delivered"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        queued=counts["queued"] - held,
        unknown=counts["unknown"],
        segments=segments,
        cost=cost,
        held=held,
        held_address=messages.count_waiting_for_address(db, campaign.id),
        held_review=messages.count_waiting_for_review(db, campaign.id),
        sent_now=run.counts.sent_now,
        stopped=stopped,
        confirmed=run.counts.confirmed,
        requeued=run.counts.requeued,
        providers=(senders.sms.name, senders.email.name),
    )


def send_campaign(
    db: sqlite_utils.Database,
    *,
    data_dir: Path,
    template_name: str,
    tag: str | None = None,
    everyone: bool = False,
    use_outbox: bool = True,
    progress: Progress | None = None,
    senders: Senders | None = None,
    sms_rate: float | None = None,
    now: datetime | None = None,
    again: bool = False,
    ab_split: bool = False,
) -> SendSummary:
    """Plan, queue and send a template in one go (the command line's ``send``).

    Args:
        data_dir: Duet's data folder, which holds the test outbox.
        template_name: the stored template to send.
        tag: send to the contacts carrying this tag.
        everyone: send to every contact.
        use_outbox: send into the local test outbox even when Twilio and SMTP
            are set up; False uses the saved credentials (each channel falls back
            to the outbox when its provider is not set up).
        progress: called with (done, total) after each message.
        senders: use these providers instead (they are not closed here).
        sms_rate: SMS segments per second; defaults to the saved Twilio rate.
        now: the time to plan for (quiet hours); default the current time.
        again: send even if this template went to the same audience in the last
            day (otherwise that is refused, so a retry never doubles a campaign).
        ab_split: an A/B test between the template's SMS text and its variant B.

    Returns:
        The campaign's totals.

    Raises:
        ValidationError: see :func:`plan_send`.
        CredentialsError: the keyring is locked or a saved entry is damaged.
    """
    own = senders is None
    if senders is None:
        from desktop_app.providers.factory import senders_from_credentials

        senders, mode = senders_from_credentials(data_dir, use_outbox=use_outbox)
        logger.debug("sending through %s", mode)
        if sms_rate is None and senders.sms.name == "twilio":
            sms_rate = sms_rate_from_credentials()
    try:
        plan = plan_send(
            db,
            template_name=template_name,
            tag=tag,
            everyone=everyone,
            test_mode=senders.sms.name == "outbox",
            now=now,
            ab_split=ab_split,
        )
        earlier = None if again else recent_repeat(db, plan)
        if earlier is not None:
            when = settings.shown_time(earlier.created_at, settings.shop_zone(db))
            raise ValidationError(
                f"'{plan.template_name}' already went to the same customers at "
                f"{when} (campaign '{earlier.name}'). "
                "Nothing was sent. To send it again, add --again."
            )
        campaign_id = queue_plan(
            db,
            plan,
            provider_sms=senders.sms.name,
            provider_email=senders.email.name,
        )
        if senders.sms.name != "outbox":
            _refuse_over_cap(db, campaign_id, plan, now)
        return run_campaign(
            db, campaign_id, senders, progress=progress, sms_rate=sms_rate
        )
    finally:
        if own:
            senders.close()


def resume_all(
    db: sqlite_utils.Database,
    senders: Senders,
    *,
    sms_rate: float | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    now: Callable[[], datetime] | None = None,
) -> list[SendSummary]:
    """Finish every interrupted campaign sent through ``senders``' providers.

    Campaigns queued with other providers are reported with ``stopped`` saying so
    and are left untouched. Emails that waited for the shop's postal address go
    too once it is set (:func:`release_address_holds`).

    Args:
        now: the wall clock for quiet hours, as for :func:`run_campaign`.

    Returns:
        One summary per interrupted campaign, oldest first.
    """
    release_address_holds(db)

    summaries: list[SendSummary] = []
    for campaign in interrupted_campaigns(db):
        try:
            summaries.append(
                resume_campaign(
                    db,
                    campaign.id,
                    senders,
                    progress,
                    cancel,
                    sms_rate=sms_rate,
                    now=now,
                )
            )
        except ValidationError as error:
            summaries.append(_untouched(db, campaign, error.message))
    return summaries


def _untouched(
    db: sqlite_utils.Database, campaign: Campaign, reason: str
) -> SendSummary:
    counts = messages.count_by_state(db, campaign.id)
    segments, cost = messages.sent_totals(db, campaign.id)
    held = messages.count_held(db, campaign.id, utc_now())
    return SendSummary(
        campaign=campaign.name,
        campaign_id=campaign.id,
        sent=counts["sent"] + counts["delivered"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        queued=counts["queued"] - held,
        held=held,
        held_address=messages.count_waiting_for_address(db, campaign.id),
        held_review=messages.count_waiting_for_review(db, campaign.id),
        unknown=counts["unknown"] + counts["sending"],
        segments=segments,
        cost=cost,
        stopped=reason,
        providers=(campaign.provider_sms, campaign.provider_email),
    )
