"""Campaign results as numbers a shop owner can trust: counts, rates and notes.

Every rate has an honest denominator and is None when that denominator is 0. What
Duet cannot know is said, not guessed: the test outbox and mail servers report no
delivery, so ``delivered`` is None there and a note says why.

Definitions (per campaign, per A/B variant, or overall):

- *sent*: handed to the provider (state sent or delivered, or accepted then failed).
- *delivered*: SMS the provider confirmed; known only for providers that report
  delivery (Twilio); its rate is over SMS sent through such providers.
- *failed*: refused or undelivered, counted by reason.
- *reached*: recipients (contacts) with at least one message sent.
- *opted out*, *replied*: contacts with such an event tied to the campaign; rates are
  over the recipients reached (replies over SMS recipients).
- *conversions*: attributed sales; *converted*: distinct buyers; the conversion rate
  is buyers over recipients reached.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from desktop_app.core.abtest import ProportionTest

STATUS_PROVIDERS = frozenset({"twilio"})
OUTBOX_NOTE = (
    "Sent into the test outbox: nothing left this PC, so delivery is not known."
)
NO_STATUS_NOTE = "No delivery reports yet: run a sync to fetch them from Twilio."
EMAIL_NOTE = (
    "Mail servers do not report delivery; bounces are counted when they come back."
)
MIXED_CURRENCY_NOTE = (
    "Sales come in more than one currency; revenue shows {currency} only "
    "(see revenue_by_currency)."
)


def rate(part: int, whole: int) -> float | None:
    """Return ``part / whole`` rounded to 4 places, or None when ``whole`` is 0."""
    return round(part / whole, 4) if whole else None


@dataclass
class Kpis:
    """Counts for a campaign, a variant or everything; rates derive from them."""

    sms_sent: int = 0
    sms_delivered: int = 0
    sms_status_known: int = 0
    sms_failed: int = 0
    sms_skipped: int = 0
    segments: int = 0
    cost: float = 0.0
    email_sent: int = 0
    email_failed: int = 0
    email_skipped: int = 0
    email_bounced: int = 0
    email_unsubscribed: int = 0
    unknown: int = 0
    pending: int = 0
    outbox_sent: int = 0
    reached: int = 0
    sms_reached: int = 0
    opted_out: int = 0
    replied: int = 0
    conversions: int = 0
    converted: int = 0
    revenue_by_currency: dict[str, float] = field(default_factory=dict)
    failed_by_reason: Counter[str] = field(default_factory=Counter)

    def add(self, other: "Kpis") -> None:
        """Add another set of counts into this one (variants into a campaign...)."""
        for name, value in vars(other).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                setattr(self, name, getattr(self, name) + value)
        for currency, amount in other.revenue_by_currency.items():
            self.add_revenue(currency, amount)
        self.failed_by_reason.update(other.failed_by_reason)

    def add_revenue(self, currency: str, amount: float) -> None:
        """Add a sale's amount to its currency's revenue."""
        total = self.revenue_by_currency.get(currency, 0.0) + amount
        self.revenue_by_currency[currency] = round(total, 2)

    @property
    def sent(self) -> int:
        """Return messages handed to a provider, both channels."""
        return self.sms_sent + self.email_sent

    @property
    def failed(self) -> int:
        """Return failed messages, both channels."""
        return self.sms_failed + self.email_failed

    @property
    def delivered(self) -> int | None:
        """Return confirmed SMS deliveries, or None when no provider reports them."""
        return self.sms_delivered if self.sms_status_known else None

    @property
    def delivery_rate(self) -> float | None:
        """Return delivered over SMS sent through providers that report delivery."""
        return rate(self.sms_delivered, self.sms_status_known)

    @property
    def opt_out_rate(self) -> float | None:
        """Return contacts who opted out over recipients reached."""
        return rate(self.opted_out, self.reached)

    @property
    def reply_rate(self) -> float | None:
        """Return contacts who replied over SMS recipients reached."""
        return rate(self.replied, self.sms_reached)

    @property
    def conversion_rate(self) -> float | None:
        """Return buyers over recipients reached."""
        return rate(self.converted, self.reached)

    @property
    def currency(self) -> str:
        """Return the currency with the most revenue (``""`` when unknown/none)."""
        if not self.revenue_by_currency:
            return ""
        return max(self.revenue_by_currency.items(), key=lambda kv: (kv[1], kv[0]))[0]

    @property
    def revenue(self) -> float:
        """Return the attributed revenue in :attr:`currency`."""
        return self.revenue_by_currency.get(self.currency, 0.0)

    def notes(self) -> list[str]:
        """Return what the numbers cannot say, in plain words."""
        notes = []
        if self.outbox_sent:
            notes.append(OUTBOX_NOTE)
        elif self.sms_sent and not self.sms_status_known:
            notes.append(NO_STATUS_NOTE)
        if self.email_sent:
            notes.append(EMAIL_NOTE)
        if len(self.revenue_by_currency) > 1:
            notes.append(MIXED_CURRENCY_NOTE.format(currency=self.currency or "?"))
        return notes

    def to_json(self) -> dict[str, Any]:
        """Return the counts, rates and notes as the report's JSON."""
        return {
            "sent": self.sent,
            "delivered": self.delivered,
            "failed": self.failed,
            "opted_out": self.opted_out,
            "replied": self.replied,
            "conversions": self.conversions,
            "revenue": self.revenue,
            "currency": self.currency,
            "revenue_by_currency": dict(sorted(self.revenue_by_currency.items())),
            "converted": self.converted,
            "reached": self.reached,
            "skipped": self.sms_skipped + self.email_skipped,
            "unknown": self.unknown,
            "pending": self.pending,
            "delivery_rate": self.delivery_rate,
            "opt_out_rate": self.opt_out_rate,
            "reply_rate": self.reply_rate,
            "conversion_rate": self.conversion_rate,
            "segments": self.segments,
            "cost": round(self.cost, 4),
            "failed_by_reason": [
                {"reason": reason, "count": count}
                for reason, count in sorted(
                    self.failed_by_reason.items(), key=lambda kv: (-kv[1], kv[0])
                )
            ],
            "sms": {
                "sent": self.sms_sent,
                "delivered": self.delivered,
                "delivery_known": self.sms_status_known,
                "failed": self.sms_failed,
                "skipped": self.sms_skipped,
                "reached": self.sms_reached,
                "segments": self.segments,
                "cost": round(self.cost, 4),
            },
            "email": {
                "sent": self.email_sent,
                "failed": self.email_failed,
                "skipped": self.email_skipped,
                "bounced": self.email_bounced,
                "unsubscribed": self.email_unsubscribed,
            },
            "notes": self.notes(),
        }


