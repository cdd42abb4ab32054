"""Read vCard 2.1, 3.0 and 4.0 text into records.

Handles folded lines, CR CR LF line ends, quoted-printable values with soft line
breaks and ``CHARSET`` parameters, backslash escapes, ``item1.`` groups with
``X-ABLabel`` labels, ``tel:`` URIs with ``;ext=``, lower-case property names, junk
before the first card, and an embedded ``AGENT`` card (never a second contact).
"""

import logging
import quopri
import re
from dataclasses import dataclass, field

from desktop_app.core.contact_import.records import RawRecord, SourceValue

logger = logging.getLogger(__name__)

_LINE_END = re.compile(r"\r*\n|\r")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\", ":": ":"}
_AB_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_SYSTEM_TAGS = {"mycontacts", "my contacts", "starred"}
_TEL_LABELS = {"cell": "mobile", "home": "home", "work": "work", "fax": "fax"}


@dataclass
class VProperty:
    """One content line of a card."""

    name: str
    params: dict[str, list[str]]
    value: str
    group: str = ""
    types: list[str] = field(default_factory=list)


def _split_unquoted(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _find_colon(line: str) -> int:
    quoted = False
    for index, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return index
    return -1


def _parse_line(line: str) -> VProperty | None:
    colon = _find_colon(line)
    if colon <= 0:
        return None
    head, value = line[:colon], line[colon + 1 :]
    parts = _split_unquoted(head, ";")
    name = parts[0].strip()
    group = ""
    if "." in name:
        group, name = name.rsplit(".", 1)
    params: dict[str, list[str]] = {}
    types: list[str] = []
    for part in parts[1:]:
        if "=" in part:
            key, raw = part.split("=", 1)
            values = [v.strip().strip('"') for v in _split_unquoted(raw, ",")]
            values = [v for item in values for v in item.split(",")]
            params.setdefault(key.strip().upper(), []).extend(values)
            if key.strip().upper() == "TYPE":
                types.extend(v.lower() for v in values if v)
        elif part.strip():
            bare = part.strip().upper()
            if bare in ("QUOTED-PRINTABLE", "BASE64", "B", "8BIT"):
                params.setdefault("ENCODING", []).append(bare)
            else:
                types.append(bare.lower())
    return VProperty(name.upper(), params, value, group.lower(), types)


def _is_qp(prop: VProperty) -> bool:
    return any(v.upper() == "QUOTED-PRINTABLE" for v in prop.params.get("ENCODING", []))


def _logical_lines(text: str) -> list[str]:
    """Unfold continuation lines and quoted-printable soft breaks."""
    lines: list[str] = []
    qp_open = False
    for physical in _LINE_END.split(text):
        if qp_open and lines:
            lines[-1] = lines[-1][:-1] + physical
        elif physical[:1] in (" ", "\t") and lines:
            lines[-1] += physical[1:]
        elif physical.strip():
            lines.append(physical)
        else:
            continue
        head = lines[-1].split(":", 1)[0].upper()
        qp_open = "QUOTED-PRINTABLE" in head and lines[-1].endswith("=")
    return lines


def _decode_value(prop: VProperty, version: str) -> str:
    value = prop.value
    if _is_qp(prop):
        charset = (prop.params.get("CHARSET") or ["utf-8"])[0]
        raw = quopri.decodestring(value.encode("latin-1", errors="replace"))
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            return raw.decode("cp1252", errors="replace")
    return value


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def _components(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ";":
            parts.append(_unescape("".join(current)).strip())
            current = []
        else:
            current.append(ch)
    parts.append(_unescape("".join(current)).strip())
    return parts


def split_cards(text: str) -> list[list[VProperty]]:
    """Split vCard text into cards, each a list of properties.

    Args:
        text: the decoded file.

    Returns:
        One list of properties per top-level card, in file order. Lines outside a
        card and nested cards (2.1 ``AGENT``) are left out.
    """
    cards: list[list[VProperty]] = []
    depth = 0
    current: list[VProperty] = []
    for line in _logical_lines(text):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            depth += 1
            if depth == 1:
                current = []
            continue
        if upper == "END:VCARD":
            if depth == 1:
                cards.append(current)
            depth = max(depth - 1, 0)
            continue
        if depth != 1:
            continue
        prop = _parse_line(line)
        if prop is not None:
            current.append(prop)
    if depth >= 1 and current:
        cards.append(current)
    return cards


def _tel(prop: VProperty, value: str) -> tuple[str, str]:
    text = value.strip()
    extension = ""
    if text.lower().startswith("tel:"):
        text = text[4:]
        if ";" in text:
            text, *params = text.split(";")
            for param in params:
                if param.lower().startswith("ext="):
                    extension = param[4:]
    if extension:
        text = f"{text} ext. {extension}"
    return text, extension


def _label(prop: VProperty, labels: dict[str, str]) -> str:
    if prop.group and prop.group in labels:
        return labels[prop.group]
    for kind in prop.types:
        if kind in _TEL_LABELS:
            return _TEL_LABELS[kind]
    skip = {"voice", "pref", "internet", "x400", "text"}
    return next((t for t in prop.types if t not in skip), "")


def card_to_record(props: list[VProperty], number: int) -> RawRecord:
    """Build a record from one card's properties.

    Args:
        props: the card's properties.
        number: the card's position in the file, from 1.

    Returns:
        The record (phones and e-mails not yet checked).
    """
    version = next((p.value.strip() for p in props if p.name == "VERSION"), "2.1")
    record = RawRecord(row=number)
    labels: dict[str, str] = {}
    for prop in props:
        if prop.name == "X-ABLABEL" and prop.group:
            text = _unescape(_decode_value(prop, version)).strip()
            found = _AB_LABEL.match(text)
            labels[prop.group] = (found.group(1) if found else text).lower()

    for prop in props:
        name = prop.name
        if name in ("PHOTO", "LOGO", "SOUND", "KEY", "AGENT"):
            continue
        value = _decode_value(prop, version)
        if name == "FN":
            record.full_name = " ".join(_unescape(value).split())
        elif name == "N":
            parts = [*_components(value), "", "", ""]
            record.last_name, record.first_name, record.middle_name = parts[:3]
        elif name == "ORG" and not record.company:
            record.company = _components(value)[0]
        elif name == "TEL" and value.strip():
            text, _ = _tel(prop, _unescape(value))
            record.phones.append(SourceValue(text, _label(prop, labels), "TEL"))
        elif name == "EMAIL" and value.strip():
            record.emails.append(
                SourceValue(_unescape(value).strip(), _label(prop, labels), "EMAIL")
            )
        elif name == "CATEGORIES":
            for tag in _unescape(value).split(","):
                if tag.strip() and tag.strip().lower() not in _SYSTEM_TAGS:
                    record.tags.append(tag.strip())
        elif name == "NOTE" and value.strip():
            record.custom["note"] = _unescape(value).strip()[:500]
    return record


def read_vcards(text: str) -> list[RawRecord]:
    """Read every top-level card of a vCard file.

    Args:
        text: the decoded file.

    Returns:
        One record per card, numbered from 1 in file order.
    """
    return [
        card_to_record(props, number)
        for number, props in enumerate(split_cards(text), start=1)
    ]
