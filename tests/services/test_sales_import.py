"""Sales exports: columns recognised, amounts and times read, re-imports not doubled."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.services import sales_import
from desktop_app.services.sales_import import (
    decimal_comma_column,
    detect_columns,
    import_sales,
    parse_amount,
    parse_time,
)
from desktop_app.storage import sales as sales_store
from desktop_app.storage import settings

SHOPIFY = """\
Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Total,\
Lineitem quantity,Lineitem name,Created at,Phone
#1001,Ann@Example.com,paid,,fulfilled,USD,"1,300.00","$1,320.00",1,Mug,\
2024-03-01 10:15:00 -0500,
#1001,Ann@Example.com,,,,,,,2,Cup,2024-03-01 10:15:00 -0500,
#1002,bo@example.com,refunded,,,USD,12.00,12.00,1,Mug,2024-03-02 09:00:00 -0500,
#1003,,paid,,,USD,8.00,8.00,1,Tea,2024-03-03 17:45:00 -0500,+1 555 010 0103
#1004,,paid,,,USD,8.00,8.00,1,Tea,2024-03-03 17:45:00 -0500,
#1005,cy@example.com,paid,,,USD,8.00,eight,1,Tea,2024-03-03 17:45:00 -0500,
#1006,di@example.com,paid,,,USD,8.00,8.00,1,Tea,yesterday,
"""

WOO = """\
Order Number,Order Status,Order Date,Billing Email,Billing Phone,Order Total,Order Currency
501,completed,2024-03-10 23:30:00,ann@example.com,,"1.234,56",EUR
502,cancelled,2024-03-10 12:00:00,bo@example.com,,"10,00",EUR
503,processing,2024-03-11 08:00:00,,(555) 010-0104,"99,90",EUR
"""

SQUARE = """\
Date,Time,Time Zone,Gross Sales,Total Collected,Transaction ID,Customer Name,Phone
2024-03-05,14:02:11,Pacific Time (US & Canada),$25.00,$25.00,TX1,Ann,+15550100101
2024-03-05,15:00:00,Pacific Time (US & Canada),($5.00),($5.00),TX2,Ann,+15550100101
"""

GENERIC = """\
customer_email;when;amount
ann@example.com;03/04/2024 2:30 PM;19,99
bo@example.com;2024-03-05;5,00
ann@example.com;03/04/2024 2:30 PM;19,99
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


@pytest.fixture
def shop_db(db: sqlite_utils.Database) -> sqlite_utils.Database:
    settings.set_setting(db, "shop.timezone", "America/New_York")
    return db


def test_shopify_orders_export(shop_db: sqlite_utils.Database, tmp_path: Path) -> None:
    report = import_sales(shop_db, write(tmp_path, "orders_export.csv", SHOPIFY))

    assert report.format == "shopify"
    assert (report.rows, report.imported, report.order_lines) == (7, 2, 1)
    assert (report.skipped, report.rejected, report.duplicates) == (1, 3, 0)
    assert report.skipped_rows == [{"row": 4, "reason": "order status is 'refunded'"}]
    assert [(r["row"], r["field"]) for r in report.rejected_rows] == [
        (6, "Email / Phone"), (7, "Total"), (8, "Created at"),
    ]  # fmt: skip
    assert "'eight' is not an amount" in report.rejected_rows[1]["reason"]
    assert "'yesterday' is not a date and time" in report.rejected_rows[2]["reason"]
    stored = sales_store.list_sales(shop_db)
    assert [(s.external_id, s.email_key, s.phone, s.amount, s.currency)
            for s in stored] == [
        ("#1001", "ann@example.com", None, 1320.0, "USD"),
        ("#1003", None, "+15550100103", 8.0, "USD"),
    ]  # fmt: skip
    assert stored[0].occurred_at == "2024-03-01T15:15:00+00:00"


def test_reimport_counts_duplicates_not_sales(
    shop_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "orders_export.csv", SHOPIFY)
    import_sales(shop_db, path)

    again = import_sales(shop_db, path)

    assert (again.imported, again.duplicates) == (0, 2)
    assert sales_store.count_sales(shop_db) == 2
    assert len(sales_store.list_sales_imports(shop_db)) == 2


