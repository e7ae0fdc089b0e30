"""Keep a page's last loaded model so repeated runs skip the load; loading happens in workers."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.checkpoints import LoadedModel, load_model
from engine.device import resolve_device


class ModelCache:
    """One model per page: the pages mostly run different models (a generator, the photo
    denoiser), so one cache between them would reload at every switch. A loaded model holds no
    request's settings (a cUNet's ODE solver comes with each call), so any caller may use it.
    Reloads when the model folder, the device or the weights file's modification time changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._model: LoadedModel | None = None

    def get(self, path: Path, device: str) -> LoadedModel:
        """Called on a worker thread; raises ModelLoadError / ConfigError with a readable message."""
        stamp = max((p.stat().st_mtime_ns for p in path.glob("*") if p.is_file()), default=0) if path.is_dir() else 0
        key = (path, device, stamp)
        with self._lock:
            if key != self._key or self._model is None:
                self._model = None
                self._model = load_model(path, resolve_device(device))
                self._key = key
            return self._model
