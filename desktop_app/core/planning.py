"""Plan a send: for each contact and channel, render the message and decide.

Pure rules, no I/O (the caller passes the clock, consent and SMS history). The plan
is shown before anything is sent: what goes out, what waits and until when, what is
skipped and why (in plain words), how many SMS segments it costs and the estimate.

The decisions, in order, for each SMS:

1. no phone number, or a landline: skip;
2. consent (``core.consent_rules``): after an opt-out no SMS at all; a marketing
   SMS needs SMS consent (``opted_in``); a transactional one does not. In test mode
   (the outbox) an SMS without consent still goes to the outbox with a note;
3. merge-field problems, an empty or over-long body: skip;
4. **opt-out wording**: when the contact had no SMS from the shop in the last 30
   days and the body lacks opt-out wording, `` Reply STOP to opt out.`` is appended
   (after the shop's name when the body does not name the shop) and the segments
   are counted again;
5. **quiet hours** (``core.quiet_hours``) in the recipient's time zone (contact, else
   phone number, else shop) and the number's state or country: a marketing SMS
   outside the allowed hours is *held* (action ``hold``) with ``not_before`` and a
   reason such as ``held until 08:00 CST, Florida rule``; transactional SMS are
   exempt. In test mode nothing is held: the SMS goes to the outbox with a note
   saying when it would have gone out for real.

And for each email: no address, an unsubscribed one or one that bounced: skip; merge
problems or an empty message: skip; while the shop's postal address is not set, the email is held
(no ``not_before``) and goes out once the address is set. A marketing email whose
consent is unknown is allowed (CAN-SPAM is opt-out based) and the plan says so.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from desktop_app.core import (
    abtest,
    consent_rules,
    lint,
    quiet_hours,
    segments,
    timezones,
    utm,
)
from desktop_app.core import templates as core_templates
from desktop_app.core.quiet_hours import RuleTable
from desktop_app.core.templates import ShopInfo, TemplateText
from desktop_app.core.words import counted

if TYPE_CHECKING:
    from desktop_app.storage.contacts import Contact

CHANNELS = ("sms", "email")
SEND = "send"
SKIP = "skip"
HOLD = "hold"

HOLD_QUIET_HOURS = "quiet_hours"
HOLD_ADDRESS = "address"
HOLD_REVIEW = "review"

NO_PHONE = "no phone number"
PHONE_NOT_USABLE = (
    "phone number could not be read as a full international number; "
    "check it on the contact's page"
)
LANDLINE = "phone is a landline"
SMS_OPTED_OUT = consent_rules.SMS_OPTED_OUT
NO_SMS_CONSENT = consent_rules.NO_SMS_CONSENT
EMAIL_UNSUBSCRIBED = consent_rules.EMAIL_UNSUBSCRIBED
NO_EMAIL = "no email address"
EMPTY = "message is empty"
NO_ADDRESS = "shop postal address not set in Settings"
MERGE_PROBLEM = "merge field problem: "
TOO_LONG_WITH_STOP = "too long once 'Reply STOP to opt out' is added: "
BOUNCED = "the address bounced: "
NO_SHOP_NAME = (
    "the shop's name is not set in Settings, and the first SMS to a customer must "
    "say who sends it"
)
# A text or a mail may ask to stop either channel; the reason says which one.
# Such a message waits (queued with this reason) until the owner decides: "not an
# opt-out" lets it go, "opt-out" skips it.
AWAITING_REVIEW = (
    "waits for your decision: a reply from this customer may mean stop the texts "
    "(Replies page)"
)
AWAITING_REVIEW_EMAIL = (
    "waits for your decision: a reply from this customer may mean stop the emails "
    "(Replies page)"
)
# A message a decision let go that still waits for quiet hours says so.
QUIET_AFTER_REVIEW = "held for the recipient's quiet hours; goes out by itself"
REVIEW_REASONS = (AWAITING_REVIEW, AWAITING_REVIEW_EMAIL)
REVIEW_REASON_FOR = {"sms": AWAITING_REVIEW, "email": AWAITING_REVIEW_EMAIL}

LANDLINE_KINDS = frozenset({"fixed_line", "fixed line", "landline"})


@dataclass(frozen=True)
class PlannedMessage:
    """One message of a plan: one contact on one channel, to send, hold or skip.

    Attributes:
        contact_id: the contact.
        channel: ``sms`` or ``email``.
        to: the E.164 number or the address ("" when there is none).
        body: the exact SMS text, or the email's plain-text part.
        subject: the email's subject.
        html: the email's HTML part.
        segments: SMS segments of ``body``.
        encoding: ``GSM-7`` or ``UCS-2`` for an SMS.
        action: ``send``, ``hold`` (queued, waits) or ``skip``.
        reason: why it is skipped or held, in plain words; else None.
        cost: the SMS's estimated cost in dollars.
        not_before: when held for quiet hours, the first moment it may go out
            (aware, UTC); None otherwise.
        hold_kind: ``quiet_hours``, ``address`` or ``review`` when held, else None.
        transactional: sent from a template the owner marked transactional.
        note: something the owner should know about a message that goes out
            (test mode, CAN-SPAM); never a skip reason.
        stop_added: `` Reply STOP to opt out.`` was appended to ``body``.
        variant: ``A`` or ``B`` in an A/B test (the SMS text the contact got);
            None otherwise.
    """

    contact_id: int
    channel: str
    to: str
    body: str
    subject: str = ""
    html: str = ""
    segments: int = 0
    encoding: str | None = None
    action: str = SEND
    reason: str | None = None
    cost: float = 0.0
    not_before: datetime | None = None
    hold_kind: str | None = None
    transactional: bool = False
    note: str | None = None
    stop_added: bool = False
    variant: str | None = None

    @property
    def is_send(self) -> bool:
        """Return True when this message will be sent now."""
        return self.action == SEND

    @property
    def is_hold(self) -> bool:
        """Return True when this message is queued but waits (quiet hours, address)."""
        return self.action == HOLD

    @property
    def is_queued(self) -> bool:
        """Return True when this message goes into the queue (sent now or later)."""
        return self.action in (SEND, HOLD)

    @property
    def not_before_text(self) -> str | None:
        """Return ``not_before`` as UTC ISO 8601 text, as ``messages`` stores it."""
        if self.not_before is None:
            return None
        return self.not_before.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class SendPlan:
    """Every planned message of one send, with its totals."""

    template_name: str
    template_id: int | None
    audience: dict[str, Any]
    price_per_segment: float
    transactional: bool = False
    test_mode: bool = False
    messages: list[PlannedMessage] = field(default_factory=list)
    shop_name: str = ""
    promotion: tuple[str, ...] = ()

    @property
    def variants(self) -> dict[str, int]:
        """Return how many customers get each A/B text (empty without a split)."""
        counts = Counter(
            m.variant for m in self.messages if m.channel == "sms" and m.variant
        )
        return dict(sorted(counts.items()))

    @property
    def to_send(self) -> dict[str, int]:
        """Return how many messages go out now, per channel."""
        counts = Counter(m.channel for m in self.messages if m.is_send)
        return {channel: counts.get(channel, 0) for channel in CHANNELS}

    @property
    def held(self) -> dict[str, int]:
        """Return how many messages wait, per kind (quiet hours, address, review)."""
        counts = Counter(m.hold_kind or "" for m in self.messages if m.is_hold)
        kinds = (HOLD_QUIET_HOURS, HOLD_ADDRESS, HOLD_REVIEW)
        return {kind: counts.get(kind, 0) for kind in kinds}

    @property
    def skipped(self) -> dict[str, int]:
        """Return how many messages are skipped, per reason, most common first."""
        counts = Counter(m.reason or "" for m in self.messages if m.action == SKIP)
        return dict(counts.most_common())

    @property
    def notes(self) -> dict[str, int]:
        """Return the notes on messages that go out, with how many carry each."""
        counts = Counter(m.note for m in self.messages if m.is_queued and m.note)
        return dict(counts.most_common())

    @property
    def stop_added(self) -> int:
        """Return how many SMS got `` Reply STOP to opt out.`` appended."""
        return sum(1 for m in self.messages if m.is_queued and m.stop_added)

    @property
    def total_segments(self) -> int:
        """Return the segments of every SMS that goes out, now or when allowed."""
        return sum(
            m.segments for m in self.messages if m.is_queued and m.channel == "sms"
        )

    @property
    def estimated_cost(self) -> float:
        """Return the segments times the price per segment, in dollars."""
        return round(self.total_segments * self.price_per_segment, 4)

    @property
    def worst_case_segments(self) -> int:
        """Return the most segments any one SMS of this plan takes."""
        sizes = [
            m.segments for m in self.messages if m.is_queued and m.channel == "sms"
        ]
        return max(sizes, default=0)

    def notice_lines(self) -> list[str]:
        """Return the plan's compliance notes in plain words, one per line."""
        lines: list[str] = []
        held = self.held
        if held[HOLD_QUIET_HOURS]:
            lines.append(
                f"{held[HOLD_QUIET_HOURS]} held for quiet hours, "
                "sent automatically when allowed."
            )
        if held[HOLD_ADDRESS]:
            lines.append(
                f"Waiting for the shop's postal address: {counted(held[HOLD_ADDRESS], 'email')}. "
                "Every email must carry it; set it in Settings to send."
            )
        if held[HOLD_REVIEW]:
            lines.append(
                "Waiting for your decision on a reply that may mean stop (Replies "
                f"page): {counted(held[HOLD_REVIEW], 'message')}."
            )
        if self.stop_added:
            who = counted(self.stop_added, "first-time recipient")
            what = "the shop's name and " if self.shop_name else ""
            lines.append(
                f"Added {what}'Reply STOP to opt out' for {who} (no SMS from the "
                "shop in the last 30 days)."
            )
        if not self.shop_name and any(
            m.channel == "sms" and m.is_queued for m in self.messages
        ):
            lines.append(
                "The shop's name is not set in Settings, so first-time SMS cannot say "
                "who sends them: set it before sending for real."
            )
        if self.promotion:
            quoted = ", ".join(f"'{word}'" for word in self.promotion)
            lines.append(
                f"The template is marked transactional but promotes ({quoted}), so "
                "it is sent as marketing: quiet hours and marketing consent apply."
            )
        if self.transactional:
            queued = sum(1 for m in self.messages if m.is_queued)
            lines.append(
                f"Transactional template: {counted(queued, 'message')} recorded as "
                "transactional (exempt from quiet hours and marketing consent, "
                "never from an opt-out)."
            )
        for note, count in self.notes.items():
            lines.append(f"Note ({counted(count, 'message')}): {note}")
        return lines

    def split_text(self) -> str:
        """Return the A/B split in one line ("" when the plan has no split)."""
        split = self.variants
        if not split:
            return ""
        return (
            f"A/B test: {split.get('A', 0)} customers get text A, "
            f"{split.get('B', 0)} get text B."
        )

    def summary_text(self) -> str:
        """Return the plan in a few plain lines for the shop owner."""
        sends = self.to_send
        lines = [
            f"Template '{self.template_name}': {sends['sms']} SMS and "
            f"{counted(sends['email'], 'email')} to send.",
            f"SMS segments: {self.total_segments} (at most {self.worst_case_segments} "
            f"per message), estimated cost ${self.estimated_cost:.2f}.",
        ]
        if self.test_mode:
            lines.append("Test mode: messages go to the local outbox only.")
        if self.variants:
            lines.append(self.split_text())
        lines += self.notice_lines()
        for reason, count in self.skipped.items():
            lines.append(f"Skipped {count}: {reason}")
        return "\n".join(lines)

    def messages_json(self) -> list[dict[str, Any]]:
        """Return every planned message's decision as JSON (no message text)."""
        return [
            {
                "contact_id": m.contact_id,
                "channel": m.channel,
                "to": m.to,
                "action": m.action,
                "reason": m.reason,
                "not_before": m.not_before_text,
                "segments": m.segments,
                "cost": m.cost,
                "transactional": m.transactional,
                "note": m.note,
                "stop_added": m.stop_added,
                "variant": m.variant,
            }
            for m in self.messages
        ]

    def to_json(self) -> dict[str, Any]:
        """Return the plan's totals as JSON."""
        return {
            "template": self.template_name,
            "audience": self.audience,
            "to_send": self.to_send,
            "held": self.held,
            "skipped": self.skipped,
            "notes": self.notes,
            "stop_added": self.stop_added,
            "transactional": self.transactional,
            "test_mode": self.test_mode,
            "segments": self.total_segments,
            "worst_case_segments": self.worst_case_segments,
            "estimated_cost": self.estimated_cost,
            "variants": self.variants,
        }


