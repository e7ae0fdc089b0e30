"""A user's picture (or mask) brought to a model's square size and channels, saying how.

img2img and inpainting start from any file the photo reader takes (`read_photo`: PNG, JPEG,
WebP, TIFF, BMP, GIF, HEIC, AVIF, camera RAW; any size), but a model only knows its own square
`image_size` and channel count. The fitting is the one training used (`engine.data`): the pixel
mode rules of `pixel_modes` (transparency composited on white, colour to grey by luminance), a
centre crop to a square (training crops centred too), a Lanczos resize. Each fit returns a
one-line description of what it did, for the CLI to print and the GUI to show: a user should see
that their 1024x768 photo became a centre crop, not wonder where the edges went.

Grey models see a picture as their training data stored it. The bundled digits and fashion
models learnt light ink or cloth on a black ground (MNIST and Fashion-MNIST store 0 = background,
255 = ink), so a dark-on-light drawing reads to them as a light ground with a dark hole, and
should be inverted before it is given. The picture is not inverted automatically: the fitting
cannot know which ground a model was trained on.

A mask is read the same way, then thresholded at 50% grey after its resize, so it stays binary:
white (>= 50% grey) = regenerate, black = keep. It gets its own centre crop and resize, so it lines
up with the picture when both have the same aspect (any size), or when the mask is at the model's
own size (made over the fitted picture); `aspect_note` says when neither holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.data.pixel_modes import image_from_array, to_channels
from engine.denoise.photo import Photo, read_photo
from engine.errors import ImageLoadError

MASK_THRESHOLD = 128  # 8-bit grey at or above 50% (127.5) regenerates


@dataclass(frozen=True)
class FittedPicture:
    """pixels (C, S, S) float32: a picture in [-1, 1], or a mask of 0 (keep) and 1 (regenerate)
    with C = 1. source_size: (width, height) of the file as read. description: what fitting did,
    one line."""

    pixels: torch.Tensor
    source_size: tuple[int, int]
    description: str


def fit_picture(path: Path, image_size: int, channels: int) -> FittedPicture:
    """`path` as a (channels, image_size, image_size) picture in [-1, 1]; ImageLoadError naming
    the file when it cannot be read."""
    photo = _read(path)
    image = _eight_bit(photo)
    steps = _mode_steps(photo, channels)
    square, size_steps = _square(to_channels(image, channels), image_size)
    pixels = np.asarray(square, dtype=np.float32).reshape(image_size, image_size, channels)
    tensor = torch.from_numpy(pixels).permute(2, 0, 1) / 127.5 - 1
    return FittedPicture(tensor.contiguous(), photo.size, _describe([*steps, *size_steps], image_size, channels))


def fit_mask(path: Path, image_size: int) -> FittedPicture:
    """`path` as a (1, image_size, image_size) mask of 0 (keep) and 1 (regenerate); grey levels
    are thresholded at 50% after the resize."""
    photo = _read(path)
    square, size_steps = _square(to_channels(_eight_bit(photo), 1), image_size)
    regenerate = np.asarray(square) >= MASK_THRESHOLD
    tensor = torch.from_numpy(regenerate.astype(np.float32))[None]
    count = int(regenerate.sum())
    threshold = f"thresholded at 50% grey: {count} of {regenerate.size} pixels to regenerate"
    return FittedPicture(tensor, photo.size, ", ".join([*_mode_steps(photo, 1), *size_steps, threshold]))


def aspect_note(picture: FittedPicture, mask: FittedPicture) -> str | None:
    """A warning when the mask's aspect differs from the picture's: each was cropped to its own
    centre square, so they line up only at their centres. Not for a mask already at the model's
    size: it was made for the fitted picture itself (the Generate page saves the masks painted
    over it so), and lies exactly over it."""
    (pw, ph), (mw, mh) = picture.source_size, mask.source_size
    if pw * mh == ph * mw or mask.source_size == tuple(mask.pixels.shape[1:]):
        return None
    return (f"the mask is {mw}x{mh} but the picture {pw}x{ph}: each was cropped to its centre square, "
            "so they line up only at their centres")


def _read(path: Path) -> Photo:
    try:
        return read_photo(path)
    except ImageLoadError as error:
        raise ImageLoadError(f"{Path(path).name}: {error}") from error


def _eight_bit(photo: Photo) -> Image.Image:
    """The photo as an 8-bit Pillow image, alpha put back, so `to_channels` applies training's rules."""
    layers = [photo.pixels] if photo.alpha is None else [photo.pixels, photo.alpha[:, :, None]]
    return image_from_array(np.rint(np.concatenate(layers, axis=2) * 255).astype(np.uint8))


def _mode_steps(photo: Photo, channels: int) -> list[str]:
    steps = []
    if photo.bit_depth != 8:
        steps.append(f"reduced from {photo.bit_depth} to 8 bits")
    if photo.alpha is not None:
        steps.append("filled its transparent areas with white")
    if photo.channels != channels:
        steps.append("converted to grey" if channels == 1 else "copied its grey to RGB")
    return steps


def _square(image: Image.Image, image_size: int) -> tuple[Image.Image, list[str]]:
    """Centre square of `image`, Lanczos-resized to image_size, and what was done."""
    width, height = image.size
    side = min(width, height)
    steps = []
    if width != height:
        left, top = (width - side) // 2, (height - side) // 2
        image = image.crop((left, top, left + side, top + side))
        steps.append(f"cropped {width}x{height} to its centre {side}x{side}")
    if side != image_size:
        image = image.resize((image_size, image_size), Image.Resampling.LANCZOS)
        steps.append(f"resized to {image_size}x{image_size}")
    return image, steps


def _describe(steps: list[str], image_size: int, channels: int) -> str:
    if steps:
        return ", ".join(steps)
    return f"already {image_size}x{image_size} {'grey' if channels == 1 else 'RGB'}: used as it is"
