"""Loads the photo selected in the Denoise page's queue, so it shows as soon as it is queued, not
only once Denoise is pressed.

Decoding runs in a worker (a large photo takes a noticeable moment); only the latest request is
answered, so clicking quickly through the queue never shows an earlier photo last. The last photo
read is kept, so selecting it again is instant; only one is kept, as a queue can hold hundreds.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.denoise.denoise_work import PhotoForDisplay, photo_preview_work
from app.workers.job import Job


class PhotoPreview(QObject):
    ready = Signal(object)  # PhotoForDisplay of the latest request (its pixels None if unreadable)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._wanted: Path | None = None
        self._reading: set[Path] = set()
        self._kept: PhotoForDisplay | None = None

    def request(self, path: Path) -> None:
        """Emit `ready` for `path`: at once if it is the photo kept, else once it is read."""
        self._wanted = path
        if self._kept is not None and self._kept.path == path:
            self.ready.emit(self._kept)
            return
        if path in self._reading:
            return
        self._reading.add(path)
        job = Job(photo_preview_work(path))
        job.succeeded.connect(self._on_read)  # a bound slot: dropped if the page goes first
        job.failed.connect(self._on_bug)
        job.start()

    def _on_read(self, photo: PhotoForDisplay) -> None:
        self._reading.discard(photo.path)
        if photo.pixels is not None:
            self._kept = photo
        if photo.path == self._wanted:
            self.ready.emit(photo)

    def _on_bug(self, message: str) -> None:
        """An unexpected error (already printed for a bug report): the next request tries again."""
        self._reading.clear()