@dataclass(frozen=True)
class _Context:
    """What every message of one plan is judged against."""

    shop: ShopInfo
    shop_zone: str
    price: float
    transactional: bool
    test_mode: bool
    now: datetime
    rules: RuleTable
    last_sms_at: Mapping[int, datetime]
    bounced: Mapping[str, str] = field(default_factory=dict)
    awaiting_review: Mapping[str, frozenset[int]] = field(default_factory=dict)


def price_from_settings(settings: Mapping[str, str]) -> float:
    """Return ``sms.price_per_segment`` as a number (0 when unreadable)."""
    try:
        return float(Decimal(settings.get("sms.price_per_segment", "0") or "0"))
    except InvalidOperation:
        return 0.0


def _skip(
    ctx: _Context, contact: "Contact", channel: str, to: str, reason: str
) -> PlannedMessage:
    return PlannedMessage(
        contact_id=contact.id,
        channel=channel,
        to=to,
        body="",
        action=SKIP,
        reason=reason,
        transactional=ctx.transactional,
    )


def _merge_problem(problems: list[core_templates.TemplateProblem]) -> str:
    return MERGE_PROBLEM + "; ".join(str(problem) for problem in problems)


def _sms_body(
    contact: "Contact", body: str, ctx: _Context
) -> tuple[str, bool, str | None]:
    """Return the body to send, whether STOP wording was added, and any problem."""
    problem = EMPTY if not body.strip() else segments.body_problem(body)
    if problem:
        return body, False, problem

    last = ctx.last_sms_at.get(contact.id)
    if not consent_rules.needs_stop_notice(last, ctx.now):
        return body, False, None
    has_stop = consent_rules.has_stop_wording(body)
    name = " ".join(ctx.shop.name.split())
    if name and consent_rules.names_shop(body, name):
        if has_stop:
            return body, False, None
    elif not name:
        # The first marketing SMS must say who sends it; without a name it cannot.
        # (A receipt the customer asked for still goes, with the STOP notice.)
        if not ctx.test_mode and not ctx.transactional:
            return body, False, NO_SHOP_NAME
        if has_stop:
            return body, False, None
    elif has_stop:
        longer = f"{name}: {body}"
        problem = segments.body_problem(longer)
        return longer, True, TOO_LONG_WITH_STOP + problem if problem else None
    longer = consent_rules.with_stop_notice(body, name)
    problem = segments.body_problem(longer)
    return longer, True, TOO_LONG_WITH_STOP + problem if problem else None


