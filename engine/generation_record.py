"""The settings that made a generated image, saved inside the image and read back from it.

Both front ends write the same record into every PNG they save (`engine sample`, the Generate
page's Save), so either can make the image again from the file alone: drop it on the Generate
page, or run `engine sample --settings-from IMAGE`. The seed is all an image needs, because
every image is drawn from its own random stream (see engine.generate); a grid's record also
carries how many images it holds, and an image of a class-conditional model its class and
guidance scale (records without them, older or unconditional, read as unconditional). An image of
a random-class generation records the class it got, so it is made again on its own as that class;
the generation's record (a grid's) says `random_class`.

An image made from an init picture (img2img) and a mask (inpainting) cannot carry those files,
so its record names them (`SourceFile`: the path and a fingerprint of the bytes): a replay finds
them where they were, and says so when one is gone (`check_source_file`: an error) or has changed
since (a warning: the same settings then make another picture). Records written before these
fields existed read as plain generation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from PIL import Image

from engine.data.image_files import check_regular_file, image_reading_errors
from engine.diffusion import SolverChoice, SteppedSolver, as_schedule
from engine.errors import ConfigError, ImageLoadError
from engine.generate import MAX_IMAGES, MAX_SEED, MAX_STEPS, GenerationRequest, GenerationResult
from engine.guidance import guidance_words
from engine.json_values import is_real, is_whole
from engine.models import SolverSettings
from engine.sampling import SAMPLERS
from engine.steering import MAX_RESAMPLE

TEXT_KEY = "cunet-studio"  # the PNG tEXt keyword
WEIGHTS_ID = re.compile(r"[0-9a-f]{1,64}")
MAX_CLASS = 2**31 - 1  # any class index a record may hold; generation checks that the model has it
FILE_FINGERPRINT = re.compile(r"[0-9a-f]{16}")
NO_RECORD = ("has no cUNet Studio settings: only PNG files saved by cUNet Studio (the Generate page's Save, "
             "or engine sample) carry them")


class NoGenerationRecord(ImageLoadError):
    """The file is an image but carries no settings: a picture from anywhere, which the Generate
    page then takes as a start picture rather than refusing it."""


@dataclass(frozen=True)
class SourceFile:
    """A file an image was made from: its absolute path when it was made, and `file_fingerprint`
    of its bytes then."""

    path: str
    sha256: str

    @classmethod
    def of(cls, path: Path) -> SourceFile:
        return cls(str(Path(path).expanduser().resolve()), file_fingerprint(path))


def file_fingerprint(path: Path) -> str:
    """The first 16 hex digits of the file's SHA-256: enough to notice a changed file."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:16]


