"""Turn a file's bytes into text: BOMs, UTF-16, UTF-8, cp1252 and Shift_JIS."""

import codecs
import logging
import re

import charset_normalizer

logger = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_VCARD_CHARSET = re.compile(rb"CHARSET=([A-Za-z0-9_-]+)", re.IGNORECASE)
# Encodings that mean a non-Latin script; any other guess for a file that decodes
# as cp1252 is taken to be cp1252, the code page Excel and Outlook use in the West.
_NON_LATIN = (
    "cp1251",
    "cp1253",
    "cp1255",
    "cp1256",
    "cp866",
    "cp874",
    "cp932",
    "cp949",
    "cp950",
    "koi8",
    "mac_cyrillic",
    "mac_greek",
    "iso8859_5",
    "iso8859_6",
    "iso8859_7",
    "iso8859_8",
    "shift_jis",
    "euc",
    "gb",
    "big5",
    "hz",
    "iso2022",
    "tis_620",
    "utf_16",
    "utf_32",
)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.4 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.4 and odd < half * 0.05:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes, *, vcard: bool = False) -> tuple[str, int]:
    """Guess how a file's bytes are encoded.

    Args:
        data: the whole file.
        vcard: True for vCard files, whose ``CHARSET=`` parameters are a hint.

    Returns:
        The Python codec name and how many leading bytes (a BOM) to skip.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16, 0
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", 0

    if vcard:
        for found in _VCARD_CHARSET.finditer(data):
            name = found.group(1).decode("ascii").lower().replace("_", "-")
            if name in ("shift-jis", "sjis", "shift_jis", "cp932", "windows-31j"):
                return "cp932", 0
            if name not in ("utf-8", "us-ascii"):
                try:
                    codecs.lookup(name)
                except LookupError:
                    continue
                return name, 0

    best = charset_normalizer.from_bytes(data[:200_000]).best()
    guess = best.encoding if best is not None else "cp1252"
    if guess.startswith(_NON_LATIN):
        return guess, 0
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return guess, 0
    return "cp1252", 0


def decode_bytes(data: bytes, *, vcard: bool = False) -> tuple[str, str]:
    """Decode a file's bytes to text.

    Args:
        data: the whole file.
        vcard: True for vCard files.

    Returns:
        The text (no BOM, NUL characters removed) and the encoding used.
    """
    encoding, skip = detect_encoding(data, vcard=vcard)
    text = data[skip:].decode(encoding, errors="replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.lstrip("\ufeff"), encoding
