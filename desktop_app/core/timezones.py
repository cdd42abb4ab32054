"""Where a recipient is: time zone, country and US state or Canadian province.

Quiet hours are judged in the recipient's local time. The zone comes from the contact
when the owner set one, else from the phone number (phonenumbers' time zone data), else
from the shop. The state or province comes from the North American area code, because
the stricter state rules (Florida, Texas, ...) follow the number's area code.
"""

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from desktop_app.errors import ValidationError

_pn_timezone: ModuleType | None
try:
    from phonenumbers import timezone as _pn_timezone
except ImportError:  # pragma: no cover - phonenumberslite ships no time zone data
    _pn_timezone = None

logger = logging.getLogger(__name__)

ZoneSource = Literal["contact", "phone number", "shop"]

# Area codes per state or province, from the NANPA assignments as of December 2026
# (cross-checked against phonenumbers 9.0.43's geographic data). Overlays share their
# state. Codes that span several provinces (782/902 Nova Scotia and Prince Edward
# Island, 867 for the three territories) and non-geographic codes (500s, 600, 800s,
# 900) are left out on purpose: no single state can be told from them.
_AREA_CODES: Final[dict[str, dict[str, str]]] = {
    "US": {
        "AK": "907",
        "AL": "205 251 256 334 659 938",
        "AR": "327 479 501 870",
        "AZ": "480 520 602 623 928",
        "CA": "209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 "
        "626 628 650 657 661 669 707 714 738 747 760 805 818 820 831 840 858 909 "
        "916 925 949 951",
        "CO": "303 719 720 748 970 983",
        "CT": "203 475 860 959",
        "DC": "202 771",
        "DE": "302",
        "FL": "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 "
        "813 850 863 904 941 954",
        "GA": "229 404 470 478 678 706 762 770 912 943",
        "HI": "808",
        "IA": "319 515 563 641 712",
        "ID": "208 986",
        "IL": "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 872",
        "IN": "219 260 317 463 574 765 812 930",
        "KS": "316 620 785 913",
        "KY": "270 364 502 606 859",
        "LA": "225 318 337 504 985",
        "MA": "339 351 413 508 617 774 781 857 978",
        "MD": "227 240 301 410 443 667",
        "ME": "207",
        "MI": "231 248 269 313 517 586 616 734 810 906 947 989",
        "MN": "218 320 507 612 651 763 952",
        "MO": "235 314 417 557 573 636 660 816 975",
        "MS": "228 601 662 769",
        "MT": "406",
        "NC": "252 336 472 704 743 828 910 919 980 984",
        "ND": "701",
        "NE": "308 402 531",
        "NH": "603",
        "NJ": "201 551 609 640 732 848 856 862 908 973",
        "NM": "505 575",
        "NV": "702 725 775",
        "NY": "212 315 329 332 347 363 516 518 585 607 631 646 680 716 718 838 845 "
        "914 917 929 934",
        "OH": "216 220 234 283 326 330 380 419 440 513 567 614 740 937",
        "OK": "405 539 572 580 918",
        "OR": "458 503 541 971",
        "PA": "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878",
        "RI": "401",
        "SC": "803 821 839 843 854 864",
        "SD": "605",
        "TN": "423 615 629 731 865 901 931",
        "TX": "210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 "
        "817 830 832 903 915 936 940 945 956 972 979",
        "UT": "385 435 801",
        "VA": "276 434 540 571 686 703 757 804 826 948",
        "VT": "802",
        "WA": "206 253 360 425 509 564",
        "WI": "262 274 353 414 534 608 715 920",
        "WV": "304 681",
        "WY": "307",
    },
    "CA": {
        "AB": "368 403 587 780 825",
        "BC": "236 250 257 604 672 778",
        "MB": "204 431 584",
        "NB": "428 506",
        "NL": "709 879",
        "ON": "226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 "
        "905 942",
        "QC": "263 273 354 367 418 438 450 468 514 579 581 819 873",
        "SK": "306 474 639",
    },
}

# States and provinces that lie wholly in one time zone. Used only when the number's
# own data names several zones; split states (Florida, Texas, Idaho, ...) are absent.
_SINGLE_ZONE: Final[dict[str, str]] = {
    "AL": "America/Chicago",
    "AR": "America/Chicago",
    "CA": "America/Los_Angeles",
    "CO": "America/Denver",
    "CT": "America/New_York",
    "DC": "America/New_York",
    "DE": "America/New_York",
    "GA": "America/New_York",
    "HI": "Pacific/Honolulu",
    "IA": "America/Chicago",
    "IL": "America/Chicago",
    "LA": "America/Chicago",
    "MA": "America/New_York",
    "MD": "America/New_York",
    "ME": "America/New_York",
    "MN": "America/Chicago",
    "MO": "America/Chicago",
    "MS": "America/Chicago",
    "MT": "America/Denver",
    "NC": "America/New_York",
    "NH": "America/New_York",
    "NJ": "America/New_York",
    "NM": "America/Denver",
    "NY": "America/New_York",
    "OH": "America/New_York",
    "OK": "America/Chicago",
    "PA": "America/New_York",
    "RI": "America/New_York",
    "SC": "America/New_York",
    "UT": "America/Denver",
    "VA": "America/New_York",
    "VT": "America/New_York",
    "WA": "America/Los_Angeles",
    "WI": "America/Chicago",
    "WV": "America/New_York",
    "WY": "America/Denver",
}


