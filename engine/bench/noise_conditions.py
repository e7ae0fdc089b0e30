"""The noisy inputs of `engine bench denoise`: noise conditions, grouped in input kinds (one
results table per kind), and the noisy photo each condition makes of a clean one.

Why more than one kind: the literature adds white Gaussian noise and keeps the result in float,
unclipped; a user's photo arrives clipped and rounded to 8 bits, often as a JPEG, and its noise
is a camera's (it grows with brightness, is spread over neighbouring pixels and differs between
channels). Each kind measures one of those steps:

* gaussian: white Gaussian noise of each --sigmas σ, float, neither clipped nor rounded
  (`BenchPhoto.noisy`): the protocol of the BM3D and DnCNN papers, and exactly the noise of
  results files written before input kinds existed, so those stay comparable.
* gaussian-8bit: the same noisy pixels stored as an 8-bit PNG stores them: clipped, rounded.
* gaussian-jpeg: σ GAUSSIAN_JPEG_SIGMA stored as a JPEG of quality GAUSSIAN_JPEG_QUALITY, the
  case a user reported; fixed, whatever --sigmas.
* camera-png: simulated camera noise (`engine.noise.camera`, whose docstring describes the
  simulation) of the `CAMERA_PRESETS` sensors, stored as an 8-bit PNG.
* camera-jpeg: the same sensors' noise stored as JPEG of each of CAMERA_JPEG_QUALITIES.

JPEGs are written as cameras write them, with 4:2:0 chroma subsampling (`engine.noise.storage`).

Seeding: a photo gets the same noise, before storage, under every storage of it, whatever the
other photos, conditions or methods of the run: Gaussian noise is `BenchPhoto.noisy`'s (seeded
by seed, photo name and σ, drawn for the full photo and cropped); camera noise is drawn on the
crop from a generator seeded by (seed, photo name, sensor preset). So "camera low, png" and
"camera low, jpeg 75" differ only by how the file stores them, as "gaussian 25" and
"gaussian 25, 8-bit" do.

Truth (`NoisyPhoto.truth`): the noise std before storage at each pixel, σ for Gaussian noise and
`CameraNoise.std_map` for camera noise (exact for the simulation, clipping and the sRGB curve
included).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from engine.errors import ConfigError
from engine.noise import add_camera_noise, jpeg_round_trip, to_8bit
from engine.noise.camera import CAMERA_PRESETS

if TYPE_CHECKING:  # a type only: denoise_quality imports this module
    from engine.bench.denoise_quality import BenchPhoto

GAUSSIAN_JPEG_SIGMA = 25.0
GAUSSIAN_JPEG_QUALITY = 90
CAMERA_JPEG_QUALITIES = (90, 75)


@dataclass(frozen=True)
class NoiseCondition:
    """One way of making a noisy photo: `kind` is its input kind (the table it belongs to);
    `sigma` the Gaussian noise std in 0-255 units, or None for camera noise from the sensor
    `camera` (a key of CAMERA_PRESETS); `jpeg_quality` that of the JPEG it is stored as, or None."""

    kind: str
    sigma: float | None = None
    camera: str | None = None
    jpeg_quality: int | None = None

    @property
    def noise_name(self) -> str:
        """The noise before storage: "gaussian 25" or "camera low"."""
        return f"gaussian {self.sigma:g}" if self.camera is None else f"camera {self.camera}"

    @property
    def kept_in_float(self) -> bool:
        """True for the literature's protocol: the noisy pixels are neither clipped nor rounded."""
        return self.kind == "gaussian"

    @property
    def name(self) -> str:
        """What results are keyed by: "gaussian 25", "gaussian 25, 8-bit", "gaussian 25, jpeg 90",
        "camera low, png", "camera high, jpeg 75"."""
        if self.jpeg_quality is not None:
            return f"{self.noise_name}, jpeg {self.jpeg_quality}"
        if self.kept_in_float:
            return self.noise_name
        return f"{self.noise_name}, {'8-bit' if self.camera is None else 'png'}"


_TOLD_ON_CAMERA = "methods that take σ run at their best single σ (below), `model` at the RMS of the true noise std"
# Input kind -> the heading of its results table, in table order.
KIND_TITLES = {
    "gaussian": "white Gaussian noise, float, neither clipped nor rounded (the literature's protocol)",
    "gaussian-8bit": "white Gaussian noise stored as an 8-bit PNG (clipped, rounded)",
    "gaussian-jpeg": "white Gaussian noise stored as a JPEG (4:2:0)",
    "camera-png": f"simulated camera noise (engine/noise/camera.py) stored as an 8-bit PNG; {_TOLD_ON_CAMERA}",
    "camera-jpeg": f"simulated camera noise stored as a JPEG (4:2:0); {_TOLD_ON_CAMERA}",
}
INPUT_KINDS = tuple(KIND_TITLES)


