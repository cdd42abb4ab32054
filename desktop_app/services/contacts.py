"""Contact use cases for the window and the command line: edit, tag, delete, timeline.

Edits are checked with the same rules as an import (phones through
``core.phones.parse_phone`` with the ``phones.default_region`` setting, emails
through ``core.emails``) and written in one transaction.

Deleting keeps the consent record honest. The ledger rows of a deleted contact stay
(``consent.contact_id`` becomes NULL) with the phone or email they were about, so
the proof of consent for messages already sent survives, and an opt-out lives on:
a contact created later with the same number or address (an import of an export
that still says "Accepts SMS Marketing: yes", a webhook) gets the opt-out again
(``storage.consent.deleted_opt_outs``). Only a contact whose opt-out has no number
or address at all to carry it is kept and reported. Messages sent to a deleted
contact stay in the history (``messages.contact_id`` becomes NULL).
"""

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import sqlite_utils

from desktop_app.core import emails as email_rules
from desktop_app.core import phones as phone_rules
from desktop_app.core.contact_import.merging import primary_phone
from desktop_app.core.timezones import is_zone_name
from desktop_app.errors import ValidationError
from desktop_app.services import history
from desktop_app.spreadsheet import write_excel_csv
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts as contact_store
from desktop_app.storage.contacts import Contact
from desktop_app.storage.database import utc_now
from desktop_app.storage.settings import get_setting

logger = logging.getLogger(__name__)

TEXT_FIELDS: Final = ("first_name", "last_name", "full_name", "company")
EDITABLE: Final = (*TEXT_FIELDS, "phones", "emails", "tags", "timezone")
_TAG_FORBIDDEN: Final = (",", ";")
_MAX_TAG: Final = 60


