"""How noisy is a photo, and at what brightness: a per-channel noise-level function.

Photos' noise is rarely white: a camera's grows with brightness and is spread over neighbouring
pixels by demosaicing, and JPEG removes much of its finest grain. `noise_estimate`'s measure (the
finest Haar diagonal band over quiet blocks) sees only that finest grain, so it reads a camera
photo as 2.5 times cleaner than it is and a JPEG of sigma 25 as 17: a denoiser told so leaves
the coarser noise in, as blotches. This module reads the same band at two scales (2 and 4 pixel
blocks: white noise reads the same at both, noise spread over neighbours more at the coarser),
separately for each brightness band of each channel, and takes the larger reading, as far as the
coarser reading is noise: fine texture (foliage, fur) also reads more at the coarser scale, and
would make a clean photo look noisy. Noise coefficients are Gaussian, texture's are heavy-tailed,
so the ratio of their RMS to their median-based std over the coarser scale's quiet blocks says
which it is (on training photos about 1.0-1.1 for noisy photos, 1.4-2.1 for clean textured
ones): from NOISE_RATIO up to TEXTURE_RATIO the coarser reading's excess is trusted less and
less. JPEG compression (with the 4:2:0 chroma subsampling cameras use) also weakens the coarser
band: on the training photos a JPEG of quality 70-95 keeps about 0.69 of the level at either
scale, for white and camera noise alike, so a photo read from such a file is scaled back, by
JPEG_NOISE_KEPT (see there why it is not 0.69; `benchmarks/calibrate_noise_levels.py` measures
the share on the training photos; docs/benchmarks.md, "Noise estimate").

Texture shared by the colour channels. Where a photo is all fine texture (a forest, a glacier's
ice, a field of tea bushes) even its quietest blocks are texture, and a clean photo read as noisy
(up to sigma 20 on training photos) loses its texture to the denoiser. Texture is mostly
brightness, so the three channels' finest coefficients move together; white noise is independent
in each channel, and camera noise nearly so. So the levels are scaled by how much of the quiet
blocks' detail the channels do not share (`channel_independence`), relative to the share that
noise itself shows (NOISE_INDEPENDENCE): noise keeps its level, texture reads far less. JPEG's
chroma subsampling removes the colour channels' own finest detail, noise's too, so a photo read
from a lossy JPEG is measured one scale coarser, where noise keeps part of its independence, and
against a lower share (JPEG_INDEPENDENCE_SCALE, JPEG_NOISE_INDEPENDENCE).

`NoiseLevels.per_pixel` turns the function into a map (noise std per pixel and channel) by the
local brightness, and `overall` is its root mean square over the photo: the single level a
Gaussian denoiser is run at.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.denoise.noise_estimate import (
    QUIET_FRACTION,
    SCALE_255,
    BlockBands,
    block_bands,
    median_sigma,
    quiet_coefficients,
    quiet_median_sigma,
    window_sum,
)

SCALES = 2  # Haar levels measured: 2 and 4 pixel blocks
INTENSITY_BINS = np.linspace(0.0, 1.0, 9)  # 8 brightness bands of equal width
MIN_QUIET_BLOCKS = 24  # fewer quiet blocks than this in a band (at any scale): the band is not measured
LOCAL_MEAN_WINDOW = 5  # pixels: the brightness a pixel's level is read at
# JPEG keeps 0.69 of the level at these scales (benchmarks/results/noise-calibration.json), but a
# denoiser told the whole level before compression over-smooths what JPEG already removed: on
# training photos the bundled denoiser did best with 0.8 (+1.0 dB on sigma 25 at q90 against
# 0.69, within 0.3 dB on camera JPEGs; docs/benchmarks.md, "Noise estimate").
JPEG_NOISE_KEPT = 0.8
NOISE_RATIO, TEXTURE_RATIO = 1.15, 1.5  # RMS / median-based std of the coarser quiet coefficients
# A brightness band reads at most this many times the whole channel's level: camera noise varies
# over brightness far less (its shadows about 1.4 times its highlights in sRGB), but a band that
# holds only texture (foliage all in the midtones) has no quiet blocks to read noise from. On the
# 36 training photos, clean, it brought the photos reading above 4 from 5 to 3 and left the
# readings of white and camera noise, PNG and JPEG, unchanged (to 0.02).
MAX_BAND_TO_WHOLE = 2.0
# `channel_independence` below which detail is taken as partly texture; the levels are scaled by
# independence / NOISE_INDEPENDENCE. White noise reads about 1, the camera simulation's noise
# (channels mixed by its colour matrix) 0.77-0.85 on flat training crops, clean textured ones
# 0.1-0.5. Chosen on 120 crops of training and validation photos (docs/benchmarks.md, "Texture
# the colour channels share"): 0.8 lost 0.05 dB on light camera noise on crops drawn at random,
# 0.7 0.01, and kept most of the gain on textured crops; 0.6 kept less of it.
NOISE_INDEPENDENCE = 0.7
# A lossy JPEG's 4:2:0 chroma subsampling halves the colour channels' resolution, so at the finest
# scale all its detail looks shared; at the next (4-pixel blocks) noise keeps some of its own per
# channel. Read there, clean textured training crops stored at quality 75-90 read 0.07-0.08
# (median), light noise on random crops 0.19-0.23, stronger noise 0.33-0.73: the two overlap, so the
# constant is low. Chosen on the 120 training/validation crops of `benchmarks/texture_scale_probe.py
# --jpeg` (docs/benchmarks.md, "Texture in JPEGs"): 0.15 gave light camera noise on textured crops
# +0.42 dB and took the clean ones' reading from 15 to 7.6, at 0.00 dB on the random crops; 0.2 and
# 0.3 cost those 0.01-0.12 dB.
JPEG_INDEPENDENCE_SCALE = 1
JPEG_NOISE_INDEPENDENCE = 0.15
MIN_INDEPENDENCE_BLOCKS = 256  # fewer quiet blocks (a tiny photo): no scaling


@dataclass(frozen=True)
class NoiseLevels:
    """Noise std (0-255 units) per channel as a function of brightness: `sigmas[c, k]` at
    brightness `intensities[k]` (in [0, 1]), linear in between and constant beyond the ends.
    `readings[c, k, s]`: the raw reading at scale s (NaN where the band had too few quiet blocks);
    `coarse_trust[c]`: how far the coarser scale's excess was taken as noise; `texture_scale`: the
    factor the levels were scaled by for texture the channels share, 1 for none (module docstring)."""

    intensities: np.ndarray  # (K,)
    sigmas: np.ndarray  # (C, K)
    overall: float
    readings: np.ndarray  # (C, K, SCALES)
    coarse_trust: np.ndarray  # (C,)
    texture_scale: float = 1.0

    @property
    def per_channel(self) -> list[float]:
        """Each channel's level at the photo's median brightness band measured, 0-255 units."""
        return [float(np.median(row)) for row in self.sigmas]

    def per_pixel(self, pixels: np.ndarray) -> np.ndarray:
        """(H, W, C) noise std in 0-255 units for `pixels` (H, W, C) in [0, 1], read at each
        pixel's local brightness."""
        local = local_mean(np.asarray(pixels, np.float32))
        return np.stack([np.interp(local[:, :, c], self.intensities, self.sigmas[c]) for c in range(local.shape[2])],
                        axis=2).astype(np.float32)


