"""The command line end to end on the Shopify sample: import, template, send, history."""

import email
import email.policy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli, paths
from desktop_app.core.planning import PlannedMessage
from desktop_app.errors import ValidationError
from desktop_app.providers.outbox import outbox_senders
from desktop_app.services import sending
from desktop_app.storage import messages
from desktop_app.storage.database import open_database
from tests.conftest import SAMPLES

SHOPIFY = SAMPLES / "shopify_customers_export_2023_cl.csv"


def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> str:
    status = cli.run(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def _json(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> Any:
    return json.loads(_run(capsys, data_dir, *args, "--json"))


def test_import_template_send_history(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _run(capsys, data_dir, "settings", "set", "shop.name", "Corner Shop")
    _run(capsys, data_dir, "settings", "set", "shop.address", "1 Example St, Santiago")
    _run(capsys, data_dir, "settings", "set", "shop.email", "shop@example.com")

    report = _json(capsys, data_dir, "import", str(SHOPIFY), "--region", "CL")
    assert (report["imported"], report["merged"], report["rejected"]) == (26, 1, 0)

    out = _run(
        capsys,
        data_dir,
        "template",
        "add",
        "Receipt",
        "--sms",
        "Hi {first_name|there}, your receipt from {shop_name} is in your inbox.",
        "--subject",
        "Your receipt from {shop_name}",
        "--body",
        "Hello {first_name|there},\n\nThanks for shopping with us.",
    )
    assert "Receipt" in out
    assert [t["name"] for t in _json(capsys, data_dir, "template", "list")] == [
        "Receipt"
    ]

    summary = _json(capsys, data_dir, "send", "--template", "Receipt", "--all")
    contacts = _json(capsys, data_dir, "contacts")
    rows = _json(capsys, data_dir, "history")

    assert len(contacts) == 26
    assert len(rows) == 52
    per_contact = Counter((row["contact_id"], row["channel"]) for row in rows)
    assert set(per_contact.values()) == {1}
    assert {contact_id for contact_id, _ in per_contact} == {c["id"] for c in contacts}

    assert {row["state"] for row in rows} <= {"sent", "skipped"}
    for row in rows:
        assert row["campaign"] == summary["campaign"]
        assert row["template"] == "Receipt"
        assert (row["reason"] is None) == (row["state"] == "sent")
        assert row["channel"] in ("sms", "email")

    no_phone = {c["id"] for c in contacts if not c["phones"]}
    unusable = {c["id"] for c in contacts if c["phones"] and not c["phone"]}
    assert no_phone and unusable
    for row in rows:
        if row["channel"] == "sms" and row["contact_id"] in no_phone:
            assert (row["state"], row["reason"], row["to"]) == (
                "skipped", "no phone number", "",
            )  # fmt: skip
        if row["channel"] == "sms" and row["contact_id"] in unusable:
            assert (row["state"], row["to"]) == ("skipped", "")
            assert row["reason"].startswith("phone number could not be read")
    sent = [row for row in rows if row["state"] == "sent"]
    assert sent
    assert summary["sent"] == len(sent)
    assert summary["skipped"] == 52 - len(sent)
    assert summary["queued"] == 0
    for row in sent:
        if row["channel"] == "sms":
            assert row["to"].startswith("+") and row["segments"] >= 1
        else:
            assert "@" in row["to"] and row["segments"] == 0

    outbox = paths.outbox_dir(data_dir)
    files = {p.name for p in outbox.rglob("*") if p.is_file()}
    assert files == {row["provider_id"] for row in sent}
    sms_files = list((outbox / "sms").glob("*.txt"))
    assert len(sms_files) == sum(1 for row in sent if row["channel"] == "sms")

    _cannot_send_the_same_campaign_twice(data_dir, summary["campaign_id"], len(files))


def _cannot_send_the_same_campaign_twice(
    data_dir: Path, campaign_id: int, file_count: int
) -> None:
    db = open_database(paths.database_path(data_dir))
    try:
        again = sending.run_campaign(db, campaign_id, outbox_senders(data_dir))
        assert again.sent_now == 0
        rows = messages.campaign_messages(db, campaign_id)
        plan_rows = [
            PlannedMessage(
                contact_id=row.contact_id or 0, channel=row.channel, to=row.to, body=""
            )
            for row in rows
        ]
        with pytest.raises(ValidationError, match="never sent twice"):
            messages.add_messages(db, campaign_id, plan_rows)
    finally:
        db.close()
    files = [p for p in paths.outbox_dir(data_dir).rglob("*") if p.is_file()]
    assert len(files) == file_count


def test_send_with_an_unknown_template_fails_calmly(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    status = cli.run(
        ["--data-dir", str(data_dir), "send", "--template", "Nope", "--all"]
    )
    assert status == 1
    assert "no template named 'Nope'" in capsys.readouterr().err


def test_template_with_a_typo_is_refused(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    status = cli.run(
        ["--data-dir", str(data_dir), "template", "add", "T",
         "--sms", "Hi {frist_name}", "--subject", "s", "--body", "b"]
    )  # fmt: skip
    assert status == 1
    assert "SMS text: unknown merge field {frist_name}" in capsys.readouterr().err


def test_without_a_postal_address_emails_wait_until_it_is_set(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, data_dir, "settings", "set", "shop.email", "shop@example.com")
    _run(capsys, data_dir, "import", str(SHOPIFY), "--region", "CL")
    _run(
        capsys, data_dir, "template", "add", "Thanks", "--sms", "Hi {first_name|there}",
        "--subject", "Thanks", "--body", "Thank you for your order.",
    )  # fmt: skip
    email_dir = paths.outbox_dir(data_dir) / "email"
    sms_dir = paths.outbox_dir(data_dir) / "sms"

    first = _json(capsys, data_dir, "send", "--template", "Thanks", "--all")
    waiting = first["held_address"]

    assert waiting > 0 and first["held"] == waiting
    assert first["sent"] == len(list(sms_dir.glob("*.txt"))) > 0
    assert not email_dir.exists()
    history = _json(capsys, data_dir, "history")
    reasons = Counter(r["reason"] for r in history if r["channel"] == "email")
    assert reasons["shop postal address not set in Settings"] == waiting

    assert f"Waiting for the shop's postal address: {waiting} emails;" in _run(
        capsys, data_dir, "resume"
    )
    out = _run(
        capsys, data_dir, "settings", "set", "shop.address", "1 Example St, Santiago"
    )
    assert f"{waiting} emails that waited for the shop's postal address" in out
    (resumed,) = _json(capsys, data_dir, "resume")

    assert resumed["sent_now"] == waiting and resumed["held_address"] == 0
    mails = sorted(email_dir.glob("*.eml"))
    assert len(mails) == waiting
    assert len(list(sms_dir.glob("*.txt"))) == first["sent"]  # no SMS twice
    mail = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert "1 Example St, Santiago" in mail.get_body(("plain",)).get_content()
    assert (
        str(mail["List-Unsubscribe"])
        .strip()
        .startswith("<mailto:shop@example.com?subject=unsubscribe%20")
    )
    assert _json(capsys, data_dir, "resume") == []


def test_send_twice_to_the_same_customers_needs_again(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, data_dir, "settings", "set", "shop.address", "1 Example St, Santiago")
    _run(capsys, data_dir, "import", str(SHOPIFY))
    _run(
        capsys, data_dir, "template", "add", "Thanks", "--sms", "Hi {first_name|there}",
        "--subject", "Thanks", "--body", "Thank you for your order.",
    )  # fmt: skip
    first = _json(capsys, data_dir, "send", "--template", "Thanks", "--all")

    status = cli.run(
        ["--data-dir", str(data_dir), "send", "--template", "Thanks", "--all"]
    )
    err = capsys.readouterr().err

    assert status == 1
    assert "already went to the same customers" in err and "--again" in err
    history = _json(capsys, data_dir, "history")
    assert {row["campaign"] for row in history} == {first["campaign"]}
    again = _json(capsys, data_dir, "send", "--template", "Thanks", "--all", "--again")
    assert again["campaign"] != first["campaign"] and again["sent"] == first["sent"]


def test_settings_refuse_a_bad_shop_email(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.run(
        ["--data-dir", str(data_dir), "settings", "set", "shop.email", "x"]
    )

    assert status == 1
    assert "not an email address" in capsys.readouterr().err


def test_ab_send_and_report_show_both_variants(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _run(capsys, data_dir, "settings", "set", "shop.address", "1 Example St, Santiago")
    _run(capsys, data_dir, "import", str(SHOPIFY), "--region", "CL")
    _run(
        capsys, data_dir, "template", "add", "Sale", "--sms", "Hi {first_name|there}, "
        "our sale starts today.", "--sms-b", "{first_name|Hello}, 20% off from today!",
        "--subject", "Sale", "--body", "Our sale starts today.",
    )  # fmt: skip
    saved = _json(capsys, data_dir, "template", "list")
    assert saved[0]["sms_body_b"] == "{first_name|Hello}, 20% off from today!"

    summary = _json(capsys, data_dir, "send", "--template", "Sale", "--all", "--ab")
    report = _json(capsys, data_dir, "report")

    assert summary["sent"] > 0
    campaign = next(
        row
        for row in report["campaigns"]
        if row["campaign_id"] == summary["campaign_id"]
    )
    variants = {row["variant"]: row for row in campaign["variants"]}
    assert set(variants) == {"A", "B"}
    assert sum(row["sent"] for row in variants.values()) == summary["sent"]


def test_ab_send_needs_a_variant_b(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _run(capsys, data_dir, "import", str(SHOPIFY))
    _run(
        capsys, data_dir, "template", "add", "Thanks", "--sms", "Hi {first_name|there}",
        "--subject", "Thanks", "--body", "Thank you for your order.",
    )  # fmt: skip

    status = cli.run(
        ["--data-dir", str(data_dir), "send", "--template", "Thanks", "--all", "--ab"]
    )

    assert status == 1
    assert "no SMS variant B" in capsys.readouterr().err
