"""Compliance use cases: consent changes, proof, the opt-out deadline, JOIN at the counter.

* :func:`change_consent` and :func:`consent_overview` wrap the ledger for the window
  and the command line; :func:`export_ledger` writes it as CSV for proof.
* :func:`opt_out_sla_report` lists each revocation, when Duet saw it and when it took
  effect, in business days (the rule: within 10; Duet: at the next sync).
* :func:`make_join_sign` draws a counter sign (PNG or PDF, laid out by
  ``services.join_sign``) whose QR code opens the phone's messaging app with the
  shop's number and the JOIN keyword; :func:`sign_number` refuses a number with an
  extension and :func:`sign_number_warning` names a doubtful one;
  :func:`remember_join_keyword` keeps every keyword a printed sign used (internal key
  ``_join.keywords``, a JSON list) and :func:`join_keywords` returns them;
  :func:`handle_join_reply` is what the sync calls for such a reply (JOIN, START...
  or one of those keywords).
* :func:`reviews` lists the replies and mails flagged for the owner to decide
  (``history.decide_review`` records the decision, for the Activity page and the
  command line alike).
* :func:`unsubscribe_secret`, :func:`list_unsubscribe_header` and
  :func:`last_sms_times` give the sender and the planner what the rules in
  ``core.consent_rules`` need.
"""

import json
import logging
import re
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import phonenumbers
import sqlite_utils

from desktop_app.core import consent_rules, optout
from desktop_app.core.phones import parse_phone
from desktop_app.errors import StorageError, ValidationError
from desktop_app.logconfig import redact
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts as contact_store
from desktop_app.storage import settings as settings_store
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

SECRET_KEY: Final = "_unsubscribe.secret"
JOIN_KEYWORDS_KEY: Final = "_join.keywords"
JOIN_TAG: Final = "joined by SMS"
REVOCATION_EVENTS: Final = {"opt_out": "sms", "unsubscribe": "email"}
# Consent rows that record a customer's earlier choice, not a new revocation.
# A suppression or deletion row repeats an opt-out the ledger already holds.
_NOT_REVOCATIONS: Final = ("import", "suppression", "deletion")
_KEYWORD: Final = re.compile(r"^[A-Z0-9]{2,20}$")
# Replies customers send to any text; as a sign keyword they would sign people up
# (or back up) without meaning to.
_EVERYDAY_REPLIES: Final = frozenset(
    {
        "YES", "YEP", "YEAH", "YA", "SURE", "OK", "OKAY", "KK", "NO", "NOPE", "NAH",
        "THANKS", "THANK", "THX", "TY", "HI", "HELLO", "HEY", "GOOD", "GREAT",
        "COOL", "NICE", "LOL", "WHO", "WHAT", "WHY", "WHEN", "WHERE", "HOW", "MAYBE",
        "PLEASE", "PLS",
    }
)  # fmt: skip
_SIGN_FORMATS: Final = (".png", ".pdf")


# --- consent ledger ------------------------------------------------------------------


def change_consent(
    db: sqlite_utils.Database, contact_id: int, channel: str, status: str, note: str
) -> dict[str, Any] | None:
    """Change a contact's consent by hand and return the new ledger row.

    Args:
        contact_id: the contact.
        channel: ``sms`` or ``email``.
        status: ``opted_in``, ``opted_out`` or ``unknown``.
        note: the owner's evidence or reason; required for an opt-in and when
            undoing an opt-out.

    Returns:
        The ledger row as stored, or None when the status was already ``status``
        (nothing is recorded then).

    Raises:
        ValidationError: see ``storage.consent.set_consent_manually``; a missing
            note raises its ``NoteNeeded``.
    """
    row_id = consent_store.set_consent_manually(db, contact_id, channel, status, note)
    return None if row_id is None else dict(db["consent"].get(row_id))


def consent_overview(db: sqlite_utils.Database, contact_id: int) -> dict[str, Any]:
    """Return a contact's current consent per channel and its whole history.

    Args:
        contact_id: the contact.

    Returns:
        ``{"contact_id", "current": {channel: status}, "history": [rows]}``.

    Raises:
        ValidationError: no contact has that id.
    """
    exists = db.execute("SELECT 1 FROM contacts WHERE id = ?", [contact_id]).fetchone()
    if exists is None:
        raise ValidationError(f"There is no contact number {contact_id}.")
    return {
        "contact_id": contact_id,
        "current": {
            channel: consent_store.current_consent(db, contact_id, channel)
            for channel in consent_store.CHANNELS
        },
        "history": consent_store.consent_history(db, contact_id),
    }