def ordered_kinds(kinds: list[str]) -> list[str]:
    """`kinds` once each, in INPUT_KINDS order (the order of the tables); ConfigError naming the
    first that is not an input kind."""
    unknown = [kind for kind in kinds if kind not in KIND_TITLES]
    if unknown:
        raise ConfigError(f"unknown input kind {unknown[0]!r}; choose from {', '.join(INPUT_KINDS)}")
    return [kind for kind in INPUT_KINDS if kind in kinds]


def conditions_for(kinds: list[str], sigmas: list[float]) -> list[NoiseCondition]:
    """The conditions of `kinds` (module docstring), in INPUT_KINDS order; `sigmas` (0-255 units)
    are those of the gaussian and gaussian-8bit kinds."""
    return [condition for kind in ordered_kinds(kinds) for condition in _conditions_of(kind, sigmas)]


def clean_as_jpeg(quality: int) -> NoiseCondition:
    """A clean photo stored as a (4:2:0) JPEG of `quality`, as most photos users have are: white
    noise of σ 0 (named "gaussian 0, jpeg Q"), so it is made, seeded and stored as every JPEG here."""
    return NoiseCondition("gaussian-jpeg", sigma=0.0, jpeg_quality=quality)


def _conditions_of(kind: str, sigmas: list[float]) -> list[NoiseCondition]:
    if kind in ("gaussian", "gaussian-8bit"):
        return [NoiseCondition(kind, sigma=sigma) for sigma in sigmas]
    if kind == "gaussian-jpeg":
        return [NoiseCondition(kind, sigma=GAUSSIAN_JPEG_SIGMA, jpeg_quality=GAUSSIAN_JPEG_QUALITY)]
    qualities = CAMERA_JPEG_QUALITIES if kind == "camera-jpeg" else (None,)
    return [NoiseCondition(kind, camera=preset, jpeg_quality=quality)
            for preset in CAMERA_PRESETS for quality in qualities]


@dataclass(frozen=True)
class NoisyPhoto:
    """A noisy photo as a denoiser receives it. pixels: (H, W, 3) float32 in [0, 1] units (values
    beyond for the float kind); lossy_jpeg: what `engine.denoise.read_photo` would report for the
    file (`Photo.lossy_jpeg`), which the engine's noise estimate allows for; truth: (H, W, 3)
    float32, the noise std at each pixel and channel before storage, 0-255 units."""

    pixels: np.ndarray
    lossy_jpeg: bool
    truth: np.ndarray

    @property
    def true_sigma(self) -> float:
        """The root mean square of `truth`: the single level with the same noise power."""
        return float(np.sqrt(np.mean(np.square(self.truth, dtype=np.float64))))

    def top_left(self, size: int) -> NoisyPhoto:
        """The top-left `size` x `size` pixels (or fewer)."""
        region = (slice(0, size), slice(0, size))
        return NoisyPhoto(np.ascontiguousarray(self.pixels[region]), self.lossy_jpeg,
                          np.ascontiguousarray(self.truth[region]))


def true_level(condition: NoiseCondition, noisy: NoisyPhoto) -> float:
    """The one noise level (0-255 units) that is true of `noisy`: σ for Gaussian noise; for camera
    noise, which varies over the photo, the RMS of its true std map, to 0.01."""
    return condition.sigma if condition.sigma is not None else round(noisy.true_sigma, 2)


def make_noisy(photo: BenchPhoto, condition: NoiseCondition, seed: int) -> NoisyPhoto:
    """`photo`'s clean crop under `condition`, seeded as the module docstring says."""
    clean = torch.from_numpy(photo.clean).permute(2, 0, 1)  # (3, H, W)
    if condition.camera is None:
        noisy = torch.from_numpy(photo.noisy(condition.sigma, seed)).permute(2, 0, 1)
        truth = torch.full_like(clean, condition.sigma)
    else:
        sensor = CAMERA_PRESETS[condition.camera]
        noisy = add_camera_noise(clean, sensor, _camera_generator(photo.name, condition, seed))
        truth = sensor.std_map(clean) * 255
    # Every JPEG here is 4:2:0, which `is_lossy_jpeg` counts as lossy whatever its quality.
    return NoisyPhoto(_channels_last(_stored(noisy, condition)), condition.jpeg_quality is not None,
                      _channels_last(truth))


def _camera_generator(photo_name: str, condition: NoiseCondition, seed: int) -> torch.Generator:
    entropy = [seed, zlib.crc32(photo_name.encode()), zlib.crc32(condition.noise_name.encode())]
    return torch.Generator().manual_seed(int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0]))


def _stored(noisy: torch.Tensor, condition: NoiseCondition) -> torch.Tensor:
    """(3, H, W) noisy pixels as `condition`'s file keeps them."""
    if condition.jpeg_quality is not None:
        return jpeg_round_trip(noisy, condition.jpeg_quality)
    return noisy if condition.kept_in_float else to_8bit(noisy)


def _channels_last(image: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(image.permute(1, 2, 0).numpy(), dtype=np.float32)
