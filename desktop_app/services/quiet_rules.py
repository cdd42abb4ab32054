"""The shop's own quiet-hours rules, added to the table Duet ships.

Duet's table (``core/quiet_hours_rules.json``) holds the federal window and the
stricter state and country rules, dated and sourced. A shop may know of more: a
county ordinance, its own policy ("never before 10:00"), a rule Duet does not list
yet. It writes them in a file of the same form and loads it here. Every rule of both
tables applies at once, so the shop's rules can only make sending stricter, never
looser: a table edited by mistake can never open hours the law closes. A rule that
adds nothing to Duet's own (looser or the same, or ended) is kept, and
:func:`changes_nothing_notes` says so.

The shop's rules live in the database (settings key ``_quiet_hours.own_rules``), so
they travel with backups and apply to sends from the window and the command line.
"""

import json
import logging
from dataclasses import replace
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
        ValidationError: the file cannot be read, is not JSON, or a rule is wrong
            (an unknown state, a name Duet's own table uses...); the message names
            the file, the rule and the field. Nothing is kept.
    """
    table = quiet_hours.load_rules(path)
    _refuse_duets_names(table, path.name)
    document = json.loads(path.read_text(encoding="utf-8"))
    messages.set_internal(
        db, OWN_RULES_KEY, json.dumps({"file": path.name, "table": document})
    )
    logger.info("own quiet-hours rules loaded (%d)", len(table.rules))
    return table


def _refuse_duets_names(table: RuleTable, label: str) -> None:
    """Refuse an own rule named like one of Duet's: a held message names its rule."""
    shipped = {rule.name.casefold() for rule in quiet_hours.load_rules().rules}
    for index, rule in enumerate(table.rules, start=1):
        if rule.name.casefold() in shipped:
            raise ValidationError(
                f"{label}: rule {index} ('{rule.name}'), field 'name': Duet's own "
                "table has a rule of that name; give yours another name, so that a "
                "held message says which rule held it"
            )


def changes_nothing_notes(
    table: RuleTable, today: date | None = None
) -> dict[int, str]:
    """Say which of the shop's rules add nothing to Duet's own, and why.

    A rule adds nothing when, on every weekday from ``today`` on, Duet's rules for
    every place it covers already allow no more than it does (a looser or equal
    window, or a day Duet closes anyway), and it closes no public holidays of its
    own; or when it ended before ``today``. Such a rule is kept, but it changes no
    send.

    Args:
        table: the shop's own rules.
        today: the first date that matters; the local date by default.

    Returns:
        Rule number (from 1) to a sentence such as ``rule 2 ('Late', FL, every day
        06:00–23:00) is looser than Duet's own hours there (every day
        08:00–20:00); it changes nothing``. Rules that change sends are absent.
    """
    today = today or date.today()
    shipped = quiet_hours.load_rules().rules
    notes: dict[int, str] = {}
    for index, rule in enumerate(table.rules, start=1):
        hours = quiet_hours.hours_text(rule)
        who = f"rule {index} ('{rule.name}', {_place(rule)}, {hours})"
        if rule.until is not None and rule.until <= today:
            notes[index] = (
                f"{who} ended on {rule.until.isoformat()}; it changes nothing"
            )
            continue

        duets = _duets_hours(rule, shipped, max(rule.effective, today))
        if duets is None or not _adds_nothing(rule, duets):
            continue
        same = "the same as" if rule.hours == duets.hours else "looser than"
        notes[index] = (
            f"{who} is {same} Duet's own hours there "
            f"({quiet_hours.hours_text(duets)}); it changes nothing"
        )
    return notes


def _place(rule: quiet_hours.QuietHoursRule) -> str:
    if rule.state is not None:
        return rule.state
    return (
        "every country" if rule.country == quiet_hours.EVERY_COUNTRY else rule.country
    )


def _duets_hours(
    rule: quiet_hours.QuietHoursRule,
    shipped: tuple[quiet_hours.QuietHoursRule, ...],
    start: date,
) -> quiet_hours.QuietHoursRule | None:
    """Return Duet's rules for every place ``rule`` covers, merged into one rule.

    Only Duet's rules in force for the whole of ``rule``'s time from ``start`` count.
    The merged rule holds, per weekday, the window all of them allow (None when one
    closes the day) and the holiday calendars they close; None when no rule of Duet's
    covers every such place.
    """
    covering = [
        duets
        for duets in shipped
        if _covers_all_of(duets, rule)
        and duets.effective <= start
        and (
            duets.until is None
            or (rule.until is not None and duets.until >= rule.until)
        )
    ]
    if not covering:
        return None

    hours: list[quiet_hours.Window | None] = []
    for day in range(7):
        windows = [duets.hours[day] for duets in covering]
        if any(window is None for window in windows):
            hours.append(None)
            continue
        opens = max(window[0] for window in windows if window is not None)
        closes = min(window[1] for window in windows if window is not None)
        hours.append((opens, closes) if opens < closes else None)
    calendars = sorted({duets.public_holidays for duets in covering} - {None})
    return replace(
        rule,
        hours=tuple(hours),
        public_holidays=calendars[0] if calendars else None,
        until=None,
    )


def _covers_all_of(
    duets: quiet_hours.QuietHoursRule, rule: quiet_hours.QuietHoursRule
) -> bool:
    """Tell whether a rule of Duet's covers every place the shop's rule covers."""
    if duets.country == quiet_hours.EVERY_COUNTRY:
        return True
    if duets.country != rule.country:
        return False
    return duets.state is None or duets.state == rule.state


def _adds_nothing(
    rule: quiet_hours.QuietHoursRule, duets: quiet_hours.QuietHoursRule
) -> bool:
    """Tell whether ``rule`` allows no less than ``duets`` on every weekday."""
    if rule.public_holidays not in (None, duets.public_holidays):
        return False
    for own, theirs in zip(rule.hours, duets.hours, strict=True):
        if theirs is None:
            continue
        if own is None or own[0] > theirs[0] or own[1] < theirs[1]:
            return False
    return True


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
        effective, hours, source, ``own`` and ``note``: for an own rule that
        changes nothing, why; else None), ``own_file``.
    """
    shipped = quiet_hours.load_rules()
    extra = own_rules(db)
    notes = changes_nothing_notes(extra) if extra else {}
    rows = [_rule_json(rule, own=False) for rule in shipped.rules]
    rows += [
        _rule_json(rule, own=True, note=notes.get(index))
        for index, rule in enumerate(extra.rules if extra else (), start=1)
    ]
    return {
        "reviewed": shipped.reviewed.isoformat(),
        "rules": rows,
        "own_file": own_rules_source(db),
    }


def _rule_json(
    rule: quiet_hours.QuietHoursRule, *, own: bool, note: str | None = None
) -> dict[str, Any]:
    return {
        "name": rule.name,
        "country": rule.country,
        "state": rule.state,
        "effective": rule.effective.isoformat(),
        "until": rule.until.isoformat() if rule.until else None,
        "source": rule.source,
        "hours": quiet_hours.hours_text(rule),
        "own": own,
        "note": note,
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
