"""The Settings page: values saved, bad ones refused under their own field."""

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
