"""How noisy is a photo? A per-channel Gaussian noise estimate, numpy only.

Donoho & Johnstone's wavelet estimator, restricted to the quiet parts of the photo. The finest
diagonal (HH) detail band of an orthonormal Haar transform holds almost no image content (it
cancels constants, ramps along either axis, and any f(x) + g(y)), while white noise passes into
it unchanged in variance, so

    sigma = median(|HH|) / 0.6745          (0.6745 = median of |N(0, 1)|)

Over the whole photo, fine texture (foliage, gravel, fabric) fills that band: a clean photo of a
forest floor measured sigma 5.5 and the model then smoothed its real texture away. So the median
is taken only over the QUIET_FRACTION of 2x2 blocks with the least activity around them, where
activity is the energy of the other three Haar bands (the local gradient of the block means and
the horizontal and vertical details) summed over a 5x5-block window. For white noise those bands
are independent of HH (an orthonormal transform of i.i.d. Gaussians), so choosing blocks by them
does not bias the noise estimate; on real photos it moves the median onto flat areas (the forest
floor now measures 3.0; sky, skin and walls about what they did). Noise that camera processing
smoothed (JPEG, in-camera noise reduction) still biases it downward, as it does every estimator
of white noise.

Clipping. A real noisy photo is stored clipped to the format's range: in blown highlights and
crushed shadows the noise is cut off, so those blocks are the quietest of all and, taken as the
quiet ones, made sigma 25 read as 14.8-24.5 on the held-out photos stored as 8 bits (up to 13 %
of their pixels clipped). So when a channel has pixels exactly at either end of the range (as
clipping leaves them in a stored photo; values beyond the range, as in synthetic noise, are not
clipped), blocks holding such a pixel are left out, and so are blocks whose window mean lies
within CLIP_SIGMAS sigma of either end (there the noise is cut off in part even where no pixel
of the block is); as that margin depends on sigma, the estimate is refined CLIP_PASSES times
from the first. If fewer than MIN_CANDIDATE_FRACTION of the blocks remain (a mostly clipped
photo), all blocks count. The margin applies only to channels with at least
MARGIN_FROM_CLIPPED_FRACTION of their pixels clipped: in a dark photo with no clipping to speak
of it would push the quiet blocks onto texture (and float noise hits exactly 0 or 1 about once
per megapixel by rounding alone). On the held-out photos stored as 8 bits this reads sigma 25 as
24.7-26.0 and sigma 50 as 43.7-49.2 (was 28.4-43.5); `benchmarks/noise_estimate.py` measures it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MEDIAN_ABS_NORMAL = 0.6744897501960817
SCALE_255 = 255.0
QUIET_FRACTION = 0.2
ACTIVITY_WINDOW = 5  # blocks (10 x 10 pixels)
CLIP_SIGMAS = 2.0
CLIP_PASSES = 3
MIN_CANDIDATE_FRACTION = 0.01
MARGIN_FROM_CLIPPED_FRACTION = 0.001  # fewer clipped pixels than this: no margin


def estimate_noise_sigma(pixels: np.ndarray) -> list[float]:
    """Noise std per channel, in 0-255 units, of `pixels` (H, W) or (H, W, C) in [0, 1] (values
    outside [0, 1] are fine). Images smaller than 2x2 give 0 (nothing to measure)."""
    array = np.asarray(pixels)
    if array.ndim == 2:
        array = array[:, :, None]
    height, width = array.shape[0] // 2 * 2, array.shape[1] // 2 * 2
    if height == 0 or width == 0:
        return [0.0] * array.shape[2]
    return [_channel_sigma(array[:height, :width, c]) for c in range(array.shape[2])]


def combined_sigma(sigmas: list[float]) -> float:
    """One noise level for all channels: the root mean square. The network assumes the same
    isotropic noise in every channel; the RMS is the isotropic level with the same total noise
    power, so a noisier channel (often blue) raises it without dictating it the way the maximum
    would (which over-smooths the other channels)."""
    return float(np.sqrt(np.mean(np.square(sigmas)))) if sigmas else 0.0


@dataclass(frozen=True)
class BlockBands:
    """The orthonormal Haar transform of a channel's 2x2 blocks, (H/2, W/2) each: `diagonal` (HH),
    `means` (twice the block mean), `activity` (the energy of the other bands, summed over
    ACTIVITY_WINDOW blocks), `unclipped` (no pixel of the block at either end of the range) and
    `clipped` (any pixel of the block at an end, to carry to the next scale)."""

    diagonal: np.ndarray
    means: np.ndarray
    activity: np.ndarray
    unclipped: np.ndarray
    clipped: np.ndarray


def block_bands(channel: np.ndarray, clipped: np.ndarray) -> BlockBands:
    """The bands of `channel` (H, W), cut to even sizes; `clipped` (H, W) marks its pixels at
    either end of the stored range."""
    height, width = channel.shape[0] // 2 * 2, channel.shape[1] // 2 * 2
    channel = channel[:height, :width].astype(np.float32, copy=False)
    top_left, top_right = channel[0::2, 0::2], channel[0::2, 1::2]
    bottom_left, bottom_right = channel[1::2, 0::2], channel[1::2, 1::2]
    diagonal = (top_left - top_right - bottom_left + bottom_right) * 0.5
    means = (top_left + top_right + bottom_left + bottom_right) * 0.5
    vertical = (top_left + top_right - bottom_left - bottom_right) * 0.5
    horizontal = (top_left - top_right + bottom_left - bottom_right) * 0.5
    energy = vertical**2 + horizontal**2
    for gradient in np.gradient(means) if min(means.shape) > 1 else ():
        energy += gradient**2
    clipped = clipped[:height, :width]
    any_clipped = clipped[0::2, 0::2] | clipped[0::2, 1::2] | clipped[1::2, 0::2] | clipped[1::2, 1::2]
    return BlockBands(diagonal, means, window_sum(energy, ACTIVITY_WINDOW), ~any_clipped, any_clipped)


def _channel_sigma(channel: np.ndarray) -> float:
    """MAD of the orthonormal Haar HH band of one even-sized channel, over its quietest blocks."""
    channel = channel.astype(np.float32, copy=False)
    clipped = (channel == 0) | (channel == 1)  # a stored photo's ends; not beyond them (unclipped noise)
    bands = block_bands(channel, clipped)
    local_mean = window_sum(bands.means, ACTIVITY_WINDOW) / (2 * ACTIVITY_WINDOW**2)  # means are 2x block means
    sigma = _quiet_median_sigma(bands, bands.unclipped)
    if clipped.mean() < MARGIN_FROM_CLIPPED_FRACTION:  # synthetic noise, a well-exposed photo
        return sigma
    for _ in range(CLIP_PASSES):
        margin = CLIP_SIGMAS * sigma / SCALE_255
        sigma = _quiet_median_sigma(bands, bands.unclipped & (local_mean > margin) & (local_mean < 1 - margin))
    return sigma


def _quiet_median_sigma(bands: BlockBands, candidates: np.ndarray) -> float:
    """`quiet_median_sigma` over the candidate blocks, or over all blocks when too few are
    candidates."""
    if candidates.mean() < MIN_CANDIDATE_FRACTION:
        candidates = np.ones_like(candidates)
    return quiet_median_sigma(bands, candidates)


def quiet_median_sigma(bands: BlockBands, candidates: np.ndarray) -> float:
    """sigma (0-255 units) from the HH coefficients of the QUIET_FRACTION least active of the
    `candidates` blocks (a non-empty mask)."""
    return median_sigma(quiet_coefficients(bands, candidates))


def quiet_coefficients(bands: BlockBands, candidates: np.ndarray) -> np.ndarray:
    """The HH coefficients of the QUIET_FRACTION least active of the `candidates` blocks."""
    quiet = candidates & (bands.activity <= np.quantile(bands.activity[candidates], QUIET_FRACTION))
    return bands.diagonal[quiet]


def median_sigma(coefficients: np.ndarray) -> float:
    """The std (0-255 units) of Gaussian coefficients from their median absolute value, which
    the few large ones that image edges add do not move."""
    return float(np.median(np.abs(coefficients))) / MEDIAN_ABS_NORMAL * SCALE_255


def window_sum(values: np.ndarray, size: int) -> np.ndarray:
    """Sum over the size x size window centred on each element (edges repeated), same shape."""
    radius = size // 2
    padded = np.pad(values.astype(np.float64), radius, mode="edge")
    table = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1))
    table[1:, 1:] = padded.cumsum(0).cumsum(1)
    return table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
