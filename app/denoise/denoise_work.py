"""Work functions for the Denoise page: show a queued photo, denoise one photo (streaming
progress), save results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.workers.model_cache import ModelCache
from app.workers.throttle import Throttle
from app.workers.work import Work, readable_error
from engine.denoise import (
    DenoiseProgress,
    DenoiseResult,
    DenoiseSettings,
    PackedPhoto,
    Photo,
    denoise_photo,
    estimate_noise_levels,
    output_path_for,
    read_photo,
    write_photo,
)
from engine.device import set_threads
from engine.errors import EngineError


@dataclass(frozen=True)
class ModelReady:
    """The model loaded: from here on a failure belongs to the photo, not to the model."""


@dataclass(frozen=True)
class PhotoLoaded:
    before: np.ndarray  # (H, W, C) uint8 for display
    estimated_sigma: float  # 0-255 units, RMS over the photo's pixels and channels


@dataclass(frozen=True)
class DenoiseOutcome:
    """A finished photo as the page keeps it until saved: the result packed (a quarter of the
    memory of float pixels for 8-bit photos), and uint8 before/after for the comparison view
    (`after` is the packed pixels themselves for an 8-bit photo)."""
    result: DenoiseResult
    before: np.ndarray
    after: np.ndarray


def denoise_work(models: ModelCache, model_path: Path, device: str, photo_path: Path, settings: DenoiseSettings,
                 threads: int | None = None) -> Work:
    """`threads`: the Settings' count, None for the cores other programs leave free when it starts."""

    def work(report, cancel):
        set_threads(threads)
        model = models.get(model_path, device)
        report(ModelReady())
        photo = read_photo(photo_path)
        before = _display_pixels(photo)
        levels = estimate_noise_levels(photo.pixels, photo.lossy_jpeg)
        report(PhotoLoaded(before, levels.overall))
        throttle = Throttle()

        def on_progress(p: DenoiseProgress) -> None:
            if throttle.ready(force=p.tile == p.tiles and p.step == p.steps):
                report(p)

        result = denoise_photo(model, photo, settings, progress=on_progress, cancel=cancel, levels=levels).packed()
        return DenoiseOutcome(result, before, result.photo.eight_bit_pixels())

    return work


@dataclass(frozen=True)
class PhotoForDisplay:
    path: Path
    pixels: np.ndarray | None  # (H, W, C) uint8; None when the file cannot be read
    error: str = ""  # why it cannot be read, in one line


def photo_preview_work(photo_path: Path) -> Work:
    """Returns a PhotoForDisplay: the photo as the comparison view shows it before denoising,
    read in a worker (a large photo takes a noticeable moment to decode). A file that cannot be
    read is an answer too, not a failure: the page says why in its place."""

    def work(report, cancel) -> PhotoForDisplay:
        try:
            return PhotoForDisplay(photo_path, _display_pixels(read_photo(photo_path)))
        except (EngineError, OSError) as error:
            return PhotoForDisplay(photo_path, None, readable_error(error))

    return work


def _display_pixels(photo: Photo) -> np.ndarray:
    """(H, W, C) uint8, rounded exactly as the denoised result is, so before and after differ
    only by the denoising."""
    return PackedPhoto.pack(photo).eight_bit_pixels()


@dataclass(frozen=True)
class SaveReport:
    """What a save of several results did, photo by photo: one that cannot be written (a full disk,
    a folder gone) must not hide that the others were, or Save all again would copy them twice."""
    saved: list[tuple[object, Path]]  # (tag, path written)
    failed: list[tuple[object, str]]  # (tag, one-line reason)


def save_results_work(
    results: list[tuple[object, DenoiseResult]], out_dir: Path | None, format: str | None, jpeg_quality: int
) -> Work:
    """Write each (tag, result) beside its original (or into `out_dir`) under a new name and
    return a SaveReport. Originals are never overwritten (`output_path_for`, `write_photo`)."""

    def work(report, cancel) -> SaveReport:
        saved, failed = [], []
        for tag, result in results:
            try:
                path = output_path_for(result.photo.source, out_dir, format=format)
                saved.append((tag, write_photo(result.photo, path, format=format, jpeg_quality=jpeg_quality)))
            except (EngineError, OSError) as error:
                failed.append((tag, readable_error(error)))
        return SaveReport(saved, failed)

    return work
