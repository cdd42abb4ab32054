"""Poll the shop's mailbox over IMAP for unsubscribe requests and bounces.

Every email Duet sends carries ``List-Unsubscribe: <mailto:SHOP?subject=unsubscribe
TOKEN>``; a mail client's "Unsubscribe" button sends that mail to the shop. This
module reads the unseen mails of the shop's inbox and handles two kinds:

* **Unsubscribe requests**: a valid per-contact token
  (``core.consent_rules.unsubscribe_token``) in the To or Subject (the
  ``List-Unsubscribe`` mailto), or a mail whose subject or own text the reply
  classifier (``core.optout``) reads as an opt-out. Every email's footer says "To
  unsubscribe, reply with UNSUBSCRIBE or write to SHOP", so a reply "Re: Sale" whose
  text is "UNSUBSCRIBE" counts, and a subject "Re: Sale - I did not unsubscribe, why
  no emails?" does not. The token names the contact; without one, the sender's
  address (From) does. The email consent becomes ``opted_out`` with the mail as
  evidence, and an ``unsubscribe`` event is recorded (the SLA report and the
  campaign reports read it). When no contact has the address, the opt-out is
  recorded for the sender's address without a contact
  (``consent.record_without_contact``), so a contact created later with it starts
  unsubscribed; such a mail is marked read only when its subject or token asked.
* **Mails to review**: from a known contact, a subject or text the classifier finds
  unclear ("don't stop the sale!", "I did not unsubscribe") becomes a ``review``
  event (channel ``email``) for the owner to decide, like an SMS reply flagged for
  review; the mail stays unread for the owner's mail program. So does a mail whose
  subject asks to stop while its text says the opposite ("Unsubscribe?" over "I did
  not unsubscribe, keep them coming"), unless it carries a valid token.

What is judged: the subject without its "Re:"/"Fwd:" prefixes and without the
subject of the email Duet sent that it answers (those are the shop's words), and
the reply's own text, the body's first lines (:data:`MAX_REPLY_LINES`) before the
quoted mail: a line starting with ">", "On ... wrote:", "-----Original
Message-----", an Outlook "From:/Sent:" block or line of underscores, a "-- "
signature, or the shop's own unsubscribe footer.
* **Bounces**: a delivery status notification (``multipart/report;
  report-type=delivery-status``) whose recipient block says ``Action: failed``.
  The contact with that address gets a warning and a ``bounce`` event, tied to the
  last email sent to the address when there is one.

Only mails Duet handled are marked ``\\Seen``; the owner's other mail is read with
``BODY.PEEK[]`` and left unread. A mail handled before (same Message-ID) is not
recorded twice. So the next poll reads the mails left unread again; it remembers
which it read (:data:`READ_MAILS_KEY`) and reports only the others as new.
"""

import email
import email.policy
import hashlib
import html
import imaplib
import json
import logging
import re
import sqlite3
import ssl
from dataclasses import dataclass, field
from datetime import UTC
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any, Final, Literal

import sqlite_utils

from desktop_app.core import consent_rules
from desktop_app.core.emails import email_key
from desktop_app.core.optout import (
    ReplyClassification,
    ReplyKind,
    classify_reply_detailed,
    says_the_opposite,
)
from desktop_app.core.planning import REVIEW_REASON_FOR
from desktop_app.core.words import counted
from desktop_app.errors import ProviderAuthError, ProviderUnavailable, StorageError
from desktop_app.services.compliance import unsubscribe_secret
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts as contact_store
from desktop_app.storage import messages as message_store
from desktop_app.storage import settings as settings_store
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]

MAX_MESSAGES: Final = 500
"""At most this many unseen mails are read per poll (newest first)."""

READ_MAILS_KEY: Final = "_imap.read_mails"
"""Internal key: the mails earlier polls read (short digests, newest last)."""
MAX_READ_MAILS: Final = 5000
"""At most this many read mails are remembered."""

MAX_REPLY_LINES: Final = 20
"""At most this many of a reply's own lines are judged."""
MAX_REPLY_CHARS: Final = 1000

