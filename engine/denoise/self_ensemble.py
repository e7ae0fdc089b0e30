"""Geometric self-ensemble: denoise the same tiles rotated and mirrored, undo each transform, and
average.

A denoiser's errors depend on orientation (its convolutions are not rotation invariant), while a
photo's content does not, so averaging the estimates from the eight symmetries of the square
(four rotations, each with and without a mirror) cancels part of the errors: measured on the
bundled photo denoiser at sigma 25 (four held-out 256 px crops), +0.1 to +0.55 dB PSNR with all
eight, for eight times the work. The standard test-time trick of image restoration networks.
"""

from __future__ import annotations

import torch

ENSEMBLE_SIZES = (1, 2, 4, 8)


def transform(x: torch.Tensor, index: int) -> torch.Tensor:
    """Symmetry `index` (0..7) of (B, C, H, W) images: rotate by index % 4 quarter turns, then
    mirror left-right when index >= 4. Index 0 is the identity."""
    rotated = torch.rot90(x, index % 4, dims=(2, 3))
    return torch.flip(rotated, dims=(3,)) if index >= 4 else rotated


def undo_transform(x: torch.Tensor, index: int) -> torch.Tensor:
    """Inverse of `transform(., index)`."""
    unmirrored = torch.flip(x, dims=(3,)) if index >= 4 else x
    return torch.rot90(unmirrored, -(index % 4), dims=(2, 3))
