"""Works through the Denoise page's queue: one job per photo, one photo at a time.

A photo that fails only marks its own item (the queue goes on); a model that cannot be loaded
stops the queue, since every photo would fail the same way. Cancelling puts the current photo
back in the queue. The page listens to the signals and never touches the jobs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.denoise.denoise_queue import (
    ALL_DONE,
    CANCELLED,
    DONE,
    ERROR,
    MODEL_FAILED,
    QUEUED,
    STOPPED_AFTER_PHOTO,
    WORKING,
    DenoiseQueue,
    QueueItem,
)
from app.denoise.denoise_work import DenoiseOutcome, ModelReady, PhotoLoaded, denoise_work
from app.workers.job import Job
from app.workers.model_cache import ModelCache
from engine.denoise import DenoiseProgress, DenoiseSettings


class DenoiseRunner(QObject):
    item_changed = Signal(object)  # QueueItem whose status, progress or noise level changed
    photo_loaded = Signal(object, float)  # item, estimated noise level (0-255 units)
    live = Signal(object, object)  # item, DenoiseProgress
    stopped = Signal(str, str)  # why (denoise_queue: ALL_DONE, CANCELLED...), and the error for MODEL_FAILED

    def __init__(self, queue: DenoiseQueue, device: Callable[[], str], parent: QObject | None = None,
                 threads: Callable[[], int | None] = lambda: None) -> None:
        """`device` and `threads` (None: automatic) are read when each photo starts."""
        super().__init__(parent)
        self.queue = queue
        self._device = device
        self._threads = threads
        self._models = ModelCache()
        self._job: Job | None = None
        self._model_path: Path | None = None
        self._settings = DenoiseSettings()
        self._model_ready = False
        self._error = ""
        self.current: QueueItem | None = None
        self.current_before: np.ndarray | None = None  # the current photo as loaded, for display

    def is_busy(self) -> bool:
        return self._job is not None and self._job.running

    def start(self, model_path: Path, settings: DenoiseSettings) -> bool:
        """Process every queued photo with these settings; False if nothing is queued."""
        if self.is_busy() or self.queue.next_queued() is None:
            return False
        self._model_path, self._settings = model_path, settings
        self._next()
        return True

    def cancel(self) -> None:
        if self.is_busy():
            self._job.cancel()

    def _next(self) -> None:
        item = self.queue.next_queued()
        if item is None:
            self._stop(ALL_DONE)
            return
        item.status, item.fraction = WORKING, 0.0
        self.current, self.current_before, self._model_ready = item, None, False
        job = Job(denoise_work(self._models, self._model_path, self._device(), item.path, self._settings,
                               self._threads()))
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_denoised)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.finished.connect(self._on_job_finished)
        self._job = job
        job.start()
        self.item_changed.emit(item)

    def _on_progress(self, update: object) -> None:
        item = self.current
        if isinstance(update, ModelReady):
            self._model_ready = True
        elif isinstance(update, PhotoLoaded):
            self.current_before = update.before
            item.sigma = update.estimated_sigma if self._settings.sigma is None else self._settings.sigma
            self.photo_loaded.emit(item, update.estimated_sigma)
            self.item_changed.emit(item)
        elif isinstance(update, DenoiseProgress):
            item.fraction = update.fraction
            self.live.emit(item, update)
            self.item_changed.emit(item)

    def _on_denoised(self, outcome: DenoiseOutcome) -> None:
        item = self.current
        item.status, item.fraction, item.outcome, item.sigma = DONE, 1.0, outcome, outcome.result.sigma
        self.item_changed.emit(item)

    def _on_failed(self, message: str) -> None:
        item = self.current
        if self._model_ready:
            item.status, item.message = ERROR, message.removeprefix(f"{item.path}: ")  # the row names the file
        else:
            item.status, self._error = QUEUED, message
        self.item_changed.emit(item)

    def _on_cancelled(self) -> None:
        self.current.status, self.current.fraction = QUEUED, 0.0
        self.item_changed.emit(self.current)

    def _on_job_finished(self) -> None:
        if self._job.cancel_requested:
            self._stop(STOPPED_AFTER_PHOTO if self.current.status == DONE else CANCELLED)
        elif not self._model_ready:
            self._stop(MODEL_FAILED)
        else:
            self._next()

    def _stop(self, reason: str) -> None:
        self.current, self.current_before = None, None
        error, self._error = self._error, ""
        self.stopped.emit(reason, error)
