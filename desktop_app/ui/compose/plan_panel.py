"""The review of a plan as readable lines: each skip reason or notice, word-wrapped,
with a "Who?" button that lists the customers it concerns."""

import logging

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

WHO = "Who?"
HIDE = "Hide"
WHO_TIP = "Show the customers this line concerns"


class PlanGroupRow(QWidget):
    """One line of the review and, behind "Who?", the customers it concerns."""

    def __init__(
        self, title: str, members: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.members = members
        self.title = QLabel(title)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.who_button = QToolButton()
        self.who_button.setText(WHO)
        self.who_button.setToolTip(WHO_TIP)
        self.who_button.setCheckable(True)
        self.who_button.setVisible(bool(members))
        self.names = QLabel("\n".join(members))
        self.names.setObjectName("mutedLabel")
        self.names.setWordWrap(True)
        self.names.setTextFormat(Qt.TextFormat.PlainText)
        self.names.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.names.setVisible(False)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.who_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.names)
        self.who_button.toggled.connect(self._on_who_button_toggled)

    def show_members(self, shown: bool) -> None:
        """Show or hide the customers' names."""
        self.who_button.setChecked(shown and bool(self.members))

    def members_shown(self) -> bool:
        """Return True while the names are open."""
        return self.names.isVisibleTo(self)

    @Slot(bool)
    def _on_who_button_toggled(self, checked: bool) -> None:
        self.names.setVisible(checked)
        self.who_button.setText(HIDE if checked else WHO)


class PlanPanel(QScrollArea):
    """The plan's text on top, then one :class:`PlanGroupRow` per line; it scrolls
    as a whole when the window is small."""

    def __init__(self, header: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PlanGroupRow] = []
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(0, 0, 4, 0)
        self._layout.setSpacing(2)
        self._layout.addWidget(header)
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setSpacing(0)
        self._layout.addLayout(self._rows_layout)
        self._layout.addStretch(1)
        self.setWidget(inner)

    def set_groups(self, groups: list[tuple[str, list[str]]]) -> None:
        """Show these lines, each with the names of the customers it concerns."""
        self.clear_groups()
        for title, members in groups:
            row = PlanGroupRow(title, members)
            self.rows.append(row)
            self._rows_layout.addWidget(row)
            row.show()  # at once, not on the layout's next pass

    def clear_groups(self) -> None:
        """Remove every line."""
        for row in self.rows:
            self._rows_layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        self.rows = []
