"""Phone numbers from imported cells: plausibility, E.164 text and number type.

A cell is cleaned the way a shop owner would read it (full-width digits, a leading
spreadsheet apostrophe, an extension, spaces, dots, dashes and brackets) and is then
*plausible* when 7 to 15 digits remain that are not all the same digit. Spreadsheet
damage such as ``4.47E+11`` or a trailing ``.0`` is refused, never repaired. A plausible
number is turned into E.164 with phonenumbers; when that is not possible it is kept with
a warning and no E.164 form.
"""

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType

logger = logging.getLogger(__name__)

MIN_DIGITS = 7
MAX_DIGITS = 15

_EXTENSION = re.compile(
    r"(?:[,;]?\s*(?:extension|ext\.?|poste|x|#)\s*(\d{1,7}))\s*$", re.IGNORECASE
)
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_TRAILING_DOT_ZERO = re.compile(r"^\+?\d{6,}\.0+$")
_NATIONAL_ZERO = re.compile(r"\(\s*0\s*\)")
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212()/\[\]]+")
_SPLIT = re.compile(r"\s+:::\s+|;")

_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
}


@dataclass(frozen=True)
class PhoneResult:
    """One phone cell as Duet understood it.

    Attributes:
        raw: the text as found in the file.
        plausible: True when the number is kept (rule: 7-15 digits, no letters).
        e164: the E.164 text, or None when it could not be normalised.
        kind: ``mobile``, ``fixed_line`` or ``unknown``.
        extension: digits of an extension written after the number, else None.
        valid: True when phonenumbers calls the number valid.
        warning: why the number is dropped, or what is doubtful about it.
        digits: the cleaned digits (used to compare numbers that have no E.164).
    """

    raw: str
    plausible: bool
    e164: str | None = None
    kind: str = "unknown"
    extension: str | None = None
    valid: bool = False
    warning: str | None = None
    digits: str = ""

    def match_key(self) -> str:
        """Return the text two numbers are compared on: the last 9 digits."""
        source = self.e164[1:] if self.e164 else self.digits
        return source[-9:]

    def to_json(self, label: str = "") -> dict[str, Any]:
        """Return the dict stored in a contact's ``phones`` list."""
        return {
            "e164": self.e164,
            "raw": self.raw,
            "label": label,
            "kind": self.kind,
            "extension": self.extension,
            "valid": self.valid,
            "warning": self.warning,
        }


def split_phone_cell(cell: str) -> list[str]:
    """Split a cell holding several numbers (``' ::: '`` or ``;``) into pieces.

    Args:
        cell: the cell text.

    Returns:
        The non-blank pieces, stripped.
    """
    return [piece.strip() for piece in _SPLIT.split(cell) if piece.strip()]


def _reject(raw: str, message: str) -> PhoneResult:
    return PhoneResult(raw=raw, plausible=False, warning=message)


def _clean(raw: str) -> tuple[str | None, bool, str | None, str | None]:
    """Return (digits, had_plus, extension, problem) for one cell."""
    text = raw
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        text = text.replace("\u00a0", " ")
    text = text.strip().lstrip("'").strip()
    if _SCIENTIFIC.match(text):
        return None, False, None, "looks like spreadsheet scientific notation"
    if _TRAILING_DOT_ZERO.match(text):
        return None, False, None, "has a spreadsheet '.0' ending"

    extension = None
    found = _EXTENSION.search(text)
    if found and found.start() > 0:
        extension = found.group(1)
        text = text[: found.start()].strip()
    if text.startswith("tel:"):
        text = text[4:]
    text = _NATIONAL_ZERO.sub(" ", text) if text.startswith("+") else text

    compact = _SEPARATORS.sub("", text)
    had_plus = compact.startswith("+")
    if had_plus:
        compact = compact[1:]
    elif compact.startswith("00"):
        had_plus = True
        compact = compact[2:]
    if not compact.isdigit() or not compact.isascii():
        return None, False, None, "is not a phone number"
    return compact, had_plus, extension, None


@functools.lru_cache(maxsize=16384)
def parse_phone(raw: str, region: str) -> PhoneResult:
    """Decide whether a cell is a plausible phone number and normalise it.

    Args:
        raw: one number as written (split multi-value cells first).
        region: ISO country used when the number has no +country code.

    Returns:
        A :class:`PhoneResult`; ``plausible`` False means the number is dropped and
        ``warning`` says why.
    """
    digits, had_plus, extension, problem = _clean(raw)
    shown = raw.strip().lstrip("'")
    if digits is None:
        return _reject(raw, f"Phone '{shown}' {problem}; it was not imported.")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return _reject(
            raw,
            f"Phone '{shown}' has {len(digits)} digits; a phone number has "
            f"{MIN_DIGITS} to {MAX_DIGITS}.",
        )
    if len(set(digits)) == 1:
        return _reject(raw, f"Phone '{shown}' is all the same digit; not imported.")

    e164, kind, valid, note = _classify(digits, had_plus, region)
    warning = None
    if note == "unnormalisable":
        warning = (
            f"Phone '{shown}' could not be normalised (no area or country code?); "
            "kept as written."
        )
    elif note.startswith("foreign:"):
        warning = (
            f"Phone '{shown}' is not a {region} number; read as {note[8:]} because "
            "it starts with that country code."
        )
    elif note.startswith("invalid:"):
        warning = f"Phone '{shown}' is not a valid number for {note[8:]}."
    return PhoneResult(
        raw=raw,
        plausible=True,
        e164=e164,
        kind=kind,
        extension=extension,
        valid=valid,
        warning=warning,
        digits=digits,
    )


