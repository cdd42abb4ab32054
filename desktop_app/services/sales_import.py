"""Import a sales export (Shopify, Square, WooCommerce or any CSV) for attribution.

Columns are recognised from the header: an order id, the buyer's email and/or phone,
a time and an amount (and a currency and status when present). Amounts may be
written ``$1,320.00`` or ``1.234,56 €``; times carry their UTC offset or are read in
the shop's time zone. The whole file is checked first and then written in one
transaction; a re-import of the same orders adds nothing. The report lists imported,
duplicate, skipped and rejected rows, each rejection with its row, column and reason.
"""

import hashlib
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from desktop_app.core import emails as email_rules
from desktop_app.core import phones as phone_rules
from desktop_app.core.contact_import import reading
from desktop_app.core.contact_import.csv_records import CsvTable, split_csv
from desktop_app.errors import StorageError, ValidationError
from desktop_app.storage import sales as sales_store
from desktop_app.storage.settings import get_setting

logger = logging.getLogger(__name__)

EMPTY_MESSAGE = "The file is empty."
NO_ROWS_MESSAGE = "The file has a header but no sales in it."
MAX_LISTED = 200

ROLES: dict[str, tuple[str, ...]] = {
    "id": (
        "order id", "order number", "order no", "order", "transaction id",
        "payment id", "receipt number", "invoice number", "invoice", "id",
    ),
    "email": (
        "email", "customer email", "billing email", "email billing", "buyer email",
        "email address", "e mail", "customer e mail", "billing email address",
    ),
    "phone": (
        "phone", "billing phone", "phone billing", "customer phone", "mobile",
        "phone number", "mobile phone", "cell", "shipping phone", "customer phone number",
    ),
    "time": (
        "created at", "paid at", "processed at", "order date", "date created",
        "transaction date", "completed date", "date paid", "ordered at",
        "timestamp", "date time", "datetime", "date", "when", "sold at",
    ),
    "clock": ("time",),
    "zone": ("time zone", "timezone"),
    "amount": (
        "total", "order total", "order total amount", "total collected",
        "grand total", "total amount", "amount", "gross sales", "net total",
        "revenue", "sale amount", "price",
    ),
    "currency": ("currency", "order currency", "currency code"),
    "status": (
        "financial status", "order status", "payment status", "transaction status",
        "status",
    ),
}  # fmt: skip
FALLBACK_WORDS = {"email": "email", "phone": "phone", "amount": "total"}
SKIP_STATUSES = {
    "refunded", "voided", "void", "cancelled", "canceled", "failed", "declined",
    "pending", "pending payment", "on hold", "draft", "trash", "expired",
}  # fmt: skip
SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "CHF": "CHF"}
# Square writes Rails zone names in its "Time Zone" column.
RAILS_ZONES = {
    "eastern time (us & canada)": "America/New_York",
    "central time (us & canada)": "America/Chicago",
    "mountain time (us & canada)": "America/Denver",
    "pacific time (us & canada)": "America/Los_Angeles",
    "arizona": "America/Phoenix",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "london": "Europe/London",
    "utc": "UTC",
}

_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_SLASHED = re.compile(
    r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*([AaPp]\.?[Mm]\.?)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?$")
_AMOUNT_JUNK = re.compile(r"[^\d.,()+-]")


@dataclass
class SalesImportReport:
    """What a sales import did, row by row where it matters."""

    file: str
    format: str = "csv"
    encoding: str | None = None
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    order_lines: int = 0
    skipped: int = 0
    rejected: int = 0
    matched_contacts: int = 0
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    skipped_rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    import_id: int | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the report as one JSON object."""
        return {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "order_lines": self.order_lines,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "matched_contacts": self.matched_contacts,
            "rejected_rows": self.rejected_rows,
            "skipped_rows": self.skipped_rows,
            "warnings": self.warnings,
            "mapping": self.mapping,
            "import_id": self.import_id,
            "message": self.message,
        }

    def summary_text(self) -> str:
        """Return a few plain lines for the command line."""
        lines = [f"{self.file} ({self.format})"]
        if self.message:
            lines.append(self.message)
        lines.append(
            f"{self.rows} rows: {self.imported} sales imported, {self.duplicates} "
            f"already imported, {self.skipped} skipped, {self.rejected} rejected."
        )
        for rejected in self.rejected_rows[:20]:
            lines.append(f"  row {rejected['row']}: {rejected['reason']}")
        if self.rejected > 20:
            lines.append(f"  ... and {self.rejected - 20} more rejected rows")
        lines.extend(self.warnings)
        return "\n".join(lines)


@dataclass(frozen=True)
class SalesMapping:
    """The column index read for each role (None when the file has none)."""

    header: list[str]
    roles: dict[str, int]
    fmt: str

    def cell(self, cells: list[str], role: str) -> str:
        """Return the stripped cell for ``role`` in a record ("" when absent)."""
        index = self.roles.get(role)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def column(self, role: str) -> str:
        """Return the header name of ``role``'s column."""
        return self.header[self.roles[role]]


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.casefold()).split())