_REPLY_PREFIX: Final = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|wg|tr|rv|antw|vs)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)
_SUBJECT_SEPARATORS: Final = " -:,;|–—"
_QUOTE_HEADER: Final = re.compile(
    r"(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef)\s*:\s*$", re.IGNORECASE
)
_ORIGINAL_MESSAGE: Final = re.compile(
    r"^-{2,}\s*(?:original message|forwarded message|message d'origine"
    r"|ursprüngliche nachricht)", re.IGNORECASE,
)  # fmt: skip
_OUTLOOK_RULE: Final = re.compile(r"^_{10,}\s*$")
_HEADER_LINE: Final = re.compile(r"^\*?(?:from|von|de)\s*:\*?\s", re.IGNORECASE)
_NEXT_HEADER: Final = re.compile(
    r"^\*?(?:sent|date|to|subject|gesendet|envoyé)\s*:", re.IGNORECASE
)
_SHOP_FOOTER: Final = re.compile(r"to unsubscribe, reply", re.IGNORECASE)
_HTML_QUOTE: Final = re.compile(
    r"<blockquote|<div[^>]*(?:gmail_quote|divRplyFwdMsg|moz-cite-prefix)",
    re.IGNORECASE,
)
_HTML_BREAK: Final = re.compile(r"<\s*(?:br|/p|/div|/li|/tr)\b[^>]*>", re.IGNORECASE)
_HTML_TAG: Final = re.compile(r"<[^>]+>")
_HTML_DROP: Final = re.compile(
    r"<(style|script|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_DSN_ADDRESS: Final = re.compile(r"^\s*(?:rfc822\s*;)?\s*<?([^<>\s;]+@[^<>\s;]+)>?")


@dataclass
class ImapReport:
    """What one poll of the mailbox found and did.

    Attributes:
        checked: unseen mails read.
        read_before: of those, mails an earlier poll read too and left unread
            (the owner's other mail, mails to review): not new.
        unsubscribed: contacts whose email consent became opted out.
        already_unsubscribed: unsubscribe mails handled before, or from contacts
            already opted out.
        bounced: contacts whose address bounced.
        unmatched: unsubscribe or bounce mails that name no known contact.
        review: contacts whose mail was flagged for the owner to decide.
        other: mails that were neither (left unread).
    """

    checked: int = 0
    read_before: int = 0
    unsubscribed: list[int] = field(default_factory=list)
    already_unsubscribed: int = 0
    bounced: list[int] = field(default_factory=list)
    unmatched: int = 0
    review: list[int] = field(default_factory=list)
    other: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "checked": self.checked,
            "read_before": self.read_before,
            "unsubscribed": self.unsubscribed,
            "already_unsubscribed": self.already_unsubscribed,
            "bounced": self.bounced,
            "unmatched": self.unmatched,
            "review": self.review,
            "other": self.other,
        }

    def summary_text(self) -> str:
        """Return the report in one plain line."""
        text = counted(self.checked - self.read_before, "new mail")
        if self.read_before:
            text += f" ({self.read_before} seen by an earlier check)"
        return (
            f"{text}: {len(self.unsubscribed)} unsubscribed, "
            f"{len(self.bounced)} bounced, {len(self.review)} to review, "
            f"{self.unmatched} not matched to a contact."
        )


def _connect(
    host: str,
    port: int,
    security: Security,
    context: ssl.SSLContext | None,
    timeout: float,
) -> imaplib.IMAP4:
    if security == "ssl":
        return imaplib.IMAP4_SSL(
            host, port, ssl_context=context or ssl.create_default_context(),
            timeout=timeout,
        )  # fmt: skip
    client = imaplib.IMAP4(host, port, timeout=timeout)
    if security == "starttls":
        client.starttls(ssl_context=context or ssl.create_default_context())
    return client


