"""Which pair earned a sale: last touch within the attribution window.

A desktop app sees no clicks, so a sale is credited to the customer's most recent
message (SMS or email, state sent or delivered) sent at or before the sale and no
more than the window before it. The customer is recognised by email (compared
case-insensitively) or by phone (E.164). A sale with no such message is
unattributed; a sale before any message never counts for a campaign.

The same rule ties an opt-out or reply that names no message to the last message
the contact received.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_WINDOW_DAYS = 7


def parse_utc(text: str) -> datetime:
    """Return a stored ISO 8601 time as an aware UTC datetime (naive means UTC)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def email_match_key(email: str | None) -> str | None:
    """Return the key an email is matched on (``e:`` + case-folded), or None."""
    email = (email or "").strip().casefold()
    return f"e:{email}" if email else None


def phone_match_key(phone: str | None) -> str | None:
    """Return the key an E.164 phone is matched on (``p:`` + number), or None."""
    phone = (phone or "").strip()
    return f"p:{phone}" if phone.startswith("+") else None


def customer_keys(
    emails: Iterable[str | None] = (), phones: Iterable[str | None] = ()
) -> frozenset[str]:
    """Return every match key for a customer's addresses and numbers.

    Args:
        emails: addresses as stored (any case).
        phones: E.164 numbers; anything else is ignored.

    Returns:
        The keys, e.g. ``{"e:ann@example.com", "p:+15550100123"}``.
    """
    keys = {email_match_key(e) for e in emails} | {phone_match_key(p) for p in phones}
    return frozenset(key for key in keys if key)


@dataclass(frozen=True)
class Touch:
    """One message that reached a customer.

    Attributes:
        message_id: the ``messages`` row.
        campaign_id: its campaign.
        channel: ``sms`` or ``email``.
        variant: its A/B variant, or None.
        sent_at: when the provider accepted it (UTC).
        contact_id: the contact, when still known.
        keys: the customer's match keys (see :func:`customer_keys`).
    """

    message_id: int
    campaign_id: int
    channel: str
    variant: str | None
    sent_at: datetime
    contact_id: int | None
    keys: frozenset[str]


@dataclass(frozen=True)
class Sale:
    """One imported sale.

    Attributes:
        id: the ``sales`` row.
        occurred_at: when it happened (UTC).
        amount: its total.
        currency: ISO code, or ``""`` when the export did not say.
        keys: the buyer's match keys.
    """

    id: int
    occurred_at: datetime
    amount: float
    currency: str
    keys: frozenset[str]


@dataclass(frozen=True)
class Attribution:
    """A sale and the touch credited with it (None when unattributed).

    Attributes:
        sale: the sale.
        touch: the credited message, or None.
        matched_by: ``email`` or ``phone``, how the buyer was recognised.
    """

    sale: Sale
    touch: Touch | None
    matched_by: str | None = None


class TouchIndex:
    """Touches per customer key, in time order, for fast last-touch look-ups."""

    def __init__(self, touches: Iterable[Touch]) -> None:
        """Index ``touches`` by every key they carry."""
        by_key: dict[str, list[tuple[datetime, int, Touch]]] = defaultdict(list)
        for touch in touches:
            for key in touch.keys:
                by_key[key].append((touch.sent_at, touch.message_id, touch))
        for entries in by_key.values():
            entries.sort(key=lambda entry: (entry[0], entry[1]))
        self._times = {key: [e[0] for e in v] for key, v in by_key.items()}
        self._entries = by_key

    def last_before(
        self, keys: Iterable[str], moment: datetime, window: timedelta
    ) -> tuple[Touch, str] | None:
        """Return the latest touch at or before ``moment`` and within ``window``.

        Args:
            keys: the customer's match keys.
            moment: the sale (or event) time, aware.
            window: how far back a touch still counts.

        Returns:
            The touch and the key kind it matched by (``email``/``phone``), or None.
        """
        best: tuple[datetime, int, Touch, str] | None = None
        for key in keys:
            times = self._times.get(key)
            if not times:
                continue
            index = bisect.bisect_right(times, moment) - 1
            if index < 0:
                continue
            sent_at, message_id, touch = self._entries[key][index]
            if moment - sent_at > window:
                continue
            if best is None or (sent_at, message_id) > (best[0], best[1]):
                kind = "email" if key.startswith("e:") else "phone"
                best = (sent_at, message_id, touch, kind)
        return None if best is None else (best[2], best[3])


def attribute_sales(
    sales: Iterable[Sale],
    touches: Iterable[Touch] | TouchIndex,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> list[Attribution]:
    """Credit each sale to the buyer's most recent message within the window.

    Args:
        sales: the sales.
        touches: every message that reached someone, or an index of them.
        window_days: how many days before a sale a message still counts.

    Returns:
        One attribution per sale, in the order given.
    """
    index = touches if isinstance(touches, TouchIndex) else TouchIndex(touches)
    window = timedelta(days=window_days)
    result = []
    for sale in sales:
        found = index.last_before(sale.keys, sale.occurred_at, window)
        if found is None:
            result.append(Attribution(sale, None))
        else:
            result.append(Attribution(sale, found[0], found[1]))
    return result
