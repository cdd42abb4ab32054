"""The background job and the start-up questions, against the Twilio emulator.

Credentials live in the in-memory keyring and ``DUET_TWILIO_API_URL`` points the
real Twilio client at the emulator, so the job builds its senders exactly as the
window does.
"""

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop_app import credentials
from desktop_app.providers.base import Senders
from desktop_app.providers.outbox import OutboxEmail
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import schedules, sending, sync
from desktop_app.storage import automation, consent, messages, settings, templates
from desktop_app.storage.database import utc_now
from desktop_app.ui import background_jobs
from desktop_app.ui.automation import texts
from desktop_app.ui.background_jobs import BackgroundJobs, JobReport
from desktop_app.ui.main_window import MainWindow
from tests.helpers.memory_keyring import memory_keyring_fixture  # noqa: F401
from tests.helpers.twilio_emulator import (  # noqa: F401
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
)
from tests.ui.conftest import wait_until_ready

WAIT = 20000
PHONES = ("+15550100001", "+15550100002")
DAYTIME = datetime(2027, 5, 6, 17, 0, tzinfo=UTC)  # 12:00 in Chicago


@pytest.fixture
def twilio_set_up(memory_keyring, twilio_emulator, monkeypatch):
    """Twilio saved in the keyring and pointed at the emulator; SMTP not set up."""
    monkeypatch.setenv("DUET_TWILIO_API_URL", twilio_emulator.base_url)
    credentials.save_twilio(
        credentials.TwilioConfig(account_sid=ACCOUNT_SID, sender=SENDER, rate=50),
        AUTH_TOKEN,
    )
    return twilio_emulator


def sms_shop(db) -> None:
    """Two customers with only a phone, opted in to SMS; a marketing template."""
    settings.set_setting(db, "shop.timezone", "America/Chicago")
    for number, phone in enumerate(PHONES, start=1):
        db["contacts"].insert(
            {
                "first_name": f"Client{number}",
                "last_name": "Example",
                "phone": phone,
                "phone_kind": "mobile",
                "tags": json.dumps([]),
                "created_at": utc_now(),
                "updated_at": utc_now(),
            }
        )
        consent.record_consent(
            db, number, "sms", "opted_in", source="manual", evidence="test"
        )
    templates.save_template(
        db,
        name="Promo",
        sms_body="Hi {first_name|there}, new stock is in. Reply STOP to opt out.",
        email_subject="New stock",
        email_body="Come and see.",
    )


def make_window(qtbot, db, data_dir) -> MainWindow:
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_until_ready(qtbot, window)
    return window


def run_pass(qtbot, jobs: BackgroundJobs, now=None) -> JobReport:
    with qtbot.waitSignal(jobs.ran, timeout=WAIT) as blocker:
        assert jobs.run_now(now=now) is not None
    return blocker.args[0]


def test_job_syncs_replies_and_records_stop_as_an_opt_out(
    qtbot, file_db, data_dir, twilio_set_up
):
    sms_shop(file_db)
    twilio_set_up.add_inbound(PHONES[0], SENDER, "STOP")
    window = make_window(qtbot, file_db, data_dir)
    jobs = BackgroundJobs(data_dir, busy=window.is_busy, parent=window)

    report = run_pass(qtbot, jobs)

    assert report.sync is not None
    assert (report.sync.replies, report.sync.opt_outs) == (1, 1)
    assert consent.current_consent(file_db, 1, "sms") == "opted_out"
    assert consent.current_consent(file_db, 2, "sms") == "opted_in"
    assert window.statusBar().currentMessage() == "1 reply: opt-out recorded"

    again = run_pass(qtbot, jobs)
    assert again.sync.replies == 0
    assert not again.did_something()


