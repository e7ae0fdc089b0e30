"""Settings dialog: compute device and CPU threads, applied to the jobs started afterwards."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget

from app.common.settings import AUTO_DEVICE, AppSettings
from engine.device import available_devices

DEVICE_NAMES = {"cpu": "CPU", "cuda": "CUDA (NVIDIA GPU)", "mps": "MPS (Apple GPU)"}


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self.device = QComboBox()
        self.device.addItem("Automatic (best available)", AUTO_DEVICE)
        for device in available_devices():
            self.device.addItem(DEVICE_NAMES.get(device, device), device)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))
        self.device.setToolTip("Only devices this computer has are listed")
        self.threads = QSpinBox()
        self.threads.setRange(0, max(1, os.cpu_count() or 1) * 2)
        self.threads.setSpecialValueText("Automatic")
        self.threads.setValue(settings.threads or 0)
        self.threads.setToolTip("CPU threads for the network; fewer keeps the computer responsive")
        note = QLabel("Changes apply to the next generation, denoising or training run.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        form = QFormLayout(self)
        form.addRow("Device", self.device)
        form.addRow("CPU threads", self.threads)
        form.addRow(note)
        form.addRow(buttons)

    def accept(self) -> None:
        self._settings.set_compute(self.device.currentData(), self.threads.value() or None)
        super().accept()
