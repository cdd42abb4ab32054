"""Read and change paired templates (SMS text + email subject and body)."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import sqlite_utils

from desktop_app.core import templates as core_templates
from desktop_app.errors import ValidationError
from desktop_app.storage.database import utc_now

VARIANT_B_FIELD = "SMS variant B"


@dataclass(frozen=True)
class Template:
    """One paired template as stored."""

    id: int
    name: str
    sms_body: str
    email_subject: str
    email_body: str
    transactional: bool
    created_at: str
    updated_at: str
    sms_body_b: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the template as the JSON the command line prints."""
        return {
            "id": self.id,
            "name": self.name,
            "sms_body": self.sms_body,
            "sms_body_b": self.sms_body_b,
            "email_subject": self.email_subject,
            "email_body": self.email_body,
            "transactional": self.transactional,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _from_row(row: dict[str, Any]) -> Template:
    return Template(
        id=int(row["id"]),
        name=row["name"],
        sms_body=row["sms_body"],
        email_subject=row["email_subject"],
        email_body=row["email_body"],
        transactional=bool(row["transactional"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        sms_body_b=row.get("sms_body_b") or "",
    )


def save_template(
    db: sqlite_utils.Database,
    *,
    name: str,
    sms_body: str,
    email_subject: str,
    email_body: str,
    transactional: bool = False,
    extra_fields: Iterable[str] = (),
    sms_body_b: str = "",
) -> Template:
    """Check a template and store it, replacing any template with the same name.

    Merge fields are the contact's (``{first_name}``...), ``extra_fields``, and any
    event field a trigger rule declares (``{order_number}`` once the purchase rule
    names it).

    Args:
        name: the template's name, unique.
        sms_body: the SMS text with merge fields.
        email_subject: the email subject with merge fields.
        email_body: the email body with merge fields.
        transactional: a receipt or notice the customer asked for, not marketing.
        extra_fields: more merge-field names to accept, e.g. an event's fields.
        sms_body_b: an optional second SMS text for A/B tests ("" for none).

    Returns:
        The stored template.

    Raises:
        ValidationError: an empty name, or a problem in a field; the message names
            the field, e.g. ``SMS text: unknown merge field {frist_name}``.
    """
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Template name: please give the template a name.")

    allowed = {*extra_fields, *rule_fields(db), *_contact_fields(db)}
    problems = core_templates.check_template(
        sms_body, email_subject, email_body, allowed
    )
    if sms_body_b.strip():
        problems += _variant_b_problems(sms_body_b, email_subject, email_body, allowed)
    if problems:
        raise ValidationError("; ".join(str(problem) for problem in problems))

    now = utc_now()
    with db.conn:
        db.execute(
            "INSERT INTO templates (name, sms_body, sms_body_b, email_subject,"
            " email_body, transactional, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET sms_body = excluded.sms_body,"
            " sms_body_b = excluded.sms_body_b,"
            " email_subject = excluded.email_subject,"
            " email_body = excluded.email_body,"
            " transactional = excluded.transactional,"
            " updated_at = excluded.updated_at",
            [name, sms_body, sms_body_b.strip() and sms_body_b, email_subject,
             email_body, int(transactional), now, now],
        )  # fmt: skip
    return get_template(db, name)


def _variant_b_problems(
    sms_body_b: str, email_subject: str, email_body: str, allowed: set[str]
) -> list[core_templates.TemplateProblem]:
    """Check variant B like the SMS text, naming the field ``SMS variant B``."""
    problems = core_templates.check_template(
        sms_body_b, email_subject, email_body, allowed
    )
    return [
        replace(problem, field=VARIANT_B_FIELD)
        for problem in problems
        if problem.field == core_templates.SMS_FIELD
    ]


def rule_fields(db: sqlite_utils.Database) -> set[str]:
    """Return the event fields trigger rules declare (storage.automation's table)."""
    if not db["trigger_rules"].exists():
        return set()
    names: set[str] = set()
    for (text,) in db.execute("SELECT fields FROM trigger_rules").fetchall():
        names.update(json.loads(text or "[]"))
    return names


def _contact_fields(db: sqlite_utils.Database) -> set[str]:
    """Return the names of the contacts' own fields (imported extra columns)."""
    rows = db.execute(
        "SELECT DISTINCT json_each.key FROM contacts, json_each(contacts.custom)"
    ).fetchall()
    return {str(key) for (key,) in rows}


def list_templates(db: sqlite_utils.Database) -> list[Template]:
    """Return every template, ordered by name (case-insensitively)."""
    rows = db.query("SELECT * FROM templates ORDER BY name COLLATE NOCASE, id")
    return [_from_row(row) for row in rows]


def get_template(db: sqlite_utils.Database, name: str) -> Template:
    """Return the template called ``name``.

    Raises:
        ValidationError: no template has that name.
    """
    rows = list(db.query("SELECT * FROM templates WHERE name = ?", [name.strip()]))
    if not rows:
        raise ValidationError(f"There is no template named '{name}'.")
    return _from_row(rows[0])


def get_template_by_id(db: sqlite_utils.Database, template_id: int) -> Template:
    """Return the template with id ``template_id``.

    Raises:
        ValidationError: no template has that id.
    """
    rows = list(db.query("SELECT * FROM templates WHERE id = ?", [template_id]))
    if not rows:
        raise ValidationError(f"There is no template number {template_id}.")
    return _from_row(rows[0])


def delete_template(db: sqlite_utils.Database, name: str) -> None:
    """Delete the template called ``name``.

    Raises:
        ValidationError: no template has that name, or campaigns were sent with it
            (their history keeps pointing at it).
    """
    template = get_template(db, name)
    used = db.execute(
        "SELECT count(*) FROM campaigns WHERE template_id = ?", [template.id]
    ).fetchone()[0]
    if used:
        raise ValidationError(
            f"Template '{template.name}' was used by {used} campaign(s) and stays "
            "in their history; it cannot be deleted."
        )
    with db.conn:
        db.execute("DELETE FROM templates WHERE id = ?", [template.id])