def poll_mailbox(
    db: sqlite_utils.Database,
    host: str,
    port: int,
    user: str,
    password: str,
    *,
    security: Security = "ssl",
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 15,
) -> ImapReport:
    """Read the inbox's unseen mails; record unsubscribes and bounces.

    Args:
        db: the open database.
        host: the IMAP server.
        port: its port (993 for ``ssl``, 143 otherwise).
        user: the mailbox user.
        password: its password (never logged).
        security: ``ssl`` (TLS from the start), ``starttls`` or ``none``.
        ssl_context: certificates to trust; the system's by default.
        timeout: seconds to wait on the network.

    Returns:
        What the poll found.

    Raises:
        ProviderAuthError: the server refused the user name or password.
        ProviderUnavailable: the server cannot be reached, TLS failed, or it broke
            the IMAP conversation.
        StorageError: the database could not record a change.
    """
    report = ImapReport()
    try:
        client = _connect(host, port, security, ssl_context, timeout)
    except (OSError, imaplib.IMAP4.error) as error:
        raise ProviderUnavailable(
            f"The mail server {host}:{port} cannot be reached.", detail=str(error)
        ) from error

    try:
        try:
            client.login(user, password)
        except imaplib.IMAP4.error as error:
            raise ProviderAuthError(
                f"The mail server {host} refused the user name or password."
            ) from error
        _poll_inbox(db, client, report)
    except (OSError, imaplib.IMAP4.abort) as error:
        raise ProviderUnavailable(
            f"The mail server {host} stopped answering.", detail=str(error)
        ) from error
    except imaplib.IMAP4.error as error:
        raise ProviderUnavailable(
            f"The mail server {host} did not accept a request.", detail=str(error)
        ) from error
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            logger.debug("logout from %s failed; the connection is closed anyway", host)

    logger.info(
        "mailbox polled: %d mails (%d read before), %d unsubscribed, %d bounced, %d to review, "
        "%d unmatched",
        report.checked,
        report.read_before,
        len(report.unsubscribed),
        len(report.bounced),
        len(report.review),
        report.unmatched,
    )
    return report


def _poll_inbox(
    db: sqlite_utils.Database, client: imaplib.IMAP4, report: ImapReport
) -> None:
    client.select("INBOX")
    status, data = client.search(None, "UNSEEN")
    if status != "OK":
        raise imaplib.IMAP4.error("SEARCH UNSEEN refused")
    numbers = (data[0] or b"").split()[-MAX_MESSAGES:]
    secret = unsubscribe_secret(db)
    read = _read_mails(db)
    known = set(read)

    for number in numbers:
        status, parts = client.fetch(number.decode(), "(BODY.PEEK[])")
        raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
        if status != "OK" or not isinstance(raw, bytes):
            continue
        report.checked += 1
        message = email.message_from_bytes(raw, policy=email.policy.default)
        digest = _mail_digest(message, raw)
        if digest in known:
            report.read_before += 1
        else:
            known.add(digest)
            read.append(digest)
        if handle_mail(db, message, secret, report):
            client.store(number.decode(), "+FLAGS", "(\\Seen)")
    message_store.set_internal(db, READ_MAILS_KEY, json.dumps(read[-MAX_READ_MAILS:]))


def _read_mails(db: sqlite_utils.Database) -> list[str]:
    """Return the digests of the mails earlier polls read, oldest first."""
    try:
        stored = json.loads(message_store.get_internal(db, READ_MAILS_KEY) or "[]")
    except ValueError:
        return []
    return [str(item) for item in stored] if isinstance(stored, list) else []


def _mail_digest(message: Message, raw: bytes) -> str:
    """Return what tells one mail from another: its Message-ID, else its bytes."""
    message_id = _header(message, "Message-ID")
    source = message_id.encode() if message_id else raw
    return hashlib.sha256(source).hexdigest()[:16]


def handle_mail(
    db: sqlite_utils.Database, message: Message, secret: str, report: ImapReport
) -> bool:
    """Handle one mail: a bounce, an unsubscribe request, one to review, or neither.

    Args:
        db: the open database.
        message: the parsed mail.
        secret: the shop's unsubscribe secret.
        report: updated with what was done.

    Returns:
        True when the mail was Duet's to handle (mark it read), else False (also
        for a mail flagged for review, which the owner may want to answer).

    Raises:
        StorageError: the database could not record a change.
    """
    try:
        if _is_bounce(message):
            _handle_bounce(db, message, report)
            return True
        reading = _read_mail(db, message, secret)
        if reading.unsubscribe:
            return _handle_unsubscribe(db, message, secret, reading, report)
        if reading.review is not None:
            return _handle_review(db, message, reading, reading.review, report)
    except sqlite3.Error as error:
        raise StorageError(
            "Duet could not record a mail from the mailbox.", detail=str(error)
        ) from error
    report.other += 1
    return False


