"""The Train page's model, class and schedule settings, as the `TrainingConfig` fields they set.

"Train for the speed/quality dial" sets the solver mix and kinetic-energy weight the bundled
models were trained with (`RECOMMENDED_MIX`): a cUNet trained with one solver learns that solver's
discrete map, and Generate's cheaper solvers then make noise (docs/models.md, "Solver-robust
training"). It is off by default, as the engine's defaults are: its steps cost more.

A new run starts at the engine's defaults (`TrainingConfig.default`) but for its length
(`FIRST_RUN_STEPS`). While the form shows a run to continue, only the settings a resume may change
(the engine's `RESUMABLE_FIELDS`) stay editable, and only they are given: the run keeps the rest.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.models import PRESETS, WIDTH_FIELDS
from engine.training import RESUMABLE_FIELDS, TrainingConfig
from engine.training.solver_mix import RECOMMENDED_KINETIC_WEIGHT, RECOMMENDED_MIX

# The step target a new run in the app starts with, shorter than the engine's default (which suits
# scripted runs): a first run of the small preset should end in about the hour on a laptop CPU
# that its hint promises.
FIRST_RUN_STEPS = 5000

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
        default = TrainingConfig.default
        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(name, name)
        self.preset.setCurrentIndex(self.preset.findData(default("preset")))
        self.preset.currentIndexChanged.connect(lambda: self.preset.setToolTip(PRESET_HINTS.get(self.preset.currentData(), "")))
        self.preset.setToolTip(PRESET_HINTS.get(default("preset"), ""))
        self.network_width = _spin(0, 256, 0, "Base channel width of the network; 'preset' keeps the preset's width. "
                                      "Smaller is faster to train, larger can learn more.")
        self.network_width.setSpecialValueText("preset")
        self.image_size = _spin(8, 512, default("image_size"), "Training images are resized and cropped to this "
                                "square size", 4)
        self.channels = QComboBox()
        self.channels.addItem("Colour (RGB)", 3)
        self.channels.addItem("Greyscale", 1)
        self.channels.setCurrentIndex(self.channels.findData(default("channels")))
        self.classes = QComboBox()
        self.classes.addItem("None", False)
        self.classes.addItem("One per subfolder (or .npz label)", True)
        self.classes.setCurrentIndex(self.classes.findData(default("classes")))
        self.classes.setToolTip("With classes the model learns each one (a subfolder of the training folder, or a "
                                ".npz's labels), and Generate can ask it for a class, with guidance; it still makes "
                                "images of no class in particular too")
        self.class_balance = QDoubleSpinBox()
        self.class_balance.setRange(0.0, 1.0)
        self.class_balance.setDecimals(2)
        self.class_balance.setSingleStep(0.25)
        self.class_balance.setValue(default("class_balance"))
        self.class_balance.setToolTip("How much more often to show the classes with few images: 0 shows the images "
                                      "as the folder holds them, 1 every class equally often. Raise it when a small "
                                      "class comes out as smears")
        self.classes.currentIndexChanged.connect(self._enable_class_balance)
        self.dial = QCheckBox("for the speed/quality dial")
        self.dial.setToolTip(
            "Train for Generate's speed/quality dial: each step solves the ODE blocks with one of Euler × 1, "
            "midpoint × 1, RK4 × 1 and RK4 × 2, with a small penalty on the flow's kinetic energy, as the bundled "
            "models were trained. Without it the model learns its one solver only, and cheaper solvers make "
            "noise. Steps take longer: the ODE blocks are evaluated about twice as often on average. cUNet only")
        self.preset.currentIndexChanged.connect(self._enable_dial)
        self.batch = _spin(1, 1024, default("batch_size"), "Images per optimizer step")
        self.steps = _spin(1, 10_000_000, FIRST_RUN_STEPS, "Train until this optimizer step", 100)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1e-1)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(default("lr"))
        self.lr.setToolTip("Peak learning rate (AdamW, cosine decay)")
        self.warmup = _spin(0, 100_000, default("warmup_steps"), "Steps over which the learning rate ramps up", 50)
        self.save_every = _spin(1, 1_000_000, default("save_every"), "Save a resumable checkpoint every N steps", 50)
        self.sample_every = _spin(1, 1_000_000, default("sample_every"), "Draw the fixed-seed sample grid every N "
                                  "steps; the page also asks for one whenever none has come for a minute and a half",
                                  50)
        self.validate_every = _spin(1, 1_000_000, default("validate_every"), "Measure the validation loss every N "
                                    "steps", 50)

        model_box = QGroupBox("Model")
        model_form = QFormLayout(model_box)
        architecture_row = QHBoxLayout()  # the dial beside the architecture it needs: no extra row to scroll to
        architecture_row.addWidget(self.preset, 1)
        architecture_row.addWidget(self.dial)
        model_form.addRow("Architecture", architecture_row)
        model_form.addRow("Width", self.network_width)
        model_form.addRow("Image size", self.image_size)
        model_form.addRow("Channels", self.channels)
        classes_row = QHBoxLayout()  # one row: the form fits a 800 px high window without scrolling
        classes_row.addWidget(self.classes, 1)
        classes_row.addWidget(QLabel("balance"))
        classes_row.addWidget(self.class_balance)
        model_form.addRow("Classes", classes_row)
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
        # The TrainingConfig field each input sets (the width: the preset's width field in network_overrides).
        self._inputs: dict[str, QSpinBox | QDoubleSpinBox | QComboBox] = {
            "preset": self.preset, "network_overrides": self.network_width, "image_size": self.image_size,
            "channels": self.channels, "classes": self.classes, "class_balance": self.class_balance,
            "batch_size": self.batch, "steps": self.steps, "lr": self.lr,
            "warmup_steps": self.warmup, "save_every": self.save_every, "sample_every": self.sample_every,
            "validate_every": self.validate_every,
        }
        self._continuing = False
        self._enable_class_balance()
        self._enable_dial()

    def settings(self) -> dict[str, Any]:
        """The TrainingConfig fields the form sets; while it shows a run to continue, only those a
        resume may change (the run keeps the others)."""
        values = {name: box.currentData() if isinstance(box, QComboBox) else box.value()
                  for name, box in self._inputs.items() if not self._continuing or name in RESUMABLE_FIELDS}
        if "network_overrides" in values:  # the width, of the preset's architecture
            width, arch = values["network_overrides"], PRESETS[values["preset"]][0]
            values["network_overrides"] = {WIDTH_FIELDS[arch]: width} if width else {}
        if "classes" in values and not values["classes"]:  # a balance without classes has nothing to balance
            values["class_balance"] = 0.0
        if not self._continuing:  # a run keeps its mix
            dial = self.dial.isChecked() and self._has_ode_blocks()
            values["solver_mix"] = RECOMMENDED_MIX if dial else ""
            values["kinetic_weight"] = RECOMMENDED_KINETIC_WEIGHT if dial else 0.0
        return values

    def show_run(self, config: TrainingConfig, reached_step: int) -> None:
        """Fill in a run folder's stored settings and lock those it fixes."""
        self.preset.setCurrentIndex(self.preset.findData(config.preset))
        arch = PRESETS[config.preset][0] if config.preset in PRESETS else "cunet"
        self.network_width.setValue(int(config.network_overrides.get(WIDTH_FIELDS[arch], 0)))
        self.image_size.setValue(config.image_size)
        self.channels.setCurrentIndex(self.channels.findData(config.channels))
        self.classes.setCurrentIndex(self.classes.findData(config.classes))
        self.class_balance.setValue(config.class_balance)
        self.batch.setValue(config.batch_size)
        self.lr.setValue(config.lr)
        self.warmup.setValue(config.warmup_steps)
        self.steps.setValue(max(config.steps, reached_step + 1))
        self.save_every.setValue(config.save_every)
        self.sample_every.setValue(config.sample_every)
        self.validate_every.setValue(config.validate_every)
        self.dial.setChecked(bool(config.solver_mix))
        self.set_locked(True)

    def set_locked(self, locked: bool) -> None:
        """Locked while the form shows a run to continue: only the settings a resume may change stay
        editable."""
        self._continuing = locked
        for name, box in self._inputs.items():
            box.setEnabled(not locked or name in RESUMABLE_FIELDS)
        self._enable_class_balance()
        self._enable_dial()

    def _enable_class_balance(self) -> None:
        """The balance applies to a run with classes, and is fixed once the run has started."""
        self.class_balance.setEnabled(not self._continuing and bool(self.classes.currentData()))

    def _has_ode_blocks(self) -> bool:
        return PRESETS[self.preset.currentData()][0] == "cunet"

    def _enable_dial(self) -> None:
        """The dial is a cUNet's (a U-Net has no ODE blocks to solve), and fixed once the run has started."""
        self.dial.setEnabled(not self._continuing and self._has_ode_blocks())
