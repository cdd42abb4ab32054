"""The Settings page: values saved, bad ones refused under their own field."""

import pytest
import sqlite_utils

from desktop_app import paths
from desktop_app.storage import settings
from desktop_app.ui.settings.settings_view import SettingsView


def make_view(qtbot, db, data_dir) -> SettingsView:
    view = SettingsView(db, data_dir)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_bad_time_zone_is_refused_with_a_message(qtbot, file_db, data_dir):
    view = make_view(qtbot, file_db, data_dir)
    view.edits["shop.timezone"].setText("Mars/Olympus")
    view.edits["shop.name"].setText("Corner Shop")

    with qtbot.assertNotEmitted(view.settings_saved):
        assert view.save() is False

    error = view.error_labels["shop.timezone"]
    assert error.isVisible()
    assert "'Mars/Olympus' is not a time zone name" in error.text()
    assert not view.error_labels["shop.name"].isVisible()
    assert view.status_label.text() == "Please fix the fields marked in red."
    stored = settings.get_settings(file_db)
    assert stored["shop.timezone"] == "America/Chicago"
    assert stored["shop.name"] == "Corner Shop"


def test_good_values_are_saved_normalised(qtbot, file_db, data_dir):
    view = make_view(qtbot, file_db, data_dir)
    view.edits["phones.default_region"].setText("gb")
    view.edits["shop.timezone"].setText("Europe/London")

    with qtbot.waitSignal(view.settings_saved):
        assert view.save()

    assert view.edits["phones.default_region"].text() == "GB"
    assert settings.get_settings(file_db)["shop.timezone"] == "Europe/London"
    assert not any(label.isVisible() for label in view.error_labels.values())


def test_shows_where_the_data_lives(qtbot, file_db, data_dir):
    view = make_view(qtbot, file_db, data_dir)

    assert view.data_dir_label.text() == str(data_dir)
    assert view.database_label.text() == str(paths.database_path(data_dir))
    assert [spec.key for spec in settings.SPECS] == list(view.edits)


def test_settings_has_four_pages(qtbot, file_db, data_dir):
    view = make_view(qtbot, file_db, data_dir)

    names = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    assert names == ["Shop", "Sending", "Mailbox", "Data"]
    view.show_page("data")
    assert view.current_page() == "data"
    assert view.tabs.currentWidget() is view.data


def test_backup_writes_a_copy_in_the_background(qtbot, shop_db, data_dir, tmp_path):
    view = make_view(qtbot, shop_db, data_dir)
    target = tmp_path / "backups" / "shop.sqlite3"

    task = view.data.backup(target)
    qtbot.waitUntil(lambda: not view.data.is_busy(), timeout=15000)

    assert not task.is_running()
    assert target.is_file()
    assert f"Backup saved to {target}." == view.data.safety_result.text()
    copy = sqlite_utils.Database(target)
    assert copy["contacts"].count == 5
    copy.close()


def test_restore_asks_first_and_sends_nothing_when_declined(
    qtbot, file_db, data_dir, tmp_path, boxes
):
    view = make_view(qtbot, file_db, data_dir)
    boxes.answer = False

    with qtbot.assertNotEmitted(view.restore_requested):
        assert view.data.request_restore(tmp_path / "old.sqlite3") is False

    assert boxes.kinds() == ["ask"]


