"""credentials.py against an in-memory keyring, the fail backend and a locked one."""

import logging
from pathlib import Path

import keyring
import pytest

from desktop_app import credentials
from desktop_app.credentials import SmtpConfig, TwilioConfig
from desktop_app.errors import CredentialsError, ValidationError
from desktop_app.providers.factory import senders_from_credentials
from tests.helpers.memory_keyring import (  # noqa: F401
    LockedKeyring,
    MemoryKeyring,
    fail_keyring_fixture,
    locked_keyring_fixture,
    memory_keyring_fixture,
    untrusted_keyring_fixture,
)

SID = "AC" + "a1" * 16
TOKEN = "twilio-token-do-not-log-0123456789"
PASSWORD = "smtp-password-do-not-log"
TWILIO = TwilioConfig(SID, "+15550100000", 2.5)
SMTP = SmtpConfig(
    "smtp.example.com", 587, "starttls", "shop", "shop@example.com", "Café"
)


def test_twilio_round_trip(memory_keyring: MemoryKeyring) -> None:
    credentials.save_twilio(TWILIO, TOKEN)

    assert credentials.load_twilio() == (TWILIO, TOKEN)
    assert set(u for s, u in memory_keyring.store if s == "Duet") == {
        "twilio",
        "twilio.secret.1",
    }
    assert TOKEN not in memory_keyring.store[("Duet", "twilio")]


def test_twilio_with_api_key_and_messaging_service(
    memory_keyring: MemoryKeyring,
) -> None:
    config = TwilioConfig(SID, "MG" + "0" * 32, 10, api_key="SK" + "b" * 32)

    credentials.save_twilio(config, "api-secret")

    assert credentials.load_twilio() == (config, "api-secret")


def test_smtp_round_trip_and_clear(memory_keyring: MemoryKeyring) -> None:
    credentials.save_smtp(SMTP, PASSWORD)
    assert credentials.load_smtp() == (SMTP, PASSWORD)

    credentials.clear("smtp")

    assert credentials.load_smtp() is None
    assert [k for k in memory_keyring.store if k[1].startswith("smtp")] == []


def test_nothing_saved_loads_none(memory_keyring: MemoryKeyring) -> None:
    assert credentials.load_twilio() is None
    assert credentials.load_smtp() is None


def test_long_secret_is_stored_in_parts_and_reassembled(
    memory_keyring: MemoryKeyring,
) -> None:
    secret = "".join(chr(0x41 + n % 26) for n in range(4999)) + "é"

    credentials.save_twilio(TWILIO, secret)

    parts = [k for k in memory_keyring.store if k[1].startswith("twilio.secret.")]
    assert len(parts) == 5
    assert all(len(memory_keyring.store[k]) <= credentials.PART_CHARS for k in parts)
    assert credentials.load_twilio() == (TWILIO, secret)


def test_shorter_secret_removes_old_parts(memory_keyring: MemoryKeyring) -> None:
    credentials.save_twilio(TWILIO, "x" * 3500)

    credentials.save_twilio(TWILIO, "short")

    parts = sorted(
        k[1] for k in memory_keyring.store if k[1].startswith("twilio.secret")
    )
    assert parts == ["twilio.secret.1"]
    assert credentials.load_twilio() == (TWILIO, "short")


def test_missing_part_is_reported_not_truncated(memory_keyring: MemoryKeyring) -> None:
    credentials.save_twilio(TWILIO, "y" * 2500)
    del memory_keyring.store[("Duet", "twilio.secret.2")]

    with pytest.raises(CredentialsError, match="damaged"):
        credentials.load_twilio()


def test_too_long_secret_is_refused_naming_the_limit(
    memory_keyring: MemoryKeyring,
) -> None:
    limit = credentials.PART_CHARS * credentials.MAX_PARTS

    with pytest.raises(ValidationError, match=f"{limit:,}"):
        credentials.save_twilio(TWILIO, "z" * (limit + 1))

    assert memory_keyring.store == {}


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (TwilioConfig("AC123", "+15550100000"), "Account SID"),
        (TwilioConfig(SID, "5550100000"), "sender"),
        (TwilioConfig(SID, "+15550100000", 0), "rate"),
        (TwilioConfig(SID, "+15550100000", api_key="key"), "API key"),
    ],
)
def test_bad_twilio_fields_are_named(
    memory_keyring: MemoryKeyring, config: TwilioConfig, field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        credentials.save_twilio(config, TOKEN)

    assert memory_keyring.store == {}


def test_bad_smtp_security_is_named(memory_keyring: MemoryKeyring) -> None:
    config = SmtpConfig("smtp.example.com", 587, "tls", "u", "shop@example.com")

    with pytest.raises(ValidationError, match="security"):
        credentials.save_smtp(config, PASSWORD)


def test_empty_secret_is_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ValidationError, match="empty"):
        credentials.save_smtp(SMTP, "")


