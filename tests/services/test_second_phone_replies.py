"""A reply from any of a contact's numbers is the contact's (issue 6, tester 2 item 3).

``contacts.phone`` is the main number; ``contacts.phones`` lists every number. The
sync (through the Twilio emulator), the Replies page and the opt-out report match a
reply's sender against all of them, and an opt-out reaches every contact having the
number, as for a shared main number.
"""

import pytest
import sqlite_utils

from desktop_app.providers.twilio_sms import TwilioSms
from desktop_app.services import compliance, replies_view, sync
from desktop_app.services import contacts as contact_service
from desktop_app.storage import consent
from desktop_app.storage import contacts as contact_store
from tests.helpers.twilio_emulator import (  # noqa: F401
    SENDER,
    TwilioEmulator,
    twilio_emulator_fixture,
    twilio_fixture,
)
from tests.services.test_sending import add_contact, set_up_shop

MAIN = "+15550100161"
SECOND = "+15550100162"
OTHER = "+15550100170"


@pytest.fixture
def shop(db: sqlite_utils.Database) -> dict[str, int]:
    """Cat (two numbers, SMS opted in) and Dan (one number)."""
    set_up_shop(db, contacts=0)
    cat = add_contact(db, 61, first_name="Cat", last_name="Gamma")
    contact_service.update_contact(db, cat, {"phones": [MAIN, SECOND]})
    consent.record_consent(db, cat, "sms", "opted_in", source="manual", evidence="x")
    dan = add_contact(db, 70, first_name="Dan", last_name="Delta")
    return {"cat": cat, "dan": dan}


def _reply_contacts(db: sqlite_utils.Database) -> list[int | None]:
    rows = db.execute("SELECT contact_id FROM events WHERE kind = 'reply' ORDER BY id")
    return [row[0] for row in rows]