@functools.lru_cache(maxsize=65536)
def _classify(
    digits: str, had_plus: bool, region: str
) -> tuple[str | None, str, bool, str]:
    """Return (e164, kind, valid, note) for cleaned digits; cached across formats.

    ``note`` is ``""``, ``"unnormalisable"``, ``"foreign:<REGION>"`` or
    ``"invalid:<REGION>"``.
    """
    number = _nanp_fast(digits, had_plus, region) or _try_parse(
        ("+" + digits) if had_plus else digits, region
    )
    number_type = _number_type(number, region)
    note = ""
    if number is not None and not had_plus and number_type == PhoneNumberType.UNKNOWN:
        # A national-looking number that is really international without its "+".
        international = _try_parse("+" + digits, region)
        international_type = _number_type(international, region)
        if international is not None and international_type != PhoneNumberType.UNKNOWN:
            code = phonenumbers.region_code_for_number(international)
            note = f"foreign:{code}"
            number, number_type = international, international_type
    valid = number_type != PhoneNumberType.UNKNOWN
    if number is None or not (valid or _well_formed(number)):
        return None, "unknown", False, "unnormalisable"

    e164 = f"+{number.country_code}{phonenumbers.national_significant_number(number)}"
    if not valid:
        note = "invalid:" + phonenumbers.region_code_for_country_code(
            number.country_code
        )
    return e164, _KINDS.get(number_type, "unknown"), valid, note


_NANP_REGIONS = frozenset(phonenumbers.region_codes_for_country_code(1))


def _nanp_fast(
    digits: str, had_plus: bool, region: str
) -> phonenumbers.PhoneNumber | None:
    """Build a +1 number without the general parser, the commonest case by far.

    Gives what ``phonenumbers.parse`` gives for ten digits (or eleven with the
    leading 1) read in a NANP region, or written with +1; None otherwise.
    """
    if had_plus:
        national = digits[1:] if len(digits) == 11 and digits[0] == "1" else None
    elif region in _NANP_REGIONS and len(digits) == 10:
        national = digits
    elif region in _NANP_REGIONS and len(digits) == 11 and digits[0] == "1":
        national = digits[1:]
    else:
        national = None
    if national is None or national[0] == "0":
        return None
    return phonenumbers.PhoneNumber(country_code=1, national_number=int(national))


_TYPE_HELPER = getattr(phonenumbers.phonenumberutil, "_number_type_helper", None)


def _number_type(number: phonenumbers.PhoneNumber | None, hint: str) -> int:
    """Return phonenumbers' type; UNKNOWN means the number is not valid.

    Tries the default region's metadata first: finding the region of a +1 number
    otherwise means testing every NANP country, the slowest step of an import.
    """
    if number is None:
        return PhoneNumberType.UNKNOWN
    if _TYPE_HELPER is not None and (
        phonenumbers.country_code_for_region(hint) == number.country_code
    ):
        metadata = PhoneMetadata.metadata_for_region(hint)
        if metadata is not None:
            national = phonenumbers.national_significant_number(number)
            found = int(_TYPE_HELPER(national, metadata))
            if found != PhoneNumberType.UNKNOWN:
                return found
    return int(phonenumbers.number_type(number))


@functools.lru_cache(maxsize=512)
def _general_pattern(country_code: int) -> re.Pattern[str] | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None or metadata.general_desc is None:
        return None
    pattern = metadata.general_desc.national_number_pattern
    return re.compile(pattern) if pattern else None


def _well_formed(number: phonenumbers.PhoneNumber) -> bool:
    """Return True for a number of possible length that fits its country's shape.

    Such a number (e.g. a fictitious 555-01xx one) gets an E.164 form with a warning;
    one that does not fit (a stray trunk zero, an unknown area code) gets none.
    """
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return False
    pattern = _general_pattern(number.country_code)
    national = phonenumbers.national_significant_number(number)
    return pattern is not None and pattern.fullmatch(national) is not None


def _try_parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def is_supported_region(code: str) -> bool:
    """Return True when ``code`` is a two-letter region phonenumbers knows."""
    return code.upper() in phonenumbers.SUPPORTED_REGIONS
