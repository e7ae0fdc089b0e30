"""Continuous U-Net (cUNet): a U-Net whose levels are neural-ODE blocks (arXiv 2310.20092).

Two faithful-or-fixed variants live in one class, chosen by `CUNetConfig`:

* `paper` preset reproduces the official code (`ConvSODEUNet`): InstanceNorm, softplus, the vector
  field `softplus(conv(IN(softplus(conv(IN(h)))))) + h`, 2 non-residual attention layers at the
  1/8 level, a frozen step-embedding table that is never used (so the network is blind to the
  diffusion time; bug B1 of the paper digest), one RK4 step per block.
* `default` preset fixes those bugs: the diffusion time reaches every vector field through
  scale/shift, GroupNorm, SiLU, zero-initialised output convs (each block starts as the identity
  flow), residual attention, and optionally a true second-order block (dz/ds = v, dv/ds = f).

The `denoise` preset (`denoise_config`) is the photo denoiser's network, designed for PSNR per
CPU-second: a pixel-unshuffle stem (`unshuffle`) so the ODE blocks start at half resolution (FFDNet's
trick: a quarter of the pixels for the same receptive field), no attention (it would tie the
network to the tile size it was trained on), and a per-pixel noise-level map as an extra input
(`noise_map`), so noise that varies with brightness or place is removed where it is.

With `num_classes` > 0 the network is class-conditional: a class vector joins the time embedding
(`ClassEmbedding`, whose null "no class" row starts at zero, for classifier-free guidance).

Shapes: input (B, C, H, W) with any H, W (reflect-padded to a multiple of unshuffle * 2**levels
internally), output (B, C, H, W); t is the diffusion step, shape (B,); the optional noise map is
(B, C, H, W) or broadcastable to it: the noise std per pixel and channel in the input's units;
the optional class labels are (B,) in 0..num_classes (num_classes itself: no class).

The ODE solver is an argument of each call (`solver=`), like torchdiffeq's `method`/`options`;
without one the network runs `config.solver`, the solver it was trained with. Nothing a call
passes stays behind, so one network can serve callers that ask for different solvers.

The network computes channels-last (its conv weights and activations NHWC in memory; the shapes and
the arithmetic are unchanged): oneDNN's convolutions run without reordering their inputs and the
pixel norm's NHWC view is already contiguous, and each ODE block then solves in that layout
(`ode_block`). Measured on one CPU thread: a 384 px tile of the photo denoiser in bf16 and a batch
of 64 generated 32 px images in float32 take a third and a quarter less time (docs/benchmarks.md,
"Channels-last").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import ConfigError
from engine.json_values import is_whole
from engine.models.layers import (
    Attention,
    ClassEmbedding,
    SinusoidalTimeEmbedding,
    check_class_count,
    class_conditioned,
    pad_to_multiple,
)
from engine.models.ode_block import FlowPenalties, ODEBlock, SolverSettings


NORMS = ("group", "instance", "pixel")


@dataclass(frozen=True)
class CUNetConfig:
    """Architecture of a continuous U-Net. Level i has base_channels * channel_mults[i] channels;
    the last entry is the bottleneck. `attention_levels` indexes channel_mults (mirrored in the
    decoder). `solver` is the ODE solver the network is trained with: what a call without one runs."""

    in_channels: int = 3
    base_channels: int = 16
    channel_mults: tuple[int, ...] = (2, 4, 8, 16, 32)
    attention_levels: tuple[int, ...] = (3,)
    residual_attention: bool = True
    norm: str = "group"  # group | instance | pixel (over the channels of each pixel: tile-size independent)
    activation: str = "silu"  # silu | softplus
    time_conditioning: bool = True
    time_embedding_dim: int = 128
    second_order: bool = False
    paper_vector_field: bool = False  # softplus(...) + h, no zero-init (official code)
    frozen_step_table: bool = False  # official code's unused 1000x256 embedding (parameter fidelity)
    unshuffle: int = 1  # pixel-unshuffle factor of the stem (the head shuffles back); 1 = full resolution
    noise_map: bool = False  # takes a per-pixel noise-level map as extra input channels
    fine_blocks: int = 1  # ODE blocks on each side of the finest level (where a photo's detail is)
    num_classes: int = 0  # > 0: class-conditional (classifier-free guidance); 0 = unconditional
    solver: SolverSettings = field(default_factory=SolverSettings)

    def __post_init__(self) -> None:
        for name in ("channel_mults", "attention_levels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if isinstance(self.solver, dict):
            object.__setattr__(self, "solver", SolverSettings(**self.solver))
        if not isinstance(self.solver, SolverSettings):
            raise ConfigError(f"cunet 'solver' must be a table of solver settings, got {self.solver!r}")
        if self.in_channels not in (1, 3):
            raise ConfigError(f"cunet supports 1 or 3 image channels, got {self.in_channels}")
        if len(self.channel_mults) < 2:
            raise ConfigError("cunet needs at least one down level and a bottleneck")
        if self.norm not in NORMS:
            raise ConfigError(f"unknown norm {self.norm!r}; use {', '.join(NORMS)}")
        if self.activation not in ("silu", "softplus"):
            raise ConfigError(f"unknown activation {self.activation!r}; use silu or softplus")
        if any(not 0 <= i < len(self.channel_mults) for i in self.attention_levels):
            raise ConfigError("attention_levels must index channel_mults")
        if self.unshuffle not in (1, 2, 4):
            raise ConfigError(f"unshuffle must be 1, 2 or 4, got {self.unshuffle!r}")
        if not is_whole(self.fine_blocks) or self.fine_blocks < 1:
            raise ConfigError(f"fine_blocks must be a whole number >= 1, got {self.fine_blocks!r}")
        if self.fine_blocks > 1 and self.second_order:
            raise ConfigError("fine_blocks > 1 is for first-order networks (second_order false)")
        if self.noise_map and self.paper_vector_field:
            raise ConfigError("the paper's vector field takes no noise map")
        check_class_count(self.num_classes, self.time_conditioning)

    @property
    def widths(self) -> list[int]:
        """Channels at each level, the bottleneck last."""
        return [self.base_channels * m for m in self.channel_mults]

    @property
    def stem_channels(self) -> int:
        """Channels the stem convolution sees: the image (and its noise map), unshuffled."""
        return self.in_channels * (2 if self.noise_map else 1) * self.unshuffle**2

    def to_dict(self) -> dict:
        return asdict(self)


def paper_config(in_channels: int = 3) -> CUNetConfig:
    """The official `ConvSODEUNet` as committed (8,811,875 parameters at 3 channels)."""
    return CUNetConfig(
        in_channels=in_channels,
        base_channels=16,
        channel_mults=(2, 4, 8, 16, 32),
        attention_levels=(3,),
        residual_attention=False,
        norm="instance",
        activation="softplus",
        time_conditioning=False,
        second_order=False,
        paper_vector_field=True,
        frozen_step_table=True,
        solver=SolverSettings(method="rk4", steps=1),
    )


def default_config(in_channels: int = 3) -> CUNetConfig:
    """Our bug-fixed cUNet at the paper's widths: time-conditioned, one midpoint step per block
    (2 evaluations instead of RK4's 4, the main lever behind its speed)."""
    return CUNetConfig(in_channels=in_channels, solver=SolverSettings(method="midpoint", steps=1))


def small_config(in_channels: int = 3) -> CUNetConfig:
    """A narrow 3-level cUNet sized to train on a laptop CPU in an hour (for 28-32 px datasets)."""
    return CUNetConfig(
        in_channels=in_channels,
        base_channels=8,
        channel_mults=(2, 4, 8, 16),
        attention_levels=(2,),
        time_embedding_dim=64,
        solver=SolverSettings(method="midpoint", steps=1),
    )


def denoise_config(in_channels: int = 3) -> CUNetConfig:
    """The photo denoiser: half-resolution ODE blocks after a pixel-unshuffle stem, 48 to 384
    channels over four levels, no attention, a noise-map input (docs/models.md, "Photo
    denoiser", records how each choice was measured)."""
    return CUNetConfig(
        in_channels=in_channels,
        base_channels=16,
        channel_mults=(3, 6, 12, 24),
        attention_levels=(),
        norm="pixel",
        unshuffle=2,
        noise_map=True,
        solver=SolverSettings(method="midpoint", steps=1),
    )


class PixelNorm(nn.Module):
    """Layer norm over the channels of each pixel, with a learned gain and bias per channel.
    Unlike group or instance norm it uses no statistics across the image, so a tile is
    processed exactly as it would be inside a larger photo."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # torch's fused layer norm over the channels (last in the NHWC view): the same arithmetic
        # as normalising each pixel by hand, 14 % faster per photo-denoiser training step and 16 %
        # per 512 px tile on this CPU in bf16 (docs/models.md, "`photo-denoiser` — the photo denoiser v2").
        pixels = x.permute(0, 2, 3, 1)  # (B, H, W, C)
        normed = F.layer_norm(pixels, pixels.shape[-1:], self.weight.view(-1), self.bias.view(-1), self.eps)
        return normed.permute(0, 3, 1, 2)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels)
    if kind == "pixel":
        return PixelNorm(channels)
    return nn.GroupNorm(math.gcd(8, channels), channels)


def _activation(kind: str) -> nn.Module:
    return nn.Softplus() if kind == "softplus" else nn.SiLU()


class VectorField(nn.Module):
    """f(h, c): the learned derivative inside one ODE block.

    norm -> act -> conv3x3 -> norm -> [scale/shift from c] -> act -> conv3x3. In the paper variant
    the order is the official one (conv before act, a trailing softplus, `+ h`).
    For a second-order block the input is [z, v] (2*channels) and the output dv/ds (channels).
    """

    def __init__(self, config: CUNetConfig, channels: int, in_factor: int = 1) -> None:
        super().__init__()
        self.paper = config.paper_vector_field
        width_in = channels * in_factor
        self.norm1 = _norm(config.norm, width_in)
        self.conv1 = nn.Conv2d(width_in, channels, 3, padding=1)
        self.norm2 = _norm(config.norm, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.act = _activation(config.activation)
        self.to_scale_shift = (
            nn.Sequential(nn.SiLU(), nn.Linear(config.time_embedding_dim, 2 * channels))
            if config.time_conditioning
            else None
        )
        if not self.paper:
            nn.init.zeros_(self.conv2.weight)
            nn.init.zeros_(self.conv2.bias)

    def forward(self, h: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        if self.paper:
            out = self.norm2(self.act(self.conv1(self.norm1(h))))
            out = self._modulate(out, condition)
            return self.act(self.conv2(out)) + h
        out = self.conv1(self.act(self.norm1(h)))
        out = self._modulate(self.norm2(out), condition)
        return self.conv2(self.act(out))

    def _modulate(self, h: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        if self.to_scale_shift is None:
            return h
        scale, shift = self.to_scale_shift(condition)[:, :, None, None].chunk(2, dim=1)
        return h * (1 + scale) + shift


class SecondOrderField(nn.Module):
    """d/ds [z, v] = [v, f([z, v], c)]: a true second-order ODE on the (2*channels) state."""

    def __init__(self, config: CUNetConfig, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.acceleration = VectorField(config, channels, in_factor=2)

    def forward(self, state: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        velocity = state[:, self.channels :]
        return torch.cat([velocity, self.acceleration(state, condition)], dim=1)


class ContinuousLevel(nn.Module):
    """One ODE block plus, for second-order models, the learned initial velocity v0 = g(z0), and
    `blocks` - 1 more first-order blocks after it (`fine_blocks`). Each added block's vector field
    starts at zero, so it starts as the identity: a model grown by blocks computes, at the start of
    its fine-tune, exactly what it was grown from (`grown_block_weights`)."""

    def __init__(self, config: CUNetConfig, channels: int, blocks: int = 1) -> None:
        super().__init__()
        self.second_order = config.second_order
        self.more_blocks = nn.ModuleList(ODEBlock(VectorField(config, channels)) for _ in range(blocks - 1))
        if self.second_order:
            self.initial_velocity = nn.Conv2d(channels, channels, 3, padding=1)
            nn.init.zeros_(self.initial_velocity.weight)
            nn.init.zeros_(self.initial_velocity.bias)
            self.block = ODEBlock(SecondOrderField(config, channels))
        else:
            self.block = ODEBlock(VectorField(config, channels))

    def forward(self, h: torch.Tensor, condition: torch.Tensor | None, solver: SolverSettings,
                penalties: FlowPenalties | None) -> torch.Tensor:
        if self.second_order:
            state = torch.cat([h, self.initial_velocity(h)], dim=1)
            h = self.block(state, condition, solver, penalties)[:, : h.shape[1]]
        else:
            h = self.block(h, condition, solver, penalties)
        for block in self.more_blocks:
            h = block(h, condition, solver, penalties)
        return h


def grown_block_weights(network: nn.Module) -> set[str]:
    """State-dict keys of the network's added fine blocks (`ContinuousLevel.more_blocks`): weights a
    model with fewer fine blocks lacks, and may start without, since those blocks start as the identity."""
    return {f"{name}.more_blocks.{key}" for name, module in network.named_modules()
            if isinstance(module, ContinuousLevel) for key in module.more_blocks.state_dict()}


def _official_step_table(steps: int = 1000, dim: int = 256) -> torch.Tensor:
    """The official code's sinusoidal table (steps, dim): sin and cos of the same angle in each
    even/odd column pair, with its quirk (B6) of using only the even-indexed frequencies
    10000^(-2j/dim), j = 0, 2, 4, ... Computed in float64 so it is exact to float32 rounding."""
    position = torch.arange(steps, dtype=torch.float64)[:, None]
    freqs = 10000.0 ** (-2 * torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    angles = position * freqs[None, :]  # (steps, dim / 2)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).reshape(steps, dim).float()


class CUNet(nn.Module):
    """The continuous U-Net; see the module docstring for the two presets."""

    def __init__(self, config: CUNetConfig) -> None:
        super().__init__()
        self.config = config
        widths = config.widths
        self.levels = len(widths) - 1
        act = config.activation
        self.act = _activation(act)

        if config.frozen_step_table:
            self.step_table = nn.Embedding(1000, 256)
            self.step_table.weight.data.copy_(_official_step_table())
            self.step_table.weight.requires_grad_(False)
        if config.time_conditioning:
            self.time_mlp = nn.Sequential(
                SinusoidalTimeEmbedding(config.time_embedding_dim),
                nn.Linear(config.time_embedding_dim, config.time_embedding_dim),
                nn.SiLU(),
                nn.Linear(config.time_embedding_dim, config.time_embedding_dim),
            )
        self.class_embedding = (
            ClassEmbedding(config.num_classes, config.time_embedding_dim) if config.num_classes else None
        )

        # Stem: the paper's "initial velocity" module lifts the image into the ODE state.
        if config.paper_vector_field:
            self.stem = nn.Sequential(
                nn.InstanceNorm2d(config.in_channels),
                nn.Conv2d(config.in_channels, config.base_channels, 3, padding=1),
                nn.Softplus(),
                nn.InstanceNorm2d(config.base_channels),
                nn.Conv2d(config.base_channels, widths[0], 1),
                nn.Softplus(),
            )
        else:
            self.stem = nn.Conv2d(config.stem_channels, widths[0], 3, padding=1)

        def attention(width: int) -> nn.Module:
            return Attention(width, heads=4, dim_head=32, residual=config.residual_attention)

        blocks = [config.fine_blocks] + [1] * (self.levels - 1)
        self.down_blocks = nn.ModuleList(ContinuousLevel(config, w, n) for w, n in zip(widths[:-1], blocks))
        self.down_attn = nn.ModuleDict(
            {str(i): attention(widths[i]) for i in config.attention_levels if i < self.levels}
        )
        self.down_proj = nn.ModuleList(nn.Conv2d(widths[i], widths[i + 1], 1) for i in range(self.levels))
        self.middle = ContinuousLevel(config, widths[-1])
        self.middle_attn = attention(widths[-1]) if self.levels in config.attention_levels else None
        # Decoder level i: upsample from widths[i+1], concat skip (widths[i]), 1x1 to widths[i].
        self.up_proj = nn.ModuleList(nn.Conv2d(widths[i + 1] + widths[i], widths[i], 1) for i in range(self.levels))
        self.up_blocks = nn.ModuleList(ContinuousLevel(config, w, n) for w, n in zip(widths[:-1], blocks))
        self.up_attn = nn.ModuleDict(
            {str(i): attention(widths[i]) for i in config.attention_levels if i < self.levels}
        )
        if config.paper_vector_field:
            self.head = nn.Conv2d(widths[0], config.in_channels, 1)
        else:
            self.head = nn.Sequential(
                _norm(config.norm, widths[0]),
                _activation(act),
                nn.Conv2d(widths[0], config.in_channels * config.unshuffle**2, 3, padding=1),
            )
        # Conv weights channels-last, the layout of every call (module docstring). Only theirs: a norm's
        # (1, C, 1, 1) gain would take strides its gradient does not have, which torchrun's gradient
        # buckets warn about ("grad strides do not match bucket view strides").
        for conv in (module for module in self.modules() if isinstance(module, nn.Conv2d)):
            conv.to(memory_format=torch.channels_last)

    def function_evaluations(self) -> int:
        """Vector-field evaluations over all blocks since the network was built."""
        return sum(m.evaluations for m in self.modules() if isinstance(m, ODEBlock))

    def ode_block_count(self) -> int:
        """How many ODE blocks every call runs, each with the call's solver: evaluations per block
        are `function_evaluations` over this (what `SolverSettings.evals_per_block` predicts)."""
        return sum(isinstance(m, ODEBlock) for m in self.modules())

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, noise_map: torch.Tensor | None = None, *,
        class_labels: torch.Tensor | None = None, solver: SolverSettings | None = None,
        penalties: FlowPenalties | None = None,
    ) -> torch.Tensor:
        """class_labels: None on a conditional network = the null label (an unconditional prediction).
        solver: how every ODE block of this call is integrated (the speed/quality dial: no
        retraining is needed for nearby settings, though quality is best at the trained one);
        None = `config.solver`, the trained solver. penalties: a training call's record of
        its blocks' kinetic energy and bend (`--kinetic-weight`, `--bend-weight`), which every
        block adds to."""
        solver = self.config.solver if solver is None else solver
        time_embedding = self.time_mlp(t) if self.config.time_conditioning else None
        condition = class_conditioned(time_embedding, self.class_embedding, class_labels)
        if self.config.noise_map:
            if noise_map is None:
                raise ValueError("this network needs a noise map (the Denoiser makes one from the step)")
            x = torch.cat([x, noise_map.to(x.dtype).expand_as(x)], dim=1)
        elif noise_map is not None:
            raise ValueError("this network takes no noise map")
        factor = self.config.unshuffle
        x, (height, width) = pad_to_multiple(x, factor * 2**self.levels)
        x = F.pixel_unshuffle(x, factor) if factor > 1 else x
        h = self.stem(x.contiguous(memory_format=torch.channels_last))  # (B, C*f*f, H/f, W/f)
        skips = []
        for i in range(self.levels):  # level i: (B, widths[i], H/f/2^i, W/f/2^i)
            h = self.down_blocks[i](h, condition, solver, penalties)
            if str(i) in self.down_attn:
                h = self.down_attn[str(i)](h)
            skips.append(h)
            h = self.act(self.down_proj[i](h))
            h = F.interpolate(h, scale_factor=0.5, mode="bilinear", align_corners=False)
        h = self.middle(h, condition, solver, penalties)  # the coarsest level, (B, widths[-1], H/f/2^L, W/f/2^L)
        if self.middle_attn is not None:
            h = self.middle_attn(h)
        for i in reversed(range(self.levels)):
            h = F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False)
            h = self.act(self.up_proj[i](torch.cat([h, skips[i]], dim=1)))  # back to widths[i] channels
            h = self.up_blocks[i](h, condition, solver, penalties)
            if str(i) in self.up_attn:
                h = self.up_attn[str(i)](h)
        out = self.head(h)
        if factor > 1:
            out = F.pixel_shuffle(out, factor)  # (B, C, H, W)
        return out[..., :height, :width].contiguous()  # row-major for the caller, as it came in
