"""The watched folder: files become events, move to done/failed with a report."""

import json
import os
import time
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import folder_watch
from desktop_app.storage import automation, settings

CSV = (
    "kind,event_id,email,phone,first_name,order_number,total\n"
    "purchase,T-1,ana@example.com,+15550100101,Ana,1042,59.90\n"
    "purchase,T-2,bo@example.com,+15550100102,Bo,1043,12.00\n"
)


@pytest.fixture(name="inbox")
def inbox_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "till"
    folder.mkdir()
    return folder


@pytest.fixture(name="shop_db")
def shop_db_fixture(db: sqlite_utils.Database) -> sqlite_utils.Database:
    settings.set_setting(db, "shop.name", "Corner Shop")
    settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
    settings.set_setting(db, "shop.timezone", "America/New_York")
    return db


def _sms(data_dir: Path) -> list[str]:
    folder = data_dir / "outbox" / "sms"
    if not folder.exists():
        return []
    return sorted(path.read_text("utf-8") for path in folder.iterdir())


def _run(db: sqlite_utils.Database, inbox: Path, data_dir: Path, **options: object):
    senders = outbox_senders(data_dir)
    try:
        return folder_watch.process_folder(
            db, inbox, senders, settle_seconds=0, **options
        )
    finally:
        senders.close()


def test_csv_rows_become_events_and_the_file_moves_to_done(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    (inbox / "sales.csv").write_text(CSV, "utf-8")

    [report] = _run(shop_db, inbox, data_dir)

    assert not report.failed
    assert [row.status for row in report.rows] == ["sent", "sent"]
    done = inbox / "done" / "sales.csv"
    assert done.read_text("utf-8") == CSV
    text = (inbox / "done" / "sales.csv.report.txt").read_text("utf-8")
    assert "2 rows: 2 handled, 0 refused." in text
    assert "row 1: sent (T-1)" in text
    sms = _sms(data_dir)
    assert len(sms) == 2
    assert "Thanks for your order 1042, Ana!" in sms[0] + sms[1]
    assert not list(inbox.glob("*.csv"))


def test_the_same_file_dropped_twice_sends_once(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    (inbox / "sales.csv").write_text(CSV, "utf-8")
    _run(shop_db, inbox, data_dir)
    (inbox / "sales.csv").write_text(CSV, "utf-8")

    [report] = _run(shop_db, inbox, data_dir)

    assert [row.status for row in report.rows] == ["duplicate", "duplicate"]
    assert (inbox / "done" / "sales-2.csv").exists()
    assert len(_sms(data_dir)) == 2


def test_rows_without_event_id_are_recognised_by_content(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    rows = [{"email": "cy@example.com", "order_number": "7", "total": "1.00"}]
    (inbox / "a.json").write_text(json.dumps(rows), "utf-8")
    _run(shop_db, inbox, data_dir, kind="purchase")
    (inbox / "b.json").write_text(json.dumps({"events": rows}), "utf-8")

    [report] = _run(shop_db, inbox, data_dir, kind="purchase")

    assert [row.status for row in report.rows] == ["duplicate"]
    assert report.rows[0].event_id and report.rows[0].event_id.startswith("sha256:")


def test_malformed_json_moves_to_failed_with_a_report_and_nothing_lost(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    broken = '[{"kind": "purchase", "email": "ana@example.com",\n'
    (inbox / "export.json").write_text(broken, "utf-8")

    [report] = _run(shop_db, inbox, data_dir)

    assert report.failed
    assert report.message is not None and "not valid JSON" in report.message
    moved = inbox / "failed" / "export.json"
    assert moved.read_text("utf-8") == broken
    text = (inbox / "failed" / "export.json.report.txt").read_text("utf-8")
    assert "Not read: not valid JSON (line 2)" in text
    assert _sms(data_dir) == []
    [activity] = automation.recent_activity(shop_db, 1)
    assert (activity.kind, activity.outcome, activity.ref) == (
        "file",
        "failed",
        "export.json",
    )


def test_partly_bad_csv_sends_good_rows_and_names_the_bad_ones(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    content = (
        "kind,event_id,email,phone,order_number,total\n"
        "purchase,P-1,ana@example.com,,1,9.50\n"
        "purchase,P-2,,,2,9.50\n"
        "purchase,P-3,bo@example.com,,3,9.50,extra\n"
        "purchase,P-4,cy@example.com,,4,9.50\n"
    )
    (inbox / "mixed.csv").write_text(content, "utf-8")

    [report] = _run(shop_db, inbox, data_dir)

    assert report.failed
    assert [(r.row, r.status) for r in report.rows] == [
        (1, "sent"),
        (2, "refused"),
        (3, "refused"),
        (4, "sent"),
    ]
    text = (inbox / "failed" / "mixed.csv.report.txt").read_text("utf-8")
    assert "row 2: refused: email/phone: the event names no customer" in text
    assert "row 3: refused: the row has more cells than the header" in text
    assert (inbox / "failed" / "mixed.csv").read_text("utf-8") == content

    fixed = content.replace(",,,2,", ",dee@example.com,,2,").replace(",extra", "")
    (inbox / "mixed.csv").write_text(fixed, "utf-8")
    [again] = _run(shop_db, inbox, data_dir)

    assert [r.status for r in again.rows] == ["duplicate", "sent", "sent", "duplicate"]
    assert not again.failed
    emails = list((data_dir / "outbox" / "email").iterdir())
    assert len(emails) == 4  # each customer once


def test_binary_and_empty_files_are_refused_whole(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    (inbox / "a.csv").write_bytes(b"\x00\x01\x02PK")
    (inbox / "b.csv").write_text("", "utf-8")

    reports = _run(shop_db, inbox, data_dir)

    assert {r.file: r.message for r in reports} == {
        "a.csv": "this is not a text file (CSV or JSON expected)",
        "b.csv": "the file is empty",
    }
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == [
        "a.csv",
        "a.csv.report.txt",
        "b.csv",
        "b.csv.report.txt",
    ]


def test_files_still_being_written_and_other_names_wait(inbox: Path) -> None:
    (inbox / "new.csv").write_text(CSV, "utf-8")
    old = inbox / "old.json"
    old.write_text("[]", "utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    (inbox / ".partial.csv").write_text(CSV, "utf-8")
    (inbox / "notes.txt").write_text("hello", "utf-8")

    ready = folder_watch.ready_files(inbox, settle_seconds=60)

    assert [path.name for path in ready] == ["old.json"]


def test_watch_once_reads_and_stops(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    (inbox / "sales.csv").write_text(CSV, "utf-8")
    seen: list[str] = []
    senders = outbox_senders(data_dir)

    reports = folder_watch.watch_folder(
        shop_db,
        inbox,
        senders,
        once=True,
        settle_seconds=0,
        on_report=lambda report: seen.append(report.file),
    )

    assert seen == ["sales.csv"]
    assert len(reports) == 1


def test_watch_loop_stops_when_asked(
    shop_db: sqlite_utils.Database, inbox: Path, data_dir: Path
) -> None:
    looks: list[float] = []
    senders = outbox_senders(data_dir)

    folder_watch.watch_folder(
        shop_db,
        inbox,
        senders,
        poll_seconds=7,
        stop=lambda: len(looks) >= 3,
        sleep=looks.append,
    )

    assert looks == [7, 7, 7]


def test_a_missing_folder_is_named(shop_db: sqlite_utils.Database, tmp_path: Path):
    with pytest.raises(ValidationError, match="nowhere is not a folder"):
        folder_watch.process_folder(
            shop_db, tmp_path / "nowhere", outbox_senders(tmp_path)
        )
