"""Parameters, MACs and interleaved latency of networks, measured the same way for all.

MACs are counted with torch.utils.flop_counter.FlopCounterMode (convolutions, linear layers and
attention matmuls, forward only; elementwise ops, norms and interpolation are not counted) and
halved: one multiply-accumulate = 2 FLOPs. Latency: warm-up calls, then rounds in which every
model runs once in rotating order (A B C, B C A, ...), so drift of the machine hits all equally;
we report medians.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from engine.models import count_parameters, preset_config, build_network


@dataclass
class NetworkCost:
    name: str
    params: int
    trainable_params: int
    macs: int
    latency_ms: float
    latency_iqr_ms: tuple[float, float]
    runs: int


class WithUniformNoiseMap(nn.Module):
    """A network that takes a noise map, called as every other one, (x, t): the map is uniform
    (as the Denoiser makes it from the step), so its cost is measured like theirs."""

    def __init__(self, network: nn.Module, level: float = 0.1) -> None:
        super().__init__()
        self.network = network
        self.level = level

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.network(x, t, torch.full_like(x[:, :, :1, :1], self.level))


def build_preset(preset: str, channels: int) -> nn.Module:
    arch, config = preset_config(preset, channels)
    network = build_network(arch, config).eval()
    return WithUniformNoiseMap(network) if getattr(config, "noise_map", False) else network


def count_macs(network: nn.Module, x: torch.Tensor, t: torch.Tensor) -> int:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        network(x, t)
    return counter.get_total_flops() // 2


def _forward(network: nn.Module, x: torch.Tensor, t: torch.Tensor, optimizer: torch.optim.Optimizer | None,
             bf16: bool) -> None:
    """One inference forward, or (with an optimizer) one training step: forward, MSE, backward, AdamW;
    `bf16`: under bfloat16 autocast, as `engine train --bf16` runs it."""
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        if optimizer is None:
            with torch.inference_mode():
                network(x, t)
            return
        loss = torch.nn.functional.mse_loss(network(x, t).float(), x)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def _time_call(network: nn.Module, x: torch.Tensor, t: torch.Tensor, optimizer: torch.optim.Optimizer | None,
               bf16: bool) -> float:
    _wait_for(x.device)
    start = time.perf_counter()
    _forward(network, x, t, optimizer, bf16)
    _wait_for(x.device)
    return (time.perf_counter() - start) * 1000


def _wait_for(device: torch.device) -> None:
    """GPUs run asynchronously: without waiting, a timing measures only the queuing of the work."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def interleaved_times(calls: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each call's results (its timings) over `rounds` rounds, every call once per round, the
    order rotated round by round: the calls meet the same machine load in turn, so their ratios
    hold within one run even where the absolute times do not."""
    names = list(calls)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            times[name].append(calls[name]())
    return times


def measure_networks(
    presets: list[str], size: int, batch: int, channels: int = 3, device: str = "cpu",
    rounds: int = 10, warmup: int = 2, seed: int = 0, training: bool = False, bf16: bool = False,
) -> list[NetworkCost]:
    """Per-call latency in ms of each preset (training=True: a whole optimizer step). bf16=True
    also times each preset under bfloat16 autocast, as "PRESET bf16" (a copy with the same
    weights), in the same rotation, so the two precisions meet the same machine load."""
    torch.manual_seed(seed)
    networks = {name: build_preset(name, channels).to(device) for name in presets}
    autocast = dict.fromkeys(networks, False)
    if bf16:
        for name in presets:
            copy = build_preset(name, channels).to(device)
            copy.load_state_dict(networks[name].state_dict())
            networks[f"{name} bf16"], autocast[f"{name} bf16"] = copy, True
    for net in networks.values():
        net.train(training)
    optimizers = {
        name: torch.optim.AdamW(net.parameters(), lr=1e-4) if training else None for name, net in networks.items()
    }
    x = torch.randn(batch, channels, size, size, device=device)
    t = torch.randint(0, 1000, (batch,), device=device)
    macs = {name: count_macs(net, x[:1], t[:1]) for name, net in networks.items()}
    for name, net in networks.items():
        for _ in range(warmup):
            _time_call(net, x, t, optimizers[name], autocast[name])
    times = interleaved_times({name: functools.partial(_time_call, net, x, t, optimizers[name], autocast[name])
                               for name, net in networks.items()}, rounds)
    results = []
    for name, net in networks.items():
        q = statistics.quantiles(times[name], n=4) if len(times[name]) > 1 else [times[name][0]] * 3
        results.append(
            NetworkCost(name, count_parameters(net), count_parameters(net, trainable_only=True), macs[name],
                        statistics.median(times[name]), (q[0], q[2]), len(times[name]))
        )
    return results
