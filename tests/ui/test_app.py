"""The composition root: start-up, the start-view hook, and the crash dialog."""

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop_app import app, paths
from desktop_app.ui import messages

ROOT = Path(__file__).resolve().parents[2]


def run_main(
    data_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


VIEW_MODULES = (
    "desktop_app.ui.contacts.contacts_view",
    "desktop_app.ui.templates.templates_view",
    "desktop_app.ui.compose.compose_view",
    "desktop_app.ui.history.history_view",
    "desktop_app.ui.automation.automation_view",
    "desktop_app.ui.reports.reports_view",
    "desktop_app.ui.settings.settings_view",
)
HEAVY = ("desktop_app.core.planning", "phonenumbers", "qrcode", "matplotlib")

# Runs the real run_gui in a child process and records, at the first paint and when
# the window is ready, which modules are loaded and whether the database exists.
WATCH_START = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app import app, paths
    from desktop_app.ui import main_window

    data_dir = Path(sys.argv[1])
    seen = {}

    def snapshot():
        return {
            "modules": sorted(
                m for m in sys.modules if m.startswith(("desktop_app", "phonenumbers",
                "qrcode", "matplotlib"))
            ),
            "database": paths.database_path(data_dir).is_file(),
            "views": sorted(window.views) if (window := main_window_ref()) else [],
        }

    windows = []

    def main_window_ref():
        return windows[0] if windows else None

    original_paint = main_window.MainWindow.paintEvent
    original_finish = main_window.MainWindow.finish_start

    def paint(self, event):
        if not windows:
            windows.append(self)
        if "paint" not in seen:
            seen["paint"] = snapshot()
        original_paint(self, event)

    def finish(self):
        done = original_finish(self)
        seen["ready"] = snapshot()
        QTimer.singleShot(0, QApplication.instance().quit)
        return done

    main_window.MainWindow.paintEvent = paint
    main_window.MainWindow.finish_start = finish
    status = app.run_gui(data_dir)
    print(json.dumps(seen))
    sys.exit(status)
    """
)


def test_window_paints_before_any_page_or_the_database_is_loaded(data_dir, tmp_path):
    script = tmp_path / "watch_start.py"
    script.write_text(WATCH_START, encoding="utf-8")
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DUET_START_VIEW": "history",
        "DUET_SKIP_FIRST_RUN": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, str(script), str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    at_paint, at_ready = seen["paint"], seen["ready"]
    assert not at_paint["database"]
    assert "desktop_app.storage.database" not in at_paint["modules"]
    assert at_paint["views"] == []
    for module in (*VIEW_MODULES, *HEAVY):
        assert module not in at_paint["modules"]
    assert at_ready["database"]
    assert at_ready["views"] == ["history"]
    assert "desktop_app.ui.history.history_view" in at_ready["modules"]
    assert "desktop_app.ui.compose.compose_view" not in at_ready["modules"]


def test_quit_after_start_opens_the_window_and_exits(data_dir):
    result = run_main(data_dir, "--quit-after-start", DUET_START_VIEW="history")

    assert result.returncode == 0, result.stderr
    log = (data_dir / "logs" / "duet.log").read_text(encoding="utf-8")
    assert "window opened on" in log
    assert "unknown DUET_START_VIEW" not in log
    # It quits at the first paint, before the database is needed.
    assert not paths.database_path(data_dir).exists()


def test_unknown_start_view_is_logged_and_ignored(data_dir):
    result = run_main(data_dir, "--quit-after-start", DUET_START_VIEW="nowhere")

    assert result.returncode == 0, result.stderr
    log = (data_dir / "logs" / "duet.log").read_text(encoding="utf-8")
    assert "unknown DUET_START_VIEW=nowhere" in log


@pytest.mark.allow_warning_log
def test_excepthook_logs_and_shows_calm_dialog(qapp, boxes, caplog):
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as error:
        with caplog.at_level(logging.ERROR, logger="desktop_app.app"):
            app._excepthook(type(error), error, error.__traceback__)

    assert boxes.kinds() == ["show_crash"]
    _parent, title, text, details = boxes.calls[0][1]
    assert title == messages.CRASH_TITLE
    assert text == messages.CRASH_TEXT
    assert "RuntimeError: boom in a slot" in details
    assert "boom in a slot" in caplog.text


@pytest.mark.allow_warning_log
def test_start_view_names_an_unknown_settings_tab(qtbot, data_dir, caplog):
    from desktop_app.ui.main_window import MainWindow

    window = MainWindow(None, data_dir, start_after_paint=False)
    qtbot.addWidget(window)

    with caplog.at_level(logging.WARNING, logger="desktop_app.app"):
        page = app._choose_start_view(window, "settings.nowhere")
        assert page == "nowhere"
        assert window.current_view_name() == "settings"
        app._show_settings_page(window, page)

    assert "unknown DUET_START_VIEW page nowhere" in caplog.text
    window.close()
    window.database.close()


def test_resources_exist():
    folder = app.resources_dir()

    assert (folder / "style.qss").is_file()
    assert (folder / "duet.svg").is_file()
