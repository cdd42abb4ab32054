"""The first-run guide: shown once on an empty database, saves as it goes, skippable."""

import pytest

from desktop_app import paths
from desktop_app.storage import settings, templates
from desktop_app.storage.database import open_database
from desktop_app.ui.first_run import state
from desktop_app.ui.first_run.guide import (
    STEP_IMPORT,
    STEP_SHOP,
    STEP_TEST,
    FirstRunGuide,
)
from desktop_app.ui.main_window import MainWindow

WAIT = 20000


@pytest.fixture
def opened(qtbot, data_dir, monkeypatch):
    """Open windows and their databases; windows are closed before the databases."""
    monkeypatch.delenv("DUET_SKIP_FIRST_RUN", raising=False)
    windows: list[tuple[MainWindow, object]] = []
    yield windows
    for window, db in windows:
        if window.first_run_guide is not None:
            window.first_run_guide.close()
        window.close()
        if db is not None:
            db.close()


def empty_file_db(data_dir):
    return open_database(paths.database_path(data_dir))


def make_window(qtbot, db, data_dir, opened) -> MainWindow:
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    opened.append((window, db))
    window.show()
    qtbot.waitExposed(window)
    return window


def test_guide_opens_on_an_empty_database_and_never_after_skip(
    qtbot, data_dir, monkeypatch, opened
):
    db = empty_file_db(data_dir)
    window = make_window(qtbot, db, data_dir, opened)

    assert window.maybe_show_first_run() is True
    guide = window.first_run_guide
    assert isinstance(guide, FirstRunGuide)
    assert guide.isVisible()
    assert not guide.isModal()

    guide.skip()

    assert not guide.isVisible()
    assert state.first_run_done(db)
    assert window.first_run_guide is None
    assert window.maybe_show_first_run() is False


def test_guide_is_not_shown_for_a_shop_with_data(qtbot, shop_db, data_dir, opened):
    window = make_window(qtbot, shop_db, data_dir, opened)
    opened[-1] = (window, None)

    assert state.needs_first_run(shop_db) is False
    assert window.maybe_show_first_run() is False
    assert window.first_run_guide is None


def test_skip_environment_variable_suppresses_the_guide(
    qtbot, data_dir, monkeypatch, opened
):
    db = empty_file_db(data_dir)
    window = make_window(qtbot, db, data_dir, opened)
    monkeypatch.setenv("DUET_SKIP_FIRST_RUN", "1")

    assert window.maybe_show_first_run() is False
    assert state.needs_first_run(db) is True


def test_steps_save_country_and_shop_and_refuse_bad_values(
    qtbot, data_dir, monkeypatch, opened
):
    db = empty_file_db(data_dir)
    window = make_window(qtbot, db, data_dir, opened)
    window.maybe_show_first_run()
    guide = window.first_run_guide

    guide.country_combo.setCurrentIndex(guide.country_combo.findData("GB"))
    assert guide.next_step()
    assert guide.current_step() == STEP_SHOP
    assert settings.get_setting(db, "phones.default_region") == "GB"

    guide.shop_edits["shop.name"].setText("Corner Shop")
    guide.shop_edits["shop.address"].setText("1 Example Street, Springfield")
    with qtbot.waitSignal(guide.settings_changed):
        assert guide.next_step()
    assert guide.current_step() == STEP_IMPORT
    assert settings.get_setting(db, "shop.name") == "Corner Shop"
    assert window.windowTitle() == "Duet — Corner Shop"
    assert window.settings_view.edits["shop.name"].text() == "Corner Shop"

    monkeypatch.setattr(settings, "SPECS_BY_KEY", {})  # every key now unknown
    guide.go_to(STEP_SHOP)
    assert guide.next_step() is False
    assert guide.current_step() == STEP_SHOP
    assert guide.shop_error.isVisible()
    assert "Unknown setting" in guide.shop_error.text()


def test_import_step_opens_the_contacts_import(qtbot, data_dir, monkeypatch, opened):
    db = empty_file_db(data_dir)
    window = make_window(qtbot, db, data_dir, opened)
    window.show_view("settings")
    window.maybe_show_first_run()
    guide = window.first_run_guide
    opened = []
    monkeypatch.setattr(
        "desktop_app.ui.contacts.contacts_view.QFileDialog.getOpenFileName",
        lambda *args, **kwargs: opened.append(args) or ("", ""),
    )

    guide.go_to(STEP_IMPORT)
    guide.import_button.click()

    assert window.current_view_name() == "contacts"
    assert len(opened) == 1
    assert guide.isVisible()


def test_test_pair_lands_in_the_outbox(qtbot, data_dir, monkeypatch, opened):
    db = empty_file_db(data_dir)
    settings.set_setting(db, "shop.address", "1 Example Street, Springfield")
    window = make_window(qtbot, db, data_dir, opened)
    window.maybe_show_first_run()
    guide = window.first_run_guide
    guide.go_to(STEP_TEST)
    guide.test_edits["first_name"].setText("Sam")
    guide.test_edits["phone"].setText("(212) 555-0150")
    guide.test_edits["email"].setText("sam@example.com")

    with qtbot.waitSignal(guide.test_pair_sent, timeout=WAIT) as sent:
        guide.send_test()

    summary = sent.args[0]
    assert summary.sent + summary.queued == 2
    outbox = paths.outbox_dir(data_dir)
    assert str(outbox) in guide.test_result.text()
    assert guide.open_outbox_button.isVisible()
    files = list(outbox.rglob("*.*"))
    assert len(files) == summary.sent
    assert [t.name for t in templates.list_templates(db)] == ["Welcome"]
    assert window.contacts_view.model.rowCount() == 1

    with qtbot.waitSignal(guide.test_pair_sent, timeout=WAIT):
        guide.send_test()  # trying it twice is fine: no "sent already" refusal
    assert len(list(outbox.rglob("*.*"))) == 2 * summary.sent

    guide.next_step()  # the last step: finish
    assert state.first_run_done(db)
    assert not guide.isVisible()


def test_test_pair_needs_a_phone_or_an_email(qtbot, data_dir, monkeypatch, opened):
    db = empty_file_db(data_dir)
    window = make_window(qtbot, db, data_dir, opened)
    window.maybe_show_first_run()
    guide = window.first_run_guide

    guide.send_test()
    qtbot.waitUntil(lambda: guide.task is None, timeout=WAIT)

    assert (
        guide.test_result.text() == "Type your mobile number or your email (or both)."
    )
    assert guide.test_result.objectName() == "errorLabel"
    assert db["contacts"].count == 0
