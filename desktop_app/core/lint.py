"""Template lints: compliance advice about a paired template before it is used.

Lints never refuse a template (the checks in ``core.templates`` do that); they tell the
owner what a careful sender would change:

* The SMS lacks opt-out wording ("Reply STOP to opt out"). The first SMS to a contact,
  and then at least monthly, must carry it; Duet appends it when needed (see
  ``core.consent_rules``), which can cost a segment.
* The SMS lacks the shop's name (``{shop_name}`` or the name itself). Carriers and
  the CTIA ask every message to say who sends it.
* A transactional template uses promotional wording (sale, % off, discount, coupon,
  deal, free shipping, promo code...). A transactional message skips quiet hours and
  marketing consent only while it stays purely transactional.
"""

import re
from dataclasses import dataclass
from typing import Final

from desktop_app.core import consent_rules
from desktop_app.core.templates import (
    BODY_FIELD,
    SMS_FIELD,
    SUBJECT_FIELD,
    TemplateText,
)

WARNING: Final = "warning"
INFO: Final = "info"

_PROMOTIONAL: Final = re.compile(
    r"\b(?:sales?|discounts?|coupons?|deals?|promo\s+codes?|promo(?:tion)?s?"
    r"|free\s+shipping|clearance|bogo|buy\s+one\s+get\s+one|limited\s+time"
    r"|special\s+offers?|offers?\s+ends?|save\s+\$?\d+)\b"
    r"|\d+\s*%\s*off\b|\$\s*\d+(?:\.\d\d)?\s+off\b|\bpercent\s+off\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LintNote:
    """One piece of advice about a template.

    Attributes:
        level: ``warning`` (fix it) or ``info`` (Duet handles it, but know it).
        field: the field it concerns (``SMS text``, ``Email subject``...).
        message: plain words for the owner.
    """

    level: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def promotional_words(text: str) -> list[str]:
    """Return the promotional words and phrases found in ``text``, in order.

    Args:
        text: any template text.

    Returns:
        Each match as written, without repeats (case-insensitively).
    """
    found: dict[str, str] = {}
    for match in _PROMOTIONAL.finditer(text):
        words = " ".join(match.group(0).split())
        found.setdefault(words.lower(), words)
    return list(found.values())


def _names_shop(sms_body: str, shop_name: str) -> bool:
    if "{shop_name" in sms_body.replace(" ", ""):
        return True
    return consent_rules.names_shop(sms_body, shop_name)


def lint_template(
    template: TemplateText, shop_name: str, *, transactional: bool | None = None
) -> list[LintNote]:
    """Return compliance advice about a paired template.

    Args:
        template: the template's texts; its ``transactional`` attribute is read when
            it has one (``storage.templates.Template`` does).
        shop_name: the ``shop.name`` setting (may be empty).
        transactional: overrides the template's own flag, e.g. while editing.

    Returns:
        Notes, warnings first; an empty list when nothing needs saying.
    """
    if transactional is None:
        transactional = bool(getattr(template, "transactional", False))
    notes: list[LintNote] = []

    if not consent_rules.has_stop_wording(template.sms_body):
        notes.append(
            LintNote(
                WARNING,
                SMS_FIELD,
                "no 'Reply STOP to opt out' wording. The first SMS to each customer, "
                "and one at least every 30 days, must carry it; Duet adds it to those "
                "messages, which may cost an extra segment.",
            )
        )
    if "{shop_name" in template.sms_body.replace(" ", "") and not shop_name.strip():
        notes.append(
            LintNote(
                WARNING,
                SMS_FIELD,
                "the shop's name is not set in Settings, so {shop_name} comes out "
                "empty and the SMS does not say who sends it. Set it in Settings.",
            )
        )
    elif not _names_shop(template.sms_body, shop_name):
        notes.append(
            LintNote(
                WARNING,
                SMS_FIELD,
                "the SMS does not say who sends it. Add {shop_name} so customers "
                "know the message is from your shop.",
            )
        )

    if transactional:
        fields = (
            (SMS_FIELD, template.sms_body),
            (SUBJECT_FIELD, template.email_subject),
            (BODY_FIELD, template.email_body),
        )
        for field, text in fields:
            words = promotional_words(text)
            if words:
                quoted = ", ".join(f"'{word}'" for word in words)
                notes.append(
                    LintNote(
                        WARNING,
                        field,
                        f"promotional wording ({quoted}) in a transactional template. "
                        "Transactional messages skip quiet hours and marketing "
                        "consent only while they stay free of promotion.",
                    )
                )
    return notes
