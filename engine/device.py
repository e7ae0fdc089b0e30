"""Device choice and thread settings, with errors that say what is available."""

from __future__ import annotations

import torch

from engine.errors import ConfigError
from engine.threads import automatic_threads

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(choice: str = "auto") -> torch.device:
    """'auto' picks CUDA, then MPS, then CPU; an unavailable explicit choice is an error."""
    if choice not in DEVICE_CHOICES and not choice.startswith("cuda:"):
        raise ConfigError(f"unknown device {choice!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    available = available_devices()
    if choice == "auto":
        return torch.device(available[1] if len(available) > 1 else "cpu")
    if choice.split(":")[0] not in available:
        raise ConfigError(f"device {choice!r} is not available on this machine (available: {', '.join(available)})")
    return torch.device(choice)


def has_fast_bf16(device: torch.device) -> bool:
    """Whether `device` computes bfloat16 natively, so that bf16 autocast makes a network faster
    (a CPU with avx512_bf16 or AMX units: about 1.5x for a photo denoiser's forward) rather than
    slower (elsewhere oneDNN emulates it)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):  # a build without oneDNN
            return False
    return False


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op thread count (None: `automatic_threads`, the cores other programs
    leave free now); returns the count in use."""
    if threads is not None and threads < 1:
        raise ConfigError("thread count must be >= 1")
    torch.set_num_threads(threads if threads is not None else automatic_threads())
    return torch.get_num_threads()


def is_out_of_memory(error: BaseException) -> bool:
    """Whether `error` means an allocation failed. CUDA and MPS raise torch.OutOfMemoryError (or
    a RuntimeError saying 'out of memory'); PyTorch's CPU allocator raises a plain RuntimeError
    ("DefaultCPUAllocator: can't allocate memory"); Python itself raises MemoryError."""
    if isinstance(error, (MemoryError, torch.OutOfMemoryError)):
        return True
    message = str(error)
    return isinstance(error, RuntimeError) and ("can't allocate memory" in message or "out of memory" in message)