def test_woocommerce_decimal_commas_and_shop_zone(
    shop_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    report = import_sales(shop_db, write(tmp_path, "woo.csv", WOO))

    assert report.format == "woocommerce"
    assert (report.imported, report.skipped) == (2, 1)
    stored = sales_store.list_sales(shop_db)
    assert [s.amount for s in stored] == [1234.56, 99.9]
    assert stored[0].currency == "EUR"
    # 23:30 in New York (EDT starts 10 March 2024, so UTC-4) is 03:30 UTC next day.
    assert stored[0].occurred_at == "2024-03-11T03:30:00+00:00"
    assert stored[1].phone == "+15550100104"


def test_square_transactions_use_their_time_zone_and_skip_refunds(
    shop_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    report = import_sales(shop_db, write(tmp_path, "transactions.csv", SQUARE))

    assert report.format == "square"
    assert (report.imported, report.skipped) == (1, 1)
    assert "zero or a refund" in report.skipped_rows[0]["reason"]
    stored = sales_store.list_sales(shop_db)
    assert stored[0].occurred_at == "2024-03-05T22:02:11+00:00"  # PST is UTC-8
    assert stored[0].external_id == "TX1"


def test_generic_csv_without_ids_and_with_a_cp1252_file(
    shop_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "ventes.csv", GENERIC, encoding="cp1252")

    report = import_sales(shop_db, path)
    again = import_sales(shop_db, path)

    assert report.format == "csv"
    assert (report.imported, report.duplicates) == (2, 1)
    assert again.imported == 0 and again.duplicates == 3
    assert report.warnings and "date but no time" in report.warnings[0]
    stored = sales_store.list_sales(shop_db)
    assert [s.amount for s in stored] == [19.99, 5.0]
    assert stored[0].occurred_at == "2024-03-04T19:30:00+00:00"  # 2:30 PM EST


def test_sale_matched_to_an_existing_contact(
    shop_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    shop_db["contacts"].insert(
        {"id": 9, "email": "ANN@example.com", "email_key": "ann@example.com",
         "created_at": "2024-01-01", "updated_at": "2024-01-01"}
    )  # fmt: skip

    report = import_sales(shop_db, write(tmp_path, "woo.csv", WOO))

    assert report.matched_contacts == 1
    assert sales_store.list_sales(shop_db)[0].contact_id == 9


def test_files_without_the_needed_columns_are_refused(
    shop_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="cannot find an amount"):
        import_sales(
            shop_db, write(tmp_path, "a.csv", "Email,Date\nx@example.com,2024-01-01\n")
        )
    with pytest.raises(ValidationError, match="cannot find the file"):
        import_sales(shop_db, tmp_path / "missing.csv")
    empty = import_sales(shop_db, write(tmp_path, "e.csv", ""))
    assert empty.message == sales_import.EMPTY_MESSAGE
    header_only = import_sales(shop_db, write(tmp_path, "h.csv", "Email,Date,Total\n"))
    assert header_only.message == sales_import.NO_ROWS_MESSAGE
    assert sales_store.count_sales(shop_db) == 0


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("$1,320.00", False, "1320.00"),
        ("1.234,56", True, "1234.56"),
        ("1 234,56 €", True, "1234.56"),
        ("1,234", False, "1234"),
        ("12,5", True, "12.5"),
        ("(12.00)", False, "-12.00"),
        ("-5", False, "-5"),
        ("USD 7.10", False, "7.10"),
        ("1.234.567,8", True, "1234567.8"),
        ("1,234,567", False, "1234567"),
        ("abc", False, None),
        ("", False, None),
    ],
)
def test_parse_amount(text: str, comma: bool, expected: str | None) -> None:
    result = parse_amount(text, decimal_comma=comma)

    assert result == (None if expected is None else Decimal(expected))


def test_decimal_comma_is_decided_by_the_column() -> None:
    assert decimal_comma_column(["1.234,56", "10,00"])
    assert not decimal_comma_column(["$1,320.00", "12.00"])
    assert not decimal_comma_column(["1,234", "5"])


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2024-03-01 10:15:00 -0500", False, datetime(2024, 3, 1, 15, 15, tzinfo=UTC)),
        ("2024-03-01T15:15:00Z", False, datetime(2024, 3, 1, 15, 15, tzinfo=UTC)),
        ("2024-07-01 10:00", False, datetime(2024, 7, 1, 14, 0, tzinfo=UTC)),
        ("03/04/2024 2:30 PM", False, datetime(2024, 3, 4, 19, 30, tzinfo=UTC)),
        ("03/04/2024 14:30", True, datetime(2024, 4, 3, 18, 30, tzinfo=UTC)),
        ("2024-11-03 01:30", False, datetime(2024, 11, 3, 5, 30, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, day_first: bool, expected: datetime) -> None:
    result = parse_time(text, ZoneInfo("America/New_York"), day_first=day_first)

    assert result is not None
    # Compared in UTC: an ambiguous local time never equals another zone's time.
    assert result[0].astimezone(UTC) == expected


def test_parse_time_refuses_nonsense() -> None:
    zone = ZoneInfo("UTC")
    assert parse_time("2024-02-30 10:00", zone) is None
    assert parse_time("13/13/2024", zone) is None
    assert parse_time("soon", zone) is None
    assert parse_time("03/04/2024 13:00 PM", zone) is None


def test_detect_columns_names_what_is_missing() -> None:
    with pytest.raises(ValidationError, match="customer email or phone"):
        detect_columns(["Order", "Date", "Total"])
    mapping = detect_columns(["Date", "Mobile", "Order Total", "Order ID"])
    assert {r: mapping.column(r) for r in ("time", "phone", "amount", "id")} == {
        "time": "Date", "phone": "Mobile", "amount": "Order Total", "id": "Order ID",
    }  # fmt: skip
