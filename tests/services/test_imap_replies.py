"""The IMAP poller reads replies: the subject and the reply's own text, not quotes.

Every email Duet sends ends with "To unsubscribe, reply with UNSUBSCRIBE or write to
SHOP"; these tests send such replies through a local IMAP server on 127.0.0.1.
"""

import json

import pytest
import sqlite_utils

from desktop_app.services import compliance
from desktop_app.services.imap_poll import (
    ImapReport,
    judged_subject,
    poll_mailbox,
    reply_own_text,
)
from desktop_app.storage import consent, settings
from tests.helpers.imap_server import ImapServer
from tests.services import test_imap_poll
from tests.services.test_imap_poll import DATE, PASSWORD, USER

shop = test_imap_poll.shop  # the same five contacts and one sent email

FOOTER = (
    "Corner Shop\n1 Example Street\nYou receive this email from Corner Shop. To "
    "unsubscribe, reply with UNSUBSCRIBE or write to shop@example.com."
)
QUOTED = "\n".join("> " + line for line in ("Big sale this week!", *FOOTER.split("\n")))


def _reply(sender: str, subject: str, body: str, message_id: str,
           content_type: str = "text/plain") -> bytes:  # fmt: skip
    return (
        f"From: Test Person <{sender}>\r\nTo: {USER}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: {DATE}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}; charset=utf-8\r\n\r\n"
        + body.replace("\n", "\r\n")
        + "\r\n"
    ).encode()


def _poll(db: sqlite_utils.Database, mails: list[bytes]) -> tuple[ImapReport, list]:
    with ImapServer(user=USER, password=PASSWORD, messages=mails) as server:
        report = poll_mailbox(db, "127.0.0.1", server.port, USER, PASSWORD,
                              security="none", timeout=5)  # fmt: skip
        return report, server.seen()


def _events(db: sqlite_utils.Database) -> list[tuple[str, int]]:
    rows = db.query("SELECT kind, contact_id FROM events ORDER BY id")
    return [(row["kind"], row["contact_id"]) for row in rows]


def test_a_reply_whose_text_is_unsubscribe_opts_out(
    shop: sqlite_utils.Database,
) -> None:
    body = (
        f"UNSUBSCRIBE\n\nOn Sat, Mar 7, 2026 at 3:00 PM Corner Shop <{USER}> wrote:\n"
        f"{QUOTED}"
    )
    report, seen = _poll(shop, [_reply("test1@example.com", "Re: Sale", body, "r1@x")])

    assert report.unsubscribed == [1] and seen == [True]
    assert consent.current_consent(shop, 1, "email") == "opted_out"
    evidence = consent.consent_history(shop, 1)[-1]["evidence"]
    assert "found by the sender's address" in evidence
    assert "reply text read as an opt-out" in evidence
    assert shop["events"].get(1)["body"] == "Sale\nUNSUBSCRIBE"


def test_a_subject_that_mentions_unsubscribe_is_flagged_not_an_opt_out(
    shop: sqlite_utils.Database,
) -> None:
    subject = "Re: Sale - I did not unsubscribe, why no emails?"
    body = f"Hi, I have not had your emails for a month.\n\n{QUOTED}"
    report, seen = _poll(shop, [_reply("test2@example.com", subject, body, "r2@x")])

    assert report.unsubscribed == [] and report.review == [2]
    assert seen == [False]  # the owner may want to answer it
    assert consent.current_consent(shop, 2, "email") == "unknown"
    [flagged] = compliance.reviews(shop)
    assert (flagged.contact_id, flagged.channel) == (2, "email")
    assert flagged.sender == "test2@example.com"
    assert flagged.received_at == "2026-03-07T15:00:00+00:00"
    assert "I did not unsubscribe" in flagged.text
    assert "no opt-out was recorded" in flagged.evidence


def test_the_quoted_footer_alone_is_not_a_request(shop: sqlite_utils.Database) -> None:
    body = (
        f"Thanks, see you Saturday!\n\nOn Sat, 7 Mar 2026, Corner Shop wrote:\n{QUOTED}"
    )
    report, seen = _poll(shop, [_reply("test3@example.com", "Re: Sale", body, "r3@x")])

    assert (report.unsubscribed, report.review, report.other) == ([], [], 1)
    assert seen == [False] and _events(shop) == []


