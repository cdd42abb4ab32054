"""A small local IMAP4rev1 server for tests: one mailbox, enough for ``imaplib``.

Commands: CAPABILITY, NOOP, LOGIN, STARTTLS, SELECT/EXAMINE, SEARCH (ALL, UNSEEN),
FETCH (RFC822, BODY[], BODY.PEEK[], FLAGS), STORE +FLAGS/-FLAGS, CLOSE, LOGOUT.
Binds to 127.0.0.1 on a free port only; each connection has a socket timeout and
handles a bounded number of commands, so a confused client cannot hang a test.

    with ImapServer(user="shop", password="pw", messages=[raw_bytes]) as server:
        imaplib.IMAP4("127.0.0.1", server.port)
"""

import re
import socketserver
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

MAX_COMMANDS = 200
SOCKET_TIMEOUT = 5.0
_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|(\S+)')


@dataclass
class StoredMail:
    """One message in the mailbox and its flags."""

    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class MailboxState:
    """What the server holds and what clients did to it (for assertions)."""

    user: str
    password: str
    mails: list[StoredMail]
    commands: list[str] = field(default_factory=list)
    logins: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self) -> list[bool]:
        """Return, per message, whether it carries the \\Seen flag."""
        with self.lock:
            return ["\\Seen" in mail.flags for mail in self.mails]


def _tokens(line: bytes) -> list[str]:
    out = []
    for match in _TOKEN.finditer(line):
        quoted, group, bare = match.groups()
        if quoted is not None:
            out.append(re.sub(rb"\\(.)", rb"\1", quoted).decode())
        else:
            out.append((group or bare).decode())
    return out


