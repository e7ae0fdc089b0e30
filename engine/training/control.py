"""How a front end steers a training run (stop, pause, resume) and what the run reports back.

The trainer polls `TrainingControl` between optimizer steps; the GUI sets it from its thread and
the CLI from a SIGINT handler. Every progress event goes to one callback so the CLI's progress
bar and the GUI's plots show the same numbers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class TrainingControl:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._wake = threading.Event()
        self._samples_lock = threading.Lock()
        self._samples_requested = False

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def request_pause(self) -> None:
        self._pause.set()

    def request_resume(self) -> None:
        self._pause.clear()
        self._wake.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def pause_requested(self) -> bool:
        return self._pause.is_set()

    def request_samples(self) -> None:
        """Ask for a sample grid after the current step, besides the `sample_every` ones (the GUI
        asks by time, so a slow run shows its progress early)."""
        with self._samples_lock:
            self._samples_requested = True

    def take_samples_request(self) -> bool:
        """True once per request (the trainer draws one grid for it)."""
        with self._samples_lock:
            requested, self._samples_requested = self._samples_requested, False
            return requested

    def wait_while_paused(self) -> None:
        """Block until resumed or stopped."""
        while self._pause.is_set() and not self._stop.is_set():
            self._wake.wait(0.2)
            self._wake.clear()


@dataclass(frozen=True)
class TrainingProgress:
    """event: started | step | validation | samples | checkpoint | paused | resumed | finished | stopped.
    `path` is the file written by samples/checkpoint/finished events."""

    event: str
    step: int
    total_steps: int
    loss: float | None = None
    val_loss: float | None = None
    images_per_second: float = 0.0
    eta_seconds: float | None = None
    lr: float = 0.0
    path: Path | None = None
    message: str = ""


ProgressCallback = Callable[[TrainingProgress], None]
