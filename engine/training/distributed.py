"""torchrun / DDP support: process group setup from torchrun's environment, and helpers that
are no-ops in a single process. Only rank 0 writes files."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class ProcessGroupInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1


def init_from_environment(device: torch.device) -> ProcessGroupInfo:
    """Join the process group torchrun describes (gloo on CPU, nccl on CUDA); single process otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return ProcessGroupInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return ProcessGroupInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def any_rank(flag: bool, group: ProcessGroupInfo, device: torch.device) -> bool:
    """True on every rank if any rank says True (so all ranks stop or pause together)."""
    if not group.active:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def ranks_agree(network: torch.nn.Module, group: ProcessGroupInfo, device: torch.device) -> bool:
    """Whether every rank holds bit-identical weights (compared through a float64 checksum)."""
    if not group.active:
        return True
    checksum = torch.stack([p.detach().double().sum() for p in network.parameters()]).sum().reshape(1).to(device)
    gathered = [torch.zeros_like(checksum) for _ in range(group.world_size)]
    dist.all_gather(gathered, checksum)
    return all(torch.equal(g, gathered[0]) for g in gathered)


def shutdown(group: ProcessGroupInfo) -> None:
    """Leave the process group once every rank is done with it: a rank that tore gloo down while
    rank 0 still wrote its files and checked in sometimes died at exit ("terminate called without
    an active exception"), failing a run that had finished."""
    if group.active and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
