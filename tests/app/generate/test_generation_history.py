"""The session's run history keeps the newest runs within a memory budget."""

from __future__ import annotations

import numpy as np

from app.generate.generation_history import GenerationHistory, HistoryEntry
from app.generate.generation_run import GenerationRun
from engine.generate import GenerationResult
from engine.generation_record import GenerationRecord


def run(seed: int, count: int = 2, steps: int = 3) -> GenerationRun:
    images = np.zeros((count, 4, 4, 1), np.uint8)  # 16 bytes per image
    frames = [images.copy() for _ in range(steps)]
    result = GenerationResult(images=images, sampler="ddpm", steps=steps, timesteps=list(range(steps)), model_weights="",
                              trajectory_x_t=frames, trajectory_x0=[f.copy() for f in frames])
    return GenerationRun(result, GenerationRecord(model="digits", seed=seed, sampler="ddpm", steps=steps, count=count))


def test_entry_size_counts_images_and_every_frame():
    assert HistoryEntry(run(0, count=2, steps=3)).bytes == 32 * (1 + 2 * 3)


def test_oldest_runs_are_forgotten_beyond_the_budget_but_the_newest_always_stays():
    history = GenerationHistory(budget_bytes=3 * 224)  # three runs of 224 bytes
    for seed in range(3):
        assert history.add(run(seed)) == []
    forgotten = history.add(run(3))
    assert [e.run.record.seed for e in forgotten] == [0]
    assert [e.run.record.seed for e in history.entries] == [3, 2, 1]
    huge = run(9, count=64, steps=50)
    assert [e.run.record.seed for e in history.add(huge)] == [3, 2, 1]
    assert [e.run.record.seed for e in history.entries] == [9]


def test_title_says_when_what_and_which_seeds():
    entry = HistoryEntry(run(7, count=16), finished_at=0.0)
    assert entry.title().endswith(" · digits · ddpm 3 steps · 16 images from seed 7")
    assert HistoryEntry(run(5, count=1)).title().endswith("seed 5")
