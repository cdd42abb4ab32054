"""SmtpEmail against local aiosmtpd servers: plain, STARTTLS, SMTPS, refusals, silence."""

import logging
import ssl
import time
from collections.abc import Iterator

import pytest

from desktop_app.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    RecipientRejected,
)
from desktop_app.providers.base import OutgoingEmail
from desktop_app.providers.smtp_email import SmtpEmail, build_message
from tests.helpers.smtp_server import PASSWORD, USER, SmtpServer

MAIL = OutgoingEmail(
    to="bob@example.com",
    to_name="Zoë Müller, Jr.",
    subject="Your receipt, Zoë",
    text="Hi Zoë,\nyour order 1042 is on its way.\n<not html>",
    html="<p>Hi Zoë,</p><p>your order <b>1042</b> is on its way.</p>",
    headers={
        "List-Unsubscribe": "<mailto:unsubscribe@example.com?subject=stop>, "
        "<https://shop.example.com/u/abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
)


def _provider(
    server: SmtpServer | tuple[str, int],
    security: str,
    *,
    password: str = PASSWORD,
    context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
) -> SmtpEmail:
    host, port = (
        (server.host, server.port) if isinstance(server, SmtpServer) else server
    )
    return SmtpEmail(
        host,
        port,
        security,
        USER,
        password,
        "shop@example.com",
        "Café Ünïcorn",
        timeout=timeout,
        ssl_context=context,
    )


@pytest.fixture
def plain(smtp_plain: SmtpServer) -> Iterator[SmtpEmail]:
    provider = _provider(smtp_plain, "none")
    yield provider
    provider.close()


def test_message_arrives_with_real_plain_and_html_parts(
    plain: SmtpEmail, smtp_plain: SmtpServer
) -> None:
    receipt = plain.send_email(MAIL)

    assert smtp_plain.capture.wait_for(1)
    got = smtp_plain.capture.received[0]
    message = got.message
    assert got.rcpt_tos == ["bob@example.com"]
    assert got.mail_from == "shop@example.com"
    assert got.auth == USER
    assert message.get_content_type() == "multipart/alternative"
    plain_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert plain_part is not None and html_part is not None
    assert plain_part.get_content() == MAIL.text.replace("\n", "\r\n") + "\r\n"
    assert "<b>1042</b>" in html_part.get_content()
    assert [p for p in message.walk() if p.get_filename()] == []
    assert receipt.provider_id == message["Message-ID"]
    assert receipt.provider == "smtp"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Plain ASCII.\nShort lines.", "7bit"),
        ("A long line " + "x" * 200 + " end.", "quoted-printable"),
        ("Grüße, = signs\tand tabs  \n.dot line", "quoted-printable"),
    ],
)
def test_text_survives_every_transfer_encoding(
    plain: SmtpEmail, smtp_plain: SmtpServer, text: str, encoding: str
) -> None:
    plain.send_email(
        OutgoingEmail(to="bob@example.com", subject="s", text=text, html="")
    )

    assert smtp_plain.capture.wait_for(1)
    message = smtp_plain.capture.received[0].message
    assert message.get_content_type() == "text/plain"
    assert message["Content-Transfer-Encoding"] == encoding
    assert message.get_content() == text.replace("\n", "\r\n") + "\r\n"


def test_display_names_are_encoded_and_quoted(
    plain: SmtpEmail, smtp_plain: SmtpServer
) -> None:
    plain.send_email(MAIL)

    assert smtp_plain.capture.wait_for(1)
    message = smtp_plain.capture.received[0].message
    to = message["To"]
    assert len(to.addresses) == 1
    assert to.addresses[0].display_name == "Zoë Müller, Jr."
    assert to.addresses[0].addr_spec == "bob@example.com"
    assert message["From"].addresses[0].display_name == "Café Ünïcorn"
    assert message["Subject"] == "Your receipt, Zoë"
    raw_headers = message.as_string(maxheaderlen=0).split("\n\n", 1)[0]
    assert "=?utf-8?" in raw_headers
    assert "Zoë" not in raw_headers


