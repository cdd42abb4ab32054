"""The real message boxes of ui/feedback (other tests patch them out)."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop_app.ui import feedback

# Taken at import, before the autouse fixture in conftest patches the boxes out.
REAL_INFORM = feedback.inform


def _close_box_soon(found: list[QMessageBox]) -> None:
    def close() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                found.append(widget)
                widget.done(0)

    QTimer.singleShot(50, close)


def test_feedback_box_is_window_modal_over_its_parent(qtbot) -> None:
    parent = QWidget()
    qtbot.add_widget(parent)
    box = feedback._box(parent, QMessageBox.Icon.Information, "Title", "Text")

    assert box.windowModality() == Qt.WindowModality.WindowModal
    assert feedback._box(None, QMessageBox.Icon.Warning, "T", "x").windowModality() == (
        Qt.WindowModality.ApplicationModal
    )


def test_feedback_inform_shows_a_real_box(qtbot) -> None:
    parent = QWidget()
    qtbot.add_widget(parent)
    found: list[QMessageBox] = []
    _close_box_soon(found)

    REAL_INFORM(parent, "Done", "Saved.")

    assert found and found[0].text() == "Saved."
