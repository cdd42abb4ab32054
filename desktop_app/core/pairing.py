"""The pairing check: the SMS is the pointer, the email holds the detail.

An SMS travels in clear text, shows on a locked screen and costs more with every
character, so an amount, a card or account number, a street address or a date of birth
belongs in the email. ``check_pairing`` reads the SMS as written (merge fields such as
``{order_total}`` count by their name) and says what to move; ``mentions_email`` tells
whether the SMS points the customer to the email at all.
"""

import re
from dataclasses import dataclass
from typing import Any, Final

AMOUNT: Final = "amount"
CARD: Final = "card"
ADDRESS: Final = "address"
BIRTH_DATE: Final = "birth_date"
EMPTY_EMAIL: Final = "empty_email"

INBOX_TIP: Final = (
    "Tip: say the details are in their inbox, e.g. \u201cDetails in your inbox.\u201d"
)

_EXCERPT_CHARS: Final = 40
_CURRENCY_CODES: Final = r"USD|EUR|GBP|CAD|AUD|NZD|MXN|CHF|JPY|INR|BRL|CLP|ARS|COP|PEN"
_NUMBER: Final = r"\d{1,3}(?:[.,\u00a0 ]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"

_AMOUNT_PATTERNS: Final = (
    # $59.90, € 12, £5, US$ 20, R$ 30
    re.compile(rf"(?:[A-Z]{{1,2}})?[$€£¥₹₩]\s?(?:{_NUMBER})"),
    # 59,90 €, 12 USD, 20 dollars
    re.compile(
        rf"(?<![\d.,])(?:{_NUMBER})\s?(?:[€£$¥₹]|(?:{_CURRENCY_CODES})\b"
        r"|(?i:dollars?|euros?|pounds?|pesos?)\b)"
    ),
    # USD 12, EUR 59.90
    re.compile(rf"\b(?:{_CURRENCY_CODES})\s?(?:{_NUMBER})"),
    # total: 59.90, amount due 12,50, balance of 100.00
    re.compile(
        r"(?i:\b(?:total|subtotal|amount(?: due)?|balance|price|you owe|charged?)\b)"
        r"[\s:]*(?:(?i:is|of|was)\s+)?\d+(?:[.,]\d{3})*[.,]\d{2}\b"
    ),
    # a currency sign right before a merge field: ${price}
    re.compile(r"[$€£¥₹]\s?\{[^{}]+\}"),
)
_CARD_PATTERNS: Final = (
    # ****1234, XXXX-1234, •••• 1234
    re.compile(r"(?<![A-Za-z0-9])(?:[*•xX]{2,}[ -]?){1,4}\d{2,6}\b"),
    # card ending 4242, acct 12345678, account no. 000123456
    re.compile(
        r"(?i:\b(?:card|ending(?: in| with)?|ends? (?:in|with)|acct|account|a/c|iban)\b)"
        r"[^\d\n]{0,20}\d{4,}(?:[ -]?\d{4})*"
    ),
)
_LONG_DIGITS: Final = re.compile(r"(?<![+\d#])\d(?:[ -]?\d){12,18}(?![\d])")
_STREET_WORDS: Final = (
    r"St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Lane|Ln|Dr|Drive|Way|Ct|Court"
    r"|Pl|Place|Terrace|Hwy|Highway|Pkwy|Parkway|Sq|Square"
)
_ADDRESS_PATTERNS: Final = (
    # 12 Main St, 1600 Example Avenue, 221B Baker Street
    re.compile(
        rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[A-Z0-9][\w'.-]*\s+){{0,4}}"
        rf"(?i:{_STREET_WORDS})\b\.?"
    ),
    # Calle Mayor 5, Avenida de Mayo 1234, Rue de la Paix 3, Via Roma 10
    re.compile(
        r"\b(?i:calle|avenida|av\.|rue|via|carrer|rua)\s+(?:[\w'.-]+\s+){0,4}?"
        r",?\s*(?:n\.?\s?º?\s*)?\d{1,5}\b"
    ),
    # Hauptstraße 5, Ringstr. 12, Kirchweg 3
    re.compile(r"\b\w+(?:straße|strasse|str\.|weg|gasse|platz)\s+\d{1,5}[a-z]?\b"),
    # P.O. Box 123
    re.compile(r"\b(?i:p\.?\s?o\.?\s+box)\s+\d+"),
)
_MONTHS: Final = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE: Final = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}\b|\d{4}-\d{2}-\d{2}\b"
    rf"|(?i:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?i:(?:{_MONTHS}))\.?,?\s+\d{{4}})"
)
_BIRTH_PATTERN: Final = re.compile(
    r"(?i:\b(?:d\.?o\.?b\.?|date of birth|birth ?date|born(?: on)?|birthday)\b)"
    rf"[^\n\d]{{0,20}}?{_DATE}"
)
_FIELD: Final = re.compile(r"\{\s*([^{}|]+?)\s*(?:\|[^{}]*)?\}")
_FIELD_KINDS: Final = (
    (re.compile(r"total|amount|price|balance|cost|paid|refund", re.I), AMOUNT),
    (re.compile(r"card|last_?4|acct|account|iban|routing", re.I), CARD),
    (re.compile(r"address|street|zip|postcode|postal", re.I), ADDRESS),
    (re.compile(r"birth|dob", re.I), BIRTH_DATE),
)
_MENTIONS_EMAIL: Final = re.compile(
    r"\b(?:e-?mail(?:s|ed)?|inbox|mailbox|correo|courriel)\b"
    r"|\bsent you (?:a|an) (?:message|receipt|note)\b"
    r"|\bcheck your (?:mail|spam)\b",
    re.IGNORECASE,
)