def test_list_unsubscribe_headers_arrive(
    plain: SmtpEmail, smtp_plain: SmtpServer
) -> None:
    plain.send_email(MAIL)

    assert smtp_plain.capture.wait_for(1)
    message = smtp_plain.capture.received[0].message
    assert "<https://shop.example.com/u/abc>" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_batch_uses_one_connection(plain: SmtpEmail, smtp_plain: SmtpServer) -> None:
    for number in range(5):
        plain.send_email(
            OutgoingEmail(
                to=f"customer{number}@example.com",
                subject="Hi",
                text="plain",
                html="<p>html</p>",
            )
        )
    plain.close()

    assert smtp_plain.capture.wait_for(5)
    assert smtp_plain.capture.connections == 1
    assert [r.rcpt_tos[0] for r in smtp_plain.capture.received] == [
        f"customer{n}@example.com" for n in range(5)
    ]


def test_reconnects_once_when_the_server_dropped_the_connection(
    plain: SmtpEmail, smtp_plain: SmtpServer
) -> None:
    plain.send_email(MAIL)
    smtp_plain.restart()

    plain.send_email(MAIL)

    assert smtp_plain.capture.wait_for(2)
    assert len(smtp_plain.capture.received) == 2


def test_starttls_is_verified_with_the_trusted_authority(
    smtp_starttls: SmtpServer, client_context: ssl.SSLContext
) -> None:
    provider = _provider(smtp_starttls, "starttls", context=client_context)
    try:
        provider.send_email(MAIL)
        answer = provider.check_connection()
    finally:
        provider.close()

    assert smtp_starttls.capture.wait_for(1)
    assert smtp_starttls.capture.received[0].tls is True
    assert "STARTTLS" in answer and USER in answer


def test_starttls_with_an_untrusted_certificate_is_refused(
    smtp_starttls: SmtpServer,
) -> None:
    provider = _provider(smtp_starttls, "starttls")
    try:
        with pytest.raises(ProviderError) as caught:
            provider.send_email(MAIL)
    finally:
        provider.close()

    assert caught.value.code == "certificate"
    assert "not trusted" in caught.value.message
    assert smtp_starttls.capture.received == []


def test_smtps_is_verified_with_the_trusted_authority(
    smtp_ssl: SmtpServer, client_context: ssl.SSLContext
) -> None:
    provider = _provider(smtp_ssl, "ssl", context=client_context)
    try:
        provider.send_email(MAIL)
    finally:
        provider.close()

    assert smtp_ssl.capture.wait_for(1)
    assert smtp_ssl.capture.received[0].tls is True


def test_ssl_against_a_starttls_port_names_the_fix(
    smtp_starttls: SmtpServer, client_context: ssl.SSLContext
) -> None:
    provider = _provider(smtp_starttls, "ssl", context=client_context)
    try:
        with pytest.raises(ProviderError) as caught:
            provider.check_connection()
    finally:
        provider.close()

    assert "expects STARTTLS" in caught.value.message
    assert "_ssl.c" not in caught.value.message


def test_starttls_against_an_smtps_port_names_the_fix(
    smtp_ssl: SmtpServer, client_context: ssl.SSLContext
) -> None:
    provider = _provider(smtp_ssl, "starttls", context=client_context, timeout=0.5)
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            provider.check_connection()
    finally:
        provider.close()

    assert "choose SSL" in caught.value.message


def test_no_encryption_where_login_needs_it_names_the_fix(
    smtp_starttls: SmtpServer,
) -> None:
    provider = _provider(smtp_starttls, "none")
    try:
        with pytest.raises(ProviderError) as caught:
            provider.check_connection()
    finally:
        provider.close()

    assert "Choose STARTTLS" in caught.value.message


def test_wrong_password_is_an_auth_error(smtp_plain: SmtpServer) -> None:
    provider = _provider(smtp_plain, "none", password="wrong-password")
    try:
        with pytest.raises(ProviderAuthError) as caught:
            provider.send_email(MAIL)
    finally:
        provider.close()

    assert caught.value.code == 535
    assert "wrong-password" not in caught.value.message
    assert smtp_plain.capture.received == []


