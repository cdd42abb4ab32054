"""Benchmark: the Contacts type-ahead filter over 100,000 contacts.

Generates 100,000 contacts (fictitious 555-01xx numbers, example.com addresses,
accented names, a few tags) in a temporary database, then for several search
strings times what the Contacts page does per keystroke: the first page of
matches (200 rows) and, when that page is full, the count of all matches. Each is
compared with a bare ``SELECT count(*) FROM contacts WHERE email LIKE ?`` (one
LIKE over one column, the least a scan can cost) measured in the same run.

Runs twice: without migration 4's ``search_text`` column (the LIKE expressions)
and with it (``instr`` on the narrow ``(id, search_text)`` index). Goal: under
100 ms per keystroke. Run: ``.venv/bin/python benchmarks/bench_contacts_filter.py [ROWS]``.
"""

import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.storage import contacts  # noqa: E402
from desktop_app.storage.database import open_database  # noqa: E402

FIRST = ["Ada", "Bob", "Chloé", "Dmitri", "Eva", "Finn", "Grace", "Hugo", "Inès", "Jon"]
LAST = ["Stone", "García", "Müller", "Smith", "O'Neil", "Nguyen", "Kowalski", "Weiß"]
TAGS = ["vip", "newsletter", "wholesale", "spring sale"]
SEARCHES = ["a", "gr", "stone", "chloe", "nguyen4", "vip", "555-0142", "zzz"]
PAGE = 200
RUNS = 5
MIGRATION_4 = """
ALTER TABLE contacts ADD COLUMN search_text TEXT;
CREATE INDEX contacts_search ON contacts(id, search_text);
CREATE INDEX contacts_search_stale ON contacts(id) WHERE search_text IS NULL;
"""


def _rows(count: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    rows = []
    for number in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        phone = f"+1{rng.randrange(201, 990)}55501{rng.randrange(100):02d}"
        email = f"{first[0].lower()}.{number}@example.com"
        tags = [rng.choice(TAGS)] if number % 5 == 0 else []
        rows.append(
            {
                "id": number, "first_name": first, "last_name": last,
                "full_name": "", "company": "", "phone": phone,
                "phone_kind": "mobile",
                "phones": json.dumps([{"e164": phone, "raw": phone, "kind": "mobile"}]),
                "email": email, "email_key": email, "emails": json.dumps([email]),
                "tags": json.dumps(tags), "country": "US", "timezone": "",
                "custom": json.dumps({"note": "x" * 40, "total_spent": "12.50"}),
                "warnings": "[]", "source_import": None,
                "created_at": "2024-01-01T00:00:00+00:00",
                "updated_at": "2024-01-01T00:00:00+00:00",
            }
        )  # fmt: skip
    return rows


def _best(fn: object) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def _keystroke(db: object, search: str) -> None:
    page = contacts.list_contacts(db, search=search, limit=PAGE)  # type: ignore[arg-type]
    if len(page) == PAGE:
        contacts.count_contacts(db, search=search)  # type: ignore[arg-type]


def _measure(db: object, label: str) -> list[float]:
    baseline = _best(
        lambda: db.execute(  # type: ignore[attr-defined]
            "SELECT count(*) FROM contacts WHERE email LIKE ?", ["%zzz%"]
        ).fetchone()
    )
    print(f"\n{label}: baseline bare count(*) LIKE = {baseline:.1f} ms")
    print(f"  {'search':12s} {'matches':>8s} {'ms':>8s} {'x baseline':>11s}")
    results = []
    for search in SEARCHES:
        ms = _best(lambda s=search: _keystroke(db, s))
        matches = contacts.count_contacts(db, search=search)  # type: ignore[arg-type]
        results.append(ms)
        print(f"  {search!r:12s} {matches:8d} {ms:8.1f} {ms / baseline:10.2f}x")
    print(f"  worst {max(results):.1f} ms, median {statistics.median(results):.1f} ms")
    return results


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "duet.db")
        rows = _rows(count)
        with db.atomic():
            contacts.insert_contact_rows(db, rows)
        print(
            f"{count:,} contacts; per keystroke: first page of {PAGE} + count if full"
        )
        if not contacts.has_search_column(db):
            slow = _measure(db, "Without search_text (LIKE over five expressions)")
            for statement in MIGRATION_4.strip().split(";\n"):
                db.execute(statement.strip().rstrip(";"))
            start = time.perf_counter()
            contacts.fill_search_text(db)
            fill = time.perf_counter() - start
            print(f"\nfilling search_text for {count:,} contacts: {fill:.2f} s (once)")
        else:
            slow = []
        db.execute("ANALYZE")
        fast = _measure(db, "With search_text (instr on the (id, search_text) index)")
        if slow:
            ratio = statistics.median(s / f for s, f in zip(slow, fast, strict=True))
            print(f"\nmedian speed-up {ratio:.1f}x; goal: every keystroke < 100 ms")
        db.close()


if __name__ == "__main__":
    main()
