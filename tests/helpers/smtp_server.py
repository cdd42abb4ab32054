"""Local SMTP servers for tests and benchmarks: aiosmtpd on 127.0.0.1 (TESTING.md section 2).

Fixtures:

- ``smtp_plain``: plain SMTP with AUTH (user ``shop@example.com``, password ``PASSWORD``);
- ``smtp_starttls``: STARTTLS required before AUTH, with a trustme certificate;
- ``smtp_ssl``: implicit TLS (SMTPS) with AUTH;
- ``smtp_refusing``: plain SMTP with AUTH that refuses recipients starting ``nobody``;
- ``smtp_stalling``: plain SMTP with AUTH that never answers the end of DATA in time;
- ``silent_server``: a TCP port that accepts connections and never says a word;
- ``tls_ca``: the trustme authority, and ``client_context`` that trusts it.

Each server records what it received in ``server.capture`` (:class:`Capture`) and counts
connections in ``server.capture.connections``.
"""

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER = "shop@example.com"
PASSWORD = "smtp-test-password-4711"
REFUSED_PREFIX = "nobody"
STALL_SECONDS = 3.0


@dataclass
class Received:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: list[str]
    auth: Any
    tls: bool
    message: EmailMessage


class Capture:
    """An aiosmtpd handler that keeps every message and can refuse or stall."""

    def __init__(
        self,
        *,
        refuse_prefix: str | None = None,
        stall: float = 0.0,
        parse: bool = True,
    ) -> None:
        self.received: list[Received] = []
        self.count = 0
        self.parse = parse
        self.connections = 0
        self.refuse_prefix = refuse_prefix
        self.stall = stall
        self._cond = threading.Condition()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept the recipient, unless it starts with the refused prefix."""
        if self.refuse_prefix and address.startswith(self.refuse_prefix):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Parse and keep the message (after a bounded stall, when asked to)."""
        if self.stall:
            await asyncio.sleep(self.stall)
        if not self.parse:  # benchmarks: measure the client, not the parser
            self.count += 1
            return "250 Message accepted for delivery"
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        transport = server.transport
        tls = (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        with self._cond:
            self.count += 1
            self.received.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    session.auth_data,
                    tls,
                    parsed,
                )
            )
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` messages arrived; False after ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.received) >= count, timeout)


class _CountingController(Controller):
    """A Controller whose SMTP sessions count their connections in the handler."""

    def factory(self) -> SMTP:
        """Build one session and count it."""
        self.handler.connections += 1
        return super().factory()


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1 (aiosmtpd cannot use port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login.decode() == USER
        and data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=USER if ok else None)


@dataclass
class SmtpServer:
    """A running server: where it listens and what it captured."""

    host: str
    port: int
    capture: Capture
    controller: Controller
    options: dict[str, Any]

    def stop(self) -> None:
        """Stop the server and close its connections."""
        self.controller.stop()

    def restart(self) -> None:
        """Stop, then listen again on the same port: every connection is dropped."""
        self.controller.stop()
        self.controller = _CountingController(
            self.capture, hostname=self.host, port=self.port, **self.options
        )
        self.controller.start()


def start_server(
    capture: Capture | None = None,
    *,
    tls_context: ssl.SSLContext | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> SmtpServer:
    """Start an aiosmtpd server with AUTH on a free port of 127.0.0.1.

    Args:
        capture: the handler (a plain :class:`Capture` when ``None``).
        tls_context: offer STARTTLS with this context and require it.
        ssl_context: speak TLS from the first byte (SMTPS) with this context.

    Returns:
        The running server.
    """
    capture = capture or Capture()
    options: dict[str, Any] = {
        "authenticator": _authenticate,
        "auth_required": True,
        "auth_require_tls": tls_context is not None,
    }
    if tls_context is not None:
        options.update(tls_context=tls_context, require_starttls=True)
    options["ssl_context"] = ssl_context
    port = free_port()
    controller = _CountingController(
        capture, hostname="127.0.0.1", port=port, **options
    )
    controller.start()
    capture.connections = 0
    return SmtpServer("127.0.0.1", port, capture, controller, options)


@pytest.fixture(scope="session", name="tls_ca")
def tls_ca_fixture() -> trustme.CA:
    """A throw-away certificate authority."""
    return trustme.CA()


@pytest.fixture(scope="session", name="server_tls_context")
def server_tls_context_fixture(tls_ca: trustme.CA) -> ssl.SSLContext:
    """The server side: a certificate for 127.0.0.1 and localhost."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(name="client_context")
def client_context_fixture(tls_ca: trustme.CA) -> ssl.SSLContext:
    """A verifying client context that trusts the test authority."""
    context = ssl.create_default_context()
    tls_ca.configure_trust(context)
    return context


@pytest.fixture(name="smtp_plain")
def smtp_plain_fixture() -> Iterator[SmtpServer]:
    """Plain SMTP with AUTH."""
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(name="smtp_starttls")
def smtp_starttls_fixture(server_tls_context: ssl.SSLContext) -> Iterator[SmtpServer]:
    """SMTP that requires STARTTLS before AUTH."""
    server = start_server(tls_context=server_tls_context)
    yield server
    server.stop()


@pytest.fixture(name="smtp_ssl")
def smtp_ssl_fixture(server_tls_context: ssl.SSLContext) -> Iterator[SmtpServer]:
    """SMTPS: TLS from the first byte, then AUTH."""
    server = start_server(ssl_context=server_tls_context)
    yield server
    server.stop()


@pytest.fixture(name="smtp_refusing")
def smtp_refusing_fixture() -> Iterator[SmtpServer]:
    """Plain SMTP with AUTH that refuses recipients starting with ``nobody``."""
    server = start_server(Capture(refuse_prefix=REFUSED_PREFIX))
    yield server
    server.stop()


@pytest.fixture(name="smtp_stalling")
def smtp_stalling_fixture() -> Iterator[SmtpServer]:
    """Plain SMTP with AUTH that answers the end of DATA only after a few seconds."""
    server = start_server(Capture(stall=STALL_SECONDS))
    yield server
    server.stop()


@pytest.fixture(name="silent_server")
def silent_server_fixture() -> Iterator[tuple[str, int]]:
    """A port that accepts connections and never answers (no SMTP greeting)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield "127.0.0.1", int(listener.getsockname()[1])
    listener.close()
