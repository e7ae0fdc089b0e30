"""Which build of torch scripts/ensure-venv.sh installs: prints the `pip install` arguments for
torch, one per line, or nothing when torch should simply come with the project from the indexes
pip is configured with. Says why on stderr. Standard library only: it runs in a bare new venv.

Why: on Linux, PyPI's torch is the CUDA build, several GB with NVIDIA's libraries, wasted on a
machine without an NVIDIA GPU. PyTorch's CPU index has the same version built for the CPU (a few
hundred MB). So on Linux without a working `nvidia-smi`, torch is installed first from that
index, and the project's install then finds its pin satisfied. Left to pip as configured:

* an explicit pip configuration of where packages come from (index-url, extra-index-url,
  find-links or no-index, in pip's config files or as PIP_* variables): a mirror, a wheel folder,
  an offline machine; whoever set it decides where torch comes from;
* macOS and Windows, whose PyPI torch has no CUDA libraries;
* a venv that has the pinned torch already (pip would keep it anyway).

CUNET_TORCH overrides the guess: `cpu` always takes the CPU index, `cuda` never does (PyPI's
build, which is the CUDA one on Linux), `auto` (the default) decides as above. It applies when
the venv is set up: to switch an existing one, delete .venv first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CHOICES = ("auto", "cpu", "cuda")
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
# pip settings that say where packages come from (as `pip config list` names them).
SOURCE_SETTINGS = ("index-url", "extra-index-url", "find-links", "no-index")


@dataclass(frozen=True)
class Machine:
    """What the decision depends on, gathered by `probe_machine` (or made up by tests)."""

    platform: str  # sys.platform
    nvidia_gpu: bool  # `nvidia-smi` ran and listed a GPU
    pip_sources: tuple[str, ...]  # SOURCE_SETTINGS that pip's configuration sets
    installed_torch: str | None  # torch's version in this environment, if any


def torch_install_args(choice: str, pin: str, machine: Machine) -> tuple[list[str], str]:
    """(pip install arguments for torch, or [] to let the project's install bring it; the reason
    in words) for CUNET_TORCH `choice` and the requirement `pin` ("torch==2.13.0")."""
    if choice not in CHOICES:
        raise ValueError(f"CUNET_TORCH must be one of {', '.join(CHOICES)}, got {choice!r}")
    cpu = [pin, "--index-url", CPU_INDEX]
    wanted = pin.split("==", 1)[1]
    if machine.installed_torch is not None and machine.installed_torch.split("+", 1)[0] == wanted:
        return [], f"torch {machine.installed_torch} is installed already"
    if choice == "cpu":
        return cpu, "the CPU build, as CUNET_TORCH=cpu asks"
    if choice == "cuda":
        return [], "PyPI's build, as CUNET_TORCH=cuda asks (the CUDA build on Linux)"
    if machine.pip_sources:
        settings = ", ".join(machine.pip_sources)
        return [], f"from where pip is configured to look ({settings} set); CUNET_TORCH=cpu overrides"
    if not machine.platform.startswith("linux"):
        return [], f"PyPI's build, which on {machine.platform} has no CUDA libraries"
    if machine.nvidia_gpu:
        return [], "PyPI's CUDA build: an NVIDIA GPU is present (CUNET_TORCH=cpu for the CPU build)"
    return cpu, "the CPU build: no NVIDIA GPU found (CUNET_TORCH=cuda for the CUDA build)"


def pinned_torch(pyproject: Path = PYPROJECT) -> str:
    """The project's exact torch requirement, "torch==X.Y.Z", from pyproject.toml's dependencies."""
    dependencies = tomllib.loads(pyproject.read_text("utf-8"))["project"]["dependencies"]
    for requirement in dependencies:
        if re.fullmatch(r"torch\s*==\s*[\w.]+", requirement):
            return requirement.replace(" ", "")
    raise ValueError(f"{pyproject} pins no torch version (torch==X.Y.Z)")


def pip_sources(config_listing: str, environment: dict[str, str]) -> tuple[str, ...]:
    """The SOURCE_SETTINGS set in `pip config list` output (lines "scope.name='value'") or as
    PIP_* environment variables."""
    found = set()
    for line in config_listing.splitlines():
        name = line.split("=", 1)[0].rsplit(".", 1)[-1]
        if name in SOURCE_SETTINGS:
            found.add(name)
    for name in SOURCE_SETTINGS:
        if environment.get("PIP_" + name.upper().replace("-", "_")):
            found.add(name)
    return tuple(name for name in SOURCE_SETTINGS if name in found)


def probe_machine() -> Machine:
    listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    try:
        installed = metadata.version("torch")
    except metadata.PackageNotFoundError:
        installed = None
    return Machine(sys.platform, _nvidia_gpu_works(), pip_sources(listing, dict(os.environ)), installed)


def _nvidia_gpu_works() -> bool:
    """`nvidia-smi -L` lists a GPU: the driver is installed and sees one."""
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return listing.returncode == 0 and "GPU" in listing.stdout


def main() -> int:
    try:
        args, reason = torch_install_args(os.environ.get("CUNET_TORCH", "auto").strip().lower(), pinned_torch(),
                                          probe_machine())
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"torch: {reason}", file=sys.stderr)
    print("\n".join(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
