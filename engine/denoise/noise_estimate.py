"""How noisy is a photo? A per-channel Gaussian noise estimate, numpy only.

Donoho & Johnstone's wavelet estimator: the finest diagonal (HH) detail band of an orthonormal
Haar transform holds almost no image content (it cancels constants, ramps along either axis, and
any f(x) + g(y)), while white noise passes into it unchanged in variance. Edges and texture show
up as a few large coefficients, which the median ignores, so

    sigma = median(|HH|) / 0.6745          (0.6745 = median of |N(0, 1)|)

is robust where a plain standard deviation of a high-pass image would count every edge as
noise. Strong fine texture still biases it upward; noise that camera processing smoothed
(JPEG, in-camera noise reduction) biases it downward, as it does every estimator of white noise.
"""

from __future__ import annotations

import numpy as np

MEDIAN_ABS_NORMAL = 0.6744897501960817
SCALE_255 = 255.0


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


def _channel_sigma(channel: np.ndarray) -> float:
    """MAD of the orthonormal Haar HH band of one even-sized channel."""
    channel = channel.astype(np.float32, copy=False)
    diagonal = (channel[0::2, 0::2] - channel[0::2, 1::2] - channel[1::2, 0::2] + channel[1::2, 1::2]) * 0.5
    return float(np.median(np.abs(diagonal))) / MEDIAN_ABS_NORMAL * SCALE_255
