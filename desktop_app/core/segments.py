"""Exact SMS segment counting: encoding, units, segments, and what forced UCS-2.

This is the only module that knows the GSM 03.38 tables. It counts the exact string it
is given, the way Twilio bills it:

* GSM-7 when every character is in the default alphabet or the extension table. A
  default character costs one septet, an extension character two (ESC + code). One
  segment holds 160 septets; a concatenated segment holds 153, and an escape pair is
  never split between two segments.
* UCS-2 otherwise, counted in UTF-16 code units: 70 in one segment, 67 in each
  concatenated segment. An astral character (an emoji) is a surrogate pair of two units
  that is never split; segments break between code points, not grapheme clusters.
  Twilio does not use the national-language shift tables, so they are not here.

Counting is a handful of C-level passes over the string (a regular-expression search,
an encode) plus per-segment arithmetic, so a 1,600-character body costs microseconds.
"""

import json
import logging
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Any, Final

from desktop_app.core.words import counted

logger = logging.getLogger(__name__)

GSM7: Final = "GSM-7"
UCS2: Final = "UCS-2"

GSM7_SINGLE_CAPACITY: Final = 160
GSM7_MULTI_CAPACITY: Final = 153
UCS2_SINGLE_CAPACITY: Final = 70
UCS2_MULTI_CAPACITY: Final = 67

MAX_BODY_CHARS: Final = 1600
"""Twilio refuses a Body longer than this (error 21617), counted in characters."""

WARN_SEGMENTS: Final = 10
"""Above this many segments Twilio advises against sending; Duet warns strongly."""

# The GSM 03.38 default alphabet in code order, 16 per row, 0x00 to 0x7F. 0x1B is the
# escape to the extension table, not a character, so it is left out below. 0x09 is
# the capital Ç of the 3GPP table (Unicode's GSM0338.TXT says ç; Twilio uses Ç).
_GSM7_ESC: Final = "\x1b"
_GSM7_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_DEFAULT_CHARS: Final = _GSM7_TABLE.replace(_GSM7_ESC, "")
"""The 127 characters of the default alphabet, one septet each."""

GSM7_EXTENSION_CHARS: Final = "\x0c^{}\\[~]|€"
"""The 10 extension-table characters Twilio sends, two septets each (ESC + code)."""

_NOT_GSM7: Final = re.compile(
    "[^" + re.escape(GSM7_DEFAULT_CHARS + GSM7_EXTENSION_CHARS) + "]"
)
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")
_TRAILING_LINE_BREAKS: Final = "\r\n"
_SMART_ENCODING_FILE: Final = "smart_encoding.json"
_CULPRITS_IN_SUMMARY: Final = 5


@dataclass(frozen=True, slots=True)
class Culprit:
    """One character that forced a message into UCS-2.

    Attributes:
        position: index of the character in the text, in code points.
        char: the character itself.
        codepoint: its code point written like ``U+2019``.
        name: its Unicode name, or "" when it has none.
        replacement: the GSM-7 text Smart Encoding puts in its place, or None.
    """

    position: int
    char: str
    codepoint: str
    name: str
    replacement: str | None

    def to_json(self) -> dict[str, Any]:
        """Return the culprit as a JSON-ready dict."""
        return {
            "position": self.position,
            "char": self.char,
            "codepoint": self.codepoint,
            "name": self.name,
            "replacement": self.replacement,
        }

    def label(self) -> str:
        """Return a readable label: the character, or its name when it is invisible."""
        if unicodedata.category(self.char)[0] in "CZM" and self.name:
            return f"{self.name} ({self.codepoint})"
        return f"{self.char} ({self.codepoint})"


@dataclass(frozen=True)
class SegmentCount:
    """How an SMS body is encoded and how many segments it costs.

    Attributes:
        encoding: "GSM-7" or "UCS-2".
        units: septets for GSM-7, UTF-16 code units for UCS-2.
        segments: segments billed; 0 for an empty body.
        characters: length in code points.
        remaining: units still free in the last segment (160 for an empty body).
        per_segment_capacity: units per segment: 160 or 153, 70 or 67.
        text: the exact text counted; left out of ``repr`` so that logging a count
            never writes a message body.
        culprits: each character that forced UCS-2, in text order (worked out on
            first use, so counting stays cheap when nobody asks).
    """

    encoding: str
    units: int
    segments: int
    characters: int
    remaining: int
    per_segment_capacity: int
    text: str = field(repr=False)

    @cached_property
    def culprits(self) -> tuple[Culprit, ...]:
        """Each character that forced UCS-2, in text order; empty for GSM-7."""
        if self.encoding == GSM7:
            return ()
        return tuple(
            Culprit(match.start(), *_culprit_facts(match.group()))
            for match in _NOT_GSM7.finditer(self.text)
        )

    def to_json(self) -> dict[str, Any]:
        """Return the count as a JSON-ready dict (what ``segments --json`` prints)."""
        return {
            "encoding": self.encoding,
            "units": self.units,
            "segments": self.segments,
            "characters": self.characters,
            "remaining": self.remaining,
            "per_segment_capacity": self.per_segment_capacity,
            "culprits": [culprit.to_json() for culprit in self.culprits],
        }

    def summary_text(self) -> str:
        """Return a plain-English summary, with a second line naming the culprits.

        Returns:
            For example ``GSM-7 · 42 characters · 1 segment · 118 characters left in
            this segment``; for UCS-2 a second line such as ``UCS-2 because of: ’
            (U+2019) at 5``. A character that occurs more than once is named once,
            with its first position and how often it occurs.
        """
        parts = [
            self.encoding,
            counted(self.characters, "character"),
            counted(self.segments, "segment"),
        ]
        if self.segments:
            parts.append(f"{counted(self.remaining, 'character')} left in this segment")
        line = " · ".join(parts)
        if not self.culprits:
            return line

        return f"{line}\nUCS-2 because of: {_describe_culprits(self.culprits)}"


