"""The shop's own quiet-hours rules: loaded from a file, only ever stricter."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from desktop_app.core import quiet_hours
from desktop_app.errors import ValidationError
from desktop_app.providers.base import Senders
from desktop_app.providers.outbox import OutboxEmail
from desktop_app.services import quiet_rules, sending
from desktop_app.storage import consent, messages, settings, templates
from tests.services.test_sending import RecordingSms, add_contact

# 08:30 in New York on a Tuesday: allowed by Duet's table, not by "Shop policy".
HALF_PAST_EIGHT = datetime(2027, 1, 12, 13, 30, tzinfo=UTC)


def _promo_shop(db: sqlite_utils.Database) -> None:
    settings.set_setting(db, "shop.name", "Corner Shop")
    settings.set_setting(db, "shop.address", "1 Example Street")
    settings.set_setting(db, "shop.timezone", "America/New_York")
    templates.save_template(
        db,
        name="Promo",
        sms_body="{shop_name}: new stock is in. Reply STOP to opt out.",
        email_subject="New stock",
        email_body="Come and see.",
    )
    add_contact(db, 1, phone="+12125550101")
    consent.record_consent(db, 1, "sms", "opted_in", source="manual", evidence="t")


def _plan(db: sqlite_utils.Database, when: datetime = HALF_PAST_EIGHT):
    return sending.plan_send(
        db, template_name="Promo", everyone=True, test_mode=False, now=when
    )


def _sms(plan):
    return next(m for m in plan.messages if m.channel == "sms")


def test_starter_file_round_trip_holds_before_nine(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    _promo_shop(db)
    assert quiet_rules.current_rules(db) is quiet_hours.load_rules()
    assert _sms(_plan(db)).action == "send"

    starter = tmp_path / "my-rules.json"
    assert quiet_rules.write_rules_file(db, starter) == 1
    table = quiet_rules.use_own_rules(db, starter)

    assert [rule.name for rule in table.rules] == ["Shop policy"]
    assert quiet_rules.own_rules_source(db) == "my-rules.json"
    held = _sms(_plan(db))
    assert (held.action, held.reason) == ("hold", "held until 09:00 EST, Shop policy")
    described = quiet_rules.describe(db)
    assert described["own_file"] == "my-rules.json"
    assert [r["name"] for r in described["rules"] if r["own"]] == ["Shop policy"]

    assert quiet_rules.clear_own_rules(db) is True
    assert _sms(_plan(db)).action == "send"
    assert quiet_rules.clear_own_rules(db) is False


def test_own_rules_never_open_hours_duets_table_closes(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    _promo_shop(db)
    loose = tmp_path / "loose.json"
    loose.write_text(
        json.dumps(
            {
                "reviewed": "2026-12-04",
                "rules": [
                    {
                        "name": "All day",
                        "country": "*",
                        "effective": "2000-01-01",
                        "source": "a mistake",
                        "hours": {"default": ["00:00", "23:59"]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    quiet_rules.use_own_rules(db, loose)

    late = datetime(2027, 1, 13, 3, 0, tzinfo=UTC)  # 22:00 in New York
    assert _sms(_plan(db, late)).action == "hold"


def test_a_wrong_rules_file_names_rule_and_field_and_keeps_nothing(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"reviewed": "2026-12-04", "rules": [{"name": "Mine", "country": "US",'
        ' "effective": "2026-01-01", "source": "me",'
        ' "hours": {"default": ["25:00", "20:00"]}}]}',
        encoding="utf-8",
    )

    with pytest.raises(ValidationError, match=r"bad\.json: rule 1 \('Mine'\)"):
        quiet_rules.use_own_rules(db, bad)
    assert quiet_rules.own_rules(db) is None
    with pytest.raises(ValidationError, match="not a JSON file"):
        (tmp_path / "x.json").write_text("{", encoding="utf-8")
        quiet_rules.use_own_rules(db, tmp_path / "x.json")


def test_a_queued_sms_is_held_by_own_rules_at_send_time(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    _promo_shop(db)
    noon = datetime(2027, 1, 12, 17, 0, tzinfo=UTC)
    campaign_id = sending.queue_plan(db, _plan(db, noon), provider_sms="recording")
    starter = tmp_path / "rules.json"
    quiet_rules.write_rules_file(db, starter)
    quiet_rules.use_own_rules(db, starter)
    sms = RecordingSms()

    sending.run_campaign(
        db,
        campaign_id,
        Senders(sms=sms, email=OutboxEmail(tmp_path / "email")),
        sms_rate=0,
        now=lambda: HALF_PAST_EIGHT,
    )

    assert sms.sent == []
    (row,) = [
        r for r in messages.campaign_messages(db, campaign_id) if r.channel == "sms"
    ]
    assert (row.state, row.reason) == ("queued", "held until 09:00 EST, Shop policy")


# A Tuesday; every rule of Duet's table is in force then.
TODAY = date(2027, 1, 12)


def _own_table(**fields: Any) -> quiet_hours.RuleTable:
    rule = {"name": "Ours", "country": "*", "effective": "2026-01-01",
            "source": "shop policy", **fields}  # fmt: skip
    return quiet_hours.parse_rules({"reviewed": "2026-12-04", "rules": [rule]})


@pytest.mark.parametrize(
    ("fields", "note"),
    [
        ({"country": "US", "state": "FL", "hours": {"default": ["06:00", "23:00"]}},
         "rule 1 ('Ours', FL, every day 06:00–23:00) is looser than Duet's own "
         "hours there (every day 08:00–20:00); it changes nothing"),
        ({"hours": {"default": ["08:00", "21:00"]}},
         "rule 1 ('Ours', every country, every day 08:00–21:00) is the same as "
         "Duet's own hours there (every day 08:00–21:00); it changes nothing"),
        ({"hours": {"default": ["00:00", "23:59"]}},
         "rule 1 ('Ours', every country, every day 00:00–23:59) is looser than "
         "Duet's own hours there (every day 08:00–21:00); it changes nothing"),
        ({"country": "US", "state": "MS",
          "hours": {"default": ["07:00", "21:00"], "sun": None}},
         "rule 1 ('Ours', MS, Mon–Sat 07:00–21:00, no sending on Sun) is looser "
         "than Duet's own hours there (Mon–Sat 08:00–20:00, no sending on Sun); it "
         "changes nothing"),
        ({"country": "CA", "state": "ON", "hours": {"default": ["07:00", "22:00"]}},
         "rule 1 ('Ours', ON, every day 07:00–22:00) is looser than Duet's own "
         "hours there (every day 08:00–21:00); it changes nothing"),
        ({"until": "2026-06-01", "hours": {"default": ["10:00", "18:00"]}},
         "rule 1 ('Ours', every country, every day 10:00–18:00) ended on "
         "2026-06-01; it changes nothing"),
        ({"hours": {"default": ["09:00", "21:00"]}}, None),
        ({"hours": {"default": ["07:00", "22:00"], "sun": None}}, None),
        ({"country": "US", "hours": {"default": ["00:00", "24:00"]},
          "public_holidays": "US"}, None),
        ({"country": "US", "state": "TX", "hours": {"default": ["09:00", "21:00"]}},
         "rule 1 ('Ours', TX, every day 09:00–21:00) is looser than Duet's own "
         "hours there (Mon–Sat 09:00–21:00, Sun 12:00–21:00); it changes nothing"),
        ({"country": "US", "state": "TX",
          "hours": {"default": ["09:00", "21:00"], "sun": ["12:00", "20:00"]}}, None),
    ],
)  # fmt: skip
def test_a_rule_that_changes_nothing_is_named(
    fields: dict[str, Any], note: str | None
) -> None:
    notes = quiet_rules.changes_nothing_notes(_own_table(**fields), TODAY)

    assert notes == ({} if note is None else {1: note})


def test_a_loose_rule_is_kept_and_described_with_its_note(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    rules = tmp_path / "late.json"
    rule = {"name": "Late", "country": "*", "effective": "2026-01-01",
            "source": "x", "hours": {"default": ["00:00", "24:00"]}}  # fmt: skip
    rules.write_text(json.dumps({"reviewed": "2026-12-04", "rules": [rule]}))

    quiet_rules.use_own_rules(db, rules)

    (own,) = [row for row in quiet_rules.describe(db)["rules"] if row["own"]]
    assert own["hours"] == "every day any time"
    assert own["note"] is not None and own["note"].endswith("; it changes nothing")
    assert all(row["note"] is None for row in quiet_rules.describe(db)["rules"][:-1])


def test_an_own_rule_named_like_duets_is_refused(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    rules = tmp_path / "dup.json"
    rule = {"name": "Quiet hours 08:00–21:00", "country": "*",
            "effective": "2026-01-01", "source": "x",
            "hours": {"default": ["00:00", "23:59"]}}  # fmt: skip
    rules.write_text(json.dumps({"reviewed": "2026-12-04", "rules": [rule]}))

    with pytest.raises(
        ValidationError,
        match=r"^dup\.json: rule 1 \('Quiet hours 08:00–21:00'\), field 'name': "
        "Duet's own table has a rule of that name",
    ):
        quiet_rules.use_own_rules(db, rules)
    assert quiet_rules.own_rules(db) is None
