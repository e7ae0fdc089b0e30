"""Crash-safe file writes: write a temp file next to the target, fsync, then rename over it.

A reader (or a process killed mid-write) therefore sees either the old file or the complete new
one, never a half-written file; a failed write (disk full) removes its temp file and leaves the
target untouched.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Iterator

from engine.paths import NAME_MAX_BYTES, shorten_name

_TEMP_NAME_EXTRA = len(".") + 1 + 12 + len(".tmp")  # "." + name + "." + token + ".tmp"
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success it replaces `target` atomically.

    An OSError about the temp file (a read-only folder, a full disk) is raised naming `target`
    instead: the hidden temp name means nothing to the user."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    name = shorten_name(target.name, NAME_MAX_BYTES - _TEMP_NAME_EXTRA)  # a long target name still fits
    temp = target.parent / f".{name}.{secrets.token_hex(6)}.tmp"
    created = False
    try:
        temp.open("xb").close()  # exclusive create: never clobbers another writer's temp file
        created = True
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        # Writers such as safetensors recreate the file privately (0600): give it the permissions
        # any newly created file gets, so shared and bundled files stay readable.
        os.chmod(temp, 0o666 & ~_UMASK)
        os.replace(temp, target)
        _fsync_dir(target.parent)
    except OSError as error:
        if error.filename is None or Path(os.fsdecode(error.filename)) != temp:
            raise
        raise OSError(error.errno, error.strerror, str(target)) from error
    finally:
        if created:  # unlinking even a missing file fails on a read-only file system, hiding the real error
            temp.unlink(missing_ok=True)


def remove_stale_temp_files(folder: Path) -> int:
    """Delete the temp files that writers killed mid-write (SIGKILL, power loss) left in `folder`;
    returns how many. Only for folders that no other process is writing to."""
    removed = 0
    if folder.is_dir():
        for path in folder.iterdir():
            if _TEMP_NAME.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as temp:
        temp.write_bytes(data)


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def _read_umask() -> int:
    """The process's umask. Reading it means setting it, which is process-wide: done once, at
    import (before any worker thread exists), never while other threads may be creating files
    (they would get files and folders with no permission bits masked)."""
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
