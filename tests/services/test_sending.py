"""The send loop: queue once, send each row once, resume, fail one row alone."""

import email
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.core import planning
from desktop_app.core.throttle import TokenBucket, backoff_delay
from desktop_app.errors import (
    ProviderError,
    ProviderUnavailable,
    RecipientRejected,
    StorageError,
    ValidationError,
)
from desktop_app.providers.base import OutgoingEmail, Senders, SendReceipt
from desktop_app.providers.outbox import OutboxEmail, OutboxSms, outbox_senders
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import sending
from desktop_app.storage import consent, messages, settings, templates
from desktop_app.storage.database import open_database, utc_now
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    INVALID_NUMBER,
    LANDLINE_NUMBER,
    OPTED_OUT_NUMBER,
    RATE_LIMITED_NUMBER,
    SENDER,
    TwilioEmulator,
    _error,
    _Reply,
    twilio_emulator_fixture,
)


def add_contact(db: sqlite_utils.Database, number: int, **values: object) -> int:
    """Insert one test contact (555-01xx numbers, example.com addresses)."""
    row: dict[str, object] = {
        "first_name": f"Test{number}",
        "last_name": "Example",
        "phone": f"+1555010{number:04d}"[-12:],
        "phone_kind": "mobile",
        "email": f"test{number}@example.com",
        "tags": json.dumps(["vip"] if number % 2 else []),
        "created_at": utc_now(),
        "updated_at": utc_now(),
    }
    row.update(values)
    return int(db["contacts"].insert(row).last_pk)  # type: ignore[arg-type]


def set_up_shop(db: sqlite_utils.Database, contacts: int = 4) -> None:
    """Settings, a template and a few contacts, as a shop owner would."""
    settings.set_setting(db, "shop.name", "Corner Shop")
    settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
    settings.set_setting(db, "shop.email", "shop@example.com")
    settings.set_setting(db, "shop.timezone", "America/New_York")
    templates.save_template(
        db,
        name="Receipt",
        sms_body="Hi {first_name|there}, your receipt is in your inbox.",
        email_subject="Your receipt",
        email_body="Hello {first_name},\n\nThanks for shopping at {shop_name}.",
        # A receipt is transactional: real sends need no marketing consent and
        # ignore quiet hours, so these tests do not depend on the time of day.
        transactional=True,
    )
    for number in range(1, contacts + 1):
        add_contact(db, number)


class RecordingSms:
    """A real SmsSender that keeps what it was asked to send."""

    name = "recording"

    def __init__(self, refuse: set[str] | None = None, down_after: int | None = None):
        self.sent: list[tuple[str, str]] = []
        self.refuse = refuse or set()
        self.down_after = down_after

    def send_sms(self, to: str, body: str) -> SendReceipt:
        if self.down_after is not None and len(self.sent) >= self.down_after:
            raise ProviderUnavailable("The SMS provider cannot be reached.")
        if to in self.refuse:
            raise RecipientRejected("This number cannot receive SMS.", code=21614)
        self.sent.append((to, body))
        return SendReceipt(provider=self.name, provider_id=f"SM{len(self.sent):04d}")

    def close(self) -> None:
        pass


def _outbox_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "outbox").rglob("*.*"))


def _queue(db: sqlite_utils.Database, **audience: object) -> int:
    plan = sending.plan_send(db, template_name="Receipt", everyone=True, **audience)
    return sending.queue_plan(db, plan)


def test_plan_send_by_tag_and_everyone(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=4)

    vip = sending.plan_send(db, template_name="Receipt", tag="VIP")
    everyone = sending.plan_send(db, template_name="Receipt", everyone=True)

    assert vip.to_send == {"sms": 2, "email": 2}
    assert everyone.to_send == {"sms": 4, "email": 4}
    assert vip.audience == {"tag": "VIP"}


def test_plan_send_needs_an_audience(db: sqlite_utils.Database) -> None:
    set_up_shop(db)
    with pytest.raises(ValidationError, match="tag or everyone"):
        sending.plan_send(db, template_name="Receipt")
    with pytest.raises(ValidationError, match="No contact has the tag 'none'"):
        sending.plan_send(db, template_name="Receipt", tag="none")


def test_plan_respects_consent(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=2)
    consent.record_consent(db, 1, "sms", "opted_out", source="reply", evidence="STOP")

    plan = sending.plan_send(db, template_name="Receipt", everyone=True)

    assert plan.skipped == {"opted out of SMS": 1}


def test_queue_writes_queued_and_skipped_rows(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=2)
    add_contact(db, 3, phone=None)

    campaign_id = _queue(db)

    rows = messages.campaign_messages(db, campaign_id)
    assert len(rows) == 6
    skipped = [r for r in rows if r.state == "skipped"]
    assert [(r.contact_id, r.channel, r.reason) for r in skipped] == [
        (3, "sms", "no phone number")
    ]
    assert {r.state for r in rows} == {"queued", "skipped"}
    campaign = messages.get_campaign(db, campaign_id)
    assert campaign.name.startswith("Receipt ")
    assert campaign.state == "queued"


def test_second_queue_of_the_same_rows_is_impossible(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=2)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan)

    with pytest.raises(ValidationError, match="never sent twice"):
        messages.add_messages(db, campaign_id, plan.messages)

    assert len(messages.campaign_messages(db, campaign_id)) == 4
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO messages (campaign_id, contact_id, channel, state, queued_at)"
            " VALUES (?, 1, 'sms', 'queued', 'now')",
            [campaign_id],
        )


