"""Work functions for the Train page: run `engine.training.train` and register the result.

Training reports every optimizer step; a tiny model makes hundreds per second, so step events
are batched (at most ~10 reports a second) while rarer events (validation, samples, checkpoint,
pause...) are forwarded at once, after any pending steps so the order is kept. Sample grids are
decoded here, so the GUI thread only paints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.workers.throttle import Throttle
from app.workers.work import Work
from engine.checkpoints import ModelStore
from engine.device import set_threads
from engine.training import TrainingConfig, TrainingControl, TrainingProgress, train

STEP_REPORT_INTERVAL_S = 0.1


@dataclass(frozen=True)
class StepBatch:
    events: list[TrainingProgress]


@dataclass(frozen=True)
class SampleGrid:
    step: int
    image: np.ndarray  # (H, W, C) uint8
    path: Path


def training_work(config: TrainingConfig, resume: bool, control: TrainingControl, threads: int | None = None) -> Work:
    """Returns the engine's TrainingSummary; stop/pause go through `control`, not the job's
    cancel event, because the engine saves a checkpoint before honouring them. `threads`: the
    Settings' count, None for the cores other programs leave free when it starts."""

    def work(report, cancel):
        set_threads(threads)
        pending: list[TrainingProgress] = []
        throttle = Throttle(STEP_REPORT_INTERVAL_S)

        def flush() -> None:
            if pending:
                report(StepBatch(list(pending)))
                pending.clear()

        def on_progress(event: TrainingProgress) -> None:
            if event.event == "step":
                pending.append(event)
                if throttle.ready():
                    flush()
                return
            flush()
            if event.event == "samples" and event.path is not None:
                report(read_sample_grid(event.path, event.step))
            else:
                report(event)

        return train(config, resume=resume, progress=on_progress, control=control)

    return work


def read_sample_grid(path: Path, step: int) -> SampleGrid:
    with Image.open(path) as image:
        return SampleGrid(step, np.asarray(image.convert("RGB")), path)


def register_model_work(store: ModelStore, model_folder: Path, name: str) -> Work:
    """Copy the trained model into the user store (loads and re-saves the weights)."""

    def work(report, cancel):
        return store.register(model_folder, name)

    return work