def _header(message: Message, name: str) -> str:
    return " ".join(str(message.get(name, "") or "").split())


def _received_at(message: Message) -> str:
    try:
        moment = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError):
        return utc_now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _handled_before(db: sqlite_utils.Database, kind: str, message_id: str) -> bool:
    if not message_id:
        return False
    row = db.execute(
        "SELECT 1 FROM events WHERE kind = ? AND"
        " json_extract(data, '$.mail_message_id') = ?",
        [kind, message_id],
    ).fetchone()
    return row is not None


def _contact_by_email(db: sqlite_utils.Database, address: str) -> int | None:
    """Return the first contact having ``address``, as main email or another one."""
    key = email_key(address) if address else ""
    if not key:
        return None
    found = contact_store.contacts_by_email(db, [address, key])
    ids = sorted({contact_id for owners in found.values() for contact_id in owners})
    return ids[0] if ids else None


def _contact_exists(db: sqlite_utils.Database, contact_id: int) -> bool:
    row = db.execute("SELECT 1 FROM contacts WHERE id = ?", [contact_id]).fetchone()
    return row is not None


# --- unsubscribe requests ------------------------------------------------------------


@dataclass(frozen=True)
class MailReading:
    """How Duet reads a mail that is not a bounce.

    Attributes:
        unsubscribe: True for an unsubscribe request (token, subject or text).
        by_token: True when a valid unsubscribe token was found.
        subject_verdict: the classifier's reading of the judged subject.
        text_verdict: the classifier's reading of the reply's own text.
        judged_subject: the subject without prefixes and the shop's own subject.
        own_text: the reply's own lines (see :func:`reply_own_text`).
        review: the unclear verdict to flag, when not an unsubscribe.
    """

    unsubscribe: bool
    by_token: bool
    subject_verdict: ReplyClassification
    text_verdict: ReplyClassification
    judged_subject: str
    own_text: str
    review: ReplyClassification | None


def judged_subject(db: sqlite_utils.Database, subject: str) -> str:
    """Return the part of a subject that is the sender's own words.

    "Re:"/"Fwd:" prefixes go; in a reply, the subject of an email Duet sent goes
    too ("Re: Stop by for our sale - remove me" keeps "remove me").

    Args:
        db: the open database (for the subjects Duet sent).
        subject: the mail's subject, one line.

    Returns:
        The words left to judge ("" when none).
    """
    stripped = _REPLY_PREFIX.sub("", subject).strip()
    if stripped == subject.strip() or not stripped:
        return stripped
    row = db.execute(
        "SELECT subject FROM messages WHERE channel = 'email' AND subject != ''"
        " AND (lower(subject) = lower(?) OR lower(substr(?, 1, length(subject)))"
        " = lower(subject)) ORDER BY length(subject) DESC LIMIT 1",
        [stripped, stripped],
    ).fetchone()
    if row is None:
        return stripped
    return stripped[len(str(row[0])) :].strip(_SUBJECT_SEPARATORS)


def _body_text(message: Message) -> str:
    """Return the mail's text part (plain, else HTML without tags and quote)."""
    get_body = getattr(message, "get_body", None)
    if get_body is None:  # parsed without email.policy.default
        return ""
    try:
        part = get_body(preferencelist=("plain", "html"))
        content = part.get_content() if part is not None else None
    except (KeyError, LookupError, ValueError):
        logger.debug("mail body could not be decoded")
        return ""
    if part is None or not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        quote = _HTML_QUOTE.search(content)
        content = content[: quote.start()] if quote else content
        content = _HTML_DROP.sub("", content)
        content = _HTML_TAG.sub("", _HTML_BREAK.sub("\n", content))
        content = html.unescape(content)
    return content


