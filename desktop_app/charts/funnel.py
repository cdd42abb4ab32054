"""The funnel chart: per campaign, recipients reached → SMS delivered → bought."""

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from desktop_app.core.kpis import Funnel

STAGES = (
    ("Reached", "#1565c0"),
    ("Delivered", "#2e7d32"),
    ("Converted", "#ef6c00"),
)
WIDTH = 0.26
EMPTY_TEXT = "No campaigns yet"
UNKNOWN_TEXT = "not known"


def draw_funnel_chart(figure: Figure, funnels: list[Funnel]) -> None:
    """Draw each campaign's funnel onto ``figure``, replacing what it showed.

    A campaign whose delivery is not known (test outbox, email only) shows no
    Delivered bar but the words "not known" where it would be.

    Args:
        figure: the Figure to draw on; it is cleared and reused.
        funnels: the data from ``services.reporting.funnels``.
    """
    figure.clear()
    axes = figure.add_subplot()
    axes.set_title("Campaign funnel: reached → delivered → converted")
    if not funnels:
        axes.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return

    positions = list(range(len(funnels)))
    values = (
        [f.reached for f in funnels],
        [f.delivered or 0 for f in funnels],
        [f.converted for f in funnels],
    )
    for stage, ((label, colour), heights) in enumerate(
        zip(STAGES, values, strict=True)
    ):
        offset = (stage - 1) * WIDTH
        bars = axes.bar([x + offset for x in positions], heights, WIDTH,
                        color=colour, label=label)  # fmt: skip
        texts = [
            UNKNOWN_TEXT if label == "Delivered" and f.delivered is None else f"{h:,}"
            for f, h in zip(funnels, heights, strict=True)
        ]
        axes.bar_label(bars, labels=texts, fontsize="small",
                       rotation=90 if len(funnels) > 6 else 0)  # fmt: skip

    axes.set_xticks(positions)
    axes.set_xticklabels([f.campaign for f in funnels],
                         rotation=30 if len(funnels) > 4 else 0, ha="right"
                         if len(funnels) > 4 else "center")  # fmt: skip
    axes.set_ylabel("Recipients")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max(max(values[0]), 1) * 1.2)
    axes.legend(loc="upper right", fontsize="small", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
