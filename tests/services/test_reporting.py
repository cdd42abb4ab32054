"""KPIs, attribution and chart data, on fixed rows written straight into SQLite."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.services import history, reporting
from desktop_app.storage import settings

T = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def add_contact(db: sqlite_utils.Database, n: int) -> int:
    now = iso(T)
    return int(
        db["contacts"]
        .insert(
            {
                "id": n,
                "first_name": f"Test{n}",
                "phone": f"+1555010{n:04d}",
                "phones": json.dumps([{"e164": f"+1555010{n:04d}"}]),
                "email": f"Test{n}@Example.com",
                "email_key": f"test{n}@example.com",
                "emails": json.dumps([f"Test{n}@Example.com"]),
                "created_at": now,
                "updated_at": now,
            }
        )
        .last_pk
    )


def add_campaign(db: sqlite_utils.Database, campaign_id: int, name: str) -> None:
    if not db.execute("SELECT 1 FROM templates WHERE id = 1").fetchone():
        db["templates"].insert(
            {"id": 1, "name": "Receipt", "created_at": iso(T), "updated_at": iso(T)}
        )
    db["campaigns"].insert(
        {"id": campaign_id, "name": name, "template_id": 1, "created_at": iso(T)}
    )


def msg(
    db: sqlite_utils.Database,
    campaign_id: int,
    contact: int,
    channel: str,
    state: str,
    *,
    at: datetime = T,
    provider: str = "twilio",
    variant: str | None = None,
    reason: str | None = None,
    code: str | None = None,
) -> int:
    sent = state in ("sent", "delivered")
    row: dict[str, Any] = {
        "campaign_id": campaign_id,
        "contact_id": contact,
        "channel": channel,
        "to_address": f"+1555010{contact:04d}" if channel == "sms" else
        f"test{contact}@example.com",
        "state": state,
        "segments": 2 if channel == "sms" else 0,
        "cost": 0.0166 if channel == "sms" and sent else 0.0,
        "provider": provider if channel == "sms" else ("smtp" if provider ==
                                                        "twilio" else provider),
        "variant": variant,
        "reason": reason,
        "error_code": code,
        "queued_at": iso(at - timedelta(minutes=1)),
        "sent_at": iso(at) if sent else None,
        "failed_at": iso(at) if state == "failed" else None,
        "delivered_at": iso(at) if state == "delivered" else None,
    }  # fmt: skip
    return int(db["messages"].insert(row).last_pk)


def event(
    db, kind: str, at: datetime, *, message_id=None, contact_id=None, data="{}"
) -> None:
    db["events"].insert(
        {"kind": kind, "message_id": message_id, "contact_id": contact_id,
         "created_at": iso(at), "data": data}
    )  # fmt: skip


def sale(db, n: int, at: datetime, amount: float, *, email=None, phone=None) -> None:
    db["sales"].insert(
        {
            "source": "csv", "source_file": "orders.csv", "external_id": f"#{n}",
            "email_key": email, "phone": phone, "occurred_at": iso(at),
            "amount": amount, "currency": "USD", "created_at": iso(T),
        }
    )  # fmt: skip


@pytest.fixture
def shop(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Two campaigns: Spring via Twilio/SMTP, Summer into the test outbox."""
    settings.set_setting(db, "shop.timezone", "America/New_York")
    for n in range(1, 7):
        add_contact(db, n)
    add_campaign(db, 1, "Spring")
    add_campaign(db, 2, "Summer")

    msg(db, 1, 1, "sms", "delivered")
    msg(db, 1, 1, "email", "sent")
    c2 = msg(db, 1, 2, "sms", "sent")
    msg(db, 1, 2, "email", "sent")
    msg(db, 1, 3, "sms", "failed", reason="recipient opted out", code="21610")
    msg(db, 1, 3, "email", "sent")
    msg(db, 1, 4, "sms", "failed", reason="unreachable", code="30003")
    msg(db, 1, 4, "email", "failed", reason="mailbox refused")
    msg(db, 1, 5, "sms", "skipped", reason="no consent")
    msg(db, 1, 5, "email", "skipped", reason="no consent")
    msg(db, 1, 6, "sms", "delivered")
    c6_email = msg(db, 1, 6, "email", "sent")

    later = T + timedelta(days=3)
    msg(db, 2, 1, "sms", "sent", at=later, provider="outbox")
    msg(db, 2, 1, "email", "sent", at=later, provider="outbox")
    msg(db, 2, 2, "sms", "sent", at=later, provider="outbox")

    # Sync records a STOP as a reply (kind opt_out in its data) and an opt-out.
    stop = '{"kind": "opt_out", "matched": "STOP"}'
    event(db, "reply", T + timedelta(hours=2), message_id=c2, contact_id=2, data=stop)
    event(db, "opt_out", T + timedelta(hours=2), message_id=c2, contact_id=2)
    event(db, "reply", T + timedelta(hours=1), contact_id=1)  # names no message
    event(db, "reply", T + timedelta(hours=1, minutes=5), contact_id=1)  # same person
    event(db, "bounce", T + timedelta(hours=1), message_id=c6_email)
    event(db, "unsubscribe", T + timedelta(hours=3), message_id=c6_email)
    event(db, "reply", T - timedelta(days=30), contact_id=3)  # before any message

    sale(db, 1, T + timedelta(days=1), 50.0, email="test1@example.com")
    sale(db, 2, T + timedelta(days=4), 30.0, email="test1@example.com")
    sale(db, 3, later + timedelta(hours=1), 20.0, phone="+15550100002")
    sale(db, 4, T - timedelta(hours=1), 99.0, email="test3@example.com")
    sale(db, 5, T + timedelta(days=20), 15.0, phone="+15550100006")
    return db