# Area codes whose callers live in more than one time zone, where phonenumbers' data
# names fewer (850: Tallahassee is Eastern, Pensacola Central). Quiet hours must hold
# in every zone the owner may be in, so these are added to the number's own zones.
_SPLIT_AREA_CODES: Final[dict[str, tuple[str, ...]]] = {
    "208": ("America/Boise", "America/Los_Angeles"),
    "986": ("America/Boise", "America/Los_Angeles"),
    "219": ("America/Chicago", "America/Indiana/Indianapolis"),
    "270": ("America/Chicago", "America/New_York"),
    "364": ("America/Chicago", "America/New_York"),
    "308": ("America/Chicago", "America/Denver"),
    "432": ("America/Chicago", "America/Denver"),
    "448": ("America/New_York", "America/Chicago"),
    "850": ("America/New_York", "America/Chicago"),
    "458": ("America/Los_Angeles", "America/Boise"),
    "541": ("America/Los_Angeles", "America/Boise"),
    "605": ("America/Chicago", "America/Denver"),
    "620": ("America/Chicago", "America/Denver"),
    "785": ("America/Chicago", "America/Denver"),
    "701": ("America/Chicago", "America/Denver"),
    "775": ("America/Los_Angeles", "America/Denver"),
    "812": ("America/Indiana/Indianapolis", "America/Chicago"),
    "930": ("America/Indiana/Indianapolis", "America/Chicago"),
    "906": ("America/Detroit", "America/Menominee"),
    "907": ("America/Anchorage", "America/Adak"),
    "928": ("America/Phoenix", "America/Denver"),
    "931": ("America/Chicago", "America/New_York"),
}


def _build_area_index() -> dict[str, tuple[str, str]]:
    index: dict[str, tuple[str, str]] = {}
    for country, states in _AREA_CODES.items():
        for state, codes in states.items():
            for code in codes.split():
                index[code] = (country, state)
    return index


_AREA_INDEX: Final = _build_area_index()
_UNKNOWN_ZONE: Final = "Etc/Unknown"
_MAX_ZONE_SPREAD: Final = timedelta(hours=6)

_QUICK_SAMPLES: Final = (
    datetime(2027, 1, 15, 12, tzinfo=UTC),
    datetime(2027, 7, 15, 12, tzinfo=UTC),
)


@dataclass(frozen=True)
class ZoneChoice:
    """The time zone used for one recipient and where it came from.

    Attributes:
        zone: an IANA name such as ``America/Chicago``.
        source: ``contact``, ``phone number`` or ``shop``.
    """

    zone: str
    source: ZoneSource


def is_zone_name(name: str) -> bool:
    """Tell whether ``name`` is an IANA time zone that zoneinfo can load.

    Args:
        name: a candidate such as ``Europe/Paris``; blank is not a zone.

    Returns:
        True when ``zoneinfo.ZoneInfo(name)`` works.
    """
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class _Place:
    country: str
    state: str | None
    zone: str | None
    candidates: tuple[str, ...] = ()


def area_code_states() -> dict[str, tuple[str, str]]:
    """Return every known NANP area code with its (country, state or province).

    Returns:
        A new dict such as ``{"305": ("US", "FL"), "416": ("CA", "ON"), ...}``.
    """
    return dict(_AREA_INDEX)


@functools.cache
def _zone_popularity() -> dict[str, int]:
    """Count how often phonenumbers' prefix data names each zone."""
    from phonenumbers.tzdata import TIMEZONE_DATA

    counts: dict[str, int] = {}
    for zones in TIMEZONE_DATA.values():
        for zone in zones:
            counts[zone] = counts.get(zone, 0) + 1
    return counts


def _clock(zone: str, instants: Iterable[datetime]) -> tuple[tuple[Any, ...], ...]:
    tz = ZoneInfo(zone)
    return tuple(
        (local.utcoffset(), local.tzname())
        for local in (i.astimezone(tz) for i in instants)
    )