def reply_own_text(text: str) -> str:
    """Return a reply's own lines: the text before the quoted mail or signature.

    The text ends at the first line that starts a quote or a signature: ">",
    "On ... wrote:" (also on two lines), "-----Original Message-----", an Outlook
    line of underscores or "From:" line followed by "Sent:"/"Date:", "-- ", or the
    shop's own "To unsubscribe, reply..." footer. At most :data:`MAX_REPLY_LINES`
    non-empty lines and :data:`MAX_REPLY_CHARS` characters are kept.

    Args:
        text: the body as plain text.

    Returns:
        The reply's own lines, joined by newlines.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if (
            stripped.startswith(">")
            or line.rstrip("\n") in ("-- ", "--")
            or _ORIGINAL_MESSAGE.match(stripped)
            or _OUTLOOK_RULE.match(stripped)
            or _SHOP_FOOTER.search(stripped)
            or _QUOTE_HEADER.search(stripped)
            or (
                _QUOTE_HEADER.search(following) is not None
                and re.match(r"^(?:on|am|le|el|il|op)\s", stripped, re.IGNORECASE)
            )
            or (_HEADER_LINE.match(stripped) and _NEXT_HEADER.match(following))
        ):
            break
        if stripped:
            kept.append(stripped)
        if len(kept) >= MAX_REPLY_LINES:
            break
    return "\n".join(kept)[:MAX_REPLY_CHARS]


def _read_mail(db: sqlite_utils.Database, message: Message, secret: str) -> MailReading:
    subject = _header(message, "Subject")
    where = " ".join(
        [_header(message, "To"), _header(message, "Delivered-To"), subject]
    )
    by_token = consent_rules.parse_unsubscribe_token(where, secret) is not None
    judged = judged_subject(db, subject)
    own_text = reply_own_text(_body_text(message))
    subject_verdict = classify_reply_detailed(judged, channel="email")
    text_verdict = classify_reply_detailed(own_text, channel="email")
    verdicts = (subject_verdict, text_verdict)
    opt_out = any(v.kind is ReplyKind.OPT_OUT for v in verdicts)
    unclear = next((v for v in verdicts if v.kind is ReplyKind.MAYBE_OPT_OUT), None)
    opposite = says_the_opposite(f"{judged}\n{own_text}") if opt_out else None
    if opposite is not None:
        # A subject "Unsubscribe?" over "I did not unsubscribe": the owner decides
        # (a valid unsubscribe token still counts, see below).
        opt_out = False
        unclear = ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            opposite,
            f"The mail asks to stop in one place but says '{opposite}' in another; "
            "no opt-out was recorded. Read it and decide.",
        )
    return MailReading(
        unsubscribe=by_token or opt_out,
        by_token=by_token,
        subject_verdict=subject_verdict,
        text_verdict=text_verdict,
        judged_subject=judged,
        own_text=own_text,
        review=None if opt_out else unclear,
    )


def _handle_unsubscribe(
    db: sqlite_utils.Database,
    message: Message,
    secret: str,
    reading: MailReading,
    report: ImapReport,
) -> bool:
    message_id = _header(message, "Message-ID")
    subject = _header(message, "Subject")
    where = " ".join(
        [_header(message, "To"), _header(message, "Delivered-To"), subject]
    )
    sender = parseaddr(_header(message, "From"))[1]
    # A stranger's mail is marked read only when its subject (or the
    # List-Unsubscribe token) asked; the owner's other mail stays unread.
    stranger_seen = (
        reading.by_token or reading.subject_verdict.kind is ReplyKind.OPT_OUT
    )

    contact_id = consent_rules.parse_unsubscribe_token(where, secret)
    how = "its unsubscribe link"
    if contact_id is None or not _contact_exists(db, contact_id):
        contact_id = _contact_by_email(db, sender)
        how = "the sender's address"
    if _handled_before(db, "unsubscribe", message_id):
        report.already_unsubscribed += 1
        return True if contact_id is not None else stranger_seen
    if contact_id is None:
        _record_stranger(db, message, reading, sender, report)
        return stranger_seen
    evidence = _unsubscribe_evidence(
        message, reading, sender, f"contact found by {how}"
    )
    if consent_store.current_consent(db, contact_id, "email") == "opted_out":
        report.already_unsubscribed += 1
        _stop_texts_too(db, reading, contact_id, evidence)
        return True

    with db.conn:
        _add_unsubscribe_event(
            db, message, reading, contact_id, sender, also_texts=_asks_both(reading)
        )
        consent_store.record_consent(
            db, contact_id, "email", "opted_out", source="email", evidence=evidence
        )
    _stop_texts_too(db, reading, contact_id, evidence)
    report.unsubscribed.append(contact_id)
    return True


def _stop_texts_too(
    db: sqlite_utils.Database, reading: MailReading, contact_id: int, evidence: str
) -> None:
    """Opt the contact out of texts as well when the mail asked for both."""
    if not _asks_both(reading):
        return
    if consent_store.current_consent(db, contact_id, "sms") == "opted_out":
        return
    consent_store.record_consent(
        db,
        contact_id,
        "sms",
        "opted_out",
        source="email",
        evidence=f"{evidence} (asked to stop the texts too)",
    )


def _record_stranger(
    db: sqlite_utils.Database,
    message: Message,
    reading: MailReading,
    sender: str,
    report: ImapReport,
) -> None:
    """Keep an unsubscribe from an address no contact has, for that address.

    The ledger row has no contact and the sender as recipient
    (``consent.record_without_contact``), so a contact created later with the
    address starts unsubscribed. The mail counts as unmatched. Nothing is
    recorded without a usable sender or for the shop's own address; an address
    unsubscribed already counts as such.
    """
    key = email_key(sender) if sender else ""
    if key and key in consent_store.deleted_opt_outs(db)["email"]:
        report.already_unsubscribed += 1
        return
    report.unmatched += 1
    shop_email = settings_store.get_setting(db, "shop.email") or ""
    if not key or (shop_email and key == email_key(shop_email)):
        logger.debug("unsubscribe mail names no known contact")
        return

    # record_without_contact ends it with "(no contact had this address)".
    evidence = _unsubscribe_evidence(message, reading, sender, "")
    with db.conn:
        _add_unsubscribe_event(db, message, reading, None, sender)
        consent_store.record_without_contact(
            db, "email", sender, "opted_out", source="email", evidence=evidence
        )
    logger.debug("unsubscribe mail from an address no contact has recorded")


def _unsubscribe_evidence(
    message: Message, reading: MailReading, sender: str, found: str
) -> str:
    """Return the ledger evidence of an unsubscribe mail.

    Args:
        found: how its contact was found ("" for an address no contact has).
    """
    subject = _header(message, "Subject")
    evidence = (
        f"unsubscribe mail from {sender or 'unknown sender'} received "
        f"{_received_at(message)}, subject '{subject[:120]}', Message-ID "
        f"{_header(message, 'Message-ID') or 'none'}"
    )
    if found:
        evidence += f"; {found}"
    if not reading.by_token:
        verdict = (
            reading.subject_verdict
            if reading.subject_verdict.kind is ReplyKind.OPT_OUT
            else reading.text_verdict
        )
        where_read = "subject" if verdict is reading.subject_verdict else "reply text"
        evidence += f"; {where_read} read as an opt-out: {verdict.explanation}"
    return evidence


def _asks_both(reading: MailReading) -> bool:
    """Return True when the mail's words ask to stop the texts as well."""
    return not reading.by_token and any(
        verdict.kind is ReplyKind.OPT_OUT and verdict.asks_channel == "both"
        for verdict in (reading.subject_verdict, reading.text_verdict)
    )


