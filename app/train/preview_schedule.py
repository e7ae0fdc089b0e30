"""When the Train page asks a run for an extra sample grid (pure Python, no Qt).

The run draws a grid every `sample_every` steps, a number fixed before anyone knows how fast the
run will go: 500 steps is seconds on a GPU and nine minutes on a laptop CPU, where the first
picture of progress came only after those nine minutes. So the page also asks for a grid whenever
none has come for `interval_s` seconds of training, whatever the speed. A grid costs about as
much as a few training steps, so one a minute or two slows training by a few percent at most.
"""

from __future__ import annotations

import time
from typing import Callable

PREVIEW_INTERVAL_S = 90.0


class PreviewSchedule:
    def __init__(self, interval_s: float = PREVIEW_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._since: float | None = None  # last grid, last request or (re)start of training

    def start(self) -> None:
        """Training (re)started: count from now (time spent paused or opening the data is not training)."""
        self._since = self._clock()

    def grid_shown(self) -> None:
        self._since = self._clock()

    def take_due(self) -> bool:
        """True, once, when a grid should be asked for; the next one is due an interval later
        (asked again then if this request went unanswered)."""
        if self._since is None or self._clock() - self._since < self.interval_s:
            return False
        self._since = self._clock()
        return True
