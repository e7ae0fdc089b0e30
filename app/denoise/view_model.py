"""What the Denoise page decides and says, without Qt: the queue and what adding photos to it
says, what each button can do, what the comparison view and the result line show for the
selected photo, the progress lines, why the queue stopped, and saving (one save at a time, what
was written, what failed). `DenoisePage` shows the answers and forwards what the user did; tests
drive this class without a window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.denoise.denoise_messages import EMPTY_TEXT, result_text, save_failure_text, saved_paths_text, saved_summary
from app.denoise.denoise_queue import (
    CANCELLED,
    DONE,
    ERROR,
    MODEL_FAILED,
    QUEUED,
    STOPPED_AFTER_PHOTO,
    WORKING,
    DenoiseQueue,
    QueueItem,
    expand_dropped,
    removable,
)
from app.denoise.denoise_work import PhotoForDisplay, SaveReport
from engine.denoise import DEFAULT_DENOISER, DENOISED_SUFFIX, DenoiseProgress

NO_MODEL_TEXT = ("<b>No model can denoise photos.</b> Denoising needs a greyscale or colour model; "
                 "train one on the <a href='train'>Train page</a> or install the photo-denoiser model.")
NOT_A_DENOISER = ("The photo-denoiser model is not installed; a generation model only denoises well "
                  "images like its training data.")
NOTHING_QUEUED = "Nothing queued: drop photos or folders on this page, or use Open…."
CANCELLING = "Cancelling…"
ALL_SAVED = "Every result is already saved."
# Why the queue stopped -> (banner kind, banner text or None for none, the progress bar's last word).
STOPPED_TEXTS = {
    CANCELLED: ("info", "Denoising cancelled; the photo is back in the queue.", "Cancelled"),
    STOPPED_AFTER_PHOTO: ("info", "Denoising stopped: the photo had just finished (it is done); the rest of the "
                                  "queue waits.", "Stopped"),
    MODEL_FAILED: ("error", "Cannot use this model: {error}", "Stopped: the model could not be loaded"),
}
ALL_PROCESSED = "All photos processed"


@dataclass(frozen=True)
class Buttons:
    denoise: bool
    save: bool
    save_all: bool
    requeue: bool
    remove: bool
    clear_finished: bool


@dataclass(frozen=True)
class SelectionView:
    """What the comparison view and the result line show for the selected photo."""

    before: np.ndarray | None  # (H, W, C) uint8, or None: the placeholder shows instead
    after: np.ndarray | None
    placeholder: str | None = None  # None: leave it as it is (an image is shown)
    info: str | None = None  # the result line; None: leave it as it is
    read_preview: bool = False  # read the photo from its file to show it before it is denoised


@dataclass(frozen=True)
class QueueStopped:
    banner_kind: str | None  # None: no banner
    banner_text: str
    completed: bool  # did the queue do all it was asked
    progress_text: str


@dataclass(frozen=True)
class SaveOutcome:
    marked: list[QueueItem]  # items now saved
    status: str | None  # the line under the Save buttons; None: unchanged
    details: str  # its tooltip: every path written
    error: str | None  # the banner's line when some photos could not be saved


def shows_denoiser_hint(model: str | None, installed: Iterable[str]) -> bool:
    """Say that a generation model denoises poorly, while the photo denoiser is not installed."""
    return model is not None and model != DEFAULT_DENOISER and DEFAULT_DENOISER not in installed


def is_saveable(item: QueueItem | None) -> bool:
    return item is not None and item.status == DONE


def loading_text(item: QueueItem) -> str | None:
    """The progress bar's line while a photo that has just started is read (None once it runs)."""
    return f"Loading {item.path.name}…" if item.status == WORKING and item.fraction == 0.0 else None


def follows_new_photo(selected: QueueItem | None) -> bool:
    """Whether the queue's selection moves to a photo that has just started: unless the user is
    looking at a finished result."""
    return selected is None or selected.status != DONE


def progress_text(item: QueueItem, update: DenoiseProgress) -> str:
    return (f"{item.path.name}: tile {update.tile}/{update.tiles} · step {update.step}/{update.steps} · "
            f"{update.fraction:.0%}")


def tiles_caption(update: DenoiseProgress) -> str:
    """Which tiles the live view shows being denoised."""
    first = update.tile - update.batch_tiles + 1
    tiles = f"Tile {first}" if first == update.tile else f"Tiles {first}-{update.tile}"
    return f"{tiles} of {update.tiles} ({update.tile_size} px), step {update.step}/{update.steps}"


