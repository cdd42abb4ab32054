"""TwilioSms against the local Twilio emulator, through the real twilio client."""

import base64
import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    RecipientRejected,
)
from desktop_app.providers.twilio_sms import API_URL_ENV, TwilioSms
from tests.helpers.twilio_emulator import (
    ACCOUNT_SID,
    API_KEY,
    API_SECRET,
    AUTH_TOKEN,
    INVALID_NUMBER,
    LANDLINE_NUMBER,
    MESSAGING_SERVICE,
    OPTED_OUT_NUMBER,
    RATE_LIMITED_NUMBER,
    REGION_BLOCKED_NUMBER,
    SENDER,
    TwilioEmulator,
)

CUSTOMER = "+15550100123"


@pytest.fixture
def sms(twilio_emulator: TwilioEmulator) -> Iterator[TwilioSms]:
    provider = TwilioSms(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=twilio_emulator.base_url, timeout=5
    )
    yield provider
    provider.close()


def test_send_sms_returns_sid_and_posts_the_form(
    sms: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    receipt = sms.send_sms(CUSTOMER, "Your receipt is in your inbox")

    created = twilio_emulator.created()
    assert [m["sid"] for m in created] == [receipt.provider_id]
    assert receipt.provider == "twilio"
    assert receipt.status == "queued"
    assert receipt.segments == 1
    request = twilio_emulator.requests[-1]
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "To": CUSTOMER,
        "From": SENDER,
        "Body": "Your receipt is in your inbox",
    }
    user = base64.b64decode(request.headers["Authorization"][6:]).decode()
    assert user == f"{ACCOUNT_SID}:{AUTH_TOKEN}"
    assert request.headers["User-Agent"].startswith("twilio-python/")


def test_send_sms_reports_segments_of_a_long_unicode_body(sms: TwilioSms) -> None:
    receipt = sms.send_sms(CUSTOMER, "Grüße 🎉 " * 12)

    assert receipt.segments == 2


def test_messaging_service_and_api_key_are_used(
    twilio_emulator: TwilioEmulator,
) -> None:
    provider = TwilioSms(
        ACCOUNT_SID,
        API_SECRET,
        MESSAGING_SERVICE,
        api_key=API_KEY,
        base_url=twilio_emulator.base_url,
    )
    try:
        receipt = provider.send_sms(CUSTOMER, "hello")
    finally:
        provider.close()

    request = twilio_emulator.requests[-1]
    assert request.form["MessagingServiceSid"] == MESSAGING_SERVICE
    assert "From" not in request.form
    user = base64.b64decode(request.headers["Authorization"][6:]).decode()
    assert user == f"{API_KEY}:{API_SECRET}"
    assert receipt.status == "accepted"


