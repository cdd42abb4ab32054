"""``python main.py credentials ...``: set, show, test and clear, never printing a secret."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import cli, credentials
from desktop_app.providers.twilio_sms import API_URL_ENV
from tests.helpers.memory_keyring import (  # noqa: F401
    LockedKeyring,
    MemoryKeyring,
    locked_keyring_fixture,
    memory_keyring_fixture,
)
from tests.helpers.smtp_server import PASSWORD, USER, SmtpServer, smtp_plain_fixture  # noqa: F401
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
)

REPO = Path(__file__).resolve().parents[1]


def _run(
    args: list[str],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = cli.run(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def _log_text(data_dir: Path) -> str:
    return "".join(p.read_text() for p in (data_dir / "logs").glob("*.log*"))


def test_set_twilio_reads_the_token_from_stdin(
    memory_keyring: MemoryKeyring,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["credentials", "set", "twilio", "--account-sid", ACCOUNT_SID]
    args += ["--sender", SENDER, "--rate", "3"]

    status, out, _ = _run(args, data_dir, monkeypatch, capsys, AUTH_TOKEN + "\n")

    assert status == 0
    assert AUTH_TOKEN not in out
    config, secret = credentials.load_twilio() or (None, None)
    assert secret == AUTH_TOKEN
    assert config == credentials.TwilioConfig(ACCOUNT_SID, SENDER, 3.0)
    assert AUTH_TOKEN not in _log_text(data_dir)


def test_only_one_trailing_newline_is_stripped(
    memory_keyring: MemoryKeyring,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["credentials", "set", "smtp", "--host", "smtp.example.com", "--port", "587"]
    args += ["--security", "starttls", "--user", "shop", "--from", "shop@example.com"]

    status, _, _ = _run(args, data_dir, monkeypatch, capsys, " pass word \r\n")

    assert status == 0
    assert credentials.load_smtp() == (
        credentials.SmtpConfig(
            "smtp.example.com", 587, "starttls", "shop", "shop@example.com", ""
        ),
        " pass word ",
    )


def test_show_never_prints_a_secret(
    memory_keyring: MemoryKeyring,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    credentials.save_twilio(credentials.TwilioConfig(ACCOUNT_SID, SENDER), AUTH_TOKEN)

    status, text, _ = _run(["credentials", "show"], data_dir, monkeypatch, capsys)
    _, raw, _ = _run(["credentials", "show", "--json"], data_dir, monkeypatch, capsys)

    assert status == 0
    assert AUTH_TOKEN not in text and AUTH_TOKEN not in raw
    shown = json.loads(raw)
    assert shown["twilio"]["secret"] == "set"
    assert shown["twilio"]["account_sid"] == ACCOUNT_SID
    assert shown["smtp"] == {"status": "not set", "password": "not set"}
    assert shown["keyring"]["ok"] is True
    assert "secret: set" in text


def test_show_with_a_locked_keyring_says_so(
    locked_keyring: LockedKeyring,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, raw, _ = _run(
        ["credentials", "show", "--json"], data_dir, monkeypatch, capsys
    )

    shown = json.loads(raw)
    assert status == 0
    assert shown["keyring"]["ok"] is False
    assert shown["twilio"]["status"] == "unreadable"
    assert "locked" in shown["twilio"]["reason"]


def test_test_twilio_against_the_emulator(
    memory_keyring: MemoryKeyring,
    twilio_emulator: TwilioEmulator,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(API_URL_ENV, twilio_emulator.base_url)
    credentials.save_twilio(credentials.TwilioConfig(ACCOUNT_SID, SENDER), AUTH_TOKEN)

    status, out, _ = _run(
        ["credentials", "test", "twilio"], data_dir, monkeypatch, capsys
    )

    assert status == 0
    assert "Emulated shop" in out
    assert AUTH_TOKEN not in out
    assert twilio_emulator.requests[-1].path.endswith(f"{ACCOUNT_SID}.json")


@pytest.mark.allow_warning_log
def test_test_twilio_with_a_wrong_token_exits_1(
    memory_keyring: MemoryKeyring,
    twilio_emulator: TwilioEmulator,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(API_URL_ENV, twilio_emulator.base_url)
    credentials.save_twilio(
        credentials.TwilioConfig(ACCOUNT_SID, SENDER), "wrong-token"
    )

    status, _, err = _run(
        ["credentials", "test", "twilio"], data_dir, monkeypatch, capsys
    )

    assert status == 1
    assert "refused" in err
    assert "wrong-token" not in err
    assert "wrong-token" not in _log_text(data_dir)


def test_test_smtp_against_aiosmtpd(
    memory_keyring: MemoryKeyring,
    smtp_plain: SmtpServer,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = credentials.SmtpConfig(
        smtp_plain.host, smtp_plain.port, "none", USER, "shop@example.com"
    )
    credentials.save_smtp(config, PASSWORD)

    status, out, _ = _run(
        ["credentials", "test", "smtp"], data_dir, monkeypatch, capsys
    )

    assert status == 0
    assert f"logged in as {USER}" in out
    assert PASSWORD not in out


def test_test_without_credentials_exits_1(
    memory_keyring: MemoryKeyring,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _run(
        ["credentials", "test", "smtp"], data_dir, monkeypatch, capsys
    )

    assert status == 1
    assert "credentials set smtp" in err


def test_clear_forgets(
    memory_keyring: MemoryKeyring,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    credentials.save_twilio(credentials.TwilioConfig(ACCOUNT_SID, SENDER), AUTH_TOKEN)

    status, _, _ = _run(
        ["credentials", "clear", "twilio"], data_dir, monkeypatch, capsys
    )

    assert status == 0
    assert credentials.load_twilio() is None


def test_no_keyring_in_a_real_process_says_how_to_fix(data_dir: Path) -> None:
    environment = dict(
        os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
    )
    command = [sys.executable, "main.py", "--data-dir", str(data_dir)]
    command += ["credentials", "set", "twilio", "--account-sid", ACCOUNT_SID]
    command += ["--sender", SENDER]

    done = subprocess.run(
        command,
        input=AUTH_TOKEN,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert "GNOME Keyring" in done.stderr
    assert AUTH_TOKEN not in done.stderr + done.stdout
    assert not list(data_dir.rglob("*.cfg"))
