"""Plan a send: for each contact and channel, render the message and decide.

Pure rules, no I/O. The plan is shown before anything is sent: what goes out, what is
skipped and why (in plain words), how many SMS segments it costs and the estimate.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from desktop_app.core import segments
from desktop_app.core import templates as core_templates
from desktop_app.core.templates import ShopInfo, TemplateText

if TYPE_CHECKING:
    from desktop_app.storage.contacts import Contact

CHANNELS = ("sms", "email")
SEND = "send"
SKIP = "skip"

NO_PHONE = "no phone number"
LANDLINE = "phone is a landline"
SMS_OPTED_OUT = "opted out of SMS"
EMAIL_UNSUBSCRIBED = "unsubscribed from email"
NO_EMAIL = "no email address"
EMPTY = "message is empty"
NO_ADDRESS = "shop postal address not set in Settings"
MERGE_PROBLEM = "merge field problem: "

LANDLINE_KINDS = frozenset({"fixed_line", "fixed line", "landline"})


@dataclass(frozen=True)
class PlannedMessage:
    """One message of a plan: one contact on one channel, to send or to skip."""

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

    @property
    def is_send(self) -> bool:
        """Return True when this message will be sent."""
        return self.action == SEND


@dataclass
class SendPlan:
    """Every planned message of one send, with its totals."""

    template_name: str
    template_id: int | None
    audience: dict[str, Any]
    price_per_segment: float
    transactional: bool = False
    messages: list[PlannedMessage] = field(default_factory=list)

    @property
    def to_send(self) -> dict[str, int]:
        """Return how many messages go out, per channel."""
        counts = Counter(m.channel for m in self.messages if m.is_send)
        return {channel: counts.get(channel, 0) for channel in CHANNELS}

    @property
    def skipped(self) -> dict[str, int]:
        """Return how many messages are skipped, per reason, most common first."""
        counts = Counter(m.reason or "" for m in self.messages if not m.is_send)
        return dict(counts.most_common())

    @property
    def total_segments(self) -> int:
        """Return the SMS segments of every SMS that goes out."""
        return sum(
            m.segments for m in self.messages if m.is_send and m.channel == "sms"
        )

    @property
    def estimated_cost(self) -> float:
        """Return the segments times the price per segment, in dollars."""
        return round(self.total_segments * self.price_per_segment, 4)

    @property
    def worst_case_segments(self) -> int:
        """Return the most segments any one SMS of this plan takes."""
        sizes = [m.segments for m in self.messages if m.is_send and m.channel == "sms"]
        return max(sizes, default=0)

    def summary_text(self) -> str:
        """Return the plan in a few plain lines for the shop owner."""
        sends = self.to_send
        lines = [
            f"Template '{self.template_name}': {sends['sms']} SMS and "
            f"{sends['email']} emails to send.",
            f"SMS segments: {self.total_segments} (at most {self.worst_case_segments} "
            f"per message), estimated cost ${self.estimated_cost:.2f}.",
        ]
        for reason, count in self.skipped.items():
            lines.append(f"Skipped {count}: {reason}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Return the plan's totals as JSON."""
        return {
            "template": self.template_name,
            "audience": self.audience,
            "to_send": self.to_send,
            "skipped": self.skipped,
            "segments": self.total_segments,
            "worst_case_segments": self.worst_case_segments,
            "estimated_cost": self.estimated_cost,
        }


def price_from_settings(settings: Mapping[str, str]) -> float:
    """Return ``sms.price_per_segment`` as a number (0 when unreadable)."""
    try:
        return float(Decimal(settings.get("sms.price_per_segment", "0") or "0"))
    except InvalidOperation:
        return 0.0


def _skip(contact: "Contact", channel: str, to: str, reason: str) -> PlannedMessage:
    return PlannedMessage(
        contact_id=contact.id,
        channel=channel,
        to=to,
        body="",
        action=SKIP,
        reason=reason,
    )


def _merge_problem(problems: list[core_templates.TemplateProblem]) -> str:
    return MERGE_PROBLEM + "; ".join(str(problem) for problem in problems)


def _plan_sms(
    contact: "Contact",
    status: str,
    rendered: core_templates.RenderedPair,
    problems: list[core_templates.TemplateProblem],
    price: float,
) -> PlannedMessage:
    to = contact.phone or ""
    if not to:
        return _skip(contact, "sms", "", NO_PHONE)
    if contact.phone_kind in LANDLINE_KINDS:
        return _skip(contact, "sms", to, LANDLINE)
    # TODO: #6 marketing SMS needs "opted_in"; "unknown" consent is allowed for now.
    if status == "opted_out":
        return _skip(contact, "sms", to, SMS_OPTED_OUT)
    merge = [problem for problem in problems if problem.kind == "merge"]
    if merge:
        return _skip(contact, "sms", to, _merge_problem(merge))

    body = rendered.sms_body
    problem = EMPTY if not body.strip() else segments.body_problem(body)
    if problem:
        return _skip(contact, "sms", to, problem)
    count = segments.count_segments(body)
    return PlannedMessage(
        contact_id=contact.id,
        channel="sms",
        to=to,
        body=body,
        segments=count.segments,
        encoding=count.encoding,
        cost=round(count.segments * price, 6),
    )


def _plan_email(
    contact: "Contact",
    status: str,
    rendered: core_templates.RenderedPair,
    problems: list[core_templates.TemplateProblem],
    shop: ShopInfo,
) -> PlannedMessage:
    to = contact.email or ""
    if not to:
        return _skip(contact, "email", "", NO_EMAIL)
    if status == "opted_out":
        return _skip(contact, "email", to, EMAIL_UNSUBSCRIBED)
    if problems:
        return _skip(contact, "email", to, _merge_problem(problems))
    if not rendered.email_text.strip() or not rendered.email_subject:
        return _skip(contact, "email", to, EMPTY)
    # TODO: #6 hold emails until the address is set instead of skipping them.
    if not shop.address:
        return _skip(contact, "email", to, NO_ADDRESS)
    return PlannedMessage(
        contact_id=contact.id,
        channel="email",
        to=to,
        body=rendered.email_text,
        subject=rendered.email_subject,
        html=rendered.email_html,
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
        transactional: the template is a receipt or notice, not marketing.

    Returns:
        The plan, with one message per contact and channel.
    """
    shop = ShopInfo.from_settings(settings)
    price = price_from_settings(settings)
    plan = SendPlan(
        template_name=template_name,
        template_id=template_id,
        audience=dict(audience or {}),
        price_per_segment=price,
        transactional=transactional,
    )
    sms_consent = consent.get("sms", {})
    email_consent = consent.get("email", {})

    checked: dict[frozenset[str], list[core_templates.TemplateProblem]] = {}

    for contact in contacts:
        extra = frozenset(str(key) for key in contact.custom)
        if extra not in checked:
            checked[extra] = core_templates.check_template(
                template.sms_body, template.email_subject, template.email_body, extra
            )
        problems = checked[extra]
        sms_problems = [p for p in problems if p.field == core_templates.SMS_FIELD]
        email_problems = [p for p in problems if p.field != core_templates.SMS_FIELD]
        rendered = core_templates.render_pair(template, contact.merge_values(), shop)

        status = sms_consent.get(contact.id, "unknown")
        plan.messages.append(_plan_sms(contact, status, rendered, sms_problems, price))
        status = email_consent.get(contact.id, "unknown")
        plan.messages.append(
            _plan_email(contact, status, rendered, email_problems, shop)
        )
    return plan
