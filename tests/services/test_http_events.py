"""The local HTTP endpoint: 127.0.0.1 only, a Bearer token, small JSON events."""

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.errors import ValidationError
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import http_events
from desktop_app.storage import settings
from desktop_app.storage.database import open_database

TOKEN = "test-token-0123456789-abcdefghij"
EVENT = {
    "kind": "purchase",
    "event_id": "W-1",
    "email": "ana@example.com",
    "phone": "+15550100101",
    "first_name": "Ana",
    "fields": {"order_number": "1042", "total": "59.90"},
}


class Running:
    """An endpoint answering on its own thread until its request budget is spent."""

    def __init__(self, data_dir: Path, max_requests: int) -> None:
        self.db = open_database(paths.database_path(data_dir))
        settings.set_setting(self.db, "shop.address", "1 Example Street")
        settings.set_setting(self.db, "shop.timezone", "America/New_York")
        self.senders = outbox_senders(data_dir)
        self.endpoint = http_events.EventEndpoint(self.db, self.senders, TOKEN, port=0)
        self.stopping = False
        self.thread = threading.Thread(
            target=self.endpoint.serve,
            kwargs={
                "max_requests": max_requests,
                "stop": lambda: self.stopping,
                "idle_seconds": 10,
                "poll_seconds": 0.05,
            },
            daemon=True,
        )
        self.thread.start()

    def post(
        self,
        body: bytes | dict[str, object],
        *,
        token: str | None = TOKEN,
        path: str = "/events",
        method: str = "POST",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.endpoint.port, timeout=5
        )
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            connection.close()

    def finish(self) -> None:
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the server loop did not stop by itself"
        self.endpoint.close()
        self.senders.close()


@pytest.fixture(name="running")
def running_fixture(data_dir: Path) -> Iterator[Running]:
    server = Running(data_dir, max_requests=9)
    yield server
    server.stopping = True
    server.finish()
    server.db.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "localhost", "::"])
def test_any_address_but_loopback_is_refused_before_binding(
    host: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match=r"127\.0\.0\.1 only"):
        http_events.check_bind_address(host)
    with pytest.raises(ValidationError, match=r"127\.0\.0\.1 only"):
        http_events.EventEndpoint(
            None,  # type: ignore[arg-type]
            outbox_senders(tmp_path),
            TOKEN,
            host=host,
            port=0,
        )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer   {TOKEN} ", True),
        (f"Bearer {TOKEN}x", False),
        (f"Basic {TOKEN}", False),
        ("Bearer", False),
        (None, False),
    ],
)
def test_token_matches(header: str | None, expected: bool) -> None:
    assert http_events.token_matches(header, TOKEN) is expected


def test_endpoint_refuses_missing_and_wrong_tokens(running: Running) -> None:
    missing = running.post(EVENT, token=None)
    wrong = running.post(EVENT, token="not-the-token-at-all-000000")

    assert missing[0] == 401
    assert wrong[0] == 401
    assert "token" in wrong[1]
    count = running.db.execute("SELECT count(*) FROM trigger_events").fetchone()[0]
    assert count == 0


def test_endpoint_accepts_once_and_sends_after_answering(
    running: Running, data_dir: Path
) -> None:
    first = running.post(EVENT)
    second = running.post(EVENT)
    bad_json = running.post(b"{not json")
    no_customer = running.post({"kind": "purchase", "event_id": "W-2"})
    too_big = running.post(b"x" * (http_events.MAX_BODY_BYTES + 1))
    wrong_path = running.post(EVENT, path="/other")
    wrong_method = running.post(b"", method="GET")
    running.post(b"", token=None)
    running.post(b"", token=None)
    running.finish()

    assert first[0] == 202
    assert json.loads(first[1])["event_id"] == "W-1"
    assert second == (409, "already received: W-1\n")
    assert bad_json == (400, "The body is not JSON.\n")
    assert no_customer[0] == 400
    assert no_customer[1].startswith("email/phone: the event names no customer")
    assert too_big[0] == 413
    assert wrong_path[0] == 404
    assert wrong_method[0] == 405
    sms = list((data_dir / "outbox" / "sms").iterdir())
    assert len(sms) == 1
    assert "Thanks for your order 1042, Ana!" in sms[0].read_text("utf-8")
    state = running.db.execute("SELECT state FROM trigger_events").fetchall()
    assert state == [("sent",)]


def test_server_loop_stops_when_idle(data_dir: Path) -> None:
    db = open_database(paths.database_path(data_dir))
    senders = outbox_senders(data_dir)
    endpoint = http_events.EventEndpoint(db, senders, TOKEN, port=0)

    answered = endpoint.serve(idle_seconds=0.1, poll_seconds=0.05)

    endpoint.close()
    db.close()
    assert answered == 0


def test_empty_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no token"):
        http_events.EventEndpoint(
            None,  # type: ignore[arg-type]
            outbox_senders(tmp_path),
            "",
            port=0,
        )
