"""A/B tests: a fair random split, and an honest comparison of two rates.

The comparison is a two-proportion z-test (pooled, two-sided, no continuity
correction). Its sentence says which variant did better and whether, with the counts
at hand, the difference could be chance; it never declares a winner on noise.
"""

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SIGNIFICANCE = 0.05
# Below this many expected successes or failures per group the normal
# approximation is rough; the sentence then says the counts are small.
SMALL_EXPECTED = 5


@dataclass(frozen=True)
class ProportionTest:
    """Two rates compared.

    Attributes:
        label_a: the first variant's name.
        successes_a: e.g. replies in variant A.
        total_a: e.g. recipients of variant A.
        label_b: the second variant's name.
        successes_b: as for A.
        total_b: as for A.
        z: the z statistic (B minus A), or None when a group is empty.
        p_value: two-sided p-value, or None when a group is empty.
        small_sample: True when the counts are too small for the test to be sure.
    """

    label_a: str
    successes_a: int
    total_a: int
    label_b: str
    successes_b: int
    total_b: int
    z: float | None
    p_value: float | None
    small_sample: bool

    @property
    def rate_a(self) -> float | None:
        """Return A's rate (0-1), or None with no recipients."""
        return self.successes_a / self.total_a if self.total_a else None

    @property
    def rate_b(self) -> float | None:
        """Return B's rate (0-1), or None with no recipients."""
        return self.successes_b / self.total_b if self.total_b else None

    @property
    def significant(self) -> bool:
        """Return True when the difference is unlikely to be chance (p < 0.05)."""
        return self.p_value is not None and self.p_value < SIGNIFICANCE


def percent(value: float | None) -> str:
    """Return a rate (0-1) as the reports write it: ``"4.1 %"``, or ``"-"``."""
    return "-" if value is None else f"{value * 100:.1f} %"


def format_p(p_value: float) -> str:
    """Return a p-value for people: ``"p = 0.21"``, ``"p = 0.004"``, ``"p < 0.001"``."""
    if p_value < 0.001:
        return "p < 0.001"
    if p_value < 0.01:
        return f"p = {p_value:.3f}"
    return f"p = {p_value:.2f}"


def two_proportion_test(
    successes_a: int,
    total_a: int,
    successes_b: int,
    total_b: int,
    *,
    label_a: str = "A",
    label_b: str = "B",
) -> ProportionTest:
    """Compare two rates with a pooled two-proportion z-test.

    Args:
        successes_a: successes in group A (replies, conversions...).
        total_a: group A's size.
        successes_b: successes in group B.
        total_b: group B's size.
        label_a: A's name in sentences.
        label_b: B's name in sentences.

    Returns:
        The test; ``p_value`` is None when either group is empty.

    Raises:
        ValueError: a count is negative or successes exceed the group.
    """
    for successes, total in ((successes_a, total_a), (successes_b, total_b)):
        if total < 0 or successes < 0 or successes > total:
            raise ValueError(f"bad counts {successes}/{total}")

    z: float | None = None
    p_value: float | None = None
    small = True
    if total_a and total_b:
        pooled = (successes_a + successes_b) / (total_a + total_b)
        error = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
        difference = successes_b / total_b - successes_a / total_a
        if error == 0:
            z, p_value = 0.0, 1.0
        else:
            z = difference / error
            p_value = math.erfc(abs(z) / math.sqrt(2))
        small = (
            min(
                pooled * total_a,
                (1 - pooled) * total_a,
                pooled * total_b,
                (1 - pooled) * total_b,
            )
            < SMALL_EXPECTED
        )

    return ProportionTest(
        label_a, successes_a, total_a, label_b, successes_b, total_b, z, p_value, small
    )


def describe(test: ProportionTest, measure: str = "reply rate") -> str:
    """Say in one sentence what a comparison shows, and how sure it is.

    Args:
        test: the comparison.
        measure: what the rate is, e.g. ``"reply rate"``, ``"conversion rate"``.

    Returns:
        E.g. "B's reply rate is higher (4.1 % vs 2.0 %), but with these counts the
        difference could be chance (p = 0.21)."
    """
    if test.p_value is None:
        empty = test.label_a if not test.total_a else test.label_b
        return f"{empty} has no recipients yet, so there is nothing to compare."

    rate_a, rate_b = test.rate_a, test.rate_b
    if test.successes_a * test.total_b == test.successes_b * test.total_a:
        return (
            f"{test.label_a} and {test.label_b} have the same {measure} "
            f"({percent(rate_a)})."
        )

    a_higher = (rate_a or 0) > (rate_b or 0)
    better = test.label_a if a_higher else test.label_b
    high, low = (rate_a, rate_b) if a_higher else (rate_b, rate_a)
    head = f"{better}'s {measure} is higher ({percent(high)} vs {percent(low)})"
    p_text = format_p(test.p_value)
    if not test.significant:
        return (
            f"{head}, but with these counts the difference could be chance ({p_text})."
        )
    if test.small_sample:
        return (
            f"{head}, and the difference is unlikely to be chance ({p_text}), "
            "though the counts are small."
        )
    return (
        f"{head}, and with these counts the difference is unlikely to be chance "
        f"({p_text})."
    )


def assign_variants(
    contact_ids: Iterable[int], variants: Sequence[str], seed: int | str
) -> dict[int, str]:
    """Split contacts at random between variants, the same way every time.

    The split depends only on the set of ids and the seed (not on their order), and
    group sizes differ by at most one.

    Args:
        contact_ids: the recipients.
        variants: the variant names, e.g. ``("A", "B")``.
        seed: e.g. the campaign's id, so a resumed send splits as the first did.

    Returns:
        Contact id to variant name.

    Raises:
        ValueError: no variants, or a variant named twice.
    """
    if not variants or len(set(variants)) != len(variants):
        raise ValueError("give at least one variant, each name once")

    ordered = sorted(set(contact_ids))
    random.Random(str(seed)).shuffle(ordered)
    return {
        contact_id: variants[index % len(variants)]
        for index, contact_id in enumerate(ordered)
    }