def _quiet_hours(
    contact: "Contact", to: str, ctx: _Context
) -> quiet_hours.QuietDecision:
    zones = timezones.recipient_zones(contact.timezone, to, ctx.shop_zone)
    country, state = timezones.region_for_number(to)
    return quiet_hours.decide_everywhere(
        ctx.now,
        zones=[choice.zone for choice in zones],
        country=country,
        state=state,
        transactional=ctx.transactional,
        rules=ctx.rules,
    )


def _sms_decision(
    contact: "Contact",
    status: str,
    rendered: core_templates.RenderedPair,
    problems: list[core_templates.TemplateProblem],
    ctx: _Context,
) -> PlannedMessage:
    to = contact.phone or ""
    if not to:
        return _skip(
            ctx, contact, "sms", "", PHONE_NOT_USABLE if contact.phones else NO_PHONE
        )
    if contact.phone_kind in LANDLINE_KINDS:
        return _skip(ctx, contact, "sms", to, LANDLINE)
    consent = consent_rules.sms_consent(
        status, transactional=ctx.transactional, test_mode=ctx.test_mode
    )
    if not consent.allowed:
        return _skip(ctx, contact, "sms", to, consent.reason or NO_SMS_CONSENT)
    merge = [problem for problem in problems if problem.kind == "merge"]
    if merge:
        return _skip(ctx, contact, "sms", to, _merge_problem(merge))

    body, stop_added, problem = _sms_body(contact, rendered.sms_body, ctx)
    if problem:
        return _skip(ctx, contact, "sms", to, problem)
    count = segments.count_segments(body)
    message = PlannedMessage(
        contact_id=contact.id,
        channel="sms",
        to=to,
        body=body,
        segments=count.segments,
        encoding=count.encoding,
        cost=round(count.segments * ctx.price, 6),
        transactional=ctx.transactional,
        note=consent.note,
        stop_added=stop_added,
    )

    decision = _quiet_hours(contact, to, ctx)
    if decision.allowed:
        return message
    if ctx.test_mode:
        note = f"test mode: would be {decision.reason} when sending for real"
        return replace(message, note=_join_notes(message.note, note))
    return replace(
        message,
        action=HOLD,
        reason=decision.reason,
        not_before=decision.next_allowed_utc,
        hold_kind=HOLD_QUIET_HOURS,
    )