def _campaign(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in result["campaigns"] if c["campaign"] == name)


def test_campaign_kpis_on_fixed_rows(shop: sqlite_utils.Database) -> None:
    spring = _campaign(reporting.build_report(shop).to_json(), "Spring")

    assert spring["sent"] == 3 + 4
    assert spring["delivered"] == 2
    assert spring["failed"] == 3
    assert spring["skipped"] == 2
    assert spring["reached"] == 4
    assert spring["delivery_rate"] == round(2 / 3, 4)
    assert spring["opted_out"] == 2  # c2's opt-out and c6's email unsubscribe
    assert spring["opt_out_rate"] == 0.5
    assert spring["replied"] == 1
    assert spring["reply_rate"] == round(1 / 3, 4)
    assert spring["segments"] == 6
    assert spring["cost"] == pytest.approx(0.0498)
    assert spring["email"] == {
        "sent": 4, "failed": 1, "skipped": 1, "bounced": 1, "unsubscribed": 1,
    }  # fmt: skip
    assert spring["failed_by_reason"] == [
        {"reason": "email: mailbox refused", "count": 1},
        {"reason": "sms: recipient opted out (error 21610)", "count": 1},
        {"reason": "sms: unreachable (error 30003)", "count": 1},
    ]
    assert spring["conversions"] == 1
    assert spring["revenue"] == 50.0
    assert spring["conversion_rate"] == 0.25


def test_outbox_campaign_says_delivery_is_unknown(shop: sqlite_utils.Database) -> None:
    summer = _campaign(reporting.build_report(shop).to_json(), "Summer")

    assert summer["sent"] == 3
    assert summer["delivered"] is None
    assert summer["delivery_rate"] is None
    assert any("test outbox" in note for note in summer["notes"])
    assert summer["conversions"] == 2  # the most recent pair wins; one by phone only
    assert summer["revenue"] == 50.0
    assert summer["converted"] == 2


def test_overall_and_attribution_block(shop: sqlite_utils.Database) -> None:
    result = reporting.build_report(shop).to_json()

    overall = result["overall"]
    assert overall["sent"] == 10
    assert overall["conversions"] == 3
    assert overall["revenue"] == 100.0
    assert overall["delivered"] == 2
    assert result["attribution"]["window_days"] == 7
    assert result["attribution"]["source"] == "sales import"
    assert result["attribution"]["sales"] == 5
    assert result["attribution"]["unattributed"] == 2
    contract = {"campaign", "template", "sent", "delivered", "failed", "opted_out",
                "replied", "conversions", "revenue"}  # fmt: skip
    assert all(contract <= set(c) for c in result["campaigns"])


def test_the_window_setting_changes_attribution(shop: sqlite_utils.Database) -> None:
    shop["settings"].insert({"key": "reports.attribution_days", "value": "30"})

    result = reporting.build_report(shop).to_json()

    assert result["attribution"]["window_days"] == 30
    assert result["attribution"]["unattributed"] == 1  # only the sale before
    assert reporting.attribution_days(shop) == 30.0


def test_window_setting_defaults_to_seven_and_refuses_bad_values(
    db: sqlite_utils.Database,
) -> None:
    assert reporting.attribution_days(db) == 7.0

    with pytest.raises(ValidationError, match="number of days"):
        settings.set_setting(db, "reports.attribution_days", "soon")
    settings.set_setting(db, "reports.attribution_days", "14")

    assert reporting.attribution_days(db) == 14.0


