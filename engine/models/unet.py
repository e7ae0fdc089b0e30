"""The discrete-time DDPM U-Net baseline (lucidrains `denoising-diffusion-pytorch` 1.8.3 layout).

This is the reference the continuous U-Net is compared against, so its layout follows the lucidrains
`Unet(dim=64, dim_mults=(1, 2, 4, 8))` block for block (35,710,339 parameters at 3 channels):

    init 7x7 conv -> per level: 2 ResnetBlocks, attention, downsample
                  -> mid: ResnetBlock, full attention, ResnetBlock
                  -> per level (mirrored): 2 ResnetBlocks with skip concatenation, attention, upsample
                  -> ResnetBlock on [features, init-conv output] -> 1x1 conv

Attention is linear (cheap at high resolution) on every level but the deepest, which uses full
softmax attention, as does the middle. The network only predicts a tensor shaped like its input (eps
or v); noise schedules and samplers live elsewhere and meet it only through `forward(x, t)`.
With `num_classes` > 0 it is class-conditional in the same way as the cUNet (`ClassEmbedding`
joined to the time embedding), so both families train and sample with guidance by one code path.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import ConfigError
from engine.models.layers import (
    Attention,
    ClassEmbedding,
    RMSNorm,
    SinusoidalTimeEmbedding,
    check_class_count,
    class_conditioned,
    pad_to_multiple,
)


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the U-Net; JSON-round-trippable through `dataclasses.asdict` (lists become tuples).

    The output always has `in_channels` channels (eps or v prediction).
    """

    in_channels: int = 3
    dim: int = 64
    dim_mults: tuple[int, ...] = (1, 2, 4, 8)
    resnet_blocks: int = 2
    attn_heads: int = 4
    attn_dim_head: int = 32
    groups: int = 8
    num_classes: int = 0  # > 0: class-conditional (classifier-free guidance); 0 = unconditional

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim_mults", tuple(int(m) for m in self.dim_mults))
        if self.in_channels < 1:
            raise ConfigError(f"in_channels must be at least 1, got {self.in_channels}")
        if not self.dim_mults or min(self.dim_mults) < 1:
            raise ConfigError(f"dim_mults must be a non-empty list of positive ints, got {self.dim_mults}")
        if self.dim < 2 or self.dim % 2:
            raise ConfigError(f"dim must be a positive even number, got {self.dim}")
        if self.resnet_blocks < 1:
            raise ConfigError(f"resnet_blocks must be at least 1, got {self.resnet_blocks}")
        if self.attn_heads < 1 or self.attn_dim_head < 1:
            raise ConfigError("attn_heads and attn_dim_head must be at least 1")
        if self.groups < 1 or any((self.dim * m) % self.groups for m in (1, *self.dim_mults)):
            raise ConfigError(
                f"groups={self.groups} must divide dim={self.dim} times every entry of dim_mults"
            )
        check_class_count(self.num_classes)


