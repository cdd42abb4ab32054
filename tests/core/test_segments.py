"""The SMS counter: the shared vectors, culprits, Smart Encoding, packing, limits."""

import itertools
import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.core import segments
from desktop_app.core.segments import (
    body_problem,
    count_segments,
    smart_encode,
    split_segments,
    trim_for_sending,
)
from tests.conftest import SMS_VECTORS

VECTORS: list[dict[str, Any]] = json.loads(
    (SMS_VECTORS / "segment_vectors.json").read_text(encoding="utf-8")
)
TEXT = {vector["name"]: vector["text"] for vector in VECTORS}
SHARED_SMART = json.loads(
    (SMS_VECTORS / "smart_encoding.json").read_text(encoding="utf-8")
)

# The alphabets come from the shared vectors, not from the module under test.
EXTENSION = TEXT["all_extension_chars"]
GSM_ALPHABET = TEXT["all_gsm7_chars"]
ZWJ = "\u200d"

# Characters that sit on every boundary the packer must respect, mixed with anything.
MIXED = st.one_of(
    st.sampled_from(["a", " ", "\n", "|", "€", "{", "😀", "中", "á", ZWJ, "\u0301"]),
    st.characters(codec="utf-8"),
)
# Any text, plus long GSM-7 and UCS-2 texts dense in two-unit characters, so that
# escape pairs and surrogate pairs land on segment boundaries often.
TEXTS = st.one_of(
    st.text(MIXED, max_size=400),
    st.text(st.sampled_from("ab |€{\n"), min_size=140, max_size=500),
    st.text(st.sampled_from("ab|中😀🇺"), min_size=60, max_size=300),
)


def _units(piece: str, encoding: str) -> int:
    """Count a piece independently of the module: septets or UTF-16 units."""
    if encoding == "GSM-7":
        return len(piece) + sum(piece.count(char) for char in EXTENSION)
    return len(piece.encode("utf-16-le")) // 2


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_count_segments_matches_shared_vector(vector: dict[str, Any]) -> None:
    count = count_segments(vector["text"])

    assert (count.encoding, count.units, count.segments) == (
        vector["encoding"],
        vector["units"],
        vector["segments"],
    )
    assert count.characters == len(vector["text"])
    assert 0 <= count.remaining <= count.per_segment_capacity
    assert len(split_segments(vector["text"])) == vector["segments"]


def test_alphabets_taken_from_vectors_are_complete() -> None:
    assert len(set(GSM_ALPHABET)) == 137
    assert set(EXTENSION) <= set(GSM_ALPHABET)
    assert set(segments.GSM7_DEFAULT_CHARS + segments.GSM7_EXTENSION_CHARS) == set(
        GSM_ALPHABET
    )


@pytest.mark.parametrize(
    ("text", "capacity"),
    [
        ("", 160),
        ("a" * 160, 160),
        ("a" * 161, 153),
        ("中" * 70, 70),
        ("中" * 71, 67),
    ],
)
def test_per_segment_capacity(text: str, capacity: int) -> None:
    assert count_segments(text).per_segment_capacity == capacity


@pytest.mark.parametrize(
    ("name", "remaining"),
    [
        ("empty", 160),
        ("ascii_hello", 155),
        ("gsm_161", 145),
        ("ext_straddles_153_boundary", 152),
        ("emoji_67_pairs_never_split", 65),
        ("zwj_sequence_across_boundary", 0),
        ("cjk_71", 63),
    ],
)
def test_remaining_counts_free_units_of_last_segment(name: str, remaining: int) -> None:
    assert count_segments(TEXT[name]).remaining == remaining


def test_culprit_curly_apostrophe() -> None:
    (culprit,) = count_segments("It’s ready").culprits

    assert culprit.position == 2
    assert culprit.char == "’"
    assert culprit.codepoint == "U+2019"
    assert culprit.name == "RIGHT SINGLE QUOTATION MARK"
    assert culprit.replacement == "'"


def test_culprits_curly_double_quotes_in_order() -> None:
    culprits = count_segments(TEXT["curly_quotes_no_smart"]).culprits

    assert [(c.position, c.codepoint, c.replacement) for c in culprits] == [
        (0, "U+201C", '"'),
        (3, "U+201D", '"'),
    ]


def test_culprits_accented_letters_have_no_replacement() -> None:
    culprits = count_segments("Olá Zoë").culprits

    assert [(c.position, c.char, c.name) for c in culprits] == [
        (2, "á", "LATIN SMALL LETTER A WITH ACUTE"),
        (6, "ë", "LATIN SMALL LETTER E WITH DIAERESIS"),
    ]
    assert [c.replacement for c in culprits] == [None, None]