def export_ledger(db: sqlite_utils.Database, path: Path) -> int:
    """Write the consent ledger to ``path`` as Excel-safe CSV.

    Args:
        path: the CSV file.

    Returns:
        The number of ledger rows written.

    Raises:
        StorageError: the file cannot be written.
    """
    return consent_store.export_ledger_csv(db, path)


# --- the opt-out deadline --------------------------------------------------------------


@dataclass(frozen=True)
class Revocation:
    """One withdrawal of consent and how fast Duet honoured it.

    Attributes:
        contact_id: who withdrew.
        channel: ``sms`` or ``email``.
        source: how it came (``reply``, ``provider``, ``email``, ``manual``...).
        evidence: the reply text or other proof.
        seen_at: when Duet saw the request (UTC ISO text).
        effective_at: when the ledger recorded the opt-out, or None while pending.
        business_days: weekdays from seen to effective (or to now while pending).
        within_deadline: True when ``business_days`` is at most the deadline.
        recipient: without a contact (a stranger's STOP, a deleted contact), the
            number or address it was about, masked ("…98"); else None.
        deleted_contact: without a contact, True when the row was a contact's
            that has been deleted since; False when no contact had the number or
            address then (a stranger's STOP).
        now_contact_ids: without a contact, the contacts that have the number
            or address now (added or given it since).
        decided_review: the owner decided a flagged reply is an opt-out (a
            ``manual`` row the Replies page or ``consent decide`` wrote).
    """

    contact_id: int | None
    channel: str
    source: str
    evidence: str
    seen_at: str
    effective_at: str | None
    business_days: int
    within_deadline: bool
    recipient: str | None = None
    deleted_contact: bool = False
    now_contact_ids: tuple[int, ...] = ()
    decided_review: bool = False

    @property
    def who(self) -> str:
        """Return whom it is about, in words ("contact 4", "number …98 (...)")."""
        if self.contact_id is not None:
            return f"contact {self.contact_id}"
        if self.recipient:
            kind = "address" if self.channel == "email" else "number"
            return f"{kind} {self.recipient} ({self._then_and_now()})"
        return "a deleted contact"

    @property
    def how(self) -> str:
        """Return how the request came, in words ("reply", "your decision...")."""
        return (
            "your decision on a flagged reply" if self.decided_review else self.source
        )

    def _then_and_now(self) -> str:
        then = "deleted contact" if self.deleted_contact else "no contact"
        if not self.now_contact_ids:
            return then
        if not self.deleted_contact:
            then += " then"
        ids = ", ".join(str(i) for i in self.now_contact_ids)
        now = "contacts" if len(self.now_contact_ids) > 1 else "contact"
        return f"{then}; now {now} {ids}"

    def to_json(self) -> dict[str, Any]:
        """Return the revocation as JSON."""
        return {
            "contact_id": self.contact_id,
            "channel": self.channel,
            "source": self.source,
            "evidence": self.evidence,
            "seen_at": self.seen_at,
            "effective_at": self.effective_at,
            "business_days": self.business_days,
            "within_deadline": self.within_deadline,
            "recipient": self.recipient,
            "deleted_contact": self.deleted_contact,
            "now_contact_ids": list(self.now_contact_ids),
            "decided_review": self.decided_review,
        }


@dataclass
class SlaReport:
    """Every revocation with the time it took to honour it."""

    deadline_business_days: int
    revocations: list[Revocation] = field(default_factory=list)

    @property
    def late(self) -> list[Revocation]:
        """Return the revocations past the deadline."""
        return [r for r in self.revocations if not r.within_deadline]

    @property
    def pending(self) -> list[Revocation]:
        """Return the revocations seen but not yet recorded in the ledger."""
        return [r for r in self.revocations if r.effective_at is None]

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "deadline_business_days": self.deadline_business_days,
            "count": len(self.revocations),
            "late": len(self.late),
            "pending": len(self.pending),
            "revocations": [r.to_json() for r in self.revocations],
        }

    def summary_text(self) -> str:
        """Return the report in plain lines."""
        count = len(self.revocations)
        lines = [
            f"{count} {'opt-out' if count == 1 else 'opt-outs'}; rule: honoured within "
            f"{self.deadline_business_days} business days (Duet: at the next sync). "
            f"{len(self.late)} late, {len(self.pending)} pending."
        ]
        for r in self.revocations:
            effect = r.effective_at or "not yet"
            lines.append(
                f"{r.who} {r.channel} ({r.how}): seen {r.seen_at}, "
                f"in effect {effect}, {r.business_days} business days"
                + ("" if r.within_deadline else " - LATE")
            )
        return "\n".join(lines)


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event_seen(row: dict[str, Any]) -> str:
    """Return when the request behind an event arrived (its data, else the row)."""
    try:
        data = json.loads(row["data"] or "{}")
    except json.JSONDecodeError:
        data = {}
    received = data.get("received_at") if isinstance(data, dict) else None
    if isinstance(received, str):
        try:
            return _parse_time(received).astimezone(UTC).isoformat(timespec="seconds")
        except ValueError:
            pass
    return str(row["created_at"])


