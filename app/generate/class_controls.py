"""The class picker and guidance slider of a class-conditional model: hidden for a model without
classes (there is nothing to choose), the guidance usable only once a class (or a random class per
image) is chosen. "Recommended" leaves the scale to the model's card, which may give some classes a
scale of their own: the slider then shows the chosen class's, and a random class per image guides
each image at its own class's scale; moving the slider sets one scale of the user's own instead."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QWidget

from app.generate.view_model import (
    CLASS_TIP,
    GUIDANCE_STEP,
    GUIDANCE_TIP,
    MAX_GUIDANCE,
    RECOMMENDED_GUIDANCE_TIP,
    class_choices,
)
from app.widgets.value_slider import ValueSlider
from engine.checkpoints import ModelSpec
from engine.guidance import RANDOM_CHOICE


class ClassControls(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Class-conditional model", parent)
        self.choice = QComboBox()
        self.choice.setToolTip(CLASS_TIP)
        self.guidance = ValueSlider(0.0, MAX_GUIDANCE, GUIDANCE_STEP)
        self.guidance.setToolTip(GUIDANCE_TIP)
        self.recommended = QCheckBox("Recommended")
        self.recommended.setToolTip(RECOMMENDED_GUIDANCE_TIP)
        self.recommended.setChecked(True)
        self._spec: ModelSpec | None = None
        form = QFormLayout(self)
        form.addRow("Class", self.choice)
        form.addRow("Guidance", self.guidance)
        form.addRow("", self.recommended)
        self.choice.currentIndexChanged.connect(self._on_choice_changed)
        self.recommended.toggled.connect(self._on_choice_changed)
        self.guidance.value_changed.connect(lambda _: self.recommended.setChecked(False))  # the user's own scale
        self.set_model(None, None)

    def set_model(self, spec: ModelSpec | None, choice: int | str | None) -> None:
        """The model's classes with `choice` chosen (`picture_defaults.default_class_choice`), its
        recommended guidance; hidden without classes."""
        choices = class_choices(spec)
        self.choice.blockSignals(True)
        self.choice.clear()
        for text, label in choices:
            self.choice.addItem(text, label)
        self.select(choice)
        self.choice.blockSignals(False)
        self._spec = spec if spec is not None and spec.is_conditional else None
        self.recommended.setChecked(True)
        self.setVisible(bool(choices))
        self._on_choice_changed()

    def class_label(self) -> int | None:
        """The chosen class; None for any class and for a random one per image."""
        choice = self.choice.currentData()
        return choice if isinstance(choice, int) else None

    def random_class(self) -> bool:
        return self.choice.currentData() == RANDOM_CHOICE

    def guidance_scale(self) -> float | None:
        """The scale asked for; None without a class and where the card's recommendation is left to choose."""
        return self.guidance.value() if self._guided() and not self.recommended.isChecked() else None

    def choice_made(self) -> int | str | None:
        """What the picker holds: a class index, RANDOM_CHOICE or None (any class)."""
        return self.choice.currentData()

    def select(self, choice: int | str | None) -> None:
        """Choose a class index, RANDOM_CHOICE or None (any class, the first item)."""
        self.choice.setCurrentIndex(0 if choice is None else max(0, self.choice.findData(choice)))

    def set_choice(self, class_label: int | None, guidance: float | None, random_class: bool = False) -> None:
        """Show a saved image's class and guidance: its scale, or Recommended for a random class
        per image guided at each class's own (any class: the guidance stays as it is)."""
        self.select(RANDOM_CHOICE if random_class else class_label)
        if guidance is not None:
            self.recommended.setChecked(False)
            self.guidance.set_value(guidance)
        elif random_class:
            self.recommended.setChecked(True)

    def _guided(self) -> bool:
        return self.choice.currentData() is not None

    def _on_choice_changed(self) -> None:
        """The slider follows the card while Recommended is ticked: the chosen class's scale (the
        model's one for a random class). Moving the slider unticks it; ticking it again brings
        the card's scale back."""
        if self.recommended.isChecked() and self._spec is not None:
            self.guidance.set_value(self._spec.recommended_guidance(self.class_label()))
        self.recommended.setEnabled(self._guided())
        self.guidance.setEnabled(self._guided())