def _add_unsubscribe_event(
    db: sqlite_utils.Database,
    message: Message,
    reading: MailReading,
    contact_id: int | None,
    sender: str,
    *,
    also_texts: bool = False,
) -> None:
    """Record the ``unsubscribe`` event (SLA report, Replies page, campaign reports).

    Args:
        also_texts: the mail asked to stop the texts too (they were stopped).
    """
    subject = _header(message, "Subject")
    body = subject if reading.by_token else _judged_text(reading)
    db["events"].insert(
        {
            "kind": "unsubscribe",
            "contact_id": contact_id,
            "body": body[:500],
            "data": json.dumps(
                {
                    "mail_message_id": _header(message, "Message-ID"),
                    "received_at": _received_at(message),
                    "channel": "email",
                    "from": sender,
                    "also_texts": also_texts,
                },
                ensure_ascii=False,
            ),
            "created_at": utc_now(),
        }
    )


def _judged_text(reading: MailReading) -> str:
    """Return what was judged: the subject's own words and the reply's text."""
    parts = [reading.judged_subject, reading.own_text]
    return "\n".join(part for part in parts if part)


def _handle_review(
    db: sqlite_utils.Database,
    message: Message,
    reading: MailReading,
    verdict: ReplyClassification,
    report: ImapReport,
) -> bool:
    """Flag an unclear mail from a known contact for the owner (left unread)."""
    sender = parseaddr(_header(message, "From"))[1]
    contact_id = _contact_by_email(db, sender)
    if contact_id is None:
        report.other += 1
        return False
    message_id = _header(message, "Message-ID")
    if _handled_before(db, "review", message_id):
        return False
    reading_text = _judged_text(reading)
    received = _received_at(message)
    with db.conn:
        db["events"].insert(
            {
                "kind": "review",
                "contact_id": contact_id,
                "message_id": _last_email_to(db, sender),
                "body": reading_text[:500],
                "data": json.dumps(
                    {
                        "mail_message_id": message_id,
                        "received_at": received,
                        "channel": "email",
                        "from": sender,
                        "subject": _header(message, "Subject")[:200],
                        "kind": verdict.kind.value,
                        "matched": verdict.matched,
                        "explanation": verdict.explanation,
                        "asks_channel": verdict.asks_channel,
                        "source": "email",
                    },
                    ensure_ascii=False,
                ),
                "created_at": utc_now(),
            }
        )
        about = verdict.asks_channel if verdict.asks_channel == "sms" else "email"
        message_store.hold_for_review(db, contact_id, about, REVIEW_REASON_FOR[about])
    report.review.append(contact_id)
    logger.debug("mail from contact %d flagged for review", contact_id)
    return False


