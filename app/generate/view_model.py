"""What the Generate page decides and says, without Qt: the request its controls make, what can be
pressed while it runs, the progress and outcome lines, and whether the settings saved in a PNG can
be loaded (reading the file, checking the seed and the model). `GeneratePage` shows the answers
and forwards what the user did; tests drive this class without a window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.generate.generation_run import GenerationRun
from app.generate.generation_work import LiveFrame, WeightsCheck
from engine.errors import EngineError
from engine.generate import GenerationRequest, GenerationResult
from engine.generation_record import GenerationRecord, read_generation_record
from engine.models import SolverSettings
from engine.paths import user_models_dir

SAMPLER_HINTS = {
    "ddpm": "DDPM: ancestral (stochastic), needs many steps",
    "ddim": "DDIM: deterministic at eta 0, good from ~25 steps",
    "dpmpp-2m": "DPM-Solver++(2M): deterministic, strong at 10-20 steps",
    "dpmpp-2m-sde": "DPM-Solver++(2M) SDE: fresh noise each step, keeps quality at 20 steps",
}
MAX_SEED = 2**31 - 1
MAX_COUNT = 64
NO_MODEL_TEXT = (
    "<b>No model installed yet.</b> Train one on the <a href='train'>Train page</a> from a folder of "
    f"images or a .npz file, or copy a model folder into {user_models_dir()}."
)
LOADING_MODEL = "Loading model…"
CANCELLING = "Cancelling…"
FAILED, CANCELLED = "Failed", "Cancelled"
CANCELLED_MESSAGE = "Generation cancelled; the unfinished images were discarded."
BUSY_MESSAGE = "Settings can be loaded once this generation has finished (or been cancelled)."


@dataclass(frozen=True)
class GenerationSettings:
    """What the page's controls are set to."""

    seed: int
    count: int
    sampler: str
    steps: int
    eta: float
    solver: SolverSettings | None  # None for a model without ODE blocks


@dataclass(frozen=True)
class Enabled:
    inputs: bool  # the settings boxes
    model_choice: bool
    generate: bool
    cancel: bool


@dataclass(frozen=True)
class LoadedSettings:
    """Settings read from a saved image, for the controls; `record` is what the image says."""

    record: GenerationRecord
    settings: GenerationSettings


class SettingsNotLoaded(Exception):
    """The image's settings cannot be used here; the message says why (nothing was changed)."""


def uses_eta(sampler: str) -> bool:
    """Only DDIM has a randomness setting; the others ignore eta, so the page hides it."""
    return sampler == "ddim"


def enabled(busy: bool, has_model: bool) -> Enabled:
    """Nothing can be changed while generating, and nothing generated without a model."""
    return Enabled(inputs=not busy, model_choice=not busy and has_model, generate=not busy and has_model,
                   cancel=busy)


def live_caption(frame: LiveFrame) -> str:
    """What the reverse-process view says under a live frame: the step and which images it shows."""
    images = f"image {frame.first_image + 1}" if frame.batch == 1 else \
        f"images {frame.first_image + 1}-{frame.first_image + frame.batch}"
    return f"Live: step {frame.step}/{frame.steps} · t = {frame.t} · {images}"


class GenerateViewModel:
    def __init__(self) -> None:
        self.busy = False
        self._record: GenerationRecord | None = None  # the running generation's settings
        self._started_at = 0.0
        self._first_frame: tuple[float, int] | None = None  # (time, steps done) at the first live frame
        self._loads = 0  # counts loads from images, so a late weights check knows it is stale
        self._loaded_message = ""

    # --- generation ---------------------------------------------------------------------------

    def start(self, model: str, settings: GenerationSettings, now: float) -> GenerationRequest:
        """The request for `model` with these settings (eta only where the sampler uses it); the
        page is busy until `finish`."""
        eta = settings.eta if uses_eta(settings.sampler) else 0.0
        request = GenerationRequest(count=settings.count, seed=settings.seed, sampler=settings.sampler,
                                    steps=settings.steps, eta=eta, solver=settings.solver, keep_trajectory=True)
        self._record = GenerationRecord(model=model, seed=settings.seed, sampler=settings.sampler,
                                        steps=settings.steps, eta=eta, solver=settings.solver, count=settings.count)
        self._started_at, self._first_frame = now, None
        self.busy = True
        return request

    def step_text(self, frame: LiveFrame, now: float) -> str:
        """"Step 2/102 · 100 s left". Time left is timed from the first step, not from the start:
        loading the model (seconds for a large one) is not part of every step."""
        if self._first_frame is None:
            self._first_frame = (now, frame.done)
        first_at, first_done = self._first_frame
        left = ""
        if frame.done > first_done:
            left = f" · {(now - first_at) / (frame.done - first_done) * (frame.total - frame.done):.0f} s left"
        return f"Step {frame.done}/{frame.total}{left}"

    def generated(self, result: GenerationResult, now: float) -> tuple[GenerationRun, str]:
        """The finished run, recorded with what the engine actually used, and the progress line."""
        record = dataclasses.replace(self._record, sampler=result.sampler, steps=result.steps,
                                     weights=result.model_weights)
        text = f"{len(result.images)} images in {now - self._started_at:.1f} s ({result.sampler}, {result.steps} steps)"
        return GenerationRun(result, record), text

    def finish(self) -> None:
        self.busy = False

    # --- settings from a saved image ---------------------------------------------------------

    def load_settings(self, path: Path, select_model: Callable[[str], bool]) -> LoadedSettings:
        """The settings saved in `path`, once `select_model` has chosen the model that made it;
        raises SettingsNotLoaded, having changed nothing, where they cannot be used here."""
        self._loads += 1
        if self.busy:
            raise SettingsNotLoaded(BUSY_MESSAGE)
        try:
            record = read_generation_record(path)
        except EngineError as error:
            raise SettingsNotLoaded(str(error)) from None
        if record.seed > MAX_SEED:
            raise SettingsNotLoaded(f"{path.name} was made with seed {record.seed:,}, beyond this page's largest seed "
                                    f"({MAX_SEED:,}): make it again with engine sample --settings-from.")
        if not select_model(record.model):
            raise SettingsNotLoaded(f"{path.name} was made with the model “{record.model}”, which is not installed "
                                    "here: train it on the Train page or copy its folder into your models folder.")
        capped = f" (the first {MAX_COUNT} of its images)" if record.count > MAX_COUNT else ""
        self._loaded_message = f"Loaded the settings of {path.name}: {record.summary()}{capped}."
        settings = GenerationSettings(record.seed, min(record.count, MAX_COUNT), record.sampler, record.steps,
                                      record.eta, record.solver)
        return LoadedSettings(record, settings)

    def loaded_message(self, exact_solver: bool) -> tuple[str, str]:
        """(banner kind, text) once the settings are shown; `exact_solver` False where the solver
        dial could not show the saved solver exactly, so the picture will differ."""
        if exact_solver:
            return "info", f"{self._loaded_message} Generate makes it again."
        self._loaded_message += (" This page cannot set its ODE solver exactly (rtol and atol differ), so the "
                                 "picture will differ; engine sample --settings-from makes it exactly.")
        return "warning", self._loaded_message

    def current_load(self) -> int:
        """The load a weights check started now belongs to."""
        return self._loads

    def weights_warning(self, check: WeightsCheck) -> str | None:
        """The banner's warning when other weights made the image, unless another image has been
        dropped or opened since the check started."""
        if check.warning is None or check.load != self._loads:
            return None
        return f"{self._loaded_message} But {check.warning}."
