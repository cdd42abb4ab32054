"""The shop's own quiet-hours rules, added to the table Duet ships.

Duet's table (``core/quiet_hours_rules.json``) holds the federal window and the
stricter state and country rules, dated and sourced. A shop may know of more: a
county ordinance, its own policy ("never before 10:00"), a rule Duet does not list
yet. It writes them in a file of the same form and loads it here. Every rule of both
tables applies at once, so the shop's rules can only make sending stricter, never
looser: a table edited by mistake can never open hours the law closes.

The shop's rules live in the database (settings key ``_quiet_hours.own_rules``), so
they travel with backups and apply to sends from the window and the command line.
"""

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop_app.core import quiet_hours
from desktop_app.core.quiet_hours import RuleTable
from desktop_app.errors import ValidationError
from desktop_app.storage import messages

logger = logging.getLogger(__name__)

OWN_RULES_KEY = "_quiet_hours.own_rules"
OWN_RULES_LABEL = "Your own quiet-hours rules"

_STARTER_ABOUT = (
    "Your own quiet-hours rules. They apply on top of the rules Duet ships, so they "
    "can only make sending stricter. Same form as Duet's table: name, country ('*' "
    "for every country, else a two-letter code), optional state, effective date, "
    "source, and hours per day (default, weekdays, weekends, mon ... sun; null "
    "closes a day). Load the file with Settings → Shop → Quiet hours, or the "
    "command 'quiet-hours use FILE'."
)


def own_rules(db: sqlite_utils.Database) -> RuleTable | None:
    """Return the shop's own rules, or None when it has none.

    Raises:
        ValidationError: the stored rules no longer pass the checks (they were
            changed outside Duet); the message says which rule and field.
    """
    stored = messages.get_internal(db, OWN_RULES_KEY)
    if not stored:
        return None
    document = json.loads(stored)
    return quiet_hours.parse_rules(document["table"], label=OWN_RULES_LABEL)


def own_rules_source(db: sqlite_utils.Database) -> str | None:
    """Return the name of the file the shop's own rules came from, if any."""
    stored = messages.get_internal(db, OWN_RULES_KEY)
    return str(json.loads(stored)["file"]) if stored else None


def current_rules(db: sqlite_utils.Database) -> RuleTable:
    """Return the table sends are judged by: Duet's rules plus the shop's own.

    Returns:
        The combined table; Duet's table alone when the shop has no rules.
    """
    shipped = quiet_hours.load_rules()
    extra = own_rules(db)
    if extra is None:
        return shipped
    return RuleTable(
        reviewed=min(shipped.reviewed, extra.reviewed),
        rules=(*shipped.rules, *extra.rules),
    )


def use_own_rules(db: sqlite_utils.Database, path: Path) -> RuleTable:
    """Check a rules file and keep it as the shop's own rules (replacing any before).

    Args:
        path: a JSON file in the form of Duet's table.

    Returns:
        The shop's rules as checked.

    Raises:
        ValidationError: the file cannot be read, is not JSON, or a rule is wrong;
            the message names the file, the rule and the field. Nothing is kept.
    """
    table = quiet_hours.load_rules(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    messages.set_internal(
        db, OWN_RULES_KEY, json.dumps({"file": path.name, "table": document})
    )
    logger.info("own quiet-hours rules loaded: %d rules", len(table.rules))
    return table


def clear_own_rules(db: sqlite_utils.Database) -> bool:
    """Forget the shop's own rules; return True when there were some."""
    had = messages.get_internal(db, OWN_RULES_KEY) is not None
    messages.set_internal(db, OWN_RULES_KEY, None)
    if had:
        logger.info("own quiet-hours rules removed")
    return had


def write_rules_file(db: sqlite_utils.Database, path: Path) -> int:
    """Write the shop's own rules to a file for editing, or a starter file.

    The starter holds one example rule (no marketing SMS before 09:00 or after
    20:00 anywhere) that the shop can change, rename or delete.

    Args:
        path: where to write (UTF-8 JSON).

    Returns:
        How many rules the file holds.

    Raises:
        ValidationError: the file cannot be written.
    """
    stored = messages.get_internal(db, OWN_RULES_KEY)
    document: dict[str, Any] = (
        json.loads(stored)["table"] if stored else _starter(date.today())
    )
    try:
        path.write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    except OSError as error:
        raise ValidationError(
            f"{path.name}: cannot be written ({error.strerror})."
        ) from error
    return len(document.get("rules", []))


def describe(db: sqlite_utils.Database) -> dict[str, Any]:
    """Return what the quiet-hours table holds, for the window and ``--json``.

    Returns:
        ``reviewed`` (Duet's table), ``rules`` (each with name, country, state,
        effective, hours, source and ``own``), ``own_file``.
    """
    shipped = quiet_hours.load_rules()
    extra = own_rules(db)
    rows = [_rule_json(rule, own=False) for rule in shipped.rules]
    rows += [_rule_json(rule, own=True) for rule in (extra.rules if extra else ())]
    return {
        "reviewed": shipped.reviewed.isoformat(),
        "rules": rows,
        "own_file": own_rules_source(db),
    }


def _rule_json(rule: quiet_hours.QuietHoursRule, *, own: bool) -> dict[str, Any]:
    return {
        "name": rule.name,
        "country": rule.country,
        "state": rule.state,
        "effective": rule.effective.isoformat(),
        "until": rule.until.isoformat() if rule.until else None,
        "source": rule.source,
        "hours": quiet_hours.hours_text(rule),
        "own": own,
    }


def _starter(today: date) -> dict[str, Any]:
    return {
        "about": _STARTER_ABOUT,
        "reviewed": today.isoformat(),
        "rules": [
            {
                "name": "Shop policy",
                "country": "*",
                "effective": today.isoformat(),
                "source": "Our own policy: no marketing texts before 9 or after 8.",
                "hours": {"default": ["09:00", "20:00"]},
            }
        ],
    }
