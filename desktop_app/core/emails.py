"""E-mail addresses from imported cells: unwrap, split, check and compare.

A cell may hold ``mailto:x@y``, ``Name <x@y>``, several addresses split by ``' ::: '``,
``;`` or ``,``, or an SMS carrier gateway address (``2025550143@vtext.com``), which is
really a phone number.
"""

import functools
import logging
import re
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# US/CA email-to-SMS gateways; AT&T and T-Mobile have closed theirs.
CARRIER_GATEWAYS = frozenset(
    {
        "txt.att.net",
        "mms.att.net",
        "vtext.com",
        "vzwpix.com",
        "tmomail.net",
        "messaging.sprintpcs.com",
        "pm.sprint.com",
        "mymetropcs.com",
        "sms.myboostmobile.com",
        "myboostmobile.com",
        "sms.cricketwireless.net",
        "mms.cricketwireless.net",
        "email.uscc.net",
        "vmobl.com",
        "msg.fi.google.com",
        "text.republicwireless.com",
        "txt.bell.ca",
        "txt.bellmobility.ca",
        "pcs.rogers.com",
        "msg.telus.com",
        "fido.ca",
        "sms.sasktel.com",
        "text.mtsmobility.com",
        "vmobile.ca",
    }
)
CLOSED_GATEWAYS = frozenset({"txt.att.net", "mms.att.net", "tmomail.net"})

_ANGLE = re.compile(r"<\s*([^<>]+?)\s*>")
_MULTI = re.compile(r"\s+:::\s+")
_PIECES = re.compile(r"[;,]")
_LOCAL_BAD = re.compile(r"[\s<>()\[\],;:\"\\]")
_LABEL = re.compile(r"^[^\W_](?:[\w-]*[^\W_])?$")
_GATEWAY_LOCAL = re.compile(r"^1?(\d{10})$")


@dataclass(frozen=True)
class EmailCell:
    """What one e-mail cell holds after unwrapping and splitting.

    Attributes:
        valid: the usable addresses, trimmed, in order.
        invalid: pieces that are not addresses, as written.
        gateway_phones: 10-digit numbers found as carrier gateway addresses.
        gateway_domains: the gateway domains, in the same order.
    """

    valid: tuple[str, ...]
    invalid: tuple[str, ...]
    gateway_phones: tuple[str, ...] = ()
    gateway_domains: tuple[str, ...] = ()


def email_key(address: str) -> str:
    """Return the form addresses are compared on: trimmed and case-folded.

    Args:
        address: an address as stored.

    Returns:
        The comparison key.
    """
    return address.strip().casefold()


def is_valid_email(address: str) -> bool:
    """Check one trimmed address against Duet's rules.

    One ``@``; a local part without spaces or leading, trailing or double dots; a
    domain with at least two labels, no ``_``, and an alphabetic top-level label of at
    least two letters (internationalised names allowed).

    Args:
        address: the address, already unwrapped.

    Returns:
        True when the address can be used.
    """
    if address.count("@") != 1:
        return False
    local, domain = address.split("@")
    if not local or _LOCAL_BAD.search(local) or ".." in local:
        return False
    if local.startswith(".") or local.endswith("."):
        return False
    labels = domain.rstrip(".").split(".") if domain else []
    if len(labels) < 2 or "_" in domain:
        return False
    if not all(_LABEL.match(label) for label in labels):
        return False
    tld = labels[-1]
    return len(tld) >= 2 and (tld.isalpha() or tld.lower().startswith("xn--"))


def _unwrap(piece: str) -> str:
    text = piece.strip()
    if "<" not in text and ":" not in text:
        return text
    found = _ANGLE.search(text)
    if found and "@" in found.group(1):
        text = found.group(1).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].strip()
    return text


@functools.lru_cache(maxsize=4096)
def parse_email_cell(cell: str) -> EmailCell:
    """Unwrap and split one cell into addresses.

    Args:
        cell: the cell text as found in the file.

    Returns:
        An :class:`EmailCell`; gateway addresses are listed as phones, not
        addresses.
    """
    pieces: list[str] = []
    for part in _MULTI.split(cell.strip()):
        split = [_unwrap(p) for p in _PIECES.split(part) if p.strip()]
        if len(split) > 1 and all(is_valid_email(p) for p in split):
            pieces.extend(split)
        elif part.strip():
            pieces.append(_unwrap(part))

    valid: list[str] = []
    invalid: list[str] = []
    phones: list[str] = []
    domains: list[str] = []
    for piece in pieces:
        if not is_valid_email(piece):
            invalid.append(piece)
            continue
        local, domain = piece.split("@")
        gateway = _GATEWAY_LOCAL.match(local)
        if gateway and domain.lower() in CARRIER_GATEWAYS:
            phones.append(gateway.group(1))
            domains.append(domain.lower())
        else:
            valid.append(piece)
    return EmailCell(tuple(valid), tuple(invalid), tuple(phones), tuple(domains))


def gateway_warning(address_domain: str) -> str:
    """Return the note added when a gateway address became a phone number.

    Args:
        address_domain: the gateway domain, e.g. ``vtext.com``.
    """
    note = (
        f"An SMS gateway address (@{address_domain}) was turned into a phone number; "
        "AT&T and T-Mobile have closed their email-to-text gateways"
    )
    if address_domain in CLOSED_GATEWAYS:
        note += ", so this address no longer reaches the phone"
    return note + "."
