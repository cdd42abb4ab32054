"""The rates chart: SMS delivery rate and opt-out rate per day, in the shop's zone.

Two stacked axes share the days: delivery rates live near 100 % and opt-out rates
near 0 %, so one scale would flatten one of them. A day with no denominator is a gap
in the line, not a zero.
"""

import math

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from desktop_app.charts.daily import MAX_TICK_LABELS
from desktop_app.core.kpis import RateSeries

DELIVERY_COLOUR = "#2e7d32"
OPT_OUT_COLOUR = "#c62828"
EMPTY_TEXT = "No messages sent yet"
NO_DELIVERY_TEXT = "Delivery not known: test outbox, or no delivery reports yet"


def _day_label(day: object) -> str:
    return f"{day:%b} {day.day}"  # type: ignore[attr-defined]


def _percent(values: list[float | None]) -> list[float]:
    return [math.nan if v is None else v * 100 for v in values]


def draw_rates_chart(figure: Figure, series: RateSeries) -> None:
    """Draw delivery and opt-out rates per day onto ``figure``, replacing it.

    Args:
        figure: the Figure to draw on; it is cleared and reused.
        series: the data from ``services.reporting.rate_series``.
    """
    figure.clear()
    if series.is_empty:
        axes = figure.add_subplot()
        axes.set_title(f"Delivery and opt-out rates ({series.tz})")
        axes.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return

    top, bottom = figure.subplots(2, 1, sharex=True)
    positions = list(range(len(series.days)))
    top.set_title(f"Delivery and opt-out rates ({series.tz})")

    delivery = _percent(series.delivery_rates)
    if all(math.isnan(v) for v in delivery):
        top.text(0.5, 0.5, NO_DELIVERY_TEXT, ha="center", va="center",
                 transform=top.transAxes)  # fmt: skip
    else:
        top.plot(positions, delivery, marker="o", color=DELIVERY_COLOUR,
                 label="Delivery rate")  # fmt: skip
    top.set_ylim(0, 105)
    top.set_ylabel("Delivered")
    top.yaxis.set_major_formatter(PercentFormatter(decimals=0))

    bottom.plot(positions, _percent(series.opt_out_rates), marker="o",
                color=OPT_OUT_COLOUR, label="Opt-out rate")  # fmt: skip
    highest = max((v for v in _percent(series.opt_out_rates) if not math.isnan(v)),
                  default=0.0)  # fmt: skip
    bottom.set_ylim(0, max(highest * 1.3, 1.0))
    bottom.set_ylabel("Opted out")
    bottom.yaxis.set_major_formatter(PercentFormatter(decimals=1))

    step = max(1, -(-len(positions) // MAX_TICK_LABELS))
    bottom.set_xticks(positions[::step])
    bottom.set_xticklabels([_day_label(day) for day in series.days[::step]])
    bottom.set_xlim(-0.5, len(positions) - 0.5)
    for axes in (top, bottom):
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