def _whom(contact_id: int | None, channel: str, recipient: object) -> int | str | None:
    """Return what ties an event to a ledger row: the contact, else its sender.

    Without a contact (a stranger's STOP, a deleted contact) the number or
    address, in the form ``consent.recipient_key`` gives; None when neither is
    known.
    """
    if contact_id is not None:
        return int(contact_id)
    if isinstance(recipient, str) and recipient.strip():
        return consent_store.recipient_key(channel, recipient)
    return None


def _masked(recipient: object) -> str | None:
    """Return a number or address with most of it hidden ("…98", "a…@example.com")."""
    if not isinstance(recipient, str) or not recipient.strip():
        return None
    return redact(recipient.strip())


def _revocation_events(
    db: sqlite_utils.Database,
) -> dict[tuple[int | str | None, str], list[dict[str, Any]]]:
    events: dict[tuple[int | str | None, str], list[dict[str, Any]]] = defaultdict(list)
    rows = db.query(
        "SELECT * FROM events WHERE kind IN ('opt_out', 'unsubscribe') ORDER BY id"
    )
    for row in rows:
        channel = REVOCATION_EVENTS[row["kind"]]
        try:
            data = json.loads(row["data"] or "{}")
        except json.JSONDecodeError:
            data = {}
        if isinstance(data, dict) and data.get("channel") in consent_store.CHANNELS:
            channel = data["channel"]
        seen = _event_seen(row)
        review_id = data.get("review_event_id") if isinstance(data, dict) else None
        if review_id is not None:
            # Decided by the owner: the request was seen when the reply came in.
            for review in db.query("SELECT * FROM events WHERE id = ?", [review_id]):
                seen = _event_seen(review)
        sender = data.get("from") if isinstance(data, dict) else None
        whom = _whom(row["contact_id"], channel, sender)
        events[(whom, channel)].append(
            {**row, "seen": seen, "sender": sender, "decided": review_id is not None}
        )
    for pending in reviews(db):
        # Not decided yet: a possible revocation, seen and not in effect.
        whom = _whom(pending.contact_id, pending.channel, pending.sender)
        events[(whom, pending.channel)].append(
            {
                "kind": "review (awaiting your decision)",
                "body": pending.text,
                "sender": pending.sender,
                "decided": False,
                "seen": _parse_time(pending.received_at)
                .astimezone(UTC)
                .isoformat(timespec="seconds"),
            }
        )
    return events


def _contacts_having(
    db: sqlite_utils.Database, wanted: list[tuple[str, object]]
) -> Callable[[str, object], tuple[int, ...]]:
    """Look up who has the numbers and addresses of opt-outs without a contact now.

    Args:
        db: the database.
        wanted: (channel, number or address) pairs; blanks are skipped.

    Returns:
        A function of (channel, number or address) giving the contacts that have
        it now, as main or other phone or email, lowest id first (one query per
        channel for all of them).
    """
    asked = {
        channel: [str(value) for c, value in wanted if c == channel and value]
        for channel in consent_store.CHANNELS
    }
    phones = contact_store.contacts_by_phone(db, asked["sms"])
    emails = contact_store.contacts_by_email(db, asked["email"])

    def having(channel: str, value: object) -> tuple[int, ...]:
        if not isinstance(value, str) or not value.strip():
            return ()
        if channel == "email":
            return tuple(emails.get(value.strip().casefold(), ()))
        return tuple(phones.get(value.strip(), ()))

    return having


