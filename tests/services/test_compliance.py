"""Compliance services: the opt-out deadline report, JOIN sign and replies, tokens."""

import itertools
import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from PIL import Image

from desktop_app import cli
from desktop_app.core import consent_rules
from desktop_app.errors import ValidationError
from desktop_app.services import compliance
from desktop_app.storage import consent, settings
from desktop_app.storage.database import utc_now


def _contact(db: sqlite_utils.Database, number: int, **values: object) -> int:
    row: dict[str, object] = {
        "id": number,
        "first_name": f"Test{number}",
        "phone": f"+1555010{number:04d}"[-12:],
        "phone_kind": "mobile",
        "email": f"test{number}@example.com",
        "email_key": f"test{number}@example.com",
        "created_at": utc_now(),
        "updated_at": utc_now(),
    }
    row.update(values)
    return int(db["contacts"].insert(row).last_pk)  # type: ignore[arg-type]


def _event(db: sqlite_utils.Database, kind: str, contact_id: int, received: str,
           created: str, body: str = "STOP") -> None:  # fmt: skip
    db["events"].insert(
        {
            "kind": kind,
            "contact_id": contact_id,
            "body": body,
            "data": json.dumps({"received_at": received}),
            "created_at": created,
        }
    )


def _ledger(db: sqlite_utils.Database, contact_id: int, channel: str, status: str,
            source: str, created: str) -> None:  # fmt: skip
    db["consent"].insert(
        {
            "contact_id": contact_id,
            "channel": channel,
            "status": status,
            "source": source,
            "evidence": f"{source} evidence",
            "created_at": created,
        }
    )


# --- the opt-out deadline ----------------------------------------------------------


def test_sla_report_arithmetic(db: sqlite_utils.Database) -> None:
    settings.set_setting(db, "shop.timezone", "America/New_York")
    for number in range(1, 7):
        _contact(db, number)
    # 1: STOP on Friday 10:00 EST, recorded at the sync on Monday 10:00 EDT.
    _event(db, "opt_out", 1, "2026-03-06T15:00:00Z", "2026-03-09T14:00:00+00:00")
    _ledger(db, 1, "sms", "opted_out", "reply", "2026-03-09T14:00:00+00:00")
    # 2: seen Monday 2 March, in effect Tuesday 17 March: 11 business days, late.
    _event(db, "opt_out", 2, "2026-03-02T15:00:00+00:00", "2026-03-02T15:00:00+00:00")
    _ledger(db, 2, "sms", "opted_out", "provider", "2026-03-17T15:00:00+00:00")
    # 3: an unsubscribe mail seen Tuesday 10 March, not yet in the ledger.
    _event(db, "unsubscribe", 3, "2026-03-10T16:00:00+00:00",
           "2026-03-10T16:00:00+00:00", body="unsubscribe")  # fmt: skip
    # 4: the owner records an opt-out by hand: seen and in effect at once.
    _ledger(db, 4, "sms", "opted_out", "manual", "2026-03-11T12:00:00+00:00")
    # 5: an opt-out copied from an import file is history, not a revocation.
    _ledger(db, 5, "sms", "opted_out", "import", "2026-03-01T12:00:00+00:00")
    # 6: a second STOP from someone already opted out is not pending.
    _ledger(db, 6, "sms", "opted_out", "reply", "2026-03-03T12:00:00+00:00")
    _event(db, "opt_out", 6, "2026-03-04T12:00:00+00:00", "2026-03-04T12:00:00+00:00")
    now = datetime(2026, 3, 13, 18, 0, tzinfo=UTC)  # Friday

    report = compliance.opt_out_sla_report(db, now=now)

    by_contact = {r.contact_id: r for r in report.revocations}
    assert sorted(by_contact) == [1, 2, 3, 4, 6]
    first = by_contact[1]
    assert (first.seen_at, first.effective_at) == (
        "2026-03-06T15:00:00+00:00", "2026-03-09T14:00:00+00:00",
    )  # fmt: skip
    assert (first.business_days, first.within_deadline) == (1, True)
    assert (by_contact[2].business_days, by_contact[2].within_deadline) == (11, False)
    pending = by_contact[3]
    assert (pending.channel, pending.effective_at, pending.business_days) == (
        "email", None, 3,
    )  # fmt: skip
    assert by_contact[4].business_days == 0
    assert by_contact[6].seen_at == "2026-03-03T12:00:00+00:00"
    assert [r.contact_id for r in report.late] == [2]
    assert [r.contact_id for r in report.pending] == [3]
    assert report.to_json()["late"] == 1
    assert report.revocations == sorted(report.revocations, key=lambda r: r.seen_at)
    text = report.summary_text()
    assert "5 opt-outs; rule: honoured within 10 business days" in text
    assert "11 business days - LATE" in text