def test_job_sends_held_messages_once_their_time_has_come(
    qtbot, file_db, data_dir, twilio_set_up
):
    sms_shop(file_db)
    planned = datetime.now(UTC).replace(hour=17, minute=0) + timedelta(days=2)
    plan = sending.plan_send(
        file_db, template_name="Promo", everyone=True, test_mode=False, now=planned
    )
    campaign_id = sending.queue_plan(file_db, plan, provider_sms="twilio")
    late = planned + timedelta(hours=10, minutes=30)  # 22:30 in Chicago
    sms = TwilioSms(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=twilio_set_up.base_url, rate=0
    )
    try:
        held = sending.run_campaign(
            file_db,
            campaign_id,
            Senders(sms=sms, email=OutboxEmail(data_dir)),
            now=lambda: late,
        )
    finally:
        sms.close()
    assert held.held == 2 and twilio_set_up.created() == []
    assert messages.get_campaign(file_db, campaign_id).state == "waiting"
    window = make_window(qtbot, file_db, data_dir)
    jobs = BackgroundJobs(data_dir, busy=window.is_busy, parent=window)

    too_early = run_pass(qtbot, jobs, now=DAYTIME)

    assert too_early.held_sent == 0
    assert twilio_set_up.created() == []

    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    file_db.execute(
        "UPDATE messages SET not_before = ? WHERE campaign_id = ?", [past, campaign_id]
    )
    file_db.conn.commit()
    report = run_pass(qtbot, jobs, now=DAYTIME)

    assert report.held_sent == 2
    assert report.held_campaigns == [campaign_id]
    assert sorted(m["to"] for m in twilio_set_up.created()) == list(PHONES)
    counts = messages.count_by_state(file_db, campaign_id)
    assert (counts["sent"], counts["queued"]) == (2, 0)
    assert messages.get_campaign(file_db, campaign_id).state == "finished"
    assert window.statusBar().currentMessage() == "2 held messages sent"


def test_no_pass_starts_while_the_window_is_busy(qtbot, file_db, data_dir, monkeypatch):
    busy = {"now": True}
    jobs = BackgroundJobs(data_dir, busy=lambda: busy["now"])
    release = threading.Event()

    def held_pass(request, cancel):
        release.wait(timeout=10)  # keeps the pass running until the test says so
        return JobReport()

    monkeypatch.setattr(background_jobs, "run_pass", held_pass)
    assert jobs.run_now() is None

    busy["now"] = False
    with qtbot.waitSignal(jobs.ran, timeout=WAIT):
        task = jobs.run_now()
        assert task is not None
        assert jobs.run_now() is None  # one pass at a time
        release.set()
    jobs.stop()
    assert jobs.run_now() is None


def test_a_pass_yields_to_a_send_from_compose(qtbot, file_db, data_dir, monkeypatch):
    busy = {"now": False}
    jobs = BackgroundJobs(data_dir, busy=lambda: busy["now"])
    seen: list[bool] = []

    def waiting_pass(request, cancel):
        deadline = time.monotonic() + 10
        while not cancel() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(cancel())
        return JobReport(yielded=cancel())

    monkeypatch.setattr(background_jobs, "run_pass", waiting_pass)
    with qtbot.waitSignal(jobs.ran, timeout=WAIT) as blocker:
        assert jobs.run_now() is not None
        busy["now"] = True  # Compose started a send

    assert seen == [True]
    assert blocker.args[0].yielded


def test_status_line_names_what_a_pass_did():
    report = JobReport(
        sync=sync.SyncReport(replies=1, opt_outs=1, delivered=2),
        held_sent=3,
    )

    assert (
        report.status_text()
        == "3 held messages sent; 1 reply: opt-out recorded; 2 delivered"
    )
    assert report.did_something()
    assert JobReport(sync=sync.SyncReport(checked=4)).status_text() == ""


def test_start_offers_to_finish_an_interrupted_send(
    qtbot, shop_db, data_dir, boxes, memory_keyring
):
    plan = sending.plan_send(shop_db, template_name="Order ready", everyone=True)
    campaign_id = sending.queue_plan(shop_db, plan)
    name = messages.get_campaign(shop_db, campaign_id).name
    window = make_window(qtbot, shop_db, data_dir)
    boxes.answer = True

    window.start_background_work()
    qtbot.waitUntil(lambda: window.background_jobs.timer.isActive(), timeout=WAIT)

    assert boxes.kinds() == ["ask"]
    _parent, title, text, yes, no = boxes.calls[0][1]
    assert title == texts.START_TITLE
    assert f"• {name}: 8 messages left" in text
    assert (yes, no) == (texts.RESUME_YES, texts.RESUME_NO)
    counts = messages.count_by_state(shop_db, campaign_id)
    assert counts["queued"] == 0 and counts["sent"] == 8
    assert sending.interrupted_campaigns(shop_db) == []
    assert not window.startup_work.panel.isVisible()
    assert name in window.statusBar().currentMessage()


