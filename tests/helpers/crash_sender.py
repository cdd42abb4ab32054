"""A sender process to kill: finishes one campaign through Twilio (the emulator).

Run as ``python -m tests.helpers.crash_sender --db FILE --campaign ID --url URL``
from the repository root. It resumes the campaign exactly as ``python main.py resume``
would (check the messages in doubt with Twilio, then send the rest) and prints the
summary as JSON. The crash-safety test and ``benchmarks/bench_queue.py`` SIGKILL it at
random points with :func:`send_with_kills` and start it again.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.providers.base import Senders
from desktop_app.providers.outbox import OutboxEmail
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import sending
from desktop_app.storage import settings, templates
from desktop_app.storage.database import open_database, utc_now
from tests.helpers.twilio_emulator import ACCOUNT_SID, AUTH_TOKEN, SENDER

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    """Resume one campaign through the emulator and print its summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--campaign", type=int, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=0.0)
    args = parser.parse_args(argv)

    db = open_database(args.db)
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=args.url, timeout=5)
    email = OutboxEmail(Path(tempfile.gettempdir()) / "duet-crash-email")
    try:
        summary = sending.resume_campaign(
            db, args.campaign, Senders(sms=sms, email=email), sms_rate=args.rate
        )
    finally:
        sms.close()
        db.close()
    print(json.dumps(summary.to_json()))
    return 0


def build_campaign(db_path: Path, count: int) -> int:
    """Create a shop with ``count`` SMS-only contacts and queue one campaign.

    Every SMS body carries the contact's own name, so each (to, body) is unique.

    Returns:
        The campaign id.
    """
    db = open_database(db_path)
    try:
        settings.set_setting(db, "shop.name", "Crash Shop")
        settings.set_setting(db, "shop.address", "1 Example Street")
        # A receipt, so quiet hours (judged on the real clock) never hold it: the
        # test must pass at any hour of the day.
        templates.save_template(
            db,
            name="Crash",
            sms_body="Hi {first_name}, your order is ready for pickup.",
            email_subject="Your order",
            email_body="Hello {first_name}.",
            transactional=True,
        )
        now = utc_now()
        db["contacts"].insert_all(
            {
                "first_name": f"Client{n:05d}",
                "phone": f"+1555{n:07d}",
                "phone_kind": "mobile",
                "tags": "[]",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(1, count + 1)
        )
        # Consent is not what this test is about; everyone said yes.
        with db.conn:
            db.conn.execute(
                "INSERT INTO consent (contact_id, channel, status, source, created_at)"
                " SELECT id, 'sms', 'opted_in', 'test', ? FROM contacts",
                [now],
            )
        plan = sending.plan_send(db, template_name="Crash", everyone=True)
        return sending.queue_plan(db, plan, provider_sms="twilio")
    finally:
        db.close()


@dataclass
class KillReport:
    """What a run of kills did."""

    kills: int = 0
    starts: int = 0
    in_doubt_after_kill: int = 0
    doubt_already_at_twilio: int = 0
    doubt_not_at_twilio: int = 0
    created_at_kills: list[int] = field(default_factory=list)
    final: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0


def _start(db_path: Path, campaign_id: int, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.crash_sender",
            "--db",
            str(db_path),
            "--campaign",
            str(campaign_id),
            "--url",
            url,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _in_doubt(db_path: Path, campaign_id: int) -> list[tuple[str, str]]:
    db = open_database(db_path)
    try:
        rows = db.execute(
            "SELECT to_address, body FROM messages WHERE campaign_id = ?"
            " AND state IN ('sending', 'unknown')",
            [campaign_id],
        ).fetchall()
    finally:
        db.close()
    return [(str(to), str(body)) for to, body in rows]


def send_with_kills(
    db_path: Path,
    campaign_id: int,
    url: str,
    created: Callable[[], int],
    held: Callable[[], set[tuple[str, str]]],
    *,
    total: int,
    kills: int,
    seed: int,
) -> KillReport:
    """Run the sender, SIGKILL it ``kills`` times at random points, then let it finish.

    A kill point is a random number of messages the emulator must have created
    since the start, plus a random sub-millisecond delay, so kills land in every
    phase: before the call, during it, between Twilio's answer and the commit.

    Args:
        created: returns how many messages the emulator holds now.
        held: returns the (to, body) pairs the emulator holds now.
        total: the campaign's SMS count.

    Returns:
        What happened; ``final`` is the last run's JSON summary.
    """
    rng = random.Random(seed)
    report = KillReport()
    began = time.perf_counter()
    for left in range(kills, 0, -1):
        start_count = created()
        spread = max(1, (total - start_count) // (left + 1))
        target = start_count + rng.randint(0, 2 * spread)
        extra = rng.uniform(0, 0.004)
        process = _start(db_path, campaign_id, url)
        report.starts += 1
        deadline = time.monotonic() + 60
        while created() < target and process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)
        time.sleep(extra)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            report.kills += 1
        process.communicate()
        report.created_at_kills.append(created())
        doubtful = _in_doubt(db_path, campaign_id)
        report.in_doubt_after_kill += bool(doubtful)
        at_twilio = held()
        for pair in doubtful:
            if pair in at_twilio:
                report.doubt_already_at_twilio += 1
            else:
                report.doubt_not_at_twilio += 1

    process = _start(db_path, campaign_id, url)
    report.starts += 1
    out, err = process.communicate(timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"the last sender run failed: {err}")
    report.final = json.loads(out.strip().splitlines()[-1])
    report.seconds = time.perf_counter() - began
    return report


if __name__ == "__main__":
    sys.exit(main())