def detect_columns(header: list[str]) -> SalesMapping:
    """Recognise the columns of a sales export.

    Args:
        header: the header cells.

    Returns:
        The mapping and the export's kind (``shopify``, ``square``, ``woocommerce``
        or ``csv``).

    Raises:
        ValidationError: no time or amount column, or neither email nor phone.
    """
    keys = [_key(name) for name in header]
    key_set = set(keys)
    fmt = "csv"
    roles: dict[str, int] = {}
    if "name" in key_set and key_set & {"financial status", "lineitem name"}:
        fmt = "shopify"
        roles["id"] = keys.index("name")
    elif "transaction id" in key_set and key_set & {"total collected", "gross sales"}:
        fmt = "square"
    elif key_set & {"order number", "order id"} and any("billing" in k for k in keys):
        fmt = "woocommerce"

    for role, names in ROLES.items():
        if role in roles:
            continue
        for name in names:
            if name in key_set and keys.index(name) not in roles.values():
                roles[role] = keys.index(name)
                break
    for role, word in FALLBACK_WORDS.items():
        if role not in roles:
            found = [i for i, k in enumerate(keys) if word in k.split()]
            if found and found[0] not in roles.values():
                roles[role] = found[0]
    if "clock" in roles and "time" not in roles:
        roles["time"] = roles.pop("clock")

    missing = [
        label
        for label, ok in (
            ("a date/time", "time" in roles),
            ("an amount (total)", "amount" in roles),
            ("a customer email or phone", "email" in roles or "phone" in roles),
        )
        if not ok
    ]
    if missing:
        raise ValidationError(
            f"Duet cannot find {' and '.join(missing)} column in this file. "
            f"Its columns are: {', '.join(header)}."
        )
    return SalesMapping(header=header, roles=roles, fmt=fmt)


def decimal_comma_column(values: list[str]) -> bool:
    """Decide whether a column of amounts writes its decimals after a comma.

    Args:
        values: the amount cells.

    Returns:
        True when some amount ends in ``,dd`` (or ``,d``) and none in ``.dd``.
    """
    comma = dot = False
    for value in values:
        text = _AMOUNT_JUNK.sub("", value).rstrip(")")
        if re.search(r",\d{1,2}$", text):
            comma = True
        elif re.search(r"\.\d{1,2}$", text):
            dot = True
    return comma and not dot


def parse_amount(text: str, *, decimal_comma: bool = False) -> Decimal | None:
    """Read an amount as a shop's export writes it.

    ``$1,320.00``, ``1.234,56``, ``1 234,56 €``, ``(12.00)`` (negative), ``-5``.

    Args:
        text: the cell.
        decimal_comma: the column writes decimals after a comma.

    Returns:
        The amount, or None when the cell is not an amount.
    """
    cleaned = _AMOUNT_JUNK.sub("", text.replace("\u2212", "-"))
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()+")
    if cleaned.startswith("-"):
        negative, cleaned = True, cleaned[1:]
    if (
        not cleaned
        or not re.fullmatch(r"[\d.,]+", cleaned)
        or not any(ch.isdigit() for ch in cleaned)
    ):
        return None

    thousands, decimal = (".", ",") if decimal_comma else (",", ".")
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
    elif cleaned.count(decimal) > 1:
        thousands, decimal = decimal, thousands
    digits = cleaned.replace(thousands, "").replace(decimal, ".")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return -value if negative else value


