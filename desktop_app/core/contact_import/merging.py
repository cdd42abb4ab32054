"""Check records and group them into contacts (samples README §1-4 and §7).

A record is kept when it has a valid e-mail or a plausible phone. Records (and
contacts already stored) are the same person when they share a normalised e-mail, or
share a phone (E.164 equal, else the last 9 digits) and have equal full names after
folding case and accents and collapsing spaces. Grouping is transitive.
"""

import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core import emails as email_rules
from desktop_app.core import phones as phone_rules
from desktop_app.core.contact_import.records import ConsentValue, RawRecord

logger = logging.getLogger(__name__)

TRUNCATED_REASON = "file truncated: the file ends inside a quoted field"


def name_key(name: str) -> str:
    """Return the form full names are compared on.

    Args:
        name: a full name.

    Returns:
        Case-folded, accents removed, whitespace collapsed.
    """
    folded = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(stripped.split())


@dataclass(slots=True)
class PhoneEntry:
    """A checked phone number with its label."""

    result: phone_rules.PhoneResult
    label: str

    def key(self) -> str:
        """Return the identity of the number inside one contact."""
        number = self.result.e164 or self.result.digits
        return f"{number}x{self.result.extension or ''}"


@dataclass(slots=True)
class CheckedRecord:
    """A record that became (part of) a contact (tuples keep 100k of them small)."""

    row: int
    first_name: str
    last_name: str
    full_name: str
    company: str
    phones: tuple[PhoneEntry, ...]
    emails: tuple[str, ...]
    tags: tuple[str, ...]
    country: str
    custom: tuple[str, ...]
    consent: tuple[ConsentValue, ...]
    warnings: tuple[tuple[str | None, str], ...] = ()
    timezone: str = ""

    @property
    def name_key(self) -> str:
        """Return the comparison form of the full name."""
        return name_key(self.full_name)


@dataclass(slots=True)
class Rejection:
    """A record that could not become a contact."""

    row: int
    reason: str
    column: str | None = None
    warnings: list[tuple[str | None, str]] = field(default_factory=list)


def check_record(raw: RawRecord, region: str) -> CheckedRecord | Rejection:
    """Validate a record's phones and e-mails and decide whether it is kept.

    Args:
        raw: the record as read.
        region: default region for numbers without a country code (the record's own
            country wins when phonenumbers knows it).

    Returns:
        The checked record, or a rejection with its reason.
    """
    if raw.truncated:
        return Rejection(raw.row, TRUNCATED_REASON)
    warnings: list[tuple[str | None, str]] = []
    if raw.country and phone_rules.is_supported_region(raw.country):
        region = raw.country

    addresses: list[str] = []
    seen: set[str] = set()
    phones: list[PhoneEntry] = []
    bad_email = None
    for source in raw.emails:
        cell = email_rules.parse_email_cell(source.value)
        for address in cell.valid:
            if email_rules.email_key(address) not in seen:
                seen.add(email_rules.email_key(address))
                addresses.append(address)
        for piece in cell.invalid:
            bad_email = bad_email or source.field
            warnings.append((source.field, f"E-mail '{piece}' is not valid; dropped."))
        for digits, domain in zip(
            cell.gateway_phones, cell.gateway_domains, strict=True
        ):
            result = phone_rules.parse_phone(digits, "US")
            phones.append(PhoneEntry(result, "mobile"))
            warnings.append((source.field, email_rules.gateway_warning(domain)))

    bad_phone = None
    for source in raw.phones:
        for piece in phone_rules.split_phone_cell(source.value):
            result = phone_rules.parse_phone(piece, region)
            if result.warning:
                warnings.append((source.field, result.warning))
            if result.plausible:
                phones.append(PhoneEntry(result, source.label))
            else:
                bad_phone = bad_phone or source.field

    full_name = raw.full_name or " ".join(
        part for part in (raw.first_name, raw.middle_name, raw.last_name) if part
    )
    if not addresses and not phones:
        return _rejection(raw, warnings, bad_email, bad_phone)
    return CheckedRecord(
        row=raw.row,
        first_name=raw.first_name,
        last_name=raw.last_name,
        full_name=full_name,
        company=raw.company,
        phones=_unique_phones(phones),
        emails=tuple(addresses),
        tags=tuple(raw.tags),
        country=raw.country,
        custom=tuple(item for pair in raw.custom.items() for item in pair),
        consent=tuple(raw.consent),
        warnings=tuple(warnings),
        timezone=raw.timezone,
    )


