"""Editing, tagging and deleting contacts; a contact's own message timeline."""

import json
from pathlib import Path

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.services import contacts as contact_service
from desktop_app.services import importing, sending
from desktop_app.storage import consent, contacts, settings, templates
from tests.storage.test_contacts import add_search_column

CSV = (
    "First Name,Last Name,Email,Phone,Tags,Accepts SMS Marketing\n"
    "Ann,Lee,ann@example.com,(212) 555-0101,vip,yes\n"
    "Bob,Stone,bob@example.com,(212) 555-0102,,no\n"
    "Cara,Diaz,cara@example.com,(212) 555-0103,vip,\n"
)


@pytest.fixture
def shop(db: sqlite_utils.Database, tmp_path: Path) -> sqlite_utils.Database:
    path = tmp_path / "customers.csv"
    path.write_text(CSV, encoding="utf-8")
    importing.import_file(db, path, region="US")
    bob = ids_by_name(db)["Bob"]
    consent.set_consent_manually(db, bob, "sms", "opted_out", "asked by phone")
    return db


def ids_by_name(db: sqlite_utils.Database) -> dict[str, int]:
    return {c.first_name: c.id for c in contacts.list_contacts(db)}


def test_update_contact_checks_and_stores_every_field(shop):
    ann = ids_by_name(shop)["Ann"]

    stored = contact_service.update_contact(
        shop,
        ann,
        {
            "first_name": "  Anne ",
            "company": "Lee Bakery",
            "phones": ["+12125550101", "(312) 555-0111"],
            "emails": ["Anne <ANNE@example.com>", "ann@example.com"],
            "tags": ["vip", "VIP", "wholesale", ""],
            "timezone": "America/New_York",
        },
    )

    assert stored.first_name == "Anne"
    assert stored.company == "Lee Bakery"
    assert [p["e164"] for p in stored.phones] == ["+12125550101", "+13125550111"]
    assert stored.phone == "+12125550101"
    assert stored.emails == ["ANNE@example.com", "ann@example.com"]
    assert stored.email == "ANNE@example.com"
    assert stored.tags == ["vip", "wholesale"]
    assert stored.timezone == "America/New_York"
    row = shop.execute("SELECT email_key FROM contacts WHERE id = ?", [ann]).fetchone()
    assert row[0] == "anne@example.com"
    assert contacts.list_contacts(shop, search="lee bakery")[0].id == ann


def test_update_contact_keeps_a_known_number_with_its_label(shop):
    ann = ids_by_name(shop)["Ann"]
    before = contacts.get_contact(shop, ann).phones[0]

    stored = contact_service.update_contact(shop, ann, {"phones": ["+12125550101"]})

    assert stored.phones == [before]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"phones": ["4.47E+11"]}, "Phone: Phone '4.47E+11'"),
        ({"phones": ["123"]}, "has 3 digits"),
        ({"emails": ["not an address"]}, "Email: 'not an address'"),
        ({"emails": ["2125550143@vtext.com"]}, "as a phone instead"),
        ({"timezone": "Mars/Base"}, "Time zone: 'Mars/Base'"),
        ({"tags": ["a,b"]}, "comma"),
        ({"phones": [], "emails": []}, "at least a phone number or an email"),
        ({"id": 5}, "id: this field cannot be edited"),
    ],
)
def test_update_contact_refuses_bad_values_and_writes_nothing(shop, changes, fragment):
    ann = ids_by_name(shop)["Ann"]
    before = contacts.get_contact(shop, ann)

    with pytest.raises(ValidationError) as raised:
        contact_service.update_contact(shop, ann, changes)

    assert fragment in raised.value.message
    assert contacts.get_contact(shop, ann) == before


def test_update_unknown_contact_is_refused(shop):
    with pytest.raises(ValidationError, match="no contact number 999"):
        contact_service.update_contact(shop, 999, {"first_name": "X"})


def test_unchanged_edit_keeps_updated_at(shop):
    ann = ids_by_name(shop)["Ann"]
    before = contacts.get_contact(shop, ann)

    after = contact_service.update_contact(shop, ann, {"first_name": "Ann"})

    assert after.updated_at == before.updated_at


def test_add_and_remove_tag_count_only_changed_contacts(shop):
    ids = ids_by_name(shop)

    assert contact_service.add_tag(shop, [ids["Ann"], ids["Bob"]], " Spring ") == 2
    assert contact_service.add_tag(shop, [ids["Ann"], ids["Bob"]], "spring") == 0
    assert {c.first_name for c in contacts.list_contacts(shop, tag="SPRING")} == {
        "Ann",
        "Bob",
    }
    assert contacts.get_contact(shop, ids["Ann"]).tags == ["vip", "Spring"]

    assert contact_service.remove_tag(shop, list(ids.values()), "VIP") == 2
    assert contacts.list_contacts(shop, tag="vip") == []
    assert contacts.list_contacts(shop, search="vip") == []
    with pytest.raises(ValidationError, match="Tag: a tag needs"):
        contact_service.add_tag(shop, [ids["Ann"]], "  ")


