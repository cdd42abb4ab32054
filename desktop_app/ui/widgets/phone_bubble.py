"""An SMS shown as a phone shows it: one bubble, with its billed segments marked.

Each segment is a part of the bubble with its own shade, and when there is more than
one, a small "segment 2 of 3" caption above it, so the owner sees where the message
is cut and what each part costs.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop_app.core import segments

_SHADES = ("#e4e6eb", "#d3dbe8")
_BUBBLE_STYLE = (
    "QFrame#phoneBubble { background: #e4e6eb; border-radius: 12px; }"
    "QLabel#bubblePart { color: #111111; padding: 4px 8px; border-radius: 6px; }"
    "QLabel#segmentCaption { color: #5f6b68; font-size: 8pt; padding: 0 8px; }"
    "QLabel#bubblePlaceholder { color: #5f6b68; padding: 4px 8px; }"
)


class PhoneBubble(QFrame):
    """A message bubble whose segments are shaded alternately and labelled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("phoneBubble")
        self.setStyleSheet(_BUBBLE_STYLE)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._text = ""
        self._parts: list[str] = []
        self.part_labels: list[QLabel] = []
        self.caption_labels: list[QLabel] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.setSpacing(2)
        self.placeholder = QLabel()
        self.placeholder.setObjectName("bubblePlaceholder")
        self.placeholder.setWordWrap(True)
        self._layout.addWidget(self.placeholder)

    def set_message(self, text: str) -> None:
        """Show ``text`` split into the segments it is billed as."""
        self._text = text
        self._parts = segments.split_segments(text)
        self._clear_parts()
        self.placeholder.setVisible(not self._parts)
        self.placeholder.setText("(empty: nothing would be sent)")
        total = len(self._parts)
        for number, part in enumerate(self._parts, start=1):
            if total > 1:
                caption = QLabel(f"segment {number} of {total}")
                caption.setObjectName("segmentCaption")
                caption.setAlignment(Qt.AlignmentFlag.AlignRight)
                self.caption_labels.append(caption)
                self._layout.addWidget(caption)
            label = QLabel(part)
            label.setObjectName("bubblePart")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shade = _SHADES[(number - 1) % 2] if total > 1 else _SHADES[0]
            label.setStyleSheet(f"background: {shade};")
            self.part_labels.append(label)
            self._layout.addWidget(label)

    def set_placeholder(self, text: str) -> None:
        """Show a note instead of a message (no contact chosen, no template)."""
        self._text = text
        self._parts = []
        self._clear_parts()
        self.placeholder.setText(text)
        self.placeholder.setVisible(True)

    def text(self) -> str:
        """Return the whole message shown (or the placeholder's note)."""
        return self._text

    def parts(self) -> list[str]:
        """Return the text of each segment shown, in order."""
        return list(self._parts)

    def _clear_parts(self) -> None:
        for label in [*self.part_labels, *self.caption_labels]:
            self._layout.removeWidget(label)
            label.deleteLater()
        self.part_labels = []
        self.caption_labels = []
