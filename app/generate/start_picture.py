"""The Generate page's "Start from a picture" box: the picture as the model sees it with the mask
painted over it, what fitting did, the strength, the brush and the harmonise passes. It shows the
view model's `StartPicture` and forwards edits to it; opening files (dialogs, reading them on a
worker) is the page's, through the buttons it exposes.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.generate.mask_canvas import MaskCanvas
from app.generate.mask_painting import DEFAULT_BRUSH, MAX_BRUSH, MIN_BRUSH
from app.generate.start_picture_state import StartPicture
from app.generate.view_model import RESAMPLE_TIP, STRENGTH_TIP, resample_note
from app.widgets.control_column import side_by_side
from app.widgets.value_slider import ValueSlider
from engine.steering import DEFAULT_RESAMPLE, MAX_RESAMPLE

HINT = ("Or drop a picture on this page. Generation then starts from it instead of from noise, and a mask painted "
        "over it redraws only that part (inpainting).")


class StartPictureBox(QGroupBox):
    changed = Signal()  # the picture, mask, strength or harmonising changed: what a run costs may have too

    def __init__(self, state: StartPicture, parent: QWidget | None = None) -> None:
        super().__init__("Start from a picture", parent)
        self._state = state
        self._sampler = ""
        self.open_button = QPushButton("Start from picture…")
        self.open_button.setToolTip("Open a picture to start from (any photo format), fitted to the model's size")
        self.clear_button = QPushButton("Clear picture")
        self.clear_button.setToolTip("Generate from noise again")
        self.hint = QLabel(HINT)
        self.hint.setWordWrap(True)
        self.canvas = MaskCanvas()
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color:#6b6b6b;")
        self.strength = ValueSlider(0.0, 1.0, 0.05)
        self.strength.setToolTip(STRENGTH_TIP)
        self.brush = QSpinBox()
        self.brush.setRange(MIN_BRUSH, MAX_BRUSH)
        self.brush.setValue(DEFAULT_BRUSH)
        self.brush.setSuffix(" px")
        self.brush.setToolTip("Brush width, in the model's pixels")
        self.erase = _tool_button("Erase", "Paint to keep rather than to redraw")
        self.erase.setCheckable(True)
        self.invert = _tool_button("Invert", "Redraw what is kept and keep what is redrawn")
        self.clear_mask = _tool_button("Clear mask", "Remove the mask: the whole picture is redrawn")
        self.open_mask_button = _tool_button("Open mask…", "A mask made elsewhere: white = redraw, black = keep")
        self.resample = QSpinBox()
        self.resample.setRange(1, MAX_RESAMPLE)
        self.resample.setValue(DEFAULT_RESAMPLE)
        self.resample.setSuffix(" passes")

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button, 1)
        buttons.addWidget(self.clear_button)
        self.details = QWidget()
        form = QFormLayout(self.details)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.canvas)
        form.addRow(self.description)
        form.addRow("Strength", self.strength)
        form.addRow("Brush", side_by_side(self.brush, self.erase, stretch_last=True))
        form.addRow("Mask", side_by_side(self.invert, self.clear_mask, self.open_mask_button, stretch_last=True))
        form.addRow("Harmonise", side_by_side(self.resample, stretch_last=True))
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        layout.addWidget(self.details)

        self.canvas.stroked.connect(self._on_stroke)
        self.strength.value_changed.connect(state.choose_strength)
        self.strength.value_changed.connect(self.changed)
        self.resample.valueChanged.connect(self.changed)
        self.brush.valueChanged.connect(self._on_brush)
        self.erase.toggled.connect(state.set_erasing)
        self.invert.clicked.connect(lambda: self._edit_mask(state.invert_mask))
        self.clear_mask.clicked.connect(lambda: self._edit_mask(state.clear_mask))
        self.canvas.set_brush(DEFAULT_BRUSH)
        self.refresh()

    def set_sampler(self, sampler: str) -> None:
        """Harmonising depends on the sampler as well as on the mask."""
        self._sampler = sampler
        self._show_resample()

    def refresh(self) -> None:
        """Show the state: a new picture, mask, strength, or none."""
        has_picture = self._state.picture is not None
        self.details.setVisible(has_picture)
        self.hint.setVisible(not has_picture)
        self.clear_button.setEnabled(has_picture)
        self.canvas.set_picture(self._state.display())
        self._show_mask()

    def _show_mask(self) -> None:
        mask = self._state.mask
        self.canvas.set_mask(None if mask is None else mask.pixels)
        self.description.setText(self._state.description())
        self.strength.set_value(self._state.strength)  # the default moves from img2img's to inpainting's
        self._show_resample()
        self.changed.emit()

    def _show_resample(self) -> None:
        note = resample_note(self._sampler, self._state.masked)
        self.resample.setEnabled(note is None)
        self.resample.setToolTip(RESAMPLE_TIP if note is None else f"{note}\n\n{RESAMPLE_TIP}")

    def _on_stroke(self, x0: float, y0: float, x1: float, y1: float) -> None:
        if self._state.paint((x0, y0), (x1, y1)):
            self._show_mask()

    def _on_brush(self, size: int) -> None:
        self._state.set_brush(size)
        self.canvas.set_brush(size)

    def _edit_mask(self, edit) -> None:
        edit()
        self._show_mask()


def _tool_button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button