def test_sla_pending_becomes_late_after_ten_business_days(
    db: sqlite_utils.Database,
) -> None:
    settings.set_setting(db, "shop.timezone", "UTC")
    _contact(db, 1)
    _event(db, "opt_out", 1, "2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00+00:00")

    on_time = compliance.opt_out_sla_report(db, now=datetime(2026, 3, 16, tzinfo=UTC))
    late = compliance.opt_out_sla_report(db, now=datetime(2026, 3, 17, tzinfo=UTC))

    assert on_time.revocations[0].business_days == 10
    assert on_time.late == []
    assert late.revocations[0].business_days == 11
    assert len(late.late) == 1


def test_sla_counts_a_flagged_reply_from_when_it_arrived(
    db: sqlite_utils.Database,
) -> None:
    from desktop_app.services import history

    settings.set_setting(db, "shop.timezone", "UTC")
    _contact(db, 1)
    _event(db, "review", 1, "2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00+00:00",
           body="can you stop? too many")  # fmt: skip
    review_id = db.execute("SELECT id FROM events WHERE kind = 'review'").fetchone()[0]

    waiting = compliance.opt_out_sla_report(db, now=datetime(2026, 3, 17, tzinfo=UTC))

    (pending,) = waiting.revocations
    assert pending.source == "review (awaiting your decision)"
    assert pending.seen_at == "2026-03-02T09:00:00+00:00"
    assert (pending.effective_at, pending.business_days) == (None, 11)
    assert waiting.late == [pending] and waiting.pending == [pending]

    history.decide_review(db, review_id, opt_out=True, note="read on 17 March")
    decided = compliance.opt_out_sla_report(db, now=datetime(2026, 3, 17, tzinfo=UTC))

    (revocation,) = decided.revocations
    assert revocation.seen_at == "2026-03-02T09:00:00+00:00"
    assert revocation.effective_at is not None and not revocation.within_deadline


# --- consent show / set --------------------------------------------------------------


def test_consent_overview_and_change(db: sqlite_utils.Database) -> None:
    _contact(db, 1)
    row = compliance.change_consent(db, 1, "sms", "opted_in", "signed up at the till")

    overview = compliance.consent_overview(db, 1)

    assert overview["current"] == {"sms": "opted_in", "email": "unknown"}
    assert [r["id"] for r in overview["history"]] == [row["id"]]
    assert row["source"] == "manual"
    with pytest.raises(ValidationError, match="no contact number 9"):
        compliance.consent_overview(db, 9)


# --- unsubscribe tokens and SMS history --------------------------------------------------


def test_unsubscribe_secret_is_made_once_and_hidden(db: sqlite_utils.Database) -> None:
    secret = compliance.unsubscribe_secret(db)

    assert len(secret) >= 32
    assert compliance.unsubscribe_secret(db) == secret
    assert compliance.SECRET_KEY not in settings.get_settings(db)
    header = compliance.list_unsubscribe_header(db, 12, "shop@example.com")
    token = consent_rules.unsubscribe_token(12, secret)
    assert header == f"<mailto:shop@example.com?subject=unsubscribe%20{token}>"
    assert compliance.list_unsubscribe_header(db, 12, " ") is None


