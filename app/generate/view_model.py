"""What the Generate page decides and says, without Qt: the request its controls make and what its
ODE solver will cost, what can be pressed while it runs, the progress and outcome lines, the class
choice, the start picture and mask (`StartPicture`, read from files by `picture_work`), what a
dropped file is for, and whether the settings saved in a PNG can be loaded (reading the file,
checking the seed, the model and its classes, then the pictures it was made from). `GeneratePage`
shows the answers and forwards what the user did; tests drive this class without a window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.generate.generation_run import START_CAPTION, GenerationRun
from app.generate.generation_work import LiveFrame, WeightsCheck
from app.generate.picture_work import Geometry, PicturesRead
from app.generate.start_picture_state import StartPicture
from engine.checkpoints import ModelSpec
from engine.errors import EngineError
from engine.diffusion import SolverChoice
from engine.generate import GenerationRequest, GenerationResult, solver_cost
from engine.generation_record import GenerationRecord, NoGenerationRecord, SourceFile, read_generation_record
from engine.guidance import RANDOM_CHOICE
from engine.paths import user_models_dir
from engine.steering import RESAMPLING_SAMPLER

SAMPLER_HINTS = {
    "ddpm": "DDPM: ancestral (stochastic), needs many steps",
    "ddim": "DDIM: deterministic at eta 0, good from ~25 steps",
    "dpmpp-2m": "DPM-Solver++(2M): deterministic, strong at 10-20 steps",
    "dpmpp-2m-sde": "DPM-Solver++(2M) SDE: fresh noise each step, keeps quality at 20 steps",
}
MAX_SEED = 2**31 - 1
MAX_COUNT = 64
MAX_GUIDANCE, GUIDANCE_STEP = 10.0, 0.5
ANY_CLASS = "Any (unconditional)"
RANDOM_CLASS = "A random class for each image"
RANDOM_CLASS_AS_TRAINED = "Random, as often as in its data"  # a card's class_shares (short: the picker is narrow)
NO_MODEL_TEXT = (
    "<b>No model installed yet.</b> Train one on the <a href='train'>Train page</a> from a folder of "
    f"images or a .npz file, or copy a model folder into {user_models_dir()}."
)
LOADING_MODEL = "Loading model…"
CANCELLING = "Cancelling…"
FAILED, CANCELLED = "Failed", "Cancelled"
CANCELLED_MESSAGE = "Generation cancelled; the unfinished images were discarded."
BUSY_MESSAGE = "Settings can be loaded once this generation has finished (or been cancelled)."
PICTURE_BUSY = "A start picture can be chosen once this generation has finished (or been cancelled)."
CLASS_TIP = ("Which class to make: “Any” samples without a class, as a model without classes does (the default "
             "from a start picture, which then decides); a random class for each image guides every image toward a "
             "class of its own (usually the better pictures)")
GUIDANCE_TIP = ("How hard each image is pushed toward the chosen class: 1 = no extra push, higher = more typical "
                "of the class but less varied, 0 = the class is ignored")
RECOMMENDED_GUIDANCE_TIP = ("Guide as the model's card recommends: the chosen class's scale (some models give some "
                            "classes a scale of their own), and with a random class each image its class's scale. "
                            "Moving the slider sets one scale of your own.")
STRENGTH_TIP = ("How far to move from the picture: 0 gives it back unchanged, 1 makes a new picture (with a mask, "
                "a new painted part). About steps × strength sampler steps run.")
RESAMPLE_TIP = ("Harmonise passes: each step is taken this many times, so the redrawn part fits the part kept "
                "(RePaint). Each pass costs a network call per step; 1 = none.")
RESAMPLE_NEEDS_MASK = "Harmonising fits a redrawn part to the kept one: paint a mask to use it."
RESAMPLE_NEEDS_DDPM = f"Harmonising works with the {RESAMPLING_SAMPLER} sampler only: choose it to use it."
NEEDS_MODEL = "Choose a model first: a start picture is fitted to the model's size."
FROM_RESULT = "the selected result"  # why a start picture is the one it is, when "Start from this image" chose it
PICTURE, MASK, REFIT, RESTORE = "picture", "mask", "refit", "restore"  # what a read of picture files is for


@dataclass(frozen=True)
class GenerationSettings:
    """What the page's controls are set to (the start picture and mask are the view model's)."""

    seed: int
    count: int
    sampler: str
    steps: int
    eta: float
    solver: SolverChoice | None  # one solver or a step-aware schedule; None for a model without ODE blocks
    class_label: int | None = None  # None: any class (unconditional), or a random one with random_class
    guidance: float | None = None  # used with a class (or random classes) only
    resample: int | None = None  # harmonise passes; used with ddpm and a mask only
    random_class: bool = False  # a class per image, drawn from its seed


@dataclass(frozen=True)
class Enabled:
    inputs: bool  # the settings boxes
    model_choice: bool
    generate: bool
    cancel: bool


@dataclass(frozen=True)
class LoadedSettings:
    """Settings read from the saved image `path`, for the controls; `record` is what it says.
    `read_load`: the read of the pictures it was made from, which the page starts (None: none),
    fitting them to `geometry`, the model's."""

    path: Path
    record: GenerationRecord
    settings: GenerationSettings
    geometry: Geometry
    read_load: int | None = None


