"""Email over SMTP: one verified, authenticated connection reused for a whole batch.

Why ``smtplib`` and not yagmail: yagmail's ``text/plain`` part is the HTML source, it
turns a body that happens to name a file into an attachment, it prompts for a password
(``getpass``) when none is given, it sets no timeout and does not verify TLS
certificates by default, it rewrites a user name without ``@`` into a Gmail address, and
each ``send()`` opens a new connection. Building the message with
:class:`email.message.EmailMessage` and sending it with :mod:`smtplib` gives a real plain
text part, RFC 2047 display names, one connection per batch, a timeout on every socket
operation and verified TLS, in less code than working around those pitfalls.

The connection opens on the first send, is reused, is reopened once if the server
dropped it between messages, and closes on :meth:`SmtpEmail.close`. Every error becomes
a ``ProviderError`` with a plain message; like the Twilio provider, each carries
``retry_after`` (always ``None`` here) and ``maybe_sent`` (True when the connection broke
after the message text went out, so the server may have accepted it).
"""

import email.utils
import functools
import logging
import quopri
import smtplib
import socket
import ssl
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP as SMTP_POLICY
from email.policy import SMTPUTF8 as SMTPUTF8_POLICY
from email.policy import default as DEFAULT_POLICY
from typing import Any, Literal

from desktop_app.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    RecipientRejected,
)
from desktop_app.providers.base import OutgoingEmail, SendReceipt, add_inline_images

logger = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
SECURITY_MODES: tuple[str, ...] = ("ssl", "starttls", "none")

_MAX_LINE = 78

# Headers the message builder owns; OutgoingEmail.headers may not replace them.
_RESERVED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def build_message(
    mail: OutgoingEmail, *, from_address: str, from_name: str = ""
) -> EmailMessage:
    """Build the MIME message for ``mail``: plain text, plus an HTML alternative.

    Args:
        mail: the rendered email; its own From fields win over the defaults.
        from_address: the From address to use when ``mail`` has none.
        from_name: the From display name to use when ``mail`` has none.

    Returns:
        The message, with Date, Message-ID and the extra headers of ``mail`` set.

    Raises:
        RecipientRejected: the recipient address cannot be written in a header.
        ProviderError: the From address or an extra header is not valid.
    """
    sender = mail.from_address or from_address
    sender_name = mail.from_name if mail.from_address else (mail.from_name or from_name)
    try:
        recipient = _address(mail.to_name, mail.to)
    except (ValueError, IndexError) as error:
        raise _with_extras(
            RecipientRejected(
                "This email address is not valid.",
                code="invalid-address",
                detail=type(error).__name__,
            )
        ) from error

    message = EmailMessage()
    try:
        message["From"] = _from_header(sender_name, sender)
        message["To"] = recipient
        message["Subject"] = mail.subject
        message["Date"] = email.utils.localtime()
        message["Message-ID"] = email.utils.make_msgid(
            domain=sender.rpartition("@")[2] or "duet.invalid"
        )
        for name, value in mail.headers.items():
            if name.lower() in _RESERVED_HEADERS:
                continue
            message[name] = value
    except (ValueError, IndexError) as error:
        raise _with_extras(
            ProviderError(
                "The From address or an extra email header is not valid; check the "
                "From address in Settings.",
                detail=type(error).__name__,
            )
        ) from error

    message["MIME-Version"] = _header("MIME-Version", "1.0")
    if not mail.html:
        _set_text(message, mail.text, "plain")
        return message

    plain = MIMEPart()
    _set_text(plain, mail.text, "plain")
    rich = MIMEPart()
    _set_text(rich, mail.html, "html")
    message["Content-Type"] = _header("Content-Type", "multipart/alternative")
    message.set_payload([plain, rich])
    add_inline_images(message, mail.images())
    return message


# Why the helpers below: EmailMessage parses every header it is given, and
# set_content() re-parses its Content-Type several times; that was half the cost of a
# send. Headers that repeat across a batch are parsed once and shared (a header object
# is an immutable str), and text parts are encoded here with the same rules as
# email.contentmanager: 7bit when ASCII with short lines, otherwise quoted-printable.
@functools.lru_cache(maxsize=64)
def _header(name: str, value: str) -> Any:
    return DEFAULT_POLICY.header_factory(name, value)


