"""Camera RAW files (DNG, CR2/CR3, NEF, ARW, ...) developed by LibRaw (rawpy) into 16-bit sRGB.

How a RAW is developed, and why (`RAW_DEVELOPMENT`):

* the camera's white balance as shot (`use_camera_wb`): what the photographer saw on the camera;
* sRGB primaries and the sRGB tone curve (gamma 2.4 with a linear toe of slope 12.92), so the
  result looks right in any viewer and the denoiser sees the tone curve its photos had;
* no auto-brightening (`no_auto_bright`): LibRaw would otherwise stretch each photo so that 1% of
  its pixels clip to white, a different exposure per photo and clipped highlights. The exposure
  is the camera's: a RAW may look darker than the camera's own JPEG, which applies its own curve;
* 16 bits per channel (`output_bps=16`), kept through denoising and written as 16-bit TIFF;
* the orientation the camera recorded, applied by LibRaw (the pixels come out upright).

LibRaw reports damaged data by printing to the process's stderr from C, which rawpy cannot turn
off; those lines are caught (`_librarys_stderr`) so that a bad file still ends in one error line.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import rawpy

from engine.data.image_files import too_many_pixels
from engine.errors import ImageLoadError

RAW_DEVELOPMENT = dict(
    use_camera_wb=True,
    output_color=rawpy.ColorSpace.sRGB,
    gamma=(2.4, 12.92),
    no_auto_bright=True,
    output_bps=16,
)
_STDERR_SWAP = threading.Lock()  # one reader at a time may point file descriptor 2 elsewhere


def read_raw_pixels(path: Path, max_pixels: int) -> np.ndarray | None:
    """(H, W, 3) uint16 sRGB pixels of the RAW file `path`, upright, developed by the module's
    rules; None where LibRaw does not recognise the file as a RAW it can read (the caller may try
    Pillow: a JPEG named .nef is still a photo). The size is checked against `max_pixels` from the
    header, before any pixel is unpacked. Raises ImageLoadError with a one-line reason."""
    printed: list[str] = []
    try:
        with _librarys_stderr(path, printed):
            return _develop(path, max_pixels)
    except rawpy.LibRawFileUnsupportedError:
        return None
    except rawpy.LibRawUnsufficientMemoryError:
        raise MemoryError("LibRaw ran out of memory") from None
    except rawpy.LibRawIOError as error:
        missing = f"truncated file, the end of the RAW data is missing ({_detail(error, printed)})"
        raise ImageLoadError(missing) from None
    except rawpy.LibRawTooBigError as error:
        raise ImageLoadError(f"too many pixels for LibRaw's safety limit ({_detail(error, printed)})") from None
    except rawpy.LibRawError as error:
        raise ImageLoadError(f"corrupt RAW data ({_detail(error, printed)})") from None


def _develop(path: Path, max_pixels: int) -> np.ndarray:
    with rawpy.imread(os.fspath(path)) as raw:  # reads the header only
        sizes = raw.sizes
        width, height = max((sizes.width, sizes.height), (sizes.raw_width, sizes.raw_height),
                            key=lambda size: size[0] * size[1])
        if width * height > max_pixels:
            raise ImageLoadError(too_many_pixels(width, height, max_pixels))
        return raw.postprocess(**RAW_DEVELOPMENT)


def _detail(error: Exception, printed: list[str]) -> str:
    """LibRaw's own words (its exceptions hold bytes), with what it printed about the file."""
    words = error.args[0].decode(errors="replace") if error.args and isinstance(error.args[0], bytes) else str(error)
    return "; ".join([words or type(error).__name__, *printed])


@contextmanager
def _librarys_stderr(path: Path, printed: list[str]) -> Iterator[None]:
    """Catch what C code writes to file descriptor 2 while LibRaw reads `path`: its lines about
    the file ("<path>: Unexpected end of file") go into `printed` without the path, which the
    error line names anyway; anything else (another thread's output) is written back to stderr."""
    with _STDERR_SWAP, tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            prefix = f"{os.fspath(path)}: "
            for line in caught.read().decode(errors="replace").splitlines():
                if line.startswith(prefix):
                    printed.append(line.removeprefix(prefix))
                else:
                    print(line, file=sys.stderr)
