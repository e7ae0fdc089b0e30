"""Work function for the Generate page's start picture and mask: read the files and fit them to
the model on a worker thread (a camera RAW or a 50-megapixel photo takes seconds to read, which
would freeze the window), and note which file, in which version, was used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.workers.work import Work, readable_error
from engine.checkpoints import ModelSpec
from engine.errors import EngineError
from engine.fitted_picture import FittedPicture, fit_mask, fit_picture
from engine.generation_record import GenerationRecord, SourceFile, check_source_file


@dataclass(frozen=True)
class Geometry:
    """What a model makes, so what a picture is fitted to."""

    image_size: int
    channels: int

    @classmethod
    def of(cls, spec: ModelSpec) -> Geometry:
        return cls(spec.image_size, spec.channels)


@dataclass(frozen=True)
class FittedFile:
    """A file fitted to the model, and the file as a record names it (its fingerprint taken
    when it was read: the version that was used)."""

    fitted: FittedPicture
    source: SourceFile

    @property
    def name(self) -> str:
        return Path(self.source.path).name


@dataclass(frozen=True)
class PicturesRead:
    """What one read brought: `load` says which request it answers (the page ignores a stale
    one); `picture` and `mask` are None where none was asked for; `warnings`: recorded files
    that changed since; `error`: why nothing could be read (one line), the rest then None."""

    load: int
    geometry: Geometry
    picture: FittedFile | None = None
    mask: FittedFile | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None


def pictures_work(picture: Path | None, mask: Path | None, geometry: Geometry, load: int) -> Work:
    """Fit the picture and/or the mask at these paths to `geometry`."""

    def work(report, cancel) -> PicturesRead:
        return _answer(load, geometry, lambda: _read(picture, mask, geometry, load, []))

    return work


def recorded_pictures_work(record: GenerationRecord, image_name: str, geometry: Geometry, load: int) -> Work:
    """The init picture and mask a saved image was made from, where its record says they were:
    fails (ImageLoadError, one line) when one is gone, warns when one has changed since."""

    def read() -> PicturesRead:
        warnings = []
        for role, source in (("init picture", record.init), ("mask", record.mask)):
            if source is not None and (warning := check_source_file(source, role, image_name)):
                warnings.append(warning)
        paths = [Path(source.path) if source else None for source in (record.init, record.mask)]
        return _read(*paths, geometry, load, warnings)

    def work(report, cancel) -> PicturesRead:
        return _answer(load, geometry, read)

    return work


def _answer(load: int, geometry: Geometry, read: Callable[[], PicturesRead]) -> PicturesRead:
    """The read, or what stopped it as one line: the page tells a stale failure from a current
    one by its load, as it does a success."""
    try:
        return read()
    except (EngineError, OSError) as error:
        return PicturesRead(load, geometry, error=readable_error(error))


def _read(picture: Path | None, mask: Path | None, geometry: Geometry, load: int, warnings: list[str]) -> PicturesRead:
    fitted_picture = fitted_mask = None
    if picture is not None:
        fitted_picture = FittedFile(fit_picture(picture, geometry.image_size, geometry.channels),
                                    SourceFile.of(picture))
    if mask is not None:
        fitted_mask = FittedFile(fit_mask(mask, geometry.image_size), SourceFile.of(mask))
    return PicturesRead(load, geometry, fitted_picture, fitted_mask, tuple(warnings))
