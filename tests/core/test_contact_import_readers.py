"""Bytes to text, CSV splitting, vCard parsing and header mapping."""

import codecs

from desktop_app.core.contact_import import mapping, reading, vcard
from desktop_app.core.contact_import.csv_records import split_csv
from tests.conftest import SAMPLES


def _vcards(name: str) -> list:
    text, _ = reading.decode_bytes((SAMPLES / name).read_bytes(), vcard=True)
    return vcard.read_vcards(text)


def test_decode_detects_boms_utf16_and_cp1252() -> None:
    assert reading.decode_bytes(codecs.BOM_UTF8 + "Né".encode()) == ("Né", "utf-8")
    assert reading.decode_bytes("a,b\nÅ,ß\n".encode("utf-16"))[0] == "a,b\nÅ,ß\n"
    assert reading.decode_bytes("a,b\nÅ,ß\n".encode("utf-16-le"))[0] == "a,b\nÅ,ß\n"
    text, encoding = reading.decode_bytes("Weiß;Zoë – 10 €\n".encode("cp1252"))
    assert (text, encoding) == ("Weiß;Zoë – 10 €\n", "cp1252")


def test_shift_jis_vcard_names_decode() -> None:
    cards = _vcards("vcard21_shift-jis_multiple-entries_aosp.vcf")
    assert [card.last_name for card in cards] == [
        "安藤ロイド3",
        "安藤ロイド4",
        "安藤ロイド5",
    ]


def test_vcard40_sort_as_name_decodes() -> None:
    (card,) = _vcards("vcard40_sort-as_japanese_aosp.vcf")
    assert f"{card.last_name} {card.first_name}" == "安藤 ロイド"


def test_quoted_printable_names_decode() -> None:
    cards = _vcards("vcard21_android_qp-utf8-softbreaks_multi-card.vcf")
    assert len(cards) == 6
    assert "Ñ" in cards[2].full_name
    assert "=" not in cards[2].full_name


def test_agent_is_not_a_second_card() -> None:
    cards = _vcards("vcard30_webdav-collaborator_outlook-import_agent.vcf")
    assert len(cards) == 1
    assert cards[0].full_name.startswith("Nachname;")


def test_leading_junk_and_crcrlf_are_ignored() -> None:
    assert len(_vcards("vcard30_leading-junk-line_crlf_base64-photo.vcf")) == 2
    (card,) = _vcards("vcard30_iphone-ios5_item-labels_photo.vcf")
    assert len(card.phones) == 7
    assert "assistantphone" in [phone.label for phone in card.phones]


def test_lowercase_properties_and_tel_uri_extension() -> None:
    (lower,) = _vcards("vcard21_lowercase-props_version-not-second.vcf")
    assert [e.value for e in lower.emails] == ["gessleri@example.net"]
    (holmes,) = _vcards("vcard40_kde_tel-uri_ext_full.vcf")
    assert holmes.phones[0].value == "+44-555-555-5555 ext. 5555"
    assert holmes.tags == ["FICTION", "LITERATURE"]


def test_nested_agent_card_lines_are_skipped() -> None:
    text = (
        "BEGIN:VCARD\nVERSION:2.1\nFN:Boss\nEMAIL:boss@example.com\nAGENT:\n"
        "BEGIN:VCARD\nFN:Helper\nEMAIL:helper@example.com\nEND:VCARD\n"
        "TEL:+1 555 010 0150\nEND:VCARD\n"
    )
    (card,) = vcard.read_vcards(text)
    assert card.full_name == "Boss"
    assert [e.value for e in card.emails] == ["boss@example.com"]
    assert len(card.phones) == 1


def test_split_csv_sep_line_and_truncation() -> None:
    table = split_csv("sep=;\nA;B\n1;2\n")
    assert table is not None
    assert (table.delimiter, table.header, list(table.records())) == (
        ";",
        ["A", "B"],
        [["1", "2"]],
    )
    cut = split_csv('Name,Note\nAda,"fine"\nBob,"cut off\n')
    assert cut is not None and cut.truncated
    assert [r[0] for r in cut.records()] == ["Ada", "Bob"]


def test_split_csv_tab_and_quoted_newlines() -> None:
    table = split_csv('Name\tNote\n"Ada\nLovelace"\t"a\tb"\n')
    assert table is not None
    assert list(table.records()) == [["Ada\nLovelace", "a\tb"]]


def test_header_keys_and_detection() -> None:
    assert mapping.header_key("E-Mail-Adresse") == mapping.header_key("EmailAdresse")
    shopify = mapping.build_mapping(
        ["First Name", "Email", "Accepts SMS Marketing", "Phone"]
    )
    assert shopify.format == "shopify"
    assert shopify.to_json()["Accepts SMS Marketing"].startswith("consent_sms")
    google = mapping.build_mapping(
        ["Name", "Group Membership", "Phone 1 - Type", "Phone 1 - Value"]
    )
    assert google.format == "google"
    record = mapping.row_to_record(
        [
            "Ann",
            "* myContacts ::: VIP",
            "* Mobile",
            "+1 555 010 0100 ::: +1 555 010 0101",
        ],
        google,
        1,
    )
    assert record.tags == ["VIP"]
    assert record.phones[0].label == "mobile"


def test_consent_values() -> None:
    assert mapping.consent_status("acceptssmsmarketing", "no") == "unknown"
    assert mapping.consent_status("acceptssmsmarketing", "yes") == "opted_in"
    for word in ("STOP", "stop", "Stopped", "opted out", "Cancelled", "withdrawn"):
        assert mapping.consent_status("smsconsent", word) == "opted_out", word
    assert (
        mapping.consent_status("emailsubscriptionstatus", "unsubscribed") == "opted_out"
    )
    assert mapping.consent_status("acceptsemailmarketing", " ") is None
