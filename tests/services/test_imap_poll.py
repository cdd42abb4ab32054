"""The IMAP poller against a local IMAP server: unsubscribes, bounces, the rest."""

import json
import socket
import ssl
from collections.abc import Iterator

import pytest
import sqlite_utils
import trustme

from desktop_app.core import consent_rules
from desktop_app.errors import ProviderAuthError, ProviderUnavailable
from desktop_app.services import compliance
from desktop_app.services.imap_poll import poll_mailbox
from desktop_app.storage import consent
from desktop_app.storage.database import utc_now
from tests.helpers.imap_server import ImapServer

USER = "shop@example.com"
PASSWORD = "test-password"
DATE = "Sat, 07 Mar 2026 15:00:00 +0000"


def _mail(sender: str, to: str, subject: str, message_id: str,
          body: str = "Please take me off your list.") -> bytes:  # fmt: skip
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: {DATE}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def _bounce(recipient: str, message_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: shop@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{message_id}>\r\nDate: {DATE}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "Your message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown\r\n\r\n"
        "Final-Recipient: rfc822; other@example.net\r\n"
        "Action: delayed\r\nStatus: 4.4.1\r\n\r\n"
        "--B\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: shop@example.com\r\nTo: {recipient}\r\nSubject: Your receipt\r\n\r\n"
        "Hello\r\n--B--\r\n"
    ).encode()