def test_queue_is_one_transaction(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=2)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    plan.messages.append(plan.messages[0])  # a duplicate row breaks the unique key

    with pytest.raises(StorageError):
        sending.queue_plan(db, plan, name="Broken")

    assert db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_campaign_names_are_unique(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=1)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    first = sending.queue_plan(db, plan)
    second = sending.queue_plan(db, plan)

    names = [messages.get_campaign(db, c).name for c in (first, second)]
    assert names[1] == names[0] + " (2)"
    with pytest.raises(ValidationError, match="already used"):
        sending.queue_plan(db, plan, name=names[0])


def test_run_sends_each_row_once_to_the_outbox(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=3)
    campaign_id = _queue(db)
    seen: list[tuple[int, int]] = []

    summary = sending.run_campaign(
        db,
        campaign_id,
        outbox_senders(data_dir),
        progress=lambda done, total: seen.append((done, total)),
    )
    again = sending.run_campaign(db, campaign_id, outbox_senders(data_dir))

    assert (summary.sent, summary.failed, summary.queued) == (6, 0, 0)
    assert summary.segments == 3
    assert summary.cost == round(3 * 0.0083, 4)
    assert seen[-1] == (6, 6) and len(seen) == 6
    assert again.sent == 6 and again.sent_now == 0
    assert len(_outbox_files(data_dir)) == 6
    rows = messages.campaign_messages(db, campaign_id)
    assert {r.state for r in rows} == {"sent"}
    assert all(r.provider == "outbox" and r.provider_id for r in rows)
    assert all(r.sending_at and r.sent_at for r in rows)
    assert messages.get_campaign(db, campaign_id).state == "finished"
    json_keys = set(summary.to_json())
    expected = {"campaign", "campaign_id", "sent", "failed", "skipped", "queued"}
    assert expected | {"segments", "cost"} <= json_keys


def test_cancel_leaves_the_rest_queued_and_resume_finishes(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=4)
    campaign_id = _queue(db)
    sms = RecordingSms()
    senders = Senders(sms=sms, email=OutboxEmail(data_dir / "email"))
    asked = 0

    def cancel_after_three() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    first = sending.run_campaign(db, campaign_id, senders, cancel=cancel_after_three)
    assert (first.sent, first.queued, first.stopped) == (3, 5, "cancelled")
    assert messages.get_campaign(db, campaign_id).state == "paused"

    second = sending.run_campaign(db, campaign_id, senders)

    assert (second.sent, second.queued, second.sent_now) == (8, 0, 5)
    assert len(sms.sent) == 4
    assert len({to for to, _ in sms.sent}) == 4
    assert len(list((data_dir / "email").iterdir())) == 4


def test_refused_row_fails_alone_and_the_batch_goes_on(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=3)
    campaign_id = _queue(db)
    sms = RecordingSms(refuse={"+15550100002"})

    summary = sending.run_campaign(
        db, campaign_id, Senders(sms=sms, email=OutboxEmail(data_dir))
    )

    assert (summary.sent, summary.failed, summary.queued) == (5, 1, 0)
    assert [to for to, _ in sms.sent] == ["+15550100001", "+15550100003"]
    failed = [
        r for r in messages.campaign_messages(db, campaign_id) if r.state == "failed"
    ]
    assert len(failed) == 1
    assert failed[0].to == "+15550100002"
    assert failed[0].reason == "This number cannot receive SMS."
    assert failed[0].error_code == "21614"
    assert failed[0].cost == 0
    assert summary.segments == 2


def test_unavailable_provider_pauses_with_rows_queued(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=3)
    campaign_id = _queue(db)
    sms = RecordingSms(down_after=1)
    senders = Senders(sms=sms, email=OutboxEmail(data_dir))

    paused = sending.run_campaign(db, campaign_id, senders)

    assert paused.stopped == "The SMS provider cannot be reached."
    assert (paused.sent, paused.failed, paused.queued) == (2, 0, 4)
    assert messages.get_campaign(db, campaign_id).state == "paused"
    assert "still waiting" in paused.summary_text()

    sms.down_after = None
    resumed = sending.run_campaign(db, campaign_id, senders)
    assert (resumed.sent, resumed.queued) == (6, 0)
    assert len(sms.sent) == 3


@pytest.mark.allow_warning_log
def test_rows_left_sending_become_unknown_not_resent(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=2)
    campaign_id = _queue(db)
    first = messages.campaign_messages(db, campaign_id)[0]
    assert messages.mark_sending(db, first.id, "recording")  # then the PC crashed
    sms = RecordingSms()

    summary = sending.run_campaign(
        db, campaign_id, Senders(sms=sms, email=OutboxEmail(data_dir))
    )

    row = next(
        r for r in messages.campaign_messages(db, campaign_id) if r.id == first.id
    )
    assert row.state == "unknown"
    assert row.reason == "interrupted while sending; check before resending"
    assert first.to not in [to for to, _ in sms.sent]
    assert (summary.sent, summary.unknown) == (3, 1)
    assert "check before resending" in summary.summary_text()