_ADVICE: Final = {
    AMOUNT: "An amount or order total belongs in the email; the SMS can say the "
    "receipt is in their inbox.",
    CARD: "Card and account numbers, even partial, belong in the email, never in a "
    "text message.",
    ADDRESS: "Put the street address in the email; the SMS can say where to find it.",
    BIRTH_DATE: "A date of birth is personal; keep it out of the SMS and put it in "
    "the email if it is needed at all.",
    EMPTY_EMAIL: "The SMS points to an email, but the email body is empty.",
}
_ALREADY_IN_EMAIL: Final = " The email already has it, so it can simply go."


@dataclass(frozen=True)
class PairingWarning:
    """Something in the SMS that belongs in the email.

    Attributes:
        kind: ``amount``, ``card``, ``address``, ``birth_date`` or ``empty_email``.
        excerpt: the text that triggered it, as written in the SMS.
        advice: what to do, in plain words.
    """

    kind: str
    excerpt: str
    advice: str

    def to_json(self) -> dict[str, Any]:
        """Return the warning as a JSON-ready dict."""
        return {"kind": self.kind, "excerpt": self.excerpt, "advice": self.advice}

    def __str__(self) -> str:
        return f"\u201c{self.excerpt}\u201d: {self.advice}"


def check_pairing(
    sms_body: str, email_subject: str, email_body: str
) -> list[PairingWarning]:
    """Warn about what the SMS holds that belongs in the email.

    Args:
        sms_body: the SMS text as written (merge fields count by their name) or
            as rendered for one customer.
        email_subject: the email subject, to say when the email already has it.
        email_body: the email body, likewise.

    Returns:
        One warning per finding, in the order they appear in the SMS; empty when
        the SMS only points to the email.
    """
    found: list[tuple[int, str, str]] = []
    for kind, patterns in (
        (AMOUNT, _AMOUNT_PATTERNS),
        (CARD, _CARD_PATTERNS),
        (ADDRESS, _ADDRESS_PATTERNS),
        (BIRTH_DATE, (_BIRTH_PATTERN,)),
    ):
        for pattern in patterns:
            found += [(m.start(), kind, m.group()) for m in pattern.finditer(sms_body)]
    found += [
        (match.start(), CARD, match.group())
        for match in _LONG_DIGITS.finditer(sms_body)
        if _luhn_valid(match.group())
    ]
    found += _field_findings(sms_body)

    email = f"{email_subject}\n{email_body}"
    warnings: list[PairingWarning] = []
    covered: list[tuple[int, int]] = []
    for start, kind, text in sorted(found, key=lambda item: (item[0], -len(item[2]))):
        end = start + len(text)
        if any(
            start < done_end and done_start < end for done_start, done_end in covered
        ):
            continue
        covered.append((start, end))
        excerpt = _excerpt(text)
        advice = _ADVICE[kind]
        if text.strip() and text.strip() in email:
            advice += _ALREADY_IN_EMAIL
        warnings.append(PairingWarning(kind, excerpt, advice))

    if mentions_email(sms_body) and not email_body.strip():
        warnings.append(PairingWarning(EMPTY_EMAIL, "", _ADVICE[EMPTY_EMAIL]))
    return warnings


def mentions_email(sms_body: str) -> bool:
    """Return True when the SMS tells the customer an email is on its way.

    Args:
        sms_body: the SMS text.

    Returns:
        True for wording such as "inbox", "email", "e-mail", "sent you an email".
    """
    return _MENTIONS_EMAIL.search(sms_body) is not None


def inbox_tip(sms_body: str) -> str | None:
    """Return a tip to point to the email, or None when the SMS already does.

    Args:
        sms_body: the SMS text.

    Returns:
        ``INBOX_TIP`` when a non-empty SMS never mentions the email, else None.
    """
    if not sms_body.strip() or mentions_email(sms_body):
        return None
    return INBOX_TIP


def _field_findings(sms_body: str) -> list[tuple[int, str, str]]:
    """Merge fields whose name says what they hold: {order_total}, {card_last4}..."""
    findings = []
    for match in _FIELD.finditer(sms_body):
        for pattern, kind in _FIELD_KINDS:
            if pattern.search(match.group(1)):
                findings.append((match.start(), kind, match.group()))
                break
    return findings


def _luhn_valid(text: str) -> bool:
    """Return True when the digits pass the card-number checksum (Luhn)."""
    digits = [int(char) for char in text if char.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _EXCERPT_CHARS:
        return text
    return text[: _EXCERPT_CHARS - 1] + "\u2026"
