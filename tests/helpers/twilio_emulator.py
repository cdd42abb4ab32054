"""A local emulator of the few Twilio REST endpoints Duet uses, for tests and benchmarks.

It speaks real HTTP/1.1 with keep-alive on 127.0.0.1 only, so the real ``twilio`` client
and ``requests`` run unchanged against it (TESTING.md section 1). It emulates:

- ``POST /2010-04-01/Accounts/{AC}/Messages.json`` (create),
- ``GET  /2010-04-01/Accounts/{AC}/Messages/{SM}.json`` (fetch; the status moves
  queued -> sent -> delivered on each poll),
- ``GET  /2010-04-01/Accounts/{AC}/Messages.json`` (list, newest first, paged, with the
  ``To``, ``From`` and ``DateSent>`` filters),
- ``GET  /2010-04-01/Accounts/{AC}.json`` (the account, as "Test connection" reads it).

Magic ``To`` numbers give Twilio's errors: ``+15005550001`` 21211 (invalid number),
``+15005550002`` 21610 (opted out), ``+15005550003`` 21408 (region not enabled),
``+15005550004`` 429 / 20429 with ``Retry-After``, ``+15005550005`` 21614 (landline).
``fail_next`` holds one-off faults for the next requests: ``"500"``, ``"502"`` (a
non-JSON gateway page), ``"503"``, ``"stall"`` (create the message, then answer only after
``stall_seconds``) and ``"drop"`` (read the request, then close without answering).
"""

import base64
import contextlib
import email.utils
import json
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "emulator-auth-token-0123456789"
API_KEY = "SK" + "0" * 31 + "2"
API_SECRET = "emulator-api-secret-9876543210"
SENDER = "+15550100000"
MESSAGING_SERVICE = "MG" + "0" * 31 + "3"

INVALID_NUMBER = "+15005550001"
OPTED_OUT_NUMBER = "+15005550002"
REGION_BLOCKED_NUMBER = "+15005550003"
RATE_LIMITED_NUMBER = "+15005550004"
LANDLINE_NUMBER = "+15005550005"

_MAGIC_ERRORS: dict[str, tuple[int, int, str]] = {
    INVALID_NUMBER: (400, 21211, "The 'To' number is not a valid phone number."),
    OPTED_OUT_NUMBER: (
        400,
        21610,
        "Attempt to send to unsubscribed recipient",
    ),
    REGION_BLOCKED_NUMBER: (
        400,
        21408,
        "Permission to send an SMS has not been enabled for the region indicated",
    ),
    RATE_LIMITED_NUMBER: (429, 20429, "Too Many Requests"),
    LANDLINE_NUMBER: (400, 21614, "'To' number is not a valid mobile number"),
}

_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")

_ROOT = "/2010-04-01/Accounts/"
_CREATE = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
_FETCH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages/(SM[0-9a-f]{32})\.json$"
)
_ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})\.json$")

FAULTS = ("500", "502", "503", "stall", "drop")