def test_a_claimed_row_is_not_claimed_twice(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=1)
    row = messages.campaign_messages(db, _queue(db))[0]
    assert messages.mark_sending(db, row.id, "outbox") is True
    assert messages.mark_sending(db, row.id, "outbox") is False


def test_run_from_a_worker_connection(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "duet.sqlite3"
    gui = open_database(path)
    set_up_shop(gui, contacts=2)
    campaign_id = _queue(gui)

    worker = open_database(path)
    try:
        summary = sending.run_campaign(worker, campaign_id, outbox_senders(data_dir))
    finally:
        worker.close()

    states = {r.state for r in messages.campaign_messages(gui, campaign_id)}
    gui.close()
    assert summary.sent == 4
    assert states == {"sent"}


def test_send_campaign_logs_one_info_line(
    db: sqlite_utils.Database, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    set_up_shop(db, contacts=2)
    caplog.set_level("INFO", logger="desktop_app")

    summary = sending.send_campaign(
        db, data_dir=data_dir, template_name="Receipt", tag="vip"
    )

    assert (summary.sent, summary.skipped) == (2, 0)
    infos = [r for r in caplog.records if r.levelname == "INFO"]
    assert len(infos) == 1
    assert "example.com" not in infos[0].getMessage()
    assert "+1555" not in infos[0].getMessage()
    assert len(_outbox_files(data_dir)) == 2


def test_outbox_sms_sender_is_used_for_sms(data_dir: Path) -> None:
    senders = outbox_senders(data_dir)
    assert isinstance(senders.sms, OutboxSms)
    assert isinstance(senders.email, OutboxEmail)


# --- Real providers: the twilio client against the local emulator ------------------


class FakeTime:
    """A clock and a sleep that only move when told: no real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class RateLimitingEmulator(TwilioEmulator):
    """The emulator, answering the next ``limit_next`` creates with 429 / 20429."""

    def __init__(self) -> None:
        super().__init__()
        self.limit_next = 0

    def handle(
        self, method: str, raw_path: str, form: dict[str, str], auth: str | None
    ) -> _Reply:
        if method == "POST" and self.limit_next > 0:
            self.limit_next -= 1
            reply = _error(429, 20429, "Too Many Requests")
            reply.headers["Retry-After"] = self.retry_after
            return reply
        return super().handle(method, raw_path, form, auth)


def twilio_for(emulator: TwilioEmulator, *, timeout: float = 5.0) -> TwilioSms:
    """The real Twilio provider, pointed at the emulator."""
    return TwilioSms(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=emulator.base_url, timeout=timeout
    )


def sms_only_shop(db: sqlite_utils.Database, phones: list[str]) -> None:
    """A shop whose contacts have only a phone (so every message is an SMS)."""
    set_up_shop(db, contacts=0)
    for number, phone in enumerate(phones, start=1):
        add_contact(db, number, phone=phone, email=None, first_name=f"Client{number}")
        consent.record_consent(
            db, number, "sms", "opted_in", source="manual", evidence="test"
        )


def run_twilio(
    db: sqlite_utils.Database,
    emulator: TwilioEmulator,
    data_dir: Path,
    fake: FakeTime,
    *,
    timeout: float = 5.0,
    rate: float = 0,
    policy: sending.RetryPolicy | None = None,
    campaign_id: int | None = None,
) -> sending.SendSummary:
    """Queue (unless given) and run a campaign through Twilio with fake time."""
    sms = twilio_for(emulator, timeout=timeout)
    senders = Senders(sms=sms, email=OutboxEmail(data_dir / "email"))
    if campaign_id is None:
        plan = sending.plan_send(db, template_name="Receipt", everyone=True)
        campaign_id = sending.queue_plan(db, plan, provider_sms="twilio")
    try:
        return sending.run_campaign(
            db,
            campaign_id,
            senders,
            sms_rate=rate,
            policy=policy,
            clock=fake.clock,
            sleep=fake.sleep,
        )
    finally:
        sms.close()


def phones(count: int) -> list[str]:
    return [f"+1555010{n:04d}"[-12:] for n in range(1, count + 1)]


def created_to(emulator: TwilioEmulator) -> list[str]:
    return [m["to"] for m in emulator.created()]


def test_twilio_success_through_the_whole_queue(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(5))
    sms = twilio_for(twilio_emulator)
    senders = Senders(sms=sms, email=OutboxEmail(data_dir / "email"))

    summary = sending.send_campaign(
        db,
        data_dir=data_dir,
        template_name="Receipt",
        everyone=True,
        senders=senders,
        sms_rate=0,
        now=datetime(2027, 5, 4, 15, 0, tzinfo=UTC),
    )
    sms.close()

    assert (summary.sent, summary.failed, summary.queued, summary.unknown) == (
        5, 0, 0, 0,
    )  # fmt: skip
    assert summary.skipped == 5  # no email addresses
    assert sorted(created_to(twilio_emulator)) == phones(5)
    rows = [r for r in messages.campaign_messages(db, summary.campaign_id)]
    sent = [r for r in rows if r.state == "sent"]
    sids = {m["sid"] for m in twilio_emulator.created()}
    assert {r.provider_id for r in sent} == sids
    assert all(r.provider == "twilio" for r in sent)
    campaign = messages.get_campaign(db, summary.campaign_id)
    assert (campaign.provider_sms, campaign.provider_email) == ("twilio", "outbox")
    assert summary.to_json()["provider_sms"] == "twilio"


def test_opted_out_21610_records_an_opt_out_for_that_contact_only(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, ["+15550100001", OPTED_OUT_NUMBER, "+15550100003"])

    summary = run_twilio(db, twilio_emulator, data_dir, FakeTime())

    assert (summary.sent, summary.failed) == (2, 1)
    assert created_to(twilio_emulator) == ["+15550100001", "+15550100003"]
    assert consent.current_consent(db, 2, "sms") == "opted_out"
    assert consent.current_consent(db, 1, "sms") == "opted_in"
    assert consent.current_consent(db, 3, "sms") == "opted_in"
    history = consent.consent_history(db, 2)
    failed = next(
        r
        for r in messages.campaign_messages(db, summary.campaign_id)
        if r.contact_id == 2
    )
    assert history[-1]["source"] == "provider"
    assert history[-1]["evidence"] == f"Twilio error 21610 on message {failed.id}"
    assert (failed.state, failed.error_code) == ("failed", "21610")
    events = list(db.query("SELECT * FROM events WHERE kind = 'opt_out'"))
    assert [(e["contact_id"], e["message_id"]) for e in events] == [(2, failed.id)]


def test_invalid_and_landline_numbers_fail_the_row_and_flag_the_contact(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, [INVALID_NUMBER, LANDLINE_NUMBER, "+15550100003"])

    summary = run_twilio(db, twilio_emulator, data_dir, FakeTime())

    assert (summary.sent, summary.failed, summary.stopped) == (1, 2, None)
    rows = {
        r.contact_id: r
        for r in messages.campaign_messages(db, summary.campaign_id)
        if r.channel == "sms"
    }
    assert (rows[1].state, rows[1].error_code) == ("failed", "21211")
    assert rows[1].reason == "Twilio says this is not a valid phone number."
    assert (rows[2].state, rows[2].error_code) == ("failed", "21614")
    contacts = {
        row["id"]: row for row in db.query("SELECT * FROM contacts ORDER BY id")
    }
    assert json.loads(contacts[1]["warnings"]) == [
        f"Twilio says {INVALID_NUMBER} is not a valid phone number."
    ]
    assert contacts[1]["phone_kind"] == "mobile"
    assert contacts[2]["phone_kind"] == "fixed_line"
    assert len(json.loads(contacts[2]["warnings"])) == 1
    assert json.loads(contacts[3]["warnings"]) == []


@pytest.fixture(name="limiting_emulator")
def limiting_emulator_fixture() -> Iterator[RateLimitingEmulator]:
    emulator = RateLimitingEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


def test_429_waits_retry_after_and_sends_the_same_row(
    db: sqlite_utils.Database, limiting_emulator: RateLimitingEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(3))
    limiting_emulator.limit_next = 2
    limiting_emulator.retry_after = "7"
    fake = FakeTime()

    summary = run_twilio(db, limiting_emulator, data_dir, fake)

    assert (summary.sent, summary.queued, summary.stopped) == (3, 0, None)
    assert sorted(created_to(limiting_emulator)) == phones(3)
    posts = [r for r in limiting_emulator.requests if r.method == "POST"]
    assert [r.form["To"] for r in posts[:3]] == [phones(3)[0]] * 3
    assert sum(fake.slept) == pytest.approx(14.0)


def test_429_that_never_ends_pauses_with_rows_queued(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, [RATE_LIMITED_NUMBER, "+15550100002"])
    fake = FakeTime()
    policy = sending.RetryPolicy(rate_limit_retries=3)

    summary = run_twilio(db, twilio_emulator, data_dir, fake, policy=policy)

    assert summary.queued == 2 and summary.sent == 0
    assert summary.stopped is not None and "limiting" in summary.stopped
    posts = [r for r in twilio_emulator.requests if r.method == "POST"]
    assert len(posts) == 4  # the first try and three retries, then a pause
    assert messages.get_campaign(db, summary.campaign_id).state == "paused"


def test_a_5xx_is_retried_with_backoff_then_sent(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(2))
    twilio_emulator.fail_next = ["500", "502"]
    fake = FakeTime()

    summary = run_twilio(db, twilio_emulator, data_dir, fake)

    assert (summary.sent, summary.queued, summary.unknown) == (2, 0, 0)
    assert sorted(created_to(twilio_emulator)) == phones(2)
    assert sum(fake.slept) == pytest.approx(1 + 2)  # doubling from one second


def test_repeated_5xx_pauses_the_campaign_with_rows_queued(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(3))
    twilio_emulator.fail_next = ["503"] * 10
    fake = FakeTime()

    summary = run_twilio(db, twilio_emulator, data_dir, fake)

    assert (summary.sent, summary.queued) == (0, 3)
    assert summary.stopped is not None and "HTTP 503" in summary.stopped
    assert len(twilio_emulator.requests) == 4
    assert sum(fake.slept) == pytest.approx(1 + 2 + 4)
    assert {r.state for r in messages.campaign_messages(db, summary.campaign_id)} == {
        "queued",
        "skipped",
    }

    twilio_emulator.fail_next.clear()
    resumed = run_twilio(
        db, twilio_emulator, data_dir, fake, campaign_id=summary.campaign_id
    )
    assert (resumed.sent, resumed.queued) == (3, 0)
    assert sorted(created_to(twilio_emulator)) == phones(3)


def test_a_timeout_after_twilio_created_the_message_is_confirmed_not_resent(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(3))
    twilio_emulator.stall_seconds = 1.0
    twilio_emulator.fail_next = ["stall"]  # creates the first message, answers late
    fake = FakeTime()

    summary = run_twilio(db, twilio_emulator, data_dir, fake, timeout=0.3)

    assert (summary.sent, summary.unknown, summary.queued) == (3, 0, 0)
    assert (summary.confirmed, summary.requeued) == (1, 0)
    assert sorted(created_to(twilio_emulator)) == phones(3)  # no duplicate
    first = messages.campaign_messages(db, summary.campaign_id)[0]
    assert first.channel == "sms"
    by_sid = {m["sid"]: m for m in twilio_emulator.created()}
    assert by_sid[first.provider_id or ""]["to"] == first.to
    assert first.reason is None


def test_a_dropped_connection_with_no_message_is_requeued_and_sent_once(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(3))
    twilio_emulator.fail_next = ["drop"]  # reads the request, creates nothing
    fake = FakeTime()

    summary = run_twilio(db, twilio_emulator, data_dir, fake)

    assert (summary.sent, summary.unknown, summary.queued) == (3, 0, 0)
    assert (summary.confirmed, summary.requeued) == (0, 1)
    assert sorted(created_to(twilio_emulator)) == phones(3)
    assert sum(fake.slept) >= sending.RetryPolicy().settle_delay - 0.01


def test_rows_left_sending_are_checked_against_twilio(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(3))
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan, provider_sms="twilio")
    first, second, _third = [
        r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"
    ]
    # The PC died twice mid-send: once after Twilio took the text, once before.
    assert messages.mark_sending(db, first.id, "twilio")
    sms = twilio_for(twilio_emulator)
    sid = sms.send_sms(first.to, first.body).provider_id
    sms.close()
    assert messages.mark_sending(db, second.id, "twilio")

    summary = run_twilio(
        db, twilio_emulator, data_dir, FakeTime(), campaign_id=campaign_id
    )

    assert (summary.sent, summary.unknown, summary.sent_now) == (3, 0, 2)
    assert (summary.confirmed, summary.requeued) == (1, 1)
    assert sorted(created_to(twilio_emulator)) == phones(3)
    rows = messages.campaign_messages(db, campaign_id)
    assert next(r for r in rows if r.id == first.id).provider_id == sid


def test_a_message_twilio_holds_for_another_row_is_not_taken(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(1))
    first = run_twilio(db, twilio_emulator, data_dir, FakeTime())
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    again = sending.queue_plan(db, plan, provider_sms="twilio")
    row = next(r for r in messages.campaign_messages(db, again) if r.channel == "sms")
    assert messages.mark_sending(db, row.id, "twilio")  # crashed before the call

    summary = run_twilio(db, twilio_emulator, data_dir, FakeTime(), campaign_id=again)

    assert first.sent == 1
    assert (summary.confirmed, summary.requeued, summary.sent) == (0, 1, 1)
    assert len(twilio_emulator.created()) == 2


def test_refused_credentials_pause_with_rows_queued(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(2))
    twilio_emulator.accounts[ACCOUNT_SID] = "another-token"

    summary = run_twilio(db, twilio_emulator, data_dir, FakeTime())

    assert (summary.sent, summary.queued) == (0, 2)
    assert summary.stopped is not None and "refused" in summary.stopped
    assert messages.get_campaign(db, summary.campaign_id).state == "paused"


def test_sms_are_paced_by_segments_per_second(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(6))
    fake = FakeTime()

    summary = run_twilio(db, twilio_emulator, data_dir, fake, rate=2)

    assert summary.sent == 6
    # Two go at once (one second's worth), then one every half second.
    assert sum(fake.slept) == pytest.approx(2.0)
    assert fake.now - 1000.0 == pytest.approx(2.0)


def test_email_is_not_held_back_by_sms_pacing(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=4)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan)
    sms = RecordingSms()
    order: list[tuple[str, float]] = []
    fake = FakeTime()
    email = OutboxEmail(data_dir / "email")

    class TimedSms(RecordingSms):
        def send_sms(self, to: str, body: str) -> SendReceipt:
            order.append(("sms", fake.now))
            return sms.send_sms(to, body)

    class TimedEmail(OutboxEmail):
        def send_email(self, mail: OutgoingEmail) -> SendReceipt:
            order.append(("email", fake.now))
            return email.send_email(mail)

    summary = sending.run_campaign(
        db,
        campaign_id,
        Senders(sms=TimedSms(), email=TimedEmail(data_dir / "email")),
        sms_rate=1,
        clock=fake.clock,
        sleep=fake.sleep,
    )

    assert summary.sent == 8
    emails = [at for kind, at in order if kind == "email"]
    texts = [at for kind, at in order if kind == "sms"]
    assert emails == [1000.0] * 4  # every email went while the SMS waited
    assert texts == [pytest.approx(1000.0 + n) for n in range(4)]


def test_token_bucket_math_with_a_fake_clock() -> None:
    fake = FakeTime()
    bucket = TokenBucket(1.0, clock=fake.clock)

    assert bucket.acquire(1, fake.sleep) == 0  # a full bucket starts at once
    assert bucket.wait_time(1) == pytest.approx(1.0)
    assert bucket.acquire(3, fake.sleep) == pytest.approx(1.0)  # waits for a full
    assert bucket.wait_time(1) == pytest.approx(3.0)  # then pays the debt of 2
    fake.now += 10
    assert bucket.wait_time(1) == 0  # never more than the burst builds up
    bucket.take(1)
    assert bucket.wait_time(1) == pytest.approx(1.0)
    bucket.hold(5)
    assert bucket.wait_time(1) == pytest.approx(6.0)

    fast = TokenBucket(10.0, clock=fake.clock)
    start = fake.now
    for _ in range(100):
        fast.acquire(1, fake.sleep)
    assert fake.now - start == pytest.approx(9.0)  # 10 at once, then 10 a second
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_backoff_prefers_retry_after_and_doubles_up_to_a_cap() -> None:
    assert backoff_delay(1, retry_after=7) == 7
    assert [backoff_delay(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_delay(10, cap=60) == 60
    assert backoff_delay(1, retry_after=600, cap=60) == 60


def test_a_campaign_sent_by_a_live_process_is_not_sent_twice(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=1)
    campaign_id = _queue(db)
    other = {
        "owner": "another",
        "host": socket.gethostname(),
        "pid": os.getppid(),  # alive: the process that started the tests
        "at": time.time(),
    }
    assert (
        messages.claim_lease(
            db, f"_lease.campaign.{campaign_id}", other, may_take=lambda _c: False
        )
        is None
    )

    with pytest.raises(ValidationError, match="being sent by another Duet"):
        sending.run_campaign(db, campaign_id, outbox_senders(data_dir))

    other["pid"] = 2**22 + 12345  # no such process: the lease is stale
    messages.set_internal(db, f"_lease.campaign.{campaign_id}", json.dumps(other))
    summary = sending.run_campaign(db, campaign_id, outbox_senders(data_dir))
    assert summary.sent == 2
    assert messages.get_internal(db, f"_lease.campaign.{campaign_id}") is None


def test_resume_refuses_other_providers_than_the_campaigns(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=1)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan, provider_sms="twilio")

    with pytest.raises(ValidationError, match="through twilio"):
        sending.resume_campaign(db, campaign_id, outbox_senders(data_dir))
    summaries = sending.resume_all(db, outbox_senders(data_dir))

    assert [c.id for c in sending.interrupted_campaigns(db)] == [campaign_id]
    assert summaries[0].stopped is not None and "twilio" in summaries[0].stopped
    assert summaries[0].queued == 2
    assert not (data_dir / "outbox").exists()


def test_resume_finishes_every_interrupted_campaign(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=2)
    first = _queue(db)
    second = _queue(db)
    done = _queue(db)
    sending.run_campaign(db, done, outbox_senders(data_dir))
    sending.run_campaign(db, first, outbox_senders(data_dir), cancel=lambda: True)

    assert [c.id for c in sending.interrupted_campaigns(db)] == [first, second]
    summaries = sending.resume_all(db, outbox_senders(data_dir))

    assert [(s.campaign_id, s.sent, s.queued) for s in summaries] == [
        (first, 4, 0),
        (second, 4, 0),
    ]
    assert sending.interrupted_campaigns(db) == []
    assert len(_outbox_files(data_dir)) == 12


def test_provider_error_that_is_not_retryable_pauses(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=2)
    campaign_id = _queue(db)

    class SenderRefused(RecordingSms):
        def send_sms(self, to: str, body: str) -> SendReceipt:
            raise ProviderError("Twilio will not send from this sender.", code=21606)

    summary = sending.run_campaign(
        db, campaign_id, Senders(sms=SenderRefused(), email=OutboxEmail(data_dir))
    )

    assert summary.stopped == "Twilio will not send from this sender."
    assert summary.queued >= 1 and summary.failed == 0


@pytest.mark.allow_warning_log
def test_an_unclaimed_different_text_at_twilio_is_left_for_the_owner(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, phones(1))
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan, provider_sms="twilio")
    row = next(
        r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"
    )
    assert messages.mark_sending(db, row.id, "twilio")
    sms = twilio_for(twilio_emulator)
    sms.send_sms(row.to, row.body.replace("inbox", "in-box"))  # rewritten on the way
    sms.close()

    summary = run_twilio(
        db, twilio_emulator, data_dir, FakeTime(), campaign_id=campaign_id
    )

    assert (summary.unknown, summary.sent, summary.requeued) == (1, 0, 0)
    assert len(twilio_emulator.created()) == 1
    stored = next(
        r for r in messages.campaign_messages(db, campaign_id) if r.id == row.id
    )
    assert stored.reason == sending.DIFFERENT_TEXT


def test_held_messages_wait_for_their_time_and_the_shop_address(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    set_up_shop(db, contacts=3)
    settings.set_setting(db, "shop.address", "")
    template_id = templates.get_template(db, "Receipt").id
    later = datetime.now(UTC) + timedelta(hours=3)

    def daytime() -> datetime:  # quiet hours judged at noon, whatever the real hour
        return datetime(2026, 12, 3, 17, 0, tzinfo=UTC)

    plan = [
        planning.PlannedMessage(1, "sms", "+15550100001", "Now", segments=1),
        planning.PlannedMessage(
            2, "sms", "+15550100002", "Later", segments=1, action=planning.HOLD,
            reason="held until 08:00", not_before=later,
            hold_kind=planning.HOLD_QUIET_HOURS,
        ),
        planning.PlannedMessage(
            3, "email", "test3@example.com", "Hello", subject="Hi",
            action=planning.HOLD, reason=planning.NO_ADDRESS,
            hold_kind=planning.HOLD_ADDRESS,
        ),
    ]  # fmt: skip
    campaign_id = messages.create_campaign(
        db,
        name="Held",
        template_id=template_id,
        audience={},
        messages=plan,
        provider_sms="recording",
    )
    sms = RecordingSms()

    summary = sending.run_campaign(
        db,
        campaign_id,
        Senders(sms=sms, email=OutboxEmail(data_dir)),
        now=daytime,
    )

    assert [body for _, body in sms.sent] == ["Now"]
    assert (summary.sent, summary.queued, summary.held) == (1, 0, 2)
    assert summary.held_address == 1
    assert "1 held for quiet hours" in summary.summary_text()
    assert "Waiting for the shop's postal address: 1 email;" in summary.summary_text()
    assert messages.get_campaign(db, campaign_id).state == "waiting"
    assert sending.interrupted_campaigns(db) == []
    stored = {r.contact_id: r for r in messages.campaign_messages(db, campaign_id)}
    assert stored[2].not_before == later.isoformat(timespec="seconds")
    assert stored[2].state == "queued"

    db.execute(
        "UPDATE messages SET not_before = ? WHERE id = ?",
        [(datetime.now(UTC) - timedelta(minutes=1)).isoformat(), stored[2].id],
    )
    db.conn.commit()
    assert [c.id for c in sending.interrupted_campaigns(db)] == [campaign_id]
    resumed = sending.resume_all(
        db, Senders(sms=sms, email=OutboxEmail(data_dir)), now=daytime
    )
    assert [body for _, body in sms.sent] == ["Now", "Later"]
    assert (resumed[0].sent, resumed[0].held, resumed[0].held_address) == (2, 1, 1)


def _queue_promo(db: sqlite_utils.Database, planned_at: datetime) -> int:
    templates.save_template(
        db,
        name="Promo",
        sms_body="Hi {first_name|there}, new stock is in. Reply STOP to opt out.",
        email_subject="New stock",
        email_body="Come and see.",
    )
    plan = sending.plan_send(
        db, template_name="Promo", everyone=True, test_mode=False, now=planned_at
    )
    return sending.queue_plan(db, plan, provider_sms="twilio")


def test_opt_out_after_queueing_skips_the_message(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, ["+15550100001", "+15550100002"])
    settings.set_setting(db, "shop.timezone", "America/Chicago")
    noon = datetime(2027, 5, 4, 17, 0, tzinfo=UTC)
    campaign_id = _queue_promo(db, noon)
    consent.record_consent(db, 2, "sms", "opted_out", source="reply", evidence="STOP")

    sms = twilio_for(twilio_emulator)
    try:
        summary = sending.run_campaign(
            db,
            campaign_id,
            Senders(sms=sms, email=OutboxEmail(data_dir / "email")),
            sms_rate=0,
            now=lambda: noon,
        )
    finally:
        sms.close()

    assert created_to(twilio_emulator) == ["+15550100001"]
    assert (summary.sent, summary.skipped) == (1, 3)  # 2 emails: no address
    skipped = [
        r for r in messages.campaign_messages(db, campaign_id) if r.contact_id == 2
    ]
    assert [(r.channel, r.state, r.reason) for r in skipped if r.channel == "sms"] == [
        ("sms", "skipped", "opted out of SMS after it was queued")
    ]


def test_queue_running_past_quiet_hours_holds_the_rest(
    db: sqlite_utils.Database, twilio_emulator: TwilioEmulator, data_dir: Path
) -> None:
    sms_only_shop(db, ["+15550100001"])
    settings.set_setting(db, "shop.timezone", "America/Chicago")
    campaign_id = _queue_promo(db, datetime(2027, 5, 4, 17, 0, tzinfo=UTC))
    late = datetime(2027, 5, 5, 3, 30, tzinfo=UTC)  # 22:30 in Chicago

    sms = twilio_for(twilio_emulator)
    try:
        summary = sending.run_campaign(
            db,
            campaign_id,
            Senders(sms=sms, email=OutboxEmail(data_dir / "email")),
            sms_rate=0,
            now=lambda: late,
        )
    finally:
        sms.close()

    assert created_to(twilio_emulator) == []
    row = next(
        r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"
    )
    assert row.state == "queued"
    assert row.not_before == "2027-05-05T13:00:00+00:00"  # 08:00 CDT
    assert row.reason and "08:00 CDT" in row.reason
    assert summary.held == 1
    assert messages.get_campaign(db, campaign_id).state == "waiting"


def test_each_email_carries_its_own_unsubscribe_token(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=2)
    settings.set_setting(db, "shop.email", "shop@example.com")

    sending.send_campaign(db, data_dir=data_dir, template_name="Receipt", everyone=True)

    headers = sorted(
        email.message_from_bytes(path.read_bytes())["List-Unsubscribe"].strip()
        for path in (data_dir / "outbox" / "email").glob("*.eml")
    )
    assert len(headers) == 2 and headers[0] != headers[1]
    assert all(
        h.startswith("<mailto:shop@example.com?subject=unsubscribe") for h in headers
    )


def test_links_carry_utm_tags_and_the_count_covers_them(
    db: sqlite_utils.Database,
) -> None:
    from desktop_app.core.segments import count_segments

    set_up_shop(db, contacts=1)
    templates.save_template(
        db,
        name="Sale",
        sms_body="Sale on: https://shop.example.com/sale?id=7 Reply STOP to opt out.",
        email_subject="Sale",
        email_body="See [the sale](https://shop.example.com/sale).",
    )

    plan = sending.plan_send(db, template_name="Sale", everyone=True, test_mode=True)

    sms = next(m for m in plan.messages if m.channel == "sms")
    mail = next(m for m in plan.messages if m.channel == "email")
    assert "sale?id=7&utm_source=duet&utm_medium=sms&utm_campaign=sale " in sms.body
    assert sms.segments == count_segments(sms.body).segments
    assert "utm_medium=email" in mail.body and "utm_medium=email" in mail.html


def test_without_a_postal_address_receipts_go_and_marketing_waits(
    db: sqlite_utils.Database,
) -> None:
    set_up_shop(db, contacts=1)
    settings.set_setting(db, "shop.address", "")
    templates.save_template(
        db,
        name="News",
        sms_body="New stock is in, details in your inbox. Reply STOP to opt out.",
        email_subject="New stock",
        email_body="Come and see.",
    )

    receipt = sending.plan_send(db, template_name="Receipt", everyone=True)
    news = sending.plan_send(db, template_name="News", everyone=True)

    assert [m.action for m in receipt.messages if m.channel == "email"] == ["send"]
    assert sending.queue_plan(db, receipt) > 0
    assert [m.reason for m in news.messages if m.channel == "email"] == [
        planning.NO_ADDRESS
    ]
    assert news.held["address"] == 1
    assert sending.queue_plan(db, news) > 0


TEXT_A = "Hi {first_name|there}, your receipt is in your inbox."
TEXT_B = "Hello {first_name|there}! Your receipt just arrived by email."


def _ab_shop(db: sqlite_utils.Database, contacts: int) -> templates.Template:
    set_up_shop(db, contacts=contacts)
    return templates.save_template(
        db,
        name="Receipt AB",
        sms_body=TEXT_A,
        sms_body_b=TEXT_B,
        email_subject="Your receipt",
        email_body="Hello {first_name},\n\nThanks for shopping at {shop_name}.",
        transactional=True,
    )


def test_ab_plan_splits_customers_between_the_two_texts(
    db: sqlite_utils.Database,
) -> None:
    template = _ab_shop(db, contacts=40)

    plan = sending.plan_send(
        db, template_name="Receipt AB", everyone=True, ab_split=True
    )
    again = sending.plan_send(
        db, template_name="Receipt AB", everyone=True, ab_split=True
    )

    split = plan.variants
    assert set(split) == {"A", "B"} and sum(split.values()) == 40
    assert abs(split["A"] - split["B"]) <= 1
    assert f"{split['A']} customers get text A, {split['B']} get text B" in (
        plan.summary_text()
    )
    variant_of = {(m.contact_id, m.channel): m.variant for m in plan.messages}
    assert variant_of == {(m.contact_id, m.channel): m.variant for m in again.messages}
    for message in plan.messages:
        assert variant_of[message.contact_id, "sms"] == message.variant
        if message.channel != "sms":
            continue
        first_name = f"Test{message.contact_id}"
        text = TEXT_A if message.variant == "A" else TEXT_B
        assert message.body.startswith(text.replace("{first_name|there}", first_name))
    assert template.sms_body_b == TEXT_B


def test_ab_variants_are_stored_with_the_messages(db: sqlite_utils.Database) -> None:
    _ab_shop(db, contacts=12)
    plan = sending.plan_send(
        db, template_name="Receipt AB", everyone=True, ab_split=True
    )

    campaign_id = sending.queue_plan(db, plan)

    stored = dict(
        ((row[0], row[1]), row[2])
        for row in db.execute(
            "SELECT contact_id, channel, variant FROM messages WHERE campaign_id = ?",
            [campaign_id],
        ).fetchall()
    )
    assert stored == {(m.contact_id, m.channel): m.variant for m in plan.messages}
    assert set(stored.values()) == {"A", "B"}


def test_without_ab_or_without_variant_b_there_is_no_split(
    db: sqlite_utils.Database,
) -> None:
    _ab_shop(db, contacts=6)

    plain = sending.plan_send(db, template_name="Receipt AB", everyone=True)

    assert plain.variants == {} and {m.variant for m in plain.messages} == {None}
    assert "A/B test" not in plain.summary_text()
    with pytest.raises(ValidationError, match="no SMS variant B"):
        sending.plan_send(db, template_name="Receipt", everyone=True, ab_split=True)


def test_ab_links_name_their_variant(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=6)
    templates.save_template(
        db,
        name="Offer",
        sms_body="Offer: https://shop.example.com/o Reply STOP to opt out.",
        sms_body_b="Deal: https://shop.example.com/o Reply STOP to opt out.",
        email_subject="Offer",
        email_body="See https://shop.example.com/o",
    )

    plan = sending.plan_send(
        db, template_name="Offer", everyone=True, test_mode=True, ab_split=True
    )

    for message in plan.messages:
        if message.channel == "sms" and message.action == "send":
            assert f"utm_content={message.variant}" in message.body