@functools.lru_cache(maxsize=1024)
def _full_clock(zone: str) -> tuple[tuple[Any, ...], ...]:
    """The zone's offset and abbreviation every 6 hours through 2024-2035."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return _clock(zone, (start + timedelta(hours=6 * step) for step in range(4 * 4383)))


@functools.lru_cache(maxsize=256)
def shared_zone(zones: tuple[str, ...]) -> str | None:
    """Return one of ``zones`` when they all keep the same clock, else ``None``.

    Guernsey, Jersey, the Isle of Man and London, for example, share every offset and
    abbreviation (checked every 6 hours through 2024-2035), so a British mobile
    number still gets a zone.

    Args:
        zones: IANA zone names, as phonenumbers lists them for a number.

    Returns:
        The zone phonenumbers' prefix data names most often (London rather than
        Guernsey), or ``None`` when the clocks differ or a name is not a zone.
    """
    valid = [zone for zone in zones if is_zone_name(zone)]
    if not valid or len(valid) != len(zones):
        return None
    if len({_clock(zone, _QUICK_SAMPLES) for zone in valid}) != 1:
        return None
    if len({_full_clock(zone) for zone in valid}) != 1:
        return None
    popularity = _zone_popularity()
    return max(sorted(valid), key=lambda zone: popularity.get(zone, 0))


def _nanp_place(number: phonenumbers.PhoneNumber) -> _Place | None:
    """Place a +1 number by its area code alone (fast, no full validation)."""
    national = str(number.national_number)
    place = _AREA_INDEX.get(national[:3]) if len(national) == 10 else None
    if place is None:
        return None
    zones: tuple[str, ...] = ()
    if _pn_timezone is not None:
        zones = tuple(_pn_timezone.time_zones_for_geographical_number(number))
    zone = _pick_zone(zones, place[1])
    split = _SPLIT_AREA_CODES.get(national[:3], ())
    if zone is not None and not split:
        return _Place(place[0], place[1], zone, (zone,))
    candidates = _distinct_clocks(tuple(sorted({*split, *zones})))
    if len(candidates) == 1:
        return _Place(place[0], place[1], candidates[0], candidates)
    return _Place(place[0], place[1], None, _narrow(candidates))


@functools.lru_cache(maxsize=1024)
def _distinct_clocks(zones: tuple[str, ...]) -> tuple[str, ...]:
    """Return the valid zones, one per distinct clock, in a stable order.

    Zones too far apart to place anyone (see :func:`_narrow`) come back as they
    are, without the full comparison of their clocks, which is slow for dozens.
    """
    valid = [z for z in sorted(set(zones)) if z != _UNKNOWN_ZONE and is_zone_name(z)]
    if _too_far_apart(tuple(valid)):
        return tuple(valid)
    groups: dict[tuple[Any, ...], list[str]] = {}
    for zone in valid:
        groups.setdefault(_full_clock(zone), []).append(zone)
    popularity = _zone_popularity()
    chosen = (
        max(group, key=lambda z: popularity.get(z, 0)) for group in groups.values()
    )
    return tuple(sorted(chosen))


def _country_zones(number: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    """Return the zones of the number's country when the number itself names none.

    A number outside the assigned ranges (an invalid or fictional one) still tells
    its country by its calling code; the country's example mobile number gives that
    country's zones.
    """
    if _pn_timezone is None or number.country_code == 1:
        return ()
    return _zones_of_calling_code(number.country_code)


@functools.lru_cache(maxsize=256)
def _zones_of_calling_code(calling_code: int) -> tuple[str, ...]:
    assert _pn_timezone is not None
    zones: list[str] = []
    for region in phonenumbers.region_codes_for_country_code(calling_code):
        example = phonenumbers.example_number_for_type(
            region, phonenumbers.PhoneNumberType.MOBILE
        )
        if example is not None:
            zones += _pn_timezone.time_zones_for_number(example)
    return _distinct_clocks(tuple(sorted(set(zones))))


def _pick_zone(zones: tuple[str, ...], state: str | None) -> str | None:
    known = tuple(zone for zone in zones if zone != _UNKNOWN_ZONE)
    if len(known) == 1:
        return known[0] if is_zone_name(known[0]) else None
    if state is not None and state in _SINGLE_ZONE:
        return _SINGLE_ZONE[state]
    return shared_zone(known) if known else None


@functools.lru_cache(maxsize=16_384)
def _place(e164: str) -> _Place:
    """Work out country, state and zone of one number, once (cached)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return _Place("", None, None)

    if number.country_code == 1:
        nanp = _nanp_place(number)
        if nanp is not None:
            return nanp

    country = phonenumbers.region_code_for_number(number) or ""
    zones: tuple[str, ...] = ()
    if _pn_timezone is not None:
        zones = tuple(_pn_timezone.time_zones_for_number(number))
    zone = _pick_zone(zones, None)
    if zone is not None:
        return _Place(country, None, zone, (zone,))
    candidates = _distinct_clocks(tuple(sorted(set(zones)))) or _country_zones(number)
    if len(candidates) == 1:
        return _Place(country, None, candidates[0], candidates)
    return _Place(country, None, None, _narrow(candidates))


