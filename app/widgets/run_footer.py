"""The foot of the Generate and Denoise control columns: the page's start button, Cancel beside
it, and a progress bar under both that says what the job is doing.

One class so that the two pages cannot drift apart in how a run looks while it waits (an empty,
moving bar), runs (done / total) and ends (full when it completed, empty when it did not).
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout


class RunFooter(QVBoxLayout):
    def __init__(self, start_text: str, start_tip: str, cancel_tip: str) -> None:
        super().__init__()
        self.start_button = QPushButton(start_text)
        self.start_button.setDefault(True)
        self.start_button.setToolTip(start_tip)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip(cancel_tip)
        self.progress = QProgressBar()
        self.progress.setFormat("Ready")
        self.progress.setValue(0)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.cancel_button)
        self.addLayout(buttons)
        self.addWidget(self.progress)

    def show_waiting(self, text: str) -> None:
        """A busy bar without a fraction: loading a model or a photo takes an unknown time."""
        self.progress.setRange(0, 0)
        self.progress.setFormat(text)

    def show_step(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(text)

    def show_outcome(self, completed: bool, text: str) -> None:
        """The run's last word: a full bar if it did all it was asked, an empty one if not."""
        self.show_step(int(completed), 1, text)
