"""Benchmark: the compliance hot paths of issue #6, each against a baseline.

Everything runs on fictitious data (555-01xx numbers across many US area codes,
example.com addresses) in a temporary folder that is removed at the end. In the
same run, each Duet function is timed against a named baseline:

1. ``optout.classify_reply`` over 10,000 varied replies (keywords, chatty
   sentences, long messages, emoji, French) vs ``re.search(r"\\bstop\\b", text,
   re.I)`` over the same list: microseconds per reply.
2. Migration 7 (the consent ledger rebuilt so it outlives its contacts) on a
   database at migration 6 with 20,000 contacts and 100,000 consent rows, through
   ``database.migrate``, vs ``CREATE TABLE copy AS SELECT * FROM consent`` on an
   identical copy. Also the whole upgrade as a user meets it (``open_database``,
   which backs the file up first).
3. ``sending.release_address_holds`` for a queued 10,000-contact campaign whose
   emails waited for the shop's postal address, vs one
   ``UPDATE messages SET reason = NULL WHERE reason = ?`` on an identical copy.
4. ``importing.import_file`` of a 20,000-row CSV into a database holding 5,000
   deleted contacts' opt-outs (1,000 of the rows reuse their numbers or emails),
   vs the same import into an empty database: the cost of the suppression check.
5. ``contacts.delete_contacts`` of 5,000 contacts (their 10,000 ledger rows lose
   their contact) with the append-only ledger guard of migration 8, vs the same
   file with the guard's triggers dropped.

Each database figure is the median of 5 rounds, every round on fresh copies, Duet
and baseline interleaved; the classifier figure is the median of 11 passes.
Run: ``.venv/bin/python benchmarks/bench_compliance.py``.
"""

import csv
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import phonenumbers
import sqlite_utils

from desktop_app.core import optout, timezones
from desktop_app.core.planning import NO_ADDRESS
from desktop_app.services import contacts as contact_service
from desktop_app.services import importing, sending
from desktop_app.storage import consent, database, settings, templates

ROUNDS = 5
PASSES = 11
REPLY_COUNT = 10_000
MIGRATION_CONTACTS = 20_000
MIGRATION_ROWS = 100_000
CAMPAIGN_CONTACTS = 10_000
IMPORT_ROWS = 20_000
DELETED = 5_000
REUSED = 1_000
NAIVE_STOP = re.compile(r"\bstop\b", re.IGNORECASE)
# One geographic area code in service per last two digits: Duet flags two numbers
# whose last nine digits agree as possible duplicates, so 212 and 312 would collide.
# Toll-free and 5xx codes are left out: a shop's customers rarely have them, and the
# first sight of each such number costs milliseconds (see bench_quiet_hours.py).
AREA_CODES = list(
    {
        code % 100: code
        for code in range(989, 200, -1)
        if str(code) in timezones.area_code_states()
        and phonenumbers.is_valid_number(phonenumbers.parse(f"+1{code}5550100"))
    }.values()
)
FIRST = ["Ada", "Bob", "Chloé", "Dmitri", "Eva", "Finn", "Grace", "Hugo", "Inès", "Jon"]
LAST = ["Stone", "García", "Müller", "Smith", "O'Neil", "Nguyen", "Kowalski", "Weiß"]
HEADER = [
    "First Name", "Last Name", "Email", "Phone", "Email Subscription Status",
    "SMS Subscription Status", "Tags",
]  # fmt: skip

