"""``trigger``, ``rules``, ``watch``, ``serve-events`` and ``schedule`` end to end.

Each test runs ``cli.run`` against a data folder, as ``python main.py`` would, with
the test outbox or with Twilio credentials in an in-memory keyring pointing the real
client at the local emulator.
"""

import io
import json
import sys
from pathlib import Path

import pytest

from desktop_app import cli, credentials, paths
from desktop_app.providers.twilio_sms import API_URL_ENV
from desktop_app.storage import automation, settings
from desktop_app.storage.database import open_database
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring_fixture  # noqa: F401
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
)

PURCHASE = [
    "trigger",
    "purchase",
    "--email",
    "ana@example.com",
    "--phone",
    "+15550100101",
    "--first-name",
    "Ana",
    "--field",
    "order_number=1042",
    "--field",
    "total=59.90",
    "--event-id",
    "till-1042",
]


@pytest.fixture(name="shop")
def shop_fixture(data_dir: Path) -> Path:
    db = open_database(paths.database_path(data_dir))
    settings.set_setting(db, "shop.name", "Corner Shop")
    settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
    settings.set_setting(db, "shop.email", "shop@example.com")
    settings.set_setting(db, "shop.timezone", "America/New_York")
    db.close()
    return data_dir


def run(
    args: list[str],
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    status = cli.run(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_trigger_purchase_lands_in_the_outbox_once(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run([*PURCHASE, "--outbox", "--json"], shop, capsys, monkeypatch)
    again, text, _ = run([*PURCHASE, "--outbox"], shop, capsys, monkeypatch)

    assert status == 0
    result = json.loads(out)
    assert (result["status"], result["sent"]) == ("sent", 2)
    assert again == 0
    assert text.startswith("Event purchase till-1042: duplicate.")
    outbox = paths.outbox_dir(shop)
    [sms] = list((outbox / "sms").iterdir())
    assert "Thanks for your order 1042, Ana!" in sms.read_text("utf-8")
    [email] = list((outbox / "email").iterdir())
    assert "Your receipt for order 1042" in email.read_text("utf-8")

    status, out, _ = run(["history", "--json"], shop, capsys, monkeypatch)
    rows = json.loads(out)
    assert sorted((r["channel"], r["state"]) for r in rows) == [
        ("email", "sent"),
        ("sms", "sent"),
    ]
    assert {r["template"] for r in rows} == {"Purchase receipt"}
    db = open_database(paths.database_path(shop))
    marked = db.execute("SELECT transactional FROM messages").fetchall()
    db.close()
    assert marked == [(1,), (1,)]


def test_trigger_through_twilio_emulator(
    shop: Path,
    memory_keyring: MemoryKeyring,
    twilio_emulator: TwilioEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credentials.save_twilio(
        credentials.TwilioConfig(ACCOUNT_SID, SENDER, rate=1000), AUTH_TOKEN
    )
    monkeypatch.setenv(API_URL_ENV, twilio_emulator.base_url)

    status, out, _ = run([*PURCHASE, "--json"], shop, capsys, monkeypatch)
    again, _, _ = run([*PURCHASE, "--json"], shop, capsys, monkeypatch)

    assert (status, again) == (0, 0)
    assert json.loads(out)["status"] == "sent"
    [created] = twilio_emulator.created()
    assert created["to"] == "+15550100101"
    assert "order 1042" in created["body"]
    assert not (paths.outbox_dir(shop) / "sms").exists()
    assert len(list((paths.outbox_dir(shop) / "email").iterdir())) == 1


def test_trigger_over_the_cap_exits_1_and_says_why(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(["rules", "cap", "--daily", "0.001"], shop, capsys, monkeypatch)

    status, out, err = run([*PURCHASE, "--outbox"], shop, capsys, monkeypatch)

    assert status == 1
    assert "paused" in out
    assert "over the daily cap of $0.00" in err
    assert not (paths.outbox_dir(shop) / "sms").exists()
    status, out, _ = run(["rules", "cap", "--json"], shop, capsys, monkeypatch)
    assert json.loads(out) == {"daily": 0.001, "monthly": None}


def test_trigger_refuses_a_bad_field_with_its_name(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run(
        ["trigger", "purchase", "--email", "a@example.com", "--field", "total"],
        shop,
        capsys,
        monkeypatch,
    )
    other, _, err2 = run(
        ["trigger", "purchase", "--email", "a@example.com", "--field", "2x=1"],
        shop,
        capsys,
        monkeypatch,
    )

    assert (status, other) == (1, 1)
    assert "--field total: write it as NAME=VALUE." in err
    assert "Field '2x'" in err2


def test_rules_list_set_and_activity(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(["rules", "list", "--json"], shop, capsys, monkeypatch)
    assert status == 0
    assert [r["kind"] for r in json.loads(out)] == [
        "appointment_reminder",
        "purchase",
        "ticket_opened",
        "ticket_resolved",
    ]
    shipped = ["template", "add", "Shipped", "--sms", "Order {order_number} "
               "shipped: {tracking}", "--subject", "Shipped", "--body",
               "Tracking: {tracking}", "--transactional"]  # fmt: skip
    refused, _, err = run(shipped, shop, capsys, monkeypatch)
    assert refused == 1  # {tracking} is declared by no rule yet
    assert "{tracking}" in err
    status, _, _ = run(
        ["rules", "set", "shipped", "--template", "Shipped", "--field", "tracking"],
        shop,
        capsys,
        monkeypatch,
    )
    added, _, _ = run(shipped, shop, capsys, monkeypatch)
    sent, _, _ = run(
        ["trigger", "shipped", "--email", "bo@example.com", "--field",
         "tracking=ZX9", "--field", "order_number=7", "--outbox"],
        shop, capsys, monkeypatch,
    )  # fmt: skip
    _, out, _ = run(["rules", "activity", "--json"], shop, capsys, monkeypatch)

    assert (status, added, sent) == (0, 0, 0)
    [row] = json.loads(out)
    assert (row["ref"].split()[0], row["outcome"]) == ("shipped", "sent")
    [email] = list((paths.outbox_dir(shop) / "email").iterdir())
    assert "Tracking: ZX9" in email.read_text("utf-8")


def test_watch_once_moves_files_and_exits_1_when_one_failed(
    shop: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "good.csv").write_text(
        "kind,event_id,email,order_number\npurchase,G-1,ana@example.com,1\n", "utf-8"
    )
    (folder / "bad.json").write_text("{oops", "utf-8")

    status, out, _ = run(
        ["watch", str(folder), "--once", "--outbox"], shop, capsys, monkeypatch
    )
    again, text, _ = run(
        ["watch", str(folder), "--once", "--outbox"], shop, capsys, monkeypatch
    )

    assert status == 1
    assert "good.csv: 1 rows, 0 refused" in out
    assert (folder / "done" / "good.csv").exists()
    assert (folder / "failed" / "bad.json.report.txt").exists()
    assert again == 0
    assert "No CSV or JSON file waiting" in text


def test_serve_events_refuses_other_addresses(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run(
        ["serve-events", "--host", "0.0.0.0"], shop, capsys, monkeypatch
    )

    assert status == 1
    assert "listens on 127.0.0.1 only" in err


def test_event_token_is_kept_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    assert credentials.load_event_token() is None
    token = credentials.new_event_token()

    credentials.save_event_token(token)

    assert credentials.load_event_token() == token
    assert len(token) >= 40
    assert memory_keyring.store[(credentials.SERVICE, "events.token")] == token


def test_schedule_add_list_and_run_due(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(
        ["template", "add", "News", "--sms", "News from {shop_name}!", "--subject",
         "News", "--body", "Hello {first_name|there}."],
        shop, capsys, monkeypatch,
    )  # fmt: skip
    run(
        ["trigger", "purchase", "--email", "ana@example.com", "--phone",
         "+15550100101", "--field", "order_number=1", "--outbox"],
        shop, capsys, monkeypatch,
    )  # fmt: skip

    added, out, _ = run(
        ["schedule", "add", "--template", "News", "--all", "--rule",
         "first monday monthly 10:00"],
        shop, capsys, monkeypatch,
    )  # fmt: skip
    listed, listing, _ = run(["schedule", "list", "--json"], shop, capsys, monkeypatch)
    due, ran, _ = run(
        ["schedule", "run-due", "--outbox", "--json"], shop, capsys, monkeypatch
    )
    missed, nothing, _ = run(["schedule", "missed"], shop, capsys, monkeypatch)

    assert (added, listed, due, missed) == (0, 0, 0, 0)
    assert "next:" in out
    occurrences = json.loads(listing)
    assert len(occurrences) == 3
    assert all(o["local"].endswith(("10:00 EST", "10:00 EDT")) for o in occurrences)
    assert json.loads(ran) == {"schedules": [], "events": []}  # Monday is ahead
    assert "Nothing missed." in nothing
    db = open_database(paths.database_path(shop))
    assert len(automation.list_schedules(db)) == 1
    db.close()


def test_delayed_trigger_is_sent_by_run_due_once_its_time_comes(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(["rules", "list"], shop, capsys, monkeypatch)
    run(
        ["rules", "set", "purchase", "--template", "Purchase receipt", "--field",
         "order_number", "--field", "total", "--delay", "30"],
        shop, capsys, monkeypatch,
    )  # fmt: skip

    status, out, _ = run([*PURCHASE, "--outbox", "--json"], shop, capsys, monkeypatch)
    early, early_out, _ = run(
        ["schedule", "run-due", "--outbox"], shop, capsys, monkeypatch
    )
    db = open_database(paths.database_path(shop))
    with db.conn:  # half an hour passes
        db.execute("UPDATE trigger_events SET due_at = '2000-01-01T00:00:00+00:00'")
    db.close()
    due, due_out, _ = run(
        ["schedule", "run-due", "--outbox", "--json"], shop, capsys, monkeypatch
    )

    assert (status, early, due) == (0, 0, 0)
    assert json.loads(out)["status"] == "waiting"
    assert "Nothing is due." in early_out
    [event] = json.loads(due_out)["events"]
    assert (event["status"], event["sent"]) == ("sent", 2)
    assert len(list((paths.outbox_dir(shop) / "sms").iterdir())) == 1
