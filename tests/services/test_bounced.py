"""An email address a mail server refused is not written to again until fixed."""

import json

import sqlite_utils

from desktop_app.services import sending
from desktop_app.storage import contacts, messages
from desktop_app.storage.database import utc_now
from tests.services.test_sending import set_up_shop


def _bounce(db: sqlite_utils.Database, contact_id: int, address: str) -> None:
    db["events"].insert(
        {
            "kind": "bounce",
            "contact_id": contact_id,
            "body": "5.1.1",
            "data": json.dumps(
                {"address": address, "status": "5.1.1", "received_at": "2027-01-10"}
            ),
            "created_at": utc_now(),
        }
    )


def test_plan_skips_an_address_that_bounced_until_it_is_changed(
    db: sqlite_utils.Database,
) -> None:
    set_up_shop(db, contacts=2)
    _bounce(db, 1, "TEST1@example.com")

    plan = sending.plan_send(db, template_name="Receipt", everyone=True)

    emails = {m.contact_id: m for m in plan.messages if m.channel == "email"}
    assert emails[1].reason == "the address bounced: bounced on 2027-01-10 (5.1.1)"
    assert emails[2].action == "send"
    assert messages.bounced_addresses(db) == {
        "test1@example.com": "bounced on 2027-01-10 (5.1.1)"
    }

    db["contacts"].update(1, {"email": "new1@example.com"})
    again = sending.plan_send(db, template_name="Receipt", everyone=True)

    assert contacts.get_contact(db, 1).email == "new1@example.com"
    assert all(m.action == "send" for m in again.messages if m.channel == "email")