@dataclass
class RecordedRequest:
    """One request as the emulator received it."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Reply:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


def count_segments(body: str) -> int:
    """Return the emulator's own segment count (GSM-7 160/153, else UCS-2 70/67)."""
    if all(ch in _GSM or ch in _GSM_EXTENDED for ch in body):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)
    return 1 if units <= 70 else -(-units // 67)


def _error(status: int, code: int, message: str) -> _Reply:
    return _Reply(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class TwilioEmulator:
    """The emulator: start it, point ``TwilioSms(base_url=...)`` at it, read what it saw.

    Attributes:
        requests: every request received, in order.
        messages: every message resource, by SID.
        fail_next: faults to apply to the next requests, one each (see module doc).
        stall_seconds: how long a ``"stall"`` fault holds its answer.
        connections: how many TCP connections clients opened.
    """

    def __init__(self) -> None:
        self.accounts = {ACCOUNT_SID: AUTH_TOKEN}
        self.api_keys = {API_KEY: (API_SECRET, ACCOUNT_SID)}
        self.requests: list[RecordedRequest] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.fail_next: list[str] = []
        self.stall_seconds = 2.0
        self.retry_after = "1"
        self.connections = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:PORT`` of the running server."""
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "TwilioEmulator":
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut every open connection."""
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        with self._lock:
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def add_inbound(self, from_: str, to: str, body: str) -> str:
        """Store a message a customer sent to ``to`` and return its SID."""
        sid = "SM" + secrets.token_hex(16)
        now = email.utils.formatdate(usegmt=True)
        resource = self._resource(sid, ACCOUNT_SID, from_, None, to, body)
        resource.update(
            direction="inbound",
            status="received",
            date_sent=now,
            num_segments=str(count_segments(body)),
        )
        with self._lock:
            self.messages[sid] = resource
        return sid

    def created(self) -> list[dict[str, Any]]:
        """Return the outbound messages created so far, oldest first."""
        with self._lock:
            return [m for m in self.messages.values() if m["direction"] != "inbound"]

    def handle(
        self, method: str, raw_path: str, form: dict[str, str], auth: str | None
    ) -> _Reply:
        """Answer one request (called by the handler thread)."""
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        account = self._authorised_account(auth)
        target = re.match(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})", path)
        if not path.startswith(_ROOT) or target is None:
            return _error(404, 20404, "The requested resource was not found")
        if account is None or account != target.group(1):
            return _error(401, 20003, "Authenticate")
        if method == "POST" and (match := _CREATE.match(path)):
            return self._create(match.group(1), form)
        if method == "GET" and (match := _FETCH.match(path)):
            return self._fetch(match.group(2))
        if method == "GET" and _CREATE.match(path):
            return self._list(account, query)
        if method == "GET" and _ACCOUNT.match(path):
            return self._account(account)
        return _error(404, 20404, "The requested resource was not found")

    def take_fault(self) -> str | None:
        """Pop the next one-off fault, if any."""
        with self._lock:
            return self.fail_next.pop(0) if self.fail_next else None

    def record(self, request: RecordedRequest) -> None:
        """Keep ``request`` for the test to read."""
        with self._lock:
            self.requests.append(request)

    def _authorised_account(self, header: str | None) -> str | None:
        if not header or not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        if self.accounts.get(user) == password:
            return user
        key = self.api_keys.get(user)
        if key is not None and key[0] == password:
            return key[1]
        return None

    def _create(self, account: str, form: dict[str, str]) -> _Reply:
        to = form.get("To")
        from_ = form.get("From")
        service = form.get("MessagingServiceSid")
        body = form.get("Body")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if body is None and "MediaUrl" not in form:
            return _error(400, 21602, "Message body is required.")
        if to in _MAGIC_ERRORS:
            status, code, message = _MAGIC_ERRORS[to]
            reply = _error(status, code, message)
            if status == 429:
                reply.headers["Retry-After"] = self.retry_after
            return reply

        sid = "SM" + secrets.token_hex(16)
        resource = self._resource(sid, account, from_, service, to, body or "")
        with self._lock:
            self.messages[sid] = resource
        return _Reply(201, resource)

    def _resource(
        self,
        sid: str,
        account: str,
        from_: str | None,
        service: str | None,
        to: str,
        body: str,
    ) -> dict[str, Any]:
        now = email.utils.formatdate(usegmt=True)
        uri = f"{_ROOT}{account}/Messages/{sid}.json"
        return {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(count_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not from_ else "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
        }

    def _fetch(self, sid: str) -> _Reply:
        with self._lock:
            resource = self.messages.get(sid)
            if resource is None:
                return _error(404, 20404, f"The requested resource {sid} was not found")
            following = {"accepted": "queued", "queued": "sent", "sent": "delivered"}
            status = following.get(resource["status"])
            if status is not None:
                resource["status"] = status
                resource["date_updated"] = email.utils.formatdate(usegmt=True)
                if status == "sent":
                    resource["date_sent"] = resource["date_updated"]
                if status == "delivered":
                    resource["price"] = "-0.00790"
            return _Reply(200, dict(resource))

    def _list(self, account: str, query: dict[str, str]) -> _Reply:
        page_size = max(1, min(1000, int(query.get("PageSize", "50"))))
        page = max(0, int(query.get("Page", "0")))
        after = query.get("DateSent>")
        with self._lock:
            found = [m for m in self.messages.values() if _matches(m, query, after)]
        found.reverse()
        chunk = found[page * page_size : (page + 1) * page_size]
        base = f"{_ROOT}{account}/Messages.json?PageSize={page_size}"
        more = (page + 1) * page_size < len(found)
        body = {
            "messages": chunk,
            "end": page * page_size + len(chunk) - 1,
            "first_page_uri": f"{base}&Page=0",
            "next_page_uri": f"{base}&Page={page + 1}" + _filters(query)
            if more
            else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": f"{base}&Page={page - 1}" if page else None,
            "start": page * page_size,
            "uri": f"{base}&Page={page}",
        }
        return _Reply(200, body)

    def _account(self, account: str) -> _Reply:
        return _Reply(
            200,
            {
                "sid": account,
                "friendly_name": "Emulated shop",
                "status": "active",
                "type": "Full",
                "auth_token": self.accounts[account],
                "date_created": email.utils.formatdate(usegmt=True),
                "uri": f"{_ROOT}{account}.json",
            },
        )

    def track(self, sock: socket.socket, opened: bool) -> None:
        """Remember open client sockets so ``stop`` can cut them."""
        with self._lock:
            if opened:
                self.connections += 1
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)


def _matches(message: dict[str, Any], query: dict[str, str], after: str | None) -> bool:
    if "To" in query and message["to"] != query["To"]:
        return False
    if "From" in query and message["from"] != query["From"]:
        return False
    if after:
        stamp = message["date_sent"] or message["date_created"]
        sent = parsedate_to_datetime(stamp)
        limit = datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return sent >= limit
    return True


def _filters(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    kept = {k: v for k, v in query.items() if k in ("To", "From", "DateSent>")}
    return "&" + urlencode(kept) if kept else ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 10

    @property
    def emulator(self) -> TwilioEmulator:
        return self.server.emulator  # type: ignore[attr-defined, no-any-return]

    def setup(self) -> None:
        super().setup()
        self.emulator.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.emulator.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        self._serve("GET", {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length).decode("utf-8")
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        self._serve("POST", form)

    def _serve(self, method: str, form: dict[str, str]) -> None:
        emulator = self.emulator
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        emulator.record(
            RecordedRequest(
                method,
                urlsplit(self.path).path,
                query,
                form,
                dict(self.headers.items()),
            )
        )
        fault = emulator.take_fault()
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault in ("500", "503"):
            reply = _error(int(fault), 20500, "Internal Server Error")
        elif fault == "502":
            reply = _Reply(502, "<html><body>Bad gateway</body></html>")
        else:
            reply = emulator.handle(
                method, self.path, form, self.headers.get("Authorization")
            )
        if fault == "stall" and emulator._stopping.wait(emulator.stall_seconds):
            return
        self._write(reply)

    def _write(self, reply: _Reply) -> None:
        if isinstance(reply.body, str):
            data = reply.body.encode()
            kind = "text/html"
        else:
            data = json.dumps(reply.body).encode()
            kind = "application/json"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


@pytest.fixture(name="twilio_emulator")
def twilio_emulator_fixture() -> Iterator[TwilioEmulator]:
    """A running emulator, stopped after the test."""
    emulator = TwilioEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture(name="twilio")
def twilio_fixture(twilio_emulator: TwilioEmulator) -> Iterator[Any]:
    """Duet's real Twilio provider, pointed at the emulator."""
    from desktop_app.providers.twilio_sms import TwilioSms

    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=twilio_emulator.base_url)
    yield sms
    sms.close()