def test_report_for_one_campaign(shop: sqlite_utils.Database) -> None:
    result = reporting.build_report(shop, campaign="Summer").to_json()

    assert [c["campaign"] for c in result["campaigns"]] == ["Summer"]
    assert result["overall"]["sent"] == 3
    assert result["attribution"]["attributed"] == 2
    with pytest.raises(ValidationError, match="no campaign named 'Nope'"):
        reporting.build_report(shop, campaign="Nope")


def test_empty_database_reports_zeros_and_nulls(db: sqlite_utils.Database) -> None:
    result = reporting.build_report(db).to_json()

    assert result["campaigns"] == []
    assert result["overall"]["sent"] == 0
    assert result["overall"]["delivery_rate"] is None
    assert result["overall"]["conversion_rate"] is None


def test_variants_are_counted_and_compared(db: sqlite_utils.Database) -> None:
    settings.set_setting(db, "shop.timezone", "UTC")
    add_campaign(db, 1, "Split")
    for n in range(1, 41):
        add_contact(db, n)
        variant = "A" if n <= 20 else "B"
        msg(db, 1, n, "sms", "delivered", variant=variant)
    for n in (1, 21, 22, 23, 24, 25):
        event(db, "reply", T + timedelta(hours=1), contact_id=n)
    sale(db, 1, T + timedelta(days=1), 10.0, phone="+15550100030")

    report = reporting.build_report(db)
    split = report.campaigns[0]
    comparison = reporting.ab_comparison(db)

    assert {name: k.sms_reached for name, k in split.variants.items()} == {
        "A": 20, "B": 20,
    }  # fmt: skip
    assert split.variants["A"].replied == 1
    assert split.variants["B"].replied == 5
    assert split.variants["B"].conversions == 1
    assert split.kpis.replied == 6
    reply_test = comparison.tests["reply"][0]
    assert (reply_test.successes_a, reply_test.total_a) == (1, 20)
    assert (reply_test.successes_b, reply_test.total_b) == (5, 20)
    assert any(s.startswith("B's reply rate is higher (25.0 % vs 5.0 %)")
               for s in comparison.sentences)  # fmt: skip
    ab_json = split.to_json()["ab_test"]
    assert ab_json["tests"]["reply"][0]["p_value"] == pytest.approx(
        reply_test.p_value, abs=1e-4
    )


def test_daily_counts_use_the_shop_day(shop: sqlite_utils.Database) -> None:
    counts = reporting.daily_counts(shop)

    assert counts.tz == "America/New_York"
    assert counts.days[0] == date(2024, 5, 1)
    assert counts.count(date(2024, 5, 1), "sms", "delivered") == 2
    assert counts.count(date(2024, 5, 4), "sms", "sent") == 2
    assert counts.total == 15
    assert counts == history.daily_counts_for(shop)  # same days in a whole-hour zone


def test_half_hour_zone_days_split_at_local_midnight(db: sqlite_utils.Database) -> None:
    # Kolkata is UTC+05:30: 18:29 UTC is 23:59 on the 1st, 18:31 UTC is the 2nd.
    settings.set_setting(db, "shop.timezone", "Asia/Kolkata")
    add_campaign(db, 1, "Late")
    add_contact(db, 1)
    add_contact(db, 2)
    msg(db, 1, 1, "sms", "sent", at=datetime(2024, 5, 1, 18, 29, tzinfo=UTC))
    msg(db, 1, 2, "sms", "sent", at=datetime(2024, 5, 1, 18, 31, tzinfo=UTC))

    counts = reporting.daily_counts(db)

    assert counts.days == [date(2024, 5, 1), date(2024, 5, 2)]
    assert counts.series[("sms", "sent")] == [1, 1]
    # Nepal is UTC+05:45: 18:14 UTC is 23:59 on the 1st, 18:31 UTC the 2nd.
    db.execute("UPDATE messages SET sent_at = '2024-05-01T18:14:00+00:00' WHERE id = 1")
    nepal = reporting.daily_counts(db, "Asia/Kathmandu")
    assert nepal.series[("sms", "sent")] == [1, 1]


