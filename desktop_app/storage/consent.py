"""The consent ledger: one row per change, per contact and channel, never deleted.

The current status of a contact on a channel is its newest row. Every row says where
it came from (``import`` with file and row, ``reply`` with the reply's text,
``manual`` with the owner's note, ``email`` for an unsubscribe mail) and when.

Each row also keeps its ``recipient``: the contact's E.164 phone (sms) or email
(email) when the row was written. Deleting a contact keeps its rows (``contact_id``
becomes NULL, migration 7), so an opt-out outlives the contact: a contact created
later with the same number or address gets the opt-out again (source
``suppression``, see :func:`suppression_row`). An opt-out from a number or address
that no contact has (a STOP from a stranger) is written the same way, without a
contact from the start (:func:`record_without_contact`).
"""

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlite_utils

from desktop_app.core.emails import email_key
from desktop_app.errors import ValidationError
from desktop_app.spreadsheet import write_excel_csv
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

CHANNELS = ("sms", "email")
STATUSES = ("opted_in", "opted_out", "unknown")
MANUAL: Final = "manual"
SUPPRESSION: Final = "suppression"
CHANNEL_NAMES: Final = {"sms": "SMS", "email": "email"}

# The end of the evidence of a row written without a contact (a stranger's
# opt-out), per channel; :func:`record_without_contact` makes sure it is there.
NO_CONTACT_HAD: Final = {
    "sms": "(no contact had this number)",
    "email": "(no contact had this address)",
}
# How the mailbox poll marked a stranger's unsubscribe before NO_CONTACT_HAD:
# "..., Message-ID <id>; no contact has this address" (a contact's says "; contact
# found by ...").
_OLD_MAIL_STRANGER: Final = re.compile(
    r"Message-ID \S+; (no contact has this address|contact found by)"
)
# What the consent export says in place of a name for a row without a contact.
DELETED_CONTACT: Final = "(deleted contact)"
NEVER_A_CONTACT: Final = {
    "sms": "(no contact: a number no contact had)",
    "email": "(no contact: an address no contact had)",
}

LEDGER_COLUMNS: Final = (
    "id",
    "contact_id",
    "contact_name",
    "phone",
    "email",
    "recipient",
    "channel",
    "status",
    "source",
    "evidence",
    "import_id",
    "created_at",
)


def record_consent(
    db: sqlite_utils.Database,
    contact_id: int,
    channel: str,
    status: str,
    *,
    source: str,
    evidence: str = "",
    import_id: int | None = None,
) -> int:
    """Append one consent change and return its row id.

    Args:
        channel: ``sms`` or ``email``.
        status: ``opted_in``, ``opted_out`` or ``unknown``.
        source: where it came from, e.g. ``import``, ``reply``, ``manual``.
        evidence: proof as text, e.g. ``file.csv row 12: Accepts SMS Marketing=yes``.

    The row's ``recipient`` is the contact's current phone (sms) or email (email).
    """
    if channel not in CHANNELS or status not in STATUSES:
        raise ValueError(f"bad consent {channel!r}/{status!r}")
    table = db["consent"]
    row: dict[str, Any] = {
        "contact_id": contact_id,
        "channel": channel,
        "status": status,
        "source": source,
        "evidence": evidence,
        "import_id": import_id,
        "created_at": utc_now(),
    }
    if has_recipient_column(db):
        row["recipient"] = recipient_of(db, contact_id, channel)
    table.insert(row)
    return int(table.last_pk)  # type: ignore[arg-type]


def has_recipient_column(db: sqlite_utils.Database) -> bool:
    """Return True when the ledger has migration 7's ``recipient`` column."""
    columns = db.execute("PRAGMA table_info(consent)").fetchall()
    return any(column[1] == "recipient" for column in columns)


def recipient_of(
    db: sqlite_utils.Database, contact_id: int, channel: str
) -> str | None:
    """Return the contact's phone (sms) or email (email) as a ledger row keeps it.

    Args:
        contact_id: the contact.
        channel: ``sms`` or ``email``.

    Returns:
        The E.164 phone or the email; None for an unknown contact or a missing one.
    """
    column = "phone" if channel == "sms" else "email"
    row = db.execute(
        f"SELECT {column} FROM contacts WHERE id = ?", [contact_id]
    ).fetchone()
    return None if row is None else row[0]


