"""The shop's settings: a small key/value table with checked values.

Secrets never live here; they go to the keyring through ``credentials.py``.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlite_utils

from desktop_app.errors import ValidationError


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its key, label for the window, and default value."""

    key: str
    label: str
    default: str
    help: str = ""


def _local_zone_name() -> str:
    """Return this PC's IANA time zone name, or UTC when it cannot be told."""
    candidate = os.environ.get("TZ", "").lstrip(":")
    if not candidate:
        localtime = Path("/etc/localtime")
        if localtime.is_symlink():
            parts = localtime.resolve().parts
            if "zoneinfo" in parts:
                candidate = "/".join(parts[parts.index("zoneinfo") + 1 :])
    try:
        ZoneInfo(candidate)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return candidate or "UTC"


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("shop.name", "Shop name", "", "Shown in SMS sign-offs and emails."),
    SettingSpec(
        "shop.address",
        "Postal address",
        "",
        "Every marketing email must carry the shop's postal address.",
    ),
    SettingSpec("shop.email", "Reply-to email", "", "Where customers' replies go."),
    SettingSpec("shop.timezone", "Time zone", _local_zone_name()),
    SettingSpec(
        "phones.default_region",
        "Default country for phone numbers",
        "US",
        "Used for numbers written without a +country code.",
    ),
    SettingSpec(
        "sms.price_per_segment",
        "Price per SMS segment (USD)",
        "0.0083",
        "Twilio's published US rate; carrier fees come on top.",
    ),
    SettingSpec(
        "sms.daily_cap",
        "Daily SMS spending cap (USD)",
        "",
        "A send that would pass it waits for you to confirm. Empty: no cap.",
    ),
    SettingSpec(
        "sms.monthly_cap",
        "Monthly SMS spending cap (USD)",
        "",
        "A send that would pass it waits for you to confirm. Empty: no cap.",
    ),
    SettingSpec(
        "automation.watch_folder",
        "Folder for event files",
        "",
        "CSV or JSON files your till or web shop drops here are sent while Duet is "
        "open. Empty: off.",
    ),
    SettingSpec(
        "reports.attribution_days",
        "Attribution window (days)",
        "7",
        "A sale counts for the last message sent to the buyer within this many days.",
    ),
)

SPECS_BY_KEY = {spec.key: spec for spec in SPECS}


def _email(value: str) -> str:
    from desktop_app.core.emails import is_valid_email

    if value and not is_valid_email(value):
        raise ValidationError(
            f"'{value}' is not an email address. Use one like shop@example.com."
        )
    return value


def _zone(value: str) -> str:
    if value not in available_timezones():
        raise ValidationError(
            f"'{value}' is not a time zone name. Use a name such as America/Chicago."
        )
    return value


def _region(value: str) -> str:
    import phonenumbers  # only needed here; costs start-up time

    value = value.upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            f"'{value}' is not a country code Duet knows. Use two letters, e.g. US."
        )
    return value


def _dollars(value: str, *, most: int) -> Decimal | None:
    try:
        amount = Decimal(value.lstrip("$"))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and 0 <= amount <= most else None


def _price(value: str) -> str:
    price = _dollars(value, most=10)
    if price is None:
        raise ValidationError(
            f"'{value}' is not a price. Write it in dollars, e.g. 0.0083."
        )
    return str(price)


def _cap(value: str) -> str:
    if not value:
        return ""
    cap = _dollars(value, most=1_000_000)
    if cap is None:
        raise ValidationError(
            f"'{value}' is not an amount. Write it in dollars, e.g. 25, or leave it "
            "empty for no cap."
        )
    return "" if cap == 0 else str(cap)


def _days(value: str) -> str:
    if not value.isdigit() or not 1 <= int(value) <= 365:
        raise ValidationError(
            f"'{value}' is not a number of days. Use a whole number from 1 to 365."
        )
    return str(int(value))


def _folder(value: str) -> str:
    if not value:
        return ""
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise ValidationError(f"'{value}' is not a folder on this PC.")
    return str(folder.resolve())


_ADDRESS_PLACEHOLDERS = frozenset(
    {"n/a", "na", "none", "tbd", "tba", "todo", "unknown", "test", "xxx", "asdf",
     "qwer", "address", "pending", "yet", "later", "soon", "same", "see", "above"}
)  # fmt: skip


def _address(value: str) -> str:
    # Every email carries it (CAN-SPAM asks for a valid physical postal address):
    # a dash, a word or "n/a" is not one; a Japanese address needs no spaces.
    # Empty clears it, and emails wait.
    if not value:
        return value
    characters = [character for character in value if character.isalnum()]
    words = {word.strip(".,;:/-()").casefold() for word in value.split()}
    if (
        len(characters) < 6
        or not any(character.isalpha() for character in characters)
        or words <= _ADDRESS_PLACEHOLDERS
    ):
        raise ValidationError(
            "Settings, field 'Postal address': write the shop's full postal address "
            "(street, town and postcode); every email must carry it."
        )
    return value


_CHECKS = {
    "automation.watch_folder": _folder,
    "shop.address": _address,
    "shop.email": _email,
    "shop.timezone": _zone,
    "phones.default_region": _region,
    "sms.price_per_segment": _price,
    "sms.daily_cap": _cap,
    "sms.monthly_cap": _cap,
    "reports.attribution_days": _days,
}


def _check(key: str, value: str) -> str:
    if key not in SPECS_BY_KEY:
        known = ", ".join(SPECS_BY_KEY)
        raise ValidationError(f"Unknown setting '{key}'. Known settings: {known}.")

    value = value.strip()
    check = _CHECKS.get(key)
    return check(value) if check else value


def get_settings(db: sqlite_utils.Database) -> dict[str, str]:
    """Return every setting, with defaults for those never set."""
    stored = {row["key"]: row["value"] for row in db["settings"].rows}
    return {spec.key: stored.get(spec.key, spec.default) for spec in SPECS}


def get_setting(db: sqlite_utils.Database, key: str) -> str:
    """Return one setting's value (its default when never set).

    Raises:
        ValidationError: ``key`` is not a known setting.
    """
    if key not in SPECS_BY_KEY:
        raise ValidationError(f"Unknown setting '{key}'.")
    return get_settings(db)[key]


def shop_zone(db: sqlite_utils.Database) -> ZoneInfo:
    """Return the shop's time zone, in which Duet shows every date and time.

    A stored name that this PC's time zone data does not know gives UTC, so a screen
    still opens; Settings shows the stored name for the owner to fix.
    """
    try:
        return ZoneInfo(get_setting(db, "shop.timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def shown_time(stamp: object, zone: ZoneInfo) -> str:
    """Return a stored ISO time as ``2026-12-04 09:15`` in ``zone``.

    A time stored without an offset is taken as UTC (Duet stores UTC); text that is
    not a time at all comes back unchanged, and nothing gives "".
    """
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> str:
    """Check and store one setting.

    Returns:
        The value as stored (trimmed, normalised).

    Raises:
        ValidationError: unknown key or a value that does not fit it.
    """
    checked = _check(key, value)
    db["settings"].upsert({"key": key, "value": checked}, pk="key")
    return checked
