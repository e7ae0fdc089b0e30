"""A byte-capped in-memory store of decoded, resized images, so each file is decoded once.

It fills up and then stops taking new entries instead of evicting: training visits images in a
fresh random order every epoch, which makes any LRU policy thrash once the dataset outgrows the
cap, while a fixed first-come set keeps a steady hit rate of cap / dataset size.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

DEFAULT_CACHE_BYTES = 1 << 30


class DecodedImageCache:
    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.used_bytes = 0
        self._arrays: dict[Hashable, np.ndarray] = {}

    def get(self, key: Hashable) -> np.ndarray | None:
        return self._arrays.get(key)

    def put(self, key: Hashable, pixels: np.ndarray) -> None:
        """Keep `pixels` (made read-only) if it fits under the cap; otherwise drop it silently."""
        if key in self._arrays or self.used_bytes + pixels.nbytes > self.max_bytes:
            return
        pixels.setflags(write=False)
        self._arrays[key] = pixels
        self.used_bytes += pixels.nbytes

    def __len__(self) -> int:
        return len(self._arrays)