def _unique_phones(phones: list[PhoneEntry]) -> tuple[PhoneEntry, ...]:
    seen: set[str] = set()
    unique = []
    for entry in phones:
        if entry.key() not in seen:
            seen.add(entry.key())
            unique.append(entry)
    return tuple(unique)


def _rejection(
    raw: RawRecord,
    warnings: list[tuple[str | None, str]],
    bad_email: str | None,
    bad_phone: str | None,
) -> Rejection:
    problems = [message for _, message in warnings]
    if problems:
        reason = "no valid e-mail or plausible phone number: " + " ".join(problems)
    else:
        reason = "no e-mail address or phone number"
    return Rejection(raw.row, reason, bad_email or bad_phone, warnings)


@dataclass(slots=True)
class ExistingContact:
    """What matching needs to know about a stored contact."""

    id: int
    name_key: str
    email_keys: list[str]
    phones: list[tuple[str, str | None]]


def phone_match_key(e164: str | None, digits: str) -> str:
    """Return the last 9 digits of a number (all digits when shorter).

    Args:
        e164: the E.164 form, or None.
        digits: the cleaned digits, used when there is no E.164 form.
    """
    source = e164[1:] if e164 else digits
    return source[-9:]


class Grouper:
    """Groups checked records with each other and with stored contacts."""

    def __init__(self, existing: list[ExistingContact] | None = None) -> None:
        """Start with the stored contacts' e-mails and phones indexed.

        Args:
            existing: every stored contact (may be empty).
        """
        self._parent: list[int] = []
        self._db_id: list[int | None] = []
        self._email: dict[str, int] = {}
        self._phone: dict[str, list[tuple[int, str | None, str]]] = {}
        self.records: list[CheckedRecord | None] = []
        for contact in existing or []:
            node = self._new_node(contact.id, None)
            for key in contact.email_keys:
                self._email.setdefault(key, node)
            for e164, digits in contact.phones:
                match = phone_match_key(e164, digits or "")
                if match:
                    self._phone.setdefault(match, []).append(
                        (node, e164, contact.name_key)
                    )

    def _new_node(self, db_id: int | None, record: CheckedRecord | None) -> int:
        self._parent.append(len(self._parent))
        self._db_id.append(db_id)
        self.records.append(record)
        return len(self._parent) - 1

    def _find(self, node: int) -> int:
        parent = self._parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def _union(self, a: int, b: int) -> None:
        root_a, root_b = self._find(a), self._find(b)
        if root_a == root_b:
            return
        db_a, db_b = self._db_id[root_a], self._db_id[root_b]
        if db_a is not None and db_b is not None:
            return
        if db_b is not None or (db_a is None and root_b < root_a):
            root_a, root_b = root_b, root_a
        self._parent[root_b] = root_a

    def add(self, record: CheckedRecord) -> None:
        """Add a record, joining it to every record or contact it matches.

        Args:
            record: a checked record.
        """
        node = self._new_node(None, record)
        keys = [email_rules.email_key(address) for address in record.emails]
        for key in keys:
            other = self._email.get(key)
            if other is not None:
                self._union(other, node)
        name = record.name_key
        for entry in record.phones:
            match = entry.result.match_key()
            candidates = self._phone.get(match, ())
            for other, e164, other_name in candidates:
                same = e164 is None or entry.result.e164 is None
                if name and other_name == name and (same or e164 == entry.result.e164):
                    self._union(other, node)
        for key in keys:
            self._email.setdefault(key, node)
        for entry in record.phones:
            self._phone.setdefault(entry.result.match_key(), []).append(
                (node, entry.result.e164, name)
            )

    def groups(self) -> list[tuple[int | None, list[CheckedRecord]]]:
        """Return (stored contact id or None, records) per resulting contact.

        Groups are in the order of their first record; stored contacts that no
        record matched are left out.
        """
        members: dict[int, list[CheckedRecord]] = {}
        for node, record in enumerate(self.records):
            if record is not None:
                members.setdefault(self._find(node), []).append(record)
        return [(self._db_id[root], records) for root, records in members.items()]

    def release(self) -> None:
        """Drop the indexes and records once :meth:`groups` has been taken."""
        self._email.clear()
        self._phone.clear()
        self.records = []


def _first(values: list[str]) -> str:
    return next((value for value in values if value), "")


