"""Tests for the byte-capped decoded image cache."""

import numpy as np

from engine.data.decoded_cache import DecodedImageCache


def test_fills_up_to_the_cap_then_stops_and_freezes_arrays():
    cache = DecodedImageCache(max_bytes=250)
    for key in range(4):
        cache.put(key, np.zeros(100, dtype=np.uint8))
    assert len(cache) == 2 and cache.used_bytes == 200
    assert cache.get(3) is None and not cache.get(0).flags.writeable
