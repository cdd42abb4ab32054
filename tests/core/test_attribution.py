"""Last-touch attribution: the window, the most recent pair, email or phone."""

from datetime import UTC, datetime, timedelta

from desktop_app.core.attribution import (
    Sale,
    Touch,
    TouchIndex,
    attribute_sales,
    customer_keys,
    parse_utc,
)

T0 = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
ANN = customer_keys(["Ann@Example.com"], ["+15550100101"])


def touch(message_id: int, campaign_id: int, at: datetime, keys=ANN, channel="sms"):
    return Touch(message_id, campaign_id, channel, None, at, 1, frozenset(keys))


def sale(sale_id: int, at: datetime, keys=ANN, amount: float = 20.0) -> Sale:
    return Sale(sale_id, at, amount, "USD", frozenset(keys))


def test_sale_before_the_message_is_not_attributed() -> None:
    result = attribute_sales([sale(1, T0 - timedelta(minutes=1))], [touch(1, 1, T0)])

    assert result[0].touch is None


def test_sale_inside_the_window_is_attributed() -> None:
    result = attribute_sales([sale(1, T0 + timedelta(days=2))], [touch(1, 7, T0)])

    assert result[0].touch is not None
    assert result[0].touch.campaign_id == 7


def test_sale_after_the_window_is_not_attributed() -> None:
    touches = [touch(1, 1, T0)]

    inside = attribute_sales([sale(1, T0 + timedelta(days=7))], touches, 7)
    outside = attribute_sales([sale(2, T0 + timedelta(days=7, seconds=1))], touches, 7)
    shorter = attribute_sales([sale(3, T0 + timedelta(days=2))], touches, 1)

    assert inside[0].touch is not None
    assert outside[0].touch is None
    assert shorter[0].touch is None


def test_two_campaigns_in_the_window_the_most_recent_wins() -> None:
    touches = [
        touch(1, 1, T0),
        touch(2, 1, T0 + timedelta(minutes=1), channel="email"),
        touch(3, 2, T0 + timedelta(days=3)),
        touch(4, 3, T0 + timedelta(days=6)),  # after the sale
    ]

    result = attribute_sales([sale(1, T0 + timedelta(days=4))], touches)

    assert result[0].touch is not None
    assert result[0].touch.message_id == 3


def test_match_by_phone_only() -> None:
    buyer = customer_keys([], ["+15550100101"])

    result = attribute_sales(
        [sale(1, T0 + timedelta(hours=1), buyer)], [touch(1, 4, T0)]
    )

    assert result[0].touch is not None
    assert result[0].matched_by == "phone"


def test_email_matches_case_insensitively() -> None:
    buyer = customer_keys(["  ANN@example.COM "], [])

    result = attribute_sales(
        [sale(1, T0 + timedelta(hours=1), buyer)], [touch(1, 4, T0)]
    )

    assert result[0].matched_by == "email"


def test_another_customer_is_not_matched() -> None:
    other = customer_keys(["bo@example.com"], ["+15550100102"])

    result = attribute_sales(
        [sale(1, T0 + timedelta(hours=1), other)], [touch(1, 4, T0)]
    )

    assert result[0].touch is None


def test_customer_keys_ignore_blanks_and_non_e164() -> None:
    keys = customer_keys(
        ["", None, "A@example.com"], ["555-0101", None, "+15550100103"]
    )

    assert keys == {"e:a@example.com", "p:+15550100103"}


def test_index_prefers_the_later_of_equal_times_by_message_id() -> None:
    index = TouchIndex([touch(5, 1, T0), touch(9, 2, T0)])

    found = index.last_before(ANN, T0, timedelta(days=1))

    assert found is not None and found[0].message_id == 9


def test_parse_utc_reads_offsets_and_naive_times() -> None:
    assert parse_utc("2024-05-01T11:00:00-04:00") == T0
    assert parse_utc("2024-05-01T15:00:00") == T0
