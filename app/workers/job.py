"""Run one piece of heavy work on a pool thread and report back through Qt signals only.

Widgets never share state with the worker thread: they connect to a `Job`'s signals (Qt queues
them onto the GUI thread) and cancel through `cancel()`, which sets the `threading.Event` the
engine checks before every network call. Errors become one readable line, never a traceback in
the UI; unexpected exceptions (bugs) are also printed to stderr for a bug report.
"""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, QThreadPool, Signal

from app.workers.work import Work, readable_error
from engine.device import is_out_of_memory
from engine.errors import Cancelled, EngineError

_pool: QThreadPool | None = None
# Running jobs, so a job outlives the widget that started it until its worker has returned: a
# widget closed mid-run must not delete the object its worker thread still emits from.
_running: set[Job] = set()


def job_pool() -> QThreadPool:
    """The app's own pool: enough threads that a long training run never blocks a generation."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(6)
    return _pool


def wait_for_jobs(timeout_ms: int) -> bool:
    """Block until every job has returned (used on shutdown); False if some are still running."""
    return job_pool().waitForDone(timeout_ms)


class Job(QObject):
    """Exactly one of succeeded / failed / cancelled is emitted, then finished. Jobs have no Qt
    parent: the module keeps them alive while they run (see `_running`)."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, work: Work) -> None:
        super().__init__()
        self._work = work
        self._cancel = threading.Event()
        self.running = False
        self.finished.connect(self._mark_stopped)

    def start(self) -> None:
        self.running = True
        _running.add(self)
        job_pool().start(self._run)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def _run(self) -> None:
        try:
            result = self._work(self.progress.emit, self._cancel)
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # noqa: BLE001 - every failure must reach the UI as a message
            if not isinstance(error, (EngineError, OSError)) and not is_out_of_memory(error):
                traceback.print_exc()
            self.failed.emit(readable_error(error))
        else:
            self.succeeded.emit(result)
        finally:
            self.finished.emit()

    def _mark_stopped(self) -> None:
        self.running = False
        _running.discard(self)
