"""The reverse process side by side: the noisy x_t and the network's predicted clean image x̂0.

Live, it follows the sampler; after a run, its timeline slider scrubs through every recorded
step of the selected image. For a pixel-space model x̂0 *is* the picture, so the preview costs
nothing and is legible from the first steps.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSlider, QWidget

from app.widgets.pixel_view import PixelView


class ReverseProcessView(QWidget):
    position_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.x_t_view = PixelView("The noisy image x_t appears here while generating.")
        self.x0_view = PixelView("The predicted clean image appears here while generating.")
        self.caption = QLabel("No generation yet")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setToolTip("Scrub through every step of the selected image's reverse process")
        self.timeline.setEnabled(False)
        self.timeline.setPageStep(1)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for column, text in enumerate(("Noisy image x_t", "Predicted clean image x̂0")):
            title = QLabel(f"<b>{text}</b>")
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(title, 0, column)
        layout.addWidget(self.x_t_view, 1, 0)
        layout.addWidget(self.x0_view, 1, 1)
        layout.addWidget(self.timeline, 2, 0, 1, 2)
        layout.addWidget(self.caption, 3, 0, 1, 2)
        layout.setRowStretch(1, 1)
        self.timeline.valueChanged.connect(self.position_changed)
        self._live_offset = 0

    def show_pair(self, x_t: np.ndarray, predicted_x0: np.ndarray, caption: str) -> None:
        self.x_t_view.set_image(x_t)
        self.x0_view.set_image(predicted_x0)
        self.caption.setText(caption)

    def set_timeline(self, positions: int, position: int) -> None:
        """Enable scrubbing over `positions` frames, move to `position` and show it."""
        self._place(position, maximum=max(0, positions - 1))
        self.timeline.setEnabled(positions > 1)
        self.position_changed.emit(self.timeline.value())

    def start_live(self, start: tuple[np.ndarray, str] | None = None) -> None:
        """A new run begins: the slider leaves the old run's scrub position for its first one and
        is locked until the run is done. A run from a start picture (`start`: the picture and its
        caption) shows it first, as its timeline will afterwards, so each step comes one later."""
        self._live_offset = 0 if start is None else 1
        self._place(0)
        self.timeline.setEnabled(False)
        if start is not None:
            self.show_pair(start[0], start[0], start[1])

    def show_live(self, x_t: np.ndarray, predicted_x0: np.ndarray, step: int, steps: int, caption: str) -> None:
        """The live frame of sampler step `step` of `steps` (from 1); the slider follows it, so it
        says what the caption says."""
        self.show_pair(x_t, predicted_x0, caption)
        # one position per step, plus the final image (and the start picture before them)
        self._place(self._live_offset + step - 1, maximum=self._live_offset + steps)

    def _place(self, position: int, maximum: int | None = None) -> None:
        """Move the slider without asking for that position's recorded frame (live, there is none)."""
        self.timeline.blockSignals(True)
        if maximum is not None:
            self.timeline.setRange(0, maximum)
        self.timeline.setValue(position)
        self.timeline.blockSignals(False)
