"""The background bridge: results, errors and progress arrive on the GUI thread."""

import threading

import pytest

from desktop_app.errors import ValidationError
from desktop_app.ui import tasks


def test_result_and_progress_arrive_on_the_gui_thread(qtbot):
    gui_thread = threading.get_ident()
    seen: dict[str, object] = {"progress": []}

    def job(context: tasks.TaskContext) -> int:
        seen["worker"] = threading.get_ident()
        for done in range(1, 4):
            context.progress(done, 3)
        return 42

    def on_success(value: object) -> None:
        seen["result"] = (value, threading.get_ident())

    def on_progress(done: int, total: int) -> None:
        seen["progress"].append((done, total, threading.get_ident()))  # type: ignore[union-attr]

    task = tasks.run_in_background(
        job, on_success=on_success, on_error=pytest.fail, on_progress=on_progress
    )
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass

    assert seen["worker"] != gui_thread
    assert seen["result"] == (42, gui_thread)
    assert [p[:2] for p in seen["progress"]] == [(1, 3), (2, 3), (3, 3)]  # type: ignore[union-attr]
    assert {p[2] for p in seen["progress"]} == {gui_thread}  # type: ignore[union-attr]
    assert tasks.running_tasks() == []


def test_errors_are_delivered_not_raised(qtbot):
    errors: list[BaseException] = []

    def job(_context: tasks.TaskContext) -> None:
        raise ValidationError("row 3: bad phone")

    task = tasks.run_in_background(job, on_success=pytest.fail, on_error=errors.append)
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass

    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert errors[0].message == "row 3: bad phone"


def test_cancel_sets_the_flag_the_job_polls(qtbot):
    started = threading.Event()
    results: list[object] = []

    def job(context: tasks.TaskContext) -> str:
        started.set()
        while not context.cancelled():
            threading.Event().wait(0.01)
        return "stopped"

    task = tasks.run_in_background(job, on_success=results.append, on_error=pytest.fail)
    assert started.wait(5)
    assert task.is_running()

    task.cancel()
    assert tasks.cancel_and_wait_all(5)
    qtbot.waitUntil(lambda: results == ["stopped"], timeout=5000)
    assert not task.is_running()
