"""The daily chart at scale: many days as collections, and memory flat on refresh."""

import gc
import tracemalloc
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from desktop_app.charts.daily import MAX_BAR_DAYS, draw_daily_chart
from desktop_app.core.stats import daily_counts

FIRST = date(2024, 1, 1)


def _rows(days: int) -> list[tuple[str, str, str, int]]:
    rows = []
    for n in range(days):
        stamp = f"{FIRST + timedelta(days=n)}T15:00:00+00:00"
        rows += [(stamp, "sms", "sent", n % 7 + 1), (stamp, "email", "sent", 2)]
        if n % 3 == 0:
            rows.append((stamp, "sms", "failed", 1))
    return rows


def test_many_days_draw_one_collection_per_series() -> None:
    counts = daily_counts(_rows(MAX_BAR_DAYS + 100), "UTC")
    figure = Figure()

    draw_daily_chart(figure, counts)

    axes = figure.axes[0]
    collections = [c for c in axes.collections if isinstance(c, PolyCollection)]
    assert [c.get_label() for c in collections] == [
        "SMS sent", "SMS failed", "Email sent",
    ]  # fmt: skip
    sent, failed, _email = collections
    # Day 0: SMS sent 1 from 0 to 1, then failed 1 stacked from 1 to 2.
    first_sent = sent.get_paths()[0].vertices
    assert (first_sent[:, 1].min(), first_sent[:, 1].max()) == (0, 1)
    first_failed = failed.get_paths()[0].vertices
    assert (first_failed[:, 1].min(), first_failed[:, 1].max()) == (1, 2)
    assert len(sent.get_paths()) == MAX_BAR_DAYS + 100
    assert len(failed.get_paths()) == len(range(0, MAX_BAR_DAYS + 100, 3))
    assert axes.get_ylim() == (0, 8 * 1.05)  # 7 sent + 1 failed: the tallest stack
    labels = [t.get_text() for t in axes.get_xticklabels()]
    assert labels[0] == "Jan 1" and len(labels) <= 14
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "SMS sent", "SMS failed", "Email sent",
    ]  # fmt: skip


def test_memory_and_artists_stay_flat_over_100_refreshes() -> None:
    counts = daily_counts(_rows(7), "America/New_York")
    figure = Figure()
    FigureCanvasAgg(figure)
    draw_daily_chart(figure, counts)
    figure.canvas.draw()
    expected = _artist_counts(figure)

    # tracemalloc slows every allocation about fourfold, so it watches the last
    # 30 of the 100 refreshes (after 5 of them settle caches).
    baseline = 0
    for round_ in range(100):
        if round_ == 70:
            gc.collect()
            tracemalloc.start()
        draw_daily_chart(figure, counts)
        if round_ == 74:
            gc.collect()
            baseline = tracemalloc.get_traced_memory()[0]
        assert _artist_counts(figure) == expected
    figure.canvas.draw()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()

    # One chart's artists take a few hundred kB; a leak of them per refresh would
    # pass 1 MB within a few rounds.
    assert grown < 1_000_000, f"memory grew by {grown:,} bytes over 25 refreshes"


def _artist_counts(figure: Figure) -> tuple[int, ...]:
    axes = figure.axes[0]
    return (
        len(figure.axes),
        len(axes.patches),
        len(axes.containers),
        len(axes.texts),
        len(axes.get_children()),
    )
