"""The Train page's model and schedule settings, turned into an engine `TrainingConfig`.

When an existing run is continued, the settings that define the model (architecture, size,
channels...) come from the run folder and are locked; only the step target and intervals stay
editable, which is exactly what `train(resume=True)` accepts.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox, QVBoxLayout, QWidget

from engine.models import PRESETS, WIDTH_FIELDS
from engine.training import DEFAULT_KEEP_CHECKPOINTS, TrainingConfig

PRESET_HINTS = {
    "cunet": "cUNet at the paper's widths (large; GPU recommended)",
    "cunet-paper": "the paper's original cUNet, for comparison",
    "cunet-small": "narrow cUNet: trains on a laptop CPU in about an hour (28-32 px)",
    "unet": "discrete U-Net baseline (large)",
    "unet-small": "small discrete U-Net baseline",
}


def _spin(low: int, high: int, value: int, tip: str, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSingleStep(step)
    box.setToolTip(tip)
    return box


class TrainingForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keep_checkpoints = DEFAULT_KEEP_CHECKPOINTS  # a continued run's own number: not on the form
        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(name, name)
        self.preset.setCurrentIndex(self.preset.findData("cunet-small"))
        self.preset.currentIndexChanged.connect(lambda: self.preset.setToolTip(PRESET_HINTS.get(self.preset.currentData(), "")))
        self.preset.setToolTip(PRESET_HINTS["cunet-small"])
        self.network_width = _spin(0, 256, 0, "Base channel width of the network; 'preset' keeps the preset's width. "
                                      "Smaller is faster to train, larger can learn more.")
        self.network_width.setSpecialValueText("preset")
        self.image_size = _spin(8, 512, 32, "Training images are resized and cropped to this square size", 4)
        self.channels = QComboBox()
        self.channels.addItem("Colour (RGB)", 3)
        self.channels.addItem("Greyscale", 1)
        self.batch = _spin(1, 1024, 32, "Images per optimizer step")
        self.steps = _spin(1, 10_000_000, 5000, "Train until this optimizer step", 100)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1e-1)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(5e-4)
        self.lr.setToolTip("Peak learning rate (AdamW, cosine decay)")
        self.warmup = _spin(0, 100_000, 200, "Steps over which the learning rate ramps up", 50)
        self.save_every = _spin(1, 1_000_000, 500, "Save a resumable checkpoint every N steps", 50)
        self.sample_every = _spin(1, 1_000_000, 500, "Draw the fixed-seed sample grid every N steps; the page "
                                  "also asks for one whenever none has come for a minute and a half", 50)
        self.validate_every = _spin(1, 1_000_000, 250, "Measure the validation loss every N steps", 50)

        model_box = QGroupBox("Model")
        model_form = QFormLayout(model_box)
        model_form.addRow("Architecture", self.preset)
        model_form.addRow("Width", self.network_width)
        model_form.addRow("Image size", self.image_size)
        model_form.addRow("Channels", self.channels)
        schedule_box = QGroupBox("Schedule")
        schedule_form = QFormLayout(schedule_box)
        schedule_form.addRow("Batch size", self.batch)
        schedule_form.addRow("Steps", self.steps)
        schedule_form.addRow("Learning rate", self.lr)
        schedule_form.addRow("Warm-up steps", self.warmup)
        schedule_form.addRow("Save every", self.save_every)
        schedule_form.addRow("Samples every", self.sample_every)
        schedule_form.addRow("Validate every", self.validate_every)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(model_box)
        layout.addWidget(schedule_box)
        self._fixed_by_run = [self.preset, self.network_width, self.image_size, self.channels, self.batch, self.lr, self.warmup]

    def config(self, data: str, out: str, device: str, card: dict[str, Any]) -> TrainingConfig:
        """Raises ConfigError for impossible values (the engine validates)."""
        preset = self.preset.currentData()
        arch = PRESETS[preset][0]
        overrides = {WIDTH_FIELDS[arch]: self.network_width.value()} if self.network_width.value() else {}
        return TrainingConfig(
            data=data, out=out, preset=preset, network_overrides=overrides, image_size=self.image_size.value(),
            channels=self.channels.currentData(), steps=self.steps.value(), batch_size=self.batch.value(),
            lr=self.lr.value(), warmup_steps=self.warmup.value(), save_every=self.save_every.value(),
            sample_every=self.sample_every.value(), validate_every=self.validate_every.value(), device=device,
            card=card, keep_checkpoints=self._keep_checkpoints,
        )

    def show_run(self, config: TrainingConfig, reached_step: int) -> None:
        """Fill in a run folder's stored settings and lock those it fixes."""
        self.preset.setCurrentIndex(self.preset.findData(config.preset))
        arch = PRESETS[config.preset][0] if config.preset in PRESETS else "cunet"
        self.network_width.setValue(int(config.network_overrides.get(WIDTH_FIELDS[arch], 0)))
        self.image_size.setValue(config.image_size)
        self.channels.setCurrentIndex(self.channels.findData(config.channels))
        self.batch.setValue(config.batch_size)
        self.lr.setValue(config.lr)
        self.warmup.setValue(config.warmup_steps)
        self.steps.setValue(max(config.steps, reached_step + 1))
        self.save_every.setValue(config.save_every)
        self.sample_every.setValue(config.sample_every)
        self.validate_every.setValue(config.validate_every)
        self._keep_checkpoints = config.keep_checkpoints
        self.set_locked(True)

    def set_locked(self, locked: bool) -> None:
        """Locked while the form shows a run to continue: a run keeps its data, network and
        optimiser settings; only the step target and intervals can change."""
        for widget in self._fixed_by_run:
            widget.setEnabled(not locked)
