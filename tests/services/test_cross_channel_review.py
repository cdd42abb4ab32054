"""A reply that asks to stop only the other channel is decided on that channel.

"Stop the emails" by text is flagged (the classifier's rule 6), not read as a STOP.
While it waits, the contact's emails wait, not the texts; the owner's "opt-out"
then stops the emails and the texts go on. Through the Twilio emulator and the CLI.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app import cli, paths
from desktop_app.core.planning import (
    AWAITING_REVIEW_EMAIL,
    QUIET_AFTER_REVIEW,
    PlannedMessage,
)
from desktop_app.providers.base import Senders
from desktop_app.providers.outbox import OutboxEmail
from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import compliance, history, sending, sync
from desktop_app.storage import consent, messages
from desktop_app.storage.database import open_database
from tests.helpers.twilio_emulator import (  # noqa: F401
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
    twilio_fixture,
)
from tests.services.test_sending import RecordingSms, add_contact, set_up_shop

ANN = "+15550100181"


@pytest.fixture
def file_db(data_dir: Path) -> Iterator[sqlite_utils.Database]:
    """The data folder's own database file, so the command line sees it too."""
    database = open_database(paths.database_path(data_dir))
    yield database
    database.close()


@pytest.fixture
def flagged(
    file_db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> tuple[int, int]:
    """Ann, opted in to texts and emails, texted "unsubscribe me from emails"."""
    db = file_db
    set_up_shop(db, contacts=0)
    ann = add_contact(db, 81, first_name="Ann", phone=ANN)
    for channel in ("sms", "email"):
        consent.record_consent(
            db, ann, channel, "opted_in", source="manual", evidence="signed form"
        )
    twilio_emulator.add_inbound(
        ANN, SENDER, "Please unsubscribe me from the emails, texts are fine"
    )
    report = sync.sync_once(db, twilio)
    assert (report.review, report.opt_outs) == (1, 0)
    (review,) = compliance.reviews(db)
    return ann, review.id


def test_while_it_waits_the_emails_wait_not_the_texts(
    file_db: sqlite_utils.Database, flagged: tuple[int, int]
) -> None:
    db = file_db
    ann, review_id = flagged

    (review,) = compliance.reviews(db)

    assert (review.channel, review.about_channel) == ("sms", "email")
    assert review.to_json()["about_channel"] == "email"
    assert compliance.review_channel(db, review_id) == "email"
    waiting = compliance.awaiting_review(db)
    assert ann in waiting["email"] and ann not in waiting["sms"]


def test_the_owners_opt_out_stops_the_emails_and_keeps_the_texts(
    file_db: sqlite_utils.Database, flagged: tuple[int, int]
) -> None:
    db = file_db
    ann, review_id = flagged

    history.decide_review(db, review_id, opt_out=True, note="called her")

    assert consent.current_consent(db, ann, "email") == "opted_out"
    assert consent.current_consent(db, ann, "sms") == "opted_in"
    newest = consent.consent_history(db, ann)[-1]
    assert newest["channel"] == "email"
    assert "SMS reply" in newest["evidence"] and "called her" in newest["evidence"]
    assert compliance.awaiting_review(db) == {"sms": set(), "email": set()}


def test_the_command_line_says_which_messages_stop(
    file_db: sqlite_utils.Database,
    flagged: tuple[int, int],
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ann, review_id = flagged

    status = cli.run(
        ["--data-dir", str(data_dir), "consent", "decide", str(review_id), "opt-out"]
    )

    assert status == 0
    assert "(no more emails)" in capsys.readouterr().out
    assert consent.current_consent(file_db, ann, "sms") == "opted_in"


def _send_receipt(
    db: sqlite_utils.Database, senders: Senders
) -> tuple[RecordingSms, int]:
    sms = senders.sms
    assert isinstance(sms, RecordingSms)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan, provider_sms=sms.name)
    sending.run_campaign(db, campaign_id, senders)
    return sms, campaign_id


def _email_state(db: sqlite_utils.Database, campaign_id: int) -> tuple[str, str]:
    row = db.execute(
        "SELECT state, coalesce(reason, '') FROM messages WHERE campaign_id = ?"
        " AND channel = 'email'",
        [campaign_id],
    ).fetchone()
    return str(row[0]), str(row[1])


@pytest.mark.parametrize("opt_out", [False, True])
def test_the_waiting_email_goes_or_is_skipped_once_the_owner_decides(
    file_db: sqlite_utils.Database,
    flagged: tuple[int, int],
    data_dir: Path,
    opt_out: bool,
) -> None:
    db = file_db
    _ann, review_id = flagged
    senders = Senders(sms=RecordingSms(), email=OutboxEmail(data_dir / "outbox"))
    sms, campaign_id = _send_receipt(db, senders)
    assert len(sms.sent) == 1  # the texts go on
    assert _email_state(db, campaign_id) == ("queued", AWAITING_REVIEW_EMAIL)
    assert sending.interrupted_campaigns(db) == []  # it waits, nothing to resume

    history.decide_review(db, review_id, opt_out=opt_out)
    resumed = sending.resume_all(db, senders)

    assert [summary.campaign_id for summary in resumed] == [campaign_id]
    state, reason = _email_state(db, campaign_id)
    if opt_out:
        assert state == "skipped" and "unsubscribed" in reason
    else:
        assert (state, reason) == ("sent", "")


def test_the_command_line_says_what_waits_and_what_it_is_about(
    file_db: sqlite_utils.Database,
    flagged: tuple[int, int],
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    senders = Senders(sms=RecordingSms(), email=OutboxEmail(data_dir / "outbox"))
    _send_receipt(file_db, senders)

    cli.run(["--data-dir", str(data_dir), "consent", "review"])
    listed = capsys.readouterr().out
    cli.run(["--data-dir", str(data_dir), "resume"])
    resumed = capsys.readouterr().out

    assert "(about the emails)" in listed
    assert "Waiting for your decision on replies that may mean stop: 1 message" in (
        resumed
    )


def test_a_kept_message_still_in_quiet_hours_says_so(
    file_db: sqlite_utils.Database, flagged: tuple[int, int]
) -> None:
    db = file_db
    ann, review_id = flagged
    template_id = db.execute("SELECT id FROM templates").fetchone()[0]
    later = datetime.now(UTC) + timedelta(hours=5)
    held = PlannedMessage(
        ann, "email", "test81@example.com", "Hello", subject="Hi", action="hold",
        reason=AWAITING_REVIEW_EMAIL, not_before=later, hold_kind="review",
    )  # fmt: skip
    campaign_id = messages.create_campaign(
        db,
        name="Held twice",
        template_id=template_id,
        audience={},
        messages=[held],
        provider_sms="recording",
    )

    history.decide_review(db, review_id, opt_out=False)

    (row,) = messages.campaign_messages(db, campaign_id)
    assert (row.state, row.reason) == ("queued", QUIET_AFTER_REVIEW)
    assert row.not_before == later.isoformat(timespec="seconds")


def test_a_flag_arriving_after_queueing_makes_the_queued_message_wait_at_once(
    file_db: sqlite_utils.Database, twilio: TwilioSms, twilio_emulator: TwilioEmulator
) -> None:
    db = file_db
    set_up_shop(db, contacts=0)
    ann = add_contact(db, 81, first_name="Ann", phone=ANN)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan, provider_sms="recording")
    twilio_emulator.add_inbound(ANN, SENDER, "stop the e-mails please")

    sync.sync_once(db, twilio)

    rows = {m.channel: m for m in messages.campaign_messages(db, campaign_id)}
    assert (rows["email"].state, rows["email"].reason) == (
        "queued",
        AWAITING_REVIEW_EMAIL,
    )
    assert rows["sms"].reason is None
    assert messages.count_waiting_for_review(db, campaign_id) == 1
    assert ann in compliance.awaiting_review(db)["email"]