def opt_out_sla_report(
    db: sqlite_utils.Database, *, now: datetime | None = None
) -> SlaReport:
    """List each revocation, when it was seen and when it took effect.

    A revocation is an opt-out or unsubscribe in the ledger (except rows an import
    copied from a file), matched to the earliest ``opt_out`` / ``unsubscribe``
    event before it for the same contact and channel (for a row without a contact,
    such as a STOP from a number no contact had: the same number or address, shown
    masked); the event's
    ``data.received_at`` (else its time) is when it was seen. An event with no
    ledger row after it is pending and counts business days up to ``now``, unless
    the contact is opted out already (a repeated STOP).
    Business days are Monday to Friday in the shop's time zone; public holidays
    are counted as business days, which errs on the strict side.

    Args:
        now: the time to count pending revocations to; defaults to the clock.

    Returns:
        The report, oldest first.
    """
    zone = settings_store.shop_zone(db)
    now = now or datetime.now(UTC)
    deadline = consent_rules.OPT_OUT_SLA_BUSINESS_DAYS
    events = _revocation_events(db)

    def local_day(text: str) -> date:
        return _parse_time(text).astimezone(zone).date()

    report = SlaReport(deadline_business_days=deadline)
    rows = list(
        db.query(
            "SELECT * FROM consent WHERE status = 'opted_out' AND source NOT IN ("
            + ", ".join("?" for _ in _NOT_REVOCATIONS)
            + ") ORDER BY id",
            list(_NOT_REVOCATIONS),
        )
    )
    now_having = _contacts_having(
        db,
        [(r["channel"], r.get("recipient")) for r in rows if not r["contact_id"]]
        + [
            (channel, event.get("sender"))
            for (whom, channel), left in events.items()
            if not isinstance(whom, int)
            for event in left
        ],
    )
    for row in rows:
        whom = _whom(row["contact_id"], row["channel"], row.get("recipient"))
        waiting = events.get((whom, row["channel"]), []) if whom is not None else []
        effective = str(row["created_at"])
        earlier = [e for e in waiting if e["seen"] <= effective]
        seen = earlier[0]["seen"] if earlier else effective
        for event in earlier:
            waiting.remove(event)
        days = consent_rules.business_days_between(
            local_day(seen), local_day(effective)
        )
        decided = row["source"] == consent_store.MANUAL and any(
            e["decided"] for e in earlier
        )
        if row["contact_id"]:
            report.revocations.append(
                Revocation(
                    row["contact_id"], row["channel"], row["source"],
                    row["evidence"], seen, effective, days, days <= deadline,
                    decided_review=decided,
                )
            )  # fmt: skip
            continue
        stranger = consent_store.written_without_contact(
            row["channel"], row["source"], row["evidence"] or ""
        )
        report.revocations.append(
            Revocation(
                None, row["channel"], row["source"], row["evidence"], seen,
                effective, days, days <= deadline, _masked(row.get("recipient")),
                deleted_contact=not stranger,
                now_contact_ids=now_having(row["channel"], row.get("recipient")),
                decided_review=decided,
            )
        )  # fmt: skip

    today = now.astimezone(zone).date()
    current: dict[str, dict[int | str, Any]] = {
        channel: dict(consent_store.consent_map(db, None, channel))
        for channel in consent_store.CHANNELS
    }
    for channel, kept in consent_store.deleted_opt_outs(db).items():
        current[channel].update(dict.fromkeys(kept, "opted_out"))
    for (whom, channel), left in events.items():
        if whom is not None and current[channel].get(whom) == "opted_out":
            continue  # a repeat request from someone already opted out
        contact_id = whom if isinstance(whom, int) else None
        for event in left:
            days = consent_rules.business_days_between(local_day(event["seen"]), today)
            recipient = None if contact_id else _masked(event.get("sender"))
            now_ids = () if contact_id else now_having(channel, event.get("sender"))
            report.revocations.append(
                Revocation(
                    contact_id, channel, event["kind"], event["body"], event["seen"],
                    None, days, days <= deadline, recipient,
                    now_contact_ids=now_ids, decided_review=event["decided"],
                )
            )  # fmt: skip
    report.revocations.sort(key=lambda r: r.seen_at)
    logger.debug("opt-out report: %d revocations", len(report.revocations))
    return report


# --- unsubscribe tokens and SMS history -------------------------------------------------


def unsubscribe_secret(db: sqlite_utils.Database) -> str:
    """Return the shop's secret for unsubscribe tokens, creating it on first use.

    The secret is random, kept in the settings table under ``_unsubscribe.secret``
    (an internal key ``settings show`` does not list), and never logged.

    Returns:
        The secret.
    """
    row = db.execute(
        "SELECT value FROM settings WHERE key = ?", [SECRET_KEY]
    ).fetchone()
    if row is not None and row[0]:
        return str(row[0])
    secret = secrets.token_urlsafe(32)
    with db.conn:
        db["settings"].upsert({"key": SECRET_KEY, "value": secret}, pk="key")
    return secret


def list_unsubscribe_header(
    db: sqlite_utils.Database, contact_id: int, shop_email: str
) -> str | None:
    """Return the ``List-Unsubscribe`` value for an email to one contact.

    Args:
        contact_id: the recipient.
        shop_email: the ``shop.email`` setting, where unsubscribe mails go.

    Returns:
        ``<mailto:SHOP?subject=unsubscribe%20TOKEN>``, or None without a shop email.
    """
    if not shop_email.strip():
        return None
    token = consent_rules.unsubscribe_token(contact_id, unsubscribe_secret(db))
    return f"<mailto:{shop_email.strip()}?subject={quote('unsubscribe ' + token)}>"


