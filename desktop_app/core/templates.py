"""Paired templates: merge fields, their checks, and rendering one customer's copy.

A merge field is written ``{first_name}``, or ``{first_name|there}`` with a fallback
used when the customer has no value. A missing value never leaves ``Hi ,`` or a raw
``{token}`` behind: the field is removed and the space and punctuation around it tidied.
"""

import html as html_lib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from desktop_app.core import segments

KNOWN_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "full_name",
    "company",
    "phone",
    "email",
    "shop_name",
)

SMS_FIELD = "SMS text"
SUBJECT_FIELD = "Email subject"
BODY_FIELD = "Email body"

# A token is {name} or {name|fallback}; the name itself is checked separately.
_TOKEN = re.compile(r"\{([^{}|]*)(?:\|([^{}]*))?\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ]*$")

# Marks the place of a removed field while the text around it is tidied.
_GAP = "\x00"
_GAP_RUN = re.compile(r"\x00(?:[ \t]*[,;]?[ \t]*\x00)*")
_GAP_BEFORE_PUNCT = re.compile(r"[ \t]*\x00(?=[,.!?;:])")
_LINE_START_GAP = re.compile(r"(^|\n)[ \t]*\x00[,;:]?[ \t]*([a-z])?", re.MULTILINE)
_GAP_LINE_END = re.compile(r"[ \t]*\x00[ \t]*(?=\n|$)")
_GAP_BETWEEN = re.compile(r"[ \t]*\x00[ \t]*")
_GAP_IN_BRACKETS = re.compile(r"[ \t]*[(\[][ \t]*\x00[ \t]*[)\]]")


class TemplateText(Protocol):
    """What rendering needs from a template (``storage.templates.Template`` fits)."""

    sms_body: str
    email_subject: str
    email_body: str


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a template, tied to the field that holds it.

    Attributes:
        field: the field's label (``SMS text``, ``Email subject``, ``Email body``).
        message: what is wrong, in plain words.
        kind: ``merge`` (a merge field or brace), ``empty`` or ``body`` (the SMS
            text is refused, e.g. too long).
    """

    field: str
    message: str
    kind: str = "merge"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class ShopInfo:
    """The shop details every email footer carries (from Settings)."""

    name: str = ""
    address: str = ""
    email: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> "ShopInfo":
        """Build from the ``shop.*`` keys of a settings mapping."""
        return cls(
            name=settings.get("shop.name", "").strip(),
            address=settings.get("shop.address", "").strip(),
            email=settings.get("shop.email", "").strip(),
        )


@dataclass(frozen=True)
class RenderedPair:
    """One customer's copy of a paired template, ready to send."""

    sms_body: str
    email_subject: str
    email_text: str
    email_html: str


def merge_fields(text: str) -> list[str]:
    """Return the merge field names used in ``text``, each once, in order of use.

    Args:
        text: template text.

    Returns:
        Field names as written, without braces or fallbacks.
    """
    names: list[str] = []
    for match in _TOKEN.finditer(text):
        name = match.group(1).strip()
        if name not in names:
            names.append(name)
    return names


def _brace_problem(text: str) -> str | None:
    leftover = _TOKEN.sub("", text)
    if "{" in leftover or "}" in leftover:
        return "a { or } has no partner; write merge fields as {first_name}"
    return None


def _field_problems(field: str, text: str, allowed: set[str]) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    brace = _brace_problem(text)
    if brace:
        problems.append(TemplateProblem(field, brace))
    for name in merge_fields(text):
        if not _NAME.match(name) or name not in allowed:
            problems.append(TemplateProblem(field, f"unknown merge field {{{name}}}"))
    return problems


def check_template(
    sms_body: str,
    email_subject: str,
    email_body: str,
    extra_fields: Iterable[str] = (),
) -> list[TemplateProblem]:
    """Return every problem in a paired template; an empty list means it is usable.

    Args:
        sms_body: the SMS text as written, with merge fields.
        email_subject: the email subject as written.
        email_body: the email body as written.
        extra_fields: more field names to accept, e.g. a contact's custom keys.

    Returns:
        Problems naming their field, e.g. ``SMS text: unknown merge field {frist}``.
    """
    allowed = set(KNOWN_FIELDS) | set(extra_fields)
    problems = _field_problems(SMS_FIELD, sms_body, allowed)
    problems += _field_problems(SUBJECT_FIELD, email_subject, allowed)
    problems += _field_problems(BODY_FIELD, email_body, allowed)

    if not sms_body.strip():
        problems.append(TemplateProblem(SMS_FIELD, "the SMS text is empty", "empty"))
    else:
        problem = segments.body_problem(sms_body)
        if problem:
            problems.append(TemplateProblem(SMS_FIELD, problem, "body"))
    return problems


