"""A tiny CMYK ICC profile built in code, so colour-management tests need no profile files.

The profile is an ICC v2 printer profile with one A2B0 table (lut8Type): a 2-point grid over
C, M, Y and K whose 16 corners hold the Lab colours of the sRGB values `rgb_of_corner` gives.
A profile whose inks are *not* what Pillow's formula assumes shows whether a reader used it.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable

from PIL import Image, ImageCms

Corner = Callable[[int, int, int, int], tuple[float, float, float]]  # (c, m, y, k) in {0, 1} -> sRGB in [0, 1]
D50_WHITE = (0.9642, 1.0, 0.8249)


def swapped_inks(c: int, m: int, y: int, k: int) -> tuple[float, float, float]:
    """Inks that print the colour one step round from the formula's: cyan ink looks yellow,
    magenta cyan, yellow magenta; black is black and bare paper white."""
    return (1 - m) * (1 - k), (1 - y) * (1 - k), (1 - c) * (1 - k)


def cmyk_profile(rgb_of_corner: Corner) -> bytes:
    corners = list(itertools.product((0, 1), repeat=4))  # the first channel varies slowest, as the grid wants
    rgb = Image.new("RGB", (len(corners), 1))
    rgb.putdata([tuple(round(255 * v) for v in rgb_of_corner(*corner)) for corner in corners])
    lab = ImageCms.profileToProfile(rgb, ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"),
                                    outputMode="LAB").tobytes()
    # Pillow stores a and b as signed bytes; the lut8 encoding offsets them by 128.
    grid = bytes(value if i % 3 == 0 else value ^ 0x80 for i, value in enumerate(lab))
    identity = (1, 0, 0, 0, 1, 0, 0, 0, 1)
    ramp = bytes(range(256))
    a2b0 = (b"mft1" + bytes(4) + bytes([4, 3, 2, 0]) + b"".join(map(_s15_fixed16, identity))
            + ramp * 4 + grid + ramp * 3)
    white_point = b"XYZ " + bytes(4) + b"".join(map(_s15_fixed16, D50_WHITE))
    tags = [(b"A2B0", a2b0), (b"wtpt", white_point)]
    data_start = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", data_start + len(data), len(body))
        data += body
    header = (struct.pack(">I", data_start + len(data)) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"prtr" + b"CMYK"
              + b"Lab " + bytes(12) + b"acsp" + bytes(28) + b"".join(map(_s15_fixed16, D50_WHITE)) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def _s15_fixed16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))
