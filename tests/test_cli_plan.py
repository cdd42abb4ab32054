"""The command line shows a plan before sending, the template's lints, and the
quiet-hours rules (the shop's own included)."""

import json
from pathlib import Path

import pytest

from desktop_app import cli, paths
from tests.conftest import SAMPLES

SHOPIFY = SAMPLES / "shopify_customers_export_2023_cl.csv"


def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> str:
    status = cli.run(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def test_send_plan_lists_every_decision_and_sends_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, data_dir, "import", str(SHOPIFY), "--region", "CL")
    _run(
        capsys, data_dir, "template", "add", "News", "--sms", "Hi {first_name|there}",
        "--subject", "News", "--body", "New stock is in.",
    )  # fmt: skip

    plan = json.loads(
        _run(
            capsys, data_dir, "send", "--template", "News", "--all", "--plan", "--json"
        )
    )
    text = _run(capsys, data_dir, "send", "--template", "News", "--all", "--plan")

    assert not paths.outbox_dir(data_dir).exists()
    messages = plan["messages"]
    assert len(messages) == 2 * 26
    assert {m["action"] for m in messages} <= {"send", "hold", "skip"}
    waiting = [m for m in messages if m["action"] == "hold"]
    assert waiting and all(m["channel"] == "email" for m in waiting)
    assert {m["reason"] for m in waiting} == {"shop postal address not set in Settings"}
    assert plan["held"]["address"] == len(waiting)
    assert sum(m["action"] == "send" for m in messages) == sum(plan["to_send"].values())
    assert "Waiting for the shop's postal address: " in text
    assert "email: hold: shop postal address not set in Settings" in text
    noted = [m for m in messages if m["action"] == "send" and m["note"]]
    assert noted and all(
        f"- contact {m['contact_id']} {m['channel']}: send (note: {m['note']})" in text
        for m in noted
    )