@dataclass(frozen=True, slots=True)
class _Layout:
    encoding: str
    units: int
    capacity: int
    starts: list[int]
    last_used: int


def count_segments(text: str) -> SegmentCount:
    """Count the segments of exactly ``text`` (nothing is trimmed or replaced).

    Args:
        text: the SMS body as it will be sent.

    Returns:
        The encoding, units, segments, free units in the last segment and the
        characters that forced UCS-2.
    """
    layout = _layout(text)
    return SegmentCount(
        encoding=layout.encoding,
        units=layout.units,
        segments=len(layout.starts),
        characters=len(text),
        remaining=layout.capacity - layout.last_used,
        per_segment_capacity=layout.capacity,
        text=text,
    )


def split_segments(text: str) -> list[str]:
    """Split ``text`` into the pieces each segment carries, as a phone receives them.

    Args:
        text: the SMS body as it will be sent.

    Returns:
        One string per segment (none for an empty text); joined they equal ``text``.
        No piece ends inside an escape pair or a surrogate pair.
    """
    starts = _layout(text).starts
    if not starts:
        return []

    ends = [*starts[1:], len(text)]
    return [text[start:end] for start, end in zip(starts, ends, strict=True)]


def is_gsm7(text: str) -> bool:
    """Return True when every character of ``text`` can be sent in GSM-7.

    Args:
        text: any text.

    Returns:
        True for GSM-7 (the empty text included), False when it needs UCS-2.
    """
    return _NOT_GSM7.search(text) is None


def utf16_offset(text: str, position: int) -> int:
    """Turn a code point index (a culprit's position) into a UTF-16 offset.

    Qt's text cursors count UTF-16 units, so an editor that highlights culprits
    needs this whenever an emoji comes before them.

    Args:
        text: the text the position belongs to.
        position: an index in code points, 0 to ``len(text)``.

    Returns:
        The same place counted in UTF-16 code units.
    """
    head = text[:position]
    if head.isascii():
        return position
    return position + len(_ASTRAL.findall(head))


def smart_encode(text: str) -> str:
    """Replace the Smart Encoding lookalikes (curly quotes, dashes, odd spaces...).

    Only characters in Duet's copy of Twilio's Smart Encoding map change; anything
    else (accented letters, emoji, CJK) is left as it is. Space runs of uncertain
    width in that map become a single space (see ``core/smart_encoding.json``).

    Args:
        text: the SMS body as written.

    Returns:
        The text with each lookalike replaced by its GSM-7 equivalent.
    """
    return text.translate(_smart_table())


def trim_for_sending(text: str) -> str:
    """Strip trailing line breaks the way Twilio does before it sends a Body.

    Args:
        text: the rendered SMS body.

    Returns:
        ``text`` without its trailing CR and LF characters; nothing else changes
        (spaces, leading breaks and inner breaks stay).
    """
    return text.rstrip(_TRAILING_LINE_BREAKS)


def body_problem(text: str) -> str | None:
    """Say why an SMS body may not be sent, or None when it may.

    Args:
        text: the rendered SMS body; trailing line breaks are ignored, since Twilio
            trims them.

    Returns:
        A plain-English reason ("The message is empty.") or None.
    """
    body = trim_for_sending(text)
    if not body:
        return "The message is empty."

    # Twilio's docs do not say whether its 1,600 limit counts code points or UTF-16
    # units; code points are counted (a live test could settle it).
    if len(body) > MAX_BODY_CHARS:
        return (
            f"The message is {len(body):,} characters; the limit is {MAX_BODY_CHARS:,}."
        )
    return None


