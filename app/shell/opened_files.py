"""Files given on the command line, as a desktop's "Open with" passes them: which page each goes
to (pure Python, no Qt).

A PNG saved by the Generate page carries its settings: it goes back to the Generate page, which
makes the image again. Every other image, and every folder, goes to the Denoise page's queue
(which says why a file it cannot read was not denoised).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import EngineError
from engine.generation_record import read_generation_record


@dataclass
class OpenedFiles:
    settings_images: list[Path] = field(default_factory=list)  # PNGs carrying generation settings
    photos: list[Path] = field(default_factory=list)  # files and folders for the Denoise queue
    missing: list[Path] = field(default_factory=list)


def sort_opened_files(paths: list[Path]) -> OpenedFiles:
    opened = OpenedFiles()
    for path in paths:
        if not path.exists():
            opened.missing.append(path)
        elif path.is_file() and path.suffix.lower() == ".png" and _carries_settings(path):
            opened.settings_images.append(path)
        else:
            opened.photos.append(path)
    return opened


def _carries_settings(path: Path) -> bool:
    try:
        read_generation_record(path)
    except EngineError:
        return False
    return True
