"""``send``, ``resume`` and ``sync`` on the command line with Twilio set up.

Credentials live in an in-memory keyring; ``DUET_TWILIO_API_URL`` points the real
twilio client at the local emulator, as an owner behind a proxy would.
"""

import io
import json
import sys
from pathlib import Path

import pytest

from desktop_app import cli, credentials, paths
from desktop_app.providers.twilio_sms import API_URL_ENV, TwilioSms
from desktop_app.services import sending
from desktop_app.storage import consent, messages
from desktop_app.storage.database import open_database
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring_fixture  # noqa: F401
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
)
from tests.services.test_sending import add_contact, set_up_shop


@pytest.fixture(name="shop")
def shop_fixture(data_dir: Path) -> Path:
    """A data folder whose database holds a template and three contacts."""
    db = open_database(paths.database_path(data_dir))
    set_up_shop(db, contacts=3)
    db.close()
    return data_dir


@pytest.fixture(name="twilio_set_up")
def twilio_set_up_fixture(
    memory_keyring: MemoryKeyring,
    twilio_emulator: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> TwilioEmulator:
    """Twilio credentials saved (fast rate) and the API pointed at the emulator."""
    credentials.save_twilio(
        credentials.TwilioConfig(ACCOUNT_SID, SENDER, rate=1000), AUTH_TOKEN
    )
    monkeypatch.setenv(API_URL_ENV, twilio_emulator.base_url)
    return twilio_emulator


def _run(
    args: list[str],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    status = cli.run(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_send_goes_through_twilio_once_credentials_exist(
    shop: Path,
    twilio_set_up: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["send", "--template", "Receipt", "--all", "--json"]
    status, out, _ = _run(args, shop, monkeypatch, capsys)

    assert status == 0
    summary = json.loads(out)
    expected = {"campaign", "campaign_id", "sent", "failed", "skipped", "queued"}
    assert expected | {"segments", "cost"} <= set(summary)
    assert (summary["sent"], summary["failed"], summary["queued"]) == (6, 0, 0)
    assert summary["provider_sms"] == "twilio"
    created = twilio_set_up.created()
    assert sorted(m["to"] for m in created) == [
        "+15550100001",
        "+15550100002",
        "+15550100003",
    ]
    email_files = list((paths.outbox_dir(shop) / "email").iterdir())
    assert len(email_files) == 3  # no SMTP saved: email stays in the test outbox
    assert not (paths.outbox_dir(shop) / "sms").exists()
    db = open_database(paths.database_path(shop))
    campaign = messages.get_campaign(db, summary["campaign_id"])
    db.close()
    assert (campaign.provider_sms, campaign.provider_email) == ("twilio", "outbox")


def test_send_outbox_keeps_the_test_outbox(
    shop: Path,
    twilio_set_up: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["send", "--template", "Receipt", "--all", "--outbox", "--json"]
    status, out, _ = _run(args, shop, monkeypatch, capsys)

    assert status == 0
    assert json.loads(out)["sent"] == 6
    assert twilio_set_up.created() == []
    assert len(list((paths.outbox_dir(shop) / "sms").iterdir())) == 3


def test_resume_checks_with_twilio_and_finishes(
    shop: Path,
    twilio_set_up: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = open_database(paths.database_path(shop))
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(
        db, plan, provider_sms="twilio", provider_email="outbox"
    )
    first = next(
        r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"
    )
    assert messages.mark_sending(db, first.id, "twilio")
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER)
    sms.send_sms(first.to, first.body)  # Twilio took it; then the PC crashed
    sms.close()
    db.close()

    status, out, _ = _run(["resume", "--json"], shop, monkeypatch, capsys)
    again, text, _ = _run(["resume"], shop, monkeypatch, capsys)

    assert status == 0
    [summary] = json.loads(out)
    assert summary["campaign_id"] == campaign_id
    assert (summary["sent"], summary["queued"], summary["unknown"]) == (6, 0, 0)
    assert (summary["confirmed"], summary["requeued"]) == (1, 0)
    assert len(twilio_set_up.created()) == 3
    assert (again, text.strip()) == (0, "No campaign was left unfinished.")


def test_sync_records_a_stop_reply(
    shop: Path,
    twilio_set_up: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = open_database(paths.database_path(shop))
    add_contact(db, 9, phone="+15550100009")
    db.close()
    twilio_set_up.add_inbound("+15550100009", SENDER, "Please stop texting me")

    status, out, _ = _run(["sync", "--json"], shop, monkeypatch, capsys)

    assert status == 0
    report = json.loads(out)
    assert (report["replies"], report["opt_outs"], report["errors"]) == (1, 1, [])
    db = open_database(paths.database_path(shop))
    assert consent.current_consent(db, 4, "sms") == "opted_out"
    db.close()


def test_sync_in_test_mode_says_it_needs_twilio(
    shop: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _run(["sync"], shop, monkeypatch, capsys)

    assert status == 1
    assert out == ""
    assert err.strip() == (
        "duet: Sync needs Twilio credentials; Duet is in test mode. Set them with: "
        "credentials set twilio"
    )


def test_send_over_the_daily_cap_waits_for_the_owner(
    shop: Path,
    twilio_set_up: TwilioEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        _run(["settings", "set", "sms.daily_cap", "0.01"], shop, monkeypatch, capsys)[0]
        == 0
    )

    status, _, err = _run(
        ["send", "--template", "Receipt", "--all"], shop, monkeypatch, capsys
    )

    assert status == 1
    assert "over the daily cap of $0.01" in err
    assert twilio_set_up.created() == []
    db = open_database(paths.database_path(shop))
    campaign = messages.get_campaign(db, 1)
    queued = messages.count_by_state(db, 1)["queued"]
    db.close()
    assert campaign.state == "paused"
    assert queued == 6

    status, _, _ = _run(["resume", "--json"], shop, monkeypatch, capsys)
    assert status == 0
    assert sorted(m["to"] for m in twilio_set_up.created()) == [
        "+15550100001",
        "+15550100002",
        "+15550100003",
    ]