def estimate_noise_levels(pixels: np.ndarray, from_jpeg: bool = False,
                          noise_independence: float | None = None) -> NoiseLevels:
    """The noise-level function of `pixels` (H, W) or (H, W, C) in [0, 1] (values beyond are fine);
    `from_jpeg`: they were read from a lossy JPEG (`Photo.lossy_jpeg`). A photo too small or too
    flat to measure gets level 0. `noise_independence`: None for the module's constant for the
    photo's kind (NOISE_INDEPENDENCE, JPEG_NOISE_INDEPENDENCE), or another value to measure the
    choice (0: no texture scale, the estimator before session 24)."""
    array = np.asarray(pixels, np.float32)
    if array.ndim == 2:
        array = array[:, :, None]
    channels = [_channel_readings(array[:, :, c]) for c in range(array.shape[2])]
    centres = (INTENSITY_BINS[:-1] + INTENSITY_BINS[1:]) / 2
    kept = JPEG_NOISE_KEPT if from_jpeg else 1.0
    texture_scale = _texture_scale(channels, from_jpeg, noise_independence)
    sigmas = np.stack([_fill_bands(c.band_levels(), centres, c.whole_level()) / kept for c in channels]) * texture_scale
    readings = np.stack([c.bands for c in channels])
    trust = np.array([c.coarse_trust for c in channels])
    levels = NoiseLevels(centres, sigmas, 0.0, readings, trust, texture_scale)
    overall = float(np.sqrt(np.mean(np.square(levels.per_pixel(array))))) if array.size else 0.0
    return NoiseLevels(centres, sigmas, overall, readings, trust, texture_scale)


def _texture_scale(channels: list[ChannelReadings], from_jpeg: bool, noise_independence: float | None) -> float:
    """What the levels are multiplied by for detail the channels share (module docstring): read at
    the finest scale, or for a lossy JPEG at JPEG_INDEPENDENCE_SCALE."""
    if noise_independence is None:
        noise_independence = JPEG_NOISE_INDEPENDENCE if from_jpeg else NOISE_INDEPENDENCE
    if noise_independence <= 0:
        return 1.0
    scale = JPEG_INDEPENDENCE_SCALE if from_jpeg else 0
    bands = [c.haar[scale] if len(c.haar) > scale else None for c in channels]
    return min(1.0, channel_independence(bands) / noise_independence)


