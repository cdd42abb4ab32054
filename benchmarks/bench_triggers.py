"""What one trigger event costs over sending the same pair inside a campaign.

Run: ``.venv/bin/python benchmarks/bench_triggers.py [--events 200] [--contacts 20000]``

Both sides send one SMS and one email per customer into a temporary test outbox on a
temporary SQLite file (WAL, as Duet opens it) that already holds ``--contacts``
customers. The trigger side handles ``--events`` purchase events one by one (record,
match the customer, plan, queue, send: one campaign each); the baseline sends the
receipt template to the same number of stored customers as one campaign. Prints the
time per customer of each and the ratio (trigger / campaign), measured in the same
run.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from desktop_app.core.events import parse_event
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import sending, triggers
from desktop_app.storage import automation, settings
from desktop_app.storage.database import open_database, utc_now


def _fill(db_path: Path, contacts: int, tagged: int) -> None:
    db = open_database(db_path)
    settings.set_setting(db, "shop.name", "Bench Shop")
    settings.set_setting(db, "shop.address", "1 Example Street")
    settings.set_setting(db, "shop.timezone", "America/New_York")
    automation.ensure_builtin_rules(db)
    now = utc_now()
    rows = [
        {
            "first_name": f"Test{n}",
            "phone": f"+1555010{n % 100:02d}{n // 100 % 100:02d}",
            "phones": f'[{{"e164": "+1555010{n % 100:02d}{n // 100 % 100:02d}"}}]',
            "phone_kind": "mobile",
            "email": f"stored{n}@example.com",
            "email_key": f"stored{n}@example.com",
            "emails": f'["stored{n}@example.com"]',
            "tags": '["bench"]' if n < tagged else "[]",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(contacts)
    ]
    with db.conn:
        db["contacts"].insert_all(rows, batch_size=5000)
    db.close()


def _events(db_path: Path, outbox: Path, count: int) -> float:
    db = open_database(db_path)
    senders = outbox_senders(outbox)
    started = time.perf_counter()
    for n in range(count):
        event = parse_event(
            {
                "kind": "purchase",
                "event_id": f"B-{n}",
                "email": f"new{n}@example.com",
                "first_name": f"New{n}",
                "order_number": str(1000 + n),
                "total": "9.99",
            },
            source="bench",
        )
        triggers.handle_event(db, event, senders)
    elapsed = time.perf_counter() - started
    senders.close()
    db.close()
    return elapsed


def _campaign(db_path: Path, outbox: Path) -> float:
    db = open_database(db_path)
    senders = outbox_senders(outbox)
    started = time.perf_counter()
    plan = sending.plan_send(db, template_name="Purchase receipt", tag="bench")
    campaign_id = sending.queue_plan(db, plan)
    sending.run_campaign(db, campaign_id, senders)
    elapsed = time.perf_counter() - started
    senders.close()
    db.close()
    return elapsed


def main() -> None:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=20_000)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="duet-bench-"))
    try:
        db_path = scratch / "duet.db"
        _fill(db_path, args.contacts, args.events)
        baseline = _campaign(db_path, scratch / "campaign")
        measured = _events(db_path, scratch / "events", args.events)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    per_campaign = baseline / args.events * 1000
    per_event = measured / args.events * 1000
    print(f"{args.contacts:,} stored contacts, {args.events} customers")
    print(f"campaign: {per_campaign:7.2f} ms per customer")
    print(f"events:   {per_event:7.2f} ms per event")
    print(f"ratio:    {per_event / per_campaign:7.1f}x")


if __name__ == "__main__":
    main()
