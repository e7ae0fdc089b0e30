"""A finished generation plus the settings that made it: file names, PNG metadata and the frames
of each image's reverse process (pure Python, no Qt)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.generate import GenerationResult
from engine.generation_record import GenerationRecord
from engine.imaging import to_pil, upscale_nearest
from engine.trajectory import trajectory_frame

ANIMATION_MIN_SIDE = 256


@dataclass
class GenerationRun:
    result: GenerationResult
    record: GenerationRecord  # what reproduces the run: model, first seed, sampler, steps, eta, solver

    @property
    def count(self) -> int:
        return len(self.result.images)

    @property
    def frame_count(self) -> int:
        """Timeline positions: one per sampler step, plus the final image."""
        return len(self.result.trajectory_x_t) + 1

    def seed_of(self, index: int) -> int:
        return self.record.seed + index

    def frame(self, index: int, position: int) -> tuple[np.ndarray, np.ndarray, str]:
        """(x_t, predicted x0, caption) of image `index` at timeline `position` (last = final)."""
        steps = len(self.result.trajectory_x_t)
        if position >= steps:
            final = self.result.images[index]
            return final, final, f"Final image (seed {self.seed_of(index)})"
        caption = f"Step {position + 1}/{steps} · t = {self.result.timesteps[position]}"
        return self.result.trajectory_x_t[position][index], self.result.trajectory_x0[position][index], caption

    def file_name(self, index: int) -> str:
        return f"{self.record.model}-seed{self.seed_of(index):06d}.png"

    def image_record(self, index: int) -> GenerationRecord:
        """What makes image `index` again on its own."""
        return dataclasses.replace(self.record, seed=self.seed_of(index), count=1)

    def png_text(self, index: int) -> dict[str, str]:
        """Settings as PNG text, so the image says how to make it again."""
        return self.image_record(index).png_text()

    def animation_frames(self, index: int) -> list:
        """PIL frames of x_t beside predicted x0 for every step, then the final image, enlarged
        with whole pixels so tiny images stay viewable in an image viewer."""
        one = slice(index, index + 1)
        pairs = list(zip(self.result.trajectory_x_t, self.result.trajectory_x0))
        pairs.append((self.result.images, self.result.images))
        return [to_pil(upscale_nearest(trajectory_frame(x_t[one], x0[one]), ANIMATION_MIN_SIDE)) for x_t, x0 in pairs]


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `stem-2.suffix`, `stem-3.suffix`... so saving never overwrites a file."""
    path = folder / name
    number = 2
    while path.exists():
        path = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
        number += 1
    return path