@functools.lru_cache(maxsize=1024)
def _narrow(candidates: tuple[str, ...]) -> tuple[str, ...]:
    """Keep several zones only when they say something about where the owner is.

    A toll-free or nationwide number names a whole continent's zones, whose allowed
    hours may never overlap; such a number (zones more than 6 hours apart) places
    nobody, and the shop's zone is used instead.
    """
    return () if _too_far_apart(candidates) else candidates


def _too_far_apart(zones: tuple[str, ...]) -> bool:
    """Tell whether the zones' clocks are over 6 hours apart at some season."""
    for instant in _QUICK_SAMPLES:
        offsets = [instant.astimezone(ZoneInfo(zone)).utcoffset() for zone in zones]
        known = [offset for offset in offsets if offset is not None]
        if known and max(known) - min(known) > _MAX_ZONE_SPREAD:
            return True
    return False


def region_for_number(e164: str) -> tuple[str, str | None]:
    """Return the country and, for the US and Canada, the state or province.

    A +1 number whose area code is in the shipped table is placed by that code alone,
    so a state rule applies even where phonenumbers doubts the rest of the number.

    Args:
        e164: a number in E.164 form, e.g. ``+13055550123``.

    Returns:
        ``(country, state)``: the ISO 3166 country code (``""`` when the number cannot
        be parsed or placed) and the two-letter state or province code when the area
        code names exactly one, else ``None``.
    """
    place = _place(e164)
    return place.country, place.state


def zone_for_number(e164: str) -> str | None:
    """Return the one time zone the phone number places its owner in.

    Args:
        e164: a number in E.164 form.

    Returns:
        The IANA zone when phonenumbers' data names exactly one; when it names
        several, the state's zone if the area code's state lies wholly in one zone, or
        one of them if they all keep the same clock (a British mobile: London,
        Guernsey, Jersey, Isle of Man). ``None`` when the number cannot be parsed,
        names no zone, or stays ambiguous (a toll-free number, Alaska, Idaho, ...).
    """
    return _place(e164).zone


def candidate_zones(e164: str) -> tuple[str, ...]:
    """Return every time zone the number's owner may be in, one per distinct clock.

    Args:
        e164: a number in E.164 form.

    Returns:
        One zone when the number places its owner (see :func:`zone_for_number`);
        several when it cannot tell between them (Alaska, Idaho, the Florida
        Panhandle's 850); none when it names no zone at all (toll-free numbers).
    """
    return _place(e164).candidates


def recipient_zones(
    contact_timezone: str, e164: str | None, shop_zone: str
) -> tuple[ZoneChoice, ...]:
    """Choose the zones quiet hours are judged in: contact, then number, then shop.

    Like :func:`recipient_zone`, but a number that may be in several zones gives
    them all, so a message goes out only when it is allowed in each of them.

    Args:
        contact_timezone: the contact's own zone, ``""`` when unknown.
        e164: the contact's number in E.164 form, or ``None``.
        shop_zone: the ``shop.timezone`` setting.

    Returns:
        One or more zone choices.

    Raises:
        ValidationError: the shop zone is needed and is not a time zone name.
    """
    if not is_zone_name(contact_timezone) and e164:
        zones = candidate_zones(e164)
        if len(zones) > 1:
            return tuple(ZoneChoice(zone, "phone number") for zone in zones)
    return (recipient_zone(contact_timezone, e164, shop_zone),)


def recipient_zone(
    contact_timezone: str, e164: str | None, shop_zone: str
) -> ZoneChoice:
    """Choose the time zone quiet hours are judged in: contact, then number, then shop.

    Args:
        contact_timezone: the contact's own zone, ``""`` when unknown. A value that is
            not a zone name is ignored (the import already warned about it).
        e164: the contact's number in E.164 form, or ``None``.
        shop_zone: the ``shop.timezone`` setting.

    Returns:
        The chosen zone and its source (``contact``, ``phone number`` or ``shop``).

    Raises:
        ValidationError: the shop zone is needed and is not a time zone name.
    """
    if is_zone_name(contact_timezone):
        return ZoneChoice(contact_timezone, "contact")

    if e164:
        zone = zone_for_number(e164)
        if zone is not None:
            return ZoneChoice(zone, "phone number")

    if not is_zone_name(shop_zone):
        raise ValidationError(
            f"Settings, field 'Time zone': '{shop_zone}' is not a time zone name. "
            "Use a name such as America/Chicago."
        )
    return ZoneChoice(shop_zone, "shop")
