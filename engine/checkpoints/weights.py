"""safetensors read/write with the checks and messages users need. Never unpickles anything."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

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
        save_file(prepared, str(temp), metadata=metadata)


def read_metadata(path: Path) -> dict[str, str]:
    _check_file(path)
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelLoadError(f"{path}: not a readable safetensors file ({error})") from None


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    _check_file(path)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise ModelLoadError(f"{path}: weights file is damaged or truncated ({error})") from None


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ModelLoadError(f"{path}: file not found")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if any(head.startswith(magic) for magic in _PICKLE_MAGIC):
        raise ModelLoadError(
            f"{path}: this is a pickle/PyTorch checkpoint, which can run arbitrary code when loaded; "
            "cUNet Studio only loads .safetensors files"
        )
    if path.stat().st_size < 8:
        raise ModelLoadError(f"{path}: file is empty or truncated")
