"""The shop's settings: a small key/value table with checked values.

Secrets never live here; they go to the keyring through ``credentials.py``.
"""

import os
from dataclasses import dataclass
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
        "reports.attribution_days",
        "Attribution window (days)",
        "7",
        "A sale counts for the last message sent to the buyer within this many days.",
    ),
)

SPECS_BY_KEY = {spec.key: spec for spec in SPECS}


def _check(key: str, value: str) -> str:
    if key not in SPECS_BY_KEY:
        known = ", ".join(SPECS_BY_KEY)
        raise ValidationError(f"Unknown setting '{key}'. Known settings: {known}.")

    value = value.strip()
    if key == "shop.timezone" and value not in available_timezones():
        raise ValidationError(
            f"'{value}' is not a time zone name. Use a name such as America/Chicago."
        )
    if key == "phones.default_region":
        import phonenumbers  # only needed here; costs start-up time

        value = value.upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(
                f"'{value}' is not a country code Duet knows. Use two letters, e.g. US."
            )
    if key == "sms.price_per_segment":
        try:
            price = Decimal(value)
        except InvalidOperation:
            price = Decimal(-1)
        if not price.is_finite() or price < 0 or price > 10:
            raise ValidationError(
                f"'{value}' is not a price. Write it in dollars, e.g. 0.0083."
            )
        value = str(price)
    if key in ("sms.daily_cap", "sms.monthly_cap") and value:
        try:
            cap = Decimal(value.lstrip("$"))
        except InvalidOperation:
            cap = Decimal(-1)
        if not cap.is_finite() or cap < 0 or cap > 1_000_000:
            raise ValidationError(
                f"'{value}' is not an amount. Write it in dollars, e.g. 25, or leave "
                "it empty for no cap."
            )
        value = "" if cap == 0 else str(cap)
    if key == "reports.attribution_days":
        if not value.isdigit() or not 0 <= int(value) <= 365:
            raise ValidationError(
                f"'{value}' is not a number of days. Use a whole number from 0 to 365."
            )
        value = str(int(value))
    return value


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