def last_sms_times(
    db: sqlite_utils.Database, contact_ids: list[int] | None = None
) -> dict[int, datetime]:
    """Return, per contact, when the shop last sent it an SMS that went out.

    Args:
        contact_ids: the contacts to look up; None for everyone.

    Returns:
        Contact id to the latest ``sent_at`` (aware, UTC) of a sent or delivered SMS.
    """
    rows = db.execute(
        "SELECT contact_id, max(sent_at) FROM messages WHERE channel = 'sms'"
        " AND state IN ('sent', 'delivered') AND sent_at IS NOT NULL"
        " AND contact_id IS NOT NULL GROUP BY contact_id"
    ).fetchall()
    wanted = None if contact_ids is None else set(contact_ids)
    return {
        int(contact_id): _parse_time(sent_at)
        for contact_id, sent_at in rows
        if wanted is None or contact_id in wanted
    }


# --- JOIN at the counter -------------------------------------------------------------


def _e164(number: str, region: str, what: str = "Shop number") -> str:
    result = parse_phone(number, region)
    if not result.plausible or not result.e164:
        raise ValidationError(f"{what}: '{number}' is not a phone number.")
    if result.extension:
        raise ValidationError(
            f"{what}: '{number}' has an extension (ext. {result.extension}); a text "
            "cannot reach an extension, so the sign needs a number that takes texts "
            "itself."
        )
    return result.e164


def sign_region(db: sqlite_utils.Database) -> str:
    """Return the country a national sign number is read in (a setting)."""
    return settings_store.get_setting(db, "phones.default_region") or "US"


def sign_number(db: sqlite_utils.Database, number: str) -> str:
    """Return the shop's SMS number for a sign in E.164 form.

    National forms ("(212) 555-0100") are read in the ``phones.default_region``
    setting's country.

    Args:
        number: the number as the owner typed it.

    Returns:
        The number in E.164 form.

    Raises:
        ValidationError: it is not a phone number, or it has an extension.
    """
    return parse_sign_number(number, sign_region(db))


def parse_sign_number(number: str, region: str) -> str:
    """Return a sign's number in E.164 form, reading a national form in ``region``.

    Args:
        number: the number as the owner typed it.
        region: the country a national number is read in.

    Returns:
        The number in E.164 form.

    Raises:
        ValidationError: it is not a phone number, or it has an extension.
    """
    return _e164(number, region)