def _promotion(template: TemplateText) -> tuple[str, ...]:
    texts = (
        template.sms_body,
        str(getattr(template, "sms_body_b", "") or ""),
        template.email_subject,
        template.email_body,
    )
    found: dict[str, str] = {}
    for text in texts:
        for words in lint.promotional_words(text):
            found.setdefault(words.lower(), words)
    return tuple(found.values())


def _join_notes(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


def _email_decision(
    contact: "Contact",
    status: str,
    rendered: core_templates.RenderedPair,
    problems: list[core_templates.TemplateProblem],
    ctx: _Context,
) -> PlannedMessage:
    to = contact.email or ""
    if not to:
        return _skip(ctx, contact, "email", "", NO_EMAIL)
    consent = consent_rules.email_consent(status, transactional=ctx.transactional)
    if not consent.allowed:
        return _skip(ctx, contact, "email", to, consent.reason or EMAIL_UNSUBSCRIBED)
    bounce = ctx.bounced.get(to.casefold())
    if bounce is not None:
        return _skip(ctx, contact, "email", to, BOUNCED + bounce)
    if problems:
        return _skip(ctx, contact, "email", to, _merge_problem(problems))
    if not rendered.email_text.strip() or not rendered.email_subject:
        return _skip(ctx, contact, "email", to, EMPTY)

    # Marketing email must carry the postal address (CAN-SPAM); a receipt or other
    # transactional email need not wait for it.
    waits = not ctx.shop.address.strip() and not ctx.transactional
    return PlannedMessage(
        contact_id=contact.id,
        channel="email",
        to=to,
        body=rendered.email_text,
        subject=rendered.email_subject,
        html=rendered.email_html,
        action=HOLD if waits else SEND,
        reason=NO_ADDRESS if waits else None,
        hold_kind=HOLD_ADDRESS if waits else None,
        transactional=ctx.transactional,
        note=consent.note,
    )


def _await_review(
    message: PlannedMessage, ctx: _Context, reason: str
) -> PlannedMessage:
    """Make a message wait while a reply of its contact may mean stop its channel.

    It keeps any quiet-hours time it has; the owner's decision lets it go or skips
    it (``history.decide_review``).
    """
    waiting = ctx.awaiting_review.get(message.channel, ())
    if not message.is_queued or message.contact_id not in waiting:
        return message
    return replace(message, action=HOLD, reason=reason, hold_kind=HOLD_REVIEW)


def _with_utm(
    rendered: core_templates.RenderedPair, campaign: str, variant: str | None = None
) -> core_templates.RenderedPair:
    """Tag the links of both messages so the shop's web analytics can tell them apart.

    Done before counting, so the segment count covers the tagged SMS exactly.
    """
    if not campaign:
        return rendered
    return replace(
        rendered,
        sms_body=utm.tag_links(rendered.sms_body, campaign, "sms", variant),
        email_text=utm.tag_links(rendered.email_text, campaign, "email", variant),
        email_html=utm.tag_links(
            rendered.email_html, campaign, "email", variant, is_html=True
        ),
    )


def build_plan(
    contacts: Iterable["Contact"],
    consent: Mapping[str, Mapping[int, str]],
    template: TemplateText,
    settings: Mapping[str, str],
    *,
    template_name: str = "",
    template_id: int | None = None,
    audience: Mapping[str, Any] | None = None,
    transactional: bool = False,
    test_mode: bool,
    now: datetime | None = None,
    last_sms_at: Mapping[int, datetime] | None = None,
    quiet_rules: RuleTable | None = None,
    extra_values: Mapping[int, Mapping[str, str]] | None = None,
    ab_split: bool = False,
    bounced: Mapping[str, str] | None = None,
    awaiting_review: Mapping[str, Iterable[int]] | None = None,
) -> SendPlan:
    """Plan one SMS and one email per contact.

    Args:
        contacts: the audience, in the order messages should go out.
        consent: per channel (``sms``, ``email``), contact id to current status
            (``opted_in``, ``opted_out``, ``unknown``); missing ids are ``unknown``.
        template: the paired template's texts.
        settings: the shop's settings (``shop.*``, ``sms.price_per_segment``).
        template_name: the template's name, for the plan's summary.
        template_id: the stored template's id, for the campaign row.
        audience: how the contacts were chosen, e.g. ``{"tag": "vip"}``.
        transactional: the template is a receipt or notice, not marketing. One
            that contains promotional wording is planned as marketing anyway, and
            the plan says so (``promotion``).
        test_mode: the messages go to the local test outbox. SMS without consent
            and SMS outside quiet hours then go out with a note instead of being
            skipped or held. Callers sending for real must pass False.
        now: the planning time (aware); defaults to the current time.
        last_sms_at: per contact, when the shop last sent it an SMS; a contact
            missing here counts as never texted (opt-out wording is added).
        quiet_rules: the quiet-hours table; defaults to the shipped one.
        extra_values: per contact id, more merge values for that recipient only
            (a trigger event's ``order_number``...); they win over the contact's
            custom fields of the same name.
        ab_split: split the contacts at random between the SMS text (``A``) and
            the template's ``sms_body_b`` (``B``); ignored when the template has
            no variant B. The split is the same for the same ``template_id``.
        bounced: email addresses a mail server refused for good, each with the
            words saying when and why (``bounced on 2027-01-12 (5.1.1)``); an email
            to one of them is skipped until the owner fixes the address.
        awaiting_review: per channel, contacts whose reply (SMS) or mail (email)
            may mean stop and waits for the owner's decision; they get nothing on
            that channel until it is decided.

    Returns:
        The plan, with one message per contact and channel.

    Raises:
        ValidationError: a recipient's time zone is needed from the shop and
            ``shop.timezone`` is not a time zone name.
    """
    price = price_from_settings(settings)
    # A "transactional" template that promotes is marketing, whatever its flag says.
    promotion = _promotion(template) if transactional else ()
    transactional = transactional and not promotion
    ctx = _Context(
        shop=ShopInfo.from_settings(settings),
        shop_zone=settings.get("shop.timezone", "") or "UTC",
        price=price,
        transactional=transactional,
        test_mode=test_mode,
        now=now or datetime.now(UTC),
        rules=quiet_rules or quiet_hours.load_rules(),
        last_sms_at=last_sms_at or {},
        bounced={address.casefold(): why for address, why in (bounced or {}).items()},
        awaiting_review={
            channel: frozenset(ids) for channel, ids in (awaiting_review or {}).items()
        },
    )
    plan = SendPlan(
        template_name=template_name,
        template_id=template_id,
        audience=dict(audience or {}),
        price_per_segment=price,
        transactional=transactional,
        test_mode=test_mode,
        shop_name=ctx.shop.name,
        promotion=promotion,
    )
    sms_consent = consent.get("sms", {})
    email_consent = consent.get("email", {})

    checked: dict[
        tuple[str | None, frozenset[str]], list[core_templates.TemplateProblem]
    ] = {}

    per_contact = extra_values or {}

    contacts = list(contacts)
    texts = _variant_texts(template, contacts, template_id, ab_split)

    for contact in contacts:
        variant = texts.assigned.get(contact.id)
        text = texts.b if variant == "B" else texts.a
        own = per_contact.get(contact.id, {})
        extra = frozenset(str(key) for key in contact.custom) | frozenset(own)
        if (variant, extra) not in checked:
            checked[variant, extra] = core_templates.check_template(
                text.sms_body, text.email_subject, text.email_body, extra
            )
        problems = checked[variant, extra]
        sms_problems = [p for p in problems if p.field == core_templates.SMS_FIELD]
        email_problems = [p for p in problems if p.field != core_templates.SMS_FIELD]
        values = contact.merge_values()
        if own:
            values.update({str(key): str(value) for key, value in own.items()})
        rendered = _with_utm(
            core_templates.render_pair(text, values, shop=ctx.shop),
            template_name,
            variant,
        )

        status = sms_consent.get(contact.id, "unknown")
        sms = _await_review(
            _sms_decision(contact, status, rendered, sms_problems, ctx),
            ctx,
            AWAITING_REVIEW,
        )
        status = email_consent.get(contact.id, "unknown")
        email = _await_review(
            _email_decision(contact, status, rendered, email_problems, ctx),
            ctx,
            AWAITING_REVIEW_EMAIL,
        )
        plan.messages += [
            replace(sms, variant=variant),
            replace(email, variant=variant),
        ]
    return plan


@dataclass(frozen=True)
class _VariantTexts:
    """The template for text A and for text B, and who gets which."""

    a: TemplateText
    b: TemplateText
    assigned: Mapping[int, str]


@dataclass(frozen=True)
class _SwappedSms:
    """A template's texts with variant B's SMS in place of the first one."""

    sms_body: str
    email_subject: str
    email_body: str


def _variant_texts(
    template: TemplateText,
    contacts: list["Contact"],
    template_id: int | None,
    ab_split: bool,
) -> _VariantTexts:
    text_b = str(getattr(template, "sms_body_b", "") or "")
    if not ab_split or not text_b.strip():
        return _VariantTexts(template, template, {})
    swapped = _SwappedSms(text_b, template.email_subject, template.email_body)
    ids = sorted(contact.id for contact in contacts)
    assigned = abtest.assign_variants(ids, ["A", "B"], seed=template_id or 0)
    return _VariantTexts(template, swapped, assigned)
