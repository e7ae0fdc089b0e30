"""A finished generation plus the settings that made it: file names, PNG metadata and the frames
of each image's reverse process (pure Python, no Qt)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.generate import GenerationResult
from engine.generation_record import GenerationRecord, SourceFile
from engine.imaging import to_pil, upscale_nearest
from engine.trajectory import frame_pairs, trajectory_frame

ANIMATION_MIN_SIDE = 256
START_CAPTION = "Start picture, as the model sees it"


@dataclass
class GenerationRun:
    result: GenerationResult
    record: GenerationRecord  # what reproduces the run: model, first seed, sampler, steps, eta, solver...
    # A mask painted on the page, (H, W) uint8, 255 = regenerate: it has no file, so `record.mask`
    # is None until saving writes one beside the images (export_work) and names it.
    painted_mask: np.ndarray | None = None
    # The file the painted mask was last saved to (set on the GUI thread when a save finishes), so
    # the next save of this run names it instead of writing another copy.
    saved_mask: SourceFile | None = None
    class_names: tuple[str, ...] = ()  # the model's, to name each image's class

    def caption(self, index: int) -> str:
        """What the results grid says under image `index`: its seed, and with a random class per
        image the class it got ("seed 3 · Sneaker")."""
        labels = self.result.class_labels
        if not self.record.random_class or labels is None or labels[index] >= len(self.class_names):
            return f"seed {self.seed_of(index)}"
        return f"seed {self.seed_of(index)} · {self.class_names[labels[index]]}"

    @property
    def count(self) -> int:
        return len(self.result.images)

    @property
    def frame_count(self) -> int:
        """Timeline positions: the start picture (if any), one per sampler step, the final image."""
        return len(frame_pairs(self.result))

    def seed_of(self, index: int) -> int:
        return self.record.seed + index

    def frame(self, index: int, position: int) -> tuple[np.ndarray, np.ndarray, str]:
        """(x_t, predicted x0, caption) of image `index` at timeline `position` (last = final)."""
        pairs = frame_pairs(self.result)
        x_t, x0, _ = pairs[position]
        start = 0 if self.result.init_image is None else 1
        steps = len(self.result.timesteps)
        if position == len(pairs) - 1:
            caption = f"Final image ({self.caption(index)})"
        elif position < start:
            caption = START_CAPTION
        else:
            step = position - start
            caption = f"Step {step + 1}/{steps} · t = {self.result.timesteps[step]}"
        return x_t[index], x0[index], caption

    def file_name(self, index: int) -> str:
        return f"{self.record.model}-seed{self.seed_of(index):06d}.png"

    def image_record(self, index: int, mask: SourceFile | None = None) -> GenerationRecord:
        """What makes image `index` again on its own; `mask`: the file a painted mask was saved to."""
        one = self.record.of_image(index, self.result)
        return dataclasses.replace(one, mask=mask or one.mask)

    def png_text(self, index: int, mask: SourceFile | None = None) -> dict[str, str]:
        """Settings as PNG text, so the image says how to make it again."""
        return self.image_record(index, mask).png_text()

    def summary_parts(self, index: int | None = None) -> list[str]:
        """What made the run (or image `index` on its own), a painted mask named as such."""
        parts = (self.record if index is None else self.image_record(index)).summary_parts(self.class_names)
        return parts if self.painted_mask is None else [*parts[:-1], "painted mask", parts[-1]]

    def animation_frames(self, index: int) -> list:
        """PIL frames of x_t beside predicted x0 for every recorded moment (the start picture, each
        step, the final image), enlarged with whole pixels so tiny images stay viewable in an image
        viewer."""
        one = slice(index, index + 1)
        return [to_pil(upscale_nearest(trajectory_frame(x_t[one], x0[one]), ANIMATION_MIN_SIDE))
                for x_t, x0, _ in frame_pairs(self.result)]


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `stem-2.suffix`, `stem-3.suffix`... so saving never overwrites a file."""
    path = folder / name
    number = 2
    while path.exists():
        path = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
        number += 1
    return path

