"""Consent rules for sending: who may get which message, and the words that say why.

Pure rules, no I/O. The planner asks these functions for each contact and channel:

* **SMS.** A marketing SMS needs SMS consent (``opted_in``). After an opt-out no SMS
  goes out at all, not even a transactional one (a receipt the customer asked for). A
  transactional SMS needs no marketing consent. In test mode (the SMS provider is the
  local outbox, nothing leaves the PC) an SMS to a contact whose consent is
  ``unknown`` still goes to the outbox, with a note that it would be skipped for real.
* **Email.** No email to an unsubscribed address. A marketing email to an address
  whose consent is ``unknown`` is allowed: US CAN-SPAM is opt-out based, provided the
  email carries an unsubscribe line and the shop's postal address (Duet adds both).
* **Opt-out wording.** The first SMS to a contact, and then at least one every
  :data:`STOP_NOTICE_DAYS` days, must say how to opt out. When the body lacks opt-out
  wording and the contact had no SMS from the shop in that time, the planner appends
  :data:`STOP_SUFFIX`.
* **Unsubscribe tokens.** An email's ``List-Unsubscribe`` mailto carries a per-contact
  token, signed with HMAC-SHA256 under a secret kept in the settings table, so a mail
  that comes back names its contact without trusting the sender's address.
* **Opt-out deadline.** A revocation must take effect within
  :data:`OPT_OUT_SLA_BUSINESS_DAYS` business days (FCC rule, 2025); Duet records it at
  the next sync.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

OPTED_IN: Final = "opted_in"
OPTED_OUT: Final = "opted_out"
UNKNOWN: Final = "unknown"

NO_SMS_CONSENT: Final = "no SMS marketing consent"
SMS_OPTED_OUT: Final = "opted out of SMS"
EMAIL_UNSUBSCRIBED: Final = "unsubscribed from email"
TEST_MODE_NOTE: Final = (
    "test mode: would be skipped for no SMS consent when sending for real"
)
EMAIL_OPT_OUT_BASED_NOTE: Final = (
    "email consent unknown: allowed, since US email marketing is opt-out based "
    "(CAN-SPAM); every email carries an unsubscribe line and the shop's address"
)

STOP_SUFFIX: Final = " Reply STOP to opt out."
STOP_NOTICE_DAYS: Final = 30
OPT_OUT_SLA_BUSINESS_DAYS: Final = 10

# Opt-out wording an SMS body may already carry: "Reply STOP to opt out", "Text
# STOP to unsubscribe", "STOP to end", "Txt STOP to quit", "opt out: reply STOP".
_STOP_WORDING: Final = re.compile(
    r"\b(?:reply|text|txt|send|msg)\s+[\"'“]?stop[\"'”]?\b"
    r"|\bstop[\"'”]?\s+(?:to|2)\s+(?:opt[\s-]?out|unsubscribe|end|cancel|quit|stop)\b",
    re.IGNORECASE,
)
_TOKEN_BYTES: Final = 12


@dataclass(frozen=True)
class ConsentDecision:
    """Whether one message may go out as far as consent is concerned.

    Attributes:
        allowed: True when consent does not stop it.
        reason: when not allowed, the skip reason in plain words.
        note: when allowed, something the owner should know (test mode, CAN-SPAM).
    """

    allowed: bool
    reason: str | None = None
    note: str | None = None


def sms_consent(
    status: str, *, transactional: bool, test_mode: bool
) -> ConsentDecision:
    """Decide whether an SMS may go out given the contact's SMS consent.

    Args:
        status: the newest SMS consent status (``opted_in``, ``opted_out``,
            ``unknown``).
        transactional: the template is a receipt or notice the customer asked for.
        test_mode: the SMS goes to the local test outbox, not to a provider.

    Returns:
        Skip with ``opted out of SMS`` after any opt-out; skip a marketing SMS with
        ``no SMS marketing consent`` unless the contact opted in; in test mode, allow
        that one with a note instead.
    """
    if status == OPTED_OUT:
        return ConsentDecision(False, SMS_OPTED_OUT)
    if transactional or status == OPTED_IN:
        return ConsentDecision(True)
    if test_mode:
        return ConsentDecision(True, note=TEST_MODE_NOTE)
    return ConsentDecision(False, NO_SMS_CONSENT)


def email_consent(status: str, *, transactional: bool) -> ConsentDecision:
    """Decide whether an email may go out given the address's email consent.

    Args:
        status: the newest email consent status.
        transactional: the template is a receipt or notice the customer asked for.

    Returns:
        Skip with ``unsubscribed from email`` after an unsubscribe; allow otherwise,
        with a note for a marketing email whose consent is unknown.
    """
    if status == OPTED_OUT:
        return ConsentDecision(False, EMAIL_UNSUBSCRIBED)
    if status == UNKNOWN and not transactional:
        return ConsentDecision(True, note=EMAIL_OPT_OUT_BASED_NOTE)
    return ConsentDecision(True)


def has_stop_wording(text: str) -> bool:
    """Tell whether an SMS body already says how to opt out (``Reply STOP ...``).

    Args:
        text: the SMS body, rendered or as written.

    Returns:
        True for wording such as "Reply STOP to opt out" or "Text STOP to quit".
    """
    return _STOP_WORDING.search(text) is not None


def needs_stop_notice(last_sms_at: datetime | None, now: datetime) -> bool:
    """Tell whether the next SMS to a contact must carry opt-out wording.

    The rule: the first SMS to a contact, and then at least one every
    :data:`STOP_NOTICE_DAYS` days, says how to opt out.

    Args:
        last_sms_at: when the shop last sent this contact an SMS (aware), or None.
        now: the planning time (aware).

    Returns:
        True when there was no SMS in the last ``STOP_NOTICE_DAYS`` days.
    """
    if last_sms_at is None:
        return True
    return now - last_sms_at >= timedelta(days=STOP_NOTICE_DAYS)


def with_stop_notice(body: str, shop_name: str = "") -> str:
    """Return ``body`` with :data:`STOP_SUFFIX` appended (no double spaces).

    The notice says who sends the message too: when the body does not name the
    shop, the shop's name comes first (`` Corner Shop: Reply STOP to opt out.``).

    Args:
        body: the rendered SMS body, without opt-out wording.
        shop_name: the ``shop.name`` setting; "" adds the notice alone.

    Returns:
        The body ending in ``Reply STOP to opt out.``; a full stop is put first when
        the body ends in a letter or digit (``Order 1001 shipped.``).
    """
    body = body.rstrip()
    if body and body[-1].isalnum():
        body += "."
    name = " ".join(shop_name.split())
    if name and not names_shop(body, name):
        return f"{body} {name}:{STOP_SUFFIX}"
    return body + STOP_SUFFIX


def names_shop(text: str, shop_name: str) -> bool:
    """Tell whether ``text`` names the shop (its name, any case and spacing).

    Args:
        text: a rendered SMS body.
        shop_name: the ``shop.name`` setting.

    Returns:
        True when the name appears in the text; False for an empty name.
    """
    name = " ".join(shop_name.split()).casefold()
    return bool(name) and name in " ".join(text.split()).casefold()


def unsubscribe_token(contact_id: int, secret: str) -> str:
    """Return the per-contact token an email's List-Unsubscribe mailto carries.

    Args:
        contact_id: the contact the email goes to.
        secret: the shop's random secret (settings key ``_unsubscribe.secret``).

    Returns:
        ``u<id>-<signature>``: letters, digits, ``-`` and ``_`` only, safe in an
        address's ``+tag`` or a subject line.

    Raises:
        ValueError: ``secret`` is empty or ``contact_id`` is not positive.
    """
    if not secret:
        raise ValueError("the unsubscribe secret is empty")
    if contact_id <= 0:
        raise ValueError("contact ids are positive")
    return f"u{contact_id}-{_signature(contact_id, secret)}"


def parse_unsubscribe_token(text: str, secret: str) -> int | None:
    """Find a valid unsubscribe token in ``text`` and return its contact id.

    Args:
        text: a token, or any text holding one (a To address, a subject).
        secret: the shop's secret the token was signed with.

    Returns:
        The contact id of the first token whose signature checks out, else None.
    """
    if not secret:
        return None
    for match in re.finditer(r"u([0-9]{1,12})-([A-Za-z0-9_-]{16})", text):
        contact_id = int(match.group(1))
        if contact_id > 0 and hmac.compare_digest(
            match.group(2), _signature(contact_id, secret)
        ):
            return contact_id
    return None


def _signature(contact_id: int, secret: str) -> str:
    digest = hmac.new(
        secret.encode(), f"unsubscribe:{contact_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:_TOKEN_BYTES]).decode().rstrip("=")


def business_days_between(start: date, end: date) -> int:
    """Count the business days (Monday to Friday) after ``start`` up to ``end``.

    Public holidays are not left out, so the count errs on the strict side.

    Args:
        start: the day something was seen.
        end: the day it took effect.

    Returns:
        0 when both fall on the same day or ``end`` is earlier; else the weekdays
        in ``(start, end]``.
    """
    if end <= start:
        return 0
    whole_weeks, extra = divmod((end - start).days, 7)
    count = whole_weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            count += 1
    return count
