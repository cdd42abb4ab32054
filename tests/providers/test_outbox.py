"""The test outbox writes real files: text for SMS, RFC 5322 .eml for email."""

import email
import email.message
import email.policy
from pathlib import Path

import pytest

from desktop_app.core import qr
from desktop_app.core.templates import ShopInfo, render_pair
from desktop_app.errors import ProviderUnavailable, RecipientRejected
from desktop_app.providers.base import OutgoingEmail
from desktop_app.providers.outbox import (
    OutboxEmail,
    OutboxSms,
    build_email_message,
    outbox_senders,
)
from desktop_app.storage.templates import Template


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


def _parse(path: Path) -> email.message.EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def _qr_email(html: str) -> OutgoingEmail:
    return OutgoingEmail(
        to="ana@example.com",
        subject="Your coupon",
        text="Scan code: SAVE10\n",
        html=html,
        from_address="shop@example.com",
    )


def test_build_email_message_puts_images_in_a_related_part(tmp_path: Path) -> None:
    image = qr.qr_image("SAVE10")
    html = f'<p>Your coupon</p><p><img src="cid:{image.cid}" alt="{image.alt}"></p>'
    message = build_email_message(_qr_email(html), images=[image])
    path = tmp_path / "m.eml"
    path.write_bytes(message.as_bytes(policy=email.policy.SMTP))

    parsed = _parse(path)

    assert parsed.get_content_type() == "multipart/alternative"
    plain, related = parsed.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, png_part = related.iter_parts()
    assert html_part.get_content_type() == "text/html"
    assert png_part.get_content_type() == "image/png"
    assert png_part["Content-ID"] == f"<{image.cid}>"
    assert png_part.get_content_disposition() == "inline"
    assert png_part.get_content() == image.png
    assert f'src="cid:{image.cid}"' in html_part.get_content()
    assert parsed.get_body(("html",)) is not None
    assert "Scan code: SAVE10" in parsed.get_body(("plain",)).get_content()


def test_outbox_email_rebuilds_qr_images_from_rendered_html(tmp_path: Path) -> None:
    template = Template(
        id=1,
        name="coupon",
        sms_body="Your coupon is in your inbox",
        email_subject="Your coupon",
        email_body="Show this at the till:\n\n{qr:SAVE10}",
        transactional=False,
        created_at="",
        updated_at="",
    )
    pair = render_pair(template, {}, ShopInfo(name="Shop", address="1 Example St"))
    outgoing = OutgoingEmail(
        to="ana@example.com",
        subject=pair.email_subject,
        text=pair.email_text,
        html=pair.email_html,
    )

    receipt = OutboxEmail(tmp_path).send_email(outgoing)

    parsed = _parse(tmp_path / receipt.provider_id)
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert [p["Content-ID"] for p in images] == [f"<{pair.images[0].cid}>"]
    assert images[0].get_content() == pair.images[0].png
    html = parsed.get_body(("html",)).get_content()
    assert f"cid:{pair.images[0].cid}" in html
    assert "Scan code: SAVE10" in parsed.get_body(("plain",)).get_content()


def test_email_without_html_ignores_images(tmp_path: Path) -> None:
    message = build_email_message(_qr_email(""), images=[qr.qr_image("SAVE10")])
    assert message.get_content_type() == "text/plain"


def test_outbox_email_to_an_international_domain(tmp_path: Path) -> None:
    outbox = OutboxEmail(tmp_path)
    email = OutgoingEmail(
        to="hans@bücher.example",
        to_name="Hans Müller",
        subject="Your receipt",
        text="Thanks.",
        html="<p>Thanks.</p>",
    )

    receipt = outbox.send_email(email)

    saved = (tmp_path / receipt.provider_id).read_bytes()
    assert b"hans@xn--bcher-kva.example" in saved