# Reply kinds with their share of the mix; {n}, {day} and {name} vary per reply.
SHORT = [
    "STOP", "stop.", "Stop please", "STOP!!", "ＳＴＯＰ", "S.T.O.P", "Unsubscribe",
    "arrêt", "Arrêt SVP", "END", "quit", "START", "HELP", "Yes", "ok 👍", "🛑",
    "Thanks!", "👍🎉", "Who is this?",
]  # fmt: skip
SENTENCES = [
    "don't stop the sale!",
    "quit texting me",
    "please stop sending me these",
    "Thanks, see you {day}!",
    "cancel my order #{n}",
    "When does the sale end?",
    "Who is this? STOP",
    "take me off your list please",
    "wrong number, I'm not {name}",
    "Can I still use code SAVE{n} on {day}?",
    "Merci, à {day} ! 😊",
    "Is the shop open on {day}? 🙏",
]
LONG = [
    "Hi! Thanks so much for the heads up about the sale. I picked up the blue "
    "scarf last {day} and my sister loved it, so I might come back for another "
    "one. Do you still have the green ones in stock? Also my order #{n} had the "
    "wrong size, can I swap it when I come in? Thanks again, {name} 😊",
    "Hello, I got your message about the event on {day}. Sounds lovely but I'm "
    "travelling that week. Will there be another one next month? Please keep me "
    "posted, I really don't want to miss the next one. Cheers, {name}",
    "I never signed up for this. I bought one thing in your shop years ago and "
    "now I get texts every week. I don't want any more messages, please remove "
    "my number from whatever list this is. Order #{n} was my only purchase.",
]
MIX = [(SHORT, 0.45), (SENTENCES, 0.40), (LONG, 0.15)]
DAYS = ["Monday", "Tuesday", "Friday", "Saturday", "samedi", "Sunday"]


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _replies(count: int) -> tuple[list[str], list[str]]:
    """Return ``count`` replies and the kind (short/sentence/long) of each."""
    rng = random.Random(6)
    texts, kinds = [], []
    names = {id(SHORT): "short", id(SENTENCES): "sentence", id(LONG): "long"}
    pools = [pool for pool, _share in MIX]
    weights = [share for _pool, share in MIX]
    for _ in range(count):
        pool = rng.choices(pools, weights)[0]
        text = rng.choice(pool).format(
            n=rng.randrange(1000, 99999),
            day=rng.choice(DAYS),
            name=rng.choice(FIRST),
        )
        texts.append(text)
        kinds.append(names[id(pool)])
    return texts, kinds


def bench_classify() -> None:
    """Section 1: the reply classifier against a bare regex search."""
    texts, kinds = _replies(REPLY_COUNT)

    def duet(batch: list[str]) -> None:
        for text in batch:
            optout.classify_reply(text)

    def naive(batch: list[str]) -> None:
        for text in batch:
            NAIVE_STOP.search(text)

    duet_times, naive_times = [], []
    for _ in range(PASSES):
        duet_times.append(_timed(lambda: duet(texts)))
        naive_times.append(_timed(lambda: naive(texts)))
    duet_us = statistics.median(duet_times) / len(texts) * 1e6
    naive_us = statistics.median(naive_times) / len(texts) * 1e6

    found = [optout.classify_reply(text) for text in texts]
    opt_outs = sum(kind is optout.ReplyKind.OPT_OUT for kind in found)
    naive_hits = sum(NAIVE_STOP.search(text) is not None for text in texts)
    print(f"1. classify_reply over {len(texts):,} replies (median of {PASSES})")
    print(f"   re.search(r'\\bstop\\b')     {naive_us:7.2f} µs per reply")
    print(
        f"   classify_reply              {duet_us:7.2f} µs per reply   "
        f"{duet_us / naive_us:6.1f}x the regex"
    )
    for kind in ("short", "sentence", "long"):
        batch = [text for text, k in zip(texts, kinds, strict=True) if k == kind]
        per_duet = statistics.median(_timed(lambda b=batch: duet(b)) for _ in range(5))
        per_naive = statistics.median(
            _timed(lambda b=batch: naive(b)) for _ in range(5)
        )
        mean_len = sum(map(len, batch)) / len(batch)
        print(
            f"     {kind:9} ({len(batch):5,}, {mean_len:5.0f} chars)  "
            f"{per_duet / len(batch) * 1e6:7.2f} µs vs "
            f"{per_naive / len(batch) * 1e6:5.2f} µs"
        )
    print(
        f"   opt-outs found: classify_reply {opt_outs:,}, the regex matched "
        f"{naive_hits:,} (it also matches 'don't stop the sale!')"
    )


def _connect(path: Path) -> sqlite_utils.Database:
    """Open ``path`` as ``open_database`` does, without applying migrations."""
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def _e164(index: int) -> str:
    """Return a distinct number per index: 555-01xx first, 555-02xx... for volume."""
    area = AREA_CODES[index % len(AREA_CODES)]
    return f"+1{area}5550{100 + index // len(AREA_CODES):03d}"


