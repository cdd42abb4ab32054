"""Storing paired templates."""

import pytest
import sqlite_utils

from desktop_app.errors import ValidationError
from desktop_app.storage import templates


def _save(db: sqlite_utils.Database, name: str = "Receipt", **changes: object) -> None:
    values: dict[str, object] = {
        "sms_body": "Hi {first_name}, your receipt is in your inbox.",
        "email_subject": "Your receipt",
        "email_body": "Hello {first_name|there},\n\nThanks for shopping.",
    }
    values.update(changes)
    templates.save_template(db, name=name, **values)  # type: ignore[arg-type]


def test_save_and_get_round_trip(db: sqlite_utils.Database) -> None:
    _save(db, transactional=True)

    found = templates.get_template(db, "Receipt")

    assert found.sms_body.startswith("Hi {first_name}")
    assert found.transactional is True
    assert found.to_json()["name"] == "Receipt"
    assert found.to_json()["transactional"] is True


def test_save_replaces_by_name(db: sqlite_utils.Database) -> None:
    _save(db)
    first = templates.get_template(db, "Receipt")
    _save(db, sms_body="New text")

    found = templates.list_templates(db)
    assert [t.name for t in found] == ["Receipt"]
    assert found[0].sms_body == "New text"
    assert found[0].id == first.id


def test_unknown_field_is_refused_with_field_named(db: sqlite_utils.Database) -> None:
    with pytest.raises(ValidationError) as caught:
        _save(db, sms_body="Hi {frist_name}")

    assert caught.value.message == "SMS text: unknown merge field {frist_name}"
    assert templates.list_templates(db) == []


def test_empty_name_is_refused(db: sqlite_utils.Database) -> None:
    with pytest.raises(ValidationError, match="Template name"):
        _save(db, name="   ")


def test_list_is_sorted_by_name(db: sqlite_utils.Database) -> None:
    for name in ("b", "C", "a"):
        _save(db, name=name)
    assert [t.name for t in templates.list_templates(db)] == ["a", "b", "C"]


def test_get_missing_template(db: sqlite_utils.Database) -> None:
    with pytest.raises(ValidationError, match="no template named 'Nope'"):
        templates.get_template(db, "Nope")


def test_delete_template(db: sqlite_utils.Database) -> None:
    _save(db)
    templates.delete_template(db, "Receipt")
    assert templates.list_templates(db) == []


def test_save_template_accepts_the_contacts_own_fields(db) -> None:
    db["contacts"].insert(
        {
            "first_name": "Ann",
            "custom": '{"total_orders": "3"}',
            "created_at": "2024-01-01T00:00:00+00:00",
            "updated_at": "2024-01-01T00:00:00+00:00",
        }
    )

    saved = templates.save_template(
        db,
        name="Loyal",
        sms_body="Thanks for {total_orders} orders!",
        email_subject="Thanks",
        email_body="Thank you.",
    )

    assert saved.sms_body == "Thanks for {total_orders} orders!"
    with pytest.raises(ValidationError, match="frist_name"):
        templates.save_template(
            db,
            name="Typo",
            sms_body="Hi {frist_name}",
            email_subject="Hi",
            email_body="Hi.",
        )


def test_sms_variant_b_round_trip(db: sqlite_utils.Database) -> None:
    _save(db, sms_body_b="Hello {first_name|there}! Your receipt is waiting.")

    found = templates.get_template(db, "Receipt")
    assert found.sms_body_b == "Hello {first_name|there}! Your receipt is waiting."
    assert found.to_json()["sms_body_b"] == found.sms_body_b

    _save(db)
    assert templates.get_template(db, "Receipt").sms_body_b == ""


def test_sms_variant_b_is_checked_and_named(db: sqlite_utils.Database) -> None:
    with pytest.raises(ValidationError, match=r"SMS variant B: .*\{frist_name\}"):
        _save(db, sms_body_b="Hi {frist_name}")
    with pytest.raises(ValidationError, match="SMS variant B: "):
        _save(db, sms_body_b="x" * 2000)
    with pytest.raises(ValidationError, match="no template named"):
        templates.get_template(db, "Receipt")
