"""One sample-quality run made in parts: `engine eval --save-images PART` keeps the images a run
made with how it made them, and `engine eval ... --from-images PART ...` measures the parts as
the one run they add up to.

Why: a reported number rests on 5,000 images, hours of one CPU thread for the finer solvers. Cut
into parts of a few hundred seeds, such a run uses every free core and survives a stopped
session (a part cut short costs only itself). Image i depends on its seed alone
(`engine.generate`), so parts holding seeds 0-2,499 and 2,500-4,999 hold the very images one
run of 5,000 from seed 0 makes. The measuring command repeats the sampling options: each part
must have been made with exactly the settings it names, by the same weights, and the parts must
hold its seeds exactly once, so the result stands for that command and no other.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_bytes
from engine.checkpoints import LoadedModel
from engine.errors import ConfigError, DatasetError
from engine.generate import GenerationRequest, GenerationResult, resolved_sampler

FORMAT = "cunet-studio eval images 1"


@dataclass(frozen=True)
class ImagePart:
    settings: dict  # `run_settings` of the run that made the images
    seeds: np.ndarray  # (N,) int64: image i's seed
    images: np.ndarray  # (N, H, W, C) uint8
    class_labels: np.ndarray | None  # (N,) the class each image was asked for; None: unconditional
    guidance_scales: np.ndarray | None  # (N,) each image's guidance scale; None: unconditional


def run_settings(model: LoadedModel, request: GenerationRequest) -> dict:
    """Everything that decides a run's images besides the seeds, as JSON values: the weights (by
    their fingerprint), the sampler and step count the request resolves to, the ODE solver used,
    the class asked for and the guidance scale asked for (None: the card's, per class)."""
    sampler, steps = resolved_sampler(model.spec, request)
    solver = model.spec.solver_used(request.solver)
    return {"weights": model.weights_id, "sampler": sampler, "steps": steps,
            "solver": None if solver is None else asdict(solver), "class": request.class_label,
            "random_class": request.random_class, "guidance": request.guidance}


def part_of(result: GenerationResult, settings: dict, first_seed: int) -> ImagePart:
    """The part a generation from seed `first_seed` made with `settings`."""
    count = len(result.images)
    return ImagePart(settings, np.arange(first_seed, first_seed + count, dtype=np.int64), result.images,
                     None if result.class_labels is None else np.asarray(result.class_labels, dtype=np.int64),
                     None if result.guidance_scales is None else np.asarray(result.guidance_scales, dtype=np.float64))


def save_part(path: Path, part: ImagePart) -> None:
    """Write `part` as one .npz file, atomically (a part is hours of sampling)."""
    arrays = {"format": np.array(FORMAT), "settings": np.array(json.dumps(part.settings, sort_keys=True)),
              "seeds": part.seeds, "images": part.images}
    if part.class_labels is not None:
        arrays["class_labels"] = part.class_labels
        arrays["guidance_scales"] = part.guidance_scales
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def load_part(path: Path) -> ImagePart:
    """The part in `path`, or a one-line DatasetError saying why it is not one."""
    try:
        with np.load(path, allow_pickle=False) as files:
            arrays = {name: files[name] for name in files.files}
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DatasetError(f"{path} is not a file of images written by engine eval --save-images ({error})") from None
    if str(arrays.get("format", "")) != FORMAT or "settings" not in arrays:
        raise DatasetError(f"{path} is not a file of images written by engine eval --save-images")
    seeds, images = arrays.get("seeds"), arrays.get("images")
    labels, scales = arrays.get("class_labels"), arrays.get("guidance_scales")
    if (seeds is None or images is None or images.dtype != np.uint8 or images.ndim != 4
            or len(seeds) != len(images) or (labels is None) != (scales is None)
            or any(len(values) != len(images) for values in (labels, scales) if values is not None)):
        raise DatasetError(f"{path} is damaged: its images, seeds and classes do not match")
    try:
        settings = json.loads(str(arrays["settings"]))
    except ValueError:
        settings = None
    if not isinstance(settings, dict):
        raise DatasetError(f"{path} is damaged: the settings it was made with cannot be read")
    return ImagePart(settings, seeds, images, labels, scales)


def joined_result(files: list[tuple[Path, ImagePart]], settings: dict, seed: int, count: int) -> GenerationResult:
    """The generation that the parts (with the files they came from) add up to, as the run of
    `count` images from `seed` with `settings` would have returned it; a ConfigError naming the
    first part made otherwise, a seed held twice or the seeds no part holds."""
    for path, part in files:
        keys = sorted(set(settings) | set(part.settings))
        differing = [key for key in keys if settings.get(key) != part.settings.get(key)]
        if differing:
            key = differing[0]
            raise ConfigError(f"{path.name} was made with {key} {part.settings.get(key)!r}, this command asks for "
                              f"{settings.get(key)!r}: give the options its images were made with")
    parts = [part for _, part in files]
    seeds = np.concatenate([part.seeds for part in parts])
    order = np.argsort(seeds, kind="stable")
    seeds = seeds[order]
    repeated = seeds[1:][seeds[1:] == seeds[:-1]]
    if len(repeated):
        raise ConfigError(f"seed {repeated[0]} is in more than one part: each image must be counted once")
    wanted = np.arange(seed, seed + count, dtype=np.int64)
    if len(seeds) != count or not np.array_equal(seeds, wanted):
        missing = np.setdiff1d(wanted, seeds)
        extra = np.setdiff1d(seeds, wanted)
        problem = (f"{_seeds_phrase(missing)} in no part" if len(missing)
                   else f"{_seeds_phrase(extra)} outside them")
        raise ConfigError(f"the parts must hold seeds {seed} to {seed + count - 1} (-n {count} --seed {seed}): "
                          f"{problem}")
    images = np.concatenate([part.images for part in parts])[order]
    first = parts[0]
    labels = scales = None
    if first.class_labels is not None:
        labels = tuple(int(label) for label in np.concatenate([part.class_labels for part in parts])[order])
        scales = tuple(float(scale) for scale in np.concatenate([part.guidance_scales for part in parts])[order])
    return GenerationResult(images=images, sampler=settings["sampler"], steps=settings["steps"], timesteps=[],
                            model_weights=settings["weights"], class_labels=labels, guidance_scales=scales)


def _seeds_phrase(seeds: np.ndarray) -> str:
    """"seed 4 is" or "4 seeds from 4 to 9 are"."""
    if len(seeds) == 1:
        return f"seed {seeds[0]} is"
    return f"{len(seeds)} seeds from {seeds.min()} to {seeds.max()} are"