def test_refused_recipient_is_rejected_and_the_batch_goes_on(
    smtp_refusing: SmtpServer,
) -> None:
    provider = _provider(smtp_refusing, "none")
    try:
        with pytest.raises(RecipientRejected) as caught:
            provider.send_email(
                OutgoingEmail(to="nobody@example.com", subject="s", text="t", html="")
            )
        provider.send_email(MAIL)
    finally:
        provider.close()

    assert caught.value.code == 550
    assert caught.value.maybe_sent is False  # type: ignore[attr-defined]
    assert smtp_refusing.capture.wait_for(1)
    assert smtp_refusing.capture.received[0].rcpt_tos == ["bob@example.com"]
    assert smtp_refusing.capture.connections == 1


def test_invalid_address_is_rejected_without_a_connection(
    plain: SmtpEmail, smtp_plain: SmtpServer
) -> None:
    with pytest.raises(RecipientRejected, match="not valid"):
        plain.send_email(
            OutgoingEmail(
                to="bob@example.com, eve@example.com", subject="s", text="t", html=""
            )
        )

    assert smtp_plain.capture.connections == 0


def test_silent_server_times_out(silent_server: tuple[str, int]) -> None:
    provider = _provider(silent_server, "none", timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            provider.send_email(MAIL)
    finally:
        provider.close()

    assert time.monotonic() - started < 2.0
    assert "did not answer within 0.5 seconds" in caught.value.message
    assert caught.value.retryable is True
    assert caught.value.maybe_sent is False  # type: ignore[attr-defined]


def test_server_silent_after_data_is_maybe_sent(smtp_stalling: SmtpServer) -> None:
    provider = _provider(smtp_stalling, "none", timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            provider.send_email(MAIL)
    finally:
        provider.close()

    assert time.monotonic() - started < 2.0
    assert caught.value.maybe_sent is True  # type: ignore[attr-defined]
    assert "may have been sent" in caught.value.message


def test_nothing_listening_is_unavailable() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = _provider(("127.0.0.1", port), "none", timeout=1)
    try:
        with pytest.raises(ProviderUnavailable, match="Nothing answers"):
            provider.check_connection()
    finally:
        provider.close()


def test_user_without_at_sign_is_sent_as_given(smtp_plain: SmtpServer) -> None:
    provider = SmtpEmail(
        smtp_plain.host, smtp_plain.port, "none", "shopuser", "pw", "shop@example.com"
    )
    try:
        with pytest.raises(ProviderAuthError):
            provider.check_connection()
    finally:
        provider.close()

    message = build_message(MAIL, from_address="shop@example.com")
    assert message["From"].addresses[0].addr_spec == "shop@example.com"


def test_password_never_reaches_the_log(
    smtp_plain: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_app")
    provider = _provider(smtp_plain, "none")
    try:
        provider.send_email(MAIL)
    finally:
        provider.close()

    assert caplog.records
    assert PASSWORD not in caplog.text
    assert "bob@example.com" not in caplog.text


def test_smtp_email_carries_qr_images_inline() -> None:
    from desktop_app.core import qr

    value = "https://example.com/coupon"
    image = qr.qr_image(value)
    mail = OutgoingEmail(
        to="ann@example.com",
        subject="Your coupon",
        text=f"Scan code: {value}",
        html=f"<p>{qr.img_tag(value)}</p>",
    )

    message = build_message(mail, from_address="shop@example.com")

    images = [p for p in message.walk() if p.get_content_maintype() == "image"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == f"<{image.cid}>"
    html = message.get_body(("html",)).get_content()
    assert f"cid:{image.cid}" in html


def test_smtp_email_writes_an_international_domain_in_ascii() -> None:
    mail = OutgoingEmail(
        to="hans@bücher.example", subject="Hi", text="Hi", html="<p>Hi</p>"
    )

    message = build_message(mail, from_address="shop@example.com")

    assert message["To"].addresses[0].domain == "xn--bcher-kva.example"
    assert b"xn--bcher-kva.example" in message.as_bytes()