def test_culprit_positions_are_code_points_not_utf16_units() -> None:
    culprits = count_segments("ab😀cá").culprits

    assert [(c.position, c.codepoint) for c in culprits] == [
        (2, "U+1F600"),
        (4, "U+00E1"),
    ]
    assert culprits[0].name == "GRINNING FACE"


@pytest.mark.parametrize(
    ("text", "position", "offset"),
    [("ab😀cá", 4, 5), ("😀😀x", 2, 4), ("abc", 3, 3), ("中é", 1, 1), ("", 0, 0)],
)
def test_utf16_offset_counts_surrogate_pairs(
    text: str, position: int, offset: int
) -> None:
    assert segments.utf16_offset(text, position) == offset


def test_extension_chars_are_not_culprits_in_ucs2() -> None:
    text = TEXT["ext_chars_in_ucs2_issue57"]

    culprits = count_segments(text).culprits

    assert [(c.position, c.char) for c in culprits] == [(text.index("∞"), "∞")]


def test_gsm_text_has_no_culprits() -> None:
    assert count_segments(TEXT["all_gsm7_chars"]).culprits == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("curly_quotes_no_smart", '"Hi"'),
        ("em_dash_no_smart", "a-b"),
        ("en_dash_no_smart", "1-2"),
        ("nbsp_no_smart", "a b"),
        ("zero_width_space_no_smart", "ab"),
        ("bullet_no_smart", "- item"),
        ("backtick_ucs2", "a'b"),
        ("tab_ucs2", "a b"),
    ],
)
def test_smart_encode_turns_lookalikes_into_gsm7(name: str, expected: str) -> None:
    replaced = smart_encode(TEXT[name])

    assert replaced == expected
    assert count_segments(replaced).encoding == "GSM-7"
    assert count_segments(replaced).units == len(expected)


def test_smart_encode_lengthens_ellipsis_and_keeps_other_characters() -> None:
    assert smart_encode("Wait… Zoë, São 😀 中") == "Wait... Zoë, São 😀 中"


def test_smart_encode_leaves_real_letters_so_text_stays_ucs2() -> None:
    replaced = smart_encode("“Olá”")

    assert replaced == '"Olá"'
    assert [c.char for c in count_segments(replaced).culprits] == ["á"]


def test_packaged_smart_map_is_the_shared_map_with_single_spaces() -> None:
    packaged = json.loads(
        resources.files("desktop_app.core")
        .joinpath("smart_encoding.json")
        .read_text(encoding="utf-8")
    )

    assert len(packaged["map"]) == len(SHARED_SMART["map"])
    for entry in SHARED_SMART["entries"]:
        ours = packaged["map"][entry["codepoint"]]
        if entry["codepoint"] in packaged["changed_from_source"]:
            assert entry["replacement"].strip(" ") == ""
            assert ours == " "
        else:
            assert ours == entry["replacement"]


def test_every_smart_replacement_is_gsm7_and_short() -> None:
    for char in SHARED_SMART["map"]:
        replaced = smart_encode(char)

        assert segments.is_gsm7(replaced), char
        assert len(replaced) <= 3
        assert "  " not in replaced


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi\r\n\n", "Hi"),
        ("Hi \n", "Hi "),
        ("Hi\t\r", "Hi\t"),
        ("\nHi\nthere", "\nHi\nthere"),
        ("\n\n\n", ""),
        ("Hi  ", "Hi  "),
    ],
)
def test_trim_for_sending_strips_only_trailing_line_breaks(
    text: str, expected: str
) -> None:
    assert trim_for_sending(text) == expected


def test_trim_then_count_saves_the_newline_segment() -> None:
    text = "a" * 160 + "\n"

    assert count_segments(text).segments == 2
    assert count_segments(trim_for_sending(text)).segments == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "The message is empty."),
        ("\r\n\n", "The message is empty."),
        ("a" * 1650, "The message is 1,650 characters; the limit is 1,600."),
        ("a" * 1601, "The message is 1,601 characters; the limit is 1,600."),
        ("a" * 1600, None),
        ("a" * 1600 + "\n\n", None),
        (" ", None),
        ("Hi 😀", None),
    ],
)
def test_body_problem(text: str, problem: str | None) -> None:
    assert body_problem(text) == problem


def test_limits() -> None:
    assert segments.MAX_BODY_CHARS == 1600
    assert segments.WARN_SEGMENTS == 10


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("", "GSM-7 · 0 characters · 0 segments"),
        (
            "Hello",
            "GSM-7 · 5 characters · 1 segment · 155 characters left in this segment",
        ),
        (
            "a" * 161,
            "GSM-7 · 161 characters · 2 segments · 145 characters left in this segment",
        ),
        (
            "It’s",
            "UCS-2 · 4 characters · 1 segment · 66 characters left in this segment\n"
            "UCS-2 because of: ’ (U+2019) at 2",
        ),
        (
            "a\u200bb",
            "UCS-2 · 3 characters · 1 segment · 67 characters left in this segment\n"
            "UCS-2 because of: ZERO WIDTH SPACE (U+200B) at 1",
        ),
    ],
)
def test_summary_text(text: str, summary: str) -> None:
    assert count_segments(text).summary_text() == summary