def current_consent(db: sqlite_utils.Database, contact_id: int, channel: str) -> str:
    """Return the newest status for one contact and channel (``unknown`` if none)."""
    return consent_map(db, [contact_id], channel).get(contact_id, "unknown")


def consent_map(
    db: sqlite_utils.Database, contact_ids: Iterable[int] | None, channel: str
) -> dict[int, str]:
    """Return the newest status per contact for ``channel``.

    Args:
        contact_ids: the contacts to look up; ``None`` for every contact.

    Contacts without any row are left out (their status is ``unknown``), and so
    are the rows of deleted contacts.
    """
    sql = (
        "SELECT contact_id, status FROM consent WHERE id IN ("
        " SELECT max(id) FROM consent WHERE channel = ? AND contact_id IS NOT NULL"
        " GROUP BY contact_id)"
    )
    rows = db.execute(sql, [channel]).fetchall()
    wanted = None if contact_ids is None else set(contact_ids)
    return {
        contact_id: status
        for contact_id, status in rows
        if wanted is None or contact_id in wanted
    }


def consent_history(
    db: sqlite_utils.Database, contact_id: int
) -> list[dict[str, object]]:
    """Return every consent row for one contact, oldest first."""
    return list(
        db.query("SELECT * FROM consent WHERE contact_id = ? ORDER BY id", [contact_id])
    )


class NoteNeeded(ValidationError):
    """A manual change refused for want of the owner's note (the evidence)."""


def set_consent_manually(
    db: sqlite_utils.Database, contact_id: int, channel: str, status: str, note: str
) -> int | None:
    """Record a consent change the owner makes by hand, with their note.

    Nothing is recorded when the status would not change. An opt-in needs a
    number (SMS) or an address (email) to be about: a contact without one cannot
    be opted in, so a number added later is never texted on consent given before
    it existed. Opting out is always allowed. An opt-in needs a note
    saying what the evidence is, e.g. "signed the form at the counter on 3 May",
    and so does any move away from ``opted_out``: an opt-out is never undone
    silently. Opting out never needs a note. The evidence keeps the old status.

    Args:
        contact_id: the contact.
        channel: ``sms`` or ``email``.
        status: ``opted_in``, ``opted_out`` or ``unknown``.
        note: the owner's evidence or reason; required for an opt-in and when
            undoing an opt-out.

    Returns:
        The new ledger row's id, or None when the status is already ``status``.

    Raises:
        ValidationError: unknown contact, channel or status; an opt-in for a
            contact without a phone (SMS) or an email (email).
        NoteNeeded: a missing note.
    """
    if channel not in CHANNELS:
        raise ValidationError(f"Channel: '{channel}' is not sms or email.")
    if status not in STATUSES:
        known = ", ".join(STATUSES)
        raise ValidationError(f"Status: '{status}' is not one of {known}.")
    exists = db.execute("SELECT 1 FROM contacts WHERE id = ?", [contact_id]).fetchone()
    if exists is None:
        raise ValidationError(f"There is no contact number {contact_id}.")

    note = " ".join(note.split())
    before = current_consent(db, contact_id, channel)
    if status == "opted_in" and not recipient_of(db, contact_id, channel):
        raise ValidationError(missing_address_message(contact_id, channel))
    if before == status:
        logger.info(
            "consent of contact %d on %s already %s; nothing recorded",
            contact_id,
            channel,
            status,
        )
        return None
    if before == "opted_out" and not note:
        raise NoteNeeded(
            f"Note: contact {contact_id} opted out of {channel}. Say why the opt-out "
            "no longer applies (for example, when and how they asked to join again)."
        )
    if status == "opted_in" and not note:
        raise NoteNeeded(
            f"Note: say what shows contact {contact_id} agreed to "
            f"{CHANNEL_NAMES[channel]} (for example, signed the form at the counter "
            "on 3 May)."
        )

    evidence = f"manual change from {before} to {status}"
    evidence += f": {note}" if note else " (no note)"
    row_id = record_consent(
        db, contact_id, channel, status, source=MANUAL, evidence=evidence
    )
    logger.info(
        "consent of contact %d on %s set to %s by hand", contact_id, channel, status
    )
    return row_id


