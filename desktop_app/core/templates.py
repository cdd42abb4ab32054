"""Paired templates: merge fields, their checks, and rendering one customer's copy.

A merge field is written ``{first_name}``, or ``{first_name|there}`` with a fallback
used when the customer has no value. A missing value never leaves ``Hi ,`` or a raw
``{token}`` behind: the field is removed and the space and punctuation around it tidied.

The email body is simple formatted text: blank lines make paragraphs, ``- `` starts a
bullet, ``**bold**``, ``*italic*`` and ``[text](https://...)`` links (http, https and
mailto only). ``{qr:VALUE}`` draws VALUE (a link or a coupon code) as a QR code. The
body becomes a real plain-text part and an escaped HTML part; a customer's values are
always plain text, never formatting, in both.
"""

import html as html_lib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import quote

from desktop_app.core import qr, segments
from desktop_app.core.qr import InlineImage

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

# Label and example shown where the owner picks a field to insert.
_FIELD_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "first_name": ("First name", "Ana"),
    "last_name": ("Last name", "Pérez"),
    "full_name": ("Full name", "Ana Pérez"),
    "company": ("Company", "Example Bakery"),
    "phone": ("Phone number", "+15550100101"),
    "email": ("Email address", "ana@example.com"),
    "shop_name": ("Your shop's name", "Corner Shop"),
}

# A token is {name} or {name|fallback}; the name itself is checked separately.
_TOKEN = re.compile(r"\{([^{}|]*)(?:\|([^{}]*))?\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ]*$")
_QR_TOKEN = re.compile(r"\{\s*qr\s*:([^{}]*)\}", re.IGNORECASE)

# Marks the place of a removed field while the text around it is tidied.
_GAP = "\x00"
_GAP_RUN = re.compile(r"\x00(?:[ \t]*[,;]?[ \t]*\x00)*")
_GAP_BEFORE_PUNCT = re.compile(r"[ \t]*\x00(?=[,.!?;:])")
_LINE_START_GAP = re.compile(
    r"(^|\n)[ \t]*\x00[,;:]?[ \t]*(\ue000?)([a-z])?", re.MULTILINE
)
_GAP_LINE_END = re.compile(r"[ \t]*\x00[ \t]*(?=\n|$)")
_GAP_BETWEEN = re.compile(r"[ \t]*\x00[ \t]*")
_GAP_IN_BRACKETS = re.compile(r"[ \t]*[(\[][ \t]*\x00[ \t]*[)\]]")