def currency_of(amount_text: str, currency_cell: str) -> str:
    """Return the sale's ISO currency: the currency column, else a clear symbol."""
    code = currency_cell.strip().upper()
    if re.fullmatch(r"[A-Z]{3}", code):
        return code
    for symbol, iso in SYMBOLS.items():
        if symbol in amount_text:
            return iso
    found = re.search(r"\b([A-Z]{3})\b", amount_text)
    return found.group(1) if found else ""


def slashed_day_first(values: list[str], region: str) -> bool:
    """Decide whether ``01/02/2024`` dates in a column mean 1 February.

    A first number above 12 anywhere means day first; a second number above 12
    means month first; otherwise the shop's country decides (month first in the US).

    Args:
        values: the time cells.
        region: the shop's default phone region (``US``, ``GB``...).

    Returns:
        True for day/month/year.
    """
    for value in values:
        found = _SLASHED.match(value.strip())
        if found and int(found.group(1)) > 12:
            return True
        if found and int(found.group(2)) > 12:
            return False
    return region.upper() not in ("US", "CA", "PH")


def _offset(text: str) -> timedelta | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def _hour(hour: int, meridiem: str | None) -> int:
    if not meridiem:
        return hour
    if hour > 12 or hour == 0:
        raise ValueError("bad 12-hour clock")
    pm = meridiem.lower().startswith("p")
    return (hour % 12) + (12 if pm else 0)


def parse_time(
    text: str, zone: ZoneInfo, *, day_first: bool = False
) -> tuple[datetime, bool] | None:
    """Read a sale's time.

    Args:
        text: ``2024-03-01 10:15:00 -0500``, ``2024-03-01T15:15:00Z``,
            ``03/01/2024 10:15 AM``, ``2024-03-01`` ...
        zone: the zone for times written without an offset (DST-aware).
        day_first: slashed dates are day/month/year.

    Returns:
        The moment (aware) and whether the text held a date only (it then counts
        at the end of that local day), or None when it is not a time.
    """
    text = text.strip()
    found = _ISO.match(text)
    try:
        if found:
            year, month, day = (int(found.group(n)) for n in (1, 2, 3))
            hour_text, minute, second, meridiem = (
                found.group(4), found.group(5), found.group(6), None,
            )  # fmt: skip
            offset_text = found.group(7)
        else:
            found = _SLASHED.match(text)
            if not found:
                return None
            first, second_part, year = (int(found.group(n)) for n in (1, 2, 3))
            day, month = (first, second_part) if day_first else (second_part, first)
            year += 2000 if year < 100 else 0
            hour_text, minute, second, meridiem = (
                found.group(4), found.group(5), found.group(6), found.group(7),
            )  # fmt: skip
            offset_text = found.group(8)
        date_only = hour_text is None
        clock = (
            time(23, 59, 59)
            if date_only
            else time(_hour(int(hour_text), meridiem), int(minute), int(second or 0))
        )
        naive = datetime.combine(date(year, month, day), clock)
    except ValueError:
        return None

    offset = _offset(offset_text or "")
    if offset is None:
        return naive.replace(tzinfo=zone), date_only
    return (naive - offset).replace(tzinfo=ZoneInfo("UTC")), date_only


def _combine_clock(day_text: str, clock_text: str) -> str:
    found = _CLOCK.match(clock_text.strip())
    if not found:
        return day_text
    hour, minute, second, meridiem = found.groups()
    try:
        hour_24 = _hour(int(hour), meridiem)
    except ValueError:
        return day_text
    return f"{day_text.strip()} {hour_24:02d}:{minute}:{second or '00'}"


@dataclass
class _Checked:
    sales: list[dict[str, Any]] = field(default_factory=list)
    date_only: int = 0


