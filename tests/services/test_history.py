"""History rows, their JSON, filters, and the daily counts behind the chart."""

import csv
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import StorageError, ValidationError
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import history, sending
from desktop_app.storage import messages
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
    # The Receipt template is transactional: every message of it says so.
    assert {r["transactional"] for r in sent} == {True}


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


def test_history_filters_by_channel_state_tag_search_and_contact(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=3)  # contacts 1 and 3 are tagged vip
    add_contact(db, 4, phone=None, first_name="Bo", last_name="Lee")
    _send(db, data_dir)

    assert {r.channel for r in history.list_history(db, channel="sms")} == {"sms"}
    assert len(history.list_history(db, channel="email")) == 4
    skipped = history.list_history(db, state="skipped")
    assert [(r.contact, r.channel) for r in skipped] == [("Bo Lee", "sms")]
    vip = history.list_history(db, tag="VIP")
    assert {r.contact for r in vip} == {"Test1 Example", "Test3 Example"}
    assert {r.contact for r in history.list_history(db, search="bo l")} == {"Bo Lee"}
    by_email = history.list_history(db, search="TEST2@")
    assert {r.to for r in by_email} == {"test2@example.com", "+15550100002"}
    by_phone = history.list_history(db, search="(555) 010-0003")
    assert {r.contact for r in by_phone} == {"Test3 Example"}
    one = history.list_history(db, contact_id=2)
    assert len(one) == 2 and {r.contact_id for r in one} == {2}
    with pytest.raises(ValidationError, match="Channel"):
        history.list_history(db, channel="fax")
    with pytest.raises(ValidationError, match="State"):
        history.list_history(db, state="lost")


def test_history_pages_and_counts_agree(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=7)
    _send(db, data_dir)
    wanted = history.HistoryFilter(channel="sms")

    everything = history.history_page(db, wanted)
    pages = [
        history.history_page(db, wanted, limit=3, offset=offset) for offset in (0, 3, 6)
    ]

    assert history.count_history(db, wanted) == len(everything) == 7
    assert [r.id for page in pages for r in page] == [r.id for r in everything]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [r.id for r in history.list_history(db, limit=2, offset=12)] == [
        r.id for r in history.list_history(db)[12:]
    ]
    assert list(history.iter_history(db, wanted, page=2)) == everything


def test_held_state_is_a_queued_message_with_a_reason(
    db: sqlite_utils.Database,
) -> None:
    set_up_shop(db, contacts=2)
    sending.queue_plan(
        db, sending.plan_send(db, template_name="Receipt", everyone=True)
    )
    db.execute(
        "UPDATE messages SET reason = 'held until 08:00 EST, quiet hours',"
        " not_before = '2030-01-01T13:00:00+00:00' WHERE id = 1"
    )

    held = history.list_history(db, state="held")

    assert [r.id for r in held] == [1]
    assert held[0].reason == "held until 08:00 EST, quiet hours"
    assert len(history.list_history(db, state="queued")) == 4
    assert history.count_history(db, history.HistoryFilter(state="held")) == 1


def test_export_csv_is_excel_safe(
    db: sqlite_utils.Database, data_dir: Path, tmp_path: Path
) -> None:
    set_up_shop(db, contacts=1)
    add_contact(db, 2, first_name="=HYPERLINK(1)", last_name="", email="x@example.com")
    add_contact(db, 3, first_name="@SUM(A1)", last_name="", phone=None)
    _send(db, data_dir)
    out = tmp_path / "history.csv"

    count = history.export_history_csv(db, history.HistoryFilter(), out)

    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert count == len(rows) == 6
    assert list(rows[0]) == list(history.list_history(db)[0].to_json())
    names = {row["contact"] for row in rows}
    assert names == {"Test1 Example", "'=HYPERLINK(1)", "'@SUM(A1)"}
    with pytest.raises(StorageError, match="could not write"):
        history.export_history_csv(db, history.HistoryFilter(), tmp_path / "no" / "x")