# --- bounces -----------------------------------------------------------------------------


def _is_bounce(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and message.get_param("report-type", "").lower() == "delivery-status"
    )


def _failed_recipients(message: Message) -> list[tuple[str, str]]:
    """Return (address, status and diagnostic) for each failed recipient."""
    failed: list[tuple[str, str]] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            recipient = str(
                block.get("Final-Recipient") or block.get("Original-Recipient") or ""
            )
            match = _DSN_ADDRESS.match(recipient)
            if action != "failed" or match is None:
                continue
            status = str(block.get("Status", "")).strip()
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            failed.append((match.group(1), f"{status} {diagnostic}".strip()))
    return failed


def _last_email_to(db: sqlite_utils.Database, address: str) -> int | None:
    row = db.execute(
        "SELECT id FROM messages WHERE channel = 'email' AND lower(to_address) = ?"
        " AND state IN ('sent', 'delivered') ORDER BY id DESC LIMIT 1",
        [address.lower()],
    ).fetchone()
    return None if row is None else int(row[0])


def _handle_bounce(
    db: sqlite_utils.Database, message: Message, report: ImapReport
) -> None:
    message_id = _header(message, "Message-ID")
    if _handled_before(db, "bounce", message_id):
        return
    received = _received_at(message)
    for address, status in _failed_recipients(message):
        contact_id = _contact_by_email(db, address)
        if contact_id is None:
            report.unmatched += 1
            continue
        warning = f"Email {address} bounced on {received[:10]}"
        warning += f" ({status})." if status else "."
        with db.conn:
            row = db.execute(
                "SELECT warnings FROM contacts WHERE id = ?", [contact_id]
            ).fetchone()
            warnings = json.loads(row[0] or "[]")
            if warning not in warnings:
                warnings.append(warning)
            db.execute(
                "UPDATE contacts SET warnings = ?, updated_at = ? WHERE id = ?",
                [json.dumps(warnings, ensure_ascii=False), utc_now(), contact_id],
            )
            db["events"].insert(
                {
                    "kind": "bounce",
                    "message_id": _last_email_to(db, address),
                    "contact_id": contact_id,
                    "body": status[:500],
                    "data": json.dumps(
                        {
                            "mail_message_id": message_id,
                            "received_at": received,
                            "channel": "email",
                            "status": status,
                            "address": address,
                        }
                    ),
                    "created_at": utc_now(),
                }
            )
        report.bounced.append(contact_id)
