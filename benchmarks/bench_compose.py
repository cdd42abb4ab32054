"""How long the per-recipient SMS breakdown takes, against a naive loop in the same run.

Run from the repository root: ``.venv/bin/python benchmarks/bench_compose.py``.
The compose view recomputes ``audience_breakdown`` while the owner types, so the goal
is 10,000 recipients in under 100 ms. The baseline is the loop anyone would write
first: render each recipient's SMS with ``templates.render``, trim it and count it
with ``count_segments``, then sum. Each figure is the median of several runs; the
ratio is what to compare between machines.
"""

import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence

from desktop_app.core.compose import audience_breakdown
from desktop_app.core.segments import body_problem, count_segments, trim_for_sending
from desktop_app.core.templates import render

RECIPIENTS = 10_000
GOAL_MILLISECONDS = 100.0
RUNS = 7
PRICE = 0.0083

_FIRST = [
    "Ana",
    "Bo",
    "Zoë",
    "José",
    "Li",
    "Wei",
    "Olu",
    "Mária",
    "Ramón",
    "Chloé",
    "Søren",
    "Anaïs",
    "Christopher",
    "Maximilian",
    "Ann-Marie",
    "Jean-Luc",
    "Aoife",
    "Siobhán",
    "Nguyễn",
    "Björn",
    "Łukasz",
    "Mohammed",
    "Fatima",
    "Priya",
]


def naive_total(template: str, recipients: Sequence[Mapping[str, str]]) -> int:
    """The baseline: render, trim and count every recipient's SMS, one by one."""
    total = 0
    for values in recipients:
        body = trim_for_sending(render(template, values))
        if body.strip() and body_problem(body) is None:
            total += count_segments(body).segments
    return total


def audiences() -> dict[str, tuple[str, list[dict[str, str]]]]:
    """Templates and audiences from the easy case to the worst one for sharing work."""
    rng = random.Random(4)
    pool = _FIRST + [f"Name{number}" for number in range(600)]
    shared = [
        {"first_name": rng.choice(pool), "last_name": f"Example{number}"}
        for number in range(RECIPIENTS)
    ]
    unique = [
        {"first_name": f"{rng.choice(pool)}{number}", "last_name": f"Ex{number}"}
        for number in range(RECIPIENTS)
    ]
    return {
        "{first_name}, 1 segment, names shared": (
            "Hi {first_name}, your order is ready for pick-up. Details in your inbox.",
            shared,
        ),
        "first+last, all different, € (2-3 seg)": (
            "Hi {first_name} {last_name}, your order is ready for pick-up at the "
            "counter until 6pm today, the deposit of 5 € is kept. Details are in "
            "your inbox, see you soon at the shop!",
            unique,
        ),
        "first+last, all different, emoji": (
            "Hi {first_name|there} {last_name} 🎉 your order is ready for pick-up "
            "at the counter. Details in your inbox.",
            unique,
        ),
        "blank names (tidied), all different": (
            "Hi {first_name} {last_name}, your order is ready. Details in your inbox.",
            [
                {"first_name": "", "last_name": f"Ex{number}"}
                for number in range(RECIPIENTS)
            ],
        ),
    }


def median_ms(function: Callable[[], object]) -> float:
    """Median wall time of ``function`` over ``RUNS`` runs, in milliseconds."""
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    """Time the breakdown and the naive loop on each audience; print the ratios."""
    print(f"{RECIPIENTS:,} recipients, median of {RUNS} runs")
    print(f"{'audience':<42} {'naive ms':>9} {'breakdown ms':>13} {'ratio':>6} goal")
    worst = 0.0
    for label, (template, recipients) in audiences().items():
        result = audience_breakdown(template, recipients, price_per_segment=PRICE)
        assert result.total_segments == naive_total(template, recipients)

        naive = median_ms(lambda t=template, r=recipients: naive_total(t, r))
        fast = median_ms(
            lambda t=template, r=recipients: audience_breakdown(
                t, r, price_per_segment=PRICE
            )
        )
        worst = max(worst, fast)
        holds = "ok" if fast < GOAL_MILLISECONDS else "MISSED"
        print(f"{label:<42} {naive:>9.1f} {fast:>13.1f} {naive / fast:>5.1f}x {holds}")

    verdict = "holds" if worst < GOAL_MILLISECONDS else "does NOT hold"
    print(
        f"Goal: {RECIPIENTS:,} recipients in under {GOAL_MILLISECONDS:.0f} ms "
        f"{verdict} (slowest {worst:.1f} ms)."
    )


if __name__ == "__main__":
    main()
