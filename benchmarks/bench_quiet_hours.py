"""Benchmark: the quiet-hours check per recipient against a bare phonenumbers parse.

For N fictitious recipients (555-01xx numbers across US area codes, plus French and
British numbers), the same run measures:

1. the baseline: ``phonenumbers.parse`` of every number (work a send plan does anyway);
2. Duet's full check as the planner calls it: ``recipient_zone`` + ``region_for_number``
   + ``decide`` at a fixed instant, with the per-number cache cleared first (cold),
   then again without clearing it (the cache holds 16,384 numbers, so with more
   distinct numbers than that the second pass mostly misses and pays for evictions).
3. ``classify_reply`` over a mix of replies, against ``str.casefold`` of the same texts.

Prints the times and the ratios (goal: a cold check within 3x a bare parse, so quiet
hours never dominate planning). Each figure is the median of 5 rounds.
Run: ``.venv/bin/python benchmarks/bench_quiet_hours.py [N]``.
"""

import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import phonenumbers

from desktop_app.core import optout, quiet_hours, timezones

ROUNDS = 5
ASKED = datetime(2027, 1, 13, 1, 30, tzinfo=UTC)
REPLIES = [
    "STOP",
    "Stop please",
    "please stop texting me",
    "don't stop the sale!",
    "Thanks, see you Saturday!",
    "cancel my order #1042",
    "When does the sale end?",
    "ＳＴＯＰ",
]


def _numbers(count: int) -> list[str]:
    rng = random.Random(6)
    codes = sorted(timezones.area_code_states())
    numbers = []
    for index in range(count):
        line = f"01{index % 100:02d}"
        if index % 10 == 0:
            numbers.append(f"+331990012{index % 100:02d}")
        elif index % 10 == 1:
            numbers.append(f"+4420794601{index % 100:02d}")
        else:
            numbers.append(f"+1{rng.choice(codes)}555{line}")
    return numbers


def _median(
    work: Callable[[], object], before: Callable[[], None] | None = None
) -> float:
    times = []
    for _ in range(ROUNDS):
        if before is not None:
            before()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    numbers = _numbers(count)
    rules = quiet_hours.load_rules()

    def parse_all() -> None:
        for number in numbers:
            phonenumbers.parse(number, None)

    def check_all() -> None:
        for number in numbers:
            zone = timezones.recipient_zone("", number, "America/Chicago").zone
            country, state = timezones.region_for_number(number)
            quiet_hours.decide(
                ASKED,
                zone=zone,
                country=country,
                state=state,
                transactional=False,
                rules=rules,
            )

    def clear() -> None:
        timezones._place.cache_clear()

    replies = [REPLIES[index % len(REPLIES)] for index in range(count)]

    baseline = _median(parse_all)
    cold = _median(check_all, before=clear)
    warm = _median(check_all)
    fold = _median(lambda: [reply.casefold() for reply in replies])
    classify = _median(lambda: [optout.classify_reply(reply) for reply in replies])

    print(f"{count} recipients, median of {ROUNDS} rounds")
    print(f"  phonenumbers.parse only     {baseline:7.3f} s")
    print(
        f"  quiet-hours check (cold)    {cold:7.3f} s   {cold / baseline:5.2f}x the parse"
    )
    print(
        f"  quiet-hours check (again)   {warm:7.3f} s   {warm / baseline:5.2f}x the parse"
    )
    print(f"{count} replies")
    print(f"  str.casefold                {fold:7.3f} s")
    print(
        f"  classify_reply              {classify:7.3f} s   "
        f"{classify / count * 1e6:5.1f} µs per reply"
    )


if __name__ == "__main__":
    main()
