"""Poll the shop's mailbox over IMAP for unsubscribe requests and bounces.

Every email Duet sends carries ``List-Unsubscribe: <mailto:SHOP?subject=unsubscribe
TOKEN>``; a mail client's "Unsubscribe" button sends that mail to the shop. This
module reads the unseen mails of the shop's inbox and handles two kinds:

* **Unsubscribe requests**: a subject holding the word "unsubscribe", or a valid
  per-contact token (``core.consent_rules.unsubscribe_token``) in the To or Subject.
  The token names the contact; without one, the sender's address does. The email
  consent becomes ``opted_out`` with the mail as evidence, and an ``unsubscribe``
  event is recorded (the SLA report and the campaign reports read it).
* **Bounces**: a delivery status notification (``multipart/report;
  report-type=delivery-status``) whose recipient block says ``Action: failed``.
  The contact with that address gets a warning and a ``bounce`` event, tied to the
  last email sent to the address when there is one.

Only mails Duet handled are marked ``\\Seen``; the owner's other mail is read with
``BODY.PEEK[]`` and left unread. A mail handled before (same Message-ID) is not
recorded twice.
"""

import email
import email.policy
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
from desktop_app.errors import ProviderAuthError, ProviderUnavailable, StorageError
from desktop_app.services.compliance import unsubscribe_secret
from desktop_app.storage import consent as consent_store
from desktop_app.storage.database import utc_now

logger = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]

MAX_MESSAGES: Final = 500
"""At most this many unseen mails are read per poll (newest first)."""

_UNSUBSCRIBE_WORD: Final = re.compile(r"\bunsubscribe\b", re.IGNORECASE)
_DSN_ADDRESS: Final = re.compile(r"^\s*(?:rfc822\s*;)?\s*<?([^<>\s;]+@[^<>\s;]+)>?")


@dataclass
class ImapReport:
    """What one poll of the mailbox found and did.

    Attributes:
        checked: unseen mails read.
        unsubscribed: contacts whose email consent became opted out.
        already_unsubscribed: unsubscribe mails handled before, or from contacts
            already opted out.
        bounced: contacts whose address bounced.
        unmatched: unsubscribe or bounce mails that name no known contact.
        other: mails that were neither (left unread).
    """

    checked: int = 0
    unsubscribed: list[int] = field(default_factory=list)
    already_unsubscribed: int = 0
    bounced: list[int] = field(default_factory=list)
    unmatched: int = 0
    other: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "checked": self.checked,
            "unsubscribed": self.unsubscribed,
            "already_unsubscribed": self.already_unsubscribed,
            "bounced": self.bounced,
            "unmatched": self.unmatched,
            "other": self.other,
        }

    def summary_text(self) -> str:
        """Return the report in one plain line."""
        return (
            f"{self.checked} new mails: {len(self.unsubscribed)} unsubscribed, "
            f"{len(self.bounced)} bounced, {self.unmatched} not matched to a contact."
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
        "mailbox polled: %d mails, %d unsubscribed, %d bounced, %d unmatched",
        report.checked,
        len(report.unsubscribed),
        len(report.bounced),
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

    for number in numbers:
        status, parts = client.fetch(number.decode(), "(BODY.PEEK[])")
        raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
        if status != "OK" or not isinstance(raw, bytes):
            continue
        report.checked += 1
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if handle_mail(db, message, secret, report):
            client.store(number.decode(), "+FLAGS", "(\\Seen)")


def handle_mail(
    db: sqlite_utils.Database, message: Message, secret: str, report: ImapReport
) -> bool:
    """Handle one mail: an unsubscribe request, a bounce, or neither.

    Args:
        db: the open database.
        message: the parsed mail.
        secret: the shop's unsubscribe secret.
        report: updated with what was done.

    Returns:
        True when the mail was Duet's to handle (mark it read), else False.

    Raises:
        StorageError: the database could not record a change.
    """
    try:
        if _is_bounce(message):
            _handle_bounce(db, message, report)
            return True
        if _is_unsubscribe(message, secret):
            _handle_unsubscribe(db, message, secret, report)
            return True
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
    key = email_key(address) if address else ""
    if not key:
        return None
    row = db.execute(
        "SELECT id FROM contacts WHERE email_key = ? OR lower(email) = ?"
        " ORDER BY id LIMIT 1",
        [key, address.strip().lower()],
    ).fetchone()
    return None if row is None else int(row[0])


def _contact_exists(db: sqlite_utils.Database, contact_id: int) -> bool:
    row = db.execute("SELECT 1 FROM contacts WHERE id = ?", [contact_id]).fetchone()
    return row is not None


# --- unsubscribe requests ------------------------------------------------------------


def _is_unsubscribe(message: Message, secret: str) -> bool:
    subject = _header(message, "Subject")
    if _UNSUBSCRIBE_WORD.search(subject):
        return True
    where = " ".join(
        [_header(message, "To"), _header(message, "Delivered-To"), subject]
    )
    return consent_rules.parse_unsubscribe_token(where, secret) is not None


def _handle_unsubscribe(
    db: sqlite_utils.Database, message: Message, secret: str, report: ImapReport
) -> None:
    message_id = _header(message, "Message-ID")
    if _handled_before(db, "unsubscribe", message_id):
        report.already_unsubscribed += 1
        return
    subject = _header(message, "Subject")
    where = " ".join(
        [_header(message, "To"), _header(message, "Delivered-To"), subject]
    )
    sender = parseaddr(_header(message, "From"))[1]

    contact_id = consent_rules.parse_unsubscribe_token(where, secret)
    how = "its unsubscribe link"
    if contact_id is None or not _contact_exists(db, contact_id):
        contact_id = _contact_by_email(db, sender)
        how = "the sender's address"
    if contact_id is None:
        report.unmatched += 1
        logger.debug("unsubscribe mail names no known contact")
        return
    if consent_store.current_consent(db, contact_id, "email") == "opted_out":
        report.already_unsubscribed += 1
        return

    received = _received_at(message)
    evidence = (
        f"unsubscribe mail from {sender or 'unknown sender'} received {received}, "
        f"subject '{subject[:120]}', Message-ID {message_id or 'none'}; contact "
        f"found by {how}"
    )
    with db.conn:
        db["events"].insert(
            {
                "kind": "unsubscribe",
                "contact_id": contact_id,
                "body": subject[:500],
                "data": json.dumps(
                    {
                        "mail_message_id": message_id,
                        "received_at": received,
                        "channel": "email",
                    }
                ),
                "created_at": utc_now(),
            }
        )
        consent_store.record_consent(
            db, contact_id, "email", "opted_out", source="email", evidence=evidence
        )
    report.unsubscribed.append(contact_id)


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
                        }
                    ),
                    "created_at": utc_now(),
                }
            )
        report.bounced.append(contact_id)
