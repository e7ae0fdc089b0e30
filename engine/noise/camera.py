"""Camera noise: a documented simulation of what a phone or camera sensor puts into a photo.

A photo's noise is not white Gaussian noise of one level: it is made in linear light at the
sensor, where it grows with the signal (photon shot noise), then interpolated by demosaicing
(which correlates it across neighbouring pixels), mixed across channels by the colour
correction, and stretched by the sRGB curve (which makes shadows noisier than highlights). The
simulation follows that order, after Brooks et al. 2019 ("Unprocessing images for learned raw
denoising") and Foi et al. 2008 (the Poisson-Gaussian model):

1. sRGB -> linear light (the inverse sRGB transfer curve, IEC 61966-2-1).
2. Linear sRGB -> camera raw: the inverse colour-correction matrix (camera RGB -> sRGB) and the
   inverse white-balance gains; each photosite of an RGGB Bayer mosaic keeps one colour.
3. At each photosite, Gaussian noise of variance `shot * raw + read`: the heteroscedastic
   Gaussian approximation of Poisson shot noise plus read noise (both in raw units, [0, 1]).
4. The noise mosaic is demosaiced (bilinear interpolation of each colour plane), white-balanced
   and colour-corrected, and added to the clean linear image. Only the noise goes through the
   mosaic: a real camera demosaics the signal far better than bilinear does, and the clean photo
   is the reference the denoiser is scored against, so the signal is taken as perfectly
   demosaiced. Bilinear interpolation correlates the noise over about two pixels, as real
   demosaicing does.
5. Clipped to [0, 1] and back to sRGB. Rounding to 8 bits and JPEG are `storage`'s job.

`CameraNoise.std_map` gives the resulting noise std per pixel and channel in sRGB units (averaged
over the Bayer cell, before rounding): the truth that noise estimates are measured against and
the denoiser is conditioned on in training. The linear noise of a channel is Gaussian, so its
std after clipping and the sRGB curve is computed exactly, by Gauss-Hermite quadrature: a
first-order estimate (the curve's slope times the linear std) overstates the noise of deep
shadows several times over, where the curve is steep and clipping at black cuts the noise off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from numpy.polynomial.hermite_e import hermegauss

# A typical phone sensor's camera-RGB -> linear sRGB matrix (rows sum to 1, so grey stays grey);
# its negative off-diagonal terms amplify and colour the noise as a real one does.
PHONE_CCM = ((1.75, -0.60, -0.15), (-0.25, 1.55, -0.30), (0.00, -0.55, 1.55))
TYPICAL_WHITE_BALANCE = (2.0, 1.0, 1.7)  # red, green, blue gains of daylight on a typical sensor
# Demosaiced noise variance relative to a photosite's, averaged over the RGGB cell: green is
# measured at 2 of 4 sites (1) and interpolated from 4 neighbours at the others (1/4); red and
# blue at 1 site (1), from 2 neighbours at 2 sites (1/2), from 4 at 1 site (1/4).
CELL_VARIANCE_FACTOR = (0.5625, 0.625, 0.5625)
QUADRATURE_NODES = 16  # Gauss-Hermite nodes: exact for the std of smooth functions of Gaussian noise


@dataclass(frozen=True)
class CameraNoise:
    """A sensor's noise: `shot` and `read` are the variance coefficients of step 3 (raw units),
    `white_balance` the (r, g, b) gains, `ccm` the camera-RGB -> sRGB matrix."""

    shot: float
    read: float
    white_balance: tuple[float, float, float] = TYPICAL_WHITE_BALANCE
    ccm: tuple[tuple[float, float, float], ...] = PHONE_CCM

    @staticmethod
    def with_typical_read_noise(shot: float) -> "CameraNoise":
        """A sensor whose read noise follows Brooks et al.'s fit over real cameras:
        log(read) = 2.18 log(shot) + 1.2."""
        return CameraNoise(shot, math.exp(2.18 * math.log(shot) + 1.2))

    def _matrices(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(camera -> sRGB including white balance, its inverse), float64 (3, 3)."""
        forward = torch.tensor(self.ccm, dtype=torch.float64) @ torch.diag(torch.tensor(self.white_balance,
                                                                                         dtype=torch.float64))
        return forward, torch.linalg.inv(forward)

    def raw(self, linear: torch.Tensor) -> torch.Tensor:
        """(3, H, W) linear sRGB -> (3, H, W) camera raw of every colour at every pixel, >= 0."""
        _, inverse = self._matrices()
        return torch.einsum("ij,jhw->ihw", inverse.to(linear.dtype), linear).clamp_min(0)

    def std_map(self, clean_srgb: torch.Tensor) -> torch.Tensor:
        """(3, H, W) noise std in sRGB units [0, 1] that this sensor adds to `clean_srgb`."""
        linear = srgb_to_linear(clean_srgb)
        raw = self.raw(linear)
        cell = torch.tensor(CELL_VARIANCE_FACTOR, dtype=raw.dtype)[:, None, None]
        raw_variance = (self.shot * raw + self.read) * cell  # per camera colour, independent photosites
        forward, _ = self._matrices()
        linear_std = torch.einsum("ij,jhw->ihw", forward.to(raw.dtype).square(), raw_variance).sqrt()
        return stored_std(linear, linear_std)