def test_summary_names_a_repeated_culprit_once() -> None:
    summary = count_segments(TEXT["cjk_670_ten_segments"]).summary_text()

    assert summary.endswith("UCS-2 because of: 中 (U+4E2D) at 0 (×670)")


def test_summary_caps_the_list_of_culprits() -> None:
    summary = count_segments("αβγδεζηθ").summary_text()

    assert summary.endswith("ε (U+03B5) at 4, and 3 other characters")


def test_to_json_is_serialisable_and_complete() -> None:
    result = json.loads(json.dumps(count_segments("Zoë’s order").to_json()))

    assert result == {
        "encoding": "UCS-2",
        "units": 11,
        "segments": 1,
        "characters": 11,
        "remaining": 59,
        "per_segment_capacity": 70,
        "culprits": [
            {
                "position": 2,
                "char": "ë",
                "codepoint": "U+00EB",
                "name": "LATIN SMALL LETTER E WITH DIAERESIS",
                "replacement": None,
            },
            {
                "position": 3,
                "char": "’",
                "codepoint": "U+2019",
                "name": "RIGHT SINGLE QUOTATION MARK",
                "replacement": "'",
            },
        ],
    }


def test_repr_never_shows_the_body() -> None:
    assert "order 1234" not in repr(count_segments("Your order 1234 is ready"))


def test_split_empty_text_has_no_pieces() -> None:
    assert split_segments("") == []


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_split_segments_joins_back_and_fits(vector: dict[str, Any]) -> None:
    pieces = split_segments(vector["text"])

    assert "".join(pieces) == vector["text"]
    capacity = count_segments(vector["text"]).per_segment_capacity
    assert all(_units(piece, vector["encoding"]) <= capacity for piece in pieces)


def test_split_moves_escape_pair_to_next_segment() -> None:
    pieces = split_segments(TEXT["ext_straddles_153_boundary"])

    assert [len(piece) for piece in pieces] == [152, 152, 1]
    assert pieces[1].startswith("[")
    assert _units(pieces[0], "GSM-7") == 152


def test_split_brackets_hold_76_pairs_per_segment() -> None:
    pieces = split_segments(TEXT["brackets_153_issue39"])

    assert [len(piece) for piece in pieces] == [76, 76, 1]


def test_split_moves_surrogate_pair_to_next_segment() -> None:
    pieces = split_segments(TEXT["emoji_straddles_67_boundary"])

    assert [len(piece) for piece in pieces] == [66, 66, 1]
    assert pieces[1].startswith("😀")


def test_split_emoji_hold_33_per_segment() -> None:
    pieces = split_segments(TEXT["emoji_67_pairs_never_split"])

    assert [len(piece) for piece in pieces] == [33, 33, 1]


def test_split_zwj_sequence_between_code_points() -> None:
    pieces = split_segments(TEXT["zwj_sequence_across_boundary"])

    assert len(pieces) == 2
    assert pieces[0].endswith("👩" + ZWJ)
    assert _units(pieces[0], "UCS-2") == 67
    assert pieces[1].startswith("👧")


@given(TEXTS, MIXED)
def test_segments_never_decrease_when_a_character_is_appended(
    text: str, char: str
) -> None:
    before = count_segments(text)
    after = count_segments(text + char)

    assert after.segments >= before.segments
    assert after.segments >= 1


@given(st.text(st.sampled_from(GSM_ALPHABET), max_size=400))
def test_gsm7_alphabet_never_reports_ucs2(text: str) -> None:
    count = count_segments(text)

    assert count.encoding == "GSM-7"
    assert count.units == _units(text, "GSM-7")
    assert count.culprits == ()
    assert smart_encode(text) == text


@given(TEXTS)
def test_split_never_breaks_a_pair_and_packs_each_segment_full(text: str) -> None:
    count = count_segments(text)
    pieces = split_segments(text)
    capacity = count.per_segment_capacity

    assert "".join(pieces) == text
    assert len(pieces) == count.segments
    assert sum(_units(piece, count.encoding) for piece in pieces) == count.units
    for piece, following in itertools.pairwise(pieces):
        assert piece
        assert _units(piece, count.encoding) <= capacity
        # Greedy: the next code point (with its whole pair) would not have fitted.
        assert _units(piece + following[0], count.encoding) > capacity
    if pieces:
        assert capacity - _units(pieces[-1], count.encoding) == count.remaining