def test_contact_timeline_merges_messages_and_events_in_time_order(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=2)
    _send(db, data_dir)
    db.execute("UPDATE messages SET sent_at = '2024-05-01T10:00:00+00:00'")
    messages.add_event(
        db, "opt_out", contact_id=1, body="STOP",
        data={"received_at": "2024-05-01T11:00:00+00:00"},
    )  # fmt: skip
    messages.add_event(db, "reply", contact_id=2, body="Not mine")

    timeline = history.contact_timeline(db, 1)

    assert [e.kind for e in timeline] == ["message", "message", "opt_out"]
    assert timeline[-1].title == "Opted out" and timeline[-1].detail == "STOP"
    assert {e.channel for e in timeline[:2]} == {"sms", "email"}
    assert all("Spring sale" in e.detail for e in timeline[:2])
    assert history.contact_timeline(db, 99) == []


def test_campaign_names_states_and_odd_events(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=1)
    first = _send(db, data_dir)
    second = sending.queue_plan(
        db, sending.plan_send(db, template_name="Receipt", everyone=True), name="Later"
    )
    messages.set_campaign_state(db, second, "waiting")
    event = messages.add_event(db, "carrier_note", contact_id=1, body="odd")
    db.execute("UPDATE events SET data = 'not json' WHERE id = ?", [event])

    assert history.campaign_names(db) == ["Later", "Spring sale"]
    assert history.campaign_states(db) == {first: "finished", second: "waiting"}
    last = history.contact_timeline(db, 1)[-1]
    assert (last.kind, last.title, last.detail) == (
        "carrier_note",
        "Carrier note",
        "odd",
    )
    assert last.to_json()["channel"] == "sms"


def test_activity_lists_events_and_records_review_decisions(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    set_up_shop(db, contacts=2)
    _send(db, data_dir)
    reply = messages.add_event(db, "reply", contact_id=1, body="Thanks")
    review = messages.add_event(
        db, "review", contact_id=2, body="no more please",
        data={"received_at": "2024-05-01T10:00:00+00:00", "matched": "no more"},
    )  # fmt: skip
    stranger = messages.add_event(db, "review", body="stop it", data=["odd"])
    messages.add_event(db, "review_decision", data={"note": "ignored: not a review"})

    events = history.list_activity(db)

    assert [e.id for e in events] == [stranger, review, reply]
    assert events[1].at == "2024-05-01T10:00:00+00:00"
    assert events[1].evidence == "no more" and events[1].contact == "Test2 Example"
    assert events[0].contact == "" and events[0].to_json()["decision"] is None
    assert [e.id for e in history.list_activity(db, kinds=("reply",))] == [reply]

    with pytest.raises(ValidationError, match="nobody to opt out"):
        history.decide_review(db, stranger, opt_out=True)
    with pytest.raises(ValidationError, match="no reply to review"):
        history.decide_review(db, reply, opt_out=False)
    history.decide_review(db, stranger, opt_out=False, note="a wrong number")
    history.decide_review(db, review, opt_out=True)

    assert history.list_activity(db, undecided_only=True) == []
    decided = {e.id: e.decision for e in history.list_activity(db, kinds=("review",))}
    assert decided == {review: "opt_out", stranger: "not_opt_out"}
    opt_outs = history.list_activity(db, kinds=("opt_out",))
    assert [(e.contact_id, e.body) for e in opt_outs] == [(2, "no more please")]


def test_an_email_reply_treated_as_opt_out_unsubscribes_email_only(
    db: sqlite_utils.Database,
) -> None:
    from desktop_app.storage import consent

    set_up_shop(db, contacts=1)
    consent.record_consent(db, 1, "sms", "opted_in", source="manual", evidence="t")
    event_id = messages.add_event(
        db,
        "review",
        contact_id=1,
        body="please stop all this",
        data={"channel": "email", "from": "test1@example.com"},
    )

    (listed,) = history.list_activity(db, undecided_only=True)
    history.decide_review(db, listed.id, opt_out=True, note="asked by mail")

    assert (listed.id, listed.channel) == (event_id, "email")
    assert consent.current_consent(db, 1, "email") == "opted_out"
    assert consent.current_consent(db, 1, "sms") == "opted_in"
    assert history.list_activity(db, undecided_only=True) == []


def test_a_decided_reply_cannot_be_decided_again(db: sqlite_utils.Database) -> None:
    set_up_shop(db, contacts=1)
    event_id = messages.add_event(db, "review", contact_id=1, body="stop it?")
    history.decide_review(db, event_id, opt_out=True)

    with pytest.raises(ValidationError, match="already decided as an opt-out"):
        history.decide_review(db, event_id, opt_out=False)