def test_a_stop_from_a_contacts_second_number_opts_the_contact_out(
    db: sqlite_utils.Database,
    shop: dict[str, int],
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    twilio_emulator.add_inbound(SECOND, SENDER, "STOP")

    report = sync.sync_once(db, twilio)

    assert (report.opt_outs, report.unmatched) == (1, 0)
    assert consent.current_consent(db, shop["cat"], "sms") == "opted_out"
    newest = consent.consent_history(db, shop["cat"])[-1]
    assert (newest["source"], newest["recipient"]) == ("reply", SECOND)
    # Nothing is kept as a stranger's opt-out.
    assert consent.deleted_opt_outs(db)["sms"] == {}
    assert _reply_contacts(db) == [shop["cat"]]

    [row] = replies_view.list_reply_rows(db)
    assert (row.contact_id, row.who, row.sender) == (shop["cat"], "Cat Gamma", SECOND)
    sla = compliance.opt_out_sla_report(db)
    assert [r.who for r in sla.revocations] == [f"contact {shop['cat']}"]


def test_help_and_plain_replies_from_a_second_number_name_the_contact(
    db: sqlite_utils.Database,
    shop: dict[str, int],
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    twilio_emulator.add_inbound(SECOND, SENDER, "HELP")
    twilio_emulator.add_inbound(SECOND, SENDER, "See you Friday")

    report = sync.sync_once(db, twilio)

    assert (report.help, report.unmatched) == (1, 0)
    assert _reply_contacts(db) == [shop["cat"], shop["cat"]]
    rows = replies_view.list_reply_rows(db)
    assert {row.who for row in rows} == {"Cat Gamma"}
    assert "unknown number" not in " ".join(row.who for row in rows)
    assert consent.current_consent(db, shop["cat"], "sms") == "opted_in"


def test_a_start_from_a_second_number_opts_the_contact_back_in(
    db: sqlite_utils.Database,
    shop: dict[str, int],
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    consent.set_consent_manually(db, shop["cat"], "sms", "opted_out", "")
    twilio_emulator.add_inbound(SECOND, SENDER, "START")

    sync.sync_once(db, twilio)

    assert consent.current_consent(db, shop["cat"], "sms") == "opted_in"
    assert db["contacts"].count == 2  # no contact was created for the number


def test_an_opt_out_reaches_every_contact_having_the_number(
    db: sqlite_utils.Database,
    shop: dict[str, int],
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    # Dan's main number is Cat's second one (a family sharing a phone).
    contact_service.update_contact(db, shop["dan"], {"phones": [SECOND]})
    consent.record_consent(db, shop["dan"], "sms", "opted_in", source="manual")
    twilio_emulator.add_inbound(SECOND, SENDER, "stop")

    report = sync.sync_once(db, twilio)

    assert report.opt_outs == 1
    for contact_id in (shop["cat"], shop["dan"]):
        assert consent.current_consent(db, contact_id, "sms") == "opted_out"
    assert _reply_contacts(db) == [shop["cat"], shop["dan"]]
    [row] = replies_view.list_reply_rows(db)
    assert row.who == "Cat Gamma, Dan Delta"


def test_a_stop_stored_before_the_number_was_added_shows_the_contact_now(
    db: sqlite_utils.Database,
    shop: dict[str, int],
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    twilio_emulator.add_inbound(OTHER, SENDER, "STOP")
    sync.sync_once(db, twilio)
    [before] = replies_view.list_reply_rows(db)
    assert before.who == f"unknown number {OTHER}"

    # The number becomes Dan's second one: the stranger's opt-out reaches him.
    contact_service.update_contact(db, shop["dan"], {"phones": ["+15550100070", OTHER]})

    [after] = replies_view.list_reply_rows(db)
    assert (after.contact_id, after.who) == (shop["dan"], "Dan Delta")
    assert consent.current_consent(db, shop["dan"], "sms") == "opted_out"
    lines = compliance.opt_out_sla_report(db).summary_text().splitlines()
    assert any(
        line.startswith(f"number …70 (no contact then; now contact {shop['dan']}) sms")
        for line in lines
    ), lines


def test_contacts_by_phone_finds_main_and_other_numbers_either_way(
    db: sqlite_utils.Database, shop: dict[str, int]
) -> None:
    contact_service.update_contact(db, shop["dan"], {"phones": [SECOND]})
    many = [f"+1555010{n:04d}" for n in range(200, 210)]
    expected = {MAIN: [shop["cat"]], SECOND: [shop["cat"], shop["dan"]]}

    # Few numbers narrow on search_text first; many read every list once.
    assert contact_store.contacts_by_phone(db, [MAIN, SECOND, OTHER]) == expected
    assert contact_store.contacts_by_phone(db, [MAIN, SECOND, *many]) == expected
    # A number another writer stored (search_text stale) is still found.
    db.conn.execute(
        "UPDATE contacts SET phones = ? WHERE id = ?",
        [f'[{{"e164": "{SECOND}"}}, {{"e164": "{OTHER}"}}]', shop["dan"]],
    )
    assert db.execute(
        "SELECT search_text FROM contacts WHERE id = ?", [shop["dan"]]
    ).fetchone() == (None,)
    assert contact_store.contacts_by_phone(db, [OTHER]) == {OTHER: [shop["dan"]]}
    assert contact_store.contacts_by_phone(db, ["", "  "]) == {}


def test_a_start_from_a_shared_number_opts_nobody_in(
    db: sqlite_utils.Database,
    shop: dict[str, int],
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    # Dan never agreed; Cat stopped. The family phone texts START.
    contact_service.update_contact(db, shop["dan"], {"phones": [OTHER, SECOND]})
    consent.set_consent_manually(db, shop["cat"], "sms", "opted_out", "")
    twilio_emulator.add_inbound(SECOND, SENDER, "START")

    report = sync.sync_once(db, twilio)

    assert report.opt_ins == 0
    assert consent.current_consent(db, shop["cat"], "sms") == "opted_out"
    assert consent.current_consent(db, shop["dan"], "sms") != "opted_in"
    rows = replies_view.list_reply_rows(db)
    assert rows and all("cannot tell who agreed" in row.reading for row in rows)


def test_a_stop_naming_both_channels_stops_the_emails_too(
    db: sqlite_utils.Database,
    shop: dict[str, int],
    twilio: TwilioSms,
    twilio_emulator: TwilioEmulator,
) -> None:
    consent.record_consent(db, shop["cat"], "email", "opted_in", source="manual")
    twilio_emulator.add_inbound(MAIN, SENDER, "Stop texting me and emailing me")

    sync.sync_once(db, twilio)

    assert consent.current_consent(db, shop["cat"], "sms") == "opted_out"
    assert consent.current_consent(db, shop["cat"], "email") == "opted_out"
    newest = consent.consent_history(db, shop["cat"])[-1]
    assert newest["channel"] == "email" and "emails too" in newest["evidence"]