@pytest.mark.parametrize(
    "body",
    [
        "Please remove me\n\n________________________________\nFrom: Corner Shop\n"
        f"Sent: Saturday\n{FOOTER}",
        f"take me off your list\n\n-----Original Message-----\n{FOOTER}",
        f"unsubscribe\n\nOn Sat, Mar 7, 2026 at 3:00 PM Corner Shop <\n{USER}> wrote:\n"
        f"{QUOTED}",
        f"stop emailing me\n-- \nTest Person\n{FOOTER}",
    ],
    ids=["outlook", "original-message", "wrapped-on-wrote", "signature"],
)
def test_quote_styles_are_cut_before_judging(
    shop: sqlite_utils.Database, body: str
) -> None:
    report, _ = _poll(shop, [_reply("test4@example.com", "RE: Sale", body, "r4@x")])

    assert report.unsubscribed == [4]


def test_an_html_reply_is_read_without_its_quote(shop: sqlite_utils.Database) -> None:
    body = (
        '<html><body><div>UNSUBSCRIBE</div><br><div class="gmail_quote">'
        "<blockquote>Don't stop the sale!</blockquote></div></body></html>"
    )
    mail = _reply("test5@example.com", "Re: Sale", body, "r5@x", "text/html")
    report, _ = _poll(shop, [mail])

    assert report.unsubscribed == [5]


def test_the_shop_subject_in_a_reply_is_not_judged(
    shop: sqlite_utils.Database,
) -> None:
    shop["messages"].update(40, {"subject": "Stop by for our spring sale"})
    mails = [
        _reply("test1@example.com", "Re: Stop by for our spring sale", "See you!",
               "r6@x"),
        _reply("test2@example.com", "RE: Fwd: Stop by for our spring sale - remove me",
               "", "r7@x"),
    ]  # fmt: skip
    report, _ = _poll(shop, mails)

    assert report.unsubscribed == [2] and report.review == []
    assert judged_subject(shop, "Re: Stop by for our spring sale") == ""
    assert judged_subject(shop, "Stop by for our spring sale") == (
        "Stop by for our spring sale"
    )


def test_a_flagged_mail_is_flagged_once(shop: sqlite_utils.Database) -> None:
    mail = _reply("test3@example.com", "Question", "Don't stop the sale!", "r8@x")
    first, _ = _poll(shop, [mail])
    second, _ = _poll(shop, [mail])

    assert (first.review, second.review) == ([3], [])
    assert _events(shop) == [("review", 3)]
    data = json.loads(shop["events"].get(1)["data"])
    assert (data["channel"], data["kind"], data["from"]) == (
        "email", "maybe_opt_out", "test3@example.com",
    )  # fmt: skip


def test_a_stranger_asking_in_the_text_is_kept_for_the_address_and_left_unread(
    shop: sqlite_utils.Database,
) -> None:
    mails = [
        _reply("stranger@example.org", "Hello", "Please unsubscribe me", "r9@x"),
        _reply("stranger@example.org", "Hello", "Don't stop the sale", "r10@x"),
    ]
    report, seen = _poll(shop, mails)
    again, seen_again = _poll(shop, mails)

    assert (report.unmatched, report.other, report.review) == (1, 1, [])
    assert seen == [False, False] and seen_again == [False, False]
    assert again.already_unsubscribed == 1 and again.unmatched == 0
    assert _events(shop) == [("unsubscribe", None)]
    [row] = shop.query("SELECT * FROM consent WHERE contact_id IS NULL")
    assert (row["channel"], row["status"], row["source"], row["recipient"]) == (
        "email", "opted_out", "email", "stranger@example.org",
    )  # fmt: skip
    assert row["evidence"].endswith("(no contact had this address)")
    assert "reply text read as an opt-out" in row["evidence"]


def test_the_shops_own_address_is_never_unsubscribed(
    shop: sqlite_utils.Database,
) -> None:
    settings.set_setting(shop, "shop.email", "Shop@Example.com")
    mail = _reply("shop@example.com", "unsubscribe", "", "r11@x")

    report, _ = _poll(shop, [mail])

    assert report.unmatched == 1
    assert consent.deleted_opt_outs(shop)["email"] == {}
    assert _events(shop) == []


def test_reply_own_text_keeps_only_the_first_lines() -> None:
    many = "\n".join(f"line {n}" for n in range(40))

    assert reply_own_text(many).splitlines()[-1] == "line 19"
    assert reply_own_text("Yes\r\n\r\n> STOP") == "Yes"
    assert reply_own_text("Le sam. 7 mars 2026, Shop a écrit :\n> STOP") == ""
