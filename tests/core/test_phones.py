"""Phone cells: plausibility, spreadsheet damage, extensions and E.164."""

import pytest

from desktop_app.core.phones import parse_phone, split_phone_cell


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+44 (0) 20 7946 0958", "US", "+442079460958"),
        ("'+56 9 7775 2709", "US", "+56977752709"),
        ("'9 5838 5091", "CL", "+56958385091"),
        ("＋１ ５５５ ０１０ ０１９３", "US", "+15550100193"),
        ("+1\u00a0555\u2011010\u20110192", "US", "+15550100192"),
        ("0049 30 23125 001", "US", "+493023125001"),
        ("\u202a+91 70 34 066639\u202c", "US", "+917034066639"),
    ],
)
def test_parse_phone_normalises_to_e164(raw: str, region: str, e164: str) -> None:
    result = parse_phone(raw, region)
    assert result.plausible
    assert result.e164 == e164


@pytest.mark.parametrize(
    "raw",
    [
        "4.47E+11",
        "4.4712345678E+11",
        "447700900123.0",
        "N/A",
        "0",
        "123",
        "*123#",
        "000-000-0000",
        "(111) 111-1111",
        "+1 555 CALL NOW",
        "-1+1",
        "+1 555 010 0195 0195 0195",
    ],
)
def test_parse_phone_refuses_implausible_and_damaged_cells(raw: str) -> None:
    result = parse_phone(raw, "US")
    assert not result.plausible
    assert result.e164 is None
    assert result.warning


def test_parse_phone_never_repairs_scientific_notation() -> None:
    result = parse_phone("4.47E+11", "GB")
    assert "scientific" in (result.warning or "")


def test_parse_phone_keeps_extension_apart() -> None:
    result = parse_phone("(555) 010-0198 x204", "US")
    assert result.extension == "204"
    assert result.e164 == "+15550100198"

    hubspot = parse_phone("+1 212 555 0123 ext 204", "US")
    assert (hubspot.e164, hubspot.extension) == ("+12125550123", "204")


def test_parse_phone_keeps_unnormalisable_number_with_warning() -> None:
    result = parse_phone("555-0199", "US")
    assert result.plausible
    assert result.e164 is None
    assert "could not be normalised" in (result.warning or "")


def test_parse_phone_gives_no_e164_to_a_stray_trunk_zero() -> None:
    result = parse_phone("0311111111", "US")
    assert result.plausible
    assert result.e164 is None


def test_parse_phone_reads_peru_number_missing_its_plus_with_warning() -> None:
    result = parse_phone("'51962504608", "CL")
    assert result.e164 == "+51962504608"
    assert result.kind == "mobile"
    assert "PE" in (result.warning or "")


def test_parse_phone_tells_mobile_from_fixed_line() -> None:
    assert parse_phone("+44 7700 900123", "US").kind in ("mobile", "unknown")
    assert parse_phone("+34 600 000 111", "US").kind == "mobile"
    assert parse_phone("+44 20 7946 0958", "US").kind == "fixed_line"


def test_fictitious_555_number_gets_e164_and_a_warning() -> None:
    result = parse_phone("+1 555 010 0101", "US")
    assert result.e164 == "+15550100101"
    assert not result.valid
    assert "not a valid number" in (result.warning or "")


def test_split_phone_cell_on_google_and_semicolon_separators() -> None:
    assert split_phone_cell("+1-555-010-0197;+1-555-010-0196") == [
        "+1-555-010-0197",
        "+1-555-010-0196",
    ]
    assert split_phone_cell("82 81 294450 ::: +91 70 34 066639") == [
        "82 81 294450",
        "+91 70 34 066639",
    ]