@dataclass(frozen=True)
class DeleteResult:
    """What :func:`delete_contacts` did.

    Attributes:
        deleted: ids of the contacts removed.
        kept: id -> why the contact was kept (it opted out of a channel and the
            ledger has no phone or email to keep the opt-out for).
    """

    deleted: list[int] = field(default_factory=list)
    kept: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain JSON values."""
        return {"deleted": self.deleted, "kept": self.kept}


def _one_row(db: sqlite_utils.Database, contact_id: int) -> dict[str, Any]:
    rows = contact_store.raw_rows_by_id(db, [contact_id])
    if not rows:
        raise ValidationError(f"There is no contact number {contact_id}.")
    return rows[0]


def _clean_text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _phone_entries(
    texts: Iterable[str], before: list[dict[str, Any]], region: str
) -> list[dict[str, Any]]:
    """Return the stored phone list for what the owner typed, one number a line.

    A number the contact already had keeps its stored entry (label, type);
    a new one is checked like an imported cell.
    """
    known = {}
    for entry in before:
        for key in (entry.get("e164"), entry.get("raw")):
            if key:
                known.setdefault(str(key).strip(), entry)
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for text in texts:
        text = text.strip()
        if not text:
            continue
        entry = known.get(text)
        if entry is None:
            result = phone_rules.parse_phone(text, region)
            if not result.plausible:
                raise ValidationError(f"Phone: {result.warning}")
            entry = result.to_json(label="")
        key = str(entry.get("e164") or entry.get("raw"))
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    return entries


def _email_list(texts: Iterable[str]) -> list[str]:
    addresses: list[str] = []
    keys: set[str] = set()
    for text in texts:
        if not text.strip():
            continue
        cell = email_rules.parse_email_cell(text)
        if cell.invalid:
            raise ValidationError(f"Email: '{cell.invalid[0]}' is not an address.")
        if cell.gateway_phones:
            raise ValidationError(
                f"Email: '{text.strip()}' is a carrier's SMS gateway address; enter "
                f"the number {cell.gateway_phones[0]} as a phone instead."
            )
        for address in cell.valid:
            key = email_rules.email_key(address)
            if key not in keys:
                keys.add(key)
                addresses.append(address)
    return addresses


def _check_tag(tag: str) -> str:
    cleaned = _clean_text(tag)
    if not cleaned:
        raise ValidationError("Tag: a tag needs at least one letter or digit.")
    if any(mark in cleaned for mark in _TAG_FORBIDDEN):
        raise ValidationError(f"Tag: '{cleaned}' may not contain a comma or semicolon.")
    if len(cleaned) > _MAX_TAG:
        raise ValidationError(f"Tag: at most {_MAX_TAG} characters.")
    return cleaned


def _tag_list(tags: Iterable[str]) -> list[str]:
    result: list[str] = []
    for tag in tags:
        if not _clean_text(tag):
            continue
        cleaned = _check_tag(tag)
        if cleaned.casefold() not in {t.casefold() for t in result}:
            result.append(cleaned)
    return result


def _apply(row: dict[str, Any], changes: dict[str, Any], region: str) -> None:
    """Write the checked ``changes`` into the raw ``row``."""
    for name in TEXT_FIELDS:
        if name in changes:
            row[name] = _clean_text(changes[name])
    if "timezone" in changes:
        zone = str(changes["timezone"] or "").strip()
        if zone and not is_zone_name(zone):
            raise ValidationError(
                f"Time zone: '{zone}' is not a time zone name such as America/Chicago."
            )
        row["timezone"] = zone
    if "phones" in changes:
        phones = _phone_entries(changes["phones"], json.loads(row["phones"]), region)
        row["phones"] = json.dumps(phones, ensure_ascii=False)
        row["phone"], row["phone_kind"] = primary_phone(phones)
    if "emails" in changes:
        emails = _email_list(changes["emails"])
        row["emails"] = json.dumps(emails, ensure_ascii=False)
        row["email"] = emails[0] if emails else None
        row["email_key"] = email_rules.email_key(emails[0]) if emails else None
    if "tags" in changes:
        row["tags"] = json.dumps(_tag_list(changes["tags"]), ensure_ascii=False)


def update_contact(
    db: sqlite_utils.Database, contact_id: int, changes: dict[str, Any]
) -> Contact:
    """Change a contact's names, company, phones, emails, tags or time zone.

    Args:
        db: the open database.
        contact_id: the contact.
        changes: any of :data:`EDITABLE`; ``phones``, ``emails`` and ``tags`` are
            lists of text (the whole new list), the rest text. Missing keys stay
            as they are.

    Returns:
        The contact as stored afterwards.

    Raises:
        ValidationError: no such contact, an unknown field, a phone number or
            email that does not pass the import's rules, a bad tag or time zone,
            or a contact left with neither a phone nor an email.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(f"{unknown[0]}: this field cannot be edited.")
    row = _one_row(db, contact_id)
    region = get_setting(db, "phones.default_region") or "US"
    before = dict(row)

    _apply(row, changes, region)
    if row["phones"] == "[]" and row["emails"] == "[]":
        raise ValidationError(
            "Phone and email: a contact needs at least a phone number or an email."
        )
    if row == before:
        return contact_store.get_contact(db, contact_id)

    row["updated_at"] = utc_now()
    with db.atomic():
        kept = contact_store.replace_contact_rows(
            db, [row], before={contact_id: before}
        )
    logger.info(
        "contact %d edited (%s)%s",
        contact_id,
        ", ".join(sorted(changes)),
        f"; {len(kept)} earlier opt-out(s) of its new phone or email kept"
        if kept
        else "",
    )
    return contact_store.get_contact(db, contact_id)


def _change_tags(
    db: sqlite_utils.Database, contact_ids: Iterable[int], tag: str, *, add: bool
) -> int:
    cleaned = _check_tag(tag)
    key = cleaned.casefold()
    now = utc_now()
    changed: list[dict[str, Any]] = []
    for row in contact_store.raw_rows_by_id(db, contact_ids):
        tags = json.loads(row["tags"])
        has = any(t.casefold() == key for t in tags)
        if add and not has:
            tags.append(cleaned)
        elif not add and has:
            tags = [t for t in tags if t.casefold() != key]
        else:
            continue
        row["tags"] = json.dumps(tags, ensure_ascii=False)
        row["updated_at"] = now
        changed.append(row)
    if changed:
        with db.atomic():
            contact_store.replace_contact_rows(db, changed)
    return len(changed)


def add_tag(db: sqlite_utils.Database, contact_ids: Iterable[int], tag: str) -> int:
    """Put ``tag`` on every contact in ``contact_ids`` that lacks it.

    Args:
        db: the open database.
        contact_ids: the contacts.
        tag: the tag (compared case-insensitively).

    Returns:
        How many contacts changed.

    Raises:
        ValidationError: the tag is blank, too long, or has a comma or semicolon.
    """
    count = _change_tags(db, contact_ids, tag, add=True)
    logger.info("tag added to %d contacts", count)
    return count


