"""The report charts (rates, cost, funnel, A/B), checked on the Figure's artists."""

import math
from datetime import date

from matplotlib.figure import Figure

from desktop_app.charts.abtest import EMPTY_TEXT as AB_EMPTY
from desktop_app.charts.abtest import draw_abtest_chart
from desktop_app.charts.cost import draw_cost_chart
from desktop_app.charts.funnel import UNKNOWN_TEXT, draw_funnel_chart
from desktop_app.charts.rates import NO_DELIVERY_TEXT, draw_rates_chart
from desktop_app.core.kpis import (
    AbComparison,
    Funnel,
    Kpis,
    MonthlyCost,
    RateSeries,
    VariantResult,
)


def _labels(axes) -> list[str]:
    return [t.get_text() for t in axes.get_xticklabels()]


def _heights(container) -> list[float]:
    return [round(p.get_height(), 6) for p in container.patches]


def test_rates_chart_plots_percentages_with_gaps_for_unknown_days() -> None:
    series = RateSeries(
        "America/New_York",
        [date(2024, 3, 9), date(2024, 3, 10), date(2024, 3, 11)],
        sent=[10, 0, 4], delivery_known=[10, 0, 4], delivered=[9, 0, 4],
        reached=[10, 0, 4], opted_out=[1, 0, 0],
    )  # fmt: skip
    figure = Figure()

    draw_rates_chart(figure, series)

    top, bottom = figure.axes
    delivery = top.lines[0].get_ydata()
    assert delivery[0] == 90.0 and math.isnan(delivery[1]) and delivery[2] == 100.0
    opt_out = bottom.lines[0].get_ydata()
    assert opt_out[0] == 10.0 and math.isnan(opt_out[1]) and opt_out[2] == 0.0
    assert _labels(bottom) == ["Mar 9", "Mar 10", "Mar 11"]
    assert "America/New_York" in top.get_title()


def test_rates_chart_says_when_delivery_is_unknown() -> None:
    series = RateSeries("UTC", [date(2024, 1, 1)], [5], [0], [0], [5], [0])
    figure = Figure()

    draw_rates_chart(figure, series)

    top = figure.axes[0]
    assert len(top.lines) == 0
    assert [t.get_text() for t in top.texts] == [NO_DELIVERY_TEXT]


def test_cost_chart_bars_and_labels() -> None:
    data = MonthlyCost(
        "Europe/Paris", [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)],
        [1.5, 0.0, 12.25], [180, 0, 1475],
    )  # fmt: skip
    figure = Figure()

    draw_cost_chart(figure, data)
    figure.canvas.draw()

    axes = figure.axes[0]
    assert _heights(axes.containers[0]) == [1.5, 0.0, 12.25]
    assert _labels(axes) == ["Jan 2024", "Feb 2024", "Mar 2024"]
    assert [t.get_text() for t in axes.texts] == [
        "$1.50\n180 seg.", "$0.00\n0 seg.", "$12.25\n1,475 seg.",
    ]  # fmt: skip
    assert "Europe/Paris" in axes.get_title()


def test_funnel_chart_stages_and_unknown_delivery() -> None:
    funnels = [Funnel("Spring", 120, 110, 9), Funnel("Outbox test", 40, None, 2)]
    figure = Figure()

    draw_funnel_chart(figure, funnels)

    axes = figure.axes[0]
    assert [c.get_label() for c in axes.containers] == [
        "Reached", "Delivered", "Converted",
    ]  # fmt: skip
    assert [_heights(c) for c in axes.containers] == [[120, 40], [110, 0], [9, 2]]
    assert _labels(axes) == ["Spring", "Outbox test"]
    texts = [t.get_text() for t in axes.texts]
    assert UNKNOWN_TEXT in texts
    assert texts.count(UNKNOWN_TEXT) == 1


def test_abtest_chart_bars_counts_and_note() -> None:
    a = Kpis(sms_status_known=100, sms_delivered=98, sms_reached=100, reached=100,
             replied=2, opted_out=1, converted=3)  # fmt: skip
    b = Kpis(sms_status_known=100, sms_delivered=97, sms_reached=100, reached=100,
             replied=6, opted_out=0, converted=5)  # fmt: skip
    note = "B's reply rate is higher (6.0 % vs 2.0 %), but ... (p = 0.15)."
    comparison = AbComparison(
        "Spring", [VariantResult("A", a), VariantResult("B", b)], sentences=[note]
    )
    figure = Figure()

    draw_abtest_chart(figure, comparison)

    axes = figure.axes[0]
    assert [c.get_label() for c in axes.containers] == ["Variant A", "Variant B"]
    assert _heights(axes.containers[0]) == [98.0, 2.0, 1.0, 3.0]
    assert _heights(axes.containers[1]) == [97.0, 6.0, 0.0, 5.0]
    assert _labels(axes) == ["Delivery", "Reply", "Opt-out", "Conversion"]
    assert "2.0 %\n2/100" in [t.get_text() for t in axes.texts]
    assert note in figure.texts[0].get_text().replace("\n", " ")


def test_empty_charts_say_so() -> None:
    figure = Figure()
    draw_abtest_chart(figure, AbComparison("Solo", []))
    assert [t.get_text() for t in figure.axes[0].texts] == [AB_EMPTY]

    for draw, data in (
        (draw_rates_chart, RateSeries("UTC")),
        (draw_cost_chart, MonthlyCost("UTC")),
        (draw_funnel_chart, []),
    ):
        draw(figure, data)
        assert len(figure.axes) == 1
        assert figure.axes[0].texts and not figure.axes[0].containers


def test_each_chart_reuses_its_figure() -> None:
    series = RateSeries("UTC", [date(2024, 1, 1)], [5], [5], [5], [5], [1])
    figure = Figure()
    for _ in range(5):
        draw_rates_chart(figure, series)
        draw_funnel_chart(figure, [Funnel("X", 3, 2, 1)])
    assert len(figure.axes) == 1
    assert len(figure.axes[0].containers) == 3


def test_daily_chart_from_the_database_labels_shop_days(db) -> None:
    from datetime import UTC, datetime

    from desktop_app.charts.daily import draw_daily_chart
    from desktop_app.services import reporting
    from desktop_app.storage import settings
    from tests.services.test_reporting import add_campaign, add_contact, msg

    # Sydney (UTC+11 in summer, DST ends 7 April 2024): 13:30 UTC on 6 April is
    # 00:30 on the 7th in Sydney; 20:00 UTC on 31 March is 07:00 on 1 April.
    settings.set_setting(db, "shop.timezone", "Australia/Sydney")
    add_campaign(db, 1, "Autumn")
    for n, moment in enumerate(
        [datetime(2024, 3, 31, 20, 0, tzinfo=UTC),
         datetime(2024, 4, 6, 13, 30, tzinfo=UTC),
         datetime(2024, 4, 6, 13, 31, tzinfo=UTC)], start=1,
    ):  # fmt: skip
        add_contact(db, n)
        msg(db, 1, n, "sms", "sent", at=moment)
    figure = Figure()

    draw_daily_chart(figure, reporting.daily_counts(db))

    axes = figure.axes[0]
    labels = _labels(axes)
    assert labels[0] == "Apr 1" and labels[-1] == "Apr 7"
    heights = _heights(axes.containers[0])
    assert heights[0] == 1 and heights[-1] == 2 and sum(heights) == 3
    assert "Australia/Sydney" in axes.get_title()