@functools.lru_cache(maxsize=16)
def _from_header(name: str, address: str) -> Any:
    return DEFAULT_POLICY.header_factory("From", _address(name, address))


def _set_text(part: MIMEPart, text: str, subtype: str) -> None:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = "\n".join(lines) + "\n"
    if text.isascii() and max(len(line) for line in lines) <= _MAX_LINE:
        encoding = "7bit"
    else:
        encoding = "quoted-printable"
        body = quopri.encodestring(body.encode("utf-8")).decode("ascii")
    part["Content-Type"] = _header("Content-Type", f'text/{subtype}; charset="utf-8"')
    part["Content-Transfer-Encoding"] = _header("Content-Transfer-Encoding", encoding)
    part.set_payload(body)


class SmtpEmail:
    """Sends email through one SMTP server; see the module docstring.

    Args:
        host: the server name, such as ``smtp.gmail.com``.
        port: 465 for ``ssl``, 587 for ``starttls``, 25 or another for ``none``.
        security: ``ssl`` (TLS from the start), ``starttls`` or ``none``.
        user: the login name, used as given (empty: no login).
        password: the login password (or app password).
        from_address: the default From address.
        from_name: the default From display name.
        timeout: seconds to wait for any network step.
        ssl_context: the TLS settings; the default verifies certificates with the
            system's trusted authorities.
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        security: Security | str,
        user: str,
        password: str,
        from_address: str,
        from_name: str = "",
        *,
        timeout: float = 15.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ProviderError(
                f"The email security mode must be SSL, STARTTLS or none, not {security!r}."
            )

        self._host = host
        self._port = port
        self._security = security
        self._user = user
        self._password = password
        self._from_address = from_address
        self._from_name = from_name
        self._timeout = timeout
        self._context = ssl_context
        self._connection: smtplib.SMTP | None = None

    @property
    def from_address(self) -> str:
        """Return the From address used when an email names none."""
        return self._from_address

    def send_email(self, email: OutgoingEmail) -> SendReceipt:
        """Send ``email`` over the batch's connection (opened on first use).

        Args:
            email: the rendered email.

        Returns:
            The receipt, whose ``provider_id`` is the Message-ID.

        Raises:
            RecipientRejected: the server refused the recipient (5xx) or the address
                is not valid.
            ProviderAuthError: the server refused the user name or password.
            ProviderUnavailable: the server could not be reached, timed out or broke
                the connection; ``maybe_sent`` says whether it may have the message.
            ProviderError: any other refusal (sender refused, message refused...).
        """
        message = build_message(
            email, from_address=self._from_address, from_name=self._from_name
        )
        sender = message["From"].addresses[0].addr_spec
        recipient = message["To"].addresses[0].addr_spec
        utf8 = not (sender + recipient).isascii()

        connection = self._open_envelope(sender, recipient, utf8=utf8)
        policy = SMTPUTF8_POLICY if utf8 else SMTP_POLICY
        self._send_data(connection, message.as_bytes(policy=policy))

        logger.debug("smtp accepted a message for …@%s", recipient.rpartition("@")[2])
        return SendReceipt(provider=self.name, provider_id=str(message["Message-ID"]))

    def check_connection(self) -> str:
        """Connect, secure the connection and log in, then hang up.

        Returns:
            A plain sentence saying what worked.

        Raises:
            ProviderError: or a subclass, with a message naming the likely fix.
        """
        self.close()
        self._connection = self._connect()
        self.close()
        mode = {"ssl": "SSL", "starttls": "STARTTLS", "none": "no encryption"}
        login = f", logged in as {self._user}" if self._user else ""
        return (
            f"Connected to {self._host}:{self._port} with "
            f"{mode[self._security]}{login}."
        )

    def close(self) -> None:
        """Say goodbye to the server and close the connection; safe to call twice."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            connection.close()

    def _open_envelope(
        self, sender: str, recipient: str, *, utf8: bool
    ) -> smtplib.SMTP:
        """Send MAIL and RCPT, reconnecting once when the old connection was dropped."""
        for attempt in (1, 2):
            connection = self._connection or self._connect()
            self._connection = connection
            try:
                options = self._mail_options(connection, utf8)
                code, reply = connection.mail(sender, options)
                if code == 421:
                    raise smtplib.SMTPServerDisconnected(reply.decode(errors="replace"))
                if code >= 400:
                    self._reset(connection)
                    raise _sender_refused(code, reply)
                code, reply = connection.rcpt(recipient)
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self._discard()
                if attempt == 2:
                    raise self._broken(error, after_data=False) from error
                logger.debug("smtp connection was dropped; reconnecting once")
                continue
            if code >= 400:
                self._reset(connection)
                raise _recipient_refused(code, reply)
            return connection
        raise AssertionError("unreachable")

    def _send_data(self, connection: smtplib.SMTP, payload: bytes) -> None:
        try:
            code, reply = connection.data(payload)
        except smtplib.SMTPDataError as error:
            self._reset(connection)
            raise _message_refused(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._discard()
            raise self._broken(error, after_data=True) from error
        if code >= 400:
            self._reset(connection)
            raise _message_refused(code, reply)

    def _mail_options(self, connection: smtplib.SMTP, utf8: bool) -> list[str]:
        if not utf8:
            return []
        if not connection.has_extn("smtputf8"):
            raise _with_extras(
                RecipientRejected(
                    "This address has letters outside English, and the mail server "
                    "cannot accept such addresses.",
                    code="smtputf8",
                )
            )
        return ["SMTPUTF8", "BODY=8BITMIME"]

    def _connect(self) -> smtplib.SMTP:
        context = self._context or ssl.create_default_context()
        connection: smtplib.SMTP | None = None
        try:
            if self._security == "ssl":
                connection = smtplib.SMTP_SSL(
                    self._host, self._port, timeout=self._timeout, context=context
                )
            else:
                connection = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            connection.ehlo()
            if self._security == "starttls":
                if not connection.has_extn("starttls"):
                    raise _NoStartTls
                connection.starttls(context=context)
                connection.ehlo()
            if self._user:
                connection.login(self._user, self._password)
        except (smtplib.SMTPException, OSError, _NoStartTls) as error:
            if connection is not None:
                connection.close()
            raise self._connect_error(error) from error

        logger.debug(
            "smtp connected to %s:%s (%s)", self._host, self._port, self._security
        )
        return connection

    def _connect_error(self, error: BaseException) -> ProviderError:
        where = f"{self._host}:{self._port}"
        detail = f"{type(error).__name__}: {_reply_text(error)}"
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return _with_extras(
                ProviderAuthError(
                    f"{where} refused the user name or password. Some providers (Gmail, "
                    "Outlook) need an app password here.",
                    code=error.smtp_code,
                    detail=detail,
                )
            )

        if isinstance(error, _NoStartTls):
            return _with_extras(
                ProviderError(
                    f"{where} does not offer STARTTLS. Choose SSL if the port is 465, "
                    "or none if the server has no encryption.",
                    code="no-starttls",
                    detail=detail,
                )
            )

        if isinstance(error, smtplib.SMTPNotSupportedError):
            return _with_extras(
                ProviderError(
                    f"{where} does not allow logging in on this connection. "
                    "Choose STARTTLS (usually port 587) or SSL (usually port 465).",
                    code="no-auth",
                    detail=detail,
                )
            )

        if isinstance(error, ssl.SSLCertVerificationError):
            return _with_extras(
                ProviderError(
                    f"The certificate of {where} is not trusted "
                    f"({error.verify_message}). Check the host name.",
                    code="certificate",
                    detail=detail,
                )
            )

        if isinstance(error, ssl.SSLError):
            return _with_extras(
                ProviderError(
                    f"Could not start an encrypted connection with {where}. "
                    f"{self._mode_hint()}".strip(),
                    code="tls",
                    detail=detail,
                )
            )

        if isinstance(error, ConnectionRefusedError):
            message = f"Nothing answers at {where}; check the host and port."
        elif isinstance(error, socket.gaierror):
            message = (
                f"The mail server {self._host} could not be found; check the host."
            )
        elif _timed_out(error):
            message = (
                f"{where} did not answer within {self._timeout:g} seconds. "
                f"{self._mode_hint() if self._security != 'ssl' else ''}"
            ).strip()
        else:
            message = f"Could not talk to the mail server {where}."
        return _with_extras(
            ProviderUnavailable(
                message.strip(), code="connect", retryable=True, detail=detail
            )
        )

    def _mode_hint(self) -> str:
        """Name the likely fix when the security mode does not suit the port."""
        if self._security != "ssl" and self._port == 465:
            return "Port 465 expects SSL: choose SSL as the security."
        if self._security == "ssl" and self._port in (25, 587):
            return (
                f"Port {self._port} expects STARTTLS, not SSL: choose STARTTLS, "
                "or use port 465 with SSL."
            )
        if self._security == "ssl":
            return (
                "The server did not start with SSL: it probably expects STARTTLS "
                "(usual on port 587)."
            )
        return (
            "If the server expects SSL from the start (usual on port 465), choose SSL."
        )

    def _broken(self, error: BaseException, *, after_data: bool) -> ProviderError:
        where = f"{self._host}:{self._port}"
        if _timed_out(error):
            message = f"{where} stopped answering for {self._timeout:g} seconds."
        else:
            message = f"The connection to {where} broke."
        if after_data:
            message += " The email may have been sent anyway; check before resending."
        return _with_extras(
            ProviderUnavailable(
                message,
                code="disconnected",
                retryable=True,
                detail=f"{type(error).__name__}: {_reply_text(error)}",
            ),
            maybe_sent=after_data,
        )

    def _reset(self, connection: smtplib.SMTP) -> None:
        try:
            connection.rset()
        except (smtplib.SMTPException, OSError):
            self._discard()

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class _NoStartTls(Exception):
    """The server did not list STARTTLS in its EHLO answer."""


def _address(name: str, address: str) -> Address:
    address = address.strip()
    if address.count("@") != 1 or any(ch in address for ch in "\r\n<>, "):
        raise ValueError("not a single address")
    local, _, domain = address.partition("@")
    if not local or not domain:
        raise ValueError("not a single address")
    # An international domain goes in its ASCII (IDNA) form, which every server
    # accepts; only a non-ASCII local part needs SMTPUTF8.
    domain = domain.encode("idna").decode("ascii")
    return Address(display_name=name.strip(), username=local, domain=domain)


def _with_extras(error: ProviderError, *, maybe_sent: bool = False) -> ProviderError:
    error.retry_after = None
    error.maybe_sent = maybe_sent
    return error


def _reply_text(error: BaseException) -> str:
    text = getattr(error, "smtp_error", None)
    if isinstance(text, bytes):
        return text.decode(errors="replace")[:200]
    return str(error)[:200]


def _timed_out(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _decoded(reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:200]


def _sender_refused(code: int, reply: bytes) -> ProviderError:
    return _with_extras(
        ProviderError(
            f"The mail server refused the From address ({code} {_decoded(reply)}). It "
            "usually must be the address of the account you log in with.",
            code=code,
            retryable=400 <= code < 500,
        )
    )


def _recipient_refused(code: int, reply: bytes) -> ProviderError:
    if 400 <= code < 500:
        return _with_extras(
            ProviderError(
                f"The mail server asked to try this recipient later ({code}).",
                code=code,
                retryable=True,
                detail=_decoded(reply),
            )
        )
    return _with_extras(
        RecipientRejected(
            f"The mail server refused this recipient ({code} {_decoded(reply)}).",
            code=code,
        )
    )


def _message_refused(code: int, reply: bytes | str) -> ProviderError:
    return _with_extras(
        ProviderError(
            f"The mail server refused the message ({code} {_decoded(reply)}).",
            code=code,
            retryable=400 <= code < 500,
        )
    )
