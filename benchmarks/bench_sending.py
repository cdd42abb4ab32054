"""How much the send queue costs over simply writing the outbox files.

Run: ``.venv/bin/python benchmarks/bench_sending.py [--contacts 5000]``

Both sides write the same SMS and email files into a temporary outbox. The queue side
plans, queues and runs a campaign on a temporary SQLite file (WAL, as Duet opens it),
committing each message's state before and after its "provider call"; the baseline is
a bare loop over the planned messages calling the same outbox senders. Prints the
times and the ratio (queue time / bare time), measured in the same run.
"""

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from desktop_app.providers.base import OutgoingEmail
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import sending
from desktop_app.storage import settings, templates
from desktop_app.storage.database import open_database, utc_now


def _fill(db_path: Path, contacts: int) -> None:
    db = open_database(db_path)
    settings.set_setting(db, "shop.name", "Bench Shop")
    settings.set_setting(db, "shop.address", "1 Example Street")
    settings.set_setting(db, "shop.email", "shop@example.com")
    templates.save_template(
        db,
        name="Bench",
        sms_body="Hi {first_name|there}, your receipt is in your inbox.",
        email_subject="Your receipt",
        email_body="Hello {first_name},\n\nThanks for shopping with us.",
    )
    now = utc_now()
    rows = [
        {
            "first_name": f"Test{n}",
            "phone": f"+1555010{n % 100:02d}{n // 100:02d}",
            "phone_kind": "mobile",
            "email": f"test{n}@example.com",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(contacts)
    ]
    with db.conn:
        db["contacts"].insert_all(rows)
    db.close()


def _queue_run(
    db_path: Path, outbox: Path, synchronous: str | None
) -> tuple[float, float, int]:
    db = open_database(db_path)
    if synchronous:
        db.execute(f"PRAGMA synchronous={synchronous}")
    started = time.perf_counter()
    plan = sending.plan_send(db, template_name="Bench", everyone=True)
    campaign_id = sending.queue_plan(db, plan)
    planned = time.perf_counter()
    summary = sending.run_campaign(db, campaign_id, outbox_senders(outbox))
    finished = time.perf_counter()
    db.close()
    return planned - started, finished - planned, summary.sent


def _bare_loop(db_path: Path, outbox: Path) -> tuple[float, int]:
    db = open_database(db_path)
    plan = sending.plan_send(db, template_name="Bench", everyone=True)
    db.close()
    senders = outbox_senders(outbox)
    started = time.perf_counter()
    count = 0
    for message in plan.messages:
        if not message.is_send:
            continue
        if message.channel == "sms":
            senders.sms.send_sms(message.to, message.body)
        else:
            senders.email.send_email(
                OutgoingEmail(
                    to=message.to,
                    subject=message.subject,
                    text=message.body,
                    html=message.html,
                    from_address="shop@example.com",
                    from_name="Bench Shop",
                )
            )
        count += 1
    return time.perf_counter() - started, count


def main() -> None:
    """Run the comparison and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument(
        "--synchronous",
        choices=["NORMAL", "FULL"],
        help="set PRAGMA synchronous on the queue's connection (default: as opened)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="duet-bench-"))
    try:
        db_path = work / "duet.sqlite3"
        _fill(db_path, args.contacts)
        bare, bare_count = _bare_loop(db_path, work / "bare")
        plan_time, run_time, sent = _queue_run(
            db_path, work / "queue", args.synchronous
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    result = {
        "contacts": args.contacts,
        "synchronous": args.synchronous or "as opened",
        "messages": sent,
        "plan_and_queue_s": round(plan_time, 3),
        "run_campaign_s": round(run_time, 3),
        "bare_loop_s": round(bare, 3),
        "run_msgs_per_s": round(sent / run_time),
        "bare_msgs_per_s": round(bare_count / bare),
        "ratio_run_over_bare": round(run_time / bare, 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