def stored_std(linear: torch.Tensor, linear_std: torch.Tensor) -> torch.Tensor:
    """The std of sRGB(clip(linear + n, 0, 1)) for Gaussian n of std `linear_std`, elementwise."""
    nodes, weights = (torch.from_numpy(a).to(linear.dtype) for a in hermegauss(QUADRATURE_NODES))
    weights = weights / weights.sum()
    values = linear_to_srgb((linear[None] + nodes[:, None, None, None] * linear_std[None]).clamp(0, 1))
    mean = torch.einsum("k,k...->...", weights, values)
    second = torch.einsum("k,k...->...", weights, values.square())
    return (second - mean.square()).clamp_min(0).sqrt()


def add_camera_noise(clean_srgb: torch.Tensor, noise: CameraNoise, generator: torch.Generator) -> torch.Tensor:
    """(3, H, W) clean sRGB in [0, 1] -> the same photo as `noise`'s sensor would record it,
    (3, H, W) float in [0, 1] (not yet rounded to 8 bits)."""
    linear = srgb_to_linear(clean_srgb)
    return linear_to_srgb((linear + linear_camera_noise(linear, noise, generator)).clamp(0, 1))


def linear_camera_noise(linear: torch.Tensor, noise: CameraNoise, generator: torch.Generator) -> torch.Tensor:
    """Steps 2-4 of the module docstring: the noise, in linear sRGB, that the sensor adds to
    `linear` (3, H, W)."""
    raw = noise.raw(linear)
    mosaic = bayer_mosaic(raw)  # (H, W): one colour per photosite
    variance = noise.shot * mosaic + noise.read
    sensor_noise = torch.randn(mosaic.shape, generator=generator, dtype=linear.dtype) * variance.sqrt()
    camera_rgb_noise = demosaic_bilinear(sensor_noise)
    forward, _ = noise._matrices()
    return torch.einsum("ij,jhw->ihw", forward.to(linear.dtype), camera_rgb_noise)


def bayer_mosaic(raw: torch.Tensor) -> torch.Tensor:
    """(3, H, W) -> (H, W): the RGGB Bayer pattern (red at even rows and columns, blue at odd
    rows and columns, green elsewhere)."""
    mask = bayer_masks(raw.shape[1], raw.shape[2], raw.dtype)
    return (raw * mask).sum(dim=0)


def bayer_masks(height: int, width: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(3, H, W) 0/1 masks of the RGGB pattern's red, green and blue photosites."""
    rows = torch.arange(height)[:, None] % 2
    cols = torch.arange(width)[None, :] % 2
    red = (rows == 0) & (cols == 0)
    blue = (rows == 1) & (cols == 1)
    return torch.stack([red, ~(red | blue), blue]).to(dtype)


_GREEN_KERNEL = ((0.0, 0.25, 0.0), (0.25, 1.0, 0.25), (0.0, 0.25, 0.0))
_RED_BLUE_KERNEL = ((0.25, 0.5, 0.25), (0.5, 1.0, 0.5), (0.25, 0.5, 0.25))


def demosaic_bilinear(mosaic: torch.Tensor) -> torch.Tensor:
    """(H, W) RGGB mosaic -> (3, H, W): each colour plane's missing sites are the mean of their
    nearest measured neighbours (measured sites keep their value). Edges are mirrored."""
    masks = bayer_masks(*mosaic.shape, dtype=mosaic.dtype)
    planes = (masks * mosaic)[:, None]  # (3, 1, H, W)
    kernels = torch.tensor([_RED_BLUE_KERNEL, _GREEN_KERNEL, _RED_BLUE_KERNEL], dtype=mosaic.dtype)[:, None]
    padded = F.pad(planes.transpose(0, 1), (1, 1, 1, 1), mode="reflect")  # (1, 3, H+2, W+2)
    return F.conv2d(padded, kernels, groups=3)[0]


def srgb_to_linear(srgb: torch.Tensor) -> torch.Tensor:
    """The inverse sRGB transfer curve (IEC 61966-2-1), [0, 1] -> [0, 1]."""
    return torch.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    """The sRGB transfer curve, [0, 1] -> [0, 1]."""
    return torch.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear.clamp_min(0.0031308) ** (1 / 2.4) - 0.055)



# Sensors the benchmark measures denoisers on (`engine bench denoise --inputs camera-png,...`).
# low: a good phone in dim light; high: a high-ISO shot. Their sRGB noise std at mid grey
# (level 128), from `std_map`: about 7-11 levels (low) and 18-28 levels (high), green least and
# red most.
CAMERA_PRESETS = {
    "low": CameraNoise.with_typical_read_noise(2e-3),
    "high": CameraNoise.with_typical_read_noise(1e-2),
}