def _reject(report: SalesImportReport, row: int, column: str, reason: str) -> None:
    report.rejected += 1
    if len(report.rejected_rows) < MAX_LISTED:
        where = f"column '{column}': " if column else ""
        report.rejected_rows.append(
            {"row": row, "field": column or None, "reason": f"{where}{reason}"}
        )


def _skip(report: SalesImportReport, row: int, reason: str) -> None:
    report.skipped += 1
    if len(report.skipped_rows) < MAX_LISTED:
        report.skipped_rows.append({"row": row, "reason": reason})


def _records(table: CsvTable) -> Iterator[tuple[int, list[str]]]:
    # Spreadsheet row numbers: the header is its row, the first sale the next one.
    yield from enumerate(table.records(), start=table.header_line + 1)


def _buyer(
    mapping: SalesMapping, cells: list[str], region: str
) -> tuple[str | None, str | None, str | None]:
    """Return (email_key, e164, problem) for one record."""
    email_cell = mapping.cell(cells, "email")
    phone_cell = mapping.cell(cells, "phone").lstrip("'")
    email = email_rules.email_key(email_cell) if email_cell else None
    if email and not email_rules.is_valid_email(email):
        email = None
    phone = None
    if phone_cell:
        result = phone_rules.parse_phone(phone_cell, region)
        phone = result.e164 if result.plausible else None
    if email or phone:
        return email, phone, None
    if email_cell or phone_cell:
        shown = email_cell or phone_cell
        return None, None, f"'{shown}' is not an email address or phone number"
    return None, None, "no customer email or phone"


def _check_rows(
    table: CsvTable,
    mapping: SalesMapping,
    report: SalesImportReport,
    *,
    zone: ZoneInfo,
    region: str,
    file_name: str,
) -> _Checked:
    records = list(_records(table))
    amounts = [mapping.cell(cells, "amount") for _, cells in records]
    times = [mapping.cell(cells, "time") for _, cells in records]
    comma = decimal_comma_column(amounts)
    day_first = slashed_day_first(times, region)
    checked = _Checked()
    seen: set[str] = set()

    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        report.rows += 1
        external = mapping.cell(cells, "id")
        if external and external in seen:
            report.order_lines += 1
            continue
        status = _key(mapping.cell(cells, "status")).replace("_", " ")
        if status in SKIP_STATUSES:
            _skip(report, number, f"order status is '{mapping.cell(cells, 'status')}'")
            continue

        email, phone, problem = _buyer(mapping, cells, region)
        if problem:
            columns = [
                mapping.column(r) for r in ("email", "phone") if r in mapping.roles
            ]
            _reject(report, number, " / ".join(columns), problem)
            continue

        time_text = mapping.cell(cells, "time")
        if "clock" in mapping.roles:
            time_text = _combine_clock(time_text, mapping.cell(cells, "clock"))
        row_zone = zone
        zone_name = RAILS_ZONES.get(mapping.cell(cells, "zone").casefold())
        if zone_name:
            row_zone = ZoneInfo(zone_name)
        moment = parse_time(time_text, row_zone, day_first=day_first)
        if moment is None:
            shown = time_text or "(empty)"
            _reject(report, number, mapping.column("time"),
                    f"'{shown}' is not a date and time")  # fmt: skip
            continue

        amount_text = mapping.cell(cells, "amount")
        amount = parse_amount(amount_text, decimal_comma=comma)
        if amount is None:
            shown = amount_text or "(empty)"
            _reject(report, number, mapping.column("amount"),
                    f"'{shown}' is not an amount")  # fmt: skip
            continue
        if amount <= 0:
            _skip(report, number, f"amount {amount_text} is zero or a refund")
            continue

        occurred = moment[0].astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds")
        checked.date_only += moment[1]
        if not external:
            fingerprint = f"{email}|{phone}|{occurred}|{amount}"
            external = "h:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:20]
            if external in seen:
                report.duplicates += 1
                continue
        seen.add(external)
        checked.sales.append(
            {
                "source": mapping.fmt,
                "source_file": file_name,
                "external_id": external,
                "email_key": email,
                "phone": phone,
                "occurred_at": occurred,
                "amount": float(amount),
                "currency": currency_of(amount_text, mapping.cell(cells, "currency")),
            }
        )
    return checked


