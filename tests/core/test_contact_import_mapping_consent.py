"""Consent refusals and time zones as the column mapping reads them."""

import pytest

from desktop_app.core.contact_import import mapping


@pytest.mark.parametrize(
    ("key", "value", "refusal"),
    [
        ("acceptssmsmarketing", "no", True),
        ("acceptssmsmarketing", " No ", True),
        ("acceptsemailmarketing", "FALSE", True),
        ("acceptsemailmarketing", "0", True),
        ("acceptsemailmarketing", "n", True),
        ("emailconsent", "nein", True),
        ("emailconsent", "non", True),
        ("emailsubscriptionstatus", "not subscribed", True),
        ("emailsubscriptionstatus", "Not-Subscribed", True),
        ("acceptssmsmarketing", "", False),
        ("acceptssmsmarketing", "yes", False),
        ("acceptssmsmarketing", "maybe", False),
        ("cleantime", "2024-01-01", False),
        ("marketingcontactstatus", "Non-marketing contact", False),
        ("marketingcontactstatus", "no", False),
        ("unsubscribed", "no", False),
    ],
)
def test_is_refusal(key: str, value: str, refusal: bool) -> None:
    assert mapping.is_refusal(key, value) is refusal


def test_a_no_cell_stays_unknown_but_is_marked_as_refusal() -> None:
    header = ["Email", "Accepts SMS Marketing", "Accepts Email Marketing"]
    columns = mapping.build_mapping(header)

    record = mapping.row_to_record(["a@example.com", "no", ""], columns, 1)

    assert [(v.channel, v.status, v.refusal) for v in record.consent] == [
        ("sms", "unknown", True)
    ]


@pytest.mark.parametrize(
    ("cell", "zone"),
    [
        ("america/chicago", "America/Chicago"),
        ("  AMERICA/NEW_YORK ", "America/New_York"),
        ("Europe/Paris", "Europe/Paris"),
        ("utc", "UTC"),
        ("", ""),
        ("mars/base", ""),
        ("-05:00", ""),
    ],
)
def test_timezone_name(cell: str, zone: str) -> None:
    assert mapping.timezone_name(cell) == zone


def test_mailchimp_timezone_column_fills_the_record() -> None:
    header = ["Email Address", "GMTOFF", "DSTOFF", "TIMEZONE", "LEID"]
    columns = mapping.build_mapping(header)

    record = mapping.row_to_record(
        ["a@example.com", "'-6", "'-5", "america/chicago", "1"], columns, 1
    )
    unknown = mapping.row_to_record(
        ["b@example.com", "", "", "nowhere/land", "2"], columns, 2
    )

    assert columns.format == "mailchimp"
    assert columns.to_json()["TIMEZONE"] == "timezone"
    assert record.timezone == "America/Chicago"
    assert unknown.timezone == ""


def test_timezone_can_be_chosen_as_an_override() -> None:
    columns = mapping.build_mapping(["Email", "Zone"], {"Zone": "timezone"})

    record = mapping.row_to_record(["a@example.com", "asia/tokyo"], columns, 1)

    assert record.timezone == "Asia/Tokyo"
