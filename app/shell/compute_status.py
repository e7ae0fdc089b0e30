"""Status-bar readout: which device and how many CPU threads the next job uses, and memory."""

from __future__ import annotations

import torch
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from app.common.settings import AUTO_DEVICE, AppSettings
from app.shell.system_info import process_memory
from engine.device import resolve_device
from engine.units import format_bytes

MEMORY_REFRESH_MS = 2000


class ComputeStatus:
    """Three permanent status-bar labels, refreshed on settings changes and every 2 s."""

    def __init__(self, settings: AppSettings, parent: QWidget) -> None:
        self._settings = settings
        self.device = QLabel()
        self.device.setToolTip("Device used by the next generation, denoising or training job (Settings…)")
        self.threads = QLabel()
        self.threads.setToolTip("CPU threads torch uses (Settings…)")
        self.memory = QLabel()
        self.memory.setToolTip("Memory used by cUNet Studio")
        self._timer = QTimer(parent)
        self._timer.setInterval(MEMORY_REFRESH_MS)
        self._timer.timeout.connect(self._refresh_memory)
        self._timer.start()
        settings.compute_changed.connect(self.refresh)
        self.refresh()

    def labels(self) -> list[QLabel]:
        return [self.device, self.threads, self.memory]

    def refresh(self) -> None:
        choice = self._settings.device
        actual = resolve_device(choice).type.upper()
        self.device.setText(f"Device: {actual}" + (" (auto)" if choice == AUTO_DEVICE else ""))
        self.threads.setText(f"Threads: {torch.get_num_threads()}")
        self._refresh_memory()

    def _refresh_memory(self) -> None:
        memory = process_memory()
        if memory is None:
            self.memory.setText("Memory: n/a")
        else:
            count, kind = memory
            self.memory.setText(f"Memory: {format_bytes(count)}" + (" peak" if kind == "peak" else ""))