def _match_contacts(db: sqlite_utils.Database, sales: list[dict[str, Any]]) -> int:
    by_email = {
        row[0]: row[1]
        for row in db.execute(
            "SELECT email_key, id FROM contacts WHERE email_key IS NOT NULL"
        ).fetchall()
    }
    by_phone = {
        row[0]: row[1]
        for row in db.execute(
            "SELECT phone, id FROM contacts WHERE phone IS NOT NULL"
        ).fetchall()
    }
    matched = 0
    for sale in sales:
        contact = by_email.get(sale["email_key"]) or by_phone.get(sale["phone"])
        sale["contact_id"] = contact
        matched += contact is not None
    return matched


def _read_text(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise ValidationError(f"Duet cannot find the file {path}.") from error
    except IsADirectoryError as error:
        raise ValidationError(f"{path} is a folder, not a sales export.") from error
    except OSError as error:
        raise ValidationError(
            f"Duet cannot read {path.name}: {error.strerror or error}."
        ) from error
    if data[:4] == b"PK\x03\x04":
        raise ValidationError(
            f"{path.name} is an Excel workbook. Save it as CSV and import that file."
        )
    return reading.decode_bytes(data)


def import_sales(
    db: sqlite_utils.Database, path: Path, *, region: str | None = None
) -> SalesImportReport:
    """Import a sales export in one transaction.

    Args:
        db: the database.
        path: the CSV file.
        region: country for phone numbers without +code (default: the
            ``phones.default_region`` setting).

    Returns:
        The report: imported, duplicates (already imported), order lines (extra
        line-item rows of an order), skipped (refunds, cancelled orders) and rejected
        rows with their row number, column and reason.

    Raises:
        ValidationError: the file cannot be read or has no usable columns.
        StorageError: the sales could not be written; nothing was kept.
    """
    path = Path(path)
    text, encoding = _read_text(path)
    report = SalesImportReport(file=path.name, encoding=encoding)
    table = split_csv(text)
    if table is None:
        report.message = EMPTY_MESSAGE
        return report

    mapping = detect_columns(table.header)
    report.format = mapping.fmt
    report.mapping = {role: mapping.header[i] for role, i in mapping.roles.items()}
    zone = ZoneInfo(get_setting(db, "shop.timezone"))
    region = region or get_setting(db, "phones.default_region")
    checked = _check_rows(
        table, mapping, report, zone=zone, region=region, file_name=path.name
    )
    if report.rows == 0:
        report.message = NO_ROWS_MESSAGE
        return report
    if checked.date_only:
        report.warnings.append(
            f"{checked.date_only} sales have a date but no time; each counts at the "
            "end of its day in the shop's time zone."
        )

    known = sales_store.known_external_ids(
        db, mapping.fmt, [sale["external_id"] for sale in checked.sales]
    )
    fresh = [sale for sale in checked.sales if sale["external_id"] not in known]
    report.duplicates += len(checked.sales) - len(fresh)
    report.matched_contacts = _match_contacts(db, fresh)
    _write(db, report, mapping, fresh)
    logger.info(
        "sales imported: %d new, %d duplicates, %d rejected",
        report.imported,
        report.duplicates,
        report.rejected,
    )
    return report


def _write(
    db: sqlite_utils.Database,
    report: SalesImportReport,
    mapping: SalesMapping,
    fresh: list[dict[str, Any]],
) -> None:
    try:
        with db.conn:
            import_id = sales_store.create_sales_import(
                db, report.file, mapping.fmt, report.mapping
            )
            for sale in fresh:
                sale["import_id"] = import_id
            report.imported = sales_store.insert_sales(db, fresh)
            report.import_id = import_id
            sales_store.save_sales_report(db, import_id, report.to_json())
    except sqlite3.Error as error:
        report.import_id = None
        report.imported = 0
        raise StorageError(
            f"Duet could not save the sales from {report.file}; nothing was kept.",
            detail=str(error),
        ) from error
