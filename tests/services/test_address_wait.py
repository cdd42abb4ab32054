"""Until the shop's postal address is set, emails wait; then they go, with it.

Issue #6: every email ends with the shop's postal address, which Duet adds from
Settings; until it is set, emails wait and the plan says why. The SMS of the pair
follows its own rules. Real SQLite, the real outbox and a local SMTP server.
"""

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlite_utils

from desktop_app.core import planning
from desktop_app.core.templates import ShopInfo, render_pair, with_new_footer
from desktop_app.providers.base import Senders
from desktop_app.providers.outbox import OutboxEmail
from desktop_app.providers.smtp_email import SmtpEmail
from desktop_app.services import sending
from desktop_app.storage import consent, messages, settings, templates
from tests.helpers.smtp_server import PASSWORD, USER, smtp_plain_fixture  # noqa: F401
from tests.services.test_sending import RecordingSms, add_contact

ADDRESS = "12 Example Road\nSpringfield, IL 62701"
# Noon in Chicago, the shop's zone: marketing SMS are never held for quiet hours, so
# the tests pass at any hour of the real day.
NOON = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def at_noon() -> datetime:
    return NOON


def _shop_without_address(db: sqlite_utils.Database, contacts: int = 2) -> None:
    settings.set_setting(db, "shop.name", "Corner Shop")
    settings.set_setting(db, "shop.email", "shop@example.com")
    settings.set_setting(db, "shop.timezone", "America/Chicago")
    templates.save_template(
        db,
        name="News",
        sms_body="Hi {first_name|there}, new stock is in: details in your inbox. "
        "Reply STOP to opt out.",
        email_subject="New stock",
        email_body="Hello {first_name},\n\nSee https://shop.example.com/new today.",
        transactional=False,
    )
    for number in range(1, contacts + 1):
        add_contact(db, number)


def _send_news(db: sqlite_utils.Database, senders: Senders) -> sending.SendSummary:
    plan = sending.plan_send(
        db, template_name="News", everyone=True, test_mode=True, now=NOON
    )
    campaign_id = sending.queue_plan(db, plan, provider_sms=senders.sms.name)
    return sending.run_campaign(db, campaign_id, senders, now=at_noon)


def _eml(data_dir: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted((data_dir / "outbox" / "email").glob("*.eml"))
    ]


def test_plan_says_why_emails_wait(db: sqlite_utils.Database) -> None:
    _shop_without_address(db)

    plan = sending.plan_send(db, template_name="News", everyone=True, test_mode=True)

    emails = [m for m in plan.messages if m.channel == "email"]
    assert {(m.action, m.reason) for m in emails} == {("hold", planning.NO_ADDRESS)}
    assert plan.held["address"] == 2 and plan.to_send == {"sms": 2, "email": 0}
    assert "Waiting for the shop's postal address: 2 emails." in plan.summary_text()
    assert "postal address" in plan.summary_text()
    assert plan.to_json()["held"]["address"] == 2


