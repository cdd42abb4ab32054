"""Schedules: one-off and recurring sends, due once, missed ones wait for the owner."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import schedules
from desktop_app.storage import automation, messages, settings, templates
from desktop_app.storage.database import utc_now


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _shop(db: sqlite_utils.Database, zone: str = "America/New_York") -> None:
    settings.set_setting(db, "shop.name", "Corner Shop")
    settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
    settings.set_setting(db, "shop.timezone", zone)
    templates.save_template(
        db,
        name="News",
        sms_body="Hi {first_name|there}, news from {shop_name} in your inbox.",
        email_subject="News",
        email_body="Hello {first_name}, here is the news.",
    )
    for number in (1, 2):
        db["contacts"].insert(
            {
                "first_name": f"Test{number}",
                "phone": f"+1555010010{number}",
                "phone_kind": "mobile",
                "email": f"test{number}@example.com",
                "email_key": f"test{number}@example.com",
                "tags": json.dumps(["vip"]),
                "created_at": utc_now(),
                "updated_at": utc_now(),
            }
        )


@pytest.fixture(name="shop_db")
def shop_db_fixture(db: sqlite_utils.Database) -> sqlite_utils.Database:
    _shop(db)
    return db


def _sms_count(data_dir: Path) -> int:
    folder = data_dir / "outbox" / "sms"
    return len(list(folder.iterdir())) if folder.exists() else 0


def test_one_off_schedule_sends_once_when_due(
    shop_db: sqlite_utils.Database, data_dir: Path
) -> None:
    senders = outbox_senders(data_dir)
    schedule = schedules.add_schedule(
        shop_db,
        template_name="News",
        tag="vip",
        at="2027-01-04 10:00",
        now=utc(2027, 1, 1),
    )

    early = schedules.run_due(shop_db, senders, now=utc(2027, 1, 4, 14, 59))
    due = schedules.run_due(shop_db, senders, now=utc(2027, 1, 4, 15, 5))
    again = schedules.run_due(shop_db, senders, now=utc(2027, 1, 4, 15, 10))

    assert schedule.next_due_at == "2027-01-04T15:00:00+00:00"  # 10:00 EST
    assert early == []
    assert [(o.state, o.local) for o in due] == [("sent", "2027-01-04 10:00 EST")]
    assert again == []
    assert _sms_count(data_dir) == 2
    assert automation.get_schedule(shop_db, schedule.id).next_due_at is None
    assert messages.get_campaign(shop_db, due[0].campaign_id or 0).name == (
        "News, once, 2027-01-04 10:00"
    )


def test_schedule_in_the_past_or_without_audience_is_refused(
    shop_db: sqlite_utils.Database,
) -> None:
    with pytest.raises(ValidationError, match="in the past"):
        schedules.add_schedule(
            shop_db,
            template_name="News",
            everyone=True,
            at="2027-01-04 10:00",
            now=utc(2027, 2, 1),
        )
    with pytest.raises(ValidationError, match="Audience"):
        schedules.add_schedule(shop_db, template_name="News", rule="daily 10:00")
    with pytest.raises(ValidationError, match="either a date and time or a rule"):
        schedules.add_schedule(shop_db, template_name="News", everyone=True)
    with pytest.raises(ValidationError, match="no template named 'Nope'"):
        schedules.add_schedule(
            shop_db, template_name="Nope", everyone=True, rule="daily 10:00"
        )


def test_calendar_lists_next_occurrences_across_dst_new_york(
    shop_db: sqlite_utils.Database,
) -> None:
    schedules.add_schedule(
        shop_db,
        template_name="News",
        everyone=True,
        rule="first monday monthly 10:00",
        now=utc(2027, 2, 10),
    )
    schedules.add_schedule(
        shop_db,
        template_name="News",
        tag="vip",
        rule="every sunday 09:00",
        now=utc(2027, 3, 1),
        name="Sunday",
    )

    calendar = schedules.upcoming(shop_db, now=utc(2027, 3, 1), per_schedule=3)

    assert [(o.schedule, o.local) for o in calendar] == [
        ("News, first Monday of each month, 10:00", "2027-03-01 10:00 EST"),
        ("Sunday", "2027-03-07 09:00 EST"),
        ("Sunday", "2027-03-14 09:00 EDT"),
        ("Sunday", "2027-03-21 09:00 EDT"),
        ("News, first Monday of each month, 10:00", "2027-04-05 10:00 EDT"),
        ("News, first Monday of each month, 10:00", "2027-05-03 10:00 EDT"),
    ]
    assert [o.due_at for o in calendar][1:3] == [
        "2027-03-07T14:00:00+00:00",
        "2027-03-14T13:00:00+00:00",
    ]
    assert calendar[0].state == "upcoming"


def test_daily_schedule_across_fall_back_sends_each_day_once(
    shop_db: sqlite_utils.Database, data_dir: Path
) -> None:
    senders = outbox_senders(data_dir)
    schedules.add_schedule(
        shop_db,
        template_name="News",
        tag="vip",
        rule="daily 01:30",
        now=utc(2027, 11, 6),
    )

    runs = []
    clock = utc(2027, 11, 6, 5)
    while clock < utc(2027, 11, 8, 12):
        runs += schedules.run_due(shop_db, senders, now=clock)
        clock += timedelta(minutes=15)

    assert [(o.state, o.due_at) for o in runs] == [
        ("sent", "2027-11-06T05:30:00+00:00"),
        ("sent", "2027-11-07T05:30:00+00:00"),  # 01:30 EDT; not again at 01:30 EST
        ("sent", "2027-11-08T06:30:00+00:00"),
    ]
    assert _sms_count(data_dir) == 6


def test_weekly_schedule_in_paris_across_summer_time(db: sqlite_utils.Database) -> None:
    _shop(db, "Europe/Paris")
    schedules.add_schedule(
        db,
        template_name="News",
        tag="vip",
        rule="every monday 10:00",
        now=utc(2027, 3, 20),
    )

    calendar = schedules.upcoming(db, now=utc(2027, 3, 20), per_schedule=2)

    assert [(o.due_at, o.local) for o in calendar] == [
        ("2027-03-22T09:00:00+00:00", "2027-03-22 10:00 CET"),
        ("2027-03-29T08:00:00+00:00", "2027-03-29 10:00 CEST"),
    ]


def test_missed_runs_wait_for_the_owner_and_only_the_latest_goes(
    shop_db: sqlite_utils.Database, data_dir: Path
) -> None:
    senders = outbox_senders(data_dir)
    schedules.add_schedule(
        shop_db,
        template_name="News",
        everyone=True,
        rule="first monday monthly 10:00",
        now=utc(2027, 1, 1),
    )
    back_on = utc(2027, 3, 20)  # the PC was off for January to March

    missed = schedules.missed_runs(shop_db, back_on)
    not_confirmed = schedules.run_due(shop_db, senders, now=back_on)
    confirmed = schedules.run_due(shop_db, senders, now=back_on, include_missed=True)
    after = schedules.missed_runs(shop_db, back_on)

    assert [o.local for o in missed] == [
        "2027-01-04 10:00 EST",
        "2027-02-01 10:00 EST",
        "2027-03-01 10:00 EST",
    ]
    assert not_confirmed == []
    assert _sms_count(data_dir) == 2  # one campaign: the March run
    assert [(o.local[:10], o.state) for o in confirmed] == [
        ("2027-01-04", "superseded"),
        ("2027-02-01", "superseded"),
        ("2027-03-01", "sent"),
    ]
    assert after == []
    assert schedules.upcoming(shop_db, now=back_on)[0].local == "2027-04-05 10:00 EDT"
    outcomes = [row.outcome for row in automation.recent_activity(shop_db, 10)]
    assert outcomes.count("missed") == 3


def test_a_run_a_few_minutes_late_is_due_not_missed(
    shop_db: sqlite_utils.Database, data_dir: Path
) -> None:
    schedules.add_schedule(
        shop_db,
        template_name="News",
        everyone=True,
        rule="daily 10:00",
        now=utc(2027, 1, 1),
    )

    calendar = schedules.upcoming(shop_db, now=utc(2027, 1, 1, 15, 20))
    done = schedules.run_due(
        shop_db, outbox_senders(data_dir), now=utc(2027, 1, 1, 15, 20)
    )

    assert calendar[0].state == "due"
    assert [o.state for o in done] == ["sent"]


def test_cap_pauses_a_scheduled_send(
    shop_db: sqlite_utils.Database, data_dir: Path
) -> None:
    settings.set_setting(shop_db, "sms.price_per_segment", "0.05")
    automation.set_spending_caps(shop_db, daily=0.05)
    now = datetime.now(UTC)
    schedules.add_schedule(
        shop_db, template_name="News", everyone=True, rule="daily 10:00",
        now=now - timedelta(days=1),
    )  # fmt: skip
    schedule = automation.list_schedules(shop_db)[0]
    due = datetime.fromisoformat(schedule.next_due_at or "")

    [done] = schedules.run_due(
        shop_db, outbox_senders(data_dir), now=due + timedelta(minutes=1)
    )

    assert done.state == "paused"
    assert done.reason is not None and "over the daily cap of $0.05" in done.reason
    assert _sms_count(data_dir) == 0
    counts = messages.count_by_state(shop_db, done.campaign_id or 0)
    assert counts["queued"] == 4


def test_schedule_for_an_empty_tag_is_skipped_with_the_reason(
    shop_db: sqlite_utils.Database, data_dir: Path
) -> None:
    schedules.add_schedule(
        shop_db,
        template_name="News",
        tag="nobody",
        rule="daily 10:00",
        now=utc(2027, 1, 1),
    )

    [done] = schedules.run_due(
        shop_db, outbox_senders(data_dir), now=utc(2027, 1, 1, 15, 1)
    )

    assert (done.state, done.reason) == ("skipped", "No contact has the tag 'nobody'.")
