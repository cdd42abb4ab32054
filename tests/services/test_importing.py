"""Importing every sample export, merging, consent, undo and cancel."""

import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.services.importing import import_file, list_imports, undo_import
from desktop_app.storage import consent
from desktop_app.storage.contacts import list_contacts
from tests.conftest import SAMPLES

# file -> (records, importable, unique, rejected record numbers), from samples/README.md
EXPECTED: dict[str, tuple[int, int, int, list[int]]] = {
    "google-csv_legacy_tine20_crlf_multiline-address.csv": (5, 5, 5, []),
    "google-csv_legacy_phonebook_in_multivalue.csv": (27, 22, 21, [13, 14, 15, 16, 25]),
    "google-csv_legacy_cjk_5phones_no-year-birthday.csv": (1, 1, 1, []),
    "google-csv_new-labels-format_synthetic.csv": (8, 7, 6, [6]),
    "outlook_desktop_en_92col_multiline-notes.csv": (5, 5, 5, []),
    "outlook_desktop_en_dos-csv_nospace-headers.csv": (5, 5, 5, []),
    "outlook_2013_de_cp1252_crlf_localized-headers.csv": (2, 2, 2, []),
    "shopify_customers_export_2023_cl.csv": (27, 27, 26, []),
    "shopify_customers_export_legacy_accepts-marketing.csv": (11, 11, 11, []),
    "shopify_customers_export_pk_multiline-notes.csv": (11, 11, 10, []),
    "shopify_customers_export_pk_truncated-eof.csv": (4, 3, 3, [4]),
    "square_customers_export_us_synthetic.csv": (11, 8, 8, [4, 5, 11]),
    "mailchimp_audience_export_sample_tags-gmtoff.csv": (10, 9, 9, [10]),
    "hubspot_all-contacts_export_synthetic.csv": (8, 7, 6, [3]),
    "woocommerce_customers-report_export_bom_synthetic.csv": (7, 6, 5, [6]),
    "excel_de_semicolon_cp1252_umlauts.csv": (4, 4, 4, []),
    "messy_cp1252_accented-names_crlf.csv": (7, 7, 7, []),
    "messy_utf8-bom_excel_crlf_trailing-empty-rows.csv": (4, 4, 4, []),
    "messy_semicolon_sep-directive_decimal-comma.csv": (4, 4, 4, []),
    "messy_embedded-newlines_quoted-fields.csv": (4, 4, 4, []),
    "messy_duplicates_phone-and-email-formats.csv": (7, 7, 3, []),
    "messy_invalid-phones-and-emails.csv": (
        24,
        15,
        15,
        [5, 6, 10, 11, 12, 13, 14, 15, 20],
    ),
    "messy_csv-injection_formulas.csv": (6, 6, 6, []),
    "messy_empty.csv": (0, 0, 0, []),
    "messy_header-only_crlf.csv": (0, 0, 0, []),
    "vcard21_android-aosp_qp-label_multi-tel_photo.vcf": (1, 1, 1, []),
    "vcard21_android_qp-utf8-softbreaks_multi-card.vcf": (6, 6, 6, []),
    "vcard21_outlook-2003_qp-notes_x509.vcf": (1, 1, 1, []),
    "vcard21_shift-jis_multiple-entries_aosp.vcf": (3, 0, 0, [1, 2, 3]),
    "vcard21_lowercase-props_version-not-second.vcf": (1, 1, 1, []),
    "vcard30_iphone-ios5_item-labels_photo.vcf": (1, 1, 1, []),
    "vcard30_ios613_crcrlf_photo.vcf": (1, 1, 1, []),
    "vcard30_icloud-ios_mixed-phone-formats.vcf": (4, 4, 4, []),
    "vcard30_gmail_folded-note_phonetic.vcf": (1, 1, 1, []),
    "vcard30_gmail-list_three-cards_no-final-newline.vcf": (3, 3, 3, []),
    "vcard30_macosx_addressbook_escapes_multi-email.vcf": (1, 1, 1, []),
    "vcard30_emclient_text-phones_quoted-type.vcf": (1, 1, 1, []),
    "vcard30_webdav-collaborator_outlook-import_agent.vcf": (1, 1, 1, []),
    "vcard30_leading-junk-line_crlf_base64-photo.vcf": (2, 2, 2, []),
    "vcard40_kde_tel-uri_ext_full.vcf": (1, 1, 1, []),
    "vcard40_sort-as_japanese_aosp.vcf": (1, 0, 0, [1]),
    "vcard_no-version_empty-n_qp-label.vcf": (1, 0, 0, [1]),
}