class Block(nn.Module):
    """3x3 conv -> GroupNorm -> optional time scale/shift -> SiLU."""

    def __init__(self, channels_in: int, channels_out: int, groups: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(channels_in, channels_out, 3, padding=1)
        self.norm = nn.GroupNorm(groups, channels_out)

    def forward(
        self, x: torch.Tensor, scale_shift: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> torch.Tensor:
        x = self.norm(self.proj(x))
        if scale_shift is not None:
            scale, shift = scale_shift
            x = x * (scale + 1) + shift
        return F.silu(x)


class ResnetBlock(nn.Module):
    """Two Blocks with a residual path; the time embedding scales and shifts the first one."""

    def __init__(self, channels_in: int, channels_out: int, time_dim: int, groups: int) -> None:
        super().__init__()
        self.time_proj = nn.Sequential(nn.SiLU(), nn.Linear(time_dim, channels_out * 2))
        self.block1 = Block(channels_in, channels_out, groups)
        self.block2 = Block(channels_out, channels_out, groups)
        self.res_conv = (
            nn.Conv2d(channels_in, channels_out, 1) if channels_in != channels_out else nn.Identity()
        )

    def forward(self, x: torch.Tensor, time_emb: torch.Tensor) -> torch.Tensor:
        scale_shift = self.time_proj(time_emb)[:, :, None, None].chunk(2, dim=1)
        h = self.block2(self.block1(x, scale_shift))
        return h + self.res_conv(x)


class LinearAttention(nn.Module):
    """Residual linear attention: cost linear in the pixel count, so it fits the high-res levels.

    RMSNorm -> 1x1 qkv -> softmax(q) over channels, softmax(k) over pixels -> context = k v^T
    -> out = context^T q -> 1x1 conv -> RMSNorm, added back to the input. v is not divided by the
    pixel count: k's softmax already makes context a weighted mean, and the reference does not
    (tests/models/test_unet_reference.py compares the whole network with it).
    """

    def __init__(self, channels: int, heads: int, dim_head: int) -> None:
        super().__init__()
        hidden = heads * dim_head
        self.heads = heads
        self.scale = dim_head**-0.5
        self.norm = RMSNorm(channels)
        self.to_qkv = nn.Conv2d(channels, hidden * 3, 1, bias=False)
        self.to_out = nn.Sequential(nn.Conv2d(hidden, channels, 1), RMSNorm(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        q, k, v = self.to_qkv(self.norm(x)).chunk(3, dim=1)
        # (B, heads*d, H, W) -> (B, heads, d, H*W)
        q, k, v = (z.reshape(b, self.heads, -1, h * w) for z in (q, k, v))
        q = q.softmax(dim=-2) * self.scale
        k = k.softmax(dim=-1)
        context = torch.einsum("bhdn,bhen->bhde", k, v)  # (B, heads, d, d)
        out = torch.einsum("bhde,bhdn->bhen", context, q).reshape(b, -1, h, w)
        return x + self.to_out(out)


def attention(channels: int, full: bool, config: UNetConfig) -> nn.Module:
    """Residual, pre-normed attention over a (B, channels, H, W) map: full softmax or linear."""
    if full:
        return Attention(channels, config.attn_heads, config.attn_dim_head, residual=True)
    return LinearAttention(channels, config.attn_heads, config.attn_dim_head)


def downsample(channels_in: int, channels_out: int) -> nn.Module:
    """Halve H and W losslessly (2x2 pixel-unshuffle), then mix channels with a 1x1 conv."""
    return nn.Sequential(nn.PixelUnshuffle(2), nn.Conv2d(channels_in * 4, channels_out, 1))


def upsample(channels_in: int, channels_out: int) -> nn.Module:
    """Double H and W (nearest), then a 3x3 conv."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels_in, channels_out, 3, padding=1)
    )


class UNet(nn.Module):
    """eps/v-prediction U-Net: forward(x (B, C, H, W) in [-1, 1]-ish, t (B,) step) -> (B, C, H, W).

    Any H, W works: the input is reflect-padded to a multiple of 2**(levels - 1) and the output
    cropped back.
    """

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        dim, groups = config.dim, config.groups
        time_dim = dim * 4
        channels = [dim, *(dim * m for m in config.dim_mults)]
        level_channels = list(zip(channels[:-1], channels[1:]))
        levels = len(level_channels)

        self.init_conv = nn.Conv2d(config.in_channels, dim, 7, padding=3)
        self.time_mlp = nn.Sequential(
            SinusoidalTimeEmbedding(dim),
            nn.Linear(dim, time_dim),
            nn.GELU(),
            nn.Linear(time_dim, time_dim),
        )
        self.class_embedding = ClassEmbedding(config.num_classes, time_dim) if config.num_classes else None

        # Each down level: resnet blocks (each output kept as a skip), attention, then a resize.
        self.downs = nn.ModuleList()
        for index, (c_in, c_out) in enumerate(level_channels):
            is_deepest = index == levels - 1
            self.downs.append(
                nn.ModuleList(
                    [
                        nn.ModuleList(
                            ResnetBlock(c_in, c_in, time_dim, groups) for _ in range(config.resnet_blocks)
                        ),
                        attention(c_in, is_deepest, config),
                        nn.Conv2d(c_in, c_out, 3, padding=1) if is_deepest else downsample(c_in, c_out),
                    ]
                )
            )

        mid = channels[-1]
        self.mid_block1 = ResnetBlock(mid, mid, time_dim, groups)
        self.mid_attn = attention(mid, True, config)
        self.mid_block2 = ResnetBlock(mid, mid, time_dim, groups)

        # Each up level mirrors a down level; every resnet block first concatenates one skip.
        self.ups = nn.ModuleList()
        for index, (c_in, c_out) in enumerate(reversed(level_channels)):
            is_shallowest = index == levels - 1
            self.ups.append(
                nn.ModuleList(
                    [
                        nn.ModuleList(
                            ResnetBlock(c_out + c_in, c_out, time_dim, groups)
                            for _ in range(config.resnet_blocks)
                        ),
                        attention(c_out, index == 0, config),
                        nn.Conv2d(c_out, c_in, 3, padding=1) if is_shallowest else upsample(c_out, c_in),
                    ]
                )
            )

        self.final_res_block = ResnetBlock(dim * 2, dim, time_dim, groups)
        self.final_conv = nn.Conv2d(dim, config.in_channels, 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, *, class_labels: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, C, H, W) noisy images; t: (B,) or scalar diffusion step, int or float; class_labels:
        (B,) in 0..num_classes, None on a conditional network = the null label."""
        x, (height, width) = pad_to_multiple(x, 2 ** (len(self.config.dim_mults) - 1))
        t = torch.as_tensor(t, device=x.device).reshape(-1).expand(x.shape[0])
        time_emb = class_conditioned(self.time_mlp(t), self.class_embedding, class_labels)

        x = self.init_conv(x)
        init_features = x
        skips = []
        for blocks, attn, resize in self.downs:
            for block in blocks[:-1]:
                x = block(x, time_emb)
                skips.append(x)
            # The level's last skip is taken after attention, as in the reference.
            x = attn(blocks[-1](x, time_emb))
            skips.append(x)
            x = resize(x)

        x = self.mid_block2(self.mid_attn(self.mid_block1(x, time_emb)), time_emb)

        for blocks, attn, resize in self.ups:
            for block in blocks:
                x = block(torch.cat([x, skips.pop()], dim=1), time_emb)
            x = resize(attn(x))

        x = self.final_res_block(torch.cat([x, init_features], dim=1), time_emb)
        return self.final_conv(x)[..., :height, :width]
