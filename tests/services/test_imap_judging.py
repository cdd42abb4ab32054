"""How the IMAP poller judges a mail that says the opposite of an opt-out.

A mail whose text or subject says "I did not unsubscribe" is never recorded as an
opt-out, even when another part of it reads like one; it goes to the owner instead.
The mails go through a local IMAP server on 127.0.0.1.
"""

import sqlite_utils

from desktop_app.services import compliance, replies_view
from desktop_app.services import contacts as contact_service
from desktop_app.services.imap_poll import ImapReport, poll_mailbox
from desktop_app.storage import consent
from tests.helpers.imap_server import ImapServer
from tests.services import test_imap_poll
from tests.services.test_imap_poll import DATE, PASSWORD, USER

shop = test_imap_poll.shop  # the same five contacts and one sent email


def _reply(sender: str, subject: str, body: str, message_id: str) -> bytes:
    return (
        f"From: Test Person <{sender}>\r\nTo: {USER}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: {DATE}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.replace("\n", "\r\n")
        + "\r\n"
    ).encode()


def _poll(db: sqlite_utils.Database, mails: list[bytes]) -> ImapReport:
    with ImapServer(user=USER, password=PASSWORD, messages=mails) as server:
        return poll_mailbox(db, "127.0.0.1", server.port, USER, PASSWORD,
                            security="none", timeout=5)  # fmt: skip


def test_a_text_that_denies_unsubscribing_is_flagged_not_an_opt_out(
    shop: sqlite_utils.Database,
) -> None:
    body = "I did not unsubscribe, why no more emails? Don't stop sending!"

    report = _poll(shop, [_reply("test2@example.com", "Re: Sale", body, "j1@x")])

    assert (report.unsubscribed, report.review) == ([], [2])
    assert consent.current_consent(shop, 2, "email") == "unknown"
    [flagged] = compliance.reviews(shop)
    assert "no opt-out was recorded" in flagged.evidence


def test_a_stop_subject_over_a_text_saying_the_opposite_is_flagged(
    shop: sqlite_utils.Database,
) -> None:
    body = "I did not unsubscribe, keep them coming please."

    report = _poll(shop, [_reply("test3@example.com", "Unsubscribe?", body, "j2@x")])

    assert (report.unsubscribed, report.review) == ([], [3])
    assert consent.current_consent(shop, 3, "email") == "unknown"
    [flagged] = compliance.reviews(shop)
    assert "did not unsubscribe" in flagged.evidence


def test_a_stop_subject_over_a_plain_text_still_opts_out(
    shop: sqlite_utils.Database,
) -> None:
    body = "Thanks for everything, but I get too much mail."

    report = _poll(shop, [_reply("test3@example.com", "Unsubscribe", body, "j3@x")])

    assert (report.unsubscribed, report.review) == ([3], [])
    assert consent.current_consent(shop, 3, "email") == "opted_out"


def test_a_mail_asking_to_stop_texts_and_emails_stops_both(
    shop: sqlite_utils.Database,
) -> None:
    body = "Please stop texting me and emailing me."

    report = _poll(shop, [_reply("test3@example.com", "Re: Sale", body, "j4@x")])

    assert report.unsubscribed == [3]
    assert consent.current_consent(shop, 3, "email") == "opted_out"
    assert consent.current_consent(shop, 3, "sms") == "opted_out"
    newest = consent.consent_history(shop, 3)[-1]
    assert newest["channel"] == "sms" and "texts too" in newest["evidence"]
    (row,) = replies_view.list_reply_rows(shop)
    assert "no more emails or texts" in row.reading


def test_a_mail_from_a_contacts_other_address_is_the_contacts(
    shop: sqlite_utils.Database,
) -> None:
    contact_service.update_contact(
        shop, 3, {"emails": ["test3@example.com", "Home3@Example.com"]}
    )

    report = _poll(shop, [_reply("home3@example.com", "UNSUBSCRIBE", "", "j5@x")])

    assert report.unsubscribed == [3]
    assert consent.current_consent(shop, 3, "email") == "opted_out"
    (row,) = replies_view.list_reply_rows(shop)
    assert row.contact_id == 3
