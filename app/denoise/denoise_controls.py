"""Denoising settings: noise level (auto-estimated or manual), strength, steps, self-ensemble, tile size."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.denoise import ENSEMBLE_SIZES, DenoiseSettings

STRENGTH_ENDS = ("Smooth (fastest)", "Detailed")
TILE_CHOICES = (("Auto", None), ("64 px", 64), ("128 px", 128), ("256 px", 256), ("512 px", 512))


class DenoiseControls(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auto_sigma = QCheckBox("Auto")
        self.auto_sigma.setChecked(True)
        self.auto_sigma.setToolTip("Estimate the noise level of each photo (wavelet estimator on its quietest areas)")
        self.sigma = QDoubleSpinBox()
        self.sigma.setRange(0.0, 100.0)
        self.sigma.setDecimals(1)
        self.sigma.setValue(25.0)
        self.sigma.setSuffix(" σ")
        self.sigma.setToolTip("Noise standard deviation in 0-255 units (e.g. 15 light, 25 medium, 50 heavy)")
        self.estimate = QLabel("")
        self.estimate.setToolTip("The noise level estimated from the last photo")
        sigma_row = QHBoxLayout()
        sigma_row.addWidget(self.auto_sigma)
        sigma_row.addWidget(self.sigma, 1)
        sigma_row.addWidget(self.estimate)

        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setToolTip("Left: one network call per tile, the fastest (smooth texture).\n"
                                 "Right: the full reverse path in the chosen steps: sharper grain and texture, "
                                 "but texture the noise destroyed is invented.\n"
                                 "At moderate noise the scores barely differ; the right end with 3 steps scored a "
                                 "little higher.")
        # The scale's ends are named, not numbered: "0 %" read as "does nothing", yet it denoises fully.
        self.strength_low = QLabel(STRENGTH_ENDS[0])
        self.strength_high = QLabel(STRENGTH_ENDS[1])
        ends = QHBoxLayout()
        for label in (self.strength_low, self.strength_high):
            label.setStyleSheet("color:#6b6b6b;")
        ends.addWidget(self.strength_low)
        ends.addStretch(1)
        ends.addWidget(self.strength_high)
        strength_column = QVBoxLayout()
        strength_column.setSpacing(0)
        strength_column.addWidget(self.strength)
        strength_column.addLayout(ends)
        self.steps = QSpinBox()
        self.steps.setRange(1, 100)
        self.steps.setValue(10)
        self.steps.setToolTip("Sampler steps at the detailed end of Strength (fewer in between, none at the smooth end;\n"
                              "one network call per step and tile)")
        self.ensemble = QComboBox()
        for size in ENSEMBLE_SIZES:
            self.ensemble.addItem("Off" if size == 1 else f"{size} copies ({size}x time)", size)
        self.ensemble.setToolTip("Self-ensemble: denoise rotated and mirrored copies of the photo and average them.\n"
                                 "A little cleaner (about +0.1 to +0.5 dB PSNR with 8 copies) for that many times the work.")
        self.tile_size = QComboBox()
        for label, value in TILE_CHOICES:
            self.tile_size.addItem(label, value)
        self.tile_size.setToolTip("Photos are denoised in overlapping, blended tiles. Auto = the size the model was\n"
                                  "trained on (64 px for the photo denoiser), which gives the cleanest result.\n"
                                  "Other sizes are for experiments: larger tiles come out less clean.")

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Noise level", sigma_row)
        form.addRow("Strength", strength_column)
        form.addRow("Steps", self.steps)
        form.addRow("Self-ensemble", self.ensemble)
        form.addRow("Tile size", self.tile_size)
        self.auto_sigma.toggled.connect(self._update_state)
        self.strength.valueChanged.connect(self._update_state)
        self._update_state()

    def settings(self) -> DenoiseSettings:
        sigma = None if self.auto_sigma.isChecked() else self.sigma.value()
        return DenoiseSettings(sigma=sigma, strength=self.strength.value() / 100, steps=self.steps.value(),
                               tile_size=self.tile_size.currentData(), ensemble=self.ensemble.currentData())

    def show_estimate(self, sigma: float) -> None:
        """Show the estimate; in auto mode the spin box follows it, so switching to manual
        starts from the measured value."""
        self.estimate.setText(f"est. {sigma:.1f}")
        if self.auto_sigma.isChecked():
            self.sigma.setValue(min(sigma, self.sigma.maximum()))

    def _update_state(self) -> None:
        self.sigma.setEnabled(not self.auto_sigma.isChecked())
        self.steps.setEnabled(self.strength.value() > 0)