def _contacts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [contact.to_json() for contact in list_contacts(db)]


def _by_name(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    found = [c for c in _contacts(db) if c["full_name"] == name]
    assert len(found) == 1, [c["full_name"] for c in _contacts(db)]
    return found[0]


def test_every_sample_has_an_expectation() -> None:
    on_disk = {p.name for p in SAMPLES.iterdir() if p.suffix in (".csv", ".vcf")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_import_counts(db: sqlite_utils.Database, name: str) -> None:
    records, importable, unique, rejected_rows = EXPECTED[name]

    report = import_file(db, SAMPLES / name, region="US")

    assert report.rows == records
    assert report.imported == unique
    assert report.merged == importable - unique
    assert report.rejected == records - importable
    assert [r["row"] for r in report.rejected_rows] == rejected_rows
    assert all(r["reason"] for r in report.rejected_rows)
    assert len(list_contacts(db)) == unique


def test_shopify_sample_details(db: sqlite_utils.Database) -> None:
    report = import_file(db, SAMPLES / "shopify_customers_export_2023_cl.csv")

    assert report.format == "shopify"
    matias = _by_name(db, "Matias Prieto")
    assert matias["emails"] == ["matias.prieto@example.com"]
    assert len([c for c in _contacts(db) if c["full_name"] == "Daniela Haddad"]) == 2
    assert any("newsletter" in c["tags"] for c in _contacts(db))
    assert all(c["country"] == "CL" for c in _contacts(db))
    ema = _by_name(db, "Ema Quiñones-Portal")
    assert ema["phone"] == "+51962504608"
    assert any(w["row"] == 18 for w in report.warnings)
    assert any(w["row"] == 17 for w in report.warnings)
    assert all(not (c["phone"] or "").startswith("'") for c in _contacts(db))
    assert all(not c["custom"]["customer_id"].startswith("'") for c in _contacts(db))
    phones = [p for c in _contacts(db) for p in c["phones"]]
    assert all(isinstance(p["raw"], str) for p in phones)
    assert not any(p["raw"] == "'0" for p in phones)


def test_shopify_reimport_merges_everything_and_changes_nothing(
    db: sqlite_utils.Database,
) -> None:
    path = SAMPLES / "shopify_customers_export_2023_cl.csv"
    import_file(db, path)
    contacts_before = list(db.query("SELECT * FROM contacts ORDER BY id"))
    consent_before = list(db.query("SELECT * FROM consent ORDER BY id"))

    again = import_file(db, path)

    assert (again.imported, again.merged, again.rejected) == (0, 27, 0)
    assert again.updated == 0
    assert list(db.query("SELECT * FROM contacts ORDER BY id")) == contacts_before
    assert list(db.query("SELECT * FROM consent ORDER BY id")) == consent_before


def test_reimport_updates_changed_values_and_blanks_nothing(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "First Name,Last Name,Email,Phone,Tags\n"
        "Ada,Byron,ada@example.com,+1 555 010 0111,vip\n"
        "Bob,Stone,bob@example.com,+1 555 010 0112,\n",
        encoding="utf-8",
    )
    second = tmp_path / "second.csv"
    second.write_text(
        "First Name,Last Name,Email,Phone,Tags\n"
        "Ada,Lovelace,ADA@example.com,,newsletter\n"
        ",,bob@example.com,,\n",
        encoding="utf-8",
    )
    import_file(db, first)

    report = import_file(db, second)

    assert (report.imported, report.merged, report.updated) == (0, 2, 1)
    ada = _by_name(db, "Ada Lovelace")
    assert ada["phone"] == "+15550100111"
    assert ada["tags"] == ["vip", "newsletter"]
    assert ada["email"] == "ada@example.com"
    bob = _by_name(db, "Bob Stone")
    assert bob["phone"] == "+15550100112"


def test_outlook_samples_details(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "outlook_2013_de_cp1252_crlf_localized-headers.csv")
    names = {c["full_name"] for c in _contacts(db)}
    assert names == {"Jonas Brandt", "Konstantin Weiß"}


def test_outlook_dos_headers_map_like_the_spaced_ones(
    db: sqlite_utils.Database,
) -> None:
    dos = import_file(db, SAMPLES / "outlook_desktop_en_dos-csv_nospace-headers.csv")
    assert dos.format == "outlook"
    assert dos.mapping["EmailAddress"] == "email"
    assert dos.mapping["MobilePhone"].startswith("phone")
    assert dos.mapping["BusinessPhone"].startswith("phone")
    dropped = [w for w in dos.warnings if "same digit" in w["message"]]
    assert {w["row"] for w in dropped} == {1, 2}
    assert len(dropped) == 5


def test_messy_invalid_sample_facts(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "messy_invalid-phones-and-emails.csv")

    assert _by_name(db, "R17 UK trunk zero in brackets")["phone"] == "+442079460958"
    r18 = _by_name(db, "R18 Extension x-form")
    assert r18["phones"][0]["extension"] == "204"
    assert len(_by_name(db, "R19 Two numbers in one cell")["phones"]) == 2
    assert _by_name(db, "R09 Two addresses in one cell")["emails"] == [
        "carol@example.com",
        "dave@example.com",
    ]
    r16 = _by_name(db, "R16 Local 7-digit")
    assert r16["phones"][0]["e164"] is None
    assert r16["phones"][0]["warning"]
    assert _by_name(db, "R22 Fullwidth digits")["phone"] == "+15550100193"


def test_google_phonebook_multivalue_and_merge(db: sqlite_utils.Database) -> None:
    report = import_file(db, SAMPLES / "google-csv_legacy_phonebook_in_multivalue.csv")
    assert report.format == "google"
    many = max(_contacts(db), key=lambda c: len(c["phones"]))
    assert len(many["phones"]) >= 8
    tags = {t for c in _contacts(db) for t in c["tags"]}
    assert not any(
        t.lower() in ("* mycontacts", "mycontacts", "* my contacts") for t in tags
    )


def test_google_labels_sample(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "google-csv_new-labels-format_synthetic.csv")
    ana = _by_name(db, "Ana Souza")
    assert ana["tags"] == ["Clientes"]
    liam = _by_name(db, "Liam O'Brien")
    assert len(liam["emails"]) == 2
    assert any(p["extension"] == "12" for p in liam["phones"])


def test_cp1252_names_survive(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "excel_de_semicolon_cp1252_umlauts.csv")
    text = json.dumps(_contacts(db), ensure_ascii=False)
    assert "ÖzdemirÖ" in text
    assert "\ufffd" not in text


def test_csv_injection_payloads_stored_literally(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "messy_csv-injection_formulas.csv")
    first_names = [c["first_name"] for c in _contacts(db)]
    assert any(name.startswith("=HYPERLINK(") for name in first_names)


def test_vcard_details(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "vcard40_kde_tel-uri_ext_full.vcf")
    import_file(db, SAMPLES / "vcard30_webdav-collaborator_outlook-import_agent.vcf")
    import_file(db, SAMPLES / "vcard21_android_qp-utf8-softbreaks_multi-card.vcf")
    import_file(db, SAMPLES / "vcard21_android-aosp_qp-label_multi-tel_photo.vcf")

    holmes = _by_name(db, "Sherlock Holmes")
    assert len(holmes["phones"]) == 3
    assert [p["extension"] for p in holmes["phones"]].count("5555") == 1
    assert len(holmes["emails"]) == 2
    webdav = [c for c in _contacts(db) if c["company"] == "Firma"]
    assert len(webdav) == 1
    assert (len(webdav[0]["emails"]), len(webdav[0]["phones"])) == (3, 4)
    assert not any("assistent" in c["full_name"] for c in _contacts(db))
    assert any("Ñ" in c["full_name"] for c in _contacts(db))
    joe = _by_name(db, "Joe Due")
    assert (len(joe["emails"]), len(joe["phones"])) == (2, 5)


def test_consent_recorded_with_file_and_row_as_evidence(
    db: sqlite_utils.Database,
) -> None:
    report = import_file(db, SAMPLES / "square_customers_export_us_synthetic.csv")
    rows = list(db.query("SELECT * FROM consent ORDER BY id"))
    statuses = {row["status"] for row in rows}
    assert {"opted_in", "opted_out"} <= statuses
    assert all(row["import_id"] == report.import_id for row in rows)
    assert all(row["source"] == "import" for row in rows)
    kevin = _by_name(db, "Kevin Miller")
    assert consent.current_consent(db, kevin["id"], "email") == "opted_out"
    evidence = [r["evidence"] for r in rows if r["contact_id"] == kevin["id"]]
    assert evidence == [
        "square_customers_export_us_synthetic.csv row 7: "
        "Email Subscription Status=unsubscribed"
    ]


def test_sms_marketing_no_is_not_an_opt_out(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "shopify_customers_export_2023_cl.csv")
    statuses = {row["status"] for row in db.query("SELECT status FROM consent")}
    assert "opted_out" not in statuses


def test_import_never_undoes_an_opt_out(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    header = "First Name,Last Name,Email,Accepts Email Marketing,Phone,Accepts SMS Marketing\n"
    path = tmp_path / "shop.csv"
    path.write_text(header + "Ada,Byron,ada@example.com,yes,+1 555 010 0111,yes\n")
    import_file(db, path)
    ada = _by_name(db, "Ada Byron")
    consent.record_consent(db, ada["id"], "email", "opted_out", source="reply")
    consent.record_consent(db, ada["id"], "sms", "opted_out", source="reply")

    report = import_file(db, path)

    assert consent.current_consent(db, ada["id"], "email") == "opted_out"
    assert consent.current_consent(db, ada["id"], "sms") == "opted_out"
    assert sum("opt-out" in w["message"] for w in report.warnings) == 2


def test_undo_restores_database_exactly(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    import_file(db, SAMPLES / "messy_duplicates_phone-and-email-formats.csv")
    snapshot = (
        list(db.query("SELECT * FROM contacts ORDER BY id")),
        list(db.query("SELECT * FROM consent ORDER BY id")),
    )
    update = tmp_path / "update.csv"
    update.write_text(
        "Name,Email,Phone,Tags\n"
        "Maria Garcia,maria.garcia@example.com,,vip\n"
        "New Person,new.person@example.com,,\n"
    )
    second = import_file(db, update)
    assert (second.imported, second.merged) == (1, 1)

    undo_import(db, second.import_id)  # type: ignore[arg-type]

    assert (
        list(db.query("SELECT * FROM contacts ORDER BY id")),
        list(db.query("SELECT * FROM consent ORDER BY id")),
    ) == snapshot
    batches = list_imports(db)
    assert batches[0].undone_at is not None
    assert batches[0].report["imported"] == 1
    with pytest.raises(ValidationError, match="already undone"):
        undo_import(db, second.import_id)  # type: ignore[arg-type]


def test_undo_of_an_older_import_waits_for_the_newer(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Email,Tags\nx@example.com,one\n")
    first = import_file(db, path)
    path.write_text("Email,Tags\nx@example.com,two\n")
    import_file(db, path)

    with pytest.raises(ValidationError, match="undo it first"):
        undo_import(db, first.import_id)  # type: ignore[arg-type]


def test_cancelled_import_leaves_nothing(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    lines = [f"Person {i},p{i}@example.com" for i in range(2500)]
    path.write_text("Name,Email\n" + "\n".join(lines) + "\n")
    calls: list[tuple[int, int]] = []

    with pytest.raises(ValidationError, match="cancelled"):
        import_file(
            db,
            path,
            progress=lambda done, total: calls.append((done, total)),
            cancel=lambda: len(calls) >= 2,
        )

    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
    assert calls[0] == (1000, 2500)


def test_empty_and_header_only_files_report_a_message(
    db: sqlite_utils.Database,
) -> None:
    empty = import_file(db, SAMPLES / "messy_empty.csv")
    header = import_file(db, SAMPLES / "messy_header-only_crlf.csv")
    assert empty.message == "The file is empty."
    assert header.message == "The file has a header but no data rows."
    assert empty.to_json()["imported"] == 0
    assert header.import_id is None


def test_unreadable_files_raise_one_clear_message(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="cannot find"):
        import_file(db, tmp_path / "missing.csv")
    workbook = tmp_path / "customers.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(ValidationError, match=r"customers\.xlsx"):
        import_file(db, workbook)
    no_channels = tmp_path / "names.csv"
    no_channels.write_text("Name,City\nAda,London\n")
    with pytest.raises(ValidationError, match=r"names\.csv.*line 1"):
        import_file(db, no_channels)


def test_mapping_override_changes_a_column(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Who,Reach me\nAda,ada@example.com\n")
    report = import_file(
        db, path, mapping_overrides={"Who": "full_name", "Reach me": "email"}
    )
    assert report.imported == 1
    assert _contacts(db)[0]["full_name"] == "Ada"


def test_carrier_gateway_email_becomes_phone(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "gw.csv"
    path.write_text("Name,Email\nGina Gate,2025550143@vtext.com\n")
    report = import_file(db, path)
    gina = _by_name(db, "Gina Gate")
    assert gina["email"] is None
    assert gina["phone"] == "+12025550143"
    assert any("AT&T and T-Mobile" in w["message"] for w in report.warnings)


def test_utf16_tab_separated_excel_unicode_text(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(
        "Name\tE-mail\tMobile\nJürgen Groß\tj@example.de\t+49 30 23125 001\n".encode(
            "utf-16"
        )
    )
    report = import_file(db, path)
    assert report.imported == 1
    assert _by_name(db, "Jürgen Groß")["phone"] == "+493023125001"


def test_phone_numbers_are_stored_as_text(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "square_customers_export_us_synthetic.csv")
    types = {row[0] for row in db.execute("SELECT typeof(phone) FROM contacts")}
    assert types <= {"text", "null"}


def test_undo_of_a_large_import_removes_every_contact(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "large.csv"
    lines = [f"Person {i},p{i}@example.com,yes" for i in range(2500)]
    path.write_text("Name,Email,Accepts Email Marketing\n" + "\n".join(lines) + "\n")
    report = import_file(db, path)
    assert report.imported == 2500
    assert db.execute("SELECT count(*) FROM consent").fetchone()[0] == 2500

    undo_import(db, report.import_id)  # type: ignore[arg-type]

    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    # The ledger keeps the proof, by address, for the deleted contacts.
    kept = db.execute(
        "SELECT count(*) FROM consent WHERE contact_id IS NULL"
        " AND recipient LIKE 'p%@example.com'"
    ).fetchone()[0]
    assert kept == 2500


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("shopify_customers_export_2023_cl.csv", {(24, "name"), (27, "phone")}),
        ("square_customers_export_us_synthetic.csv", {(3, "phone")}),
        ("messy_duplicates_phone-and-email-formats.csv", {(5, "phone")}),
    ],
)
def test_possible_duplicates_are_flagged_not_merged(
    db: sqlite_utils.Database, name: str, flagged: set[tuple[int, str]]
) -> None:
    report = import_file(db, SAMPLES / name)
    found = {
        (w["row"], "name" if "same name" in w["message"] else "phone")
        for w in report.warnings
        if w["message"].startswith("Possible duplicate")
    }
    assert found == flagged


def test_preview_shows_mapping_and_rows_without_writing(
    db: sqlite_utils.Database,
) -> None:
    from desktop_app.services.importing import preview_file

    preview = preview_file(
        db,
        SAMPLES / "square_customers_export_us_synthetic.csv",
        mapping_overrides={"Nickname": "ignore"},
        limit=5,
    )

    assert preview.report.format == "square"
    assert preview.header[0] == "Reference ID"
    assert preview.report.mapping["Phone Number"].startswith("phone")
    assert [row["row"] for row in preview.rows] == [1, 2, 3, 4, 5]
    assert preview.rows[0]["phone"] == "+15625550148"
    assert preview.rows[3]["rejected"]
    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
    assert preview.to_json()["rows"][0]["email"] == "maria.santos@example.com"


CONSENT_CSV = (
    "First Name,Last Name,Email,Phone,Accepts SMS Marketing,Accepts Email Marketing\n"
    "Ana,Test,ana@example.com,(212) 555-0111,yes,yes\n"
    "Ben,Test,ben@example.com,(212) 555-0112,yes,yes\n"
)


def _status(db: sqlite_utils.Database, email: str, channel: str) -> str:
    (row,) = db.execute("SELECT id FROM contacts WHERE email = ?", [email]).fetchall()
    return consent.current_consent(db, row[0], channel)


def test_undo_never_forgets_an_opt_out_made_since(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = tmp_path / "shop.csv"
    path.write_text(CONSENT_CSV, encoding="utf-8")
    report = import_file(db, path, region="US")
    (ana,) = db.execute("SELECT id FROM contacts WHERE email = 'ana@example.com'")
    consent.record_consent(
        db, ana[0], "sms", "opted_out", source="reply", evidence="STOP"
    )

    batch = undo_import(db, report.import_id)  # type: ignore[arg-type]

    assert batch.undo is not None
    assert (batch.undo.deleted, batch.undo.kept_contacts) == (1, 1)
    assert "1 contact it added is kept because it opted out" in batch.undo_text()
    assert [c.email for c in list_contacts(db)] == ["ana@example.com"]
    assert _status(db, "ana@example.com", "sms") == "opted_out"
    # The file's email consent for Ana is taken back with a new ledger row.
    assert _status(db, "ana@example.com", "email") == "unknown"
    sources = [r["source"] for r in db.query("SELECT source FROM consent ORDER BY id")]
    assert sources.count("undo") == 1

    import_file(db, path, region="US")  # the same file again

    assert _status(db, "ana@example.com", "sms") == "opted_out"
    assert _status(db, "ben@example.com", "sms") == "opted_in"


def test_undo_keeps_an_opt_out_the_file_recorded_and_only_adds_rows(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(CONSENT_CSV, encoding="utf-8")
    import_file(db, first, region="US")
    rows_before = list(db.query("SELECT * FROM consent ORDER BY id"))
    second = tmp_path / "second.csv"
    second.write_text(
        "Email,Accepts SMS Marketing,Accepts Email Marketing\n"
        "ana@example.com,no,unsubscribed\n"
        "ben@example.com,yes,no\n",
        encoding="utf-8",
    )
    report = import_file(db, second, region="US")
    assert _status(db, "ana@example.com", "email") == "opted_out"

    batch = undo_import(db, report.import_id)  # type: ignore[arg-type]

    assert batch.undo is not None and batch.undo.kept_opt_outs >= 1
    assert _status(db, "ana@example.com", "email") == "opted_out"
    assert _status(db, "ben@example.com", "sms") == "opted_in"
    rows_after = list(db.query("SELECT * FROM consent ORDER BY id"))
    assert rows_after[: len(rows_before)] == rows_before  # nothing deleted
    assert len(rows_after) >= len(rows_before) + 1
    assert "opt-outs recorded by this import stay in force" in batch.undo_text()


def _write_csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reimport_with_no_withdraws_earlier_consent(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    import_file(db, _write_csv(tmp_path, "june.csv", CONSENT_CSV), region="US")
    later = _write_csv(
        tmp_path,
        "july.csv",
        "Email,Accepts SMS Marketing,Accepts Email Marketing\n"
        "ben@example.com,yes,yes\n"
        "ana@example.com,No,false\n",
    )

    report = import_file(db, later, region="US")

    assert _status(db, "ana@example.com", "sms") == "opted_out"
    assert _status(db, "ana@example.com", "email") == "opted_out"
    assert _status(db, "ben@example.com", "sms") == "opted_in"
    evidence = {
        row["channel"]: row["evidence"]
        for row in db.query(
            "SELECT channel, evidence FROM consent WHERE import_id = ?",
            [report.import_id],
        )
    }
    assert evidence == {
        "sms": "july.csv row 2: Accepts SMS Marketing=No "
        "(this customer had agreed before)",
        "email": "july.csv row 2: Accepts Email Marketing=false "
        "(this customer had agreed before)",
    }
    warned = {(w["row"], w["field"]) for w in report.warnings}
    assert warned == {(2, "Accepts SMS Marketing"), (2, "Accepts Email Marketing")}
    assert all("no longer does" in w["message"] for w in report.warnings)


@pytest.mark.parametrize("cell", ["", "   ", "maybe", "pending"])
def test_reimport_with_an_empty_or_unclear_cell_keeps_consent(
    db: sqlite_utils.Database, tmp_path: Path, cell: str
) -> None:
    import_file(db, _write_csv(tmp_path, "june.csv", CONSENT_CSV), region="US")
    later = _write_csv(
        tmp_path, "july.csv", f"Email,Accepts SMS Marketing\nana@example.com,{cell}\n"
    )

    report = import_file(db, later, region="US")

    assert _status(db, "ana@example.com", "sms") == "opted_in"
    assert report.warnings == []


def test_first_import_with_no_stays_unknown(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = _write_csv(
        tmp_path, "first.csv", "Email,Accepts SMS Marketing\ncy@example.com,no\n"
    )

    report = import_file(db, path, region="US")

    assert _status(db, "cy@example.com", "sms") == "unknown"
    assert report.warnings == []


def test_hubspot_non_marketing_is_no_withdrawal(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    import_file(db, SAMPLES / "hubspot_all-contacts_export_synthetic.csv")
    (john,) = db.execute(
        "SELECT id FROM contacts WHERE email_key = 'john.smith@example.com'"
    ).fetchall()
    consent.record_consent(db, john[0], "email", "opted_in", source="manual")

    report = import_file(db, SAMPLES / "hubspot_all-contacts_export_synthetic.csv")

    assert consent.current_consent(db, john[0], "email") == "opted_in"
    assert not any("no longer does" in w["message"] for w in report.warnings)


def test_undo_keeps_the_ledger_of_the_contacts_it_deletes(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    lines = [f"P{i},p{i}@example.com,(212) 555-01{i:02d},yes" for i in range(15)]
    path = _write_csv(
        tmp_path,
        "shop.csv",
        "First Name,Email,Phone,Accepts SMS Marketing,Accepts Email Marketing\n"
        + "\n".join(f"{line},yes" for line in lines)
        + "\n",
    )
    report = import_file(db, path, region="US")
    before = list(db.query("SELECT * FROM consent ORDER BY id"))
    assert len(before) == 30

    undo_import(db, report.import_id)  # type: ignore[arg-type]

    after = list(db.query("SELECT * FROM consent ORDER BY id"))
    assert [(r["id"], r["status"], r["evidence"]) for r in after] == [
        (r["id"], r["status"], r["evidence"]) for r in before
    ]
    assert {r["contact_id"] for r in after} == {None}
    assert {r["recipient"] for r in after if r["channel"] == "sms"} == {
        f"+1212555{i:04d}" for i in range(100, 115)
    }


def test_reimport_after_delete_keeps_the_opt_out(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    from desktop_app.services.contacts import delete_contacts

    import_file(db, _write_csv(tmp_path, "june.csv", CONSENT_CSV), region="US")
    (ana,) = db.execute("SELECT id FROM contacts WHERE email = 'ana@example.com'")
    consent.record_consent(db, ana[0], "email", "opted_out", source="email")
    assert delete_contacts(db, [ana[0]]).deleted == [ana[0]]

    report = import_file(db, _write_csv(tmp_path, "july.csv", CONSENT_CSV))

    assert _status(db, "ana@example.com", "email") == "opted_out"
    assert _status(db, "ana@example.com", "sms") == "opted_in"
    messages = [w["message"] for w in report.warnings if w["row"] == 1]
    assert len(messages) == 2
    assert messages[0].startswith("ana@example.com opted out of email on ")
    assert messages[0].endswith(", before this contact was added; the opt-out is kept.")
    assert messages[1].startswith("Accepts Email Marketing=yes ignored")


def test_mailchimp_timezone_fills_the_contact(db: sqlite_utils.Database) -> None:
    import_file(db, SAMPLES / "mailchimp_audience_export_sample_tags-gmtoff.csv")

    zones = {c.email: c.timezone for c in list_contacts(db) if c.email is not None}

    assert zones["john.doe@example.com"] == "America/Chicago"
    assert zones["jane.smith@example.com"] == "America/New_York"
    assert sorted(set(zones.values())) == [
        "",
        "America/Chicago",
        "America/Los_Angeles",
        "America/New_York",
    ]


def test_reimport_fills_an_empty_timezone_only(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    header = "Email Address,TIMEZONE,LEID\n"
    import_file(db, _write_csv(tmp_path, "a.csv", header + "a@example.com,,1\n"))
    import_file(
        db, _write_csv(tmp_path, "b.csv", header + "a@example.com,europe/paris,1\n")
    )
    assert [c.timezone for c in list_contacts(db)] == ["Europe/Paris"]
    db.execute("UPDATE contacts SET timezone = 'Europe/Berlin'")

    import_file(
        db, _write_csv(tmp_path, "c.csv", header + "a@example.com,Asia/Tokyo,1\n")
    )

    assert [c.timezone for c in list_contacts(db)] == ["Europe/Berlin"]


def test_an_email_the_file_says_bounced_is_never_emailed(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    from desktop_app.services import sending
    from desktop_app.storage import messages, settings, templates

    import_file(db, SAMPLES / "square_customers_export_us_synthetic.csv", region="US")
    settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
    templates.save_template(
        db, name="News", sms_body="New stock", email_subject="News",
        email_body="New stock is in.",
    )  # fmt: skip

    bounced = messages.bounced_addresses(db)
    plan = sending.plan_send(db, template_name="News", everyone=True)

    assert list(bounced) == ["r.ortega@example.invalid"]
    assert "Email Subscription Status=bounced" in bounced["r.ortega@example.invalid"]
    (rosa,) = [m for m in plan.messages if m.to == "r.ortega@example.invalid"]
    assert rosa.action == "skip" and "bounced" in (rosa.reason or "")
