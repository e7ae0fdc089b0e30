"""Work functions that write generated images and trajectories (off the GUI thread: encoding a
long GIF or dozens of PNGs would otherwise stall the window)."""

from __future__ import annotations

from pathlib import Path

from app.generate.generation_run import GenerationRun, free_path
from app.workers.work import Work
from engine.imaging import save_animation, save_png, to_pil


def save_images_work(run: GenerationRun, indices: list[int], folder: Path) -> Work:
    """Save images as PNGs named after model and seed, never overwriting; returns the paths."""

    def work(report, cancel):
        paths = []
        for index in indices:
            path = free_path(folder, run.file_name(index))
            save_png(path, to_pil(run.result.images[index]), run.png_text(index))
            paths.append(path)
        return paths

    return work


def save_image_work(run: GenerationRun, index: int, path: Path) -> Work:
    def work(report, cancel):
        save_png(path, to_pil(run.result.images[index]), run.png_text(index))
        return [path]

    return work


def export_trajectory_work(run: GenerationRun, index: int, path: Path) -> Work:
    """Animated GIF/WebP (by suffix) of one image's reverse process."""

    def work(report, cancel):
        save_animation(path, run.animation_frames(index))
        return [path]

    return work