@dataclass(frozen=True)
class PicturesOutcome:
    """A finished read of picture files: the banner's (kind, text), or, for a saved image's
    pictures, its settings to show now (the banner then says what `loaded_message` says)."""

    kind: str = ""
    text: str = ""
    settings: LoadedSettings | None = None


@dataclass(frozen=True)
class RunningGeneration:
    """What the running generation's record is made of once it is done."""

    model: str
    request: GenerationRequest
    init: SourceFile | None  # the start picture's file
    mask: SourceFile | None  # the mask's file; None for a painted one, which has none yet
    painted_mask: np.ndarray | None
    class_names: tuple[str, ...] = ()  # the model's, to name each image's class


class SettingsNotLoaded(Exception):
    """The image's settings cannot be used here; the message says why (nothing was changed)."""


def uses_eta(sampler: str) -> bool:
    """Only DDIM has a randomness setting; the others ignore eta, so the page hides it."""
    return sampler == "ddim"


def resample_note(sampler: str, masked: bool) -> str | None:
    """Why harmonising cannot be used now (the control is disabled with this as its tooltip), or
    None when it can: with ddpm (RePaint re-noises an ancestral step) and a mask."""
    if not masked:
        return RESAMPLE_NEEDS_MASK
    return None if sampler == RESAMPLING_SAMPLER else RESAMPLE_NEEDS_DDPM


def class_choices(spec: ModelSpec | None) -> list[tuple[str, int | str | None]]:
    """The class picker's (text, choice) items: any class (None), a random class per image
    (RANDOM_CHOICE), then each class by name (its index); none for a model without classes (the
    page hides the picker)."""
    if spec is None or not spec.is_conditional:
        return []
    classes = [(name, index) for index, name in enumerate(spec.class_names)]
    random_class = RANDOM_CLASS_AS_TRAINED if spec.class_shares() else RANDOM_CLASS
    return [(ANY_CLASS, None), (random_class, RANDOM_CHOICE), *classes]


def enabled(busy: bool, has_model: bool, reading: bool = False) -> Enabled:
    """Nothing can be changed while generating, and nothing generated without a model, nor while
    a picture is being read (nor the model changed: the picture is fitted to it)."""
    return Enabled(inputs=not busy, model_choice=not busy and has_model and not reading,
                   generate=not busy and has_model and not reading, cancel=busy)


def live_caption(frame: LiveFrame) -> str:
    """What the reverse-process view says under a live frame: the step and which images it shows."""
    images = f"image {frame.first_image + 1}" if frame.batch == 1 else \
        f"images {frame.first_image + 1}-{frame.first_image + frame.batch}"
    return f"Live: step {frame.step}/{frame.steps} · t = {frame.t} · {images}"