def _version_6(path: Path) -> None:
    """Write a database at migration 6 with the contacts and ledger rows asked."""
    db = _connect(path)
    for migration in database.MIGRATIONS[:6]:
        migration(db)
    db.execute("PRAGMA user_version = 6")
    stamp = "2026-03-01T10:00:00+00:00"
    with db.conn:
        db.conn.executemany(
            "INSERT INTO imports (id, file_name, format, created_at)"
            " VALUES (?, ?, 'shopify', ?)",
            [(i, f"customers_{i}.csv", stamp) for i in range(1, 5)],
        )
        db.conn.executemany(
            "INSERT INTO contacts (id, first_name, phone, email, email_key,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i, FIRST[i % len(FIRST)], _e164(i), f"customer{i}@example.com",
                 f"customer{i}@example.com", stamp, stamp)
                for i in range(1, MIGRATION_CONTACTS + 1)
            ],
        )  # fmt: skip
        rows = []
        for i in range(MIGRATION_ROWS):
            contact = i % MIGRATION_CONTACTS + 1
            step = i // MIGRATION_CONTACTS
            channel = "sms" if step % 2 == 0 else "email"
            if step < 2:
                status, source, import_id = "opted_in", "import", step + 1
                evidence = f"customers_{step + 1}.csv row {contact}: Accepts=yes"
            else:
                status = "opted_out" if contact % 7 == 0 else "opted_in"
                source, import_id = "reply", None
                evidence = f"SMS reply 'STOP' to campaign {step}"
            rows.append(
                (i + 1, contact, channel, status, source, evidence, import_id, stamp)
            )
        db.conn.executemany(
            "INSERT INTO consent (id, contact_id, channel, status, source, evidence,"
            " import_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.close()


def bench_migration(folder: Path) -> None:
    """Section 2: migration 7 against copying the consent table."""
    base = folder / "v6.db"
    _version_6(base)

    duet_times, copy_times, upgrade_times = [], [], []
    for round_ in range(ROUNDS):
        duet_path = folder / f"m7_duet_{round_}.db"
        copy_path = folder / f"m7_copy_{round_}.db"
        open_path = folder / f"m7_open_{round_}.db"
        for target in (duet_path, copy_path, open_path):
            shutil.copy(base, target)

        db = _connect(duet_path)
        duet_times.append(_timed(lambda db=db: database.migrate(db, None)))
        assert database.schema_version(db) == len(database.MIGRATIONS)
        db.close()

        db = _connect(copy_path)

        def copy(db: sqlite_utils.Database = db) -> None:
            with db.conn:
                db.execute("CREATE TABLE copy AS SELECT * FROM consent")

        copy_times.append(_timed(copy))
        db.close()

        upgrade_times.append(
            _timed(lambda path=open_path: database.open_database(path).close())
        )

    duet = statistics.median(duet_times)
    copy_s = statistics.median(copy_times)
    upgrade = statistics.median(upgrade_times)
    size_mb = base.stat().st_size / 1e6
    print(
        f"2. migration 7 on {MIGRATION_CONTACTS:,} contacts and "
        f"{MIGRATION_ROWS:,} consent rows ({size_mb:.0f} MB file, median of {ROUNDS})"
    )
    print(f"   CREATE TABLE copy AS SELECT  {copy_s:7.3f} s")
    print(f"   migration 7 (migrate)        {duet:7.3f} s   {duet / copy_s:5.1f}x")
    print(
        f"   open_database (backup + m7)  {upgrade:7.3f} s   {upgrade / copy_s:5.1f}x"
    )


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def _phone_text(rng: random.Random, e164: str) -> str:
    area, line = e164[2:5], e164[8:]
    style = rng.randrange(3)
    if style == 0:
        return f"({area}) 555-{line}"
    if style == 1:
        return f"+1 {area}-555-{line}"
    return f"{area}.555.{line}"


def _customer(rng: random.Random, index: int, email: str, status: str) -> list[str]:
    return [
        rng.choice(FIRST), rng.choice(LAST), email,
        _phone_text(rng, _e164(index)), status, status,
        rng.choice(["", "vip", "newsletter"]),
    ]  # fmt: skip


def bench_release(folder: Path) -> None:
    """Section 3: releasing the emails that waited for the shop's address."""
    base = folder / "campaign.db"
    source = folder / "campaign.csv"
    rng = random.Random(3)
    _write_csv(
        source,
        [
            _customer(rng, i, f"customer{i}@example.com", "subscribed")
            for i in range(CAMPAIGN_CONTACTS)
        ],
    )
    db = database.open_database(base)
    settings.set_setting(db, "shop.name", "Example Shop")
    importing.import_file(db, source, region="US")
    templates.save_template(
        db,
        name="Winter sale",
        sms_body="Hi {first_name}, our winter sale starts Saturday!",
        email_subject="{first_name}, the winter sale starts Saturday",
        email_body="Hi {first_name},\n\nEverything is 20 % off from Saturday.\n",
    )
    start = time.perf_counter()
    plan = sending.plan_send(
        db, template_name="Winter sale", everyone=True, test_mode=True
    )
    planned = time.perf_counter() - start
    queued = _timed(lambda: sending.queue_plan(db, plan, name="Winter sale"))
    held = db.execute(
        "SELECT count(*) FROM messages WHERE reason = ?", [NO_ADDRESS]
    ).fetchone()[0]
    db.close()

    duet_times, sql_times = [], []
    for round_ in range(ROUNDS):
        duet_path = folder / f"release_duet_{round_}.db"
        sql_path = folder / f"release_sql_{round_}.db"
        shutil.copy(base, duet_path)
        shutil.copy(base, sql_path)

        db = database.open_database(duet_path)
        settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
        duet_times.append(_timed(lambda db=db: sending.release_address_holds(db)))
        left = db.execute(
            "SELECT count(*) FROM messages WHERE reason = ?", [NO_ADDRESS]
        ).fetchone()[0]
        assert left == 0, left
        db.close()

        db = database.open_database(sql_path)
        settings.set_setting(db, "shop.address", "1 Example Street, Springfield")

        def update(db: sqlite_utils.Database = db) -> None:
            with db.conn:
                db.execute(
                    "UPDATE messages SET reason = NULL WHERE reason = ?", [NO_ADDRESS]
                )

        sql_times.append(_timed(update))
        db.close()

    duet = statistics.median(duet_times)
    sql = statistics.median(sql_times)
    print(
        f"3. release_address_holds: {held:,} emails of a {CAMPAIGN_CONTACTS:,}-contact "
        f"campaign (median of {ROUNDS})"
    )
    print(
        f"   (setup, one run each: plan_send {planned:.2f} s, "
        f"queue_plan {queued:.2f} s)"
    )
    print(f"   one UPDATE … SET reason = NULL  {sql:7.3f} s")
    print(
        f"   release_address_holds           {duet:7.3f} s   {duet / sql:5.1f}x   "
        f"({duet / held * 1e6:.0f} µs per email)"
    )


def bench_import(folder: Path) -> None:
    """Section 4: an import that checks deleted contacts' opt-outs, vs one that not."""
    rng = random.Random(4)
    old_csv = folder / "old_customers.csv"
    old = [
        (IMPORT_ROWS + i, f"former{i}@example.com") for i in range(DELETED)
    ]  # numbers 20,000.. and emails nobody else has
    _write_csv(
        old_csv, [_customer(rng, index, email, "unsubscribed") for index, email in old]
    )

    base = folder / "deleted.db"
    db = database.open_database(base)
    importing.import_file(db, old_csv, region="US")
    ids = [row[0] for row in db.execute("SELECT id FROM contacts")]
    start = time.perf_counter()
    result = contact_service.delete_contacts(db, ids)
    deleted_s = time.perf_counter() - start
    orphans = db.execute(
        "SELECT count(*) FROM consent WHERE contact_id IS NULL AND status = 'opted_out'"
    ).fetchone()[0]
    db.close()

    new_csv = folder / "customers.csv"
    rows = []
    for i in range(IMPORT_ROWS):
        if i < REUSED:  # a former customer back: half by number, half by email
            index, email = old[i]
            if i % 2:
                email = f"customer{i}@example.com"
            else:
                index = i
            rows.append(_customer(rng, index, email, "subscribed"))
        else:
            rows.append(_customer(rng, i, f"customer{i}@example.com", "subscribed"))
    _write_csv(new_csv, rows)

    duet_times, empty_times = [], []
    warnings = suppressed = 0
    for round_ in range(ROUNDS):
        with_path = folder / f"import_with_{round_}.db"
        shutil.copy(base, with_path)
        db = database.open_database(with_path)
        start = time.perf_counter()
        report = importing.import_file(db, new_csv, region="US")
        duet_times.append(time.perf_counter() - start)
        suppressed = db.execute(
            "SELECT count(*) FROM consent WHERE source = ?", [consent.SUPPRESSION]
        ).fetchone()[0]
        warnings = len(report.warnings)
        db.close()

        db = database.open_database(folder / f"import_empty_{round_}.db")
        empty_times.append(
            _timed(lambda db=db: importing.import_file(db, new_csv, region="US"))
        )
        db.close()

    duet = statistics.median(duet_times)
    empty = statistics.median(empty_times)
    print(
        f"4. import_file of {IMPORT_ROWS:,} rows, {REUSED:,} of them a deleted "
        f"contact's number or email (median of {ROUNDS})"
    )
    print(
        f"   ({len(result.deleted):,} contacts deleted in {deleted_s:.2f} s, leaving "
        f"{orphans:,} opt-outs with no contact; the import warned {warnings:,} times and"
        f" wrote {suppressed:,} suppression rows)"
    )
    print(f"   into an empty database            {empty:7.3f} s")
    print(
        f"   with {DELETED:,} deleted contacts' opt-outs  {duet:7.3f} s   "
        f"{duet / empty:5.2f}x"
    )


def bench_ledger_guard(folder: Path) -> None:
    """Section 5: deleting contacts with the append-only ledger guard, vs without it.

    Deleting a contact sets its ledger rows' contact_id to NULL, an UPDATE the
    migration 8 triggers check row by row; the baseline is the same file with
    those two triggers dropped.
    """
    rng = random.Random(5)
    source = folder / "guard_customers.csv"
    _write_csv(
        source,
        [
            _customer(rng, index, f"guard{index}@example.com", "subscribed")
            for index in range(DELETED)
        ],
    )
    base = folder / "guard.db"
    db = database.open_database(base)
    importing.import_file(db, source, region="US")
    rows = db.execute("SELECT count(*) FROM consent").fetchone()[0]
    db.close()

    guarded_times, bare_times = [], []
    for round_ in range(ROUNDS):
        for guarded, times in ((True, guarded_times), (False, bare_times)):
            path = folder / f"guard_{guarded}_{round_}.db"
            shutil.copy(base, path)
            db = database.open_database(path)
            if not guarded:
                db.execute("DROP TRIGGER consent_rows_stay")
                db.execute("DROP TRIGGER consent_rows_unchanged")
            ids = [row[0] for row in db.execute("SELECT id FROM contacts")]
            times.append(
                _timed(lambda db=db, ids=ids: contact_service.delete_contacts(db, ids))
            )
            db.close()

    guarded_s = statistics.median(guarded_times)
    bare_s = statistics.median(bare_times)
    print(
        f"5. delete_contacts of {DELETED:,} contacts with {rows:,} ledger rows "
        f"(median of {ROUNDS})"
    )
    print(f"   without the ledger guard (triggers dropped)  {bare_s:7.3f} s")
    print(
        f"   with the guard (migration 8)                 {guarded_s:7.3f} s   "
        f"{guarded_s / bare_s:5.2f}x"
    )


def main() -> None:
    """Run the five comparisons and print their table."""
    bench_classify()
    with tempfile.TemporaryDirectory(prefix="duet-bench-") as name:
        folder = Path(name)
        bench_migration(folder)
        bench_release(folder)
        bench_import(folder)
        bench_ledger_guard(folder)


if __name__ == "__main__":
    main()