def fold_records(records: list[CheckedRecord]) -> dict[str, Any]:
    """Combine one group's records into contact values (first non-empty wins).

    Args:
        records: the group's records, in file order.

    Returns:
        Values keyed like the ``contacts`` columns (lists and dicts not yet JSON).
    """
    if len(records) == 1:
        return _single(records[0])
    emails: list[str] = []
    email_keys: set[str] = set()
    phones: dict[str, PhoneEntry] = {}
    tags: list[str] = []
    tag_keys: set[str] = set()
    custom: dict[str, str] = {}
    warnings: list[str] = []
    for record in records:
        for address in record.emails:
            if email_rules.email_key(address) not in email_keys:
                email_keys.add(email_rules.email_key(address))
                emails.append(address)
        for entry in record.phones:
            phones.setdefault(entry.key(), entry)
        for tag in record.tags:
            if tag.casefold() not in tag_keys:
                tag_keys.add(tag.casefold())
                tags.append(tag)
        for key, value in zip(record.custom[::2], record.custom[1::2], strict=True):
            custom.setdefault(key, value)
        for _, message in record.warnings:
            if message not in warnings:
                warnings.append(message)
    return {
        "first_name": _first([r.first_name for r in records]),
        "last_name": _first([r.last_name for r in records]),
        "full_name": _first([r.full_name for r in records]),
        "company": _first([r.company for r in records]),
        "country": _first([r.country for r in records]),
        "timezone": _first([r.timezone for r in records]),
        "emails": emails,
        "phones": [entry.result.to_json(entry.label) for entry in phones.values()],
        "tags": tags,
        "custom": custom,
        "warnings": warnings,
    }


def _single(record: CheckedRecord) -> dict[str, Any]:
    """Fold a group of one record (most groups): no de-duplication needed."""
    tags: list[str] = []
    for tag in record.tags:
        if tag.casefold() not in (t.casefold() for t in tags):
            tags.append(tag)
    warnings = list(dict.fromkeys(message for _, message in record.warnings))
    return {
        "first_name": record.first_name,
        "last_name": record.last_name,
        "full_name": record.full_name,
        "company": record.company,
        "country": record.country,
        "timezone": record.timezone,
        "emails": list(record.emails),
        "phones": [entry.result.to_json(entry.label) for entry in record.phones],
        "tags": tags,
        "custom": dict(zip(record.custom[::2], record.custom[1::2], strict=True)),
        "warnings": warnings,
    }


def primary_phone(phones: list[dict[str, Any]]) -> tuple[str | None, str]:
    """Return the contact's ``phone`` and ``phone_kind`` from its phone list.

    The first SMS-capable number (mobile or unknown type) with an E.164 form, else
    the first number with an E.164 form.

    Args:
        phones: the stored phone dicts.
    """
    with_e164 = [p for p in phones if p.get("e164")]
    for entry in with_e164:
        if entry.get("kind") in ("mobile", "unknown"):
            return entry["e164"], entry["kind"]
    if with_e164:
        return with_e164[0]["e164"], with_e164[0].get("kind") or "unknown"
    return None, "unknown"


def possible_duplicates(
    groups: list[tuple[int | None, list[CheckedRecord]]], limit: int = 3
) -> list[tuple[int, str]]:
    """Flag new contacts that look like the same person but were not merged.

    Two cases from the samples README: the same full name with no shared channel,
    and a shared phone with different names (a household). Names or numbers shared
    by more than ``limit`` contacts are common, not suspicious, and are not flagged.

    Args:
        groups: the groups from :meth:`Grouper.groups`.
        limit: the largest set of contacts flagged together.

    Returns:
        (row, message) for each later contact of a flagged set.
    """
    by_name: dict[str, list[int]] = {}
    by_phone: dict[str, list[int]] = {}
    for index, (_, records) in enumerate(groups):
        name = records[0].name_key
        if " " in name:
            by_name.setdefault(name, []).append(index)
        keys = {entry.result.match_key() for r in records for entry in r.phones}
        for key in keys:
            by_phone.setdefault(key, []).append(index)

    flags: list[tuple[int, str]] = []
    for members in by_name.values():
        if 1 < len(members) <= limit:
            first = groups[members[0]][1][0].row
            for index in members[1:]:
                row = groups[index][1][0].row
                flags.append((row, f"Possible duplicate of row {first}: same name."))
    for members in by_phone.values():
        if 1 < len(members) <= limit:
            first = groups[members[0]][1][0].row
            for index in members[1:]:
                row = groups[index][1][0].row
                flags.append(
                    (row, f"Possible duplicate of row {first}: same phone number.")
                )
    return sorted(flags)