def test_last_sms_times(db: sqlite_utils.Database) -> None:
    for number in (1, 2, 3):
        _contact(db, number)
    db["templates"].insert({"id": 1, "name": "T", "created_at": "", "updated_at": ""})
    for campaign in (1, 2):
        db["campaigns"].insert(
            {"id": campaign, "name": "C", "template_id": 1, "created_at": ""}
        )
    rows = [
        (1, 1, "sms", "sent", "2026-03-01T10:00:00+00:00"),
        (2, 1, "sms", "delivered", "2026-03-05T10:00:00+00:00"),
        (1, 2, "sms", "failed", None),
        (1, 3, "email", "sent", "2026-03-05T10:00:00+00:00"),
    ]
    for index, (campaign, contact_id, channel, state, sent_at) in enumerate(rows):
        db["messages"].insert(
            {"campaign_id": campaign, "contact_id": contact_id, "channel": channel,
             "state": state, "sent_at": sent_at, "queued_at": "x",
             "to_address": str(index)}
        )  # fmt: skip

    times = compliance.last_sms_times(db)

    assert times == {1: datetime(2026, 3, 5, 10, tzinfo=UTC)}
    assert compliance.last_sms_times(db, [2, 3]) == {}


# --- JOIN at the counter -----------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_join_sign_png_has_a_qr_code(tmp_path: Path) -> None:
    out = compliance.make_join_sign("Corner Shop", "+15550100100", tmp_path / "s.png")

    assert out == tmp_path / "s.png"
    assert _png_size(out) == (1275, 1650)
    with Image.open(out) as image:
        grey = image.convert("L")
        # The QR code fills the middle of the sign: many dark and light modules.
        box = grey.crop((400, 450, 875, 925))
        pixels = list(box.tobytes())
    dark = sum(1 for p in pixels if p < 80)
    light = sum(1 for p in pixels if p > 180)
    assert dark > len(pixels) * 0.2 and light > len(pixels) * 0.2
    row = [grey.getpixel((x, 690)) for x in range(400, 875)]
    changes = sum(1 for a, b in itertools.pairwise(row) if (a < 128) != (b < 128))
    assert changes >= 10


def test_join_sign_pdf(tmp_path: Path) -> None:
    out = compliance.make_join_sign(
        "Corner Shop", "(555) 010-0100", tmp_path / "sign.PDF", keyword="vip"
    )
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 2000


def test_join_uri() -> None:
    assert compliance.join_uri("+15550100100") == "sms:+15550100100?body=JOIN"
    assert compliance.join_uri("+15550100100", "VIP 10") == (
        "sms:+15550100100?body=VIP%2010"
    )


@pytest.mark.parametrize(
    ("name", "number", "file", "keyword", "message"),
    [
        ("Shop", "+15550100100", "sign.jpg", "JOIN", "saved as .png or .pdf"),
        ("  ", "+15550100100", "sign.png", "JOIN", "the sign needs a name"),
        ("Shop", "call us", "sign.png", "JOIN", "is not a phone number"),
        ("Shop", "+15550100100", "sign.png", "JOIN NOW", "2-20 letters or digits"),
    ],
)
def test_join_sign_refuses_bad_input(tmp_path: Path, name: str, number: str,
                                     file: str, keyword: str, message: str) -> None:  # fmt: skip
    with pytest.raises(ValidationError, match=message):
        compliance.make_join_sign(name, number, tmp_path / file, keyword=keyword)
    assert not (tmp_path / file).exists()


