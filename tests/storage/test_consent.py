"""The consent ledger after import, manual changes and re-import, and its CSV export."""

import csv
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.services.importing import import_file
from desktop_app.spreadsheet import excel_safe
from desktop_app.storage import consent

CSV_TEXT = (
    "First Name,Last Name,Email,Phone,Accepts SMS Marketing,Accepts Email Marketing\n"
    "Ana,Example,ana@example.com,+15550100101,yes,yes\n"
    "Ben,Example,ben@example.com,+15550100102,no,no\n"
    '=HYPERLINK("http://example.com"),Example,cy@example.com,+15550100103,'
    "unsubscribed,yes\n"
)


def _import(tmp_path: Path, db: sqlite_utils.Database, text: str = CSV_TEXT) -> int:
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    report = import_file(db, path, region="US")
    assert report.rejected == 0
    return report.imported


def _ids(db: sqlite_utils.Database) -> dict[str, int]:
    return {
        row["email"]: row["id"] for row in db.query("SELECT id, email FROM contacts")
    }


def test_ledger_after_import(tmp_path: Path, db: sqlite_utils.Database) -> None:
    assert _import(tmp_path, db) == 3
    ids = _ids(db)
    ana, ben, cy = ids["ana@example.com"], ids["ben@example.com"], ids["cy@example.com"]

    assert consent.consent_map(db, None, "sms") == {
        ana: "opted_in", ben: "unknown", cy: "opted_out",
    }  # fmt: skip
    history = consent.consent_history(db, ana)
    assert sorted((r["channel"], r["status"], r["source"]) for r in history) == [
        ("email", "opted_in", "import"),
        ("sms", "opted_in", "import"),
    ]
    sms = next(r for r in history if r["channel"] == "sms")
    assert sms["evidence"] == "customers.csv row 1: Accepts SMS Marketing=yes"
    assert sms["import_id"] is not None


def test_manual_change_and_reimport_keep_the_opt_out(
    tmp_path: Path, db: sqlite_utils.Database
) -> None:
    _import(tmp_path, db)
    ana = _ids(db)["ana@example.com"]

    consent.set_consent_manually(db, ana, "sms", "opted_out", "asked at the counter")
    assert consent.current_consent(db, ana, "sms") == "opted_out"

    with pytest.raises(ValidationError, match=r"opted out of sms\. Say why"):
        consent.set_consent_manually(db, ana, "sms", "opted_in", "   ")
    with pytest.raises(ValidationError, match="opted out of sms"):
        consent.set_consent_manually(db, ana, "sms", "unknown", "")
    assert consent.current_consent(db, ana, "sms") == "opted_out"

    report = import_file(db, tmp_path / "customers.csv", region="US")
    assert consent.current_consent(db, ana, "sms") == "opted_out"
    assert any("never undoes an opt-out" in w["message"] for w in report.warnings)

    row_id = consent.set_consent_manually(
        db, ana, "sms", "opted_in", "signed the paper form on 3 March"
    )
    assert consent.current_consent(db, ana, "sms") == "opted_in"
    last = consent.consent_history(db, ana)[-1]
    assert last["id"] == row_id
    assert (last["source"], last["status"]) == ("manual", "opted_in")
    assert last["evidence"] == (
        "manual change from opted_out to opted_in: signed the paper form on 3 March"
    )
    statuses = [
        r["status"] for r in consent.consent_history(db, ana) if r["channel"] == "sms"
    ]
    assert statuses == ["opted_in", "opted_out", "opted_in"]


