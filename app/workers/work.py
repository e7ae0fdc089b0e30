"""What a piece of background work is, without Qt, so work functions and the view models that read
their results can be imported (and tested) without a window.

`work(report, cancel) -> result` runs on a pool thread (`app.workers.job.Job` runs it): `report`
sends progress to the page and may be called at any time; `cancel` is the `threading.Event` the
engine checks before every network call. A failure reaches the user as one line, `readable_error`.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from engine.device import is_out_of_memory
from engine.errors import EngineError

Report = Callable[[Any], None]
Work = Callable[[Report, threading.Event], Any]


def readable_error(error: BaseException) -> str:
    """One line a user can act on: engine errors carry their own message; file-system errors
    name the file; anything else is a bug, reported with its type."""
    if isinstance(error, EngineError):
        return str(error)
    if is_out_of_memory(error):
        return "Out of memory: try fewer images, a smaller batch or tile size, or another device"
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return f"Unexpected error ({type(error).__name__}): {error}"
