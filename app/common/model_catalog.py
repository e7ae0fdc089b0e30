"""The models every page can pick from: the engine's `ModelStore`, shared by all pages so a model
registered on the Train page appears in the Generate and Denoise pickers at once."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine.checkpoints import ModelEntry, ModelStore

DEFAULT_MODEL = "digits"


class ModelCatalog(QObject):
    changed = Signal()

    def __init__(self, store: ModelStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store  # registering copies weights, so pages do it in a worker, then refresh()
        self._entries = store.list()

    @property
    def entries(self) -> list[ModelEntry]:
        return list(self._entries)

    def names(self) -> set[str]:
        return {e.name for e in self._entries}

    def refresh(self) -> None:
        """Re-read the store (it only parses small JSON files, so this is cheap)."""
        self._entries = self.store.list()
        self.changed.emit()

    def unused_name(self, wanted: str) -> str:
        """`wanted`, or `wanted-2`, `wanted-3`... if taken, made safe for a folder name."""
        base = "".join(c if c.isalnum() or c in "-_" else "-" for c in wanted).strip("-") or "model"
        name, number = base, 2
        while name in self.names():
            name, number = f"{base}-{number}", number + 1
        return name