def missing_address_message(contact_id: int, channel: str) -> str:
    """Return why a contact cannot be opted in to a channel it has no address for.

    Args:
        contact_id: the contact.
        channel: ``sms`` or ``email``.
    """
    if channel == "sms":
        return (
            f"Contact {contact_id} has no phone number; add one before recording "
            "SMS consent."
        )
    return (
        f"Contact {contact_id} has no email address; add one before recording "
        "email consent."
    )


def written_without_contact(channel: str, source: str, evidence: str) -> bool:
    """Return True for a row written without a contact (a stranger's opt-out).

    A row without a contact is either such a row or one whose contact was
    deleted since. The evidence tells them apart: :func:`record_without_contact`
    ends it with :data:`NO_CONTACT_HAD`, and the mailbox poll's older rows say
    "no contact has this address" after the mail's Message-ID.

    Args:
        channel: the row's channel.
        source: the row's source.
        evidence: the row's evidence.
    """
    marker = NO_CONTACT_HAD.get(channel)
    if marker and evidence.endswith(marker):
        return True
    if channel == "email" and source == "email":
        found = _OLD_MAIL_STRANGER.findall(evidence)
        return bool(found) and found[-1] == "no contact has this address"
    return False


def ledger_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Return every ledger row with the contact's name, phone and email, oldest first.

    A row without a contact has no contact id; its name says why: a row written
    for a number or address no contact had ("(no contact: a number no contact
    had)", see :func:`written_without_contact`), else the row of a contact
    deleted since ("(deleted contact)"). ``recipient`` is the number or address
    the row was about, also for them.

    Returns:
        Dicts keyed by :data:`LEDGER_COLUMNS`.
    """
    sql = (
        "SELECT consent.id, consent.contact_id,"
        " CASE WHEN contacts.id IS NULL THEN NULL ELSE"
        " coalesce(nullif(contacts.full_name, ''),"
        "  nullif(trim(coalesce(contacts.first_name, '') || ' ' ||"
        "  coalesce(contacts.last_name, '')), ''),"
        "  nullif(contacts.company, ''), '') END AS contact_name,"
        " contacts.phone, contacts.email, consent.recipient,"
        " consent.channel, consent.status,"
        " consent.source, consent.evidence, consent.import_id, consent.created_at"
        " FROM consent LEFT JOIN contacts ON contacts.id = consent.contact_id"
        " ORDER BY consent.id"
    )
    rows = list(db.query(sql))
    for row in rows:
        if row["contact_name"] is not None:
            continue
        channel = str(row["channel"])
        stranger = written_without_contact(
            channel, str(row["source"]), str(row["evidence"] or "")
        )
        row["contact_name"] = NEVER_A_CONTACT[channel] if stranger else DELETED_CONTACT
    return rows


def export_ledger_csv(db: sqlite_utils.Database, path: Path) -> int:
    """Write the whole consent ledger to a CSV file, as proof of consent.

    The file is UTF-8 with a byte-order mark so Excel reads accents right; a cell
    that a spreadsheet would run as a formula is written with a leading ``'``
    (see :func:`desktop_app.spreadsheet.excel_safe`). The database keeps its values unchanged.

    Args:
        path: the CSV file to write (replaced if it exists).

    Returns:
        How many ledger rows were written.

    Raises:
        StorageError: the file cannot be written.
    """
    rows = ledger_rows(db)
    write_excel_csv(
        path,
        LEDGER_COLUMNS,
        ([row[name] for name in LEDGER_COLUMNS] for row in rows),
        what="the consent ledger",
    )
    logger.info("consent ledger exported: %d rows", len(rows))
    return len(rows)


# --- opt-outs that outlive their contact ------------------------------------------


@dataclass(frozen=True)
class DeletedOptOut:
    """An opt-out without a contact: the newest such row for its recipient.

    Either its contact was deleted, or no contact had the number or address when
    the opt-out came (see :func:`record_without_contact`).

    Attributes:
        row_id: the ledger row.
        channel: ``sms`` or ``email``.
        recipient: the phone (E.164) or email it was about.
        created_at: when it was recorded (ISO 8601, UTC).
    """

    row_id: int
    channel: str
    recipient: str
    created_at: str

    @property
    def day(self) -> str:
        """Return the date of the opt-out (``2026-03-01``)."""
        return self.created_at[:10]

    def evidence(self, *, gained: bool = False) -> str:
        """Return the evidence text of the row that carries it to a contact.

        Args:
            gained: the contact existed and has just been given this number or
                address (an edit, an import that filled it in); else it is new.
        """
        when = (
            "before this contact had it" if gained else "before this contact was added"
        )
        return (
            f"{self.recipient} opted out of {CHANNEL_NAMES[self.channel]} on "
            f"{self.day} (ledger row {self.row_id}), {when}"
        )


def recipient_key(channel: str, recipient: str) -> str:
    """Return the form two recipients are compared in (E.164 phone; email folded).

    Args:
        channel: ``sms`` or ``email``.
        recipient: the phone or email as a ledger row or a sender gives it.
    """
    return email_key(recipient) if channel == "email" else recipient.strip()


def record_without_contact(
    db: sqlite_utils.Database,
    channel: str,
    recipient: str,
    status: str,
    *,
    source: str,
    evidence: str,
) -> None:
    """Append a row about a number or address no contact has (caller's transaction).

    Such a row has no ``contact_id`` and keeps the ``recipient``, like the rows of
    a deleted contact, so an opt-out from a stranger (a STOP from an unknown
    number, an unsubscribe mail from an unknown address) applies to every contact
    later created with that number or address (see :func:`deleted_opt_outs`).

    Args:
        channel: ``sms`` or ``email``.
        recipient: the E.164 phone (sms) or the email (email).
        status: ``opted_in``, ``opted_out`` or ``unknown``.
        source: where it came from, e.g. ``reply`` or ``email``.
        evidence: proof as text, e.g. the reply quoted; it is made to end with
            :data:`NO_CONTACT_HAD` ("(no contact had this number)"), which tells
            the row from a deleted contact's later.

    Raises:
        ValueError: a bad channel or status, or an empty recipient.
    """
    if channel not in CHANNELS or status not in STATUSES or not recipient.strip():
        raise ValueError(f"bad consent {channel!r}/{status!r} without a recipient")
    marker = NO_CONTACT_HAD[channel]
    if not evidence.endswith(marker):
        evidence = f"{evidence} {marker}".strip()
    insert_rows(
        db,
        [(None, channel, status, source, evidence, None, utc_now(), recipient.strip())],
    )


def deleted_opt_outs(
    db: sqlite_utils.Database,
) -> dict[str, dict[str, DeletedOptOut]]:
    """Return the opt-outs still in force for recipients without a contact.

    These are the rows of deleted contacts and the opt-outs of numbers and
    addresses no contact had (:func:`record_without_contact`). For each channel and
    recipient only the newest such row counts: a deleted contact who opted out and
    later back in leaves no opt-out.

    Returns:
        channel -> recipient key (E.164 phone; email folded) -> the opt-out.
    """
    if not has_recipient_column(db):
        return {channel: {} for channel in CHANNELS}
    newest: dict[str, dict[str, tuple[int, str, str, str]]] = {c: {} for c in CHANNELS}
    cursor = db.execute(
        "SELECT id, channel, status, recipient, created_at FROM consent"
        " WHERE contact_id IS NULL AND recipient IS NOT NULL AND recipient != ''"
        " ORDER BY id"
    )
    for row_id, channel, status, recipient, created_at in cursor:
        key = recipient_key(channel, recipient)
        newest[channel][key] = (row_id, status, recipient, created_at)
    return {
        channel: {
            key: DeletedOptOut(row_id, channel, recipient, created_at)
            for key, (row_id, status, recipient, created_at) in rows.items()
            if status == "opted_out"
        }
        for channel, rows in newest.items()
    }


def matching_opt_outs(
    known: dict[str, dict[str, DeletedOptOut]],
    phones: Iterable[str | None],
    emails: Iterable[str | None],
) -> list[DeletedOptOut]:
    """Return the contactless opt-outs a new contact's numbers or emails hit.

    Args:
        known: from :func:`deleted_opt_outs`.
        phones: the new contact's E.164 numbers (None and '' are skipped).
        emails: the new contact's email addresses.

    Returns:
        At most one opt-out per channel (the first number or address that hits).
    """
    found: list[DeletedOptOut] = []
    for channel, values in (("sms", phones), ("email", emails)):
        if not known.get(channel):
            continue
        for value in values:
            hit = known[channel].get(recipient_key(channel, value)) if value else None
            if hit is not None:
                found.append(hit)
                break
    return found


def suppression_row(
    contact_id: int,
    opt_out: DeletedOptOut,
    now: str,
    import_id: int | None = None,
    *,
    gained: bool = False,
) -> tuple[Any, ...]:
    """Return the ledger row that gives a contact an opt-out without a contact.

    Args:
        contact_id: the new contact, or the one that gained the number or address.
        opt_out: the earlier opt-out.
        now: the time to record (ISO 8601, UTC).
        import_id: the import that created or changed the contact, if any.
        gained: the contact existed before and has just gained the recipient.

    Returns:
        (contact_id, channel, status, source, evidence, import_id, created_at,
        recipient), the columns :func:`insert_rows` takes.
    """
    return (
        contact_id,
        opt_out.channel,
        "opted_out",
        SUPPRESSION,
        opt_out.evidence(gained=gained),
        import_id,
        now,
        opt_out.recipient,
    )


def insert_rows(db: sqlite_utils.Database, rows: Iterable[tuple[Any, ...]]) -> None:
    """Append ledger rows inside the caller's transaction (no commit).

    Args:
        rows: (contact_id, channel, status, source, evidence, import_id,
            created_at, recipient); a None recipient is filled from the contact.
    """
    db.conn.executemany(
        "INSERT INTO consent (contact_id, channel, status, source, evidence,"
        " import_id, created_at, recipient) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def suppress_new_contacts(
    db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]
) -> list[tuple[int, DeletedOptOut]]:
    """Give newly stored contacts the opt-outs without a contact they match.

    Runs inside the caller's transaction. A contact matches when one of its phone
    numbers or emails is the recipient of an opt-out whose contact was deleted, or
    that came from a stranger (see :func:`deleted_opt_outs`).

    Args:
        rows: raw ``contacts`` rows just inserted (``phones``/``emails`` as JSON
            text or lists).

    Returns:
        (contact id, earlier opt-out) for every opt-out recorded again.
    """
    known = deleted_opt_outs(db)
    if not any(known.values()):
        return []
    now = utc_now()
    found: list[tuple[int, DeletedOptOut]] = []
    for row in rows:
        for opt_out in matching_opt_outs(known, *contact_addresses(row)):
            found.append((int(row["id"]), opt_out))
    insert_rows(db, (suppression_row(cid, hit, now) for cid, hit in found))
    for contact_id, opt_out in found:
        logger.debug(
            "new contact %d keeps the %s opt-out of ledger row %d",
            contact_id,
            opt_out.channel,
            opt_out.row_id,
        )
    return found


def gained_opt_outs(
    known: dict[str, dict[str, DeletedOptOut]],
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> list[DeletedOptOut]:
    """Return the contactless opt-outs of numbers or emails a contact just gained.

    Args:
        known: from :func:`deleted_opt_outs`.
        before: the contact's raw row before the change (None: it is new).
        after: the raw row after it.
    """
    old_phones, old_emails = contact_addresses(before) if before else ([], [])
    had = {recipient_key("sms", p) for p in old_phones}
    had |= {recipient_key("email", e) for e in old_emails}
    phones, emails = contact_addresses(after)
    return matching_opt_outs(
        known,
        [p for p in phones if recipient_key("sms", p) not in had],
        [e for e in emails if recipient_key("email", e) not in had],
    )


def suppress_gained_addresses(
    db: sqlite_utils.Database,
    before: dict[int, dict[str, Any]],
    after: Iterable[dict[str, Any]],
    import_id: int | None = None,
) -> list[tuple[int, DeletedOptOut]]:
    """Give changed contacts the opt-outs of the numbers or emails they gained.

    An opt-out stays with its number or address: when a contact is given one
    that opted out without a contact (a deleted contact's, a stranger's STOP),
    the contact is opted out of that channel too, unless it already is. Runs
    inside the caller's transaction.

    Args:
        before: raw rows before the change, by contact id.
        after: the raw rows as stored now.
        import_id: the import that made the change, if any.

    Returns:
        (contact id, earlier opt-out) for every opt-out recorded again.
    """
    known = deleted_opt_outs(db)
    if not any(known.values()):
        return []
    hits = [
        (int(row["id"]), hit)
        for row in after
        for hit in gained_opt_outs(known, before.get(int(row["id"])), row)
    ]
    if not hits:
        return []

    ids = sorted({contact_id for contact_id, _ in hits})
    status = {channel: consent_map(db, ids, channel) for channel in CHANNELS}
    found = [
        (contact_id, hit)
        for contact_id, hit in hits
        if status[hit.channel].get(contact_id) != "opted_out"
    ]
    now = utc_now()
    insert_rows(
        db,
        (
            suppression_row(contact_id, hit, now, import_id, gained=True)
            for contact_id, hit in found
        ),
    )
    for contact_id, hit in found:
        logger.debug(
            "contact %d gained a recipient with the %s opt-out of ledger row %d",
            contact_id,
            hit.channel,
            hit.row_id,
        )
    return found


def contact_addresses(row: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return (E.164 phones, emails) of a raw ``contacts`` row, primary first.

    Args:
        row: a raw row; ``phones`` and ``emails`` as JSON text or lists.
    """
    phones_value = row.get("phones") or "[]"
    emails_value = row.get("emails") or "[]"
    entries = (
        json.loads(phones_value) if isinstance(phones_value, str) else phones_value
    )
    emails = json.loads(emails_value) if isinstance(emails_value, str) else emails_value
    phones = [row.get("phone")] + [entry.get("e164") for entry in entries]
    return (
        [p for p in phones if p],
        [e for e in [row.get("email"), *emails] if e],
    )


def unanchored_opt_outs(
    db: sqlite_utils.Database, contact_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Prepare contacts' opt-outs to outlive them; return those that cannot.

    An opt-out lives on after its contact is deleted through the ``recipient`` of
    its row. When the contact's phone or email has changed since (or the row has
    none), a new ``opted_out`` row with the current number or address is added
    (inside the caller's transaction), so the opt-out covers that too.

    Args:
        contact_ids: the contacts about to be deleted.

    Returns:
        contact id -> channels whose opt-out has no number or address at all;
        deleting such a contact would forget the opt-out.
    """
    ids = sorted({int(i) for i in contact_ids})
    lost: dict[int, list[str]] = {}
    now = utc_now()
    carried: list[tuple[Any, ...]] = []
    for channel in CHANNELS:
        column = "phone" if channel == "sms" else "email"
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            cursor = db.execute(
                f"SELECT k.id, k.contact_id, k.status, k.recipient, c.{column}"
                " FROM consent k JOIN contacts c ON c.id = k.contact_id"
                f" WHERE k.id IN (SELECT max(id) FROM consent WHERE channel = ?"
                f" AND contact_id IN ({marks}) GROUP BY contact_id)",
                [channel, *chunk],
            )
            for row_id, contact_id, status, recipient, current in cursor:
                if status != "opted_out":
                    continue
                if not current:
                    if not recipient:
                        lost.setdefault(contact_id, []).append(channel)
                    continue
                if recipient and recipient_key(channel, recipient) == (
                    recipient_key(channel, current)
                ):
                    continue
                evidence = (
                    f"contact {contact_id} deleted; the opt-out of ledger row "
                    f"{row_id} is kept for {current}"
                )
                carried.append(
                    (contact_id, channel, "opted_out", "deletion", evidence, None,
                     now, current)
                )  # fmt: skip
    insert_rows(db, carried)
    return lost