# Private-use characters that wrap a customer's value (and stand for a QR code) while
# the email body's formatting is read, so a value is never taken for formatting.
_VALUE_OPEN = "\ue000"
_VALUE_CLOSE = "\ue001"
_QR_OPEN = "\ue002"
_QR_CLOSE = "\ue003"
_SLOT_OPEN = "\ue004"
_SLOT_CLOSE = "\ue005"
_KEEP_OPEN = "\ue006"
_KEEP_CLOSE = "\ue007"
_PRIVATE = str.maketrans(
    "", "", _GAP + "\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007"
)
_KEPT = re.compile("\ue006([0-9]+)\ue007")
# Characters the tidying looks at around a removed field.
_TIDY_EDGE = frozenset(" \t\r\n,;.!?:()[]")
_MARKED_VALUE = re.compile("\ue000([^\ue000\ue001]*)\ue001")
_SLOT = re.compile("\ue004([0-9]+)\ue005|\ue002([0-9]+)\ue003")
_INLINE = re.compile(
    r"\\(?P<escaped>[\\*\[\]()_`-])"
    r"|\[(?P<label>[^\[\]\n]+)\]\((?P<url>[^()\s]+)\)"
    r"|\*\*(?P<bold>[^\s*](?:.*?[^\s\\])?)\*\*"
    r"|\*(?P<italic>[^\s*](?:.*?[^\s\\*])?)\*(?!\*)"
)
_BULLET = re.compile(r"^[ \t]*[-*][ \t]+(?=\S)")
_LINK_SCHEMES = ("http://", "https://", "mailto:")


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
        kind: ``merge`` (a merge field or brace), ``empty``, ``body`` (the SMS
            text is refused, e.g. too long) or ``qr`` (a QR code cannot be drawn).
    """

    field: str
    message: str
    kind: str = "merge"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class FieldInfo:
    """A merge field the owner can insert, with words to show for it.

    Attributes:
        name: the name written between braces, e.g. ``first_name``.
        label: a short label, e.g. ``First name``.
        example: an example value, or "" when there is none.
    """

    name: str
    label: str
    example: str = ""

    @property
    def token(self) -> str:
        """Return the text to insert, e.g. ``{first_name}``."""
        return "{" + self.name + "}"


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
    """One customer's copy of a paired template, ready to send.

    Attributes:
        sms_body: the exact SMS text.
        email_subject: the subject, one line.
        email_text: the plain-text part, footer included ("" for an empty body).
        email_html: the HTML part, footer included ("" for an empty body).
        images: the inline images (QR codes) the HTML shows with ``cid:``.
    """

    sms_body: str
    email_subject: str
    email_text: str
    email_html: str
    images: tuple[InlineImage, ...] = ()


@dataclass(frozen=True)
class CompiledTemplate:
    """A template text parsed once: its fixed text and its merge fields in order.

    ``render(compiled.text, values)`` and ``compiled.render(values)`` give the same
    result; rendering many customers from one compiled text is cheaper.

    Attributes:
        text: the template text (without private marker characters).
        pieces: the fixed text before, between and after the fields;
            ``len(pieces) == len(fields) + 1``.
        fields: each field as (name, cleaned fallback or "").
    """

    text: str
    pieces: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Return each field name once, in order of first use."""
        return tuple(dict.fromkeys(name for name, _fallback in self.fields))

    def without(self, blank: Sequence[bool]) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Read the template with some fields removed and the text around them tidied.

        Filling the kept fields of the result gives what ``render`` gives, as long as
        no kept value starts or ends with a space or punctuation (see
        ``tidy_neutral``); only the case of a letter after a removed field at the
        start of a line may differ, which changes no length.

        Args:
            blank: one flag per field (``fields`` order): True to remove it.

        Returns:
            The fixed pieces around the kept fields (one more than the kept fields)
            and, for each kept field, its index in ``fields``.
        """
        parts: list[str] = []
        for index, piece in enumerate(self.pieces[:-1]):
            parts.append(piece)
            parts.append(_GAP if blank[index] else f"{_KEEP_OPEN}{index}{_KEEP_CLOSE}")
        parts.append(self.pieces[-1])
        text = "".join(parts)
        if any(blank):
            text = _tidy(text)

        pieces: list[str] = []
        kept: list[int] = []
        position = 0
        for match in _KEPT.finditer(text):
            pieces.append(text[position : match.start()])
            kept.append(int(match.group(1)))
            position = match.end()
        pieces.append(text[position:])
        return tuple(pieces), tuple(kept)

    def render(self, values: Mapping[str, object], *, html: bool = False) -> str:
        """Fill the fields with one customer's values; see ``render``.

        Args:
            values: field name to value; names not present count as blank.
            html: escape the fixed text and every value for HTML.

        Returns:
            The filled text.
        """
        if html:
            return _fill(self, values, html_lib.escape, html_lib.escape)
        return _fill(self, values, _same, _same)


def tidy_neutral(value: str) -> bool:
    """Return True when ``value`` neither starts nor ends with a space or punctuation.

    Such a value, next to a removed field, is left alone by the tidying, so
    ``CompiledTemplate.without`` reads the template exactly as ``render`` would.

    Args:
        value: a cleaned, non-empty value.

    Returns:
        True when the value's first and last characters are not spaces or
        punctuation the tidying looks at.
    """
    return value[:1] not in _TIDY_EDGE and value[-1:] not in _TIDY_EDGE


def field_catalog(
    extra_fields: Iterable[str] | Mapping[str, str] = (),
) -> list[FieldInfo]:
    """Return the merge fields the owner can insert, the built-in ones first.

    Args:
        extra_fields: more field names, e.g. the custom keys of imported contacts;
            a mapping gives each one an example value.

    Returns:
        One ``FieldInfo`` per field, each name once; extra fields sorted by name.
    """
    catalog = [
        FieldInfo(name, *_FIELD_DESCRIPTIONS.get(name, (_label(name), "")))
        for name in KNOWN_FIELDS
    ]
    examples = extra_fields if isinstance(extra_fields, Mapping) else {}
    for name in sorted(set(extra_fields) - set(KNOWN_FIELDS)):
        if _NAME.match(name):
            catalog.append(FieldInfo(name, _label(name), str(examples.get(name, ""))))
    return catalog


def merge_fields(text: str) -> list[str]:
    """Return the merge field names used in ``text``, each once, in order of use.

    Args:
        text: template text; QR codes (``{qr:...}``) are not merge fields.

    Returns:
        Field names as written, without braces or fallbacks.
    """
    names: list[str] = []
    for match in _TOKEN.finditer(_QR_TOKEN.sub("", text)):
        name = match.group(1).strip()
        if name not in names:
            names.append(name)
    return names


def qr_values(text: str) -> list[str]:
    """Return the value of each ``{qr:...}`` in ``text``, in order, spaces trimmed.

    Args:
        text: template text.

    Returns:
        The links or codes to draw as QR codes.
    """
    return [match.group(1).strip() for match in _QR_TOKEN.finditer(text)]


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
    problems += _qr_problems(sms_body, email_subject, email_body)

    if not sms_body.strip():
        problems.append(TemplateProblem(SMS_FIELD, "the SMS text is empty", "empty"))
    else:
        problem = segments.body_problem(sms_body)
        if problem:
            problems.append(TemplateProblem(SMS_FIELD, problem, "body"))
    return problems


def compile_template(text: str) -> CompiledTemplate:
    """Parse a template text once into fixed pieces and merge fields.

    Args:
        text: template text with merge fields.

    Returns:
        The compiled template (cached: the same text returns the same object).
    """
    return _compile(text.translate(_PRIVATE))


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
    return _compile(text.translate(_PRIVATE)).render(values, html=html)


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


def render_email_body(
    text: str, values: Mapping[str, object]
) -> tuple[str, str, tuple[InlineImage, ...]]:
    """Render an email body's formatting and merge fields into text and HTML.

    Args:
        text: the body as written (formatting, merge fields, ``{qr:...}``).
        values: the customer's merge values.

    Returns:
        The plain text, the HTML fragment (no footer) and the QR images it uses.
    """
    source, codes = _take_qr_codes(text.replace("\r\n", "\n").replace("\r", "\n"))
    compiled = _compile(source)
    marked = _fill(compiled, values, _same, _mark_value)
    blocks = _blocks(marked.strip("\n"))

    images: dict[str, InlineImage] = {}
    for value in codes:
        if qr.value_problem(value) is None:
            image = qr.qr_image(value)
            images.setdefault(image.cid, image)
    plain = _blocks_to_text(blocks, codes)
    body_html = _blocks_to_html(blocks, codes)
    return plain, body_html, tuple(images.values())


def render_pair(
    template: TemplateText, values: Mapping[str, object], shop: ShopInfo
) -> RenderedPair:
    """Render one customer's SMS and email from a paired template.

    The SMS is the exact text to send (trailing line breaks trimmed as the provider
    would). The subject is one line. The email body's formatting becomes a real
    plain-text part (no markers; links as ``text (url)``; QR codes as ``Scan code:
    VALUE``) and an escaped HTML part (QR codes as inline images); both end with the
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
    body, body_html, images = render_email_body(template.email_body, merged)

    if not body.strip():
        return RenderedPair(sms, subject, "", "")
    footer = "\n".join(footer_lines(shop))
    return RenderedPair(
        sms_body=sms,
        email_subject=subject,
        email_text=f"{body}{_TEXT_FOOTER_MARK}{footer}\n",
        email_html=_html_document(body_html, shop),
        images=images,
    )


