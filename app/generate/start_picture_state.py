"""The picture a generation starts from (img2img) and the mask over it (inpainting), as the
Generate page holds them, without Qt: the picture fitted to the model, the mask painted or opened
over it, the strength, what they add to a request and what a record says of them.

A mask opened from a file is that file until the user paints on it; from then on it is a painted
mask, which has no file: the page writes it beside the images it saves (export_work) and their
records name that file, so "Settings from a saved image" finds it again.
"""

from __future__ import annotations

import numpy as np

from app.generate.mask_painting import DEFAULT_BRUSH, MaskPainting
from app.generate.picture_work import FittedFile, Geometry, PicturesRead
from engine.fitted_picture import aspect_note
from engine.generation_record import SourceFile
from engine.imaging import to_uint8
from engine.steering import default_strength

NO_MASK = "No mask: the whole picture is redrawn. Paint over it to redraw only there, keeping the rest exactly."


class StartPicture:
    def __init__(self) -> None:
        self.picture: FittedFile | None = None
        self.mask: MaskPainting | None = None  # same size as the picture whenever there is one
        self.mask_file: FittedFile | None = None  # where the mask came from, until painted on
        self._strength: float | None = None  # None: the default for the mask there is (or is not)
        self._brush, self._erasing = DEFAULT_BRUSH, False  # kept from picture to picture

    @property
    def geometry(self) -> Geometry | None:
        if self.picture is None:
            return None
        channels, size, _ = self.picture.fitted.pixels.shape
        return Geometry(size, channels)

    @property
    def masked(self) -> bool:
        """True when some pixels are to be regenerated (an empty mask is plain img2img)."""
        return self.mask is not None and not self.mask.is_empty()

    @property
    def strength(self) -> float:
        """The strength chosen, else the engine's default: part-way for img2img, full with a mask."""
        return default_strength(self.masked) if self._strength is None else self._strength

    def choose_strength(self, strength: float) -> None:
        self._strength = strength

    # --- what the files brought --------------------------------------------------------------

    def set_picture(self, picture: FittedFile) -> None:
        """A new picture: no mask on it yet, and the default strength."""
        self.picture, self.mask_file, self._strength = picture, None, None
        self.mask = self._new_mask(self.geometry.image_size)

    def set_mask_file(self, mask: FittedFile) -> str | None:
        """A mask from a file over the current picture; returns a warning when the two differ in
        aspect (each was cropped to its own centre)."""
        self.mask_file = mask
        self.mask.replace(mask.fitted.pixels[0].numpy())
        return aspect_note(self.picture.fitted, mask.fitted)

    def restore(self, read: PicturesRead, strength: float) -> list[str]:
        """The picture, mask and strength a saved image was made with; returns the warnings."""
        self.set_picture(read.picture)
        notes = [*read.warnings]
        if read.mask is not None and (note := self.set_mask_file(read.mask)):
            notes.append(note)
        self._strength = strength
        return notes

    def refit(self, read: PicturesRead) -> None:
        """The same picture (and mask file) fitted to another model; a painted mask is scaled to
        the new size; the strength stays."""
        painted = None if self.mask_file is not None else self.mask
        strength = self._strength
        self.set_picture(read.picture)
        if read.mask is not None:
            self.set_mask_file(read.mask)
        elif painted is not None:
            self.mask.replace(painted.resized(self.geometry.image_size).pixels)
        self._strength = strength

    def needs_refit(self, geometry: Geometry) -> bool:
        return self.picture is not None and geometry != self.geometry

    def clear(self) -> None:
        self.picture = self.mask = self.mask_file = None
        self._strength = None

    # --- painting ------------------------------------------------------------------------------

    def paint(self, start: tuple[float, float], end: tuple[float, float]) -> bool:
        """A brush stroke (model pixels); from the first change on, the mask is a painted one."""
        changed = self.mask.stroke(start, end)
        if changed:
            self.mask_file = None
        return changed

    def clear_mask(self) -> None:
        self.mask.clear()
        self.mask_file = None

    def invert_mask(self) -> None:
        self.mask.invert()
        self.mask_file = None

    def set_brush(self, size: int) -> None:
        self._brush = size
        if self.mask is not None:
            self.mask.brush = size

    def set_erasing(self, erasing: bool) -> None:
        self._erasing = erasing
        if self.mask is not None:
            self.mask.erasing = erasing

    def _new_mask(self, size: int) -> MaskPainting:
        mask = MaskPainting(size)
        mask.brush, mask.erasing = self._brush, self._erasing
        return mask

    # --- what a generation takes and records -------------------------------------------------

    def request_fields(self) -> dict:
        """GenerationRequest's init_image, mask and strength; nothing without a picture."""
        if self.picture is None:
            return {}
        return {"init_image": self.picture.fitted.pixels, "mask": self.mask.as_tensor() if self.masked else None,
                "strength": self.strength}

    def record_files(self) -> tuple[SourceFile | None, SourceFile | None]:
        """The init picture's file, and the mask's where it still is a file's."""
        init = self.picture.source if self.picture else None
        mask = self.mask_file.source if self.masked and self.mask_file else None
        return init, mask

    def painted_mask(self) -> np.ndarray | None:
        """(H, W) uint8 of a mask that was painted (and so has no file yet), else None."""
        return self.mask.as_image() if self.masked and self.mask_file is None else None

    # --- what the page shows -----------------------------------------------------------------

    def display(self) -> np.ndarray | None:
        """The picture as the model sees it, (H, W, C) uint8."""
        return None if self.picture is None else to_uint8(self.picture.fitted.pixels[None])[0]

    def description(self) -> str:
        """What fitting did to the picture, and what the mask is."""
        if self.picture is None:
            return ""
        lines = [f"{self.picture.name}: {self.picture.fitted.description}."]
        if not self.masked:
            lines.append(NO_MASK)
        elif self.mask_file is not None:
            lines.append(f"Mask {self.mask_file.name}: {self.mask_file.fitted.description}.")
        else:
            lines.append(f"Painted mask: {int(self.mask.pixels.sum())} of {self.mask.pixels.size} pixels "
                         "to regenerate.")
        return "\n".join(lines)

