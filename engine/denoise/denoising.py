"""Photo denoising with a diffusion model: the one function the CLI and the GUI call.

Method. A photo y = x + n with Gaussian noise of std sigma (0-255 units) is, in the engine's
[-1, 1] units (y' = 2y - 1, sigma' = 2 sigma / 255), a forward-process sample once scaled:
sqrt(abar) y' = sqrt(abar) x' + sqrt(abar) sigma' n matches x_t = sqrt(abar) x0 + sqrt(1 - abar)
eps exactly when abar = 1 / (1 + sigma'^2). So the start step is t* =
`schedule.step_for_noise_level(sigma')`, the network input is sqrt(abar_t*) y', and no noise is
added (deterministic). The paper's code skipped both the [-1, 1] mapping and the sqrt(abar)
scaling and hand-picked the start step (paper digest section 3.3); this is the fix.

`strength` trades fidelity for detail:

* 0: one network call per tile: x0_hat(x_t*, t*), the network's estimate of E[x0 | x_t*]. For
  a perfect network that is the minimum-mean-squared-error estimate (the highest PSNR), and
  fine texture the noise buried comes out smooth.
* 1: the deterministic DDIM path (eta = 0, a probability-flow ODE solver) from t* to 0 in `steps`
  steps. It ends on one plausible clean photo instead of the average of all of them: sharper
  texture and grain, but texture the noise destroyed is invented. Measured with
  photo-denoiser-v1 at sigma 25 the difference is small, and 3 steps score 0.13 dB above one call
  (the network's one-call estimate is not the exact mean; docs/models.md, "Strength").
* between: round(1 + strength * (steps - 1)) DDIM steps on `sampling_timesteps(t*, n)`. Cost is
  one network call per step per tile (fewer steps when t* is small).

`ensemble` (1, 2, 4 or 8) runs that many rotated/mirrored copies of each tile and averages the
results (`self_ensemble`): a little more PSNR for that many times the work.

Noise level: `settings.sigma`, else the estimate from `noise_levels`: the noise as a function of
brightness per channel, allowing for noise spread over neighbouring pixels and for JPEG
compression; its root mean square over the photo sets t*. A network that takes a noise map (the
photo denoiser's) is also told how the level varies over the photo: each tile gets the map at
its pixels' brightness, relative to that overall level (`Denoiser`'s noise shape), so shadows are
cleaned harder than a noisier photo's sky would be. A manual sigma means uniform noise. A level
beyond the model's trained range is clamped to its `max_step` and reported in
`DenoiseResult.notes` (the GUI shows them).

Channels: a grey photo with an RGB model is replicated to 3 channels and the prediction averaged
back; an RGB photo with a grey model has each channel denoised as a grey image (one batch).

Tiles and memory. Tiles of `tile_size` pixels overlap by `tile_overlap` and are blended by
`tiling`. A network that sees only nearby pixels (no attention, no normalisation over the image:
the photo denoiser v2's `denoise` preset) gets tiles of up to LOCAL_TILE_SIZE overlapping by
LOCAL_TILE_OVERLAP, fitted to the photo (`tiling.plan_tiles`' `fit_multiple`), so little work is
done twice. For other networks the auto tile size is the model's training image size
(`model.spec.image_size`, at least MIN_TILE_SIZE), auto overlap AUTO_OVERLAP_FRACTION of it: the
network then sees inputs exactly like its training crops. That matters: the photo-denoiser-v1 (64
px crops, self-attention at 1/8 resolution) gave 0.2-1.5 dB less PSNR on 256 px tiles, where its
attention averages over 16x the tokens it was trained on (docs/benchmarks.md). Tile batches hold at
most NETWORK_BATCH_PIXELS network pixels (four 256 px tiles, or 64 tiles of 64 px), so network
memory is bounded whatever the photo size. The photo costs its input pixels plus one output canvas,
float32: 2 x H x W x C x 4 bytes; a 24 MP RGB photo needs 0.6 GB for those. Measured (CPU, fp32,
inference mode, peak RSS growth) for one batch of four 256 px tiles: 0.44 GB of activations with
the full-width `cunet` preset, 2.4 GB with `cunet-small`, whose attention runs at 1/4 resolution (a
materialised 4096^2 x 4-head score matrix per tile); smaller tiles need less, as attention grows
with the square of a tile's pixels. So a 24 MP photo needs about 1-3 GB in all, far below 24 GiB. A
trajectory (`keep_trajectory`) adds `trajectory_recorder`'s per-step canvases, within its
MAX_PIXEL_STEPS bound (else it is skipped, with a note).

Precision. `precision` "auto" computes the network in bfloat16 (autocast; the photo, the sampler
and the blending stay float32) where both hold: the model's card says it was measured to denoise
as well in bf16 (`ModelSpec.checked_in_bf16`), and the device computes bf16 natively
(`engine.device.has_fast_bf16`). The photo denoiser v2 in bf16 on this project's CPU (avx512_bf16):
1.45x less CPU time, 0.01-0.02 dB lower PSNR on the validation photos (docs/models.md). "fp32"
and "bf16" force one or the other.

Progress. With a `progress` callback every sampler step reports a `DenoiseProgress` whose preview
is the whole photo at a small scale (`live_preview`): a 64 px tile alone is a speck of a photo.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from engine.checkpoints import LoadedModel, ModelSpec
from engine.denoise.live_preview import LivePreview
from engine.denoise.noise_levels import NoiseLevels, estimate_noise_levels
from engine.denoise.packed_photo import PackedPhoto
from engine.denoise.photo import Photo
from engine.denoise.self_ensemble import ENSEMBLE_SIZES, transform, undo_transform
from engine.denoise.tiling import Tile, blend_into, check_tiling, plan_tiles
from engine.denoise.trajectory_recorder import recorder_for
from engine.device import has_fast_bf16
from engine.diffusion import NoiseSchedule
from engine.errors import Cancelled, ConfigError
from engine.sampling import CancelToken, SamplerStep, sample_ddim, sampling_timesteps

DEFAULT_DENOISER = "photo-denoiser"  # the bundled model `engine denoise` and the Denoise page use unless told
MIN_TILE_SIZE = 16
AUTO_OVERLAP_FRACTION = 0.25  # 16 px of a 64 px tile
LOCAL_TILE_SIZE, LOCAL_TILE_OVERLAP = 512, 32  # a network that sees only nearby pixels (see tiling_for)
FITTED_TILE_MULTIPLE = 16  # its auto tiles shrink to fit the photo in steps of the size the denoise preset pads to
NETWORK_BATCH_PIXELS = 4 * 256 * 256
CHANNEL_SPREAD_NOTE = 1.5  # note when the noisiest channel is this many times the cleanest
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class DenoiseSettings:
    """sigma: noise std in 0-255 units, None = estimate it. strength 0..1 and steps: see the
    module docstring. tile_size and tile_overlap None = auto (`tiling_for`). keep_trajectory
    records the whole photo at every step (of the untransformed copy). ensemble: copies per
    tile, see `self_ensemble`. precision: auto, fp32 or bf16 (module docstring)."""

    sigma: float | None = None
    strength: float = 0.0
    steps: int = 10
    tile_size: int | None = None
    tile_overlap: int | None = None
    keep_trajectory: bool = False
    ensemble: int = 1
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.ensemble not in ENSEMBLE_SIZES:
            raise ConfigError(f"ensemble must be one of {', '.join(map(str, ENSEMBLE_SIZES))}, got {self.ensemble}")
        if self.sigma is not None and not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ConfigError(f"noise sigma must be >= 0 (0-255 units), got {self.sigma}")
        if not 0 <= self.strength <= 1:
            raise ConfigError(f"strength must be between 0 and 1, got {self.strength}")
        if self.steps < 1:
            raise ConfigError(f"steps must be >= 1, got {self.steps}")
        if self.tile_size is not None and self.tile_size < MIN_TILE_SIZE:
            raise ConfigError(f"tile size must be at least {MIN_TILE_SIZE}, got {self.tile_size}")
        if self.tile_overlap is not None and self.tile_overlap < 0:
            raise ConfigError(f"tile overlap must be >= 0, got {self.tile_overlap}")
        if self.tile_size is not None and self.tile_overlap is not None:
            check_tiling(self.tile_size, self.tile_overlap)

    def uses_bf16(self, model: LoadedModel) -> bool:
        """Whether `model`'s network runs in bfloat16 with these settings (module docstring)."""
        if self.precision != "auto":
            return self.precision == "bf16"
        return model.spec.checked_in_bf16 and has_fast_bf16(model.device)

    def tiling_for(self, model: LoadedModel) -> tuple[int, int]:
        """(tile size, overlap) in pixels for `model`: the settings', else the auto values: for a
        network that sees only nearby pixels large tiles with a thin overlap (little work done
        twice), else tiles of its training size (module docstring)."""
        tile = self.tile_size or auto_tile_size(model.spec)
        if self.tile_overlap is not None:
            overlap = self.tile_overlap
        elif model.spec.sees_only_nearby_pixels:
            overlap = min(LOCAL_TILE_OVERLAP, tile // 4)
        else:
            overlap = round(tile * AUTO_OVERLAP_FRACTION)
        check_tiling(tile, overlap)
        return tile, overlap


def auto_tile_size(spec: ModelSpec) -> int:
    """The tile size a model denoises in unless told otherwise: large for a network that sees only
    nearby pixels, else its training image size (at least MIN_TILE_SIZE; module docstring)."""
    return LOCAL_TILE_SIZE if spec.sees_only_nearby_pixels else max(spec.image_size, MIN_TILE_SIZE)


@dataclass(frozen=True)
class DenoiseProgress:
    """Reported after every sampler step. Tiles of one batch advance together: `tile` is the
    1-based index of the batch's last tile and `batch_tiles` the batch's size; `preview` is the
    whole photo shrunk to at most PREVIEW_MAX_SIDE px, (h, w, C) uint8: finished tiles denoised,
    the batch's tiles as predicted clean at this step, the rest faded; None when the caller asked
    for no previews (a progress bar has no use for them). With an
    ensemble, `steps` counts the steps of all its copies of a tile."""

    tile: int
    tiles: int
    step: int
    steps: int
    tile_size: int
    preview: np.ndarray | None
    batch_tiles: int = 1

    @property
    def fraction(self) -> float:
        """Share of the whole photo's work done, 0..1."""
        done_tiles = self.tile - self.batch_tiles + self.batch_tiles * self.step / self.steps
        return done_tiles / self.tiles


@dataclass
class DenoiseResult:
    """`photo` keeps the input's size, mode, bit depth, alpha, metadata and `source` (so that
    `write_photo` refuses to replace the original); `denoise_photo` returns it as a Photo, and
    `packed()` as a PackedPhoto, for results that wait in memory to be saved. Trajectories: per
    step, (H, W, C) uint8 of x_t (rescaled by 1/sqrt(abar) so brightness matches the photo) and of
    x0_hat, the whole photo; empty unless keep_trajectory (and within MAX_PIXEL_STEPS). `tile_size`/`tile_overlap`:
    the tiling used. `ensemble`: transformed copies averaged per tile. `bf16`: whether the network
    ran in bfloat16. `notes`: one-line remarks for the user."""

    photo: Photo | PackedPhoto
    sigma: float
    sigma_estimated: list[float] | None
    start_step: int
    steps_taken: int
    tile_size: int
    tiles: int
    tile_overlap: int = 0
    trajectory_x_t: list[np.ndarray] = field(default_factory=list)
    trajectory_x0: list[np.ndarray] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ensemble: int = 1
    bf16: bool = False

    def packed(self) -> DenoiseResult:
        """This result with its photo packed: a quarter of the memory for an 8-bit photo."""
        if isinstance(self.photo, PackedPhoto):
            return self
        return dataclasses.replace(self, photo=PackedPhoto.pack(self.photo))


def denoise_photo(
    model: LoadedModel,
    photo: Photo,
    settings: DenoiseSettings = DenoiseSettings(),
    progress: Callable[[DenoiseProgress], None] | None = None,
    cancel: CancelToken | None = None,
    previews: bool = True,
    levels: NoiseLevels | None = None,
) -> DenoiseResult:
    """Denoise `photo` with `model` (see the module docstring); raises Cancelled if `cancel` is
    set, checked before every tile batch and every network call. `previews=False` reports progress
    without drawing the live preview at every step. `levels`: the photo's `estimate_noise_levels`
    if the caller has it already (it is used only when `settings.sigma` is None)."""
    notes: list[str] = []
    sigma_estimated = None
    if settings.sigma is None:
        levels = levels or estimate_noise_levels(photo.pixels, photo.lossy_jpeg)
        sigma_estimated, sigma = levels.per_channel, levels.overall
        notes.extend(_estimate_notes(sigma_estimated, sigma))
    else:
        sigma, levels = settings.sigma, None
    noise_shape = _noise_shape_of(levels, sigma) if model.spec.takes_noise_map else None
    start = _start_step(model.schedule, sigma, notes)
    tile_size, overlap = settings.tiling_for(model)
    alpha = None if photo.alpha is None else photo.alpha.copy()
    if start < 0:
        notes.append("no noise to remove (noise level 0): the photo is unchanged")
        unchanged = dataclasses.replace(photo, pixels=photo.pixels.copy(), alpha=alpha)
        return DenoiseResult(unchanged, sigma, sigma_estimated, -1, 0, tile_size, 0, overlap, notes=notes)

    timesteps = sampling_timesteps(start, round(1 + settings.strength * (settings.steps - 1)))
    height, width, channels = photo.pixels.shape
    fit = FITTED_TILE_MULTIPLE if model.spec.sees_only_nearby_pixels and settings.tile_size is None else None
    tiles = plan_tiles(height, width, tile_size, overlap, fit)
    tile_size = max(tiles[0].height, tiles[0].width)  # what ran: a fitted tile may be smaller
    recorder = recorder_for(settings.keep_trajectory, photo.pixels.shape, len(timesteps), notes)
    images_per_tile = _images_per_tile(channels, model.spec.channels)
    per_batch = max(1, NETWORK_BATCH_PIXELS // (tiles[0].height * tiles[0].width * images_per_tile))
    canvas = np.zeros(photo.pixels.shape, np.float32)
    bf16 = settings.uses_bf16(model)
    live = LivePreview(photo.pixels) if progress is not None and previews else None

    for first in range(0, len(tiles), per_batch):
        if cancel is not None and cancel.is_set():
            raise Cancelled("denoising cancelled")
        batch = tiles[first : first + per_batch]

        def on_step(step: SamplerStep, copy: int, batch: list[Tile] = batch, last: int = first + len(batch)) -> None:
            if recorder is not None and copy == 0:
                unscaled = step.x_t / math.sqrt(float(model.schedule.abar(step.t)))
                recorder.add(step.index, batch, _to_photo_channels(unscaled, channels),
                             _to_photo_channels(step.predicted_x0, channels))
            if progress is not None:
                preview = None
                if live is not None:
                    predicted = (_to_photo_channels(undo_transform(step.predicted_x0, copy), channels) + 1) / 2
                    preview = live.with_tiles(batch, predicted)
                done, total = copy * step.total + step.index + 1, settings.ensemble * step.total
                progress(DenoiseProgress(last, len(tiles), done, total, tile_size, preview, len(batch)))

        shapes = None if noise_shape is None else [noise_shape(photo.pixels[tile.region]) for tile in batch]
        with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=bf16):
            cleaned = _denoise_batch(model, photo.pixels, batch, timesteps, settings.ensemble, on_step, cancel, shapes)
        for tile, values in zip(batch, cleaned):
            blend_into(canvas, tile, values)
        if live is not None:
            live.paste(batch, torch.from_numpy(cleaned).permute(0, 3, 1, 2))

    trajectory_x_t, trajectory_x0 = recorder.frames() if recorder is not None else ([], [])
    np.clip(canvas, 0, 1, out=canvas)
    return DenoiseResult(
        photo=dataclasses.replace(photo, pixels=canvas, alpha=alpha, lossy_jpeg=False),
        sigma=sigma,
        sigma_estimated=sigma_estimated,
        start_step=start,
        steps_taken=len(timesteps),
        tile_size=tile_size,
        tiles=len(tiles),
        tile_overlap=overlap,
        trajectory_x_t=trajectory_x_t,
        trajectory_x0=trajectory_x0,
        notes=notes,
        ensemble=settings.ensemble,
        bf16=bf16,
    )


def _denoise_batch(
    model: LoadedModel,
    pixels: np.ndarray,
    batch: list[Tile],
    timesteps: list[int],
    ensemble: int,
    on_step: Callable[[SamplerStep, int], None],
    cancel: CancelToken | None,
    noise_shapes: list[np.ndarray] | None = None,
) -> np.ndarray:
    """(B, h, w, C) in [0, 1] of the batch's tiles, denoised along `timesteps` by DDIM (eta 0),
    averaged over `ensemble` transformed copies; `on_step` also gets the copy's index.
    `noise_shapes`: each tile's (h, w, C) relative noise level, for a network that takes a map."""
    crops = torch.from_numpy(np.stack([pixels[tile.region] for tile in batch]))
    noisy = crops.to(model.device, torch.float32).permute(0, 3, 1, 2) * 2 - 1
    x_t = _to_model_channels(noisy, model.spec.channels) * math.sqrt(float(model.schedule.abar(timesteps[0])))
    shape = None
    if noise_shapes is not None:
        shape = torch.from_numpy(np.stack(noise_shapes)).to(model.device, torch.float32).permute(0, 3, 1, 2)
        shape = _to_model_channels(shape, model.spec.channels)
    with torch.inference_mode():
        x0 = sum(
            undo_transform(sample_ddim(model.denoiser(noise_shape=None if shape is None else transform(shape, copy)),
                                       transform(x_t, copy), timesteps,
                                       callback=lambda step, copy=copy: on_step(step, copy), cancel=cancel), copy)
            for copy in range(ensemble)
        )
    cleaned = (_to_photo_channels(x0 / ensemble, crops.shape[3]) + 1) / 2
    return cleaned.permute(0, 2, 3, 1).float().cpu().numpy()


def _noise_shape_of(levels: NoiseLevels | None, sigma: float) -> Callable[[np.ndarray], np.ndarray]:
    """A tile's pixels (h, w, C) -> its noise level relative to `sigma`, (h, w, C): from the
    estimated levels at the pixels' brightness, or uniform for a manual sigma."""
    if levels is None or sigma <= 0:
        return lambda pixels: np.ones(pixels.shape, np.float32)
    return lambda pixels: levels.per_pixel(pixels) / np.float32(sigma)


def _to_model_channels(x: torch.Tensor, model_channels: int) -> torch.Tensor:
    """(B, C, h, w) photo channels -> network input: grey to RGB by replication, RGB to three
    grey images (B*3, 1, h, w), else unchanged."""
    if x.shape[1] == model_channels:
        return x
    if model_channels == 3:
        return x.expand(-1, 3, -1, -1)
    return x.reshape(-1, 1, *x.shape[2:])


def _to_photo_channels(x: torch.Tensor, photo_channels: int) -> torch.Tensor:
    """Inverse of `_to_model_channels`: RGB predictions of a grey photo are averaged."""
    if x.shape[1] == photo_channels:
        return x
    if photo_channels == 1:
        return x.mean(dim=1, keepdim=True)
    return x.reshape(-1, photo_channels, *x.shape[2:])


def _images_per_tile(photo_channels: int, model_channels: int) -> int:
    return photo_channels if model_channels == 1 else 1


def _start_step(schedule: NoiseSchedule, sigma: float, notes: list[str]) -> int:
    """t* for noise std `sigma` (0-255 units), clamped to the model's range (with a note)."""
    step = schedule.step_for_noise_level(2 * sigma / 255)
    if step > schedule.max_step:
        limit = schedule.noise_level(schedule.max_step) * 255 / 2
        notes.append(
            f"noise level {sigma:.1f} is above what this model was trained for (up to {limit:.1f}); "
            "denoised at that limit, so some noise will remain"
        )
        return schedule.max_step
    return step


def _estimate_notes(per_channel: list[float], sigma: float) -> list[str]:
    if len(per_channel) < 2 or max(per_channel) <= CHANNEL_SPREAD_NOTE * max(min(per_channel), 1.0):
        return []
    levels = ", ".join(f"{value:.1f}" for value in per_channel)
    return [f"the colour channels are unequally noisy ({levels}); denoising all at their RMS, {sigma:.1f}"]
