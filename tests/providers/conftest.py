"""Fixtures for the provider tests: the Twilio emulator, SMTP servers, a clean environment."""

import pytest

from desktop_app.providers.twilio_sms import API_URL_ENV
from tests.helpers.smtp_server import (  # noqa: F401
    client_context_fixture,
    server_tls_context_fixture,
    silent_server_fixture,
    smtp_plain_fixture,
    smtp_refusing_fixture,
    smtp_ssl_fixture,
    smtp_stalling_fixture,
    smtp_starttls_fixture,
    tls_ca_fixture,
)
from tests.helpers.twilio_emulator import twilio_emulator_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def no_twilio_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's TWILIO_* and DUET_TWILIO_API_URL out of the tests."""
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_REGION",
        "TWILIO_EDGE",
        API_URL_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
