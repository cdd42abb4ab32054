"""Benchmark: Duet's contact import against ``sqlite-utils insert --csv``.

Generates a 100,000-row Shopify-style customer export (fictitious 555-01xx numbers in
many formats, example.com addresses, 5 % bad rows) in a temporary folder, then in the
same run:

1. ``sqlite-utils insert DB contacts FILE --csv`` (the CLI, whole process);
2. Duet's ``import_file`` with full validation, merging and consent, in a child
   process that reports its own import time and peak memory (ru_maxrss).

Prints both times, the ratio (goal: Duet <= 0.8x) and Duet's peak memory (goal:
< 300 MB). Run: ``.venv/bin/python benchmarks/bench_import.py [ROWS]``.
"""

import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import phonenumbers

ROOT = Path(__file__).resolve().parents[1]
HEADER = [
    "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
    "Default Address Company", "Default Address Address1", "Default Address Address2",
    "Default Address City", "Default Address Province Code",
    "Default Address Country Code", "Default Address Zip", "Default Address Phone",
    "Phone", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note",
    "Tax Exempt", "Tags",
]  # fmt: skip
FIRST = ["Ada", "Bob", "Chloé", "Dmitri", "Eva", "Finn", "Grace", "Hugo", "Inès", "Jon"]
LAST = ["Stone", "García", "Müller", "Smith", "O'Neil", "Nguyen", "Kowalski", "Weiß"]
# Area codes in service, so that 555-01xx numbers are as valid as real customers' are.
AREA_CODES = [
    code
    for code in range(201, 990)
    if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{code}5550100"))
]
BAD_PHONES = ["4.47E+11", "N/A", "123", "000-000-0000", "5551234567.0", "call me"]


def _phone(rng: random.Random) -> str:
    area = rng.choice(AREA_CODES)
    line = f"01{rng.randrange(100):02d}"
    style = rng.randrange(7)
    if style == 0:
        return f"'+1{area}555{line}"
    if style == 1:
        return f"({area}) 555-{line}"
    if style == 2:
        return f"{area}.555.{line}"
    if style == 3:
        return f"1{area}555{line}"
    if style == 4:
        return f"+1 {area}-555-{line} ext. {rng.randrange(10, 99)}"
    if style == 5:
        return f"+44 7700 900{rng.randrange(1000):03d}"
    return f"{area}-555-{line}"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a Shopify-style export with ``rows`` customers (5 % bad rows)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            bad = rng.random() < 0.05
            email = "" if bad else f"customer{i}@example.com"
            if not bad and rng.random() < 0.01:
                email = f"Customer{max(i - 1, 0)}@Example.com"
            phone = rng.choice(BAD_PHONES) if bad else _phone(rng)
            writer.writerow(
                [
                    f"'{6000000000000 + i}", rng.choice(FIRST), rng.choice(LAST),
                    email, rng.choice(["yes", "no"]), "", f"{i} Main St", "",
                    "Springfield", "IL", "US", f"{60000 + i % 999}",
                    phone if rng.random() < 0.5 else "", phone,
                    rng.choice(["yes", "no", "no"]), f"{rng.randrange(0, 99999)}.00",
                    str(rng.randrange(0, 40)), "", "no",
                    rng.choice(["", "vip", "newsletter", "vip, wholesale"]),
                ]
            )  # fmt: skip


def _child(csv_path: str, db_path: str) -> None:
    sys.path.insert(0, str(ROOT))
    from desktop_app.services.importing import import_file
    from desktop_app.storage.database import open_database

    db = open_database(Path(db_path))
    start = time.perf_counter()
    report = import_file(db, Path(csv_path), region="US")
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_mb,
                "imported": report.imported,
                "merged": report.merged,
                "rejected": report.rejected,
                "warnings": len(report.warnings),
            }
        )
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Generate the file, time both importers, print the comparison."""
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "customers_export.csv"
        generate(csv_path, rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"{rows} rows, {size_mb:.1f} MB")

        sqlite_utils_cli = Path(sys.executable).parent / "sqlite-utils"
        cpu_before = _children_cpu()
        start = time.perf_counter()
        subprocess.run(
            [sqlite_utils_cli, "insert", Path(folder) / "su.db", "contacts", csv_path,
             "--csv"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        baseline = time.perf_counter() - start
        baseline_cpu = _children_cpu() - cpu_before
        cpu_before = _children_cpu()

        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(csv_path),
             str(Path(folder) / "duet.db")],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
        whole = time.perf_counter() - start
        whole_cpu = _children_cpu() - cpu_before
        result = json.loads(done.stdout.strip().splitlines()[-1])

    print(f"sqlite-utils insert --csv (whole process): {baseline:.2f} s")
    print(
        f"Duet import_file: {result['seconds']:.2f} s "
        f"(whole process incl. start-up: {whole:.2f} s)"
    )
    print(
        f"ratio Duet/sqlite-utils: {result['seconds'] / baseline:.2f} "
        f"(whole process {whole / baseline:.2f}; goal <= 0.80)"
    )
    print(
        f"CPU time (user+sys, less sensitive to a busy machine): sqlite-utils "
        f"{baseline_cpu:.2f} s, Duet whole process {whole_cpu:.2f} s, ratio "
        f"{whole_cpu / baseline_cpu:.2f}"
    )
    print(f"Duet peak memory: {result['peak_mb']:.0f} MB (goal < 300 MB)")
    print(
        f"Duet report: {result['imported']} new, {result['merged']} merged, "
        f"{result['rejected']} rejected, {result['warnings']} warnings"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        main()