def test_memory_keyring_status_is_ok(memory_keyring: MemoryKeyring) -> None:
    status = credentials.keyring_status()

    assert status.ok is True
    assert status.backend.endswith("MemoryKeyring")
    assert memory_keyring.store == {}


def test_fail_backend_is_not_ok_and_saving_says_how_to_fix(
    fail_keyring: keyring.backend.KeyringBackend,
) -> None:
    status = credentials.keyring_status()

    assert status.ok is False
    assert status.backend == "keyring.backends.fail.Keyring"
    with pytest.raises(CredentialsError) as caught:
        credentials.save_twilio(TWILIO, TOKEN)
    assert "GNOME Keyring" in caught.value.message
    assert "plain file" in caught.value.message
    assert credentials.load_twilio() is None


def test_insecure_backend_is_not_ok_and_nothing_is_saved(
    untrusted_keyring: MemoryKeyring,
) -> None:
    status = credentials.keyring_status()

    assert status.ok is False
    assert "insecure" in status.reason
    with pytest.raises(CredentialsError):
        credentials.save_smtp(SMTP, PASSWORD)
    assert untrusted_keyring.store == {}


def test_locked_keyring_is_not_ok_and_loading_says_so(
    locked_keyring: LockedKeyring,
) -> None:
    status = credentials.keyring_status()

    assert status.ok is False
    assert "locked" in status.reason
    with pytest.raises(CredentialsError, match="locked"):
        credentials.load_smtp()
    with pytest.raises(CredentialsError, match="locked"):
        credentials.save_smtp(SMTP, PASSWORD)


def test_secrets_never_reach_the_log(
    memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_app")

    credentials.save_twilio(TWILIO, TOKEN)
    credentials.save_smtp(SMTP, PASSWORD)
    credentials.load_twilio()
    credentials.clear("twilio")

    assert len(caplog.records) == 3
    assert TOKEN not in caplog.text
    assert PASSWORD not in caplog.text


def test_factory_uses_real_providers_when_both_are_set(
    memory_keyring: MemoryKeyring, data_dir: Path
) -> None:
    credentials.save_twilio(TWILIO, TOKEN)
    credentials.save_smtp(SMTP, PASSWORD)

    senders, mode = senders_from_credentials(data_dir)
    senders.close()

    assert mode == "Twilio + SMTP"
    assert (senders.sms.name, senders.email.name) == ("twilio", "smtp")


def test_factory_falls_back_to_the_outbox_without_credentials(
    memory_keyring: MemoryKeyring, data_dir: Path
) -> None:
    senders, mode = senders_from_credentials(data_dir)
    senders.close()

    assert mode == "test outbox"
    assert (senders.sms.name, senders.email.name) == ("outbox", "outbox")


def test_factory_mixes_per_channel_and_honours_use_outbox(
    memory_keyring: MemoryKeyring, data_dir: Path
) -> None:
    credentials.save_twilio(TWILIO, TOKEN)

    mixed, mode = senders_from_credentials(data_dir)
    mixed.close()
    forced, forced_mode = senders_from_credentials(data_dir, use_outbox=True)
    forced.close()

    assert mode == "Twilio + test outbox"
    assert (mixed.sms.name, mixed.email.name) == ("twilio", "outbox")
    assert forced_mode == "test outbox"
    assert forced.sms.name == "outbox"


IMAP = credentials.ImapConfig("imap.example.com", 993, "ssl", "shop@example.com")
IMAP_PASSWORD = "imap-password-do-not-log"


def test_imap_round_trip_and_clear(
    memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_app")

    credentials.save_imap(IMAP, IMAP_PASSWORD)

    assert credentials.load_imap() == (IMAP, IMAP_PASSWORD)
    assert IMAP_PASSWORD not in memory_keyring.store[("Duet", "imap")]
    assert memory_keyring.store[("Duet", "imap.secret.1")] == IMAP_PASSWORD
    assert IMAP_PASSWORD not in caplog.text
    credentials.clear("imap")
    assert credentials.load_imap() is None
    assert [k for k in memory_keyring.store if k[1].startswith("imap")] == []


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (credentials.ImapConfig("", 993, "ssl", "shop"), "Mailbox host"),
        (credentials.ImapConfig("imap.example.com", 0, "ssl", "shop"), "Mailbox port"),
        (credentials.ImapConfig("imap.example.com", 993, "tls", "shop"), "security"),
        (credentials.ImapConfig("imap.example.com", 993, "ssl", " "), "Mailbox user"),
    ],
)
def test_bad_imap_fields_are_named(
    memory_keyring: MemoryKeyring, config: credentials.ImapConfig, field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        credentials.save_imap(config, IMAP_PASSWORD)
    assert memory_keyring.store == {}


def test_imap_is_refused_without_a_keyring(
    fail_keyring: keyring.backend.KeyringBackend,
) -> None:
    with pytest.raises(CredentialsError, match="GNOME Keyring"):
        credentials.save_imap(IMAP, IMAP_PASSWORD)
    assert credentials.load_imap() is None