def queue_stopped(reason: str, error: str) -> QueueStopped:
    kind, text, progress = STOPPED_TEXTS.get(reason, (None, "", ALL_PROCESSED))
    return QueueStopped(kind, text.format(error=error), reason not in STOPPED_TEXTS, progress)


def selection_view(item: QueueItem | None, current_before: np.ndarray | None) -> SelectionView:
    """`current_before`: the photo being denoised as it was loaded, once it is."""
    if item is None:
        return SelectionView(None, None, EMPTY_TEXT, "")
    name = item.path.name
    if item.status == DONE:
        return SelectionView(item.outcome.before, item.outcome.after, info=result_text(item))
    if item.status == WORKING and current_before is not None:
        return SelectionView(current_before, None, info=f"Denoising {name}…")
    if item.status in (QUEUED, WORKING):  # shown before it is denoised, from its file
        info = f"Denoising {name}…" if item.status == WORKING else f"{name} is queued: press Denoise (Ctrl+Enter)."
        return SelectionView(None, None, f"Opening {name}…", info, read_preview=True)
    return SelectionView(None, None, f"{name}: {item.status_text()}", item.status_text())


def preview_view(item: QueueItem | None, photo: PhotoForDisplay, current_before: np.ndarray | None) -> SelectionView | None:
    """What a photo read for display changes, if it is still the selected one and not denoised
    yet (None: nothing; the user has moved on, or the denoiser's own copy is showing)."""
    if item is None or item.path != photo.path or item.status not in (QUEUED, WORKING):
        return None
    if photo.pixels is None:
        return SelectionView(None, None, f"{item.path.name} cannot be shown: {photo.error}")
    if item.status == QUEUED or current_before is None:
        return SelectionView(photo.pixels, None)
    return None


class DenoiseViewModel:
    def __init__(self) -> None:
        self.queue = DenoiseQueue()
        self.saving = False

    def add_photos(self, paths: list[Path]) -> tuple[list[QueueItem], str | None]:
        """Queue the photos in `paths` (folders searched); returns the new items and what the
        banner says (None: nothing to say)."""
        found, skipped = expand_dropped(paths)
        added = self.queue.add(found)
        skipped_note = (f" Left out {skipped} earlier denoised cop{'y' if skipped == 1 else 'ies'} "
                        f"(names ending “{DENOISED_SUFFIX}”): to denoise "
                        f"{'it again, open it as a file' if skipped == 1 else 'them again, open them as files'}."
                        if skipped else "")
        if not added:
            return added, "No new image files found there." + skipped_note
        return added, f"Added {len(added)} photo(s).{skipped_note}" if skipped_note else None

    def requeue(self, item: QueueItem | None) -> bool:
        """Put a done or failed photo back in the queue (to denoise it with other settings)."""
        if item is None or item.status not in (DONE, ERROR):
            return False
        self.queue.requeue(item)
        return True

    def remove(self, item: QueueItem | None) -> bool:
        """Take a photo off the queue: one added by mistake, or a result not wanted (the original
        file is never touched), unless it is not `removable`."""
        if not removable(item):
            return False
        self.queue.remove(item)
        return True

    def clear_finished(self) -> None:
        """Take every done or failed photo off the queue (the originals are never touched); the
        queued ones and the one being denoised stay."""
        self.queue.remove_finished()

    def buttons(self, busy: bool, has_model: bool, selected: QueueItem | None) -> Buttons:
        return Buttons(
            denoise=not busy and has_model,
            save=not self.saving and is_saveable(selected),
            save_all=not self.saving and bool(self.queue.done()),
            requeue=selected is not None and selected.status in (DONE, ERROR),
            remove=removable(selected),
            clear_finished=any(item.status in (DONE, ERROR) for item in self.queue.items),
        )

    # --- saving -------------------------------------------------------------------------------

    def unsaved(self) -> list[QueueItem]:
        """Denoised photos not written anywhere yet: closing the window would lose that work."""
        return [item for item in self.queue.done() if item.saved_to is None]

    def begin_save(self) -> bool:
        """One save at a time: a second one started meanwhile would write its own copies of the
        photos the first has not marked saved yet."""
        if self.saving:
            return False
        self.saving = True
        return True

    def saved(self, report: SaveReport) -> SaveOutcome:
        """Mark what was written. A routine save is told under the Save buttons; only a failure
        takes the banner."""
        for item, path in report.saved:
            item.saved_to = path
        paths = [path for _, path in report.saved]
        status = f"Saved {saved_summary(paths)}" if report.saved else None
        error = save_failure_text(paths, report.failed) if report.failed else None
        marked = [item for item, _ in report.saved if item in self.queue.items]
        return SaveOutcome(marked, status, saved_paths_text(paths), error)

    def save_finished(self) -> None:
        self.saving = False
