"""The SMS send queue against a bare twilio loop, and SIGKILL crash safety (issue 5).

Run: ``.venv/bin/python benchmarks/bench_queue.py [--messages 500] [--rounds 3]
[--kills 20] [--crash-messages 1000] [--seed N] [--json]``

1. **Rate.** The Twilio emulator (tests/helpers/twilio_emulator.py) runs in its own
   process. The baseline is a bare loop of ``twilio.rest.Client.messages.create``
   (one client, keep-alive, the same HTTP client Duet uses). The queue side runs
   ``sending.run_campaign`` on a temporary SQLite file (WAL, as Duet opens it) with
   pacing off, so it measures what the queue adds: claiming each row, committing
   before and after the call, the lease and the bookkeeping. Rounds alternate the
   two sides; medians are printed with the ratio queue rate / bare rate (goal
   ≥ 0.7).
2. **Crash safety.** The emulator runs in this process (so it keeps its record across
   sender restarts); ``tests/helpers/crash_sender.py`` sends a campaign and is
   SIGKILLed at ``--kills`` random points (seeded), restarted each time like
   ``python main.py resume``, then left to finish. Prints duplicates and lost
   messages at the emulator (both must be 0), how many kills left a message in doubt,
   and the time taken.
"""

import argparse
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from desktop_app.providers.base import Senders  # noqa: E402
from desktop_app.providers.outbox import OutboxEmail  # noqa: E402
from desktop_app.providers.twilio_sms import TwilioSms  # noqa: E402
from desktop_app.services import sending  # noqa: E402
from desktop_app.storage import messages  # noqa: E402
from desktop_app.storage.database import open_database  # noqa: E402
from tests.helpers.crash_sender import build_campaign, send_with_kills  # noqa: E402
from tests.helpers.twilio_emulator import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
)


def _serve_emulator(pipe: Connection) -> None:
    emulator = TwilioEmulator().start()
    pipe.send(emulator.base_url)
    pipe.recv()  # until the parent says stop
    emulator.stop()


def _bare_rate(url: str, count: int, offset: int) -> float:
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=url)
    client = sms._client  # the bare twilio client, with Duet's base-URL override
    started = time.perf_counter()
    for n in range(count):
        client.messages.create(
            to=f"+1555{offset + n:07d}", from_=SENDER, body=f"Hi Client{n:05d}."
        )
    elapsed = time.perf_counter() - started
    sms.close()
    return count / elapsed


def _queue_rate(url: str, db_path: Path, campaign_id: int, work: Path) -> float:
    db = open_database(db_path)
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=url)
    senders = Senders(sms=sms, email=OutboxEmail(work / "email"))
    started = time.perf_counter()
    summary = sending.run_campaign(db, campaign_id, senders, sms_rate=0)
    elapsed = time.perf_counter() - started
    sms.close()
    db.close()
    return summary.sent_now / elapsed


def measure_rate(count: int, rounds: int, work: Path) -> dict[str, object]:
    """Compare the queue with the bare loop against one emulator process."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve_emulator, args=(child,))
    server.start()
    url = parent.recv()
    bare: list[float] = []
    queue: list[float] = []
    try:
        _bare_rate(url, 50, 9_000_000)  # warm up both sides of the socket
        for number in range(rounds):
            db_path = work / f"rate-{number}.sqlite3"
            campaign_id = build_campaign(db_path, count)
            if number % 2:
                queue.append(_queue_rate(url, db_path, campaign_id, work))
                bare.append(_bare_rate(url, count, number * count))
            else:
                bare.append(_bare_rate(url, count, number * count))
                queue.append(_queue_rate(url, db_path, campaign_id, work))
    finally:
        parent.send("stop")
        server.join(timeout=10)
    bare_rate = statistics.median(bare)
    queue_rate = statistics.median(queue)
    return {
        "messages_per_round": count,
        "rounds": rounds,
        "bare_msgs_per_s": round(bare_rate, 1),
        "queue_msgs_per_s": round(queue_rate, 1),
        "bare_runs": [round(r, 1) for r in bare],
        "queue_runs": [round(r, 1) for r in queue],
        "ratio_queue_over_bare": round(queue_rate / bare_rate, 3),
        "goal": 0.7,
    }


def measure_crashes(count: int, kills: int, seed: int, work: Path) -> dict[str, object]:
    """SIGKILL the sender ``kills`` times and check the emulator's record."""
    emulator = TwilioEmulator().start()
    try:
        db_path = work / "crash.sqlite3"
        campaign_id = build_campaign(db_path, count)
        report = send_with_kills(
            db_path,
            campaign_id,
            emulator.base_url,
            lambda: len(emulator.messages),
            lambda: {(m["to"], m["body"]) for m in emulator.created()},
            total=count,
            kills=kills,
            seed=seed,
        )
        created = emulator.created()
    finally:
        emulator.stop()

    pairs = Counter((m["to"], m["body"]) for m in created)
    db = open_database(db_path)
    rows = [
        r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"
    ]
    db.close()
    sent_rows = {(r.to, r.body) for r in rows if r.state == "sent"}
    return {
        "messages": count,
        "kill_points": report.kills,
        "sender_starts": report.starts,
        "kills_leaving_a_message_in_doubt": report.in_doubt_after_kill,
        "in_doubt_and_already_at_twilio": report.doubt_already_at_twilio,
        "in_doubt_and_not_at_twilio": report.doubt_not_at_twilio,
        "emulator_created": len(created),
        "duplicates": sum(n - 1 for n in pairs.values() if n > 1),
        "lost": len({(r.to, r.body) for r in rows} - set(pairs)),
        "rows_not_sent": len(rows) - len(sent_rows),
        "seconds": round(report.seconds, 1),
        "created_at_each_kill": report.created_at_kills,
    }


def main() -> None:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--crash-messages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--skip-crash", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="duet-bench-queue-"))
    try:
        result: dict[str, object] = {
            "rate": measure_rate(args.messages, args.rounds, work)
        }
        if not args.skip_crash:
            result["crash"] = measure_crashes(
                args.crash_messages, args.kills, args.seed, work
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(result))
        return
    for section, values in result.items():
        print(f"{section}:")
        for key, value in values.items():  # type: ignore[attr-defined]
            print(f"  {key:>34}: {value}")


if __name__ == "__main__":
    main()