def channel_independence(haar: list[BlockBands | None]) -> float:
    """How much of a photo's detail at one scale its colour channels do not share, from each
    channel's Haar bands at that scale (`ChannelReadings.haar`, None where the photo is too small):
    the square root of the mean of the two smaller eigenvalues of the channels' covariance of
    diagonal coefficients over the quietest blocks (least activity summed over the channels, none
    clipped), relative to the mean of all three. 1 for detail independent in each channel (white
    noise), near 0 for detail all in one direction (texture of brightness). 1 for a grey photo,
    one too small to measure or one with no detail at all (nothing to discount)."""
    bands = [b for b in haar if b is not None]
    if len(bands) != 3:
        return 1.0
    activity = sum(b.activity for b in bands)
    unclipped = bands[0].unclipped & bands[1].unclipped & bands[2].unclipped
    if unclipped.sum() * QUIET_FRACTION < MIN_INDEPENDENCE_BLOCKS:
        return 1.0
    quiet = unclipped & (activity <= np.quantile(activity[unclipped], QUIET_FRACTION))
    eigenvalues = np.linalg.eigvalsh(np.cov(np.stack([b.diagonal[quiet] for b in bands]).astype(np.float64)))
    total = float(eigenvalues.mean())
    return float(np.sqrt(max(float(eigenvalues[:2].mean()), 0.0) / total)) if total > 1e-12 else 1.0


@dataclass(frozen=True)
class ChannelReadings:
    """One channel's readings (0-255 units, NaN where unmeasured): `bands` (K, S) per brightness
    band and scale, `whole` (S,) over the whole channel (for photos too small to read by band),
    `coarse_trust` in [0, 1], and `haar`: the Haar bands of each scale read, finest first (fewer
    than SCALES for a photo too small to have them), which `channel_independence` compares across
    channels."""

    bands: np.ndarray
    whole: np.ndarray
    coarse_trust: float
    haar: tuple[BlockBands, ...]

    def band_levels(self) -> np.ndarray:
        """(K,): the finer reading plus the trusted share of the coarser one's excess, at most
        MAX_BAND_TO_WHOLE times the whole channel's; NaN where a band was not read at both scales."""
        levels = _combined(self.bands[:, 0], self.bands[:, 1], self.coarse_trust)
        whole = self.whole_level()
        return np.minimum(levels, MAX_BAND_TO_WHOLE * whole) if whole > 0 else levels

    def whole_level(self) -> float:
        """The same combination of the whole-channel readings, 0 where unmeasured."""
        level = _combined(self.whole[0], self.whole[1], self.coarse_trust)
        return float(level) if np.isfinite(level) else float(np.nan_to_num(self.whole[0]))


def _combined(fine, coarse, trust: float):
    return fine + trust * np.maximum(coarse - fine, 0)


def _fill_bands(levels: np.ndarray, centres: np.ndarray, fallback: float) -> np.ndarray:
    """Unmeasured bands (NaN) take the level of the nearest measured ones (linear between
    them); with none measured (a small photo), `fallback` everywhere."""
    measured = np.isfinite(levels)
    if not measured.any():
        return np.full_like(levels, fallback)
    return np.interp(centres, centres[measured], levels[measured])


def _channel_readings(channel: np.ndarray) -> ChannelReadings:
    """The quiet-block Haar-diagonal noise readings of one channel (white noise of std s reads s
    at every scale) and the trust in the coarser scale."""
    readings = np.full((len(INTENSITY_BINS) - 1, SCALES), np.nan)
    whole = np.full(SCALES, np.nan)
    trust, haar = 0.0, []
    image, clipped = channel, (channel == 0) | (channel == 1)
    for scale in range(SCALES):
        if min(image.shape) < 2:
            break
        bands = block_bands(image, clipped)
        haar.append(bands)
        brightness = window_sum(bands.means, 3) / 18  # block means are 2x a block's mean; 3 x 3 blocks
        band_of_block = np.digitize(brightness, INTENSITY_BINS[1:-1])
        unclipped = bands.unclipped if bands.unclipped.any() else np.ones_like(bands.unclipped)
        quiet = quiet_coefficients(bands, unclipped)
        whole[scale] = median_sigma(quiet) * 2**scale
        trust = _gaussianity(quiet)
        for band in range(len(INTENSITY_BINS) - 1):
            candidates = bands.unclipped & (band_of_block == band)
            if candidates.sum() * QUIET_FRACTION >= MIN_QUIET_BLOCKS:
                readings[band, scale] = quiet_median_sigma(bands, candidates) * 2**scale
        image, clipped = bands.means / 2, bands.clipped  # the next scale: 2x2 block averages
    return ChannelReadings(readings, whole, trust, tuple(haar))


def _gaussianity(coefficients: np.ndarray) -> float:
    """1 for Gaussian coefficients (noise), 0 for heavy-tailed ones (texture), linear between:
    by the ratio of their RMS to their median-based std."""
    median_based = median_sigma(coefficients)
    if median_based <= 0:
        return 0.0
    ratio = float(np.sqrt(np.mean(np.square(coefficients)))) * SCALE_255 / median_based
    return float(np.clip((TEXTURE_RATIO - ratio) / (TEXTURE_RATIO - NOISE_RATIO), 0, 1))


def local_mean(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) mean over the LOCAL_MEAN_WINDOW square around each pixel (edges repeated)."""
    return np.stack([window_sum(pixels[:, :, c], LOCAL_MEAN_WINDOW) / LOCAL_MEAN_WINDOW**2
                     for c in range(pixels.shape[2])], axis=2)