@dataclass(frozen=True)
class GenerationRecord:
    """`solver` None: the model's own ODE solver (and always for U-Nets, which have none); else
    one solver throughout (the JSON object of its settings, as records have always held) or a
    step-aware schedule (an object of its `noisy` and `fine` settings and its `switch` step).
    `weights`: the model's weights_id when it was made; None in records written before it.
    `class_label`, `guidance`: the class (index from 0) and guidance scale it was made with; None
    for an unconditional image. `random_class`: a generation of a class per image (`of_image`
    gives each image's record its class and scale), its guidance None where each image had its
    class's recommended scale.
    `init`, `mask`: the init picture and mask it was made from (None: plain generation), with the
    `strength` and RePaint `resample` they were used with; `steps` is the full-strength count."""

    model: str
    seed: int
    sampler: str
    steps: int
    eta: float = 0.0
    solver: SolverChoice | None = None
    count: int = 1
    weights: str | None = None
    class_label: int | None = None
    guidance: float | None = None
    strength: float = 1.0
    resample: int = 1
    init: SourceFile | None = None
    mask: SourceFile | None = None
    random_class: bool = False

    @classmethod
    def of(cls, model: str, request: GenerationRequest, result: GenerationResult, init: SourceFile | None = None,
           mask: SourceFile | None = None) -> GenerationRecord:
        """The record of a whole generation (`count` = its images), built the same way by every
        front end: what `request` asked (seed, eta, solver, class, strength) and what the engine
        resolved it to (`result`'s sampler, steps, guidance, resample and weights).

        `model` names the model as saved settings should (`ModelStore.reference`). `init` and `mask`
        are the files the request's init picture and mask were fitted from; a file without its
        picture in the request is refused. A picture may come without a file for now (the Generate
        page's painted mask has none until it writes one beside the image it saves, then sets `mask`
        with `dataclasses.replace`): such a record must not be saved, as a replay could not find it."""
        if (init is not None and request.init_image is None) or (mask is not None and request.mask is None):
            raise ValueError("a recorded init picture or mask file needs the picture or mask in the request")
        return cls(model=model, seed=request.seed, sampler=result.sampler, steps=result.steps, eta=request.eta,
                   solver=request.solver, count=len(result.images), weights=result.model_weights,
                   class_label=request.class_label, guidance=result.guidance, strength=request.strength,
                   resample=result.resample, init=init, mask=mask, random_class=request.random_class)

    def of_image(self, index: int, result: GenerationResult) -> GenerationRecord:
        """The record that makes image `index` of this generation (`result`) again on its own: its
        seed, and its class and guidance scale (each image's own where a random class per image
        guided each at its class's scale)."""
        one = dataclasses.replace(self, seed=self.seed + index, count=1)
        if result.class_labels is None or result.guidance_scales is None:
            return one
        return dataclasses.replace(one, class_label=result.class_labels[index], random_class=False,
                                   guidance=result.guidance_scales[index])

    def png_text(self) -> dict[str, str]:
        fields = dataclasses.asdict(self)
        fields["solver"] = dataclasses.asdict(self.solver) if self.solver else None
        return {TEXT_KEY: json.dumps(fields)}

    def summary_parts(self, class_names: Sequence[str] = ()) -> list[str]:
        """["digits", "ddpm 50 steps", "16 images from seed 0"], with the ODE solver when the record
        names one: the pieces every one-line description of a run is joined from. With the model's
        `class_names` a class reads as its name ("Sneaker") where that is more than its index."""
        images = f"{self.count} images from seed {self.seed}" if self.count > 1 else f"seed {self.seed}"
        solver = [f"{as_schedule(self.solver).label()} per ODE block"] if self.solver else []
        eta = f" (eta {self.eta:g})" if self.sampler == "ddim" and self.eta else ""
        which = "a random class" if self.random_class else _class_words(self.class_label, class_names)
        steered = self.random_class or self.class_label is not None
        guided = [f"{which} ({guidance_words(self.guidance)})"] if steered else []
        return [self.model, *guided, f"{self.sampler}{eta} {self.steps} steps", *solver, *self._steering_parts(), images]

    def _steering_parts(self) -> list[str]:
        """["from cat.png at strength 0.6", "mask hole.png, resample 2"], or [] for plain generation."""
        if self.init is None:
            return []
        parts = [f"from {Path(self.init.path).name} at strength {self.strength:g}"]
        if self.mask is not None:
            resample = f", resample {self.resample}" if self.resample > 1 else ""
            parts.append(f"mask {Path(self.mask.path).name}{resample}")
        return parts

    def summary(self) -> str:
        """One line for messages: "digits, ddpm 50 steps, seed 6"."""
        return ", ".join(self.summary_parts())


def _class_words(label: int | None, class_names: Sequence[str]) -> str:
    """"Sneaker" for a named class, "class 7" where the name is only the index (digits) or unknown."""
    name = class_names[label] if label is not None and 0 <= label < len(class_names) else None
    return name if name and name != str(label) else f"class {label}"


def other_weights_warning(record: GenerationRecord, installed_weights: str, image_name: str) -> str | None:
    """A sentence when the model installed under the record's name has other weights than the
    one that made the image (retrained, or another model of the same name), else None."""
    if record.weights is None or record.weights == installed_weights:
        return None
    return (f"the model “{record.model}” installed here is not the one that made {image_name} (its weights "
            "differ, e.g. it was retrained), so the same settings will make a different picture")


def check_source_file(source: SourceFile, role: str, image_name: str) -> str | None:
    """Before a replay reuses a recorded `role` file ("init picture", "mask"): raises
    ImageLoadError when it is gone, returns a warning when its bytes changed, else None."""
    path = Path(source.path)
    if not path.is_file():
        raise ImageLoadError(f"{image_name} was made from the {role} {path}, which is not there any more; "
                             f"give the {role} again")
    if file_fingerprint(path) != source.sha256:
        return (f"the {role} {path} has changed since it made {image_name}, "
                "so the same settings will make a different picture")
    return None


def read_generation_record(path: Path) -> GenerationRecord:
    """The record saved in a PNG's text chunks; raises ImageLoadError saying what is wrong (not an
    image, no record, a damaged record) so a front end can show it as it is."""
    try:
        check_regular_file(path)  # before opening: a named pipe would block the reader forever
        with image_reading_errors(), warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # only the header is read
            with Image.open(path) as image:
                text = image.info.get(TEXT_KEY)  # tEXt chunks before the pixels: where every writer puts them
    except ImageLoadError as error:
        raise ImageLoadError(f"{path.name}: {error}") from error
    if not isinstance(text, str):
        raise NoGenerationRecord(f"{path.name} {NO_RECORD}")
    try:
        return parse_record(text)
    except (ValueError, ConfigError) as error:
        raise ImageLoadError(f"{path.name}: its cUNet Studio settings are damaged ({error})") from error


