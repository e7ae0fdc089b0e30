"""File-dialog filters the pages share (no Qt: view models build their dialogs' questions)."""

from __future__ import annotations

from engine.denoise import PHOTO_EXTENSIONS

# Every picture the photo reader takes: the Denoise page's photos, the Generate page's start pictures.
PHOTO_FILTER = "Images (" + " ".join(f"*{e}" for e in sorted(PHOTO_EXTENSIONS)) + ");;All files (*)"
