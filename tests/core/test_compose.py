"""Per-recipient SMS counting over an audience: counts, reasons, totals."""

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core.compose import audience_breakdown
from desktop_app.core.segments import (
    GSM7,
    UCS2,
    body_problem,
    count_segments,
    trim_for_sending,
)
from desktop_app.core.templates import render

# 87 characters once a four-letter name is filled in: one GSM-7 segment, but two in
# UCS-2 (over 70 units), and two in GSM-7 when the name has 78 characters or more.
TEMPLATE = (
    "Hi {first_name}, your order is ready for pick-up at the counter. "
    "Details are in your inbox now."
)
LONG_NAME = (
    "Maximiliana-Josefina Examplewoman-Longfellow Smithsonian-Jones de la Exampleton"
)


def _naive(template: str, recipient: dict[str, str]) -> tuple[int, str, str]:
    body = trim_for_sending(render(template, recipient))
    count = count_segments(body)
    return count.segments, count.encoding, body


def _recipients() -> list[dict[str, str]]:
    return [
        *({"first_name": "Anna"} for _ in range(6)),
        {"first_name": "Ana Mária"},
        {"first_name": LONG_NAME},
        {"first_name": "Bob"},
    ]


def test_breakdown_counts_each_recipient_after_merge() -> None:
    recipients = _recipients()

    result = audience_breakdown(TEMPLATE, recipients, price_per_segment=0.0083)

    expected = [_naive(TEMPLATE, r)[:2] for r in recipients]
    assert list(result.segments_per_recipient) == [size for size, _enc in expected]
    assert list(result.encodings_per_recipient) == [enc for _size, enc in expected]
    assert result.segments_per_recipient[6] == 2
    assert result.encodings_per_recipient[6] == UCS2
    assert result.segments_per_recipient[7] == 2
    assert result.encodings_per_recipient[7] == GSM7
    assert result.histogram == {1: 7, 2: 2}
    assert result.typical_segments == 1
    assert result.worst_segments == 2
    assert result.worst_encoding == UCS2
    assert result.worst_recipients == (6, 7)
    assert result.total_segments == 11
    assert result.distinct_values == 4


def test_breakdown_explains_the_costlier_customers() -> None:
    result = audience_breakdown(TEMPLATE, _recipients(), price_per_segment=0.0083)

    costly = result.groups[1]
    assert result.groups[0].segments == 1 and result.groups[0].reasons == ()
    assert costly.segments == 2
    assert costly.encodings == {GSM7: 1, UCS2: 1}
    assert sorted(costly.reasons) == ["a long name", "a name with á (UCS-2)"]
    first_line = result.summary_text().splitlines()[0]
    assert first_line.startswith("most customers: 1 segment; 2 customers: 2 segments")
    assert "because of a" in first_line
    assert "(1 of them in UCS-2)" in result.summary_text()


def test_many_names_with_accents_are_named_in_the_plural() -> None:
    recipients = [{"first_name": "Anna"}] * 5 + [
        {"first_name": "José"},
        {"first_name": "Ramón"},
        {"first_name": "José"},
    ]
    result = audience_breakdown(TEMPLATE, recipients, price_per_segment=0.01)
    # é is in GSM-7; ó is not.
    assert result.groups[1].recipients == 1
    assert result.groups[1].reasons == ("a name with ó (UCS-2)",)

    recipients += [{"first_name": "Mário"}, {"first_name": "Zoë"}]
    result = audience_breakdown(TEMPLATE, recipients, price_per_segment=0.01)
    assert result.groups[1].recipients == 3
    assert result.groups[1].reasons[0].startswith("names with ")
    assert set("óáë") <= set(result.groups[1].reasons[0])


def test_template_that_is_ucs2_itself_blames_length_not_the_names() -> None:
    template = "Hi {first_name}, it\u2019s ready. See your inbox."
    recipients = [{"first_name": "Ana"}] * 3 + [{"first_name": "Á" * 40}]

    result = audience_breakdown(template, recipients, price_per_segment=0.01)

    assert result.histogram == {1: 3, 2: 1}
    assert result.groups[1].reasons == ("a long name",)


def test_empty_and_refused_bodies_are_set_apart() -> None:
    recipients = [
        {"first_name": "Ana"},
        {"first_name": " "},
        {"first_name": "x" * 1700},
    ]

    result = audience_breakdown("{first_name}", recipients, price_per_segment=1)

    assert result.empty_recipients == (1,)
    assert result.refused_recipients == (2,)
    assert result.sendable == 1
    assert result.total_segments == 1
    assert result.histogram == {1: 1}
    assert result.segments_per_recipient[1] == 0
    assert body_problem("x" * 1700) is not None
    text = result.summary_text()
    assert "1 customer would get an empty SMS" in text
    assert "over 1,600 characters" in text


