"""How long the SMS counter takes, against a naive count timed in the same run.

Run from the repository root: ``.venv/bin/python benchmarks/bench_segments.py``.
Each figure is the median over many timed batches (``time.perf_counter``), per call.
The baseline is the cheapest count anyone could write, ``len(text.encode("utf-16-le"))
// 2``: it is wrong on every hard vector, but it shows what one C-level pass over the
text costs on this machine, so the ratio means the same on a fast or a slow PC.
"""

import statistics
import time
from collections.abc import Callable

from desktop_app.core.segments import count_segments, split_segments

GOAL_MICROSECONDS = 1000.0
BATCHES = 41
SENTENCE = "Hi Anna, your order 1234 is ready for pick-up at the shop until 6pm. "


def naive_units(text: str) -> int:
    """The baseline: UTF-16 units of the text, one encode and no rules."""
    return len(text.encode("utf-16-le")) // 2


def per_call_microseconds(function: Callable[[str], object], text: str) -> float:
    """Median time of one call, over batches sized to last about 2 ms each."""
    calls = 1
    while True:
        started = time.perf_counter()
        for _ in range(calls):
            function(text)
        if time.perf_counter() - started > 0.002:
            break
        calls *= 2

    timings = []
    for _ in range(BATCHES):
        started = time.perf_counter()
        for _ in range(calls):
            function(text)
        timings.append((time.perf_counter() - started) / calls)
    return statistics.median(timings) * 1e6


def bodies() -> dict[str, str]:
    """The bodies the counter must handle in well under a millisecond."""
    gsm = (SENTENCE * 30)[:1600]
    middle = 800
    return {
        "1,600-char GSM-7 body": gsm,
        "1,600-char body, one emoji": gsm[:middle] + "😀" + gsm[middle + 1 :],
        "1,600-char GSM-7, 20 € (escape pairs)": (SENTENCE[:-1] + "€") * 20 + gsm[:220],
        "670-char CJK body": ("您的订单已备好请到店取货" * 61)[:670],
    }


def main() -> None:
    """Time the counter on each body and print the figures and the ratios."""
    print(
        f"{'body':<40} {'naive µs':>9} {'count µs':>9} {'ratio':>6} "
        f"{'+culprits µs':>13} {'split µs':>9}"
    )
    worst = 0.0
    for label, text in bodies().items():
        baseline = per_call_microseconds(naive_units, text)
        counted = per_call_microseconds(count_segments, text)
        explained = per_call_microseconds(lambda t: count_segments(t).culprits, text)
        split = per_call_microseconds(split_segments, text)
        worst = max(worst, counted)
        print(
            f"{label:<40} {baseline:>9.2f} {counted:>9.2f} {counted / baseline:>5.1f}x "
            f"{explained:>13.1f} {split:>9.2f}"
        )

    recipients = [
        f"Hi {name}, your order {1000 + number} is ready. Details in your inbox."
        for number, name in enumerate(["Anna", "Zoë", "José", "Li", "O’Neil"] * 2000)
    ]
    started = time.perf_counter()
    worst_case = max(count_segments(text).segments for text in recipients)
    elapsed_ms = (time.perf_counter() - started) * 1e3
    print(
        f"\n10,000 rendered bodies counted in {elapsed_ms:.1f} ms "
        f"(worst case: {worst_case} segments)"
    )

    verdict = "holds" if worst < GOAL_MICROSECONDS else "FAILS"
    print(
        f"Goal: one 1,600-character body under {GOAL_MICROSECONDS:,.0f} µs: {verdict} "
        f"(slowest {worst:.1f} µs)"
    )


if __name__ == "__main__":
    main()