def _layout(text: str) -> _Layout:
    """Work out the encoding and where each segment starts, in code points."""
    length = len(text)
    if not length:
        return _Layout(GSM7, 0, GSM7_SINGLE_CAPACITY, [], 0)

    if _NOT_GSM7.search(text) is None:
        return _gsm7_layout(text)

    # Astral characters (emoji) are surrogate pairs: two UTF-16 units each.
    # surrogatepass: a lone surrogate costs one unit instead of raising.
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    if units <= UCS2_SINGLE_CAPACITY:
        return _Layout(UCS2, units, UCS2_SINGLE_CAPACITY, [0], units)

    if units == length:
        starts = list(range(0, length, UCS2_MULTI_CAPACITY))
        return _Layout(UCS2, units, UCS2_MULTI_CAPACITY, starts, length - starts[-1])

    pairs = [match.start() for match in _ASTRAL.finditer(text)]
    starts = _pack(length, pairs, UCS2_MULTI_CAPACITY)
    last_used = _cost(starts[-1], length, pairs)
    return _Layout(UCS2, units, UCS2_MULTI_CAPACITY, starts, last_used)


def _gsm7_layout(text: str) -> _Layout:
    """Lay out a GSM-7 text on its septet stream, where each escape pair is explicit."""
    septets = text
    for char in GSM7_EXTENSION_CHARS:
        if char in septets:
            septets = septets.replace(char, _GSM7_ESC + char)

    units = len(septets)
    if units <= GSM7_SINGLE_CAPACITY:
        return _Layout(GSM7, units, GSM7_SINGLE_CAPACITY, [0], units)

    # Cut every 153 septets, one septet earlier when the cut would fall between an
    # ESC and its character; then turn the septet offset into a code point index.
    starts = [0]
    septet_start = 0
    while units - septet_start > GSM7_MULTI_CAPACITY:
        cut = septet_start + GSM7_MULTI_CAPACITY
        if septets[cut - 1] == _GSM7_ESC:
            cut -= 1
        escapes = septets.count(_GSM7_ESC, septet_start, cut)
        starts.append(starts[-1] + cut - septet_start - escapes)
        septet_start = cut
    return _Layout(GSM7, units, GSM7_MULTI_CAPACITY, starts, units - septet_start)


def _cost(start: int, end: int, pairs: list[int]) -> int:
    """UTF-16 units of code points ``start`` up to ``end``, given the astral ones."""
    return end - start + bisect_left(pairs, end) - bisect_left(pairs, start)


def _pack(length: int, pairs: list[int], capacity: int) -> list[int]:
    """Fill UCS-2 segments greedily; return the code point where each one starts.

    A segment ends before the first code point that would not fit whole, so a
    surrogate pair moves to the next segment rather than straddling the boundary.
    """
    starts = [0]
    start = 0
    while True:
        end = min(length, start + capacity)
        excess = _cost(start, end, pairs) - capacity
        if excess <= 0:
            if end == length:
                return starts
        else:
            # Dropping k code points frees between k and 2k units, so the last end
            # that fits lies in [end - excess, end - ceil(excess / 2)]: search it.
            fits, too_far = end - excess, end - (excess + 1) // 2 + 1
            while too_far - fits > 1:
                middle = (fits + too_far) // 2
                if _cost(start, middle, pairs) <= capacity:
                    fits = middle
                else:
                    too_far = middle
            end = fits
        starts.append(end)
        start = end


def _describe_culprits(culprits: tuple[Culprit, ...]) -> str:
    """Name each distinct culprit once: "’ (U+2019) at 5", "中 (U+4E2D) at 0 (×670)"."""
    first: dict[str, Culprit] = {}
    times: dict[str, int] = {}
    for culprit in culprits:
        first.setdefault(culprit.char, culprit)
        times[culprit.char] = times.get(culprit.char, 0) + 1

    shown = []
    for char, culprit in list(first.items())[:_CULPRITS_IN_SUMMARY]:
        text = f"{culprit.label()} at {culprit.position}"
        shown.append(text if times[char] == 1 else f"{text} (×{times[char]:,})")
    others = len(first) - len(shown)
    if others:
        shown.append(f"and {counted(others, 'other character')}")
    return ", ".join(shown)


@lru_cache(maxsize=4096)
def _culprit_facts(char: str) -> tuple[str, str, str, str | None]:
    """Return char, code point, name and replacement of one non-GSM character."""
    replacement = _smart_table().get(ord(char))
    return char, f"U+{ord(char):04X}", unicodedata.name(char, ""), replacement


@cache
def _smart_table() -> dict[int, str]:
    """Load the Smart Encoding map shipped in this package, as a translate table.

    The data is Twilio's map with one deliberate change: where the calculator writes
    a run of spaces (two for NBSP, EN SPACE, THIN SPACE, IDEOGRAPHIC SPACE and five
    C1 controls; seven for TAB) Duet writes one. The source itself flags those runs
    as unverified guesses; one space is what each of them looks like on a phone, and
    since Duet sends the replaced text itself, the count shown is the count billed.
    """
    path = resources.files("desktop_app.core").joinpath(_SMART_ENCODING_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    table = {int(key[2:], 16): value for key, value in data["map"].items()}
    logger.debug("loaded %d Smart Encoding replacements", len(table))
    return table