@pytest.fixture
def shop(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Five contacts and one email sent to the fourth."""
    for number in range(1, 6):
        db["contacts"].insert(
            {"id": number, "first_name": f"Test{number}",
             "email": f"Test{number}@example.com",
             "email_key": f"test{number}@example.com",
             "created_at": utc_now(), "updated_at": utc_now()}
        )  # fmt: skip
    db["templates"].insert({"id": 1, "name": "T", "created_at": "", "updated_at": ""})
    db["campaigns"].insert({"id": 1, "name": "C", "template_id": 1, "created_at": ""})
    db["messages"].insert(
        {"id": 40, "campaign_id": 1, "contact_id": 4, "channel": "email",
         "to_address": "Test4@example.com", "state": "sent", "queued_at": utc_now()}
    )  # fmt: skip
    yield db


def _token(db: sqlite_utils.Database, contact_id: int) -> str:
    return consent_rules.unsubscribe_token(
        contact_id, compliance.unsubscribe_secret(db)
    )


def test_poll_records_unsubscribes_and_bounces(shop: sqlite_utils.Database) -> None:
    mails = [
        _mail("test1@example.com", USER, f"unsubscribe {_token(shop, 1)}", "m1@x"),
        _mail("TEST2@example.com", USER, "Unsubscribe", "m2@x"),
        _mail(
            "someone@example.net",
            f"shop+{_token(shop, 3)}@example.com",
            "Please remove me",
            "m3@x",
        ),
        _bounce("test4@example.com", "dsn1@mx"),
        _mail(
            "test5@example.com",
            USER,
            "Question about my order",
            "m5@x",
            body="Do you unsubscribe people who ask?",
        ),
        _mail("stranger@example.org", USER, "unsubscribe", "m6@x"),
    ]
    with ImapServer(user=USER, password=PASSWORD, messages=mails) as server:
        report = poll_mailbox(shop, "127.0.0.1", server.port, USER, PASSWORD,
                              security="none", timeout=5)  # fmt: skip
        seen = server.seen()
        commands = list(server.commands)

    assert report.checked == 6
    assert report.unsubscribed == [1, 2, 3]
    assert report.bounced == [4]
    # The question mentions 'unsubscribe': flagged for the owner, left unread.
    assert (report.unmatched, report.review, report.other) == (1, [5], 0)
    assert seen == [True, True, True, True, False, True]
    assert "STORE" in commands and commands[-1] == "LOGOUT"

    current = consent.consent_map(shop, None, "email")
    assert current == {1: "opted_out", 2: "opted_out", 3: "opted_out"}
    first = consent.consent_history(shop, 1)[-1]
    assert first["source"] == "email"
    assert first["evidence"].startswith(
        "unsubscribe mail from test1@example.com received 2026-03-07T15:00:00+00:00"
    )
    assert "Message-ID <m1@x>" in first["evidence"]
    assert "found by its unsubscribe link" in first["evidence"]
    assert (
        "found by the sender's address"
        in consent.consent_history(shop, 2)[-1]["evidence"]
    )

    bounced = shop["contacts"].get(4)
    assert json.loads(bounced["warnings"]) == [
        "Email test4@example.com bounced on 2026-03-07 (5.1.1 smtp; 550 5.1.1 "
        "<test4@example.com>: User unknown)."
    ]
    from desktop_app.storage import messages as message_store

    assert message_store.bounced_addresses(shop) == {
        "test4@example.com": "bounced on 2026-03-07 (5.1.1 smtp; 550 5.1.1 "
        "<test4@example.com>: User unknown)"
    }
    events = list(shop.query("SELECT * FROM events ORDER BY id"))
    assert [(e["kind"], e["contact_id"]) for e in events] == [
        ("unsubscribe", 1), ("unsubscribe", 2), ("unsubscribe", 3), ("bounce", 4),
        ("review", 5), ("unsubscribe", None),
    ]  # fmt: skip
    # The stranger's request is kept for the address, without a contact.
    assert list(consent.deleted_opt_outs(shop)["email"]) == ["stranger@example.org"]
    assert events[3]["message_id"] == 40
    assert json.loads(events[0]["data"])["received_at"] == "2026-03-07T15:00:00+00:00"


def test_second_poll_records_nothing_twice(shop: sqlite_utils.Database) -> None:
    first = [_mail("test2@example.com", USER, "unsubscribe", "m2@x"),
             _bounce("test4@example.com", "dsn1@mx")]  # fmt: skip
    with ImapServer(user=USER, password=PASSWORD, messages=first) as server:
        poll_mailbox(shop, "127.0.0.1", server.port, USER, PASSWORD,
                     security="none", timeout=5)  # fmt: skip
        server.add(first[0])
        server.add(first[1])
        again = poll_mailbox(shop, "127.0.0.1", server.port, USER, PASSWORD,
                             security="none", timeout=5)  # fmt: skip
        seen = server.seen()

    assert again.checked == 2
    assert (again.unsubscribed, again.bounced) == ([], [])
    assert again.already_unsubscribed == 1
    assert seen == [True, True, True, True]
    assert shop["events"].count == 2
    assert len(consent.consent_history(shop, 2)) == 1
    assert len(json.loads(shop["contacts"].get(4)["warnings"])) == 1


def test_sla_report_counts_a_polled_unsubscribe(shop: sqlite_utils.Database) -> None:
    mails = [_mail("test2@example.com", USER, "unsubscribe", "m2@x")]
    with ImapServer(user=USER, password=PASSWORD, messages=mails) as server:
        poll_mailbox(shop, "127.0.0.1", server.port, USER, PASSWORD,
                     security="none", timeout=5)  # fmt: skip

    report = compliance.opt_out_sla_report(shop)

    [revocation] = report.revocations
    assert (revocation.contact_id, revocation.channel, revocation.source) == (
        2, "email", "email",
    )  # fmt: skip
    assert revocation.seen_at == "2026-03-07T15:00:00+00:00"
    assert revocation.effective_at is not None


def test_wrong_password_is_an_auth_error(shop: sqlite_utils.Database) -> None:
    with ImapServer(user=USER, password=PASSWORD) as server:
        with pytest.raises(ProviderAuthError, match="refused the user name"):
            poll_mailbox(shop, "127.0.0.1", server.port, USER, "wrong",
                         security="none", timeout=5)  # fmt: skip
        assert server.logins == 0


def test_unreachable_server(shop: sqlite_utils.Database) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderUnavailable, match="cannot be reached"):
        poll_mailbox(shop, "127.0.0.1", port, USER, PASSWORD, security="none",
                     timeout=2)  # fmt: skip


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a test CA's certificate for 127.0.0.1, and a client
    context that trusts only that CA."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_poll_over_tls(shop: sqlite_utils.Database,
                       tls: tuple[ssl.SSLContext, ssl.SSLContext],
                       security: str) -> None:  # fmt: skip
    server_context, client_context = tls
    options = (
        {"implicit_tls": server_context}
        if security == "ssl"
        else {"starttls": server_context}
    )
    mails = [_mail("test2@example.com", USER, "unsubscribe", "m2@x")]
    with ImapServer(user=USER, password=PASSWORD, messages=mails, **options) as server:
        report = poll_mailbox(
            shop, "127.0.0.1", server.port, USER, PASSWORD,
            security=security,  # type: ignore[arg-type]
            ssl_context=client_context, timeout=5,
        )  # fmt: skip
        commands = list(server.commands)

    assert report.unsubscribed == [2]
    assert ("STARTTLS" in commands) == (security == "starttls")


def test_tls_with_an_untrusted_certificate_fails(
    shop: sqlite_utils.Database, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_context, _ = tls
    server = ImapServer(user=USER, password=PASSWORD, implicit_tls=server_context)
    with server as srv, pytest.raises(ProviderUnavailable, match="cannot be reached"):
        poll_mailbox(shop, "127.0.0.1", srv.port, USER, PASSWORD,
                         security="ssl", ssl_context=ssl.create_default_context(),
                         timeout=5)  # fmt: skip
