"""Building blocks shared by the continuous U-Net and the discrete U-Net baseline."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import ConfigError
from engine.json_values import is_whole


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


# The spread of a class row at the start: a row's norm is about 0.25 * sqrt(dim), 2 for a 64-wide
# time embedding whose own norm is 4-7, so the classes are told apart from the first step
# without drowning the diffusion step (the one spread tried, on fashion's selection split, session 30;
# docs/models.md: from it a fine-tune heard the garment within 1,000 steps).
CLASS_VECTOR_STD = 0.25


class ClassEmbedding(nn.Embedding):
    """One learned vector per class, added to the time embedding so that every block that is told
    the diffusion step is also told the class (classifier-free guidance, Ho & Salimans 2022).

    Row `num_classes` is the null label, "no class": what a network sees when it is asked for an
    unconditional prediction (guidance's second half, and label dropout in training), so one
    network is both conditional and unconditional. The null row starts at zero, so a conditional
    network made from an unconditional one's weights computes exactly what that one did when asked
    for no class (fine-tuning a bundled model into a conditional one starts from that model). The
    class rows start small and random (CLASS_VECTOR_STD), not at zero: from zero every class is
    the same vector and grows apart slowly, and a fine-tune of `fashion` by garment still put only
    16 % of its trousers among trousers after 2,500 steps (chance: 10 %) where random rows put
    72 % there after 1,000 (docs/models.md, fashion, "Guidance, sampler or network?").
    """

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__(num_classes + 1, dim)
        nn.init.normal_(self.weight, std=CLASS_VECTOR_STD)
        with torch.no_grad():
            self.weight[num_classes].zero_()
        self.null_label = num_classes

    def conditioned(self, time_embedding: torch.Tensor, class_labels: torch.Tensor | None) -> torch.Tensor:
        """time_embedding (B, dim) plus the classes' vectors; labels (B,) in 0..num_classes, None = all null."""
        if class_labels is None:
            class_labels = torch.full(time_embedding.shape[:1], self.null_label, device=time_embedding.device)
        return time_embedding + self(class_labels.to(time_embedding.device))


def class_conditioned(
    time_embedding: torch.Tensor | None, classes: ClassEmbedding | None, class_labels: torch.Tensor | None
) -> torch.Tensor | None:
    """The conditioning vector of a network with (`classes`) or without class conditioning (None:
    a network blind to time as well); labels given to a network without classes are refused rather
    than silently ignored. A network with classes always has a time embedding (`check_class_count`)."""
    if classes is None:
        if class_labels is not None:
            raise ValueError("this network is unconditional: it takes no class labels")
        return time_embedding
    return classes.conditioned(time_embedding, class_labels)


def class_embedding_weights(network: nn.Module) -> set[str]:
    """State-dict keys of the network's class embedding (none for an unconditional network): the
    only weights an unconditional model lacks to start a conditional network (see `ClassEmbedding`)."""
    return {f"{name}.weight" for name, module in network.named_modules() if isinstance(module, ClassEmbedding)}


def check_class_count(num_classes: int, time_conditioned: bool = True) -> None:
    """The class count a network config may hold: 0 (unconditional) or more, and only on a network
    whose blocks take the time embedding the class vectors join."""
    if not is_whole(num_classes) or num_classes < 0:
        raise ConfigError(f"num_classes must be a whole number, 0 (unconditional) or more, got {num_classes!r}")
    if num_classes and not time_conditioned:
        raise ConfigError("class conditioning joins the time embedding: a network without time conditioning "
                          "cannot take classes")


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
