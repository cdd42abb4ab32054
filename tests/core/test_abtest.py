"""The two-proportion test against known values, its sentences, and the split."""

import math

import pytest

from desktop_app.core.abtest import (
    assign_variants,
    describe,
    format_p,
    two_proportion_test,
)


def test_matches_a_textbook_value() -> None:
    # 15/50 vs 25/50: chi-square (no continuity correction) 4.1667, p = 0.0412,
    # as R's prop.test(c(15, 25), c(50, 50), correct = FALSE) reports.
    test = two_proportion_test(15, 50, 25, 50)

    assert test.z is not None and test.p_value is not None
    assert test.z**2 == pytest.approx(4.1667, abs=1e-4)
    assert test.p_value == pytest.approx(0.04123, abs=1e-5)
    assert test.significant


def test_z_is_computed_from_the_pooled_rate() -> None:
    # 20/1000 vs 41/1000: pooled 0.0305, z = 0.021 / sqrt(0.0305*0.9695*0.002).
    test = two_proportion_test(20, 1000, 41, 1000)

    expected_z = 0.021 / math.sqrt(0.0305 * 0.9695 * 0.002)
    assert test.z == pytest.approx(expected_z, rel=1e-9)
    assert test.p_value == pytest.approx(0.00632, abs=5e-5)


def test_sentence_when_the_difference_could_be_chance() -> None:
    test = two_proportion_test(6, 300, 12, 290, label_a="A", label_b="B")

    sentence = describe(test, "reply rate")

    assert test.p_value is not None and test.p_value > 0.05
    assert sentence == (
        "B's reply rate is higher (4.1 % vs 2.0 %), but with these counts the "
        f"difference could be chance ({format_p(test.p_value)})."
    )


def test_sentence_when_the_difference_is_clear() -> None:
    test = two_proportion_test(80, 1000, 30, 1000, label_a="Short", label_b="Long")

    sentence = describe(test, "conversion rate")

    assert sentence.startswith("Short's conversion rate is higher (8.0 % vs 3.0 %)")
    assert "unlikely to be chance (p < 0.001)" in sentence
    assert "small" not in sentence


def test_small_counts_are_flagged() -> None:
    test = two_proportion_test(0, 20, 6, 20)

    assert test.small_sample
    assert "though the counts are small" in describe(test)


def test_equal_rates_and_empty_groups() -> None:
    assert describe(two_proportion_test(5, 100, 10, 200)) == (
        "A and B have the same reply rate (5.0 %)."
    )
    same_zero = two_proportion_test(0, 10, 0, 10)
    assert same_zero.p_value == 1.0
    empty = two_proportion_test(3, 10, 0, 0)
    assert empty.p_value is None
    assert describe(empty) == "B has no recipients yet, so there is nothing to compare."


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        two_proportion_test(11, 10, 1, 10)


def test_format_p() -> None:
    assert format_p(0.2134) == "p = 0.21"
    assert format_p(0.0042) == "p = 0.004"
    assert format_p(0.0001) == "p < 0.001"


def test_assign_variants_is_deterministic_balanced_and_order_free() -> None:
    ids = list(range(1, 102))

    first = assign_variants(ids, ["A", "B"], seed=42)
    again = assign_variants(reversed(ids), ["A", "B"], seed=42)
    other = assign_variants(ids, ["A", "B"], seed=43)

    assert first == again
    assert first != other
    counts = sorted(list(first.values()).count(v) for v in ("A", "B"))
    assert counts == [50, 51]
    three = assign_variants(ids, ["A", "B", "C"], seed="c1")
    assert sorted(list(three.values()).count(v) for v in "ABC") == [33, 34, 34]
    with pytest.raises(ValueError):
        assign_variants(ids, ["A", "A"], seed=1)