def with_new_footer(
    email_text: str, email_html: str, shop: ShopInfo
) -> tuple[str, str]:
    """Swap the footer of a rendered email for the one ``shop`` gives now.

    An email held until the shop's postal address is set was rendered without it;
    this gives it the current footer and leaves the body the owner approved as it is.

    Args:
        email_text: the plain-text part as :func:`render_pair` made it.
        email_html: the HTML part as :func:`render_pair` made it.
        shop: the shop details from Settings now.

    Returns:
        The plain text and the HTML with the new footer; a part without a footer
        (an empty body) comes back unchanged.
    """
    lines = footer_lines(shop)
    text_footer = "\n".join(lines)
    html_footer = "<br>\n".join(html_lib.escape(line) for line in lines)

    body, marker, _old = email_text.rpartition(_TEXT_FOOTER_MARK)
    text = f"{body}{marker}{text_footer}\n" if marker else email_text
    head, marker, _old = email_html.rpartition(_HTML_FOOTER_MARK)
    html = f"{head}{marker}{html_footer}{_HTML_END}" if marker else email_html
    return text, html


def _same(text: str) -> str:
    return text


def _label(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).capitalize()


def _brace_problem(text: str) -> str | None:
    leftover = _TOKEN.sub("", _QR_TOKEN.sub("", text))
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


