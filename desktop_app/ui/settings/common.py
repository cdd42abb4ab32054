"""Small building blocks shared by the Settings pages: result lines, panels, paths."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

PAGE_MAX_WIDTH = 820


def result_label() -> QLabel:
    """Return an empty, word-wrapped line for the answer of a check or a save."""
    label = QLabel()
    label.setObjectName("mutedLabel")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setVisible(False)
    return label


def show_result(label: QLabel, text: str, kind: str = "ok") -> None:
    """Show ``text`` in ``label`` coloured by ``kind`` (``ok``, ``error``, ``busy``)."""
    names = {"ok": "okLabel", "error": "errorLabel", "busy": "mutedLabel"}
    label.setObjectName(names[kind])
    label.setText(text)
    label.setVisible(bool(text))
    label.style().unpolish(label)
    label.style().polish(label)


def help_label(text: str) -> QLabel:
    """Return a muted, word-wrapped explanation."""
    label = QLabel(text)
    label.setObjectName("helpLabel")
    label.setWordWrap(True)
    return label


def path_label(path: Path) -> QLabel:
    """Return a selectable label showing a file or folder path."""
    label = QLabel(str(path))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


def notice_panel() -> tuple[QFrame, QLabel, QLabel]:
    """Return a framed warning panel with a bold title and a text line."""
    panel = QFrame()
    panel.setObjectName("noticePanel")
    title = QLabel()
    title.setObjectName("noticeTitle")
    title.setWordWrap(True)
    text = QLabel()
    text.setObjectName("noticeText")
    text.setWordWrap(True)
    text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(12, 10, 12, 10)
    layout.setSpacing(4)
    layout.addWidget(title)
    layout.addWidget(text)
    return panel, title, text


def scrolling_page(*parts: QWidget) -> tuple[QScrollArea, QVBoxLayout]:
    """Stack ``parts`` in a width-limited column inside a frameless scroll area."""
    inner = QWidget()
    inner.setMaximumWidth(PAGE_MAX_WIDTH)
    layout = QVBoxLayout(inner)
    layout.setContentsMargins(16, 12, 16, 12)
    layout.setSpacing(12)
    for part in parts:
        layout.addWidget(part)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(inner)
    return scroll, layout