def _message_set(text: str, count: int) -> list[int]:
    numbers: list[int] = []
    for piece in text.split(","):
        first, _, last = piece.partition(":")
        low = count if first == "*" else int(first)
        high = low if not last else (count if last == "*" else int(last))
        numbers += [n for n in range(min(low, high), max(low, high) + 1) if n <= count]
    return numbers


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def setup(self) -> None:
        self.request.settimeout(SOCKET_TIMEOUT)
        if self.server.implicit_tls is not None:
            self.request = self.server.implicit_tls.wrap_socket(
                self.request, server_side=True
            )
        super().setup()
        self.authenticated = False
        self.selected = False

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            # A TLS socket took over the connection; the server closes only the
            # plain socket it accepted, so close the TLS one here.
            if isinstance(self.request, ssl.SSLSocket):
                self.request.close()

    def _send(self, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        self.wfile.write(data)
        self.wfile.flush()

    def _capabilities(self) -> str:
        caps = ["IMAP4rev1", "AUTH=PLAIN"]
        if self.server.starttls is not None:
            caps.append("STARTTLS")
        return " ".join(caps)

    def handle(self) -> None:
        state = self.server.state
        self._send(f"* OK [CAPABILITY {self._capabilities()}] test IMAP ready\r\n")
        for _ in range(MAX_COMMANDS):
            try:
                line = self.rfile.readline(65536)
            except (TimeoutError, OSError):
                return
            if not line:
                return
            parts = _tokens(line.rstrip(b"\r\n"))
            if len(parts) < 2:
                self._send("* BAD empty command\r\n")
                continue
            tag, command, args = parts[0], parts[1].upper(), parts[2:]
            if command == "UID" and args:
                command, args = args[0].upper(), args[1:]
            with state.lock:
                state.commands.append(command)
            if not self._dispatch(tag, command, args):
                return

    def _dispatch(self, tag: str, command: str, args: list[str]) -> bool:
        state = self.server.state
        if command == "CAPABILITY":
            self._send(f"* CAPABILITY {self._capabilities()}\r\n{tag} OK done\r\n")
        elif command == "NOOP":
            self._send(f"{tag} OK done\r\n")
        elif command == "STARTTLS" and self.server.starttls is not None:
            self._send(f"{tag} OK begin TLS\r\n")
            self.request = self.server.starttls.wrap_socket(
                self.request, server_side=True
            )
            self.rfile = self.request.makefile("rb")
            self.wfile = self.request.makefile("wb")
        elif command == "LOGIN":
            if args[:2] == [state.user, state.password]:
                self.authenticated = True
                with state.lock:
                    state.logins += 1
                self._send(f"{tag} OK LOGIN completed\r\n")
            else:
                self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
        elif command == "LOGOUT":
            self._send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
            return False
        elif not self.authenticated:
            self._send(f"{tag} NO log in first\r\n")
        elif command in ("SELECT", "EXAMINE"):
            self._select(tag)
        elif not self.selected:
            self._send(f"{tag} NO select a mailbox first\r\n")
        elif command == "SEARCH":
            self._search(tag, args)
        elif command == "FETCH":
            self._fetch(tag, args)
        elif command == "STORE":
            self._store(tag, args)
        elif command == "CLOSE":
            self.selected = False
            self._send(f"{tag} OK CLOSE completed\r\n")
        else:
            self._send(f"{tag} BAD unknown command {command}\r\n")
        return True

    def _select(self, tag: str) -> None:
        state = self.server.state
        with state.lock:
            count = len(state.mails)
        self.selected = True
        self._send(
            f"* {count} EXISTS\r\n* 0 RECENT\r\n"
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
            f"{tag} OK [READ-WRITE] SELECT completed\r\n"
        )

    def _search(self, tag: str, args: list[str]) -> None:
        state = self.server.state
        wanted = [arg.upper() for arg in args if arg.upper() != "CHARSET"]
        with state.lock:
            found = [
                str(number)
                for number, mail in enumerate(state.mails, start=1)
                if "UNSEEN" not in wanted or "\\Seen" not in mail.flags
            ]
        self._send(f"* SEARCH {' '.join(found)}\r\n{tag} OK SEARCH completed\r\n")

    def _fetch(self, tag: str, args: list[str]) -> None:
        state = self.server.state
        what = " ".join(args[1:]).upper()
        with state.lock:
            numbers = _message_set(args[0], len(state.mails))
            for number in numbers:
                mail = state.mails[number - 1]
                if "FLAGS" in what and "BODY" not in what and "RFC822" not in what:
                    flags = " ".join(sorted(mail.flags))
                    self._send(f"* {number} FETCH (FLAGS ({flags}))\r\n")
                    continue
                name = "RFC822" if "RFC822" in what else "BODY[]"
                if "PEEK" not in what:
                    mail.flags.add("\\Seen")
                head = f"* {number} FETCH ({name} {{{len(mail.raw)}}}\r\n".encode()
                self._send(head + mail.raw + b")\r\n")
        self._send(f"{tag} OK FETCH completed\r\n")

    def _store(self, tag: str, args: list[str]) -> None:
        state = self.server.state
        flags = " ".join(args[2:]).strip("()").split()
        with state.lock:
            for number in _message_set(args[0], len(state.mails)):
                mail = state.mails[number - 1]
                if args[1].upper().startswith("-"):
                    mail.flags.difference_update(flags)
                else:
                    mail.flags.update(flags)
                shown = " ".join(sorted(mail.flags))
                self._send(f"* {number} FETCH (FLAGS ({shown}))\r\n")
        self._send(f"{tag} OK STORE completed\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        state: MailboxState,
        implicit_tls: ssl.SSLContext | None,
        starttls: ssl.SSLContext | None,
    ) -> None:
        self.state = state
        self.implicit_tls = implicit_tls
        self.starttls = starttls
        super().__init__(("127.0.0.1", 0), _Handler)


class ImapServer:
    """Run the test IMAP server in a thread for the length of a ``with`` block.

    Args:
        user: the only user name accepted.
        password: its password.
        messages: raw RFC 822 messages, all unseen at first.
        implicit_tls: a server SSL context for IMAPS (TLS from the first byte).
        starttls: a server SSL context offered through STARTTLS.
    """

    def __init__(
        self,
        *,
        user: str,
        password: str,
        messages: Iterable[bytes] = (),
        implicit_tls: ssl.SSLContext | None = None,
        starttls: ssl.SSLContext | None = None,
    ) -> None:
        self.state = MailboxState(user, password, [StoredMail(m) for m in messages])
        self._server = _Server(self.state, implicit_tls, starttls)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )

    @property
    def port(self) -> int:
        """Return the port the server listens on (127.0.0.1)."""
        return int(self._server.server_address[1])

    def __enter__(self) -> "ImapServer":
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add(self, raw: bytes) -> None:
        """Deliver one more message into the mailbox."""
        with self.state.lock:
            self.state.mails.append(StoredMail(raw))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.state, name)