def test_declining_the_offer_leaves_the_send_queued(
    qtbot, shop_db, data_dir, boxes, memory_keyring
):
    plan = sending.plan_send(shop_db, template_name="Order ready", everyone=True)
    campaign_id = sending.queue_plan(shop_db, plan)
    window = make_window(qtbot, shop_db, data_dir)
    boxes.answer = False

    window.start_background_work()
    qtbot.waitUntil(lambda: window.background_jobs.timer.isActive(), timeout=WAIT)

    assert boxes.kinds() == ["ask"]
    assert messages.count_by_state(shop_db, campaign_id)["sent"] == 0
    assert [c.id for c in sending.interrupted_campaigns(shop_db)] == [campaign_id]


def test_missed_schedules_are_listed_and_sent_only_when_confirmed(
    qtbot, shop_db, data_dir, boxes, memory_keyring
):
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    day = (three_days_ago + timedelta(days=1)).strftime("%Y-%m-%d")
    schedule = schedules.add_schedule(
        shop_db,
        template_name="Order ready",
        tag="vip",
        at=f"{day} 10:00",
        now=three_days_ago,
    )
    window = make_window(qtbot, shop_db, data_dir)
    boxes.answer = False

    window.start_background_work()
    qtbot.waitUntil(lambda: window.background_jobs.timer.isActive(), timeout=WAIT)

    assert boxes.kinds() == ["ask"]
    _parent, title, text, _yes, _no = boxes.calls[0][1]
    assert title == texts.MISSED_TITLE
    assert schedule.name in text and "missed" in text
    assert automation.runs(shop_db, state="sent") == []

    window.background_jobs.stop()
    boxes.calls.clear()
    boxes.answer = True
    window.start_background_work()
    qtbot.waitUntil(lambda: window.background_jobs.timer.isActive(), timeout=WAIT)

    assert boxes.kinds() == ["ask"]
    sent = automation.runs(shop_db, state="sent")
    assert len(sent) == 1 and sent[0]["schedule_id"] == schedule.id
    assert schedules.missed_runs(shop_db) == []
    campaign = messages.get_campaign(shop_db, sent[0]["campaign_id"])
    assert messages.count_by_state(shop_db, campaign.id)["sent"] == 5


def test_a_pass_handles_the_watched_folder(file_db, data_dir, tmp_path):
    inbox = tmp_path / "till"
    inbox.mkdir()
    settings.set_setting(file_db, "automation.watch_folder", str(inbox))
    (inbox / "sales.csv").write_text(
        "kind,event_id,email,phone,first_name,order_number,total\n"
        "purchase,T-1,ana@example.com,(212) 555-0161,Ana,1042,59.90\n",
        encoding="utf-8",
    )
    past = time.time() - 60  # older than the settle time: the till finished writing
    os.utime(inbox / "sales.csv", (past, past))

    report = background_jobs.run_pass(
        background_jobs.JobRequest(data_dir), cancel=lambda: False
    )

    assert [Path(f.file).name for f in report.files] == ["sales.csv"]
    assert (inbox / "done" / "sales.csv").exists()
    assert "from the watched folder" in report.status_text()
    sent = file_db.execute(
        "SELECT count(*) FROM messages WHERE state = 'sent'"
    ).fetchone()[0]
    assert sent == 2


def test_watch_folder_setting_must_be_a_folder(file_db, tmp_path):
    from desktop_app.errors import ValidationError

    with pytest.raises(ValidationError, match="not a folder"):
        settings.set_setting(file_db, "automation.watch_folder", str(tmp_path / "no"))
    assert settings.set_setting(file_db, "automation.watch_folder", "") == ""


def test_saving_the_address_sends_the_emails_that_waited(qtbot, file_db, data_dir):
    settings.set_setting(file_db, "shop.name", "Corner Shop")
    settings.set_setting(file_db, "shop.address", "")
    for number in (1, 2):
        file_db["contacts"].insert(
            {
                "first_name": f"Client{number}",
                "phone": PHONES[number - 1],
                "phone_kind": "mobile",
                "email": f"client{number}@example.com",
                "tags": json.dumps([]),
                "created_at": utc_now(),
                "updated_at": utc_now(),
            }
        )
    templates.save_template(
        file_db,
        name="News",
        sms_body="Hi {first_name|there}, news in your inbox. Reply STOP to opt out.",
        email_subject="News",
        email_body="Come and see.",
    )
    first = sending.send_campaign(
        file_db, data_dir=data_dir, template_name="News", everyone=True
    )
    assert (first.sent, first.held_address) == (2, 2)
    window = make_window(qtbot, file_db, data_dir)
    jobs = BackgroundJobs(data_dir, busy=window.is_busy, parent=window)
    window.background_jobs = jobs
    shop = window.view("settings").shop
    shop.edits["shop.address"].setText("1 Example Street, Springfield")

    with qtbot.waitSignal(jobs.ran, timeout=WAIT) as blocker:
        shop.save_button.click()

    assert blocker.args[0].held_sent == 2
    emails = sorted((data_dir / "outbox" / "email").glob("*.eml"))
    assert len(emails) == 2
    assert "1 Example Street, Springfield" in emails[0].read_text(encoding="utf-8")
    assert len(list((data_dir / "outbox" / "sms").glob("*.txt"))) == 2