def sign_number_warning(e164: str) -> str | None:
    """Say what is doubtful about a sign's number, in one line, or None.

    A number is doubtful when phonenumbers calls it not valid, when it is a
    fictional North American 555-01xx number, or when it is a landline (a landline
    takes texts only when the phone company has text-enabled it).

    Args:
        e164: the number in E.164 form (see :func:`sign_number`).

    Returns:
        The warning, or None for a number that looks able to receive texts.
    """
    result = parse_phone(e164, "US")
    shown = _shown_number(e164, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = e164[2:] if e164.startswith("+1") else ""
    if len(national) == 10 and national[3:6] == "555" and national[6:8] == "01":
        return (
            f"{shown} is a made-up number (555-0100 to 555-0199 are kept for films "
            "and examples); customers' texts will not reach you. Check the number "
            "before printing the sign."
        )
    if not result.valid:
        return (
            f"{shown} does not look like a number in use; customers' texts may not "
            "reach you. Check the number before printing the sign."
        )
    if result.kind == "fixed_line":
        return (
            f"{shown} is a landline number; a landline usually cannot receive texts "
            "unless the phone company has text-enabled it. Send it a text yourself "
            "before printing the sign."
        )
    return None


def _shown_number(
    e164: str, style: int = phonenumbers.PhoneNumberFormat.NATIONAL
) -> str:
    """Return the number for people to read; national form is how locals type it."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, style)


def is_phone_sender(db: sqlite_utils.Database, sender: str) -> bool:
    """Tell whether an SMS sender is a phone number (not a short code or a name).

    Args:
        sender: the sender as the provider gives it ("+15550100100", "72975").

    Returns:
        True when the sender reads as a phone number in E.164 form.
    """
    region = settings_store.get_setting(db, "phones.default_region") or "US"
    result = parse_phone(sender, region)
    return result.plausible and bool(result.e164)


def join_keywords(db: sqlite_utils.Database) -> list[str]:
    """Return every keyword a printed JOIN sign used (upper case, oldest first).

    Returns:
        The keywords kept under ``_join.keywords``; [] before any sign.
    """
    row = db.execute(
        "SELECT value FROM settings WHERE key = ?", [JOIN_KEYWORDS_KEY]
    ).fetchone()
    try:
        stored = json.loads(row[0]) if row is not None and row[0] else []
    except json.JSONDecodeError:
        logger.debug("%s is not JSON; no sign keywords", JOIN_KEYWORDS_KEY)
        return []
    if not isinstance(stored, list):
        return []
    return [str(word) for word in stored if isinstance(word, str)]


def check_join_keyword(keyword: str) -> str:
    """Return a sign keyword in upper case after checking it.

    A keyword customers could mean as STOP, HELP or "maybe stop" is refused: a
    reply must never be read as both an opt-in and something else.

    Args:
        keyword: the word customers text (letters and digits).

    Returns:
        The keyword in upper case.

    Raises:
        ValidationError: it is not 2-20 letters or digits, or it reads as an
            opt-out or help keyword.
    """
    keyword = keyword.strip().upper()
    if not _KEYWORD.match(keyword):
        raise ValidationError(f"Keyword: '{keyword}' must be 2-20 letters or digits.")
    if keyword.isdigit() or keyword in _EVERYDAY_REPLIES:
        raise ValidationError(
            f"Keyword: '{keyword}' is a word customers send in everyday replies, so "
            "it cannot also mean 'sign me up'; choose a word such as JOIN or DEALS."
        )
    kind = optout.classify_reply(keyword)
    if kind in (
        optout.ReplyKind.OPT_OUT,
        optout.ReplyKind.MAYBE_OPT_OUT,
        optout.ReplyKind.HELP,
    ):
        raise ValidationError(
            f"Keyword: '{keyword}' already means opt-out or help; choose another "
            "word, such as JOIN."
        )
    return keyword


def remember_join_keyword(db: sqlite_utils.Database, keyword: str) -> list[str]:
    """Keep a sign's keyword so a reply with it creates a contact like JOIN.

    Args:
        keyword: the keyword printed on a sign.

    Returns:
        Every kept keyword, this one included.

    Raises:
        ValidationError: the keyword is refused (see :func:`check_join_keyword`).
        StorageError: the database could not keep it.
    """
    keyword = check_join_keyword(keyword)
    kept = join_keywords(db)
    if keyword not in kept:
        kept.append(keyword)
        try:
            with db.conn:
                db["settings"].upsert(
                    {"key": JOIN_KEYWORDS_KEY, "value": json.dumps(kept)}, pk="key"
                )
        except sqlite3.Error as error:
            raise StorageError(
                "Duet could not keep the sign's keyword.", detail=str(error)
            ) from error
    return kept


def join_uri(number: str, keyword: str = "JOIN") -> str:
    """Return the ``sms:`` link a QR code carries: the number and the keyword.

    Args:
        number: the shop's SMS number in E.164 form.
        keyword: the word customers send.

    Returns:
        E.g. ``sms:+15550100100?body=JOIN`` (RFC 5724).
    """
    return f"sms:{number}?body={quote(keyword)}"


def _qr_matrix(text: str) -> list[list[bool]]:
    import qrcode  # only the sign needs it; keeps it out of start-up
    import qrcode.constants

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def make_join_sign(
    shop_name: str,
    number: str,
    out_path: Path,
    *,
    keyword: str = "JOIN",
    region: str = "US",
) -> Path:
    """Draw a counter sign: a QR code that opens a text to the shop with JOIN.

    The sign (US Letter) carries the shop's name, the QR code, "Text JOIN to
    <number>" for those who type it, and the disclosures a sign-up needs
    (frequency, rates, STOP and HELP). Long names wrap and shrink to stay on the
    page (see ``services.join_sign``).

    Args:
        shop_name: the shop's name, printed at the top.
        number: the shop's SMS number (E.164, or national form in ``region``).
        out_path: the file to write; ``.png`` or ``.pdf``.
        keyword: the word customers send (letters and digits; not an opt-out or
            help keyword).
        region: the country a national number is read in.

    Returns:
        ``out_path``.

    Raises:
        ValidationError: no shop name or one too long to print, a bad number (or
            one with an extension) or keyword, an unknown file type, or the file
            cannot be written.
    """
    from desktop_app.services import join_sign

    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in _SIGN_FORMATS:
        raise ValidationError(f"{out_path.name}: the sign is saved as .png or .pdf.")
    if not shop_name.strip():
        raise ValidationError("Settings, field 'Shop name': the sign needs a name.")
    keyword = check_join_keyword(keyword)
    e164 = _e164(number, region)

    figure = join_sign.sign_figure(
        shop_name, _shown_number(e164), keyword, _qr_matrix(join_uri(e164, keyword))
    )
    try:
        figure.savefig(out_path, format=suffix[1:], dpi=join_sign.DPI)
    except OSError as error:
        raise ValidationError(
            f"{out_path}: the sign could not be saved ({error.strerror})."
        ) from error
    logger.info("JOIN sign saved as %s", suffix[1:].upper())
    return out_path


@dataclass(frozen=True)
class JoinResult:
    """What a JOIN reply did.

    Attributes:
        contact_id: the contact who joined.
        created: True when the reply created the contact.
        consent_id: the ledger row recording the opt-in (None when the same
            message was handled before).
    """

    contact_id: int
    created: bool
    consent_id: int | None


def _contact_by_phone(db: sqlite_utils.Database, e164: str) -> int | None:
    row = db.execute(
        "SELECT id FROM contacts WHERE phone = ? OR EXISTS (SELECT 1 FROM"
        " json_each(contacts.phones) WHERE json_extract(value, '$.e164') = ?)"
        " ORDER BY id LIMIT 1",
        [e164, e164],
    ).fetchone()
    return None if row is None else int(row[0])


def _new_joined_contact(db: sqlite_utils.Database, e164: str, now: str) -> int:
    entry = {"e164": e164, "raw": e164, "label": "sms", "kind": "mobile",
             "extension": None, "valid": True, "warning": None}  # fmt: skip
    table = db["contacts"]
    table.insert(
        {
            "id": contact_store.next_contact_id(db),
            "phone": e164,
            "phone_kind": "mobile",
            "phones": json.dumps([entry]),
            "tags": json.dumps([JOIN_TAG]),
            "created_at": now,
            "updated_at": now,
        }
    )
    return int(table.last_pk)  # type: ignore[arg-type]


def _earlier_opt_out(db: sqlite_utils.Database, contact_id: int, e164: str) -> str:
    """Give a contact a JOIN just created its number's earlier opt-out, if any.

    The ledger then shows the opt-out (source ``suppression``) before the JOIN's
    opt-in, the customer's own new request. Returns the words the opt-in's
    evidence adds about it ("" when the number never opted out).
    """
    found = consent_store.suppress_new_contacts(
        db, [{"id": contact_id, "phone": e164, "phones": "[]", "emails": "[]"}]
    )
    if not found:
        return ""
    _, opt_out = found[0]
    return (
        f"; this number opted out on {opt_out.day} (ledger row {opt_out.row_id}) "
        "and asked to join again"
    )


def handle_join_reply(
    db: sqlite_utils.Database,
    from_number: str,
    body: str,
    sid: str,
    received_at: str,
) -> JoinResult | None:
    """Record an SMS opt-in reply (JOIN, START...): contact, consent and evidence.

    The sync calls this for each inbound reply. A reply that is not an opt-in
    keyword (JOIN, START... or a keyword a printed sign used, see
    :func:`join_keywords`) returns None and changes nothing. An unknown number becomes a new
    contact tagged ``joined by SMS``; when that number opted out before (a STOP
    from it while no contact had it, or a deleted contact's), the new contact gets
    that opt-out first and the JOIN then opts it in, the customer's own request.
    The ledger row's evidence quotes the reply,
    its message SID and time; an ``opt_in`` event keeps the reply. The same SID
    handled twice records nothing new.

    Args:
        from_number: the sender's number as the provider gives it (E.164).
        body: the reply's text.
        sid: the provider's message id (Twilio ``SM...``).
        received_at: when the provider received it (ISO 8601).

    Returns:
        What was recorded, or None for a reply that is not an opt-in.

    Raises:
        ValidationError: ``from_number`` is not a phone number (a short code or a
            sender name); the message names it "Sender", never the shop's number.
    """
    verdict = optout.classify_reply_detailed(body, join_keywords=join_keywords(db))
    if verdict.kind is not optout.ReplyKind.OPT_IN:
        return None
    region = settings_store.get_setting(db, "phones.default_region") or "US"
    e164 = _e164(from_number, region, "Sender of the reply")

    seen = db.execute(
        "SELECT contact_id FROM events WHERE kind = 'opt_in' AND"
        " json_extract(data, '$.sid') = ?",
        [sid],
    ).fetchone()
    if seen is not None and seen[0] is not None:
        return JoinResult(int(seen[0]), False, None)

    now = utc_now()
    quoted = " ".join(body.split())[:160]
    evidence = f"SMS reply '{quoted}' (message {sid}, received {received_at})"
    try:
        with db.conn:
            contact_id = _contact_by_phone(db, e164)
            created = contact_id is None
            if contact_id is None:
                contact_id = _new_joined_contact(db, e164, now)
                evidence += _earlier_opt_out(db, contact_id, e164)
            consent_id = consent_store.record_consent(
                db, contact_id, "sms", "opted_in", source="reply", evidence=evidence
            )
            db["events"].insert(
                {
                    "kind": "opt_in",
                    "contact_id": contact_id,
                    "body": body,
                    "data": json.dumps(
                        {"sid": sid, "received_at": received_at, "channel": "sms"}
                    ),
                    "created_at": now,
                }
            )
    except sqlite3.Error as error:
        raise StorageError(
            "Duet could not record the opt-in reply.", detail=str(error)
        ) from error
    logger.info("SMS opt-in recorded for contact %d (new: %s)", contact_id, created)
    return JoinResult(contact_id, created, consent_id)


# --- replies and mails for the owner to decide ---------------------------------------


@dataclass(frozen=True)
class Review:
    """A reply or mail flagged for the owner to decide (a ``review`` event).

    Attributes:
        id: the event's id (what ``history.decide_review`` takes).
        contact_id: the customer, when the number or address is known.
        contact: the customer's name ("" when unknown).
        channel: ``sms`` or ``email``.
        sender: the number or address it came from.
        text: the reply's text (for a mail: its subject and own lines).
        received_at: when it arrived (UTC ISO text).
        evidence: why Duet flagged it.
        decision: None until decided, then ``opt_out`` or ``not_opt_out``.
        about_channel: the channel an opt-out decision applies to: ``channel``,
            unless the reply asked to stop only the other one.
    """

    id: int
    contact_id: int | None
    contact: str
    channel: str
    sender: str
    text: str
    received_at: str
    evidence: str
    decision: str | None
    about_channel: str = "sms"

    def to_json(self) -> dict[str, Any]:
        """Return the review as JSON (snake_case keys)."""
        return {
            "id": self.id,
            "contact_id": self.contact_id,
            "contact": self.contact,
            "channel": self.channel,
            "sender": self.sender,
            "text": self.text,
            "received_at": self.received_at,
            "evidence": self.evidence,
            "decision": self.decision,
            "about_channel": self.about_channel,
        }


def reviews(
    db: sqlite_utils.Database, *, include_decided: bool = False, limit: int = 500
) -> list[Review]:
    """Return the replies and mails flagged for review, newest first.

    Args:
        include_decided: also those the owner decided already.
        limit: at most this many.

    Returns:
        The flagged replies (SMS) and mails (email).
    """
    from desktop_app.services import history

    events = history.list_activity(
        db, kinds=("review",), undecided_only=not include_decided, limit=limit
    )
    ids = [event.id for event in events]
    channels: dict[int, tuple[str, str]] = {}
    if ids:
        marks = ", ".join("?" * len(ids))
        rows = db.execute(
            "SELECT id, CASE WHEN json_valid(data) THEN json_extract(data,"
            " '$.channel') END, CASE WHEN json_valid(data) THEN json_extract(data,"
            f" '$.asks_channel') END FROM events WHERE id IN ({marks})",
            ids,
        ).fetchall()
        for event_id, came_by, asks in rows:
            arrival = "email" if came_by == "email" else "sms"
            channels[int(event_id)] = (arrival, _about(asks, arrival))
    return [
        Review(
            event.id,
            event.contact_id,
            event.contact,
            channels.get(event.id, ("sms", "sms"))[0],
            event.sender,
            event.body,
            event.at,
            event.evidence,
            event.decision,
            channels.get(event.id, ("sms", "sms"))[1],
        )
        for event in events
    ]


def _about(asks: object, arrival: str) -> str:
    """Return the channel a review's opt-out applies to (see ``asks_channel``)."""
    return str(asks) if asks in ("sms", "email") else arrival


def review_channel(db: sqlite_utils.Database, event_id: int) -> str | None:
    """Return the channel an opt-out decision on a flagged reply applies to.

    That is the channel the reply came by (a text: ``sms``, a mail: ``email``),
    unless the reply asked to stop only the other one ("stop the emails" by
    text): then that one.

    Args:
        event_id: the ``review`` event.

    Returns:
        ``sms`` or ``email``, or None when no review event has that id.
    """
    row = db.execute(
        "SELECT CASE WHEN json_valid(data) THEN json_extract(data, '$.channel') END,"
        " CASE WHEN json_valid(data) THEN json_extract(data, '$.asks_channel') END"
        " FROM events WHERE id = ? AND kind = 'review'",
        [event_id],
    ).fetchone()
    if row is None:
        return None
    return _about(row[1], "email" if row[0] == "email" else "sms")


def awaiting_review(db: sqlite_utils.Database) -> dict[str, set[int]]:
    """Return, per channel, the contacts with a flagged reply not yet decided.

    Sends skip them on that channel until the owner decides (Replies page or
    ``consent decide``): a reply that may mean stop is not ignored meanwhile.
    """
    waiting: dict[str, set[int]] = {"sms": set(), "email": set()}
    for review in reviews(db, limit=-1):  # every undecided one (-1: no LIMIT)
        if review.contact_id is not None:
            waiting.setdefault(review.about_channel, set()).add(review.contact_id)
    return waiting
