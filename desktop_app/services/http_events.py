"""A local HTTP endpoint for events from web-shop or help-desk scripts on this PC.

Off by default; ``python main.py serve-events`` starts it. It listens on 127.0.0.1
only (any other address is refused before anything is bound), and every request
must carry the token kept in the keyring: ``Authorization: Bearer <token>``,
compared in constant time.

``POST /events`` with a small JSON event (at most :data:`MAX_BODY_BYTES`) answers:

- ``202`` ``{"event_id": ..., "status": ...}``: recorded; its messages are queued
  and sent right after the answer (or when the rule's delay ends);
- ``409`` ``already received``: an event with that source and id came before; it is
  not sent again;
- ``400`` with the reason in plain text (not JSON, a field missing or wrong);
- ``401`` for a missing or wrong token; ``404``/``405`` for other paths and methods;
  ``411`` without a length, ``413`` for a body that is too big.

The server handles one request at a time on the thread that runs it (the database
connection belongs to that thread), and a slow client is cut off after
:data:`CLIENT_TIMEOUT` seconds.
"""

import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import sqlite_utils

from desktop_app.core import events as core_events
from desktop_app.errors import KnownError, ValidationError
from desktop_app.providers.base import Senders
from desktop_app.services import triggers

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8787
MAX_BODY_BYTES = 16 * 1024
CLIENT_TIMEOUT = 5.0
PENDING_EVERY = 30.0
PATH = "/events"


def check_bind_address(host: str) -> str:
    """Return ``host`` when it is the loopback address Duet may listen on.

    Raises:
        ValidationError: any other address (``0.0.0.0``, a LAN address, a name);
            the endpoint is for scripts on this PC only.
    """
    if host != LOOPBACK:
        raise ValidationError(
            f"Event endpoint: Duet listens on {LOOPBACK} only (this PC), not on "
            f"'{host}'; scripts on other machines cannot reach it by design."
        )
    return host


def token_matches(header: str | None, token: str) -> bool:
    """Return True when an ``Authorization`` header carries ``token`` as Bearer.

    The comparison takes the same time however much of the token matches.
    """
    if not header or not token:
        return False
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


class _Server(HTTPServer):
    """The HTTP server, carrying the endpoint it serves."""

    endpoint: "EventEndpoint"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = CLIENT_TIMEOUT
    server_version = "Duet"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http: %s", format % args)

    def _answer(self, status: int, body: str | dict[str, Any]) -> None:
        is_json = isinstance(body, dict)
        data = (json.dumps(body) if is_json else body + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header(
            "Content-Type",
            "application/json" if is_json else "text/plain; charset=utf-8",
        )
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="duet"')
        self.end_headers()
        self.wfile.write(data)

    def _refuse_other(self) -> None:
        self.server.endpoint.requests += 1
        if self.path.split("?")[0].rstrip("/") == PATH:
            self._answer(405, "Only POST is accepted here.")
        else:
            self._answer(404, f"Not found; events go to POST {PATH}.")

    do_GET = do_PUT = do_DELETE = do_PATCH = _refuse_other

    def do_POST(self) -> None:
        endpoint = self.server.endpoint
        endpoint.requests += 1
        status, body = endpoint.answer(
            self.path, self.headers.get("Authorization"), self._read_body
        )
        self._answer(status, body)

    def _read_body(self) -> bytes | tuple[int, str]:
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            return 411, "Content-Length is required."
        size = int(length)
        if size > MAX_BODY_BYTES:
            self.close_connection = True
            return 413, f"The event is too big; at most {MAX_BODY_BYTES} bytes."
        return self.rfile.read(size)


class EventEndpoint:
    """The endpoint: a bound socket on 127.0.0.1 and the logic behind it.

    Args:
        db: the connection used by the thread that calls :meth:`serve`.
        senders: the providers events are sent through.
        token: the token requests must carry.
        port: the port (0: any free port; see :attr:`port`).
        host: must be ``127.0.0.1``.
        sms_rate: SMS segments per second.
        now: the clock (tests pass a fixed one).

    Raises:
        ValidationError: ``host`` is not 127.0.0.1, or the token is empty.
        OSError: the port is taken.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        senders: Senders,
        token: str,
        *,
        port: int = DEFAULT_PORT,
        host: str = LOOPBACK,
        sms_rate: float | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        check_bind_address(host)
        if not token:
            raise ValidationError("Event endpoint: no token is set.")
        self.db = db
        self.senders = senders
        self.sms_rate = sms_rate
        self.requests = 0
        self._token = token
        self._now = now
        self._queued = False
        self._server = _Server((host, port), _Handler)
        self._server.endpoint = self

    @property
    def port(self) -> int:
        """Return the port the endpoint listens on."""
        return int(self._server.server_address[1])

    def answer(
        self,
        path: str,
        authorization: str | None,
        read_body: Callable[[], bytes | tuple[int, str]],
    ) -> tuple[int, str | dict[str, Any]]:
        """Decide the answer to one POST (the token is checked before the body).

        Returns:
            The HTTP status and a plain-text reason or a JSON object.
        """
        if path.split("?")[0].rstrip("/") != PATH:
            return 404, f"Not found; events go to POST {PATH}."
        if not token_matches(authorization, self._token):
            logger.debug("event refused: missing or wrong token")
            return 401, "A valid token is required (Authorization: Bearer ...)."
        body = read_body()
        if isinstance(body, tuple):
            return body
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, "The body is not JSON."
        if not isinstance(data, dict):
            return 400, "The body must be one JSON object (an event)."
        try:
            event = core_events.parse_event(data, source="http")
            now = self._now() if self._now is not None else None
            result = triggers.handle_event(
                self.db, event, self.senders, now=now, send=False
            )
        except ValidationError as error:
            return 400, error.message
        except KnownError as error:
            logger.error("event endpoint: %s", error.message)
            return 503, error.message
        if result.status == triggers.DUPLICATE:
            return 409, f"already received: {event.event_id}"
        self._queued = self._queued or result.status == triggers.QUEUED
        return 202, {
            "event_id": event.event_id,
            "status": result.status,
            "detail": result.detail,
        }

    def send_pending(self) -> None:
        """Send what accepted events queued, and delayed events that are due."""
        now = self._now() if self._now is not None else None
        triggers.send_pending(self.db, self.senders, now=now, sms_rate=self.sms_rate)
        self._queued = False

    def serve(
        self,
        *,
        max_requests: int | None = None,
        stop: Callable[[], bool] | None = None,
        idle_seconds: float | None = None,
        poll_seconds: float = 0.5,
    ) -> int:
        """Answer requests until stopped; send queued events between requests.

        Args:
            max_requests: stop after this many requests.
            stop: asked between requests; True stops.
            idle_seconds: stop after this long without a request.
            poll_seconds: the longest wait for a request before ``stop`` is asked.

        Returns:
            How many requests were answered.
        """
        self._server.timeout = poll_seconds
        last_request = last_pending = time.monotonic()
        while not (stop is not None and stop()):
            if max_requests is not None and self.requests >= max_requests:
                break
            if idle_seconds is not None and (
                time.monotonic() - last_request > idle_seconds
            ):
                break
            before = self.requests
            self._server.handle_request()
            if self.requests != before:
                last_request = time.monotonic()
            if self._queued or time.monotonic() - last_pending > PENDING_EVERY:
                self.send_pending()
                last_pending = time.monotonic()
        return self.requests

    def close(self) -> None:
        """Stop listening and free the port."""
        self._server.server_close()