def test_one_connection_is_reused_for_many_sends(
    sms: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    for _ in range(20):
        sms.send_sms(CUSTOMER, "hello")

    assert len(twilio_emulator.created()) == 20
    assert twilio_emulator.connections == 1


@pytest.mark.parametrize(
    ("number", "code", "words"),
    [
        (OPTED_OUT_NUMBER, 21610, "opted out (replied STOP)"),
        (INVALID_NUMBER, 21211, "not a valid phone number"),
        (LANDLINE_NUMBER, 21614, "not a mobile number"),
        (REGION_BLOCKED_NUMBER, 21408, "Geo permissions"),
    ],
)
def test_recipient_errors_become_recipient_rejected(
    sms: TwilioSms, number: str, code: int, words: str
) -> None:
    with pytest.raises(RecipientRejected) as caught:
        sms.send_sms(number, "hello")

    assert caught.value.code == code
    assert words in caught.value.message
    assert caught.value.retryable is False
    assert caught.value.maybe_sent is False  # type: ignore[attr-defined]
    assert "\x1b" not in caught.value.message


def test_rate_limit_is_retryable_with_retry_after(
    sms: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    twilio_emulator.retry_after = "7"

    with pytest.raises(ProviderError) as caught:
        sms.send_sms(RATE_LIMITED_NUMBER, "hello")

    assert type(caught.value) is ProviderError
    assert caught.value.code == 20429
    assert caught.value.retryable is True
    assert caught.value.retry_after == 7.0  # type: ignore[attr-defined]
    assert len(twilio_emulator.requests) == 1


def test_wrong_token_is_an_auth_error(twilio_emulator: TwilioEmulator) -> None:
    provider = TwilioSms(
        ACCOUNT_SID, "not-the-token", SENDER, base_url=twilio_emulator.base_url
    )
    try:
        with pytest.raises(ProviderAuthError) as caught:
            provider.send_sms(CUSTOMER, "hello")
    finally:
        provider.close()

    assert caught.value.code == 20003
    assert "not-the-token" not in caught.value.message
    assert twilio_emulator.created() == []


@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_server_errors_are_retryable_and_not_maybe_sent(
    sms: TwilioSms, twilio_emulator: TwilioEmulator, fault: str
) -> None:
    twilio_emulator.fail_next.append(fault)

    with pytest.raises(ProviderUnavailable) as caught:
        sms.send_sms(CUSTOMER, "hello")

    assert caught.value.retryable is True
    assert caught.value.maybe_sent is False  # type: ignore[attr-defined]
    assert f"HTTP {fault}" in caught.value.message
    assert sms.send_sms(CUSTOMER, "again").provider_id.startswith("SM")


def test_timeout_is_maybe_sent_and_the_message_exists(
    twilio_emulator: TwilioEmulator,
) -> None:
    twilio_emulator.fail_next.append("stall")
    twilio_emulator.stall_seconds = 3.0
    provider = TwilioSms(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=twilio_emulator.base_url, timeout=0.5
    )
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            provider.send_sms(CUSTOMER, "hello")
        elapsed = time.monotonic() - started
        found = provider.list_sent_to(
            CUSTOMER, datetime.now(UTC) - timedelta(minutes=1)
        )
    finally:
        provider.close()

    assert elapsed < 2.5
    assert caught.value.retryable is True
    assert caught.value.maybe_sent is True  # type: ignore[attr-defined]
    assert "0.5 seconds" in caught.value.message
    assert [m.sid for m in found] == [m["sid"] for m in twilio_emulator.created()]


def test_dropped_connection_is_maybe_sent(
    sms: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    twilio_emulator.fail_next.append("drop")

    with pytest.raises(ProviderUnavailable) as caught:
        sms.send_sms(CUSTOMER, "hello")

    assert caught.value.maybe_sent is True  # type: ignore[attr-defined]
    assert "broke" in caught.value.message


def test_connection_refused_is_not_maybe_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = TwilioSms(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=f"http://127.0.0.1:{port}", timeout=1
    )
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            provider.send_sms(CUSTOMER, "hello")
    finally:
        provider.close()

    assert caught.value.maybe_sent is False  # type: ignore[attr-defined]
    assert caught.value.retryable is True
    assert "could not reach Twilio" in caught.value.message


def test_environment_variable_sets_the_api_address(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_URL_ENV, twilio_emulator.base_url)
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    provider = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER)
    try:
        receipt = provider.send_sms(CUSTOMER, "hello")
    finally:
        provider.close()

    assert [m["sid"] for m in twilio_emulator.created()] == [receipt.provider_id]


def test_status_moves_on_with_each_fetch(sms: TwilioSms) -> None:
    sid = sms.send_sms(CUSTOMER, "hello").provider_id

    seen = [sms.fetch_status(sid) for _ in range(3)]

    assert seen == ["sent", "delivered", "delivered"]
    assert sms.fetch(sid).price == pytest.approx(-0.0079)


def test_fetch_of_unknown_sid_is_a_plain_error(sms: TwilioSms) -> None:
    with pytest.raises(ProviderError) as caught:
        sms.fetch_status("SM" + "f" * 32)

    assert caught.value.code == 20404
    assert caught.value.retryable is False


def test_list_sent_to_stops_at_since_and_pages(
    sms: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    old = sms.send_sms(CUSTOMER, "old").provider_id
    twilio_emulator.messages[old]["date_created"] = "Mon, 01 Jan 2024 00:00:00 GMT"
    fresh = [sms.send_sms(CUSTOMER, f"new {n}").provider_id for n in range(60)]
    sms.send_sms("+15550100199", "someone else")

    found = sms.list_sent_to(CUSTOMER, datetime(2025, 1, 1, tzinfo=UTC))

    assert [m.sid for m in found] == list(reversed(fresh))
    assert {m.to for m in found} == {CUSTOMER}
    pages = [r for r in twilio_emulator.requests if r.method == "GET"]
    assert len(pages) == 2


def test_list_received_returns_inbound_replies(
    sms: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    sms.send_sms(CUSTOMER, "hello")
    twilio_emulator.add_inbound(CUSTOMER, SENDER, "STOP please")

    replies = sms.list_received(datetime.now(UTC) - timedelta(minutes=5))

    assert [(m.from_, m.body, m.status) for m in replies] == [
        (CUSTOMER, "STOP please", "received")
    ]


def test_check_connection_names_the_account_and_hides_the_token(
    sms: TwilioSms,
) -> None:
    answer = sms.check_connection()

    assert "Emulated shop" in answer
    assert AUTH_TOKEN not in answer


def test_check_connection_with_a_wrong_token_fails_plainly(
    twilio_emulator: TwilioEmulator,
) -> None:
    provider = TwilioSms(
        ACCOUNT_SID, "wrong", SENDER, base_url=twilio_emulator.base_url
    )
    try:
        with pytest.raises(ProviderAuthError, match="check them in Settings"):
            provider.check_connection()
    finally:
        provider.close()


def test_no_secret_or_full_number_is_logged(
    sms: TwilioSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_app")

    sms.send_sms(CUSTOMER, "hello")
    with pytest.raises(RecipientRejected):
        sms.send_sms(OPTED_OUT_NUMBER, "hello")

    assert caplog.records
    assert AUTH_TOKEN not in caplog.text
    assert CUSTOMER not in caplog.text
    assert "hello" not in caplog.text
