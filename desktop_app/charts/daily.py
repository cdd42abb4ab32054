"""The daily chart: messages per day, SMS and email side by side, stacked by state.

Draws onto a Figure the caller owns (the window's canvas keeps one and redraws it on
refresh), never through pyplot.
"""

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from desktop_app.core.stats import DailyCounts

STATE_COLOURS = {
    "sent": "#2e7d32",
    "delivered": "#1b5e20",
    "failed": "#c62828",
    "skipped": "#9e9e9e",
    "unknown": "#ef6c00",
    "queued": "#1565c0",
    "sending": "#6a1b9a",
}
CHANNEL_LABELS = {"sms": "SMS", "email": "Email"}
CHANNEL_OFFSETS = {"sms": -0.2, "email": 0.2}
CHANNEL_HATCHES = {"sms": "", "email": "//"}
BAR_WIDTH = 0.38
MAX_TICK_LABELS = 14
EMPTY_TEXT = "No messages yet"
# Above this many days each series is one PolyCollection instead of one Rectangle
# per day: a year of days is thousands of bars, which matplotlib adds and renders
# one by one (about a second); a collection draws the same shapes in one call.
MAX_BAR_DAYS = 62


def _day_label(day: object) -> str:
    # Built by hand: "%-d" does not exist on Windows.
    return f"{day:%b} {day.day}"  # type: ignore[attr-defined]


def draw_daily_chart(figure: Figure, counts: DailyCounts) -> None:
    """Draw messages per day onto ``figure``, replacing what it showed.

    Each day has an SMS bar and an email bar (hatched), each stacked by state, with
    one legend entry per channel and state shown.

    Args:
        figure: the Figure to draw on; it is cleared and reused.
        counts: the counts from ``core.stats.daily_counts``.
    """
    figure.clear()
    axes = figure.add_subplot()
    axes.set_title(f"Messages per day ({counts.tz})")
    if counts.is_empty:
        axes.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return

    positions = list(range(len(counts.days)))
    bottoms = {channel: [0] * len(positions) for channel in CHANNEL_OFFSETS}
    many = len(positions) > MAX_BAR_DAYS
    for (channel, state), values in counts.series.items():
        offset = CHANNEL_OFFSETS.get(channel, 0.0)
        style = {
            "color": STATE_COLOURS.get(state, "#607d8b"),
            "hatch": CHANNEL_HATCHES.get(channel, ""),
            "label": f"{CHANNEL_LABELS.get(channel, channel)} {state}",
        }
        bottom = bottoms.setdefault(channel, [0] * len(positions))
        centres = [x + offset for x in positions]
        if many:
            _add_bar_collection(axes, centres, values, bottom, **style)
        else:
            axes.bar(
                centres, values, BAR_WIDTH, bottom=bottom, edgecolor="white", **style
            )
        bottoms[channel] = [a + b for a, b in zip(bottom, values, strict=True)]
    if many:
        top = max((max(b) for b in bottoms.values() if b), default=0)
        axes.set_xlim(-0.5, len(positions) - 0.5)
        axes.set_ylim(0, max(top, 1) * 1.05)

    step = max(1, -(-len(positions) // MAX_TICK_LABELS))
    axes.set_xticks(positions[::step])
    axes.set_xticklabels([_day_label(day) for day in counts.days[::step]])
    axes.set_ylabel("Messages")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        fontsize="small",
        frameon=False,
    )
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()


def _add_bar_collection(
    axes: Axes,
    centres: Sequence[float],
    heights: Sequence[int],
    bottoms: Sequence[int],
    *,
    color: str,
    hatch: str,
    label: str,
) -> PolyCollection:
    """Add one series of stacked bars as a single collection (days with 0 omitted)."""
    half = BAR_WIDTH / 2
    verts = [
        [(x - half, b), (x - half, b + h), (x + half, b + h), (x + half, b)]
        for x, h, b in zip(centres, heights, bottoms, strict=True)
        if h
    ]
    # Hatching thousands of polygons costs more than all the rest of the chart,
    # so here the hatched channel (email) is told apart by a lighter shade.
    collection = PolyCollection(
        verts, facecolors=color, edgecolors="none", alpha=0.55 if hatch else 1.0,
        label=label,
    )  # fmt: skip
    axes.add_collection(collection, autolim=False)
    return collection
