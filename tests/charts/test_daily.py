"""The daily chart, checked on the Figure's artists rather than pixels."""

from datetime import date

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from desktop_app.charts.daily import draw_daily_chart
from desktop_app.core.stats import DailyCounts, daily_counts

ROWS = [
    ("2024-11-03T15:00:00+00:00", "sms", "sent", 4),
    ("2024-11-03T15:00:00+00:00", "sms", "failed", 1),
    ("2024-11-03T15:00:00+00:00", "email", "sent", 3),
    ("2024-11-05T15:00:00+00:00", "sms", "sent", 2),
    ("2024-11-05T15:00:00+00:00", "email", "skipped", 6),
]


def _bars(figure: Figure) -> dict[str, list[tuple[float, float, float]]]:
    axes = figure.axes[0]
    return {
        container.get_label(): [
            (round(p.get_x() + p.get_width() / 2, 2), p.get_y(), p.get_height())
            for p in container.patches
            if isinstance(p, Rectangle)
        ]
        for container in axes.containers
    }


def test_bars_stack_by_state_per_channel_and_day() -> None:
    figure = Figure()

    draw_daily_chart(figure, daily_counts(ROWS, "America/New_York"))

    bars = _bars(figure)
    assert list(bars) == ["SMS sent", "SMS failed", "Email sent", "Email skipped"]
    # (centre, bottom, height) for 3, 4 and 5 November
    assert bars["SMS sent"] == [(-0.2, 0, 4), (0.8, 0, 0), (1.8, 0, 2)]
    assert bars["SMS failed"] == [(-0.2, 4, 1), (0.8, 0, 0), (1.8, 2, 0)]
    assert bars["Email sent"] == [(0.2, 0, 3), (1.2, 0, 0), (2.2, 0, 0)]
    assert bars["Email skipped"] == [(0.2, 3, 0), (1.2, 0, 0), (2.2, 0, 6)]


def test_labels_title_and_legend() -> None:
    figure = Figure()
    draw_daily_chart(figure, daily_counts(ROWS, "America/New_York"))
    axes = figure.axes[0]
    figure.canvas.draw()

    assert [t.get_text() for t in axes.get_xticklabels()] == ["Nov 3", "Nov 4", "Nov 5"]
    assert axes.get_ylabel() == "Messages"
    assert "America/New_York" in axes.get_title()
    legend = axes.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "SMS sent", "SMS failed", "Email sent", "Email skipped",
    ]  # fmt: skip


def test_empty_counts_say_so() -> None:
    figure = Figure()
    draw_daily_chart(figure, DailyCounts(tz="UTC"))
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == ["No messages yet"]
    assert figure.axes[0].containers == []


def test_redraw_reuses_the_figure() -> None:
    figure = Figure()
    for _ in range(5):
        draw_daily_chart(figure, daily_counts(ROWS, "UTC"))
    assert len(figure.axes) == 1
    assert len(figure.axes[0].containers) == 4

    draw_daily_chart(figure, DailyCounts(tz="UTC"))
    assert len(figure.axes) == 1
    assert figure.axes[0].containers == []


def test_many_days_thin_the_labels() -> None:
    rows = [
        (f"2024-01-{day:02d}T12:00:00+00:00", "sms", "sent") for day in range(1, 31)
    ]
    figure = Figure()
    draw_daily_chart(figure, daily_counts(rows, "UTC"))
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert 0 < len(labels) <= 14
    assert labels[0] == "Jan 1"
    assert date(2024, 1, 30) == daily_counts(rows, "UTC").days[-1]
