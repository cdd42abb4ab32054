"""The send loop: queue once, send each row once, resume, fail one row alone."""

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import (
    ProviderUnavailable,
    RecipientRejected,
    StorageError,
    ValidationError,
)
from desktop_app.providers.base import Senders, SendReceipt
from desktop_app.providers.outbox import OutboxEmail, OutboxSms, outbox_senders
from desktop_app.services import sending
from desktop_app.storage import consent, messages, settings, templates
from desktop_app.storage.database import open_database, utc_now


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
