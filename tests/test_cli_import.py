"""The import and contacts commands end to end on the sample exports."""

import json
from pathlib import Path

import pytest

from desktop_app.cli import run
from tests.conftest import SAMPLES


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    assert run(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_import_shopify_then_contacts(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(SAMPLES / "shopify_customers_export_2023_cl.csv")

    report = _run_json(capsys, "--data-dir", str(data_dir), "import", sample, "--json")

    assert isinstance(report, dict)
    assert (report["imported"], report["merged"], report["rejected"]) == (26, 1, 0)
    assert report["format"] == "shopify"
    assert report["rejected_rows"] == []
    contacts = _run_json(capsys, "--data-dir", str(data_dir), "contacts", "--json")
    assert isinstance(contacts, list) and len(contacts) == 26
    assert {"first_name", "last_name", "phone", "email", "tags"} <= set(contacts[0])
    assert all(c["phone"] is None or c["phone"].startswith("+") for c in contacts)

    again = _run_json(capsys, "--data-dir", str(data_dir), "import", sample, "--json")
    assert isinstance(again, dict)
    assert (again["imported"], again["merged"]) == (0, 27)


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("google-csv_legacy_phonebook_in_multivalue.csv", (21, 1, 5)),
        ("outlook_desktop_en_92col_multiline-notes.csv", (5, 0, 0)),
        ("outlook_2013_de_cp1252_crlf_localized-headers.csv", (2, 0, 0)),
    ],
)
def test_cli_import_google_and_outlook(
    data_dir: Path, capsys: pytest.CaptureFixture[str], name: str, counts: tuple
) -> None:
    report = _run_json(
        capsys, "--data-dir", str(data_dir), "import", str(SAMPLES / name), "--json"
    )
    assert isinstance(report, dict)
    assert (report["imported"], report["merged"], report["rejected"]) == counts
    assert all({"row", "reason"} <= set(r) for r in report["rejected_rows"])


def test_cli_import_plain_text_and_region(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(SAMPLES / "shopify_customers_export_pk_truncated-eof.csv")
    capsys.readouterr()
    assert run(["--data-dir", str(data_dir), "import", sample, "--region", "PK"]) == 0
    out = capsys.readouterr().out
    assert "3 new contacts" in out
    assert "row 4: file truncated" in out


@pytest.mark.allow_warning_log
def test_cli_import_unreadable_file_is_one_line_error(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    assert run(["--data-dir", str(data_dir), "import", str(missing), "--json"]) == 1
    err = capsys.readouterr().err
    assert "nope.csv" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_import_empty_file_reports_message(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _run_json(
        capsys,
        "--data-dir",
        str(data_dir),
        "import",
        str(SAMPLES / "messy_empty.csv"),
        "--json",
    )
    assert isinstance(report, dict)
    assert report["message"] == "The file is empty."
    assert report["imported"] == 0


def test_cli_imports_lists_and_undoes_a_batch(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(SAMPLES / "hubspot_all-contacts_export_synthetic.csv")
    base = ["--data-dir", str(data_dir)]
    report = _run_json(capsys, *base, "import", sample, "--json")
    assert isinstance(report, dict)

    batches = _run_json(capsys, *base, "imports", "--json")
    assert isinstance(batches, list) and len(batches) == 1
    assert batches[0]["id"] == report["import_id"]
    assert batches[0]["undone_at"] is None

    undone = _run_json(
        capsys, *base, "imports", "undo", str(report["import_id"]), "--json"
    )
    assert isinstance(undone, dict) and undone["undone_at"]
    assert _run_json(capsys, *base, "contacts", "--json") == []

    capsys.readouterr()
    assert run([*base, "imports", "undo", str(report["import_id"])]) == 1
    assert "already undone" in capsys.readouterr().err


def test_cli_contacts_csv_is_safe_in_a_spreadsheet(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    sample = str(SAMPLES / "messy_csv-injection_formulas.csv")
    base = ["--data-dir", str(data_dir)]
    _run_json(capsys, *base, "import", sample, "--json")
    stored = _run_json(capsys, *base, "contacts", "--json")
    target = tmp_path / "contacts.csv"

    assert run([*base, "contacts", "--csv", str(target)]) == 0

    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert isinstance(stored, list) and len(rows) == len(stored) == 6
    cells = [cell for row in rows for cell in row.values() if cell]
    assert not [c for c in cells if c[0] in "=+-@\t\r"], "a cell could run as a formula"
    assert any(c.startswith("'=") for c in cells)
    names = {c["first_name"] for c in stored}  # the database keeps them as given
    assert any(name.startswith("=") for name in names)