def parse_record(text: str) -> GenerationRecord:
    """Checks every field: the text comes from a file anyone can edit."""
    fields = json.loads(text)
    if not isinstance(fields, dict):
        raise ValueError("not a JSON object")
    model = fields.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ValueError("no model name")
    sampler = fields.get("sampler")
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}")
    eta = fields.get("eta", 0.0)
    if not is_real(eta) or not 0 <= eta <= 1:
        raise ValueError(f"eta must be a number from 0 to 1, got {eta!r}")
    weights = fields.get("weights")
    if weights is not None and not (isinstance(weights, str) and WEIGHTS_ID.fullmatch(weights)):
        raise ValueError(f"weights must be a fingerprint of hex digits, got {weights!r}")
    strength = fields.get("strength", 1.0)
    if not is_real(strength) or not 0 <= strength <= 1:
        raise ValueError(f"strength must be a number from 0 to 1, got {strength!r}")
    init, mask = _source_file(fields, "init"), _source_file(fields, "mask")
    if init is None and (mask is not None or strength != 1):
        raise ValueError("a mask or a strength below 1 without an init picture")
    class_label, guidance, random_class = _class_and_guidance(fields)
    return GenerationRecord(
        model=model, seed=_whole(fields, "seed", 0, MAX_SEED), sampler=sampler,
        steps=_whole(fields, "steps", 1, MAX_STEPS), eta=float(eta), solver=_solver(fields.get("solver")),
        count=_whole(fields, "count", 1, MAX_IMAGES, default=1), weights=weights, strength=float(strength),
        resample=_whole(fields, "resample", 1, MAX_RESAMPLE, default=1), init=init, mask=mask,
        class_label=class_label, guidance=guidance, random_class=random_class,
    )


def _source_file(fields: dict, key: str) -> SourceFile | None:
    value = fields.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"path", "sha256"}:
        raise ValueError(f"{key} must be an object of path and sha256")
    path, fingerprint = value["path"], value["sha256"]
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"{key} names no file")
    if not (isinstance(fingerprint, str) and FILE_FINGERPRINT.fullmatch(fingerprint)):
        raise ValueError(f"{key} sha256 must be 16 hex digits, got {fingerprint!r}")
    return SourceFile(path, fingerprint)


def _class_and_guidance(fields: dict) -> tuple[int | None, float | None, bool]:
    """(class, guidance, random class): an image of a class was made with some guidance scale,
    which reproduces it, and so was a generation of a random class per image, unless each image
    had its class's recommended scale (guidance None); neither for an unconditional one."""
    random_class = fields.get("random_class", False)
    if not isinstance(random_class, bool):
        raise ValueError(f"random_class must be true or false, got {random_class!r}")
    if fields.get("class_label") is None and fields.get("guidance") is None and not random_class:
        return None, None, False
    guidance = fields.get("guidance")
    if random_class and guidance is None and fields.get("class_label") is None:
        return None, None, True
    if not is_real(guidance) or guidance < 0:
        raise ValueError(f"guidance must be a number >= 0 for an image of a class, got {guidance!r}")
    if random_class:
        if fields.get("class_label") is not None:
            raise ValueError("a record of a random class per image names no one class")
        return None, float(guidance), True
    return _whole(fields, "class_label", 0, MAX_CLASS), float(guidance), False


def _solver(value: Any) -> SolverChoice | None:
    """One solver's settings, or a step-aware schedule: the object that has a `switch`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("the solver is not an object")
    if "switch" not in value:
        return _solver_settings(value)
    _known_keys(value, {f.name for f in dataclasses.fields(SteppedSolver)}, "solver schedule")
    missing = {"noisy", "fine"} - set(value)
    if missing:
        raise ValueError(f"the solver schedule has no {' and no '.join(sorted(missing))} solver")
    return SteppedSolver(_solver_settings(value["noisy"]), _solver_settings(value["fine"]), value["switch"],
                         value.get("until", 0))  # records made before the end phase existed have none


def _solver_settings(value: Any) -> SolverSettings:
    if not isinstance(value, dict):
        raise ValueError("the solver is not an object")
    _known_keys(value, {f.name for f in dataclasses.fields(SolverSettings)}, "solver")
    return SolverSettings(**value)


def _known_keys(value: dict, known: set[str], what: str) -> None:
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"unknown {what} setting(s) {', '.join(sorted(unknown))}")


def _whole(fields: dict, key: str, low: int, high: int, default: int | None = None) -> int:
    value = fields.get(key, default)
    if not is_whole(value) or not low <= value <= high:
        raise ValueError(f"{key} must be a whole number from {low} to {high:,}, got {value!r}")
    return value
