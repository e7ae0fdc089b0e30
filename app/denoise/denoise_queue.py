"""The Denoise page's queue of photos and each one's state (pure Python, no Qt).

A photo moves queued -> working -> done | error; a cancelled one goes back to queued. A bad file
only marks its own row as an error: the queue goes on with the next photo.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.denoise import find_photos, is_denoised_copy

QUEUED, WORKING, DONE, ERROR = "queued", "working", "done", "error"
# Why the queue stopped working (`DenoiseRunner.stopped`); after a cancel pressed as the photo
# finished, that photo is done and the rest waits.
ALL_DONE, CANCELLED, MODEL_FAILED, STOPPED_AFTER_PHOTO = "all done", "cancelled", "model failed", "stopped after photo"


@dataclass(eq=False)  # rows are compared by identity: one photo can be queued again beside its earlier row
class QueueItem:
    path: Path
    status: str = QUEUED
    fraction: float = 0.0
    message: str = ""
    sigma: float | None = None  # noise level used (0-255 units), once known
    outcome: Any = None  # DenoiseOutcome once done
    saved_to: Path | None = None

    def status_text(self) -> str:
        """A few words for the queue's narrow Status column; `status_details` says the rest."""
        if self.status == WORKING:
            return f"Working {self.fraction:.0%}"
        if self.status == DONE:
            return "Saved" if self.saved_to else "Done"
        if self.status == ERROR:
            return f"Error: {self.message}"
        return "Queued"

    def status_details(self) -> str:
        return f"Saved as {self.saved_to}" if self.status == DONE and self.saved_to else self.status_text()


class DenoiseQueue:
    def __init__(self) -> None:
        self.items: list[QueueItem] = []

    def add(self, paths: Iterable[Path]) -> list[QueueItem]:
        """Queue photos not already waiting or being worked on; returns the new items."""
        pending = {item.path for item in self.items if item.status in (QUEUED, WORKING)}
        added = []
        for path in paths:
            if path not in pending:
                pending.add(path)
                added.append(QueueItem(path))
        self.items.extend(added)
        return added

    def next_queued(self) -> QueueItem | None:
        return next((item for item in self.items if item.status == QUEUED), None)

    def done(self) -> list[QueueItem]:
        return [item for item in self.items if item.status == DONE]

    def requeue(self, item: QueueItem) -> None:
        """Forget a done or failed photo's result so it is denoised again (new settings)."""
        item.status, item.fraction, item.message, item.outcome, item.saved_to = QUEUED, 0.0, "", None, None

    def remove(self, item: QueueItem) -> None:
        """Take one photo off the queue (`removable`): the runner takes the next queued photo
        from `items`, so it never sees it again."""
        if not removable(item):
            raise ValueError("the photo being denoised is stopped by cancelling, not removed")
        self.items.remove(item)

    def remove_finished(self) -> None:
        self.items = [item for item in self.items if item.status in (QUEUED, WORKING)]

    def index(self, item: QueueItem) -> int:
        return self.items.index(item)


def removable(item: QueueItem | None) -> bool:
    """Any photo can be taken off the queue but the one being denoised: Cancel stops that one."""
    return item is not None and item.status != WORKING


def expand_dropped(paths: Iterable[Path]) -> tuple[list[Path], int]:
    """Folders become the image files inside them (recursively), less the denoised copies saved
    beside their originals earlier (counted, for the page to say so); files stay, even non-images
    or denoised copies, so the user sees why a file was not denoised instead of it silently vanishing."""
    found: list[Path] = []
    skipped = 0
    for path in paths:
        if path.is_dir():
            images = find_photos(path)
            originals = [image for image in images if not is_denoised_copy(image)]
            found.extend(originals)
            skipped += len(images) - len(originals)
        else:
            found.append(path)
    return found, skipped
