"""A strip with a text, a progress bar and a Cancel button, for long jobs."""

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class ProgressPanel(QWidget):
    """Shows how far a background job is and lets the user stop it.

    Signals:
        cancel_requested(): the user clicked Cancel.
    """

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(200)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    def start(self, text: str) -> None:
        """Show the panel with ``text`` and a busy bar until the first progress."""
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.setVisible(True)

    def set_progress(self, done: int, total: int, text: str | None = None) -> None:
        """Move the bar to ``done`` of ``total``."""
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        if text is not None:
            self.bar.setFormat(text)

    def stop(self) -> None:
        """Hide the panel."""
        self.setVisible(False)
        self.bar.setFormat("%p%")

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Stopping…")
        self.cancel_requested.emit()
