"""Rate-limit updates sent from a worker loop to the GUI thread.

A tiny model runs hundreds of sampler or training steps per second; forwarding each one would
flood the GUI thread's event queue and make the window stutter. Workers ask `ready()` before
reporting and always let the last update through (`force=True`).
"""

from __future__ import annotations

import time

LIVE_INTERVAL_S = 0.05  # at most 20 updates per second


class Throttle:
    def __init__(self, interval_s: float = LIVE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._last = float("-inf")

    def ready(self, force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - self._last >= self.interval_s:
            self._last = now
            return True
        return False
