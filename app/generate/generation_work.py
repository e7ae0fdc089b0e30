"""Work functions for the Generate page: load the model and sample, streaming live frames; check
that the installed model is the one that made a saved image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.common.pixels import batch_sheet
from app.workers.model_cache import ModelCache
from app.workers.throttle import Throttle
from app.workers.work import Work
from engine.checkpoints import weights_id
from engine.device import set_threads
from engine.errors import EngineError
from engine.generate import GenerationProgress, GenerationRequest, generate
from engine.generation_record import GenerationRecord, other_weights_warning
from engine.imaging import to_uint8


@dataclass(frozen=True)
class LiveFrame:
    """The current batch at one sampler step, already converted to uint8 sheets on the worker
    thread so the GUI thread only has to paint them."""

    done: int
    total: int
    step: int  # 1-based step within the batch
    steps: int
    t: int
    first_image: int
    batch: int
    x_t: np.ndarray
    predicted_x0: np.ndarray


def generation_work(models: ModelCache, model_path: Path, device: str, request: GenerationRequest,
                    threads: int | None = None) -> Work:
    """`threads`: the Settings' count, None for the cores other programs leave free when it starts."""

    def work(report, cancel):
        set_threads(threads)
        model = models.get(model_path, device)
        throttle = Throttle()

        def on_progress(progress: GenerationProgress) -> None:
            if throttle.ready(force=progress.done == progress.total):
                step = progress.step
                report(LiveFrame(
                    progress.done, progress.total, step.index + 1, step.total, step.t, progress.first_image,
                    step.x_t.shape[0], batch_sheet(to_uint8(step.x_t)), batch_sheet(to_uint8(step.predicted_x0)),
                ))

        return generate(model, request, progress=on_progress, cancel=cancel)

    return work


@dataclass(frozen=True)
class WeightsCheck:
    load: int  # which load of settings from an image it checks: the page ignores a stale one
    warning: str | None  # why the installed model may not make the image again; None if it will


def weights_check_work(record: GenerationRecord, model_path: Path, image_name: str, load: int) -> Work:
    """Fingerprint the installed model and compare it with the one that made the image; hashing a
    large model file takes a while, so not on the GUI thread."""

    def work(report, cancel) -> WeightsCheck:
        try:
            return WeightsCheck(load, other_weights_warning(record, weights_id(model_path), image_name))
        except EngineError as error:
            return WeightsCheck(load, str(error))

    return work