# --- the mailbox in the background pass (issue 6) -------------------------------------

MAIL_USER = "shop@example.com"
MAIL_PASSWORD = "test-password"


def _mail_contact(db) -> int:
    table = db["contacts"].insert(
        {"first_name": "Mail", "email": "mail1@example.com",
         "email_key": "mail1@example.com", "tags": json.dumps([]),
         "created_at": utc_now(), "updated_at": utc_now()}
    )  # fmt: skip
    return int(table.last_pk)


def _unsubscribe_reply(message_id: str) -> bytes:
    return (
        f"From: mail1@example.com\r\nTo: {MAIL_USER}\r\nSubject: Re: Sale\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Sat, 07 Mar 2026 15:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nUNSUBSCRIBE\r\n\r\n"
        "> To unsubscribe, reply with UNSUBSCRIBE or write to shop@example.com\r\n"
    ).encode()


def _save_mailbox(port: int) -> None:
    credentials.save_imap(
        credentials.ImapConfig("127.0.0.1", port, "none", MAIL_USER), MAIL_PASSWORD
    )


def test_a_pass_polls_the_mailbox_when_it_is_set_up(file_db, data_dir, memory_keyring):
    from tests.helpers.imap_server import ImapServer

    contact_id = _mail_contact(file_db)
    mails = [_unsubscribe_reply("bg1@x")]
    with ImapServer(user=MAIL_USER, password=MAIL_PASSWORD, messages=mails) as server:
        _save_mailbox(server.port)
        report = background_jobs.run_pass(
            background_jobs.JobRequest(data_dir), cancel=lambda: False
        )
        seen = server.seen()

    assert report.mailbox is not None and report.mailbox.unsubscribed == [contact_id]
    assert seen == [True]
    assert consent.current_consent(file_db, contact_id, "email") == "opted_out"
    assert report.status_text() == "Mailbox: 1 unsubscribed"
    assert report.errors == []


def test_an_unreachable_mailbox_is_reported_once_and_the_pass_goes_on(
    file_db, data_dir, memory_keyring, tmp_path
):
    import socket

    from tests.helpers.imap_server import ImapServer

    with socket.socket() as probe:  # a free port on 127.0.0.1 that nobody serves
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _save_mailbox(port)
    inbox = tmp_path / "till"
    inbox.mkdir()
    settings.set_setting(file_db, "automation.watch_folder", str(inbox))
    request = background_jobs.JobRequest(data_dir)

    first = background_jobs.run_pass(request, cancel=lambda: False)
    second = background_jobs.run_pass(request, cancel=lambda: False)

    assert first.mailbox is None
    assert len(first.errors) == 1
    assert first.errors[0].startswith("Mailbox not checked: The mail server")
    assert first.status_text() == first.errors[0]
    assert first.files == []  # the rest of the pass ran
    assert second.errors == [] and not second.did_something()

    # Once it works again, a later failure is reported again.
    with ImapServer(user=MAIL_USER, password=MAIL_PASSWORD) as server:
        _save_mailbox(server.port)
        working = background_jobs.run_pass(request, cancel=lambda: False)
    _save_mailbox(port)
    third = background_jobs.run_pass(request, cancel=lambda: False)

    assert working.errors == [] and working.mailbox.checked == 0
    assert len(third.errors) == 1


def test_no_mailbox_set_up_means_no_poll(file_db, data_dir, memory_keyring):
    report = background_jobs.run_pass(
        background_jobs.JobRequest(data_dir), cancel=lambda: False
    )

    assert report.mailbox is None and report.errors == []


def test_status_line_names_what_the_mailbox_poll_found():
    from desktop_app.services.imap_poll import ImapReport

    report = JobReport(
        mailbox=ImapReport(checked=4, unsubscribed=[1, 2], bounced=[3], review=[4])
    )

    assert report.status_text() == "Mailbox: 2 unsubscribed, 1 bounce, 1 to review"
    assert not JobReport(mailbox=ImapReport(checked=3, other=3)).did_something()
