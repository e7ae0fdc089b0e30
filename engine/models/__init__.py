"""Denoising networks. Every network maps (x_t (B, C, H, W), t (B,)) -> model output (B, C, H, W);
a class-conditional one (config `num_classes` > 0) also takes `class_labels` (B,) by keyword.

`build_network(arch, config)` is the one constructor the rest of the engine uses, so checkpoints
only need to store an architecture name and a config dict.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import nn

from engine.errors import ConfigError
from engine.models.cunet import (
    CUNet,
    CUNetConfig,
    default_config,
    denoise_config,
    grown_block_weights,
    paper_config,
    small_config,
)
from engine.models.layers import class_embedding_weights
from engine.models.ode_block import (
    MAX_SOLVER_STEPS,
    SOLVER_METHODS,
    FlowPenalties,
    SolverSettings,
    is_adaptive_method,
)
from engine.models.unet import UNet, UNetConfig

ARCHITECTURES = ("cunet", "unet")

# Preset name -> (architecture, config factory taking the channel count).
PRESETS: dict[str, tuple[str, Any]] = {
    "cunet": ("cunet", default_config),
    "cunet-paper": ("cunet", paper_config),
    "cunet-small": ("cunet", small_config),
    "cunet-denoise": ("cunet", denoise_config),
    "unet": ("unet", lambda channels: UNetConfig(in_channels=channels)),
    "unet-small": ("unet", lambda channels: UNetConfig(in_channels=channels, dim=32, dim_mults=(1, 2, 4))),
    # The DDPM U-Net shrunk to cunet-small's parameter count (623 k against 638 k), for the
    # cUNet/U-Net comparison at equal parameters (docs/benchmarks.md).
    "unet-tiny": ("unet", lambda channels: UNetConfig(in_channels=channels, dim=16, dim_mults=(1, 2, 4),
                                                      attn_heads=2, attn_dim_head=16)),
}
# Each architecture's narrow preset, the one that trains on a CPU: what `engine train --arch` picks.
SMALL_PRESETS = {"cunet": "cunet-small", "unet": "unet-small"}
# The config field that sets each architecture's base channel width: the one size knob of a
# preset (`network_overrides={WIDTH_FIELDS[arch]: 16}` makes it narrower or wider).
WIDTH_FIELDS = {"cunet": "base_channels", "unet": "dim"}


def preset_config(preset: str, channels: int) -> tuple[str, CUNetConfig | UNetConfig]:
    """(architecture, config) of a named preset for 1- or 3-channel images."""
    try:
        arch, factory = PRESETS[preset]
    except KeyError:
        raise ConfigError(f"unknown model preset {preset!r}; choose one of {', '.join(PRESETS)}") from None
    return arch, factory(channels)


def config_from_dict(arch: str, values: dict) -> CUNetConfig | UNetConfig:
    """Rebuild a config from JSON, refusing unknown or missing fields with a clear message."""
    config_type = {"cunet": CUNetConfig, "unet": UNetConfig}.get(arch)
    if config_type is None:
        raise ConfigError(f"unknown architecture {arch!r}; this version knows {', '.join(ARCHITECTURES)}")
    known = {f.name for f in dataclasses.fields(config_type)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{arch} config has unknown fields {unknown} (made by a newer version?)")
    try:
        return config_type(**values)
    except TypeError as error:
        raise ConfigError(f"invalid {arch} config: {error}") from None


def build_network(arch: str, config: CUNetConfig | UNetConfig) -> nn.Module:
    if arch == "cunet" and isinstance(config, CUNetConfig):
        return CUNet(config)
    if arch == "unet" and isinstance(config, UNetConfig):
        return UNet(config)
    raise ConfigError(f"config of type {type(config).__name__} does not fit architecture {arch!r}")


def count_parameters(network: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in network.parameters() if p.requires_grad or not trainable_only)


__all__ = [
    "ARCHITECTURES",
    "MAX_SOLVER_STEPS",
    "PRESETS",
    "SMALL_PRESETS",
    "SOLVER_METHODS",
    "WIDTH_FIELDS",
    "CUNet",
    "CUNetConfig",
    "FlowPenalties",
    "SolverSettings",
    "UNet",
    "UNetConfig",
    "build_network",
    "class_embedding_weights",
    "grown_block_weights",
    "config_from_dict",
    "count_parameters",
    "is_adaptive_method",
    "preset_config",
]