def test_over_ten_segments_is_warned() -> None:
    recipients = [{"first_name": "y" * 1540}, {"first_name": "Ana"}]
    result = audience_breakdown("Hi {first_name}", recipients, price_per_segment=1)
    assert result.over_warning == 1
    assert result.worst_segments == 11
    assert "more than 10 segments" in result.summary_text()


def test_price_and_cost_are_exact_decimals() -> None:
    recipients = [{"first_name": "Ana"}] * 3
    from_float = audience_breakdown(TEMPLATE, recipients, price_per_segment=0.0083)
    from_decimal = audience_breakdown(
        TEMPLATE, recipients, price_per_segment=Decimal("0.0083")
    )

    assert from_float.price_per_segment == Decimal("0.0083")
    assert from_float.estimated_cost == Decimal("0.0249")
    assert from_decimal.estimated_cost == from_float.estimated_cost
    assert "all 3 customers: 1 segment" in from_float.summary_text()
    assert "estimated cost $0.02 at $0.0083 per segment" in from_float.summary_text()


def test_defaults_fill_what_a_recipient_lacks_and_fallbacks_apply() -> None:
    template = "Hi {first_name|there}, from {shop_name}. " + "x" * 130
    recipients = [
        {"first_name": ""},
        {"first_name": "Ana", "shop_name": "A much longer shop name"},
        {"first_name": "Ana"},
    ]

    result = audience_breakdown(
        template, recipients, price_per_segment=1, defaults={"shop_name": "Corner"}
    )

    merged = [{"shop_name": "Corner", **recipient} for recipient in recipients]
    expected = tuple(_naive(template, values)[0] for values in merged)
    assert result.segments_per_recipient == expected == (1, 2, 1)
    assert result.empty_recipients == ()
    assert result.groups[1].reasons == ("a long shop name",)


def test_no_recipients_says_so() -> None:
    result = audience_breakdown(TEMPLATE, [], price_per_segment=1)
    assert result.summary_text() == "No customers chosen."
    assert result.worst_encoding is None
    assert result.total_segments == 0


def test_to_json_is_serialisable_and_complete() -> None:
    result = audience_breakdown(TEMPLATE, _recipients(), price_per_segment=0.0083)

    data = json.loads(json.dumps(result.to_json()))

    assert data["histogram"] == {"1": 7, "2": 2}
    assert data["worst_case"] == {
        "segments": 2,
        "encoding": "UCS-2",
        "recipients": 2,
        "examples": [6, 7],
    }
    assert data["total_segments"] == 11
    assert data["estimated_cost"] == 0.0913
    assert data["price_per_segment"] == "0.0083"
    assert data["groups"][1]["reasons"]
    assert data["summary"] == result.summary_text()


_PIECES = st.sampled_from(
    [
        "Hi ",
        "{first_name}",
        "{last_name|friend}",
        " {company}",
        ", ",
        "your order is ready. ",
        "€",
        "[x]",
        "😀",
        "\u2019",
        "\n",
        "\r\n",
        "x" * 60,
        "y" * 150,
        "(",
        ")",
        ": ",
        "\n{first_name} ",
        "{company}, ",
    ]
)
_VALUES = st.sampled_from(
    [
        *("", " ", "Ana", "ana", "Zoë", "José", "Ramón", "€uro", "A😀", "O\u2019Neil"),
        *("L" * 70, ",x", "x.", "(b)"),
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    pieces=st.lists(_PIECES, max_size=12),
    recipients=st.lists(
        st.fixed_dictionaries(
            {"first_name": _VALUES, "last_name": _VALUES, "company": _VALUES}
        ),
        max_size=12,
    ),
)
def test_breakdown_matches_counting_each_message_alone(
    pieces: list[str], recipients: list[dict[str, str]]
) -> None:
    template = "".join(pieces)

    result = audience_breakdown(template, recipients, price_per_segment=1)

    naive = [_naive(template, recipient) for recipient in recipients]
    sendable = [
        size
        for size, _enc, body in naive
        if body.strip() and body_problem(body) is None
    ]
    assert result.total_segments == sum(sendable)
    assert sum(result.histogram.values()) == result.sendable == len(sendable)
    for index, (size, encoding, body) in enumerate(naive):
        if body.strip():
            assert result.segments_per_recipient[index] == size
            assert result.encodings_per_recipient[index] == encoding
        else:
            assert index in result.empty_recipients


def test_template_text_that_forces_ucs2_is_named() -> None:
    template = "Hola {first_name}, tu pedido está listo \u2014 ¡gracias!"
    result = audience_breakdown(template, [{"first_name": "Ana"}], price_per_segment=1)

    assert result.text_culprits == ("á", "\u2014")
    assert "the text itself has á, \u2014" in result.summary_text()
    plain = audience_breakdown(TEMPLATE, [{"first_name": "Zoë"}], price_per_segment=1)
    assert plain.text_culprits == ()