def test_sms_go_and_emails_wait_until_the_address_is_set(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    _shop_without_address(db)
    sms = RecordingSms()
    senders = Senders(sms=sms, email=OutboxEmail(data_dir / "outbox" / "email"))

    summary = _send_news(db, senders)

    assert len(sms.sent) == 2 and _eml(data_dir) == []
    assert (summary.held, summary.held_address, summary.queued) == (2, 2, 0)
    assert "Waiting for the shop's postal address: 2 emails;" in summary.summary_text()
    assert messages.get_campaign(db, summary.campaign_id).state == "waiting"
    assert sending.release_address_holds(db) == 0  # still no address
    assert sending.resume_all(db, senders, now=at_noon) == []

    settings.set_setting(db, "shop.address", ADDRESS)
    assert sending.release_address_holds(db) == 2
    assert sending.release_address_holds(db) == 0  # released once
    resumed = sending.resume_all(db, senders, now=at_noon)

    assert [(r.sent, r.held, r.held_address) for r in resumed] == [(4, 0, 0)]
    assert len(sms.sent) == 2  # no SMS twice
    mails = _eml(data_dir)
    assert sorted(str(m["To"]) for m in mails) == [
        "test1@example.com",
        "test2@example.com",
    ]
    for mail in mails:
        text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = mail.get_body(("html",)).get_content()
        assert "12 Example Road\nSpringfield, IL 62701\n" in text
        assert "12 Example Road<br>" in html
        assert "See https://shop.example.com/new" in text  # the planned body stays
        unsubscribe = str(mail["List-Unsubscribe"]).strip()
        assert unsubscribe.startswith("<mailto:shop@example.com?subject=unsubscribe")
    assert messages.get_campaign(db, summary.campaign_id).state == "finished"


def test_released_email_keeps_the_body_the_plan_showed(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    _shop_without_address(db, contacts=1)
    summary = _send_news(
        db,
        Senders(sms=RecordingSms(), email=OutboxEmail(data_dir / "outbox" / "email")),
    )
    held = next(
        m for m in messages.campaign_messages(db, summary.campaign_id)
        if m.channel == "email"
    )  # fmt: skip
    templates.save_template(
        db,
        name="News",
        sms_body="Changed after queueing",
        email_subject="Changed",
        email_body="Changed after queueing.",
    )

    settings.set_setting(db, "shop.address", ADDRESS)
    sending.release_address_holds(db)

    released = next(
        m for m in messages.campaign_messages(db, summary.campaign_id)
        if m.channel == "email"
    )  # fmt: skip
    assert released.reason is None and released.subject == held.subject
    before = held.body.rpartition("\n-- \n")[0]
    assert released.body.rpartition("\n-- \n")[0] == before
    assert "Springfield, IL 62701" in released.body
    assert "Springfield, IL 62701" not in held.body


def test_emails_carry_the_address_settings_hold_when_they_go(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    _shop_without_address(db)
    senders = Senders(
        sms=RecordingSms(), email=OutboxEmail(data_dir / "outbox" / "email")
    )
    summary = _send_news(db, senders)
    settings.set_setting(db, "shop.address", "1 First St (typo)")
    assert sending.release_address_holds(db) == 2

    settings.set_setting(db, "shop.address", "99 Second Ave\nSpringfield, IL 62702")
    sending.resume_all(db, senders, now=at_noon)

    mails = _eml(data_dir)
    assert len(mails) == 2
    for mail in mails:
        text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert "99 Second Ave\nSpringfield, IL 62702" in text
        assert (
            "typo" not in text and "typo" not in mail.get_body(("html",)).get_content()
        )
    stored = [
        m for m in messages.campaign_messages(db, summary.campaign_id)
        if m.channel == "email"
    ]  # fmt: skip
    assert all("99 Second Ave" in m.body and "typo" not in m.body for m in stored)


def test_clearing_the_address_again_makes_released_emails_wait_again(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    _shop_without_address(db, contacts=1)
    senders = Senders(
        sms=RecordingSms(), email=OutboxEmail(data_dir / "outbox" / "email")
    )
    summary = _send_news(db, senders)
    settings.set_setting(db, "shop.address", "OLD 1 First St")
    assert sending.release_address_holds(db) == 1

    settings.set_setting(db, "shop.address", "")
    settings.set_setting(db, "shop.email", "new-owner@example.com")
    (resumed,) = sending.resume_all(db, senders, now=at_noon)

    assert _eml(data_dir) == []
    assert resumed.held_address == 1
    settings.set_setting(db, "shop.address", ADDRESS)
    sending.resume_all(db, senders, now=at_noon)
    (mail,) = _eml(data_dir)
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert ADDRESS in text and "OLD 1 First St" not in text
    assert "new-owner@example.com" in text and "shop@example.com" not in text
    assert (
        str(mail["List-Unsubscribe"])
        .strip()
        .startswith("<mailto:new-owner@example.com?")
    )
    assert messages.get_campaign(db, summary.campaign_id).state == "finished"


def test_an_unsubscribe_while_waiting_is_obeyed(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    _shop_without_address(db)
    senders = Senders(
        sms=RecordingSms(), email=OutboxEmail(data_dir / "outbox" / "email")
    )
    summary = _send_news(db, senders)
    consent.record_consent(
        db, 1, "email", "opted_out", source="reply", evidence="UNSUBSCRIBE"
    )

    settings.set_setting(db, "shop.address", ADDRESS)
    sending.resume_all(db, senders, now=at_noon)

    assert [str(m["To"]) for m in _eml(data_dir)] == ["test2@example.com"]
    rows = {
        (m.contact_id, m.channel): m
        for m in messages.campaign_messages(db, summary.campaign_id)
    }
    assert rows[1, "email"].state == "skipped"
    assert "unsubscribed" in (rows[1, "email"].reason or "")


def test_transactional_emails_never_wait(db: sqlite_utils.Database) -> None:
    _shop_without_address(db)
    templates.save_template(
        db,
        name="Receipt",
        sms_body="Hi {first_name|there}, your receipt is in your inbox.",
        email_subject="Your receipt",
        email_body="Thanks for your order.",
        transactional=True,
    )

    plan = sending.plan_send(
        db, template_name="Receipt", everyone=True, test_mode=False
    )

    assert plan.held["address"] == 0
    assert plan.to_send["email"] == 2


def test_without_a_shop_email_unsubscribe_goes_to_the_sending_mailbox(
    db: sqlite_utils.Database, smtp_plain
) -> None:
    _shop_without_address(db, contacts=1)
    settings.set_setting(db, "shop.email", "")
    settings.set_setting(db, "shop.address", ADDRESS)
    smtp = SmtpEmail(
        "127.0.0.1", smtp_plain.port, "none", USER, PASSWORD, from_address=USER
    )
    try:
        summary = _send_news(db, Senders(sms=RecordingSms(), email=smtp))
    finally:
        smtp.close()

    assert summary.sent == 2
    (received,) = smtp_plain.capture.received
    header = str(received.message["List-Unsubscribe"]).strip()
    assert header.startswith(f"<mailto:{USER}?subject=unsubscribe%20")
    assert len(header) > len(f"<mailto:{USER}?subject=unsubscribe%20>") + 10


SHOPS = [
    ShopInfo(name="Corner Shop", address=ADDRESS, email="shop@example.com"),
    ShopInfo(name="", address="1 Rue & Co <Est>", email=""),
    ShopInfo(
        name="Ana's", address="  Line one  \n\n  Line two ", email="a@example.com"
    ),
]


@pytest.mark.parametrize("shop", SHOPS)
@pytest.mark.parametrize(
    "body",
    [
        "Plain text.",
        "Signature look-alike:\n\n-- \nnot the footer <hr>",
        "**Bold** and [a link](https://shop.example.com/?a=1&b=2)\n\n- one\n- two",
    ],
)
def test_new_footer_matches_a_fresh_render(shop: ShopInfo, body: str) -> None:
    template = SimpleNamespace(sms_body="Hi", email_subject="S", email_body=body)
    without = render_pair(template, {}, ShopInfo(name=shop.name, email=shop.email))
    fresh = render_pair(template, {}, shop)

    assert with_new_footer(without.email_text, without.email_html, shop) == (
        fresh.email_text,
        fresh.email_html,
    )


def test_new_footer_leaves_an_empty_email_alone() -> None:
    assert with_new_footer("", "", SHOPS[0]) == ("", "")


def test_outbox_emails_carry_a_tokened_unsubscribe_without_a_shop_email(
    db: sqlite_utils.Database, data_dir: Path
) -> None:
    _shop_without_address(db, contacts=1)
    settings.set_setting(db, "shop.email", "")
    settings.set_setting(db, "shop.address", ADDRESS)

    _send_news(
        db,
        Senders(sms=RecordingSms(), email=OutboxEmail(data_dir / "outbox" / "email")),
    )

    (mail,) = _eml(data_dir)
    header = str(mail["List-Unsubscribe"]).strip()
    assert header.startswith("<mailto:outbox@duet.invalid?subject=unsubscribe%20")
