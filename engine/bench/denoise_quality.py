"""Photo-denoising quality: PSNR and SSIM on clean photos with synthetic noise.

Protocol (docs/benchmarks.md, "Photo denoising"):

* Clean reference: the 8-bit RGB photo as float32 in [0, 1] (value / 255), optionally
  center-cropped to `crop` x `crop` pixels.
* Noise: under each noise condition of the run's input kinds (`noise_conditions`). The
  literature's, kind "gaussian": y = x + (sigma / 255) n, n ~ N(0, 1) drawn from a generator
  seeded by (seed, photo file name, sigma) for the FULL photo and then cropped like the photo, so
  a photo gets the same noise whatever the other photos, sigmas, methods or crop of the run. y is
  neither quantised to 8 bits nor clipped: the additive white Gaussian noise model exactly, as in
  the BM3D and DnCNN papers. The other kinds store that noise, or camera noise, as files do.
* Every output is clipped to [0, 1] and scored unquantised against the clean photo.
  PSNR = 10 log10(1 / MSE) over all pixels and channels (scikit-image's when installed, the
  same formula otherwise); SSIM is scikit-image's `structural_similarity` with Wang et al.'s
  settings (11x11 Gaussian window, sigma 1.5, population covariance), averaged over channels,
  or None without scikit-image. Tables average over photos.
* Seconds: wall-clock (`time.perf_counter`) and CPU time of this process (`time.process_time`,
  all its threads) around the method's call and the clipping of its output (noise synthesis and
  scoring excluded), divided by megapixels. On a shared machine the CPU time of a one-thread run
  is the steadier number; wall-clock is what a user waits.
* Tuned values are picked per noise condition by mean PSNR on center crops of the TRAINING
  photos, never the held-out ones, with the same noise seeding: TV's weight, and the σ that
  methods taking one are run at on camera noise, from SIGMA_GRID (Gaussian noise has a true σ,
  which they are given).
* Sanity check: each clean held-out photo, no noise added, through the model with its own noise
  estimate, must come back above SANITY_MIN_PSNR dB of itself.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from engine.bench.denoise_methods import BM3D_THREADS, Method, run_model, select_methods
from engine.bench.denoise_report import DenoiseBenchReport, SanityScore, Score, TuningRecord
from engine.bench.noise_conditions import NoiseCondition, NoisyPhoto, conditions_for, make_noisy, true_level
from engine.checkpoints import LoadedModel
from engine.data.image_files import find_image_files
from engine.denoise import DenoiseSettings, read_photo
from engine.errors import ConfigError
from engine.paths import benchmarks_dir, shared_data_dir

WARM_UP_SIZE = 64
MIN_CROP = 16  # SSIM's Gaussian window is 11 pixels; the model's smallest tile is 16
PHOTOS_ENV = "CUNET_STUDIO_BENCH_PHOTOS"
SSIM_SETTINGS = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}
SIGMA_GRID = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 75.0)  # 0-255 units
BENCH_LONG_SIDE = 768  # the long side of the benchmark's photos (shared/data/photos)


@dataclass(frozen=True)
class BenchPhoto:
    """clean: (h, w, 3) float32 in [0, 1], the `region` of a photo of `full_shape`."""

    name: str
    clean: np.ndarray
    full_shape: tuple[int, int, int]
    region: tuple[slice, slice]

    @property
    def megapixels(self) -> float:
        return self.clean.shape[0] * self.clean.shape[1] / 1e6

    def noisy(self, sigma: float, seed: int) -> np.ndarray:
        """The clean crop plus Gaussian noise of std `sigma` (0-255 units), float32, unclipped."""
        generator = np.random.default_rng([seed, zlib.crc32(self.name.encode()), round(sigma * 1000)])
        noise = generator.standard_normal(self.full_shape, dtype=np.float32)[self.region]
        return self.clean + np.float32(sigma / 255) * noise


def bench_photos_dir(given: Path | None = None) -> Path:
    """The benchmark's photo folder: `given`, else $CUNET_STUDIO_BENCH_PHOTOS, else the shared
    data's photos beside the checkout."""
    return given or Path(os.environ.get(PHOTOS_ENV) or shared_data_dir() / "photos")


