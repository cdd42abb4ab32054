"""Sending a paired template: plan, queue, and the loop that sends the queue.

``run_campaign`` is a plain blocking function. The window calls it from a worker
thread with a database connection opened in that thread; the command line calls it
directly. Every message is recorded as ``sending`` before its provider call and as
``sent`` or ``failed`` after it, so an interrupted campaign can be resumed by calling
``run_campaign`` again without sending anything twice.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop_app.core import planning
from desktop_app.core.planning import SendPlan
from desktop_app.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    ValidationError,
)
from desktop_app.providers.base import OutgoingEmail, Senders, SendReceipt
from desktop_app.providers.outbox import outbox_senders
from desktop_app.storage import consent, contacts, messages, settings, templates
from desktop_app.storage.messages import MessageRow

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted while sending; check before resending"
CANCELLED = "cancelled"

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


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
        unknown: messages interrupted mid-send, to be checked by hand.
        segments: SMS segments of the sent SMS.
        cost: the cost of the sent SMS, in dollars.
        sent_now: messages sent by this run.
        stopped: why the run stopped early (``cancelled`` or the provider's
            message), else None.
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
        if self.unknown:
            text += f" {self.unknown} interrupted mid-send: check before resending."
        return text


def plan_send(
    db: sqlite_utils.Database,
    *,
    template_name: str,
    tag: str | None = None,
    everyone: bool = False,
) -> SendPlan:
    """Plan sending a template to the contacts with a tag, or to everyone.

    Args:
        template_name: the stored template to send.
        tag: send to the contacts carrying this tag.
        everyone: send to every contact (``tag`` must then be None).

    Returns:
        The plan: one message per contact and channel, to send or skip.

    Raises:
        ValidationError: no such template, no audience chosen, or nobody in it.
    """
    if bool(tag) == everyone:
        raise ValidationError("Choose either a tag or everyone to send to.")
    template = templates.get_template(db, template_name)

    audience = contacts.list_contacts(db, tag=tag if not everyone else None)
    if not audience:
        if everyone:
            raise ValidationError("There are no contacts yet; import some first.")
        raise ValidationError(f"No contact has the tag '{tag}'.")

    ids = [contact.id for contact in audience]
    consents = {
        channel: consent.consent_map(db, ids, channel) for channel in ("sms", "email")
    }
    return planning.build_plan(
        audience,
        consents,
        template,
        settings.get_settings(db),
        template_name=template.name,
        template_id=template.id,
        audience={"everyone": True} if everyone else {"tag": tag},
        transactional=template.transactional,
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
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
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


def _email_for(row: MessageRow, shop: dict[str, str]) -> OutgoingEmail:
    headers: dict[str, str] = {}
    if shop.get("shop.email"):
        # TODO: #6 a per-contact unsubscribe token in the mailto link.
        headers["List-Unsubscribe"] = (
            f"<mailto:{shop['shop.email']}?subject=unsubscribe>"
        )
    return OutgoingEmail(
        to=row.to,
        subject=row.subject,
        text=row.body,
        html=row.html,
        from_address=shop.get("shop.email", ""),
        from_name=shop.get("shop.name", ""),
        headers=headers,
    )


def _send_one(row: MessageRow, senders: Senders, shop: dict[str, str]) -> SendReceipt:
    if row.channel == "sms":
        return senders.sms.send_sms(row.to, row.body)
    return senders.email.send_email(_email_for(row, shop))


def _reconcile_interrupted(db: sqlite_utils.Database, campaign_id: int) -> None:
    # TODO: #5 ask the provider (Twilio message list) whether these went out.
    stranded = messages.mark_interrupted(db, campaign_id, reason=INTERRUPTED)
    if stranded:
        logger.warning(
            "campaign %d: %d messages were interrupted mid-send and are marked unknown",
            campaign_id,
            stranded,
        )


def _send_queue(
    db: sqlite_utils.Database,
    campaign_id: int,
    senders: Senders,
    progress: Progress | None,
    cancel: Cancel | None,
) -> tuple[int, str | None]:
    shop = settings.get_settings(db)
    total = messages.count_by_state(db, campaign_id)["queued"]
    done = sent_now = 0
    last_id = 0

    while batch := messages.queued_messages(db, campaign_id, after_id=last_id):
        for row in batch:
            last_id = row.id
            if cancel is not None and cancel():
                return sent_now, CANCELLED
            sender_name = (
                senders.sms.name if row.channel == "sms" else senders.email.name
            )
            if not messages.mark_sending(db, row.id, sender_name):
                continue

            try:
                receipt = _send_one(row, senders, shop)
            except (ProviderUnavailable, ProviderAuthError) as error:
                # TODO: #5 a timeout after the request left is ambiguous; mark unknown.
                messages.release_to_queue(db, row.id)
                return sent_now, error.message
            except ProviderError as error:
                # TODO: #5 retry errors marked retryable (429, 5xx) with backoff.
                code = None if error.code is None else str(error.code)
                messages.mark_failed(db, row.id, reason=error.message, error_code=code)
                logger.debug("message %d failed: %s", row.id, error.message)
            else:
                messages.mark_sent(
                    db, row.id, provider_id=receipt.provider_id, cost=receipt.price
                )
                sent_now += 1

            done += 1
            if progress is not None:
                progress(done, total)
    return sent_now, None


def run_campaign(
    db: sqlite_utils.Database,
    campaign_id: int,
    senders: Senders,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> SendSummary:
    """Send a campaign's queued messages in order; resumable.

    Messages left in ``sending`` by an earlier, interrupted run are never re-sent:
    they become ``unknown`` with a reason. A refused message fails alone and the
    batch goes on; an unreachable provider (or refused credentials) pauses the
    campaign with the rest still queued, as does ``cancel``.

    Args:
        db: a connection owned by the calling thread; the only one used.
        campaign_id: the campaign to send.
        senders: the SMS and email providers.
        progress: called with (messages done, messages to do) after each message.
        cancel: asked before each message; True stops the run.

    Returns:
        The campaign's totals after this run.

    Raises:
        ValidationError: no campaign has that id.
    """
    campaign = messages.get_campaign(db, campaign_id)
    _reconcile_interrupted(db, campaign_id)
    messages.set_campaign_state(db, campaign_id, "sending")

    sent_now, stopped = _send_queue(db, campaign_id, senders, progress, cancel)

    state = "paused" if stopped else "finished"
    messages.set_campaign_state(db, campaign_id, state, finished=not stopped)
    summary = _summary(db, campaign.id, campaign.name, sent_now, stopped)
    logger.info(
        "campaign %d %s: %d sent now, %d sent, %d failed, %d skipped, %d queued",
        campaign_id,
        state,
        sent_now,
        summary.sent,
        summary.failed,
        summary.skipped,
        summary.queued,
    )
    return summary


def _summary(
    db: sqlite_utils.Database,
    campaign_id: int,
    name: str,
    sent_now: int,
    stopped: str | None,
) -> SendSummary:
    counts = messages.count_by_state(db, campaign_id)
    segments, cost = messages.sent_totals(db, campaign_id)
    return SendSummary(
        campaign=name,
        campaign_id=campaign_id,
        sent=counts["sent"] + counts["delivered"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        queued=counts["queued"],
        unknown=counts["unknown"],
        segments=segments,
        cost=cost,
        sent_now=sent_now,
        stopped=stopped,
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
) -> SendSummary:
    """Plan, queue and send a template in one go (the command line's ``send``).

    Args:
        data_dir: Duet's data folder, which holds the test outbox.
        template_name: the stored template to send.
        tag: send to the contacts carrying this tag.
        everyone: send to every contact.
        use_outbox: send into the local test outbox.
        progress: called with (done, total) after each message.

    Returns:
        The campaign's totals.

    Raises:
        ValidationError: see :func:`plan_send`; also when real sending is asked for.
    """
    if not use_outbox:
        # TODO: #5 Twilio and SMTP senders from the keyring credentials.
        raise ValidationError("Real sending is not set up yet; use the test outbox.")

    plan = plan_send(db, template_name=template_name, tag=tag, everyone=everyone)
    campaign_id = queue_plan(db, plan)
    senders = outbox_senders(data_dir)
    try:
        return run_campaign(db, campaign_id, senders, progress=progress)
    finally:
        senders.close()
