"""Photo-denoising quality: PSNR and SSIM on clean photos with synthetic Gaussian noise.

Protocol (docs/benchmarks.md, "Photo denoising"):

* Clean reference: the 8-bit RGB photo as float32 in [0, 1] (value / 255), optionally
  center-cropped to `crop` x `crop` pixels.
* Noise: y = x + (sigma / 255) n, n ~ N(0, 1) drawn from a generator seeded by (seed, photo file
  name, sigma) for the FULL photo and then cropped like the photo, so a photo gets the same noise
  whatever the other photos, sigmas, methods or crop of the run. y is neither quantised to 8 bits
  nor clipped: the additive white Gaussian noise model exactly, as in the BM3D and DnCNN papers.
* Every output is clipped to [0, 1] and scored unquantised against the clean photo.
  PSNR = 10 log10(1 / MSE) over all pixels and channels (scikit-image's when installed, the
  same formula otherwise); SSIM is scikit-image's `structural_similarity` with Wang et al.'s
  settings (11x11 Gaussian window, sigma 1.5, population covariance), averaged over channels,
  or None without scikit-image. Tables average over photos.
* Seconds: wall-clock (`time.perf_counter`) and CPU time of this process (`time.process_time`,
  all its threads) around the method's call and the clipping of its output (noise synthesis and
  scoring excluded), divided by megapixels. On a shared machine the CPU time of a one-thread run
  is the steadier number; wall-clock is what a user waits.
* Tuned parameters (TV's weight) are picked per sigma by mean PSNR on center crops of the
  TRAINING photos, never the held-out ones, with the same noise seeding.
* Sanity check: each clean held-out photo, no noise added, through the model with its own noise
  estimate, must come back above SANITY_MIN_PSNR dB of itself.
"""

from __future__ import annotations

import importlib
import json
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from engine.bench.denoise_methods import BM3D_THREADS, Method, run_model, select_methods
from engine.bench.denoise_report import DenoiseBenchReport, SanityScore, Score, TuningRecord
from engine.checkpoints import LoadedModel
from engine.data.image_files import find_image_files
from engine.denoise import DenoiseSettings, read_photo
from engine.errors import ConfigError
from engine.paths import benchmarks_dir, shared_data_dir

WARM_UP_SIZE = 64
MIN_CROP = 16  # SSIM's Gaussian window is 11 pixels; the model's smallest tile is 16
PHOTOS_ENV = "CUNET_STUDIO_BENCH_PHOTOS"
SSIM_SETTINGS = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}


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


def tune_parameters(
    method: Method, photos: list[BenchPhoto], sigmas: list[float], seed: int
) -> dict[float, float]:
    """Per sigma, the value of `method.grid` with the best mean PSNR on `photos` (training photos)."""
    if not photos:
        raise ConfigError(f"{method.name} is tuned on the training photos, and none were found")
    best = {}
    for sigma in sigmas:
        noisy = [photo.noisy(sigma, seed) for photo in photos]

        def mean_psnr(value: float) -> float:
            return float(np.mean([psnr(p.clean, _clipped(method.run(y, sigma, value))) for p, y in zip(photos, noisy)]))

        best[sigma] = max(method.grid, key=mean_psnr)
    return best


def _clipped(image: np.ndarray) -> np.ndarray:
    return np.clip(image, 0, 1).astype(np.float32, copy=False)


def score_methods(
    methods: list[Method],
    photos: list[BenchPhoto],
    sigmas: list[float],
    seed: int,
    tuned: dict[str, TuningRecord],
    progress: Callable[[str], None] | None = None,
) -> list[Score]:
    """Every method on every photo at every sigma. `tuned[method].values[sigma]` is the parameter
    of a method with a grid. Each noisy photo is made once and given to all methods;
    each method is called once untimed first (library loading, torch's first-call set-up)."""
    _warm_up(methods, photos[0], sigmas[0], seed, tuned)
    scores = []
    for photo in photos:
        for sigma in sigmas:
            noisy = photo.noisy(sigma, seed)
            for method in methods:
                parameter = _parameter(tuned, method, sigma)
                started, cpu_started = time.perf_counter(), time.process_time()
                denoised = _clipped(method.run(noisy, sigma, parameter))
                seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
                scores.append(Score(method.name, sigma, photo.name, psnr(photo.clean, denoised),
                                    ssim(photo.clean, denoised), seconds, cpu_seconds, photo.megapixels, parameter))
                if progress is not None:
                    progress(f"{method.name} {photo.name} sigma {sigma:g}")
    return scores


def _warm_up(methods: list[Method], photo: BenchPhoto, sigma: float, seed: int, tuned: dict[str, TuningRecord]) -> None:
    corner = np.ascontiguousarray(photo.noisy(sigma, seed)[:WARM_UP_SIZE, :WARM_UP_SIZE])
    for method in methods:
        method.run(corner, sigma, _parameter(tuned, method, sigma))


def _parameter(tuned: dict[str, TuningRecord], method: Method, sigma: float) -> float | None:
    return tuned[method.name].values[sigma] if method.name in tuned else None


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
    spaced in name order (so spanning the sources) and cropped to `tune_crop`. `strength` and `steps` are the model's DenoiseSettings."""

    photos_dir: Path
    held_out: list[str]
    training: list[str]
    methods: list[str]
    sigmas: list[float]
    crop: int | None = None
    seed: int = 0
    tune_photos: int = 8
    tune_crop: int = 256
    strength: float = 0.0
    steps: int = 10

    @property
    def model_settings(self) -> DenoiseSettings:
        """The model's settings (noise level estimated; the methods override what they vary)."""
        return DenoiseSettings(strength=self.strength, steps=self.steps)

    def settings(self) -> dict:
        """What makes two runs' numbers comparable (DenoiseBenchReport.settings)."""
        return {"photos": self.held_out, "crop": self.crop, "seed": self.seed, "sigmas": self.sigmas}


def run_denoise_benchmark(
    config: DenoiseBenchConfig, model: LoadedModel | None = None, progress: Callable[[str], None] | None = None
) -> DenoiseBenchReport:
    """Tune, then score every method of `config` (`model` is needed for the model methods; the
    sanity check runs whenever it is given)."""
    methods = select_methods(config.methods, model, config.model_settings)
    photos = load_bench_photos(config.photos_dir, config.held_out, config.crop)
    tuned = tune_methods(config, methods)
    scores = score_methods(methods, photos, config.sigmas, config.seed, tuned, progress)
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
    """Tune every method that has a grid on the training photos of `config`."""
    tunable = [m for m in methods if m.grid]
    if not tunable:
        return {}
    names = config.training[:: max(1, len(config.training) // config.tune_photos)][: config.tune_photos]
    photos = load_bench_photos(config.photos_dir, names, config.tune_crop)
    return {m.name: TuningRecord(tune_parameters(m, photos, config.sigmas, config.seed), names, config.tune_crop)
            for m in tunable}
