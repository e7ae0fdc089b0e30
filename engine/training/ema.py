"""Exponential moving average of weights: the weights we sample with and ship.

The decay ramps up as min(decay, (1 + n) / (10 + n)) so early EMA weights are not stuck near the
random initialisation (the usual warm-up, as in ema_pytorch / k-diffusion)."""

from __future__ import annotations

import torch
from torch import nn


class EMA:
    def __init__(self, network: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = {k: v.detach().clone().float() for k, v in network.state_dict().items()}

    @torch.no_grad()
    def update(self, network: nn.Module, optimizer_steps: int) -> None:
        decay = min(self.decay, (1 + optimizer_steps) / (10 + optimizer_steps))
        for name, value in network.state_dict().items():
            shadow = self.shadow[name]
            if value.is_floating_point():
                shadow.lerp_(value.detach().float(), 1 - decay)
            else:
                shadow.copy_(value)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for name in self.shadow:
            self.shadow[name].copy_(state[name])
