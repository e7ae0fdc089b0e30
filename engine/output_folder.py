"""Checking an output folder before a long job, so that a folder that cannot take the results
is reported at once, by its name, instead of after the work is done (naming a file in it).

A folder that does not exist yet passes if it can be created: its nearest existing parent must be
a folder we may write to. Nothing is created by the check. Writability is probed with an unnamed
temporary file rather than read from permission bits, which do not tell about read-only mounts,
ACLs or a root user; free space is compared with the caller's rough estimate of what it will write.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from engine.errors import OutputFolderError
from engine.units import format_bytes


def check_output_folder(folder: Path, needed_bytes: int = 0) -> None:
    """Raise OutputFolderError (naming `folder`) unless it exists or can be created, can be
    written to and has `needed_bytes` free."""
    folder = Path(folder).expanduser()
    existing = next((path for path in (folder, *folder.parents) if path.exists()), None)
    if existing is None:  # a relative path while the working folder has been deleted
        raise OutputFolderError(f"cannot write to the output folder {folder}: no part of its path exists")
    if not existing.is_dir():
        raise OutputFolderError(f"cannot write to the output folder {folder}: {existing} is a file, not a folder")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as error:
        raise OutputFolderError(f"cannot write to the output folder {folder}: {error.strerror or error}") from None
    free = shutil.disk_usage(existing).free
    if free < needed_bytes:
        raise OutputFolderError(f"not enough free space in the output folder {folder}: {format_bytes(free)} free, "
                                f"about {format_bytes(needed_bytes)} needed")
