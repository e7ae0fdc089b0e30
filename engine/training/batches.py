"""Deterministic data order and per-step randomness.

Sample k of the whole run (k = step * batch + position) is image perm_e[k mod N] of epoch
e = k div N, where perm_e is a permutation seeded by (seed, e); or, where images have weights (a
run with --class-balance), N images drawn with replacement in proportion to them, seeded alike.
Each process of a distributed run takes its contiguous slice of the global batch, which is what a
distributed sampler does, but with no sampler state to save: the step number alone fixes the
data position and every random draw, which is what makes resumed runs bit-identical.
"""

from __future__ import annotations

import torch


def step_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """The generator for everything random in one step on one process (noise, t, crops, flips)."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) * 101 + rank)


class DataOrder:
    def __init__(self, dataset_size: int, seed: int, weights: torch.Tensor | None = None) -> None:
        """`weights` (dataset_size,): how often each image is drawn, relative; None = each once per epoch."""
        if dataset_size < 1:
            raise ValueError("empty dataset")
        if weights is not None and weights.shape != (dataset_size,):
            raise ValueError(f"{tuple(weights.shape)} weights for {dataset_size} images")
        self.size = dataset_size
        self.seed = seed
        self.weights = weights
        self._cached_epoch = -1
        self._cached_perm: list[int] = []

    def _permutation(self, epoch: int) -> list[int]:
        if epoch != self._cached_epoch:
            generator = torch.Generator().manual_seed(self.seed * 7919 + epoch)
            if self.weights is None:
                self._cached_perm = torch.randperm(self.size, generator=generator).tolist()
            else:
                self._cached_perm = torch.multinomial(self.weights, self.size, replacement=True,
                                                      generator=generator).tolist()
            self._cached_epoch = epoch
        return self._cached_perm

    def batch(self, step: int, batch_size: int, rank: int = 0, world_size: int = 1) -> list[int]:
        """Indices of this process's share of the global batch for `step`."""
        per_rank = batch_size // world_size
        start = step * batch_size + rank * per_rank
        indices = []
        for k in range(start, start + per_rank):
            epoch, position = divmod(k, self.size)
            indices.append(self._permutation(epoch)[position])
        return indices