def test_join_reply_creates_the_contact_with_consent(db: sqlite_utils.Database) -> None:
    result = compliance.handle_join_reply(
        db, "+15550100177", "Join!", "SM0001", "2026-03-07T15:00:00Z"
    )

    assert result is not None and result.created
    contact = db["contacts"].get(result.contact_id)
    assert (contact["phone"], contact["phone_kind"]) == ("+15550100177", "mobile")
    assert json.loads(contact["tags"]) == [compliance.JOIN_TAG]
    assert consent.current_consent(db, result.contact_id, "sms") == "opted_in"
    row = consent.consent_history(db, result.contact_id)[-1]
    assert row["source"] == "reply"
    assert row["evidence"] == (
        "SMS reply 'Join!' (message SM0001, received 2026-03-07T15:00:00Z)"
    )
    event = next(db.query("SELECT * FROM events WHERE kind = 'opt_in'"))
    assert event["body"] == "Join!"
    assert json.loads(event["data"])["sid"] == "SM0001"

    again = compliance.handle_join_reply(
        db, "+15550100177", "Join!", "SM0001", "2026-03-07T15:00:00Z"
    )
    assert again == compliance.JoinResult(result.contact_id, False, None)
    assert db["consent"].count == 1
    assert db["contacts"].count == 1


def test_join_reply_from_a_known_contact(db: sqlite_utils.Database) -> None:
    _contact(db, 5)
    consent.record_consent(db, 5, "sms", "opted_out", source="reply", evidence="STOP")

    result = compliance.handle_join_reply(
        db, "+15550100005", "START", "SM0002", "2026-03-07T15:00:00Z"
    )

    assert result == compliance.JoinResult(5, False, result.consent_id if result else 0)
    assert consent.current_consent(db, 5, "sms") == "opted_in"
    assert db["contacts"].count == 1


def test_other_replies_are_not_joins(db: sqlite_utils.Database) -> None:
    assert (
        compliance.handle_join_reply(
            db, "+15550100177", "When do you open?", "SM0003", "2026-03-07T15:00:00Z"
        )
        is None
    )
    assert (
        compliance.handle_join_reply(
            db, "+15550100177", "STOP", "SM0004", "2026-03-07T15:00:00Z"
        )
        is None
    )
    assert db["contacts"].count == 0 and db["consent"].count == 0


# --- the command line ----------------------------------------------------------------


def test_consent_and_sign_commands(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "c.csv"
    source.write_text(
        "First Name,Email,Phone,Accepts SMS Marketing\n"
        "Ana,ana@example.com,+15550100101,yes\n",
        encoding="utf-8",
    )

    def run(*args: str) -> tuple[int, str, str]:
        status = cli.run(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return status, out, err

    assert run("import", str(source), "--region", "US")[0] == 0
    assert run("settings", "set", "shop.name", "Corner Shop")[0] == 0
    assert run("consent", "set", "1", "sms", "opted_out", "--note", "asked")[0] == 0
    status, _, err = run("consent", "set", "1", "sms", "opted_in")
    assert status == 1 and "Say why the opt-out no longer applies" in err

    status, out, _ = run("consent", "show", "1", "--json")
    shown = json.loads(out)
    assert shown["current"] == {"sms": "opted_out", "email": "unknown"}
    assert [r["source"] for r in shown["history"]] == ["import", "manual"]

    ledger = tmp_path / "ledger.csv"
    status, out, _ = run("consent", "export", str(ledger))
    assert status == 0 and "Wrote 2 consent records" in out
    assert "'+15550100101" in ledger.read_text(encoding="utf-8-sig")

    status, out, _ = run("consent", "sla", "--json")
    assert json.loads(out)["count"] == 1
    status, out, _ = run("consent", "sla")
    assert out.startswith("1 opt-out; rule: honoured within 10 business days")

    sign = tmp_path / "join.png"
    status, out, _ = run("sign", "--out", str(sign), "--number", "+15550100100")
    assert status == 0 and _png_size(sign) == (1275, 1650)

    status, out, _ = run("template", "add", "Ship", "--sms", "Your order shipped",
                         "--subject", "s", "--body", "b", "--transactional")  # fmt: skip
    assert status == 0
    assert "- SMS text: no 'Reply STOP to opt out' wording." in out