def _qr_problems(sms_body: str, subject: str, body: str) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    for field, text in ((SMS_FIELD, sms_body), (SUBJECT_FIELD, subject)):
        if qr_values(text):
            message = "a QR code can only go in the email body"
            problems.append(TemplateProblem(field, message, "qr"))
    for value in qr_values(body):
        problem = qr.value_problem(value)
        if problem:
            problems.append(TemplateProblem(BODY_FIELD, problem, "qr"))
    return problems


def _clean_value(value: object) -> str:
    # Values are names and the like: a line break inside one is never wanted.
    return " ".join(str(value).split()) if value is not None else ""


@lru_cache(maxsize=512)
def _compile(text: str) -> CompiledTemplate:
    """Parse ``text``, already free of private marker characters."""
    pieces: list[str] = []
    fields: list[tuple[str, str]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        pieces.append(text[position : match.start()])
        fallback = match.group(2)
        fields.append(
            (match.group(1).strip(), _clean_value(fallback) if fallback else "")
        )
        position = match.end()
    pieces.append(text[position:])
    return CompiledTemplate(text, tuple(pieces), tuple(fields))


def _fill(
    compiled: CompiledTemplate,
    values: Mapping[str, object],
    escape: Callable[[str], str],
    wrap: Callable[[str], str],
) -> str:
    """Join the fixed pieces (``escape``d) and the values (``wrap``ped), then tidy."""
    parts: list[str] = []
    removed = False
    for piece, (name, fallback) in zip(compiled.pieces, compiled.fields, strict=False):
        parts.append(escape(piece))
        value = _clean_value(values.get(name)) or fallback
        if value:
            parts.append(wrap(value))
        else:
            parts.append(_GAP)
            removed = True
    parts.append(escape(compiled.pieces[-1]))

    joined = "".join(parts)
    return _tidy(joined) if removed else joined


def _tidy(text: str) -> str:
    text = _GAP_IN_BRACKETS.sub(_GAP, text)
    text = _GAP_RUN.sub(_GAP, text)
    text = _LINE_START_GAP.sub(
        lambda m: m.group(1) + m.group(2) + (m.group(3) or "").upper(), text
    )
    text = _GAP_BEFORE_PUNCT.sub("", text)
    text = _GAP_LINE_END.sub("", text)
    return _GAP_BETWEEN.sub(" ", text)


def _single_line(text: str) -> str:
    return " ".join(text.split())


def _mark_value(value: str) -> str:
    return _VALUE_OPEN + value.translate(_PRIVATE) + _VALUE_CLOSE


def _take_qr_codes(text: str) -> tuple[str, list[str]]:
    """Replace each ``{qr:...}`` with a numbered marker; return the text and values."""
    codes: list[str] = []

    def marker(match: re.Match[str]) -> str:
        value = match.group(1).strip()
        if not value:
            return ""
        codes.append(value)
        return f"{_QR_OPEN}{len(codes) - 1}{_QR_CLOSE}"

    return _QR_TOKEN.sub(marker, text.translate(_PRIVATE)), codes


# Blocks: ("p", lines) for a paragraph, ("ul", items) for a bullet list. Inline nodes:
# ("text", s), ("value", s), ("qr", index), ("b", nodes), ("i", nodes) and
# ("a", url, nodes).
_Node = tuple[object, ...]
_Block = tuple[str, list[list[_Node]]]


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    kind = ""
    for line in text.split("\n"):
        if not line.strip():
            kind = ""
            continue
        bullet = _BULLET.match(line)
        line_kind = "ul" if bullet else "p"
        content = line[bullet.end() :] if bullet else line.strip()
        if line_kind != kind:
            blocks.append((line_kind, []))
            kind = line_kind
        blocks[-1][1].append(_inline(content.rstrip()))
    return blocks


def _inline(line: str) -> list[_Node]:
    """Parse one line's formatting; customer values stay opaque slots throughout."""
    values: list[str] = []

    def slot(match: re.Match[str]) -> str:
        values.append(match.group(1))
        return f"{_SLOT_OPEN}{len(values) - 1}{_SLOT_CLOSE}"

    return _parse_inline(_MARKED_VALUE.sub(slot, line), values)


def _parse_inline(text: str, values: list[str]) -> list[_Node]:
    nodes: list[_Node] = []
    position = 0
    for match in _INLINE.finditer(text):
        nodes += _slots(text[position : match.start()], values)
        position = match.end()
        if match.group("escaped"):
            nodes.append(("text", match.group("escaped")))
        elif match.group("label"):
            url = _link_url(match.group("url"), values)
            if url is None:
                nodes += _slots(match.group(0), values)
            else:
                nodes.append(("a", url, _parse_inline(match.group("label"), values)))
        elif match.group("bold"):
            nodes.append(("b", _parse_inline(match.group("bold"), values)))
        else:
            nodes.append(("i", _parse_inline(match.group("italic"), values)))
    nodes += _slots(text[position:], values)
    return nodes


def _slots(text: str, values: list[str]) -> list[_Node]:
    """Split plain text into text, value and QR nodes."""
    nodes: list[_Node] = []
    position = 0
    for match in _SLOT.finditer(text):
        if match.start() > position:
            nodes.append(("text", text[position : match.start()]))
        if match.group(1) is not None:
            nodes.append(("value", values[int(match.group(1))]))
        else:
            nodes.append(("qr", int(match.group(2))))
        position = match.end()
    if position < len(text):
        nodes.append(("text", text[position:]))
    return nodes


def _link_url(raw: str, values: list[str]) -> str | None:
    """Fill a link's values (quoted unless one starts the link); None if not allowed."""

    def fill(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return ""
        value = values[int(match.group(1))]
        return value if match.start() == 0 else quote(value, safe="")

    url = _SLOT.sub(fill, raw)
    if not url.lower().startswith(_LINK_SCHEMES) or any(c.isspace() for c in url):
        return None
    if url.lower() in _LINK_SCHEMES:
        return None
    return url


def _nodes_to_text(nodes: list[_Node], codes: list[str]) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node[0]
        if kind in ("text", "value"):
            out.append(str(node[1]))
        elif kind == "qr":
            value = codes[int(str(node[1]))]
            out.append(f"Scan code: {value}")
        elif kind == "a":
            url = str(node[1])
            label = _nodes_to_text(_children(node, 2), codes)
            shown = url.removeprefix("mailto:")
            out.append(label if label in (url, shown) else f"{label} ({shown})")
        else:
            out.append(_nodes_to_text(_children(node, 1), codes))
    return "".join(out)


def _nodes_to_html(nodes: list[_Node], codes: list[str]) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node[0]
        if kind in ("text", "value"):
            out.append(html_lib.escape(str(node[1])))
        elif kind == "qr":
            out.append(_qr_html(codes[int(str(node[1]))]))
        elif kind == "a":
            label = _nodes_to_html(_children(node, 2), codes)
            out.append(f'<a href="{html_lib.escape(str(node[1]))}">{label}</a>')
        else:
            tag = "strong" if kind == "b" else "em"
            out.append(f"<{tag}>{_nodes_to_html(_children(node, 1), codes)}</{tag}>")
    return "".join(out)


def _children(node: _Node, index: int) -> list[_Node]:
    children = node[index]
    assert isinstance(children, list)
    return children


def _qr_html(value: str) -> str:
    if qr.value_problem(value) is None:
        return qr.img_tag(value)
    return html_lib.escape(f"Scan code: {value}")


def _blocks_to_text(blocks: list[_Block], codes: list[str]) -> str:
    parts = []
    for kind, lines in blocks:
        texts = [_nodes_to_text(line, codes).rstrip() for line in lines]
        if kind == "ul":
            texts = [f"- {text}" for text in texts]
        parts.append("\n".join(texts))
    return "\n\n".join(parts)


def _blocks_to_html(blocks: list[_Block], codes: list[str]) -> str:
    parts = []
    for kind, lines in blocks:
        htmls = [_nodes_to_html(line, codes) for line in lines]
        if kind == "ul":
            items = "\n".join(f"<li>{item}</li>" for item in htmls)
            parts.append(f"<ul>\n{items}\n</ul>")
        else:
            parts.append("<p>" + "<br>\n".join(htmls) + "</p>")
    return "\n".join(parts)


_TEXT_FOOTER_MARK = "\n\n-- \n"
_HTML_FOOTER_MARK = '<hr>\n<p style="color: #666666; font-size: small">\n'
_HTML_END = "\n</p>\n</body></html>\n"


def _html_document(body_html: str, shop: ShopInfo) -> str:
    footer = "<br>\n".join(html_lib.escape(line) for line in footer_lines(shop))
    return (
        '<!DOCTYPE html>\n<html><body style="font-family: sans-serif">\n'
        f"{body_html}\n{_HTML_FOOTER_MARK}{footer}{_HTML_END}"
    )
