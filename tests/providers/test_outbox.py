"""The test outbox writes real files: text for SMS, RFC 5322 .eml for email."""

import email
import email.policy
from pathlib import Path

import pytest

from desktop_app.errors import ProviderUnavailable, RecipientRejected
from desktop_app.providers.base import OutgoingEmail
from desktop_app.providers.outbox import OutboxEmail, OutboxSms, outbox_senders


def test_sms_becomes_a_text_file(data_dir: Path) -> None:
    senders = outbox_senders(data_dir)

    receipt = senders.sms.send_sms("+15550100101", "Hi Zoë, your receipt is in.")

    path = data_dir / "outbox" / "sms" / receipt.provider_id
    assert receipt.provider == "outbox"
    assert path.suffix == ".txt"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("To: +15550100101\n")
    assert text.endswith("\n\nHi Zoë, your receipt is in.\n")


def test_each_sms_gets_its_own_file(tmp_path: Path) -> None:
    sender = OutboxSms(tmp_path)
    names = {sender.send_sms("+15550100101", "same").provider_id for _ in range(20)}
    assert len(names) == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_sms_to_a_non_number_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RecipientRejected):
        OutboxSms(tmp_path).send_sms("555-0101", "x")
    assert not tmp_path.joinpath("x").exists()
    assert list(tmp_path.iterdir()) == []


def test_unwritable_outbox_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ProviderUnavailable, match="cannot be written"):
        OutboxSms(blocker / "sms").send_sms("+15550100101", "x")


def test_email_parses_back_with_both_parts_and_headers(tmp_path: Path) -> None:
    sender = OutboxEmail(tmp_path)
    outgoing = OutgoingEmail(
        to="ana@example.com",
        to_name="Ana Pérez",
        subject="Your receipt, Ana – thanks",
        text="Hello Ana,\n\nThanks for your order.\n",
        html="<p>Hello Ana,</p><p>Thanks for your order.</p>",
        from_address="shop@example.com",
        from_name="Corner Shop",
        headers={"List-Unsubscribe": "<mailto:shop@example.com?subject=unsubscribe>"},
    )

    receipt = sender.send_email(outgoing)

    path = tmp_path / receipt.provider_id
    assert path.suffix == ".eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "ana@example.com"
    assert message["To"].addresses[0].display_name == "Ana Pérez"
    assert message["From"].addresses[0].addr_spec == "shop@example.com"
    assert message["Subject"] == "Your receipt, Ana – thanks"
    assert message["Message-ID"].endswith("@example.com>")
    assert message["Date"]
    assert (
        message["List-Unsubscribe"] == "<mailto:shop@example.com?subject=unsubscribe>"
    )
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    # The file keeps RFC 5322 CRLF line ends; the parser hands them back as they are.
    assert plain.get_content().replace("\r\n", "\n") == (
        "Hello Ana,\n\nThanks for your order.\n"
    )
    assert path.read_bytes().count(b"\r\n") > 10
    assert "<p>Thanks for your order.</p>" in html.get_content()
    assert [
        p for p in message.walk() if p.get_content_disposition() == "attachment"
    ] == []


def test_email_without_headers_still_has_list_unsubscribe(tmp_path: Path) -> None:
    receipt = OutboxEmail(tmp_path).send_email(
        OutgoingEmail(to="bo@example.com", subject="s", text="t", html="<p>t</p>")
    )
    message = email.message_from_bytes(
        (tmp_path / receipt.provider_id).read_bytes(), policy=email.policy.default
    )
    assert message["List-Unsubscribe"].startswith("<mailto:")


def test_email_to_a_non_address_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RecipientRejected):
        OutboxEmail(tmp_path).send_email(
            OutgoingEmail(to="nobody", subject="s", text="t", html="")
        )