def test_template_check_prints_the_lints(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(
        capsys, data_dir, "template", "add", "News", "--sms", "New stock is in!",
        "--subject", "News", "--body", "Come and see.",
    )  # fmt: skip

    out = _run(capsys, data_dir, "template", "check", "News")
    checked = json.loads(_run(capsys, data_dir, "template", "check", "News", "--json"))

    assert "no 'Reply STOP to opt out' wording" in out
    assert "does not say who sends it" in out
    assert [note["field"] for note in checked["lints"]] == ["SMS text", "SMS text"]


def test_quiet_hours_export_use_show_clear(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "ours.json"

    assert "Wrote 1 rule to" in _run(
        capsys, data_dir, "quiet-hours", "export", str(rules)
    )
    assert _run(capsys, data_dir, "quiet-hours", "use", str(rules)) == (
        "Your rule from ours.json now applies on top of Duet's.\n"
    )
    shown = json.loads(_run(capsys, data_dir, "quiet-hours", "show", "--json"))

    assert shown["own_file"] == "ours.json"
    assert [r["name"] for r in shown["rules"] if r["own"]] == ["Shop policy"]
    texas = next(r for r in shown["rules"] if r["name"] == "Texas rule")
    assert texas["hours"] == "Mon–Sat 09:00–21:00, Sun 12:00–21:00"
    assert {"Florida rule", "Rhode Island rule"} <= {r["name"] for r in shown["rules"]}
    assert "Shop policy (yours): every country" in _run(
        capsys, data_dir, "quiet-hours", "show"
    )
    assert "removed" in _run(capsys, data_dir, "quiet-hours", "clear")

    rules.write_text('{"reviewed": "2026-12-04", "rules": []}', encoding="utf-8")
    status = cli.run(["--data-dir", str(data_dir), "quiet-hours", "use", str(rules)])
    assert status == 1
    assert (
        "ours.json: field 'rules' must be a non-empty list" in capsys.readouterr().err
    )


def test_transactional_sends_are_marked_everywhere_the_owner_looks(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, data_dir, "import", str(SHOPIFY), "--region", "CL")
    _run(capsys, data_dir, "settings", "set", "shop.address", "1 Example St")
    _run(
        capsys, data_dir, "template", "add", "Pickup", "--sms",
        "Hi {first_name|there}, your order is ready for pickup.",
        "--subject", "Your order", "--body", "It is ready.", "--transactional",
    )  # fmt: skip
    _run(
        capsys, data_dir, "template", "add", "News", "--sms", "New stock",
        "--subject", "News", "--body", "New stock is in.",
    )  # fmt: skip

    listed = _run(capsys, data_dir, "template", "list")
    asked = ("send", "--template", "Pickup", "--all", "--plan", "--json")
    plan = json.loads(_run(capsys, data_dir, *asked))
    _run(capsys, data_dir, "send", "--template", "Pickup", "--all")
    history = json.loads(_run(capsys, data_dir, "history", "--json"))
    plain = _run(capsys, data_dir, "history").splitlines()

    assert "Pickup (transactional): Hi" in listed
    assert "News: New stock" in listed
    skipped = [m for m in plan["messages"] if m["action"] == "skip"]
    assert skipped and all(m["transactional"] for m in plan["messages"])
    assert history and all(row["transactional"] for row in history)
    rows = plain[:-1]
    assert rows and all("  transactional" in line for line in rows)


def test_quiet_hours_use_says_which_rules_change_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "ours.json"
    late = {"name": "Florida late", "country": "US", "state": "FL",
            "effective": "2026-01-01", "source": "x",
            "hours": {"default": ["06:00", "23:00"]}}  # fmt: skip
    no_saturdays = {"name": "No Saturdays", "country": "US", "effective":
                    "2026-01-01", "source": "x", "hours": {"sat": None}}  # fmt: skip
    document = {"reviewed": "2026-12-04", "rules": [no_saturdays, late]}
    rules.write_text(json.dumps(document), encoding="utf-8")

    out = _run(capsys, data_dir, "quiet-hours", "use", str(rules))
    shown = _run(capsys, data_dir, "quiet-hours", "show")

    note = (
        "Note: Rule 2 ('Florida late', FL, every day 06:00–23:00) is looser than "
        "Duet's own hours there (every day 08:00–20:00); it changes nothing."
    )
    assert out.splitlines() == [
        "Your 2 rules from ours.json now apply on top of Duet's.",
        note,
    ]
    assert shown.splitlines()[-3:] == [
        "- No Saturdays (yours): US, Mon–Fri any time, Sun any time, no sending on "
        "Sat, from 2026-01-01",
        "- Florida late (yours): FL, every day 06:00–23:00, from 2026-01-01",
        f"  {note}",
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"rules": "x"}, "bad.json: field 'rules' must be a non-empty list"),
        ({"reviewed": "2026-12-04", "rules": [
            {"name": "X", "country": "US", "state": "ZZ", "effective": "2026-01-01",
             "source": "x", "hours": {"default": ["09:00", "20:00"]}}]},
         "bad.json: rule 1 ('X'), field 'state': 'ZZ' is not a US state code such "
         "as FL or TX"),
    ],
)  # fmt: skip
def test_quiet_hours_use_refuses_a_wrong_file_naming_the_field(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    document: object,
    message: str,
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")

    status = cli.run(["--data-dir", str(data_dir), "quiet-hours", "use", str(bad)])

    assert status == 1
    assert capsys.readouterr().err == f"duet: {message}\n"


def test_text_output_shows_times_in_the_shops_zone(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zoneinfo import ZoneInfo

    from desktop_app.storage.settings import shown_time

    _run(capsys, data_dir, "settings", "set", "shop.timezone", "Pacific/Auckland")
    _run(capsys, data_dir, "import", str(SHOPIFY), "--region", "CL")
    _run(
        capsys, data_dir, "template", "add", "Pickup", "--sms", "Ready for pickup",
        "--subject", "Ready", "--body", "It is ready.", "--transactional",
    )  # fmt: skip
    _run(capsys, data_dir, "send", "--template", "Pickup", "--all")

    first = json.loads(_run(capsys, data_dir, "history", "--json"))[0]
    text = _run(capsys, data_dir, "history").splitlines()
    imports = _run(capsys, data_dir, "imports").splitlines()

    local = shown_time(first["queued_at"], ZoneInfo("Pacific/Auckland"))
    assert text[0].startswith(local)
    assert text[-1].endswith("(times in Pacific/Auckland)")
    assert imports[-1] == "1 import (times in Pacific/Auckland)"
