"""Building blocks shared by the continuous U-Net and the discrete U-Net baseline."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class SinusoidalTimeEmbedding(nn.Module):
    """Transformer-style sinusoidal embedding of the diffusion step t (B,) -> (B, dim).

    Parameter-free, so it works for integer steps and for fractional steps alike (samplers that
    evaluate between grid points).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError("embedding dim must be even")
        self.dim = dim

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        freqs = torch.exp(
            -math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / (half - 1)
        )
        angles = t.float()[:, None] * freqs[None, :]
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


class RMSNorm(nn.Module):
    """Channel RMS norm for (B, C, H, W) maps with a learned gain, as in the lucidrains U-Net."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.g = nn.Parameter(torch.ones(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, dim=1) * self.g * (x.shape[1] ** 0.5)


class Attention(nn.Module):
    """Multi-head softmax self-attention over all pixels: RMSNorm -> 1x1 qkv -> SDPA -> 1x1 out.

    `residual=False` reproduces the official cUNet, whose attention output replaces the features
    (bug B5 of the paper digest); `residual=True` is the usual `x + attn(x)`.
    """

    def __init__(self, channels: int, heads: int = 4, dim_head: int = 32, residual: bool = True) -> None:
        super().__init__()
        hidden = heads * dim_head
        self.heads = heads
        self.residual = residual
        self.norm = RMSNorm(channels)
        self.to_qkv = nn.Conv2d(channels, hidden * 3, 1, bias=False)
        self.to_out = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        q, k, v = self.to_qkv(self.norm(x)).chunk(3, dim=1)
        # (B, heads*d, H, W) -> (B, heads, H*W, d)
        q, k, v = (z.reshape(b, self.heads, -1, h * w).transpose(-1, -2) for z in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v)
        out = out.transpose(-1, -2).reshape(b, -1, h, w)
        out = self.to_out(out)
        return x + out if self.residual else out


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Reflect-pad H and W up to a multiple (so every level halves cleanly); returns the original size.

    Reflection (not zeros) keeps the padded border statistically like the image, so the network sees
    no artificial edge; inputs smaller than the pad width fall back to replicate padding.
    """
    h, w = x.shape[-2:]
    pad_h = (-h) % multiple
    pad_w = (-w) % multiple
    if pad_h or pad_w:
        mode = "reflect" if pad_h < h and pad_w < w else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
    return x, (h, w)