def test_delete_removes_opted_out_contacts_but_keeps_their_ledger(shop):
    ids = ids_by_name(shop)
    rows_before = shop.execute("SELECT count(*) FROM consent").fetchone()[0]

    result = contact_service.delete_contacts(shop, [ids["Ann"], ids["Bob"], 999])

    assert result.deleted == [ids["Ann"], ids["Bob"]]
    assert result.kept == {}
    assert {c.first_name for c in contacts.list_contacts(shop)} == {"Cara"}
    assert consent.consent_history(shop, ids["Bob"]) == []
    orphans = shop.execute(
        "SELECT channel, status, recipient FROM consent WHERE contact_id IS NULL"
        " ORDER BY id"
    ).fetchall()
    assert ("sms", "opted_out", "+12125550102") in orphans
    assert ("sms", "opted_in", "+12125550101") in orphans
    assert shop.execute("SELECT count(*) FROM consent").fetchone()[0] == rows_before
    assert result.to_json()["deleted"] == [ids["Ann"], ids["Bob"]]


def test_deleted_opt_out_comes_back_on_reimport(shop, tmp_path):
    bob = ids_by_name(shop)["Bob"]
    contact_service.delete_contacts(shop, [bob])
    again = tmp_path / "again.csv"
    again.write_text(
        "First Name,Email,Phone,Accepts SMS Marketing\n"
        "Robert,robert@example.com,(212) 555-0102,yes\n",
        encoding="utf-8",
    )

    report = importing.import_file(shop, again, region="US")

    robert = ids_by_name(shop)["Robert"]
    assert robert != bob
    assert consent.current_consent(shop, robert, "sms") == "opted_out"
    history = consent.consent_history(shop, robert)
    assert history[0]["source"] == "suppression"
    assert "+12125550102 opted out of SMS on" in history[0]["evidence"]
    messages = [(w["row"], w["message"]) for w in report.warnings]
    assert any(
        row == 1 and "before this contact was added; the opt-out is kept" in text
        for row, text in messages
    )
    assert any("Accepts SMS Marketing=yes ignored" in text for _, text in messages)


def test_delete_moves_an_opt_out_to_the_current_number(shop):
    bob = ids_by_name(shop)["Bob"]
    contact_service.update_contact(shop, bob, {"phones": ["(212) 555-0142"]})

    contact_service.delete_contacts(shop, [bob])

    known = consent.deleted_opt_outs(shop)["sms"]
    assert set(known) == {"+12125550102", "+12125550142"}
    carried = known["+12125550142"]
    row = shop.execute(
        "SELECT source, evidence FROM consent WHERE id = ?", [carried.row_id]
    ).fetchone()
    assert row[0] == "deletion"
    assert f"contact {bob} deleted" in row[1]


def test_delete_keeps_a_contact_whose_opt_out_has_no_address(shop):
    cara = ids_by_name(shop)["Cara"]
    shop.execute("UPDATE contacts SET phone = NULL, phones = '[]' WHERE id = ?", [cara])
    consent.set_consent_manually(shop, cara, "sms", "opted_out", "said so by letter")

    result = contact_service.delete_contacts(shop, [cara])

    assert result.deleted == []
    assert "opted out of SMS" in result.kept[cara]
    assert consent.current_consent(shop, cara, "sms") == "opted_out"


def test_deleted_contact_leaves_its_messages_in_history(shop, data_dir):
    templates.save_template(
        shop, name="Hello", sms_body="Hi {first_name}", email_subject="Hi",
        email_body="Hi {first_name}",
    )  # fmt: skip
    cara = ids_by_name(shop)["Cara"]
    settings.set_setting(shop, "shop.address", "1 Market St, Springfield")
    plan = sending.plan_send(shop, template_name="Hello", everyone=True)
    sending.queue_plan(shop, plan, name="Spring")
    before = contact_service.contact_messages(shop, cara)
    assert before and {row.contact_id for row in before} == {cara}

    contact_service.delete_contacts(shop, [cara])

    assert contact_service.contact_messages(shop, cara) == []
    orphaned = shop.execute(
        "SELECT count(*) FROM messages WHERE contact_id IS NULL"
    ).fetchone()[0]
    assert orphaned == len(before)


def test_opted_out_channels(shop):
    ids = ids_by_name(shop)
    assert contact_service.opted_out_channels(shop, ids["Bob"]) == ["sms"]
    assert contact_service.opted_out_channels(shop, ids["Ann"]) == []


def test_tags_are_stored_as_json_lists(shop):
    add_search_column(shop)
    contacts.fill_search_text(shop)
    ann = ids_by_name(shop)["Ann"]
    contact_service.add_tag(shop, [ann], "Café")
    raw = shop.execute("SELECT tags FROM contacts WHERE id = ?", [ann]).fetchone()[0]
    assert json.loads(raw) == ["vip", "Café"]
    assert contacts.list_contacts(shop, search="cafe")[0].id == ann


def test_a_deleted_contacts_id_is_never_given_to_a_new_one(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    from desktop_app.services import contacts as contact_service
    from desktop_app.services.importing import import_file
    from desktop_app.storage import contacts as contact_store

    first = tmp_path / "first.csv"
    first.write_text("Email\na@example.com\nb@example.com\n", encoding="utf-8")
    import_file(db, first)
    highest = max(c.id for c in contact_store.list_contacts(db))
    contact_service.delete_contacts(db, [highest])

    second = tmp_path / "second.csv"
    second.write_text("Email\nc@example.com\n", encoding="utf-8")
    import_file(db, second)

    new = next(c for c in contact_store.list_contacts(db) if c.email == "c@example.com")
    assert new.id == highest + 1
    assert contact_store.next_contact_id(db) == highest + 2
