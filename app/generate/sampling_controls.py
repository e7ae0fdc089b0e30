"""The Sampling box of the Generate page: seed, image count, sampler, its steps and DDIM's eta
(shown only for the sampler that uses it), what the model card measured of that sampler and
those steps, and the button that loads settings from a saved image."""

from __future__ import annotations

import random

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.generate.view_model import MAX_COUNT, MAX_SEED, SAMPLER_HINTS, uses_eta
from engine.sampling import SAMPLERS


class SamplingControls(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sampling", parent)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("Image i starts from the noise of seed + i: the same seed gives the same images")
        self.randomise = QToolButton()
        self.randomise.setText("Random")
        self.randomise.setToolTip("Pick a random seed")
        self.randomise.clicked.connect(lambda: self.seed.setValue(random.randint(0, MAX_SEED)))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.randomise)
        self.count = QSpinBox()
        self.count.setRange(1, MAX_COUNT)
        self.count.setValue(16)
        self.count.setToolTip("Number of images to generate")
        self.sampler = QComboBox()
        for name in SAMPLERS:
            self.sampler.addItem(name, name)
            self.sampler.setItemData(self.sampler.count() - 1, SAMPLER_HINTS[name], Qt.ItemDataRole.ToolTipRole)
        self.sampler.setToolTip("Reverse-process sampler")
        self.steps = QSpinBox()
        self.steps.setRange(1, 1000)
        self.steps.setToolTip("Sampler steps (network calls per image batch)")
        self.eta = QDoubleSpinBox()
        self.eta.setRange(0.0, 1.0)
        self.eta.setSingleStep(0.1)
        self.eta.setToolTip("DDIM randomness: 0 = deterministic, 1 = like DDPM")
        self.measured = QLabel()  # what the model card measured of this sampler and steps
        self.measured.setWordWrap(True)
        self.measured.setToolTip("From the model card: the Fréchet distance of 5,000 generated images to real ones "
                                 "(lower is closer), at the model's recommended class and guidance")
        self.from_image_button = QPushButton("Settings from a saved image…")
        self.from_image_button.setToolTip("Make an image again: load the model, seed, sampler, steps, solver, class "
                                          "and start picture saved in a PNG from this app (or drop the PNG on this "
                                          "page)")
        self._form = QFormLayout(self)
        self._form.addRow("Seed", seed_row)
        self._form.addRow("Images", self.count)
        self._form.addRow("Sampler", self.sampler)
        self._form.addRow("Steps", self.steps)
        self._form.addRow("DDIM eta", self.eta)
        self._form.addRow(self.measured)
        self._form.addRow(self.from_image_button)
        self.sampler.currentIndexChanged.connect(self._show_eta)
        self._show_eta()

    def show_measured(self, text: str) -> None:
        """The card's words on the sampler and steps chosen (`tradeoff_words.sampler_in_words`);
        hidden where there are none."""
        self.measured.setText(text)
        self.measured.setVisible(bool(text))

    def _show_eta(self) -> None:
        self._form.setRowVisible(self.eta, uses_eta(self.sampler.currentData()))