def default_split_file() -> Path:
    """benchmarks/photo_split.json: the held-out photos, the rest train and tune."""
    return benchmarks_dir() / "photo_split.json"


def photo_split(photos_dir: Path, split_file: Path) -> tuple[list[str], list[str]]:
    """(held-out, training) image paths of `photos_dir`, relative to it: the held-out ones are
    listed under "held_out" in `split_file` (JSON), every other image there is a training photo."""
    try:
        held_out = list(json.loads(split_file.read_text("utf-8"))["held_out"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{split_file}: cannot read the held-out photo list ({error})") from None
    if not photos_dir.is_dir():
        raise ConfigError(f"photo folder {photos_dir} not found; pass --photos or set {PHOTOS_ENV}")
    found = [p.relative_to(photos_dir).as_posix() for p in find_image_files(photos_dir)]
    missing = [name for name in held_out if name not in found]
    if missing:
        raise ConfigError(f"held-out photos missing from {photos_dir}: {', '.join(missing)}")
    return held_out, [name for name in found if name not in held_out]


def photo_at_bench_size(path: Path) -> np.ndarray:
    """(H, W, 3) RGB pixels in [0, 1] of the photo at `path`, shrunk (Lanczos) to at most
    BENCH_LONG_SIDE on its long side: a corpus photo at full resolution is then measured at the
    scale of detail the benchmark's photos have."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        scale = BENCH_LONG_SIDE / max(image.size)
        if scale < 1:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        return np.asarray(image, np.float32) / 255


def load_bench_photos(folder: Path, names: list[str], crop: int | None = None) -> list[BenchPhoto]:
    """The RGB photos `names` of `folder`, center-cropped to at most `crop` x `crop` pixels."""
    photos = []
    for name in names:
        pixels = read_photo(folder / name).pixels
        if pixels.shape[2] != 3:
            raise ConfigError(f"{name}: benchmark photos must be RGB, this one is grey")
        height, width = pixels.shape[:2]
        region = (_centered(height, crop), _centered(width, crop))
        photos.append(BenchPhoto(name, np.ascontiguousarray(pixels[region]), pixels.shape, region))
    return photos


def _centered(length: int, crop: int | None) -> slice:
    size = length if crop is None else min(length, crop)
    start = (length - size) // 2
    return slice(start, start + size)


def psnr(clean: np.ndarray, estimate: np.ndarray) -> float:
    """PSNR in dB of `estimate` against `clean`, both in [0, 1]; inf when they are equal."""
    metrics = _skimage_metrics()
    if metrics is not None:
        with np.errstate(divide="ignore"):
            return float(metrics.peak_signal_noise_ratio(clean, estimate, data_range=1.0))
    mse = float(np.mean(np.square(clean.astype(np.float64) - estimate)))
    return float("inf") if mse == 0 else 10 * float(np.log10(1 / mse))


def ssim(clean: np.ndarray, estimate: np.ndarray) -> float | None:
    """Mean SSIM over channels of (H, W, C) images in [0, 1]; None without scikit-image."""
    metrics = _skimage_metrics()
    if metrics is None:
        return None
    return float(metrics.structural_similarity(clean, estimate, data_range=1.0, channel_axis=-1, **SSIM_SETTINGS))


def _skimage_metrics():
    try:
        return importlib.import_module("skimage.metrics")
    except ImportError:
        return None


def tune_method(
    method: Method, photos: list[BenchPhoto], conditions: list[NoiseCondition], seed: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Per condition, the candidates of `method` (`_candidates`) with the best mean PSNR on
    `photos` (training photos): (parameter per condition name, σ per condition name), each
    holding only the conditions where it was tuned."""
    if not photos:
        raise ConfigError(f"{method.name} is tuned on the training photos, and none were found")
    parameters, sigmas = {}, {}
    for condition in conditions:
        candidates = _candidates(method, condition)
        if len(candidates) == 1:
            continue
        noisy = [make_noisy(photo, condition, seed) for photo in photos]

        def mean_psnr(candidate: tuple[float | None, float | None]) -> float:
            sigma, parameter = candidate
            return float(np.mean([
                psnr(p.clean, clipped(method.run(y, true_level(condition, y) if sigma is None else sigma, parameter)))
                for p, y in zip(photos, noisy)
            ]))

        sigma, parameter = max(candidates, key=mean_psnr)
        if parameter is not None:
            parameters[condition.name] = parameter
        if sigma is not None:
            sigmas[condition.name] = sigma
    return parameters, sigmas


def _candidates(method: Method, condition: NoiseCondition) -> list[tuple[float | None, float | None]]:
    """(σ, parameter) pairs to try: each σ of SIGMA_GRID where `_tunes_sigma`, else None (the
    true level); each value of the method's grid, else None."""
    sigmas = SIGMA_GRID if _tunes_sigma(method, condition) else (None,)
    return list(itertools.product(sigmas, method.grid or (None,)))


def _tunes_sigma(method: Method, condition: NoiseCondition) -> bool:
    """A method that takes σ, on noise that has no single true σ (camera noise)."""
    return method.takes_sigma and condition.sigma is None


def method_inputs(
    method: Method, condition: NoiseCondition, noisy: NoisyPhoto, tuned: dict[str, TuningRecord]
) -> tuple[float, float | None]:
    """(sigma, parameter) that `method` runs with on `noisy` (`Method`'s contract): the values
    `tuned` for `condition` where there was a choice, else the true level and no parameter."""
    record = tuned.get(method.name)
    sigma = record.sigmas[condition.name] if _tunes_sigma(method, condition) else true_level(condition, noisy)
    return sigma, record.values[condition.name] if method.grid else None


def clipped(image: np.ndarray) -> np.ndarray:
    """A method's output as it is scored: clipped to [0, 1], float32."""
    return np.clip(image, 0, 1).astype(np.float32, copy=False)


def score_methods(
    methods: list[Method],
    photos: list[BenchPhoto],
    conditions: list[NoiseCondition],
    seed: int,
    tuned: dict[str, TuningRecord],
    progress: Callable[[str], None] | None = None,
) -> list[Score]:
    """Every method on every photo under every condition, with `method_inputs`. Each noisy photo
    is made once and given to all methods; each method is called once untimed first (library
    loading, torch's first-call set-up)."""
    _warm_up(methods, photos[0], conditions[0], seed, tuned)
    scores = []
    for photo in photos:
        for condition in conditions:
            noisy = make_noisy(photo, condition, seed)
            for method in methods:
                sigma, parameter = method_inputs(method, condition, noisy, tuned)
                started, cpu_started = time.perf_counter(), time.process_time()
                denoised = clipped(method.run(noisy, sigma, parameter))
                seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
                scores.append(Score(method.name, condition.name, photo.name, psnr(photo.clean, denoised),
                                    ssim(photo.clean, denoised), seconds, cpu_seconds, photo.megapixels, parameter))
                if progress is not None:
                    progress(f"{method.name} {photo.name} {condition.name}")
    return scores


def _warm_up(
    methods: list[Method], photo: BenchPhoto, condition: NoiseCondition, seed: int, tuned: dict[str, TuningRecord]
) -> None:
    corner = make_noisy(photo, condition, seed).top_left(WARM_UP_SIZE)
    for method in methods:
        method.run(corner, *method_inputs(method, condition, corner, tuned))


def sanity_check(model: LoadedModel, photos: list[BenchPhoto], settings: DenoiseSettings) -> list[SanityScore]:
    """Each clean photo through `model` with its own noise estimate."""
    results = []
    for photo in photos:
        result = run_model(model, photo.clean, settings)
        results.append(SanityScore(photo.name, result.sigma, psnr(photo.clean, result.photo.pixels)))
    return results


@dataclass(frozen=True)
class DenoiseBenchConfig:
    """What one benchmark run measures. `held_out` photos of `photos_dir` are scored; `training`
    photos (none of the held-out ones) only tune parameters, on `tune_photos` of them evenly
    spaced in name order (so spanning the sources) and cropped to `tune_crop`. The noise
    conditions are those of the input `kinds` (`noise_conditions`), `sigmas` (0-255 units) those
    of the Gaussian kinds. `strength` and `steps` are the model's DenoiseSettings."""

    photos_dir: Path
    held_out: list[str]
    training: list[str]
    methods: list[str]
    sigmas: list[float]
    kinds: list[str] = field(default_factory=lambda: ["gaussian"])
    crop: int | None = None
    seed: int = 0
    tune_photos: int = 8
    tune_crop: int = 256
    strength: float = 0.0
    steps: int = 10

    @property
    def conditions(self) -> list[NoiseCondition]:
        return conditions_for(self.kinds, self.sigmas)

    @property
    def model_settings(self) -> DenoiseSettings:
        """The model's settings (noise level estimated; the methods override what they vary)."""
        return DenoiseSettings(strength=self.strength, steps=self.steps)

    def settings(self) -> dict:
        """What makes two runs' numbers comparable (DenoiseBenchReport.settings)."""
        return {"photos": self.held_out, "crop": self.crop, "seed": self.seed, "kinds": self.kinds,
                "sigmas": self.sigmas, "conditions": [c.name for c in self.conditions]}


def run_denoise_benchmark(
    config: DenoiseBenchConfig, model: LoadedModel | None = None, progress: Callable[[str], None] | None = None
) -> DenoiseBenchReport:
    """Tune, then score every method of `config` (`model` is needed for the model methods; the
    sanity check runs whenever it is given)."""
    methods = select_methods(config.methods, model, config.model_settings)
    photos = load_bench_photos(config.photos_dir, config.held_out, config.crop)
    tuned = tune_methods(config, methods)
    scores = score_methods(methods, photos, config.conditions, config.seed, tuned, progress)
    sanity = [] if model is None else sanity_check(model, photos, config.model_settings)
    return DenoiseBenchReport(
        settings=config.settings(),
        runs=[_run_record(config, methods, model)],
        labels={m.name: m.label for m in methods},
        scores=scores,
        tuned=tuned,
        sanity=sanity,
    )


def _run_record(config: DenoiseBenchConfig, methods: list[Method], model: LoadedModel | None) -> dict:
    """How this run measured: enough to reproduce it and to read its timings."""
    record = {
        "methods": [m.name for m in methods],
        "date": time.strftime("%Y-%m-%d"),
        "photos_dir": str(config.photos_dir),
        "cpu_count": os.cpu_count(),
        "threads": {"torch": torch.get_num_threads(), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                    "bm3d": BM3D_THREADS},
    }
    if model is not None:
        record["model"] = {"name": model.name, "source": str(model.source), "device": model.device.type,
                           "strength": config.strength, "steps": config.steps}
    return record


def tune_methods(config: DenoiseBenchConfig, methods: list[Method]) -> dict[str, TuningRecord]:
    """Tune every method that has a choice under some condition of `config` (`_candidates`) on
    the training photos of `config`."""
    conditions = config.conditions
    tunable = [m for m in methods if any(len(_candidates(m, c)) > 1 for c in conditions)]
    if not tunable:
        return {}
    names = config.training[:: max(1, len(config.training) // config.tune_photos)][: config.tune_photos]
    photos = load_bench_photos(config.photos_dir, names, config.tune_crop)
    records = {}
    for method in tunable:
        values, sigmas = tune_method(method, photos, conditions, config.seed)
        records[method.name] = TuningRecord(values, names, config.tune_crop, sigmas)
    return records
