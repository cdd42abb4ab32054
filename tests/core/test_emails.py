"""E-mail cells: validity rules, unwrapping, splitting and carrier gateways."""

import pytest

from desktop_app.core.emails import email_key, is_valid_email, parse_email_cell


@pytest.mark.parametrize(
    "address",
    [
        "john@",
        "@example.com",
        "jane.doe@example",
        "a b@example.com",
        "jane..doe@example.com",
        "jane@exa_mple.com",
        "erin@@example.com",
        ".x@example.com",
        "x.@example.com",
        "invalid.email.com",
        "x@example.c0m",
    ],
)
def test_invalid_addresses(address: str) -> None:
    assert not is_valid_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "frank@example.com",
        "hans@bücher.example",
        "oezdemir@ueglue.tu",
        "dexter@pixelforge-demo.agency",
        "a+b@example.co.uk",
    ],
)
def test_valid_addresses(address: str) -> None:
    assert is_valid_email(address)


def test_cell_unwraps_mailto_and_display_name() -> None:
    assert parse_email_cell("mailto:bob@example.com").valid == ("bob@example.com",)
    cell = parse_email_cell("Bob Smith <bob.smith@example.com>")
    assert cell.valid == ("bob.smith@example.com",)


def test_cell_splits_multi_values() -> None:
    assert parse_email_cell("carol@example.com;dave@example.com").valid == (
        "carol@example.com",
        "dave@example.com",
    )
    assert parse_email_cell("a@example.com ::: b@example.org").valid == (
        "a@example.com",
        "b@example.org",
    )


def test_email_key_ignores_case_and_spaces() -> None:
    assert email_key(" Maria.Garcia@Example.com ") == email_key(
        "maria.garcia@example.com"
    )


def test_gateway_address_becomes_phone() -> None:
    cell = parse_email_cell("2025550143@txt.att.net")
    assert cell.valid == ()
    assert cell.gateway_phones == ("2025550143",)
    assert cell.gateway_domains == ("txt.att.net",)
