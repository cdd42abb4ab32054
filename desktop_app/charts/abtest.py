"""The A/B chart: each variant's rates side by side, with counts and an honest note."""

import textwrap

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from desktop_app.core.abtest import percent
from desktop_app.core.kpis import AbComparison, Kpis

MEASURES = (
    ("Delivery", lambda k: (k.sms_delivered, k.sms_status_known)),
    ("Reply", lambda k: (k.replied, k.sms_reached)),
    ("Opt-out", lambda k: (k.opted_out, k.reached)),
    ("Conversion", lambda k: (k.converted, k.reached)),
)
COLOURS = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#9e9e9e")
EMPTY_TEXT = "This campaign was not split into A/B variants"


def _counts(kpis: Kpis) -> list[tuple[int, int]]:
    return [counts(kpis) for _, counts in MEASURES]


def draw_abtest_chart(figure: Figure, comparison: AbComparison) -> None:
    """Draw the variants' rates onto ``figure``, replacing what it showed.

    Bars are labelled with the rate and its counts (``4.1 %`` over ``12/290``); the
    first test's sentence is written under the title.

    Args:
        figure: the Figure to draw on; it is cleared and reused.
        comparison: the data from ``services.reporting.ab_comparison``.
    """
    figure.clear()
    axes = figure.add_subplot()
    axes.set_title(f"A/B test: {comparison.campaign}" if comparison.campaign
                   else "A/B test")  # fmt: skip
    if comparison.is_empty:
        axes.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", fontsize=12)
        axes.set_axis_off()
        return

    count = len(comparison.variants)
    width = 0.8 / count
    positions = list(range(len(MEASURES)))
    for index, result in enumerate(comparison.variants):
        pairs = _counts(result.kpis)
        rates = [part / whole if whole else None for part, whole in pairs]
        offset = (index - (count - 1) / 2) * width
        bars = axes.bar(
            [x + offset for x in positions],
            [0 if r is None else r * 100 for r in rates],
            width,
            color=COLOURS[index % len(COLOURS)],
            label=f"Variant {result.variant}",
        )
        axes.bar_label(
            bars,
            labels=[
                f"{percent(r)}\n{part}/{whole}" if r is not None else "-"
                for r, (part, whole) in zip(rates, pairs, strict=True)
            ],
            fontsize="x-small",
        )

    axes.set_xticks(positions)
    axes.set_xticklabels([name for name, _ in MEASURES])
    axes.set_ylabel("Rate")
    axes.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    axes.set_ylim(0, 115)
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    if comparison.sentences:
        note = textwrap.fill(comparison.sentences[0], 100)
        figure.text(0.5, 0.01, note, ha="center", va="bottom", fontsize="small")
        figure.tight_layout(rect=(0, 0.08, 1, 1))
    else:
        figure.tight_layout()
