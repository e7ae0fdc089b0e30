"""Work functions that write generated images and trajectories (off the GUI thread: encoding a
long GIF or dozens of PNGs would otherwise stall the window).

A result the user starts the next generations from ("Start from this image") is saved the same way, into
the app's own folder (`start_pictures_dir`): a start picture must be a file, for the records of the
images made from it to name one that stays.

A run made with a painted mask saves that mask too, beside the images, as "<first image>-mask.png"
(never over an existing file), and their records name it: a record must name every file its image
was made from, or "Settings from a saved image" could not make it again. Later saves of the same run
name the mask already written while that file is unchanged, so "Save" then "Save all" writes one
mask, not one per save.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.generate.generation_run import GenerationRun, free_path
from app.workers.work import Work
from engine.generation_record import SourceFile, file_fingerprint
from engine.imaging import save_animation, save_png, to_pil
from engine.paths import user_data_dir


@dataclass(frozen=True)
class SavedFiles:
    paths: list[Path]  # the images, or the animation
    mask: Path | None = None  # the painted mask written beside the images by this save
    mask_file: SourceFile | None = None  # the painted mask file the images' records name
    run: GenerationRun | None = None  # the run whose images were saved (its `saved_mask` is set from this)

    def message(self) -> str:
        where = self.paths[0] if len(self.paths) == 1 else f"{len(self.paths)} files in {self.paths[0].parent}"
        mask = f", with the painted mask they were made with ({self.mask.name})" if self.mask else ""
        return f"Saved {where}{mask}"


def save_images_work(run: GenerationRun, indices: list[int], folder: Path) -> Work:
    """Save images as PNGs named after model and seed, never overwriting."""

    def work(report, cancel) -> SavedFiles:
        paths = [free_path(folder, run.file_name(index)) for index in indices]
        return _save(run, list(zip(indices, paths)))

    return work


def save_image_work(run: GenerationRun, index: int, path: Path) -> Work:
    def work(report, cancel) -> SavedFiles:
        return _save(run, [(index, path)])

    return work


def start_pictures_dir() -> Path:
    """Where results used as start pictures are kept (a few kilobytes each)."""
    return user_data_dir() / "start-pictures"


def start_picture_work(run: GenerationRun, index: int) -> Work:
    """Save image `index` into `start_pictures_dir` (never overwriting), with its settings, for
    the page to start from."""

    save = save_images_work(run, [index], start_pictures_dir())

    def work(report, cancel) -> SavedFiles:
        start_pictures_dir().mkdir(parents=True, exist_ok=True)
        return save(report, cancel)

    return work


def export_trajectory_work(run: GenerationRun, index: int, path: Path) -> Work:
    """Animated GIF/WebP (by suffix) of one image's reverse process."""

    def work(report, cancel) -> SavedFiles:
        save_animation(path, run.animation_frames(index))
        return SavedFiles([path])

    return work


def _save(run: GenerationRun, images: list[tuple[int, Path]]) -> SavedFiles:
    mask_path = None
    mask_file = run.saved_mask if _unchanged(run.saved_mask) else None
    if run.painted_mask is not None and mask_file is None:
        first = images[0][1]
        mask_path = free_path(first.parent, f"{first.stem}-mask.png")
        save_png(mask_path, to_pil(run.painted_mask[:, :, None]))
        mask_file = SourceFile.of(mask_path)
    for index, path in images:
        save_png(path, to_pil(run.result.images[index]), run.png_text(index, mask_file))
    return SavedFiles([path for _, path in images], mask_path, mask_file, run)


def _unchanged(file: SourceFile | None) -> bool:
    """Whether `file` is still there with the bytes it was recorded with."""
    try:
        return file is not None and file_fingerprint(Path(file.path)) == file.sha256
    except OSError:
        return False
