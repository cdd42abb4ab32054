"""Every screen shows stored UTC times in the shop's time zone, not the PC's."""

from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.storage import settings


def test_shown_time_converts_utc_to_the_zone_across_dst() -> None:
    sydney = ZoneInfo("Australia/Sydney")
    new_york = ZoneInfo("America/New_York")

    assert settings.shown_time("2026-07-01T12:00:00+00:00", new_york) == (
        "2026-07-01 08:00"
    )
    assert settings.shown_time("2026-12-01T12:00:00+00:00", new_york) == (
        "2026-12-01 07:00"
    )
    assert settings.shown_time("2026-12-31T20:30:00Z", sydney) == "2027-01-01 07:30"


def test_shown_time_reads_a_time_without_offset_as_utc() -> None:
    assert settings.shown_time("2026-03-08T07:30:00", ZoneInfo("America/Chicago")) == (
        "2026-03-08 01:30"
    )


def test_shown_time_keeps_odd_text_and_blanks() -> None:
    zone = ZoneInfo("Europe/Paris")

    assert settings.shown_time(None, zone) == ""
    assert settings.shown_time("", zone) == ""
    assert settings.shown_time("yesterday", zone) == "yesterday"


def test_shop_zone_follows_the_setting(db: sqlite_utils.Database) -> None:
    settings.set_setting(db, "shop.timezone", "Asia/Tokyo")

    assert settings.shop_zone(db) == ZoneInfo("Asia/Tokyo")


def test_shop_zone_falls_back_to_utc_for_a_name_this_pc_does_not_know(
    db: sqlite_utils.Database,
) -> None:
    db["settings"].upsert({"key": "shop.timezone", "value": "Mars/Olympus"}, pk="key")

    assert settings.shop_zone(db) == ZoneInfo("UTC")


def test_a_postal_address_must_look_like_one(db: sqlite_utils.Database) -> None:
    for junk in (
        "-",
        "x",
        "Main",
        "1 2",
        "n/a n/a",
        "none yet",
        "TBD TBD",
        "asdf qwer",
    ):
        with pytest.raises(ValidationError, match="full postal address"):
            settings.set_setting(db, "shop.address", junk)

    assert settings.set_setting(db, "shop.address", " 1 Main St, Springfield ") == (
        "1 Main St, Springfield"
    )
    assert settings.set_setting(db, "shop.address", "") == ""
    tokyo = "東京都千代田区丸の内1-1"
    assert settings.set_setting(db, "shop.address", tokyo) == tokyo
