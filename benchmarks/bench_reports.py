"""The daily chart over 1,000,000 messages, against the bare SQL aggregate.

Run from the repository root: ``.venv/bin/python benchmarks/bench_reports.py``
(``--rows N`` for another size, ``--zone`` for another time zone).

A temporary SQLite file gets one million ``messages`` rows (inserted with
``executemany`` in one transaction), spread over 180 days, both channels and the
usual states. Then, in the same run, median of several rounds:

- *bare aggregate*: the cheapest query that answers "messages per day, channel and
  state": ``GROUP BY date(...)`` in UTC, fetched, nothing else;
- *daily chart*: what the Reports view does on refresh, i.e.
  ``reporting.daily_counts`` (SQL by UTC hour + bucketing into the shop's days) and
  ``draw_daily_chart`` onto a reused Figure, rendered with Agg.

Goals (issue 7): the chart in at most 0.5 s and at most 2x the bare aggregate.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from desktop_app.charts.daily import draw_daily_chart
from desktop_app.services import reporting
from desktop_app.storage import settings
from desktop_app.storage.database import open_database

GOAL_SECONDS = 0.5
GOAL_RATIO = 2.0
ROUNDS = 5
DAYS = 180
CAMPAIGN_SIZE = 10_000
STATES = ("sent",) * 16 + ("delivered",) * 1 + ("failed",) + ("skipped",) * 2


def _fill(path: Path, rows: int, zone: str) -> None:
    db = open_database(path)
    settings.set_setting(db, "shop.timezone", zone)
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    now = start.isoformat()
    contacts = CAMPAIGN_SIZE // 2
    campaigns = -(-rows // CAMPAIGN_SIZE)
    with db.conn:
        db.conn.execute(
            "INSERT INTO templates (id, name, created_at, updated_at)"
            " VALUES (1, 'Bench', ?, ?)",
            [now, now],
        )
        db.conn.executemany(
            "INSERT INTO contacts (id, created_at, updated_at) VALUES (?, ?, ?)",
            [(n, now, now) for n in range(1, contacts + 1)],
        )
        db.conn.executemany(
            "INSERT INTO campaigns (id, name, template_id, created_at)"
            " VALUES (?, ?, 1, ?)",
            [(n, f"Campaign {n}", now) for n in range(1, campaigns + 1)],
        )
        db.conn.executemany(
            "INSERT INTO messages (campaign_id, contact_id, channel, state, segments,"
            " cost, queued_at, sent_at, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _message_rows(rows, rng, start, contacts),
        )
    db.close()


def _message_rows(
    rows: int, rng: random.Random, start: datetime, contacts: int
) -> list[tuple[object, ...]]:
    result = []
    for n in range(rows):
        campaign = n // CAMPAIGN_SIZE + 1
        within = n % CAMPAIGN_SIZE
        channel = "sms" if within % 2 == 0 else "email"
        queued = start + timedelta(seconds=rng.randrange(DAYS * 86400))
        state = rng.choice(STATES)
        queued_at = queued.isoformat(timespec="seconds")
        sent_at = failed_at = None
        if state in ("sent", "delivered"):
            sent_at = (queued + timedelta(seconds=5)).isoformat(timespec="seconds")
        elif state == "failed":
            failed_at = (queued + timedelta(seconds=5)).isoformat(timespec="seconds")
        segments = 1 if channel == "sms" else 0
        result.append(
            (campaign, within // 2 + 1 if within // 2 < contacts else None, channel,
             state, segments, 0.0083 * segments, queued_at, sent_at, failed_at)
        )  # fmt: skip
    return result


def _bare(db: object) -> int:
    rows = db.execute(  # type: ignore[attr-defined]
        "SELECT date(coalesce(sent_at, failed_at, queued_at)) AS day, channel, state,"
        " count(*) FROM messages GROUP BY day, channel, state"
    ).fetchall()
    return len(rows)


def _bare_hourly(db: object) -> int:
    rows = db.execute(  # type: ignore[attr-defined]
        "SELECT substr(coalesce(sent_at, failed_at, queued_at), 1, 13) AS hour,"
        " channel, state, count(*) FROM messages GROUP BY hour, channel, state"
    ).fetchall()
    return len(rows)


def _chart(db: object, figure: Figure) -> int:
    counts = reporting.daily_counts(db)  # type: ignore[arg-type]
    draw_daily_chart(figure, counts)
    figure.canvas.draw()
    return counts.total


def _median(function: object, *args: object) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        result = function(*args)  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main(argv: list[str] | None = None) -> int:
    """Build the file, time both paths, print the numbers and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--zone", default="America/New_York")
    parser.add_argument(
        "--db", type=Path, help="keep the filled file here and reuse it next time"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "bench.db"
        if not path.exists():
            started = time.perf_counter()
            _fill(path, args.rows, args.zone)
            took = time.perf_counter() - started
            print(f"filled {args.rows:,} messages in {took:.1f} s", flush=True)

        db = open_database(path)
        figure = Figure(figsize=(8, 4.5))
        FigureCanvasAgg(figure)
        _bare(db)
        _chart(db, figure)
        bare, groups = _median(_bare, db)
        hourly, hours = _median(_bare_hourly, db)
        chart, total = _median(_chart, db, figure)
        data, _ = _median(reporting.daily_counts, db)
        db.close()

    ratio = chart / bare if bare else float("inf")
    print(f"bare SQL aggregate ({groups} groups):     {bare * 1000:7.1f} ms")
    print(f"bare SQL by UTC hour ({hours} groups): {hourly * 1000:7.1f} ms")
    print(f"daily chart data only:                {data * 1000:7.1f} ms")
    print(
        f"daily chart data + draw + render:     {chart * 1000:7.1f} ms  ({total:,} msgs)"
    )
    print(
        f"ratio chart / bare:                   {ratio:7.2f}x  (goal <= {GOAL_RATIO}x)"
    )
    print(f"ratio chart / bare by hour:  {chart / hourly:7.2f}x")
    met = chart <= GOAL_SECONDS and ratio <= GOAL_RATIO
    print(
        f"goal <= {GOAL_SECONDS} s and <= {GOAL_RATIO}x: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