def test_dst_day_buckets(db: sqlite_utils.Database) -> None:
    # 10 March 2024, New York springs forward; 04:30 UTC is still the 9th (EST),
    # 05:30 UTC is 00:30 EST on the 10th, 03:59 UTC on the 11th is 23:59 EDT.
    settings.set_setting(db, "shop.timezone", "America/New_York")
    add_campaign(db, 1, "DST")
    for n, moment in enumerate(
        [datetime(2024, 3, 10, 4, 30, tzinfo=UTC), datetime(2024, 3, 10, 5, 30,
         tzinfo=UTC), datetime(2024, 3, 11, 3, 59, tzinfo=UTC)], start=1
    ):  # fmt: skip
        add_contact(db, n)
        msg(db, 1, n, "sms", "sent", at=moment)

    counts = reporting.daily_counts(db)

    assert counts.days == [date(2024, 3, 9), date(2024, 3, 10)]
    assert counts.series[("sms", "sent")] == [1, 2]


def test_midnight_hours() -> None:
    from zoneinfo import ZoneInfo

    start, end = T, T + timedelta(days=3)
    assert reporting.midnight_hours(ZoneInfo("Asia/Kolkata"), start, end) == {"18"}
    assert reporting.midnight_hours(ZoneInfo("Asia/Kathmandu"), start, end) == {"18"}
    assert reporting.midnight_hours(ZoneInfo("America/St_Johns"), start, end) == {"02"}
    assert reporting.midnight_hours(ZoneInfo("Europe/Paris"), start, end) == set()


def test_bucket_minutes() -> None:
    from zoneinfo import ZoneInfo

    start, end = T, T + timedelta(days=3)
    assert reporting.bucket_minutes(ZoneInfo("America/New_York"), start, end) == 60
    assert reporting.bucket_minutes(ZoneInfo("Asia/Kathmandu"), start, end) == 15
    assert reporting.bucket_minutes(ZoneInfo("Australia/Adelaide"), start, end) == 15


def test_rate_series_and_monthly_cost(shop: sqlite_utils.Database) -> None:
    series = reporting.rate_series(shop)
    cost = reporting.monthly_cost(shop)

    first = series.days.index(date(2024, 5, 1))
    assert series.delivery_known[first] == 3
    assert series.delivered[first] == 2
    assert series.reached[first] == 4
    assert series.opted_out[first] == 2
    later = series.days.index(date(2024, 5, 4))
    assert series.delivery_rates[later] is None  # outbox
    assert cost.months == [date(2024, 5, 1)]
    assert cost.segments == [6 + 4]
    assert cost.cost == [pytest.approx(5 * 0.0166)]  # five SMS sent in May


def test_funnels_and_chart_data(shop: sqlite_utils.Database) -> None:
    funnels = reporting.chart_data(shop, "funnel")

    assert [(f.campaign, f.reached, f.delivered, f.converted) for f in funnels] == [
        ("Spring", 4, 2, 1), ("Summer", 2, None, 2),
    ]  # fmt: skip
    assert reporting.chart_data(shop, "abtest").is_empty
    with pytest.raises(ValidationError, match="no chart named"):
        reporting.chart_data(shop, "pie")


def test_bucket_counts_follow_inserts_updates_and_deletes(
    shop: sqlite_utils.Database,
) -> None:
    shop.execute(
        "UPDATE messages SET state = 'delivered', sent_at = '2024-05-09T23:59:00+00:00'"
        " WHERE campaign_id = 2 AND channel = 'sms'"
    )
    shop.execute("DELETE FROM messages WHERE state = 'skipped'")

    kept = shop.execute(
        "SELECT hour, channel, state, q0 + q1 + q2 + q3 FROM message_buckets"
        " WHERE q0 + q1 + q2 + q3 > 0 ORDER BY 1, 2, 3"
    ).fetchall()
    counted = shop.execute(
        "SELECT substr(coalesce(sent_at, failed_at, queued_at), 1, 13), channel,"
        " state, count(*) FROM messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ).fetchall()
    assert kept == counted
    assert reporting.daily_counts(shop).count(date(2024, 5, 9), "sms", "delivered") == 2


def test_migration_fills_buckets_from_existing_messages() -> None:
    from desktop_app.storage import database

    old = sqlite_utils.Database(memory=True)
    with old.conn:
        database._m001_initial(old)
        old.execute("PRAGMA user_version = 1")
    add_campaign(old, 1, "Before")
    add_contact(old, 1)
    old.execute(
        "INSERT INTO messages (campaign_id, contact_id, channel, state, queued_at,"
        " sent_at) VALUES (1, 1, 'sms', 'sent', '2024-05-01T10:00:00+00:00',"
        " '2024-05-01T10:50:00+00:00')"
    )

    database.migrate(old, None)

    assert old.execute("SELECT * FROM message_buckets").fetchall() == [
        ("2024-05-01T10", "sms", "sent", 0, 0, 0, 1)
    ]
    assert database.schema_version(old) == len(database.MIGRATIONS)