def _clean_value(value: object) -> str:
    # Values are names and the like: a line break inside one is never wanted.
    return " ".join(str(value).split()) if value is not None else ""


def _tidy(text: str) -> str:
    text = _GAP_IN_BRACKETS.sub(_GAP, text)
    text = _GAP_RUN.sub(_GAP, text)
    text = _LINE_START_GAP.sub(lambda m: m.group(1) + (m.group(2) or "").upper(), text)
    text = _GAP_BEFORE_PUNCT.sub("", text)
    text = _GAP_LINE_END.sub("", text)
    return _GAP_BETWEEN.sub(" ", text)


def render(text: str, values: Mapping[str, object], *, html: bool = False) -> str:
    """Fill the merge fields of ``text`` with one customer's values.

    A field whose value is missing or blank takes its fallback; with no fallback it is
    removed and the spaces and punctuation around it are tidied, so
    ``"Hi {first_name}, your order"`` becomes ``"Hi, your order"``.

    Args:
        text: template text with merge fields.
        values: field name to value; names not present count as blank.
        html: return HTML text: the template's own text and every value are escaped.

    Returns:
        The filled text.
    """
    text = text.replace(_GAP, "")
    escape = html_lib.escape if html else (lambda part: part)
    pieces: list[str] = []
    position = 0
    removed = False
    for match in _TOKEN.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        position = match.end()
        value = _clean_value(values.get(match.group(1).strip()))
        fallback = _clean_value(match.group(2)) if match.group(2) is not None else ""
        if value or fallback:
            pieces.append(escape(value or fallback))
        else:
            pieces.append(_GAP)
            removed = True
    pieces.append(escape(text[position:]))

    joined = "".join(pieces)
    return _tidy(joined) if removed else joined


def _single_line(text: str) -> str:
    return " ".join(text.split())


def footer_lines(shop: ShopInfo) -> list[str]:
    """Return the footer every email ends with: shop, postal address, unsubscribe.

    Args:
        shop: the shop details from Settings.

    Returns:
        Plain-text lines; the address keeps its own line breaks.
    """
    lines = [shop.name] if shop.name else []
    lines += [line.strip() for line in shop.address.splitlines() if line.strip()]
    sender = shop.name or "this shop"
    if shop.email:
        how = f"reply with UNSUBSCRIBE or write to {shop.email}"
    else:
        how = "reply to this email with UNSUBSCRIBE"
    lines.append(f"You receive this email from {sender}. To unsubscribe, {how}.")
    return lines


def _html_paragraphs(escaped_text: str) -> str:
    blocks = re.split(r"\n[ \t]*\n+", escaped_text.strip("\n"))
    paragraphs = [
        "<p>" + "<br>\n".join(line.rstrip() for line in block.split("\n")) + "</p>"
        for block in blocks
        if block.strip()
    ]
    return "\n".join(paragraphs)


def _html_document(body_html: str, shop: ShopInfo) -> str:
    footer = "<br>\n".join(html_lib.escape(line) for line in footer_lines(shop))
    return (
        '<!DOCTYPE html>\n<html><body style="font-family: sans-serif">\n'
        f"{body_html}\n"
        '<hr>\n<p style="color: #666666; font-size: small">\n'
        f"{footer}\n</p>\n</body></html>\n"
    )


def render_pair(
    template: TemplateText, values: Mapping[str, object], shop: ShopInfo
) -> RenderedPair:
    """Render one customer's SMS and email from a paired template.

    The SMS is the exact text to send (trailing line breaks trimmed as the provider
    would). The subject is one line. The email text is a real plain-text part and the
    HTML an escaped rendering of it (blank lines make paragraphs); both end with the
    shop's name, postal address and an unsubscribe line.

    Args:
        template: the template's three texts.
        values: the customer's merge values; ``shop_name`` is added from ``shop``.
        shop: the shop details from Settings.

    Returns:
        The rendered pair.
    """
    merged = {"shop_name": shop.name, **values}

    sms = segments.trim_for_sending(render(template.sms_body, merged))
    subject = _single_line(render(template.email_subject, merged))
    body = render(template.email_body, merged).strip("\n")
    body_html = _html_paragraphs(render(template.email_body, merged, html=True))

    footer = "\n".join(footer_lines(shop))
    text = f"{body}\n\n-- \n{footer}\n" if body.strip() else ""
    html = _html_document(body_html, shop) if body.strip() else ""
    return RenderedPair(
        sms_body=sms, email_subject=subject, email_text=text, email_html=html
    )
