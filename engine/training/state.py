"""Training checkpoints: one safetensors file holding everything a run needs to continue.

Tensors: `model.*` (online weights), `ema.*` (EMA weights, what sampling uses) and `optim.<i>.<k>`
(AdamW moments). Metadata: the ModelSpec (so a checkpoint is also a loadable model) and the
training state (step, images seen, optimizer hyper-parameters). All randomness in training is
derived from (seed, step), so the step *is* the RNG state and data position: resuming from a
checkpoint reproduces the uninterrupted run bit for bit. Written atomically (temp + rename).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.checkpoints.model_files import SPEC_KEY
from engine.checkpoints.spec import ModelSpec
from engine.checkpoints.weights import read_metadata, read_tensors, write_tensors
from engine.errors import ModelLoadError
from engine.training.ema import EMA

STATE_KEY = "training_state"


@dataclass
class TrainingState:
    step: int
    images_seen: int
    elapsed_seconds: float


def save_checkpoint(
    path: Path, spec: ModelSpec, network: nn.Module, ema: EMA, optimizer: torch.optim.Optimizer, state: TrainingState
) -> None:
    tensors: dict[str, torch.Tensor] = {}
    tensors.update({f"model.{k}": v for k, v in network.state_dict().items()})
    tensors.update({f"ema.{k}": v for k, v in ema.state_dict().items()})
    optim_state = optimizer.state_dict()
    for index, values in optim_state["state"].items():
        for key, value in values.items():
            tensors[f"optim.{index}.{key}"] = torch.as_tensor(value)
    groups = [{k: v for k, v in g.items()} for g in optim_state["param_groups"]]
    metadata = {
        SPEC_KEY: spec.to_json(),
        STATE_KEY: json.dumps(
            {
                "step": state.step,
                "images_seen": state.images_seen,
                "elapsed_seconds": state.elapsed_seconds,
                "param_groups": groups,
            }
        ),
    }
    write_tensors(path, tensors, metadata)


def load_checkpoint(
    path: Path, network: nn.Module, ema: EMA, optimizer: torch.optim.Optimizer
) -> TrainingState:
    """Restore weights, EMA and optimizer in place; refuses a checkpoint of another architecture
    and one missing any part (a resume without its EMA or AdamW moments would not be the same run)."""
    metadata = read_metadata(path)
    if STATE_KEY not in metadata:
        raise ModelLoadError(f"{path}: not a training checkpoint (no training state)")
    tensors = read_tensors(path)

    def section(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

    expected = network.state_dict()
    for prefix, what in (("model.", "weights"), ("ema.", "EMA weights")):
        found = section(prefix)
        if set(found) != set(expected) or any(found[k].shape != expected[k].shape for k in expected):
            raise ModelLoadError(f"{path}: its {what} do not match this run's architecture")
    try:
        info: dict[str, Any] = json.loads(metadata[STATE_KEY])
        state = TrainingState(int(info["step"]), int(info["images_seen"]), float(info["elapsed_seconds"]))
        per_param: dict[int, dict[str, torch.Tensor]] = {}
        for name, value in section("optim.").items():
            index, key = name.split(".", 1)
            per_param.setdefault(int(index), {})[key] = value
        if state.step > 0 and len(per_param) != len(list(network.parameters())):
            raise ModelLoadError(f"{path}: its optimizer state is incomplete")
        groups = info["param_groups"]
        for group in groups:
            if "betas" in group:
                group["betas"] = tuple(group["betas"])
        optimizer.load_state_dict({"state": per_param, "param_groups": groups})
    except (ValueError, KeyError, TypeError) as error:  # JSONDecodeError is a ValueError
        raise ModelLoadError(f"{path}: its training state is damaged ({type(error).__name__}: {error})") from None
    network.load_state_dict(section("model."))
    ema.load_state_dict(section("ema."))
    return state
