"""The cost chart: what SMS cost per month (and how many segments), shop's zone."""

from matplotlib.figure import Figure

from desktop_app.core.kpis import MonthlyCost

BAR_COLOUR = "#1565c0"
EMPTY_TEXT = "No SMS sent yet"


def month_label(month: object) -> str:
    """Return a month as the axis shows it, e.g. ``"Mar 2024"``."""
    return f"{month:%b %Y}"


def draw_cost_chart(figure: Figure, data: MonthlyCost) -> None:
    """Draw SMS cost per month onto ``figure``, replacing what it showed.

    Each bar is labelled with its cost and its segments.

    Args:
        figure: the Figure to draw on; it is cleared and reused.
        data: the data from ``services.reporting.monthly_cost``.
    """
    figure.clear()
    axes = figure.add_subplot()
    axes.set_title(f"SMS cost per month ({data.tz})")
    if data.is_empty:
        axes.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return

    positions = list(range(len(data.months)))
    bars = axes.bar(positions, data.cost, 0.6, color=BAR_COLOUR, label="SMS cost")
    axes.bar_label(
        bars,
        labels=[
            f"${cost:,.2f}\n{segments:,} seg."
            for cost, segments in zip(data.cost, data.segments, strict=True)
        ],
        fontsize="small",
    )
    axes.set_xticks(positions)
    axes.set_xticklabels([month_label(m) for m in data.months])
    axes.set_ylabel("Cost (USD)")
    axes.set_ylim(0, max(max(data.cost) * 1.25, 0.01))
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
