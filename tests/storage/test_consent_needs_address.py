"""Consent is about a number or an address (issue 6, tester 2 item 6).

A contact without a phone cannot be opted in to SMS, nor one without an email to
email: by hand (storage, command line, the window's dialog) or by an import. Opting
out is always allowed.
"""

from pathlib import Path

import pytest
import sqlite_utils

from desktop_app import cli, paths
from desktop_app.errors import ValidationError
from desktop_app.services.importing import import_file
from desktop_app.storage import consent
from desktop_app.storage.database import open_database, utc_now


def _contact(db: sqlite_utils.Database, **values: object) -> int:
    row: dict[str, object] = {"first_name": "Test", "created_at": utc_now(),
                              "updated_at": utc_now()}  # fmt: skip
    row.update(values)
    return int(db["contacts"].insert(row).last_pk)  # type: ignore[arg-type]


def test_no_sms_opt_in_without_a_phone(db: sqlite_utils.Database) -> None:
    email_only = _contact(db, email="only@example.com", email_key="only@example.com")

    with pytest.raises(ValidationError) as refused:
        consent.set_consent_manually(db, email_only, "sms", "opted_in", "signed form")

    assert refused.value.message == (
        f"Contact {email_only} has no phone number; add one before recording SMS "
        "consent."
    )
    assert consent.consent_history(db, email_only) == []
    # Opting out (and back to not asked) stays possible.
    assert consent.set_consent_manually(db, email_only, "sms", "opted_out", "")
    assert consent.set_consent_manually(db, email_only, "sms", "unknown", "asked")
    assert consent.current_consent(db, email_only, "sms") == "unknown"


def test_no_email_opt_in_without_an_email(db: sqlite_utils.Database) -> None:
    phone_only = _contact(db, phone="+15550100140")

    with pytest.raises(ValidationError, match="has no email address; add one"):
        consent.set_consent_manually(db, phone_only, "email", "opted_in", "form")

    assert consent.set_consent_manually(db, phone_only, "email", "opted_out", "")
    row_id = consent.set_consent_manually(db, phone_only, "sms", "opted_in", "form")
    assert row_id is not None


def test_consent_set_refuses_in_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_database(paths.database_path(data_dir))
    email_only = _contact(db, email="only@example.com", email_key="only@example.com")
    db.close()

    status = cli.run(["--data-dir", str(data_dir), "consent", "set", str(email_only),
                      "sms", "opted_in", "--note", "signed form"])  # fmt: skip
    _, err = capsys.readouterr()

    assert status == 1
    assert err == (
        f"duet: Contact {email_only} has no phone number; add one before recording "
        "SMS consent.\n"
    )
    status = cli.run(["--data-dir", str(data_dir), "consent", "set", str(email_only),
                      "sms", "opted_out"])  # fmt: skip
    assert status == 0
    assert "sms is now opted_out" in capsys.readouterr().out


def test_an_import_ignores_sms_consent_on_a_row_without_a_usable_phone(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "Name,Phone,Email,SMS Consent,Email Consent\n"
        "No Phone,12,nophone@example.com,yes,yes\n"
        "Good Phone,+1 555 010 0141,good@example.com,yes,yes\n"
        "Stopper,,stop@example.com,unsubscribed,\n",
        encoding="utf-8",
    )

    report = import_file(db, path, region="US")

    ids = {row["email"]: row["id"] for row in db.query("SELECT * FROM contacts")}
    no_phone = ids["nophone@example.com"]
    assert consent.current_consent(db, no_phone, "sms") == "unknown"
    assert [r["channel"] for r in consent.consent_history(db, no_phone)] == ["email"]
    assert consent.current_consent(db, ids["good@example.com"], "sms") == "opted_in"
    # An opt-out needs no number: it is recorded.
    assert consent.current_consent(db, ids["stop@example.com"], "sms") == "opted_out"
    assert {
        "row": 1,
        "field": "SMS Consent",
        "message": "SMS Consent=yes ignored: the row has no usable phone number, so "
        "there is nothing to record SMS consent for.",
    } in report.warnings
