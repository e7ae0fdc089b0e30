"""safetensors read/write with the checks and messages users need. Never unpickles anything."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load, load_file, save_file

from engine.atomic import atomic_path
from engine.errors import ModelLoadError

SAFETENSORS_SUFFIX = ".safetensors"
# A pickle (torch.save / .pt / .ckpt) starts with the protocol opcode 0x80; a zip-based torch
# checkpoint with 'PK'. Recognising them gives a better message than a header parse error.
_PICKLE_MAGIC = (b"\x80", b"PK\x03\x04")


def write_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Atomically write a safetensors file (tensors made contiguous and CPU first)."""
    prepared = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    with atomic_path(path) as temp:
        try:
            save_file(prepared, str(temp), metadata=metadata)
        except SafetensorError as error:
            raise _as_os_error(error, path) from None


def _as_os_error(error: SafetensorError, path: Path) -> OSError:
    """safetensors reports a failed write (a full disk) as SafetensorError('... (os error 28)');
    turn it back into the OSError it was, so it reads like every other failed write."""
    found = re.search(r"os error (\d+)", str(error))
    code = int(found.group(1)) if found else errno.EIO
    return OSError(code, os.strerror(code), str(path))


def read_metadata(path: Path) -> dict[str, str]:
    _check_exists(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError) as error:
        raise _unreadable(path, "not a readable safetensors file", error) from None


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    _check_exists(path)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise _unreadable(path, "weights file is damaged or truncated", error) from None


def read_tensors_and_sha256(path: Path) -> tuple[dict[str, torch.Tensor], str]:
    """The tensors and the SHA-256 (hex) of the file, from one read of it: the fingerprint is of the
    very bytes loaded, even if the file is replaced meanwhile (and the file is read once, not twice)."""
    _check_exists(path)
    try:
        data = path.read_bytes()
        return load(data), hashlib.sha256(data).hexdigest()
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise _unreadable(path, "weights file is damaged or truncated", error) from None


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file, read in blocks."""
    _check_exists(path)
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def looks_like_pickle(path: Path) -> bool:
    """Whether the file starts like a pickle or a zip-based torch checkpoint (read, never unpickled)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    return any(head.startswith(magic) for magic in _PICKLE_MAGIC)


def refuse_pickle(path: Path) -> ModelLoadError:
    return ModelLoadError(
        f"{path}: this is a pickle/PyTorch checkpoint, which can run arbitrary code when loaded; "
        "cUNet Studio only loads .safetensors files"
    )


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise ModelLoadError(f"{path}: file not found")


def _unreadable(path: Path, what: str, error: Exception) -> ModelLoadError:
    """Called only after the safetensors parser refused the file (a valid safetensors header can
    start with any byte), so recognising a pickle here never rejects a good file."""
    if looks_like_pickle(path):
        return refuse_pickle(path)
    if path.stat().st_size < 8:
        return ModelLoadError(f"{path}: file is empty or truncated")
    return ModelLoadError(f"{path}: {what} ({error})")
