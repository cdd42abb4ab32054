"""The composition root: start-up, the start-view hook, and the crash dialog."""

import logging
import os
import subprocess
import sys
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


def test_quit_after_start_opens_the_window_and_exits(data_dir):
    result = run_main(data_dir, "--quit-after-start", DUET_START_VIEW="history")

    assert result.returncode == 0, result.stderr
    assert paths.database_path(data_dir).is_file()
    log = (data_dir / "logs" / "duet.log").read_text(encoding="utf-8")
    assert "window opened on" in log
    assert "unknown DUET_START_VIEW" not in log


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


def test_resources_exist():
    folder = app.resources_dir()

    assert (folder / "style.qss").is_file()
    assert (folder / "duet.svg").is_file()
