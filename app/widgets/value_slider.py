"""A slider with a spin box beside it, for a setting that is both felt (drag) and exact (type):
one value, in the spin box's units; the slider moves in its steps."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QSlider, QWidget


class ValueSlider(QWidget):
    value_changed = Signal(float)  # by the user only, not by set_value

    def __init__(self, minimum: float, maximum: float, step: float, decimals: int = 2,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._minimum, self._step = minimum, step
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round((maximum - minimum) / step))
        self.slider.setPageStep(1)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(minimum, maximum)
        self.spin.setSingleStep(step)
        self.spin.setDecimals(decimals)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(lambda position: self.spin.setValue(minimum + position * step))
        self.spin.valueChanged.connect(self._on_spin_changed)

    def value(self) -> float:
        return self.spin.value()

    def set_value(self, value: float) -> None:
        self.blockSignals(True)
        self.spin.setValue(value)
        self.blockSignals(False)

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt's name: the tip belongs on both parts
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.spin.setToolTip(text)

    def _on_spin_changed(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round((value - self._minimum) / self._step))
        self.slider.blockSignals(False)
        self.value_changed.emit(value)
