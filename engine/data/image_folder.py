"""Training images from a folder tree of PNG, JPEG, WebP, BMP, TIFF and GIF (first frame) files.

Bad files never stop training. At construction every file is decoded once (folders of up to
`full_check_limit` files) so corrupt, truncated, empty and oversized files are found up front and
listed in `skipped` as (path, reason); the decoded pixels go into the byte-capped cache, so the
first epoch does not decode them again. Bigger folders get only a header check at construction;
a file that then fails to decode during training is added to `skipped` and replaced by the next
readable index (wrapping around), the same replacement every time. Files without an image
extension are ignored silently. Mode and geometry rules: see `pixel_modes` and `geometry`.

Classes follow torchvision's ImageFolder convention: when every image sits in a subfolder (at any
depth below it), the top-level subfolder is its class and its name the class name. A replacement
for an unreadable image is then taken from the same class, so an image's label never changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from engine.data.decoded_cache import DEFAULT_CACHE_BYTES, DecodedImageCache
from engine.data.geometry import crop_to_tensor, prepare_pixels
from engine.data.image_files import IMAGE_EXTENSIONS, check_image_header, decode_image, find_image_files
from engine.data.training_images import check_output_spec, display_path, image_classes
from engine.errors import DatasetError, ImageLoadError

logger = logging.getLogger(__name__)

DEFAULT_FULL_CHECK_LIMIT = 2000
REASONS_IN_MESSAGES = 3


class ImageFolderDataset:
    """`TrainingImages` over every readable image file under `folder`, in sorted path order."""

    def __init__(
        self,
        folder: str | Path,
        image_size: int,
        channels: int,
        *,
        hflip: bool = True,
        resize_short_side: bool = True,
        max_downscale: float = 1.0,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        full_check_limit: int = DEFAULT_FULL_CHECK_LIMIT,
    ) -> None:
        check_output_spec(image_size, channels)
        self.folder = Path(folder).expanduser()
        self.image_size = image_size
        self.channels = channels
        self.hflip = hflip
        self.resize_short_side = resize_short_side
        self.max_downscale = max_downscale
        self.skipped: list[tuple[Path, str]] = []
        self._cache = DecodedImageCache(cache_bytes)
        self._unreadable: set[int] = set()

        if not self.folder.is_dir():
            raise DatasetError(f"{self.folder} is not a folder; choose the folder that holds the training images.")
        candidates = find_image_files(self.folder)
        if not candidates:
            kinds = ", ".join(sorted(extension.lstrip(".") for extension in IMAGE_EXTENSIONS))
            raise DatasetError(f"No image files ({kinds}) found in {self.folder} or its subfolders.")
        decode_now = len(candidates) <= full_check_limit
        self.paths = [path for path in candidates if self._accept(path, decode_now)]
        if self.skipped:
            logger.warning(
                "Skipped %d unreadable image file(s) in %s: %s",
                len(self.skipped),
                self.folder,
                self._first_reasons(),
            )
        if not self.paths:
            raise DatasetError(
                f"No readable images in {self.folder}: all {len(self.skipped)} image file(s) were rejected "
                f"({self._first_reasons()}). Re-export or replace these files, or choose another folder."
            )
        self.class_names, self._class_labels = image_classes(_class_folders(self.folder, self.paths))

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, index: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return crop_to_tensor(self._readable_pixels(index), self.image_size, generator, self.hflip, self.max_downscale)

    def describe(self) -> str:
        skipped = f" ({len(self.skipped)} skipped)" if self.skipped else ""
        classes = f" in {len(self.class_names)} class folders" if self.class_names else ""
        return f"folder {display_path(self.folder)}: {len(self)} images{classes}{skipped}"

    def label(self, index: int) -> int:
        if self._class_labels is None:
            raise DatasetError(f"{self.folder} has no class labels (its images are not all in class subfolders)")
        return int(self._class_labels[index])

    def _accept(self, path: Path, decode_now: bool) -> bool:
        try:
            if decode_now:
                self._pixels(path)
            else:
                check_image_header(path, min_size=self._draft_size())
        except ImageLoadError as error:
            self.skipped.append((path, str(error)))
            return False
        return True

    def _readable_pixels(self, index: int) -> np.ndarray:
        """Pixels of image `index`, or of the next readable one (of its class) if it fails to decode now."""
        if not 0 <= index < len(self.paths):
            raise IndexError(f"image index {index} out of range for {len(self.paths)} images")
        for candidate in self._stand_ins(index):
            if candidate in self._unreadable:
                continue
            path = self.paths[candidate]
            try:
                return self._pixels(path)
            except ImageLoadError as error:
                self._unreadable.add(candidate)
                self.skipped.append((path, str(error)))
                logger.warning("Skipping unreadable image %s during training: %s", path, error)
        of_class = f" of class {self.class_names[self.label(index)]!r}" if self.class_names else ""
        raise DatasetError(
            f"None of the images{of_class} in {self.folder} can be read any more "
            f"({self._first_reasons()}). Were the files moved, deleted or overwritten?"
        )

    def _stand_ins(self, index: int) -> Iterator[int]:
        """`index`, then the images after it (wrapping around) that may replace it if it cannot be
        read: in a labelled folder only those of its class, so that its label stays true."""
        count = len(self.paths)
        for candidate in ((index + offset) % count for offset in range(count)):
            if self._class_labels is None or self._class_labels[candidate] == self._class_labels[index]:
                yield candidate

    def _pixels(self, path: Path) -> np.ndarray:
        pixels = self._cache.get(path)
        if pixels is None:
            image = decode_image(path, min_size=self._draft_size())
            pixels = prepare_pixels(image, self.channels, self.image_size, self.resize_short_side)
            self._cache.put(path, pixels)
        return pixels

    def _draft_size(self) -> int | None:
        """The smallest side a JPEG may be decoded at: the training size when photos are resized,
        none when crops are taken at native resolution."""
        return self.image_size if self.resize_short_side else None

    def _first_reasons(self) -> str:
        shown = [
            f"{path.relative_to(self.folder).as_posix()}: {reason}"
            for path, reason in self.skipped[:REASONS_IN_MESSAGES]
        ]
        more = len(self.skipped) - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _class_folders(folder: Path, paths: list[Path]) -> np.ndarray | None:
    """Each image's top-level subfolder name, or None when any image sits directly in `folder`:
    then the folder is not sorted into classes."""
    parts = [path.relative_to(folder).parts for path in paths]
    if any(len(part) < 2 for part in parts):
        return None
    return np.array([part[0] for part in parts])
