"""The command line end to end: send, import sales, report, and draw charts."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli

CONTACTS = """\
First Name,Last Name,Email,Phone,Accepts Email Marketing,Accepts SMS Marketing
Ann,Example,ann@example.com,+1 555 010 0101,yes,yes
Bo,Example,bo@example.com,+1 555 010 0102,yes,yes
Cy,Example,cy@example.com,+1 555 010 0103,yes,yes
"""


def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> str:
    status = cli.run(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def _json(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> Any:
    return json.loads(_run(capsys, data_dir, *args, "--json"))


def _shop_with_a_send(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    for key, value in (
        ("shop.name", "Corner Shop"),
        ("shop.address", "1 Example Street, Springfield"),
        ("shop.timezone", "America/Chicago"),
    ):
        _run(capsys, data_dir, "settings", "set", key, value)
    _run(capsys, data_dir, "import", str(contacts))
    _run(
        capsys, data_dir, "template", "add", "Sale", "--sms",
        "Hi {first_name}, our sale is on: https://shop.example.com/sale",
        "--subject", "Sale", "--body", "Hello {first_name}, the sale is on.",
    )  # fmt: skip
    _run(capsys, data_dir, "send", "--template", "Sale", "--all")


def test_sales_import_then_report_credits_the_campaign(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    _shop_with_a_send(capsys, data_dir, tmp_path)
    soon = datetime.now(UTC) + timedelta(hours=2)
    sales = tmp_path / "orders_export.csv"
    sales.write_text(
        "Name,Email,Financial Status,Created at,Total,Currency,Lineitem name,Phone\n"
        f'#2001,ANN@example.com,paid,{soon:%Y-%m-%d %H:%M:%S} +0000,"$1,320.00",'
        "USD,Mug,\n"
        f"#2002,,paid,{soon:%Y-%m-%d %H:%M:%S} +0000,10.00,USD,Tea,(555) 010-0102\n"
        f"#2003,nobody@example.com,paid,{soon:%Y-%m-%d %H:%M:%S} +0000,5,USD,Tea,\n"
        "#2004,,paid,2024-01-01 10:00:00 +0000,5,USD,Tea,\n",
        encoding="utf-8",
    )

    imported = _json(capsys, data_dir, "sales", "import", str(sales))
    again = _json(capsys, data_dir, "sales", "import", str(sales))
    report = _json(capsys, data_dir, "report")

    assert (imported["imported"], imported["rejected"]) == (3, 1)
    assert imported["rejected_rows"][0]["row"] == 5
    assert (again["imported"], again["duplicates"]) == (0, 3)
    campaign = report["campaigns"][0]
    contract = ("sent", "delivered", "failed", "opted_out", "replied",
                "conversions", "revenue")  # fmt: skip
    assert all(key in campaign for key in contract)
    assert campaign["sent"] == 6
    assert campaign["delivered"] is None
    assert any("test outbox" in note for note in campaign["notes"])
    assert campaign["conversions"] == 2
    assert campaign["revenue"] == 1330.0
    assert campaign["currency"] == "USD"
    assert report["overall"]["conversions"] == 2
    assert report["attribution"]["window_days"] == 7
    assert report["attribution"]["source"] == "sales import"
    assert report["attribution"]["unattributed"] == 1

    one = _json(capsys, data_dir, "report", "--campaign", campaign["campaign"])
    assert [c["campaign"] for c in one["campaigns"]] == [campaign["campaign"]]
    text = _run(capsys, data_dir, "report")
    assert "delivered not known" in text


def test_every_chart_writes_a_png(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    _shop_with_a_send(capsys, data_dir, tmp_path)

    for name in ("daily", "rates", "cost", "funnel", "abtest"):
        png = tmp_path / f"{name}.png"
        out = _run(capsys, data_dir, "chart", name, "--out", str(png))
        assert png.read_bytes()[:4] == b"\x89PNG"
        assert str(png) in out

    funnel_csv = tmp_path / "funnel.csv"
    _run(capsys, data_dir, "chart", "funnel", "--out", str(tmp_path / "f.png"),
         "--csv", str(funnel_csv))  # fmt: skip
    lines = funnel_csv.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "campaign,reached,delivered,converted"
    assert lines[1].endswith(",3,,0")


def test_report_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    status = cli.run(["--data-dir", str(data_dir), "report", "--campaign", "Nope"])
    err = capsys.readouterr().err
    assert status == 1
    assert err == "duet: There is no campaign named 'Nope'.\n"

    status = cli.run(["--data-dir", str(data_dir), "sales", "import",
                      str(tmp_path / "none.csv")])  # fmt: skip
    assert status == 1
    assert "cannot find the file" in capsys.readouterr().err
