"""This session's finished generations, newest first, so an earlier run's images and reverse
processes can be looked at, scrubbed and saved again after generating more (pure Python, no Qt).

Runs are kept whole (every step's x_t and x̂0) within a memory budget: a run of 64 colour images
over 1,000 steps holds ~400 MB of frames, so the oldest runs are forgotten first. The newest run
is always kept, whatever its size: it is the one on screen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.generate.generation_run import GenerationRun

DEFAULT_BUDGET_BYTES = 512 * 2**20


@dataclass
class HistoryEntry:
    run: GenerationRun
    finished_at: float = field(default_factory=time.time)

    @property
    def bytes(self) -> int:
        result = self.run.result
        frames = result.trajectory_x_t + result.trajectory_x0
        return result.images.nbytes + sum(frame.nbytes for frame in frames)

    def title(self) -> str:
        """"23:41 · digits · ddpm 50 steps · 16 images from seed 0"."""
        clock = time.strftime("%H:%M", time.localtime(self.finished_at))
        return " · ".join([clock, *self.run.summary_parts()])


class GenerationHistory:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.entries: list[HistoryEntry] = []  # newest first

    def add(self, run: GenerationRun) -> list[HistoryEntry]:
        """Keep `run` as the newest entry; returns the entries forgotten to stay in budget."""
        self.entries.insert(0, HistoryEntry(run))
        total = 0
        for index, entry in enumerate(self.entries):
            total += entry.bytes
            if index > 0 and total > self.budget_bytes:
                forgotten = self.entries[index:]
                del self.entries[index:]
                return forgotten
        return []
