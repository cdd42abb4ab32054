"""Trigger events: what a till, web shop or help desk tells Duet, and its checks.

An event is a small flat record: its kind (``purchase``...), an id the other
software gave it, the customer (email and/or phone, names), consent the customer gave
with it (only when it says so), and merge fields for the template (``order_number``,
``total``...). The same shape arrives from the command line, a dropped CSV or JSON
file and the local HTTP endpoint; :func:`parse_event` checks it once for all three.

An event delivered twice must send once, so each has an id. When the other software
gives none, the id is made from the event's content (a hash), so the same row dropped
twice is still recognised. Events are unique per (source, event id); the source
defaults to the way the event came in (``cli``, ``folder``, ``http``) and may be set
by the event (``"source": "webshop"``) so the same event arriving by two ways sends
once.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop_app.errors import ValidationError

BUILTIN_KINDS: tuple[str, ...] = (
    "purchase",
    "ticket_opened",
    "ticket_resolved",
    "appointment_reminder",
)
SOURCES = ("cli", "folder", "http")

MAX_FIELDS = 40
MAX_VALUE_CHARS = 500
MAX_ID_CHARS = 120

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_TRUE = frozenset({"1", "true", "yes", "y", "on", "opted_in", "opt-in", "x"})
_FALSE = frozenset({"0", "false", "no", "n", "off", "opted_out", "opt-out"})

# Keys that describe the customer or the event itself; anything else is a field.
_ALIASES: dict[str, str] = {
    "kind": "kind",
    "event": "kind",
    "type": "kind",
    "event_id": "event_id",
    "id": "event_id",
    "source": "source",
    "email": "email",
    "phone": "phone",
    "mobile": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "name": "full_name",
    "full_name": "full_name",
    "sms_consent": "sms_consent",
    "email_consent": "email_consent",
    "fields": "fields",
}
_CONTACT_FIELDS = frozenset({"email", "phone", "first_name", "last_name", "full_name"})


@dataclass(frozen=True)
class Event:
    """One checked trigger event.

    Attributes:
        kind: the event kind, e.g. ``purchase``.
        event_id: the id the other software gave it, else one made from its content.
        source: who sent it (``cli``, ``folder``, ``http`` or the event's own).
        email: the customer's email ("" when not given).
        phone: the customer's phone as given ("" when not given).
        first_name: the customer's first name.
        last_name: the customer's last name.
        full_name: the customer's full name when given as one.
        fields: merge fields for the template, name to text.
        sms_consent: True/False when the event says, None when it does not.
        email_consent: as ``sms_consent``, for email.
        id_given: False when ``event_id`` was made from the content.
    """

    kind: str
    event_id: str
    source: str
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    sms_consent: bool | None = None
    email_consent: bool | None = None
    id_given: bool = True

    def to_json(self) -> dict[str, Any]:
        """Return the event as stored with its log entry (the evidence)."""
        return {
            "kind": self.kind,
            "event_id": self.event_id,
            "source": self.source,
            "email": self.email,
            "phone": self.phone,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": self.full_name,
            "fields": dict(self.fields),
            "sms_consent": self.sms_consent,
            "email_consent": self.email_consent,
            "id_given": self.id_given,
        }


def check_kind(kind: str) -> str:
    """Return ``kind`` lower-cased when it is a usable event kind.

    Raises:
        ValidationError: empty, or not lower-case letters, digits and ``_``.
    """
    cleaned = kind.strip().lower().replace("-", "_").replace(" ", "_")
    if not _KIND.match(cleaned):
        raise ValidationError(
            f"Event kind: '{kind}' is not a kind name; use letters, digits and _ "
            "(e.g. purchase, ticket_opened)."
        )
    return cleaned


def check_field_name(name: str) -> str:
    """Return a merge-field name an event may carry.

    Raises:
        ValidationError: not a merge-field name (letters, digits, ``_``).
    """
    cleaned = name.strip()
    if not _FIELD.match(cleaned):
        raise ValidationError(
            f"Field '{name}': a field name is letters, digits and _ (e.g. "
            "order_number)."
        )
    return cleaned


def parse_bool(value: object, label: str) -> bool | None:
    """Read a yes/no value; empty means "not said".

    Raises:
        ValidationError: a value that is neither yes nor no; names ``label``.
    """
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(f"{label}: '{value}' is not yes or no (true/false).")


def _text(value: object, label: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"{label}: expected text or a number.")
    text = str(value).strip()
    if len(text) > MAX_VALUE_CHARS:
        raise ValidationError(
            f"{label}: {len(text)} characters; at most {MAX_VALUE_CHARS}."
        )
    return text


def _content_id(values: Mapping[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _split(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split raw keys into the event's own values and its merge fields."""
    own: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).strip()
        alias = _ALIASES.get(key.lower().replace("-", "_").replace(" ", "_"))
        if alias == "fields":
            if not isinstance(value, Mapping):
                raise ValidationError("fields: expected an object of name: value.")
            fields.update({str(k): v for k, v in value.items()})
        elif alias is not None:
            own[alias] = value
        elif key:
            fields[key] = value
    return own, fields


def parse_event(
    data: Mapping[str, Any], *, source: str, kind: str | None = None
) -> Event:
    """Check a raw event (a JSON object, a CSV row, command-line options).

    Keys such as ``kind``, ``event_id``, ``email``, ``phone``, ``first_name``,
    ``sms_consent`` describe the event and the customer; every other key (or the
    ``fields`` object) is a merge field. Empty values count as not given.

    Args:
        data: the raw event.
        source: the way it came in (``cli``, ``folder``, ``http``); the event's
            own ``source`` key wins.
        kind: the kind to use when the event names none.

    Returns:
        The checked event.

    Raises:
        ValidationError: no kind, no way to reach the customer, a bad field name
            or value; the message names the field.
    """
    own, raw_fields = _split(data)
    given_kind = _text(own.get("kind"), "kind") or (kind or "")
    if not given_kind:
        raise ValidationError("kind: the event does not say what happened.")
    values = {
        name: _text(own.get(name), name.replace("_", " ")) for name in _CONTACT_FIELDS
    }
    if not values["email"] and not values["phone"]:
        raise ValidationError(
            "email/phone: the event names no customer; give an email or a phone."
        )

    if len(raw_fields) > MAX_FIELDS:
        raise ValidationError(
            f"fields: {len(raw_fields)} fields; an event carries at most {MAX_FIELDS}."
        )
    fields: dict[str, str] = {}
    for name, value in raw_fields.items():
        text = _text(value, f"Field '{name}'")
        if text:
            fields[check_field_name(name)] = text

    event_source = _text(own.get("source"), "source") or source
    if not _SOURCE.match(event_source):
        raise ValidationError(f"source: '{event_source}' is not a source name.")
    checked_kind = check_kind(given_kind)
    sms = parse_bool(own.get("sms_consent"), "sms_consent")
    email = parse_bool(own.get("email_consent"), "email_consent")

    event_id = _text(own.get("event_id"), "event_id")
    if len(event_id) > MAX_ID_CHARS:
        raise ValidationError(f"event_id: at most {MAX_ID_CHARS} characters.")
    given = bool(event_id)
    if not given:
        event_id = _content_id(
            {"kind": checked_kind, **values, "fields": fields, "sms": sms, "em": email}
        )
    return Event(
        kind=checked_kind,
        event_id=event_id,
        source=event_source,
        fields=fields,
        sms_consent=sms,
        email_consent=email,
        id_given=given,
        **values,
    )