@dataclass(frozen=True)
class RateSeries:
    """Delivery and opt-out rates per local day, for the rates chart.

    Attributes:
        tz: the shop's time zone.
        days: every day from the first to the last sent message.
        sent: SMS sent per day (through any provider).
        delivery_known: SMS sent per day through providers that report delivery.
        delivered: of those, delivered.
        reached: recipients reached per day.
        opted_out: opt-outs tied to messages sent that day.
    """

    tz: str
    days: list[date] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    delivery_known: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    reached: list[int] = field(default_factory=list)
    opted_out: list[int] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Return True when nothing was sent."""
        return not self.days

    @property
    def delivery_rates(self) -> list[float | None]:
        """Return the delivery rate per day (None where unknown)."""
        return [
            rate(d, k) for d, k in zip(self.delivered, self.delivery_known, strict=True)
        ]

    @property
    def opt_out_rates(self) -> list[float | None]:
        """Return the opt-out rate per day (None where nobody was reached)."""
        return [rate(o, r) for o, r in zip(self.opted_out, self.reached, strict=True)]

    def to_rows(self) -> list[dict[str, Any]]:
        """Return one row per day (for CSV)."""
        return [
            {
                "day": day.isoformat(),
                "sms_sent": self.sent[i],
                "delivery_known": self.delivery_known[i],
                "delivered": self.delivered[i],
                "delivery_rate": self.delivery_rates[i],
                "reached": self.reached[i],
                "opted_out": self.opted_out[i],
                "opt_out_rate": self.opt_out_rates[i],
            }
            for i, day in enumerate(self.days)
        ]


@dataclass(frozen=True)
class MonthlyCost:
    """SMS cost and segments per local month, for the cost chart.

    Attributes:
        tz: the shop's time zone.
        months: the first day of each month, gaps included.
        cost: SMS cost per month, in dollars.
        segments: SMS segments per month.
    """

    tz: str
    months: list[date] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Return True when nothing was sent."""
        return not self.months

    def to_rows(self) -> list[dict[str, Any]]:
        """Return one row per month (for CSV)."""
        return [
            {"month": m.strftime("%Y-%m"), "cost": round(c, 4), "segments": s}
            for m, c, s in zip(self.months, self.cost, self.segments, strict=True)
        ]


@dataclass(frozen=True)
class Funnel:
    """One campaign's funnel: recipients reached, delivered, converted.

    Attributes:
        campaign: its name.
        reached: recipients with a message sent.
        delivered: recipients with a confirmed SMS delivery, None when unknown.
        converted: buyers credited to it.
    """

    campaign: str
    reached: int
    delivered: int | None
    converted: int

    def to_row(self) -> dict[str, Any]:
        """Return the funnel as one CSV row."""
        return {
            "campaign": self.campaign,
            "reached": self.reached,
            "delivered": self.delivered,
            "converted": self.converted,
        }


@dataclass(frozen=True)
class VariantResult:
    """One A/B variant's counts and rates."""

    variant: str
    kpis: Kpis

    def to_json(self) -> dict[str, Any]:
        """Return the variant as JSON."""
        return {"variant": self.variant, **self.kpis.to_json()}


@dataclass(frozen=True)
class AbComparison:
    """A campaign's variants side by side, with tests against the first variant.

    Attributes:
        campaign: the campaign's name.
        variants: each variant's results, in name order.
        tests: measure (``reply``, ``conversion``, ``opt_out``, ``delivery``) to the
            tests of each later variant against the first.
        sentences: the honest one-line readings of those tests.
    """

    campaign: str
    variants: list[VariantResult]
    tests: dict[str, list[ProportionTest]] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Return True when the campaign was not split."""
        return len(self.variants) < 2

    def to_rows(self) -> list[dict[str, Any]]:
        """Return one row per variant (for CSV)."""
        return [
            {
                "variant": v.variant,
                "reached": v.kpis.reached,
                "delivery_rate": v.kpis.delivery_rate,
                "replied": v.kpis.replied,
                "reply_rate": v.kpis.reply_rate,
                "opted_out": v.kpis.opted_out,
                "opt_out_rate": v.kpis.opt_out_rate,
                "converted": v.kpis.converted,
                "conversion_rate": v.kpis.conversion_rate,
            }
            for v in self.variants
        ]
