"""History rows, their JSON, filters, and the daily counts behind the chart."""

from datetime import date
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import history, sending
from tests.services.test_sending import add_contact, set_up_shop


def _send(db: sqlite_utils.Database, data_dir: Path) -> int:
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    campaign_id = sending.queue_plan(db, plan, name="Spring sale")
    sending.run_campaign(db, campaign_id, outbox_senders(data_dir))
    return campaign_id


def test_history_json_has_the_promised_keys(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=1)
    add_contact(db, 2, phone=None, first_name="Bo", last_name="Lee")
    _send(db, data_dir)

    rows = [row.to_json() for row in history.list_history(db)]

    assert len(rows) == 4
    required = {"channel", "to", "state", "reason", "campaign", "template", "segments"}
    extra = {"contact", "queued_at", "sent_at", "provider_id", "error_code", "cost"}
    assert required | extra <= set(rows[0])
    skipped = [r for r in rows if r["state"] == "skipped"]
    assert skipped == [r for r in rows if r["reason"] is not None]
    assert [(r["channel"], r["to"], r["reason"], r["contact"]) for r in skipped] == [
        ("sms", "", "no phone number", "Bo Lee")
    ]
    sent = [r for r in rows if r["state"] == "sent"]
    assert {r["channel"] for r in sent} == {"sms", "email"}
    assert all(
        r["campaign"] == "Spring sale" and r["template"] == "Receipt" for r in rows
    )
    assert all(r["provider_id"].endswith((".txt", ".eml")) for r in sent)


def test_history_is_newest_first_and_filters_by_campaign(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=1)
    first = _send(db, data_dir)
    plan = sending.plan_send(db, template_name="Receipt", everyone=True)
    second = sending.queue_plan(db, plan, name="Later")
    sending.run_campaign(db, second, outbox_senders(data_dir))

    rows = history.list_history(db)
    assert [r.campaign_id for r in rows] == [second, second, first, first]
    assert [r.campaign for r in history.list_history(db, campaign="Later")] == [
        "Later", "Later",
    ]  # fmt: skip
    assert len(history.list_history(db, campaign=first)) == 2
    assert len(history.list_history(db, limit=3)) == 3
    with pytest.raises(ValidationError, match="no campaign named"):
        history.list_history(db, campaign="Nope")


def test_history_date_filters_use_the_shop_day(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=1)
    campaign_id = sending.queue_plan(
        db, sending.plan_send(db, template_name="Receipt", everyone=True)
    )
    # 03:30 UTC on 2 March is still 1 March in New York.
    db.execute(
        "UPDATE messages SET queued_at = '2024-03-02T03:30:00+00:00'"
        " WHERE campaign_id = ?",
        [campaign_id],
    )

    assert len(history.list_history(db, since="2024-03-01", until="2024-03-01")) == 2
    assert history.list_history(db, since=date(2024, 3, 2)) == []
    assert len(history.list_history(db, until="2024-03-02T00:00")) == 2
    with pytest.raises(ValidationError, match="not a date"):
        history.list_history(db, since="yesterday")


def test_daily_counts_for_uses_send_time_and_shop_zone(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=2)
    add_contact(db, 3, email=None)
    campaign_id = _send(db, data_dir)
    db.execute(
        "UPDATE messages SET sent_at = '2024-11-03T04:30:00+00:00',"
        " queued_at = '2024-11-03T04:00:00+00:00' WHERE campaign_id = ?",
        [campaign_id],
    )

    counts = history.daily_counts_for(db)

    assert counts.tz == "America/New_York"
    assert counts.days == [date(2024, 11, 3)]
    assert counts.count(date(2024, 11, 3), "sms", "sent") == 3
    assert counts.count(date(2024, 11, 3), "email", "sent") == 2
    assert counts.count(date(2024, 11, 3), "email", "skipped") == 1
    utc = history.daily_counts_for(db, "UTC")
    assert utc.days == [date(2024, 11, 3)]
    tokyo = history.daily_counts_for(db, "Asia/Tokyo")
    assert tokyo.days == [date(2024, 11, 3)]
    honolulu = history.daily_counts_for(db, "Pacific/Honolulu")
    assert honolulu.days == [date(2024, 11, 2)]
