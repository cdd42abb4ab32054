"""Benchmark: the quiet-hours check per recipient against a bare phonenumbers parse.

For N fictitious recipients (555-01xx numbers across US area codes, one in ten from
an area code that spans two time zones such as 850 Florida Panhandle, 907 Alaska or
208 Idaho, plus French and British numbers), the same run measures:

1. the baseline: ``phonenumbers.parse`` of every number (work a send plan does anyway);
2. the single-zone check: ``recipient_zone`` + ``region_for_number`` + ``decide`` at
   a fixed instant, with the per-number cache cleared first (cold), then again
   without clearing it (the cache holds 16,384 numbers, so with more distinct
   numbers than that the second pass mostly misses and pays for evictions);
3. the check as planning now makes it: ``recipient_zones`` + ``region_for_number`` +
   ``decide_everywhere`` (every zone a number may ring in), cold;
4. numbers from two-zone area codes only, per recipient, single-zone vs multi-zone
   path with the cache filled, at three instants: all zones open, the 850 numbers
   held by Florida's 8 pm rule, and every number held in one of its zones (the
   multi-zone path then re-checks at the moment the first zone opens); and once
   cold, each number seen for the first time (placing a two-zone number compares
   the zones' clocks, the part that dominates), with toll-free and 5xx numbers
   (which name a whole continent's zones) for comparison;
5. ``classify_reply`` over a mix of replies, against ``str.casefold`` of the same texts.

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
from desktop_app.core.quiet_hours import RuleTable

ROUNDS = 5
ASKED = datetime(2027, 1, 13, 1, 30, tzinfo=UTC)
# Instants for the two-zone numbers: 13:00 ET (all open), Tuesday 20:30 ET (850
# held: Florida stops at 8 pm), 08:30 ET (every number held in its western zone).
INSTANTS = {
    "all zones open": datetime(2027, 1, 13, 18, 0, tzinfo=UTC),
    "850 held (FL 8 pm)": ASKED,
    "one zone held": datetime(2027, 1, 13, 13, 30, tzinfo=UTC),
}
# Area codes whose numbers may ring in two zones (see timezones.candidate_zones).
# Non-geographic codes (toll-free, personal): phonenumbers names a whole continent.
NO_ZONE = ["800", "855", "500", "588"]
MULTI_ZONE = ["850", "907", "208", "541", "605", "270", "812", "931", "701", "308"]
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
        elif index % 10 == 2:
            numbers.append(f"+1{rng.choice(MULTI_ZONE)}555{line}")
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


def _single_zone(numbers: list[str], asked: datetime, rules: RuleTable) -> None:
    for number in numbers:
        zone = timezones.recipient_zone("", number, "America/Chicago").zone
        country, state = timezones.region_for_number(number)
        quiet_hours.decide(
            asked,
            zone=zone,
            country=country,
            state=state,
            transactional=False,
            rules=rules,
        )


def _every_zone(numbers: list[str], asked: datetime, rules: RuleTable) -> None:
    """Check as ``planning`` does: every zone the number may ring in."""
    for number in numbers:
        choices = timezones.recipient_zones("", number, "America/Chicago")
        country, state = timezones.region_for_number(number)
        quiet_hours.decide_everywhere(
            asked,
            zones=[choice.zone for choice in choices],
            country=country,
            state=state,
            transactional=False,
            rules=rules,
        )


def _clear() -> None:
    timezones._place.cache_clear()


def _per_recipient(seconds: float, count: int) -> str:
    return f"{seconds / count * 1e6:6.1f} µs"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    numbers = _numbers(count)
    rules = quiet_hours.load_rules()
    several = sum(len(timezones.candidate_zones(number)) > 1 for number in numbers)

    def parse_all() -> None:
        for number in numbers:
            phonenumbers.parse(number, None)

    replies = [REPLIES[index % len(REPLIES)] for index in range(count)]

    baseline = _median(parse_all)
    cold = _median(lambda: _single_zone(numbers, ASKED, rules), before=_clear)
    warm = _median(lambda: _single_zone(numbers, ASKED, rules))
    planned = _median(lambda: _every_zone(numbers, ASKED, rules), before=_clear)
    fold = _median(lambda: [reply.casefold() for reply in replies])
    classify = _median(lambda: [optout.classify_reply(reply) for reply in replies])

    print(
        f"{count} recipients ({several} may ring in several zones), "
        f"median of {ROUNDS} rounds"
    )
    print(
        f"  phonenumbers.parse only     {baseline:7.3f} s   "
        f"{_per_recipient(baseline, count)} per number"
    )
    print(
        f"  quiet-hours check (cold)    {cold:7.3f} s   {cold / baseline:5.2f}x the parse"
    )
    print(
        f"  quiet-hours check (again)   {warm:7.3f} s   {warm / baseline:5.2f}x the parse"
    )
    print(
        f"  every-zone check (cold)     {planned:7.3f} s   "
        f"{planned / baseline:5.2f}x the parse, {planned / cold:4.2f}x single-zone"
    )

    two_zone = [
        f"+1{code}55501{line:02d}" for code in MULTI_ZONE for line in range(100)
    ] * 10
    distinct = two_zone[: len(MULTI_ZONE) * 100]
    parse_two = _median(lambda: [phonenumbers.parse(n, None) for n in two_zone])
    print(
        f"{len(two_zone)} numbers from two-zone area codes ({len(distinct)} distinct),"
        f" per recipient (parse {_per_recipient(parse_two, len(two_zone))})"
    )
    parse_distinct = _median(lambda: [phonenumbers.parse(n, None) for n in distinct])
    single = _median(lambda: _single_zone(distinct, ASKED, rules), before=_clear)
    every = _median(lambda: _every_zone(distinct, ASKED, rules), before=_clear)
    print(
        f"  {'cold, first sight':20} single-zone {_per_recipient(single, len(distinct))}"
        f"   every-zone {_per_recipient(every, len(distinct))}   "
        f"{every / single:4.2f}x single, {every / parse_distinct:5.2f}x the parse"
    )
    toll_free = [f"+1{code}55501{line:02d}" for code in NO_ZONE for line in range(10)]
    parse_toll_free = _median(lambda: [phonenumbers.parse(n, None) for n in toll_free])
    no_zone = _median(lambda: _every_zone(toll_free, ASKED, rules), before=_clear)
    print(
        f"  {'toll-free/5xx, cold':20} every-zone "
        f"{_per_recipient(no_zone, len(toll_free))}   "
        f"{no_zone / parse_toll_free:5.0f}x the parse ({len(toll_free)} numbers that "
        "name no zone)"
    )
    for label, asked in INSTANTS.items():  # cache filled by the cold pass
        single = _median(lambda asked=asked: _single_zone(two_zone, asked, rules))
        every = _median(lambda asked=asked: _every_zone(two_zone, asked, rules))
        print(
            f"  {label:20} single-zone {_per_recipient(single, len(two_zone))}   "
            f"every-zone {_per_recipient(every, len(two_zone))}   "
            f"{every / single:4.2f}x single, {every / parse_two:5.2f}x the parse"
        )

    print(f"{count} replies")
    print(f"  str.casefold                {fold:7.3f} s")
    print(
        f"  classify_reply              {classify:7.3f} s   "
        f"{classify / count * 1e6:5.1f} µs per reply"
    )


if __name__ == "__main__":
    main()
