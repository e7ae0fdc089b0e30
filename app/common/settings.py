"""Persisted preferences (QSettings, organisation "cUNet Studio") behind typed accessors.

The QSettings object is injected so tests and the screenshot tour use a temporary file instead of
the user's real preferences.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from engine.device import available_devices

ORGANISATION = "cUNet Studio"
APPLICATION = "cUNet Studio"
AUTO_DEVICE = "auto"


class AppSettings(QObject):
    """`compute_changed` fires when the device or thread count changes (status bar, next jobs)."""

    compute_changed = Signal()

    def __init__(self, store: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store

    @property
    def device(self) -> str:
        """'auto' or a device from `available_devices()`; a saved device this machine lacks
        (settings copied from another computer) falls back to 'auto'."""
        saved = str(self._store.value("compute/device", AUTO_DEVICE))
        return saved if saved == AUTO_DEVICE or saved in available_devices() else AUTO_DEVICE

    @property
    def threads(self) -> int | None:
        """CPU threads for torch, or None for torch's own choice."""
        value = int(self._store.value("compute/threads", 0))
        return value or None

    def set_compute(self, device: str, threads: int | None) -> None:
        self._store.setValue("compute/device", device)
        self._store.setValue("compute/threads", threads or 0)
        self.compute_changed.emit()

    def folder(self, key: str) -> Path | None:
        """The last folder used for `key` (e.g. 'save-images'), if it still exists."""
        value = self._store.value(f"folders/{key}", "")
        path = Path(str(value)) if value else None
        return path if path is not None and path.exists() else None

    def set_folder(self, key: str, path: Path) -> None:
        self._store.setValue(f"folders/{key}", str(path if path.is_dir() else path.parent))

    def text(self, key: str, default: str = "") -> str:
        return str(self._store.value(f"values/{key}", default))

    def set_text(self, key: str, value: str) -> None:
        self._store.setValue(f"values/{key}", value)

    def geometry(self) -> QByteArray | None:
        value = self._store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, geometry: QByteArray) -> None:
        self._store.setValue("window/geometry", geometry)

    def sync(self) -> None:
        self._store.sync()