def test_manual_change_checks_its_input(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    _import(tmp_path, db)
    ben = _ids(db)["ben@example.com"]

    with pytest.raises(ValidationError, match="Channel: 'fax'"):
        consent.set_consent_manually(db, ben, "fax", "opted_in", "note")
    with pytest.raises(ValidationError, match="Status: 'maybe'"):
        consent.set_consent_manually(db, ben, "sms", "maybe", "note")
    with pytest.raises(ValidationError, match="no contact number 999"):
        consent.set_consent_manually(db, 999, "sms", "opted_in", "note")

    consent.set_consent_manually(db, ben, "email", "opted_out", "")
    assert consent.consent_history(db, ben)[-1]["evidence"] == (
        "manual change from unknown to opted_out (no note)"
    )


def test_a_manual_change_to_the_same_status_records_nothing(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    _import(tmp_path, db)
    ana, cy = _ids(db)["ana@example.com"], _ids(db)["cy@example.com"]
    rows = len(consent.ledger_rows(db))

    assert consent.set_consent_manually(db, ana, "sms", "opted_in", "again") is None
    assert consent.set_consent_manually(db, cy, "sms", "opted_out", "") is None
    assert len(consent.ledger_rows(db)) == rows


def test_a_manual_opt_in_needs_its_evidence(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    _import(tmp_path, db)
    ben = _ids(db)["ben@example.com"]
    assert consent.current_consent(db, ben, "sms") == "unknown"

    with pytest.raises(consent.NoteNeeded, match="agreed to SMS"):
        consent.set_consent_manually(db, ben, "sms", "opted_in", " ")
    assert consent.current_consent(db, ben, "sms") == "unknown"
    consent.set_consent_manually(db, ben, "sms", "opted_in", "signed on 3 May")
    consent.set_consent_manually(db, ben, "sms", "unknown", "")

    evidence = [r["evidence"] for r in consent.consent_history(db, ben)]
    assert evidence[-2:] == [
        "manual change from unknown to opted_in: signed on 3 May",
        "manual change from opted_in to unknown (no note)",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+15550100101", "'+15550100101"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ana", "Ana"),
        ("a=b", "a=b"),
        (None, ""),
        (12, "12"),
    ],
)
def test_excel_safe(value: object, shown: str) -> None:
    assert excel_safe(value) == shown


def test_export_neutralises_formulas_and_keeps_the_database(
    tmp_path: Path, db: sqlite_utils.Database
) -> None:
    _import(tmp_path, db)
    cy = _ids(db)["cy@example.com"]
    consent.set_consent_manually(db, cy, "email", "opted_out", "=cmd|' /C calc'!A0")
    out = tmp_path / "ledger.csv"

    count = consent.export_ledger_csv(db, out)

    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert count == len(rows) == db["consent"].count == 7
    assert list(rows[0]) == list(consent.LEDGER_COLUMNS)
    cy_rows = [r for r in rows if r["contact_id"] == str(cy)]
    assert {r["contact_name"] for r in cy_rows} == {
        '\'=HYPERLINK("http://example.com") Example'
    }
    assert {r["phone"] for r in cy_rows} == {"'+15550100103"}
    assert cy_rows[-1]["evidence"].startswith("manual change from opted_in")
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))

    stored = db.execute("SELECT first_name, phone FROM contacts WHERE id = ?", [cy])
    assert stored.fetchone() == ('=HYPERLINK("http://example.com")', "+15550100103")


def test_export_names_a_company_only_contact_by_its_company(
    tmp_path: Path, db: sqlite_utils.Database
) -> None:
    db["contacts"].insert(
        {"id": 90, "company": "Harbor Tile & Stone", "email": "tile@example.com",
         "created_at": "x", "updated_at": "x"}
    )  # fmt: skip
    consent.set_consent_manually(db, 90, "email", "opted_out", "asked by phone")
    out = tmp_path / "ledger.csv"

    consent.export_ledger_csv(db, out)

    with out.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["contact_id"] == "90"]
    assert row["contact_name"] == "Harbor Tile & Stone"


def test_export_to_a_missing_folder_fails_calmly(
    tmp_path: Path, db: sqlite_utils.Database
) -> None:
    from desktop_app.errors import StorageError

    with pytest.raises(StorageError, match="could not write the consent ledger"):
        consent.export_ledger_csv(db, tmp_path / "nope" / "ledger.csv")