def test_ledger_export_and_sign(qtbot, shop_db, data_dir, tmp_path):
    view = make_view(qtbot, shop_db, data_dir)
    ledger = tmp_path / "ledger.csv"

    view.data.export_ledger(ledger)
    qtbot.waitUntil(lambda: not view.data.is_busy(), timeout=15000)

    assert ledger.is_file()
    assert "consent records" in view.data.proof_result.text()

    view.data.make_sign(tmp_path / "sign.png")
    qtbot.waitUntil(lambda: not view.data.is_busy(), timeout=30000)
    assert view.data.proof_result.objectName() == "errorLabel"
    assert "text number" in view.data.proof_result.text()

    view.data.sign_number_edit.setText("+15550100123")
    view.data.make_sign(tmp_path / "sign.png")
    qtbot.waitUntil(lambda: not view.data.is_busy(), timeout=30000)
    assert (tmp_path / "sign.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Sign saved to" in view.data.proof_result.text()


def test_sign_names_a_doubtful_number_and_keeps_the_keyword(
    qtbot, file_db, data_dir, tmp_path
):
    from desktop_app.services import compliance

    view = make_view(qtbot, file_db, data_dir)
    view.data.sign_number_edit.setText("+33 1 23 45 67 89")
    view.data.sign_keyword_edit.setText("deals")

    view.data.make_sign(tmp_path / "sign.pdf")
    qtbot.waitUntil(lambda: not view.data.is_busy(), timeout=30000)

    shown = view.data.proof_result
    assert (tmp_path / "sign.pdf").is_file()
    assert shown.objectName() == "warningLabel"
    saved, warning = shown.text().split("\n")
    assert saved.startswith("Sign saved to")
    assert warning.startswith("Warning: +33 1 23 45 67 89 is a landline number")
    assert compliance.join_keywords(file_db) == ["DEALS"]

    view.data.sign_number_edit.setText("+12125550123 x12")
    view.data.make_sign(tmp_path / "other.png")
    qtbot.waitUntil(lambda: not view.data.is_busy(), timeout=30000)

    assert shown.objectName() == "errorLabel"
    assert "has an extension (ext. 12)" in shown.text()
    assert not (tmp_path / "other.png").exists()


def test_quiet_hours_panel_loads_and_removes_own_rules(qtbot, file_db, tmp_path):
    from desktop_app.services import quiet_rules
    from desktop_app.ui.settings.quiet_hours_panel import QuietHoursPanel

    panel = QuietHoursPanel(file_db)
    qtbot.addWidget(panel)
    assert "Florida rule" in panel.shipped_label.text()
    assert panel.own_label.text() == "Your own rules: none."
    assert not panel.remove_button.isEnabled()

    starter = tmp_path / "rules.json"
    assert panel.save_starter(starter)
    assert panel.load(starter)

    assert "Shop policy" in panel.own_label.text()
    assert "rules.json" in panel.own_label.text()
    assert panel.remove_button.isEnabled()
    assert quiet_rules.own_rules(file_db) is not None

    starter.write_text("{", encoding="utf-8")
    assert not panel.load(starter)
    assert "not a JSON file" in panel.result_label.text()

    panel.remove()
    assert quiet_rules.own_rules(file_db) is None
    assert panel.own_label.text() == "Your own rules: none."


def _rules_file(path, **rule) -> None:
    import json

    base = {"name": "Mine", "country": "US", "effective": "2026-01-01",
            "source": "our policy",
            "hours": {"default": ["06:00", "23:00"]}}  # fmt: skip
    document = {"reviewed": "2026-12-04", "rules": [{**base, **rule}]}
    path.write_text(json.dumps(document), encoding="utf-8")


def test_quiet_hours_panel_says_when_a_rule_changes_nothing(qtbot, file_db, tmp_path):
    from desktop_app.ui.settings.quiet_hours_panel import QuietHoursPanel

    panel = QuietHoursPanel(file_db)
    qtbot.addWidget(panel)
    loose = tmp_path / "loose.json"
    _rules_file(loose, name="Florida late", state="FL")

    assert panel.load(loose)

    note = (
        "ule 1 ('Florida late', FL, every day 06:00–23:00) is looser than Duet's own "
        "hours there (every day 08:00–20:00); it changes nothing."
    )
    assert panel.result_label.objectName() == "warningLabel"
    assert panel.result_label.text() == f"Loaded your rule from loose.json.\nR{note}"
    assert f"Note: r{note}" in panel.own_label.text()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"state": "ZZ"}, "bad.json: rule 1 ('Mine'), field 'state': 'ZZ' is not a "
                          "US state code such as FL or TX"),
        ({"name": "Florida rule"}, "bad.json: rule 1 ('Florida rule'), field 'name': "
                                   "Duet's own table has a rule of that name"),
    ],
)  # fmt: skip
def test_quiet_hours_panel_refuses_what_the_command_refuses(
    qtbot, file_db, tmp_path, rule, message
):
    from desktop_app.services import quiet_rules
    from desktop_app.ui.settings.quiet_hours_panel import QuietHoursPanel

    panel = QuietHoursPanel(file_db)
    qtbot.addWidget(panel)
    bad = tmp_path / "bad.json"
    _rules_file(bad, **rule)

    assert not panel.load(bad)

    assert panel.result_label.objectName() == "errorLabel"
    assert panel.result_label.text().startswith(message)
    assert quiet_rules.own_rules(file_db) is None
