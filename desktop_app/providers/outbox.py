"""The test outbox: SMS and email "sent" as files on the shop's own PC.

Until credentials are entered, Duet sends here. Each SMS becomes a ``.txt`` file in
``outbox/sms`` and each email a real RFC 5322 ``.eml`` file (plain text and HTML
alternatives, inline QR images, ``List-Unsubscribe``) in ``outbox/email``, which any
mail program opens. Files are written under a temporary name and renamed, so none is
ever half written.
"""

import itertools
import logging
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from desktop_app import paths
from desktop_app.core.qr import InlineImage
from desktop_app.errors import ProviderUnavailable, RecipientRejected
from desktop_app.providers.base import (
    OutgoingEmail,
    Senders,
    SendReceipt,
    add_inline_images,
)

logger = logging.getLogger(__name__)

PROVIDER = "outbox"
DEFAULT_FROM = "outbox@duet.invalid"
DEFAULT_UNSUBSCRIBE = "<mailto:unsubscribe@duet.invalid?subject=unsubscribe>"

_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


def _file_stem(kind: str) -> str:
    """Return a unique, time-ordered file name stem, e.g. ``20240501T120000…-sms``."""
    with _sequence_lock:
        number = next(_sequence)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{os.getpid()}-{number:06d}-{kind}"


def _write_atomically(folder: Path, stem: str, suffix: str, data: bytes) -> str:
    name = stem + suffix
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{name}.part"
        temporary.write_bytes(data)
        os.replace(temporary, folder / name)
    except OSError as error:
        raise ProviderUnavailable(
            f"The test outbox folder {folder} cannot be written.", detail=str(error)
        ) from error
    return name


class OutboxSms:
    """An SMS sender that writes each message to ``folder/<name>.txt``."""

    name = PROVIDER

    def __init__(self, folder: Path) -> None:
        """Send into ``folder`` (created on the first message)."""
        self.folder = Path(folder)

    def send_sms(self, to: str, body: str) -> SendReceipt:
        """Write one SMS as a text file.

        Args:
            to: the E.164 number.
            body: the exact text that would be sent.

        Returns:
            A receipt whose ``provider_id`` is the file name.

        Raises:
            RecipientRejected: ``to`` is not an E.164 number.
            ProviderUnavailable: the folder cannot be written.
        """
        if not to.startswith("+") or not to[1:].isdigit():
            raise RecipientRejected(f"'{to}' is not a phone number in +country form.")
        when = format_datetime(datetime.now(UTC))
        text = f"To: {to}\nDate: {when}\n\n{body}\n"
        name = _write_atomically(
            self.folder, _file_stem("sms"), ".txt", text.encode("utf-8")
        )
        logger.debug("SMS written to the outbox as %s", name)
        return SendReceipt(provider=PROVIDER, provider_id=name)

    def close(self) -> None:
        """Nothing to release."""


def _ascii_address(address: str) -> str:
    """Return ``address`` with an international domain in its ASCII (IDNA) form.

    Raises:
        RecipientRejected: the part before the @ is not ASCII, which needs a mail
            server that accepts international addresses (SMTPUTF8).
    """
    local, at, domain = address.rpartition("@")
    if not at or address.isascii():
        return address
    if not local.isascii():
        raise RecipientRejected(
            "This address has non-English letters before the @, which Duet cannot "
            "send to yet.",
            code="smtputf8",
        )
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as error:
        raise RecipientRejected(
            "The domain of this email address is not valid.", code="invalid-address"
        ) from error


def build_email_message(
    email: OutgoingEmail, *, images: Sequence[InlineImage] = ()
) -> EmailMessage:
    """Build the RFC 5322 message for ``email``: plain text with an HTML alternative.

    With images the HTML part becomes ``multipart/related``: the HTML first, then
    each image as an inline part whose Content-ID the HTML names in ``cid:``.

    Args:
        email: the rendered email.
        images: inline images (QR codes) the HTML shows. When empty, the email's
            own ``inline_images`` are used if it carries that field, else the QR
            codes its HTML points at are drawn again from their ``data-qr`` value.
            Ignored when the email has no HTML.

    Returns:
        The message, with From, To, Subject, Date, Message-ID and List-Unsubscribe.
    """
    message = EmailMessage()
    sender = email.from_address or DEFAULT_FROM
    message["From"] = formataddr((email.from_name, _ascii_address(sender)))
    message["To"] = formataddr((email.to_name, _ascii_address(email.to)))
    message["Subject"] = email.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    headers = {"List-Unsubscribe": DEFAULT_UNSUBSCRIBE, **email.headers}
    for key, value in headers.items():
        message[key] = value

    message.set_content(email.text)
    if not email.html:
        return message
    message.add_alternative(email.html, subtype="html")
    add_inline_images(message, images or email.images())
    return message


class OutboxEmail:
    """An email sender that writes each message to ``folder/<name>.eml``."""

    name = PROVIDER
    from_address = DEFAULT_FROM

    def __init__(self, folder: Path) -> None:
        """Send into ``folder`` (created on the first message)."""
        self.folder = Path(folder)

    def send_email(self, email: OutgoingEmail) -> SendReceipt:
        """Write one email as an ``.eml`` file.

        Args:
            email: the rendered email.

        Returns:
            A receipt whose ``provider_id`` is the file name.

        Raises:
            RecipientRejected: the address has no ``@``.
            ProviderUnavailable: the folder cannot be written.
        """
        if "@" not in email.to:
            raise RecipientRejected(f"'{email.to}' is not an email address.")
        data = build_email_message(email).as_bytes(policy=SMTP)
        name = _write_atomically(self.folder, _file_stem("email"), ".eml", data)
        logger.debug("email written to the outbox as %s", name)
        return SendReceipt(provider=PROVIDER, provider_id=name)

    def close(self) -> None:
        """Nothing to release."""


def outbox_senders(data_dir: Path) -> Senders:
    """Return the SMS and email outbox senders for a data folder.

    Args:
        data_dir: Duet's data folder; files go to ``outbox/sms`` and ``outbox/email``.

    Returns:
        The pair of senders.
    """
    root = paths.outbox_dir(Path(data_dir))
    return Senders(sms=OutboxSms(root / "sms"), email=OutboxEmail(root / "email"))