class GenerateViewModel:
    def __init__(self) -> None:
        self.busy = False
        self.picture = StartPicture()
        self._running: RunningGeneration | None = None
        self._started_at = 0.0
        self._first_frame: tuple[float, int] | None = None  # (time, steps done) at the first live frame
        self._loads = 0  # counts loads from images, so a late weights check knows it is stale
        self._loaded_message = ""
        self._load_warnings: tuple[str, ...] = ()
        self._reads = 0  # counts reads of picture files: only the latest one's result is used
        self._read_for: tuple[str, LoadedSettings | str | None] = (PICTURE, None)
        self.reading = False

    # --- generation ---------------------------------------------------------------------------

    def request(self, settings: GenerationSettings) -> GenerationRequest:
        """The request these settings and the start picture make (eta, guidance and harmonising
        only where they apply)."""
        eta = settings.eta if uses_eta(settings.sampler) else 0.0
        guidance = settings.guidance if settings.class_label is not None or settings.random_class else None
        resample = settings.resample if resample_note(settings.sampler, self.picture.masked) is None else None
        return GenerationRequest(count=settings.count, seed=settings.seed, sampler=settings.sampler,
                                 steps=settings.steps, eta=eta, solver=settings.solver, keep_trajectory=True,
                                 class_label=settings.class_label, random_class=settings.random_class,
                                 guidance=guidance, resample=resample,
                                 **self.picture.request_fields())

    def solver_cost(self, spec: ModelSpec | None, settings: GenerationSettings) -> str:
        """The solver dial's cost line: what one image of these settings (its sampler, steps,
        strength and harmonising) costs in ODE evaluations against the trained solver; "" for a
        model without ODE blocks, and for settings Generate would refuse (it then says why)."""
        try:
            cost = None if spec is None else solver_cost(spec, self.request(settings))
        except EngineError:
            return ""
        if cost is None:
            return ""
        words = cost.words()
        return f"{words[0].upper()}{words[1:]}."

    def start(self, model: str, settings: GenerationSettings, now: float,
              class_names: tuple[str, ...] = ()) -> GenerationRequest:
        """The request for `model` (whose classes are `class_names`) with these settings and the
        start picture (see `request`); the page is busy until `finish`."""
        request = self.request(settings)
        self._running = RunningGeneration(model, request, *self.picture.record_files(), self.picture.painted_mask(),
                                          class_names)
        self._started_at, self._first_frame = now, None
        self.busy = True
        return request

    def live_start(self) -> tuple[np.ndarray, str] | None:
        """What the live view shows before the first step: the start picture, if there is one."""
        display = self.picture.display()
        return None if display is None else (display, START_CAPTION)

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
        running = self._running
        record = GenerationRecord.of(running.model, running.request, result, running.init, running.mask)
        run = GenerationRun(result, record, running.painted_mask, class_names=running.class_names)
        return run, f"{len(result.images)} images in {now - self._started_at:.1f} s ({result.steps_done()})"

    def finish(self) -> None:
        self.busy = False

    # --- the start picture --------------------------------------------------------------------

    def dropped(self, path: Path) -> tuple[bool, str]:
        """What a file dropped on the page is for: (True, "") for a PNG carrying settings, to load
        them; else (False, why) to start from it. A file no settings reader takes still goes to
        the photo reader, which takes more formats (camera RAW) or says why it cannot."""
        try:
            read_generation_record(path)
        except NoGenerationRecord:
            return False, f"{path.name} carries no settings of this app, so it is the start picture"
        except EngineError:
            return False, ""
        return True, ""

    def begin_read(self, purpose: str, about: LoadedSettings | str | None = None) -> int:
        """A read of picture files starts (PICTURE, MASK, REFIT or RESTORE of `about`'s
        settings; for a PICTURE `about` may say why the file is one); returns its load number.
        Any read still running is stale from now on."""
        self._reads += 1
        self._read_for = (purpose, about)
        self.reading = True
        return self._reads

    def refit_paths(self, geometry: Geometry) -> tuple[Path, Path | None] | None:
        """The files to read again for a model of another size or channel count (the picture, and
        the mask where it still is a file's), or None when the start picture fits it as it is."""
        if not self.picture.needs_refit(geometry):
            return None
        mask = self.picture.mask_file
        return Path(self.picture.picture.source.path), Path(mask.source.path) if mask else None

    def clear_picture(self) -> None:
        self.picture.clear()
        self._reads += 1  # a read still running would bring the picture back
        self.reading = False

    def read_failed(self) -> None:
        """A read stopped without an answer (a bug): nothing was read, and the page is usable again."""
        self.reading = False

    def pictures_read(self, read: PicturesRead) -> PicturesOutcome | None:
        """Take a finished read of picture files; None when a later read or a clear made it stale."""
        if read.load != self._reads:
            return None
        self.reading = False
        purpose, about = self._read_for
        if read.error is not None:
            if purpose == REFIT:  # the picture fits the previous model only: it must go
                self.picture.clear()
                return PicturesOutcome("error", f"The start picture was put away: {read.error}")
            return PicturesOutcome("error", read.error)
        if purpose == PICTURE:
            self.picture.set_picture(read.picture)
            why = f" ({about})" if about else ""
            return PicturesOutcome("info", f"Starting from {read.picture.name}{why}: {read.picture.fitted.description}."
                                           " Paint over it to redraw only part of it.")
        if purpose == MASK:
            note = self.picture.set_mask_file(read.mask)
            text = f"Mask {read.mask.name}: {read.mask.fitted.description}."
            return PicturesOutcome("warning", f"{text} But {note}.") if note else PicturesOutcome("info", text)
        if purpose == REFIT:
            self.picture.refit(read)
            return PicturesOutcome("info", f"The start picture was fitted again, to this model: "
                                           f"{read.picture.fitted.description}.")
        self._load_warnings = tuple(self.picture.restore(read, about.record.strength))
        return PicturesOutcome(settings=about)

    # --- settings from a saved image ---------------------------------------------------------

    def load_settings(self, path: Path, installed: Callable[[str], ModelSpec | None]) -> LoadedSettings:
        """The settings saved in `path`, where `installed` finds the spec of the model that made
        it; raises SettingsNotLoaded, having changed nothing, where they cannot be used here. An
        image made from a start picture needs its pictures read first: `read_load` says which
        read (the picture and the controls change once it is done); otherwise the start picture
        is put away, as the image was made without one."""
        self._loads += 1
        if self.busy:
            raise SettingsNotLoaded(BUSY_MESSAGE)
        try:
            record = read_generation_record(path)
        except EngineError as error:
            raise SettingsNotLoaded(str(error)) from None
        spec = self._check(path, record, installed)
        capped = f" (the first {MAX_COUNT} of its images)" if record.count > MAX_COUNT else ""
        self._loaded_message = f"Loaded the settings of {path.name}: {record.summary()}{capped}."
        self._load_warnings = ()
        settings = GenerationSettings(record.seed, min(record.count, MAX_COUNT), record.sampler, record.steps,
                                      record.eta, record.solver, record.class_label, record.guidance,
                                      record.resample if record.mask else None, record.random_class)
        loaded = LoadedSettings(path, record, settings, Geometry.of(spec))
        if record.init is None:
            self.clear_picture()
            return loaded
        return dataclasses.replace(loaded, read_load=self.begin_read(RESTORE, loaded))

    @staticmethod
    def _check(path: Path, record: GenerationRecord, installed: Callable[[str], ModelSpec | None]) -> ModelSpec:
        if record.seed > MAX_SEED:
            raise SettingsNotLoaded(f"{path.name} was made with seed {record.seed:,}, beyond this page's largest seed "
                                    f"({MAX_SEED:,}): make it again with engine sample --settings-from.")
        if record.guidance is not None and record.guidance > MAX_GUIDANCE:
            raise SettingsNotLoaded(f"{path.name} was made with guidance {record.guidance:g}, beyond this page's "
                                    f"largest ({MAX_GUIDANCE:g}): make it again with engine sample --settings-from.")
        spec = installed(record.model)
        if spec is None:
            raise SettingsNotLoaded(f"{path.name} was made with the model “{record.model}”, which is not installed "
                                    "here: train it on the Train page or copy its folder into your models folder.")
        if record.class_label is not None and record.class_label >= len(spec.class_names):
            has = f"has only {len(spec.class_names)} classes" if spec.is_conditional else "has no classes"
            raise SettingsNotLoaded(f"{path.name} was made with class {record.class_label} of “{record.model}”, "
                                    f"but the model of that name installed here {has}.")
        return spec

    @staticmethod
    def reading_message(loaded: LoadedSettings) -> str:
        return f"Reading the picture {loaded.path.name} was made from…"

    def loaded_message(self, exact_solver: bool) -> tuple[str, str]:
        """(banner kind, text) once the settings are shown; `exact_solver` False where the solver
        dial could not show the saved solver exactly, so the picture will differ; a warning too
        where a picture it was made from has changed since."""
        if not exact_solver:
            self._loaded_message += (" This page cannot set its ODE solver exactly, so the "
                                     "picture will differ; engine sample --settings-from makes it exactly.")
        if self._load_warnings:
            return "warning", f"{self._loaded_message} But {'; and '.join(self._load_warnings)}."
        if exact_solver:
            return "info", f"{self._loaded_message} Generate makes it again."
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