def remove_tag(db: sqlite_utils.Database, contact_ids: Iterable[int], tag: str) -> int:
    """Take ``tag`` off every contact in ``contact_ids`` that has it.

    Args:
        db: the open database.
        contact_ids: the contacts.
        tag: the tag (compared case-insensitively).

    Returns:
        How many contacts changed.

    Raises:
        ValidationError: the tag is blank, too long, or has a comma or semicolon.
    """
    count = _change_tags(db, contact_ids, tag, add=False)
    logger.info("tag removed from %d contacts", count)
    return count


def opted_out_channels(db: sqlite_utils.Database, contact_id: int) -> list[str]:
    """Return the channels the contact opted out of (``sms``, ``email``).

    Args:
        db: the open database.
        contact_id: the contact.
    """
    return [
        channel
        for channel in consent_store.CHANNELS
        if consent_store.current_consent(db, contact_id, channel) == "opted_out"
    ]


def delete_contacts(
    db: sqlite_utils.Database, contact_ids: Iterable[int]
) -> DeleteResult:
    """Delete contacts; their consent rows and opt-outs stay (see module notes).

    An opt-out recorded for a phone or email the contact no longer has is
    recorded again for the current one first, so it covers both. A contact who
    opted out of a channel for which the ledger holds no number or address is
    kept: deleting them would forget the opt-out.

    Args:
        db: the open database.
        contact_ids: the contacts to delete; unknown ids are ignored.

    Returns:
        Which contacts were deleted and which were kept, and why.
    """
    ids = [row["id"] for row in contact_store.raw_rows_by_id(db, contact_ids)]
    kept: dict[int, str] = {}
    with db.atomic():
        lost = consent_store.unanchored_opt_outs(db, ids)
        for contact_id, channels in lost.items():
            names = " and ".join(consent_store.CHANNEL_NAMES[c] for c in channels)
            kept[contact_id] = (
                f"opted out of {names}, and Duet has no number or address to keep "
                "that opt-out for once the contact is gone"
            )
        deleted = [contact_id for contact_id in ids if contact_id not in kept]
        if deleted:
            contact_store.delete_contact_rows(db, deleted)
    logger.info("deleted %d contacts, kept %d opted out", len(deleted), len(kept))
    return DeleteResult(deleted, kept)


def contact_messages(
    db: sqlite_utils.Database, contact_id: int, *, limit: int = 500
) -> list[history.HistoryRow]:
    """Return the messages sent (or queued, held, failed) to one contact, newest first.

    Args:
        db: the open database.
        contact_id: the contact.
        limit: at most this many.

    Returns:
        The contact's history rows.
    """
    return history.list_history(db, contact_id=contact_id, limit=limit)


EXPORT_COLUMNS: Final = (
    "first_name",
    "last_name",
    "company",
    "phone",
    "email",
    "other_phones",
    "other_emails",
    "tags",
    "sms_consent",
    "email_consent",
)


def export_contacts_csv(
    db: sqlite_utils.Database,
    path: Path,
    *,
    tag: str | None = None,
    search: str | None = None,
) -> int:
    """Write contacts to a CSV file that is safe to open in a spreadsheet.

    Cells starting with ``= + - @``, a tab or a carriage return get a leading ``'``
    so a spreadsheet shows them as text; the stored values stay unchanged. The
    file is UTF-8 with a byte-order mark, which Excel needs to read accents.

    Args:
        path: the file to write (replaced if it exists).
        tag: only contacts with this tag.
        search: only contacts matching this text, as the contacts filter does.

    Returns:
        How many contacts were written.

    Raises:
        StorageError: the file cannot be written.
    """
    chosen = contact_store.list_contacts(db, tag=tag, search=search)
    ids = [contact.id for contact in chosen]
    sms = consent_store.consent_map(db, ids, "sms")
    mail = consent_store.consent_map(db, ids, "email")

    def rows() -> Iterator[tuple[object, ...]]:
        for contact in chosen:
            others = [
                p.get("e164") or p.get("raw", "")
                for p in contact.phones
                if (p.get("e164") or p.get("raw")) != contact.phone
            ]
            yield (
                contact.first_name,
                contact.last_name,
                contact.company,
                contact.phone or "",
                contact.email or "",
                "; ".join(others),
                "; ".join(e for e in contact.emails if e != contact.email),
                "; ".join(contact.tags),
                sms.get(contact.id, "unknown"),
                mail.get(contact.id, "unknown"),
            )

    write_excel_csv(path, EXPORT_COLUMNS, rows(), what="the contacts")

    logger.info("exported %d contacts", len(chosen))
    return len(chosen)
