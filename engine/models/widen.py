"""Widening a trained cUNet: the same network with k times the channels at some levels, computing
exactly what the narrow one computed (Net2WiderNet, Chen et al. 2016, "Net2Net").

Why: a wider level learns more per training crop (the photo denoiser with 96 channels at its finest
level instead of 48 led at equal crops on every condition, docs/models.md), but training it from
scratch throws away the hundreds of thousands of crops the bundled narrow model has seen. Widened,
the wide network starts where the narrow one ended and only has to learn what the extra channels add.

How: each channel c of a widened level becomes k copies (the new channels j = c, c + C, c + 2C ...),
so every weight that *produces* the level's channels is tiled, and every weight that *reads* them is
split among the copies with random fractions that sum to one per weight: the sum over the copies is
the narrow weight, so the output is unchanged, while the copies get different gradients from the
first step on (equal halves would leave them identical forever). A pixel norm (or instance norm)
sees the same mean and variance over k copies of a pixel's channels as over the originals, so the
norms' gains and biases are tiled too. Group norm, attention, second-order and paper-variant levels
would need rules of their own and are refused (`check_widenable`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Literal

import torch

from engine.errors import ConfigError
from engine.models.cunet import CUNetConfig

Mode = Literal["tile", "split"]  # tile: copies of a produced channel; split: a read channel's weight shared out


@dataclasses.dataclass(frozen=True)
class _Axis:
    """One axis of a weight whose entries are level channels: `levels` lists the levels whose
    channels lie along it, in order (an up projection reads the coarser level's channels, then the
    skip's)."""

    dim: int
    levels: tuple[int, ...]
    mode: Mode


def widening_factors(narrow: CUNetConfig, wide: CUNetConfig) -> list[int]:
    """k per level: how many copies of each narrow channel the wide network has there."""
    old, new = narrow.widths, wide.widths
    if len(old) != len(new):
        raise ConfigError(f"cannot widen a {len(old) - 1}-level cUNet into a {len(new) - 1}-level one")
    if any(n < o or n % o for o, n in zip(old, new)):
        raise ConfigError(f"each widened level's channels must be a whole multiple of the model's: {old} -> {new}")
    return [n // o for o, n in zip(old, new)]


def check_widenable(narrow: CUNetConfig, wide: CUNetConfig) -> list[int]:
    """The widening factors (`widening_factors`); refuses what the widening rules do not cover."""
    factors = widening_factors(narrow, wide)
    widened = {level for level, k in enumerate(factors) if k > 1}
    if not widened:
        return factors
    if narrow.norm == "group":
        raise ConfigError("cannot widen a cUNet with group norm (a copy of a channel changes its group's statistics)")
    if narrow.second_order or narrow.paper_vector_field:
        raise ConfigError("only first-order cUNets of our own vector field can be widened")
    attended = widened & set(narrow.attention_levels)
    if attended:
        raise ConfigError(f"cannot widen level(s) {sorted(attended)}: they have attention")
    return factors


def widened_weights(weights: dict[str, torch.Tensor], narrow: CUNetConfig, wide: CUNetConfig,
                    generator: torch.Generator) -> dict[str, torch.Tensor]:
    """`weights` of a cUNet built from `narrow`, widened to fit one built from `wide` so that it
    computes the same function (up to rounding); `generator` draws the split fractions."""
    factors, old = check_widenable(narrow, wide), narrow.widths
    if all(k == 1 for k in factors):
        return dict(weights)
    middle = len(old) - 1
    widened = {}
    for key, tensor in weights.items():
        result = tensor
        for axis in _channel_axes(key, middle):
            segments = [(old[level], factors[level]) for level in axis.levels]
            result = _widen_axis(result, axis.dim, segments, axis.mode, generator)
        widened[key] = result
    return widened


def _channel_axes(key: str, middle: int) -> list[_Axis]:
    """Which axes of the weight `key` hold level channels (none for the time MLP and class embedding)."""
    block = re.match(r"(?:(?:down|up)_blocks\.(\d+)|middle)\.(?:block|more_blocks\.\d+)\.field\.(\w+)\.", key)
    if block:
        level = int(block.group(1)) if block.group(1) is not None else middle
        layer = block.group(2)
        if layer.startswith("norm"):
            return [_Axis(1, (level,), "tile")]
        if layer.startswith("conv"):
            reads = [_Axis(1, (level,), "split")] if key.endswith(".weight") else []
            return [_Axis(0, (level,), "tile"), *reads]
        if layer == "to_scale_shift":  # scale then shift, one per channel each
            return [_Axis(0, (level, level), "tile")]
    projection = re.match(r"(down|up)_proj\.(\d+)\.(weight|bias)$", key)
    if projection:
        i, is_weight = int(projection.group(2)), projection.group(3) == "weight"
        produces, reads = (i + 1, (i,)) if projection.group(1) == "down" else (i, (i + 1, i))
        return [_Axis(0, (produces,), "tile")] + ([_Axis(1, reads, "split")] if is_weight else [])
    if key in ("stem.weight", "stem.bias"):
        return [_Axis(0, (0,), "tile")]
    if key in ("head.0.weight", "head.0.bias"):  # the head's norm
        return [_Axis(1, (0,), "tile")]
    if key == "head.2.weight":
        return [_Axis(1, (0,), "split")]
    return []


def _widen_axis(tensor: torch.Tensor, dim: int, segments: Sequence[tuple[int, int]], mode: Mode,
                generator: torch.Generator) -> torch.Tensor:
    """Each (channels, k) segment along `dim` becomes k copies of itself, tiled; in "split" mode
    the copies are weighted by random fractions summing to one."""
    parts = tensor.split([channels for channels, _ in segments], dim=dim)
    widened = []
    for part, (_, k) in zip(parts, segments):
        if k == 1:
            widened.append(part)
        elif mode == "tile":
            widened.append(torch.cat([part] * k, dim=dim))
        else:
            # Fractions near 1/k (draws from [0.5, 1.5), normalised), so no copy starts dead; the
            # last copy takes what the others leave, so the copies sum to the weight exactly.
            draws = torch.rand((k, *part.shape), generator=generator, dtype=torch.float64) + 0.5
            shares = [part * (draws[m] / draws.sum(dim=0)).to(part.dtype) for m in range(k - 1)]
            widened.append(torch.cat([*shares, part - sum(shares)], dim=dim))
    return torch.cat(widened, dim=dim)
