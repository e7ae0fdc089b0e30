"""Save and load models: a model folder (model.json + model.safetensors), a training run folder,
or a training checkpoint file. Every path is validated before any weight reaches a network."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from engine.atomic import atomic_write_text
from engine.checkpoints.spec import ModelSpec
from engine.checkpoints.weights import (
    SAFETENSORS_SUFFIX,
    file_sha256,
    looks_like_pickle,
    read_metadata,
    read_tensors_and_sha256,
    refuse_pickle,
    write_tensors,
)
from engine.diffusion import ClassGuidance, Denoiser, NoiseSchedule, SolverSchedule
from engine.errors import ConfigError, ModelLoadError

MODEL_JSON = "model.json"
MODEL_WEIGHTS = "model.safetensors"
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_PATTERN = re.compile(r"^step-(\d+)\.safetensors$")
SPEC_KEY = "spec"
WEIGHTS_ID_LENGTH = 16  # hex digits of SHA-256: collisions between versions of one model are not a concern


@dataclass
class LoadedModel:
    """A network ready for inference (eval mode, on `device`) with its schedule and metadata."""

    spec: ModelSpec
    network: nn.Module
    schedule: NoiseSchedule
    device: torch.device
    source: Path
    weights_id: str = ""  # see `weights_id()`; empty for a network that was never saved

    def denoiser(self, clip_x0: bool = True, noise_shape: torch.Tensor | None = None,
                 guidance: ClassGuidance | None = None, solver: SolverSchedule | None = None) -> Denoiser:
        """`noise_shape`: see `Denoiser`; only a network that takes a noise map uses it.
        `guidance`: the class to sample, for a class-conditional model (see `engine.guidance`).
        `solver`: the ODE solver at each step (None: as trained); only a network with ODE blocks
        (`ModelSpec.trained_solver`) is given one, so a U-Net ignores it."""
        takes_solver = self.spec.trained_solver is not None
        return Denoiser(self.network, self.schedule, self.spec.prediction, clip_x0=clip_x0,
                        takes_noise_map=self.spec.takes_noise_map, noise_shape=noise_shape, guidance=guidance,
                        solver=solver if takes_solver else None)

    @property
    def name(self) -> str:
        return str(self.spec.card.get("display_name") or self.source.name)


def save_model_folder(folder: Path, spec: ModelSpec, state: dict[str, torch.Tensor], half: bool = False) -> None:
    """Write weights then metadata (each atomically). `half` stores floats as fp16 (half the size;
    loaded back as fp32)."""
    tensors = {k: (v.half() if half and v.is_floating_point() else v) for k, v in state.items()}
    write_tensors(folder / MODEL_WEIGHTS, tensors, {SPEC_KEY: spec.to_json()})
    atomic_write_text(folder / MODEL_JSON, spec.to_json() + "\n")


def create_model_folder(folder: Path, spec: ModelSpec, state: dict[str, torch.Tensor], half: bool = False) -> None:
    """Write a new model folder whole or not at all: into a hidden staging folder beside it, then
    renamed into place, so a failed write (full disk) leaves no half folder to block a retry.
    Refuses a folder that exists."""
    if folder.exists():
        raise ConfigError(f"{folder} already exists; choose a new folder")
    staging = folder.parent / f".{folder.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)  # left by a crash
    try:
        save_model_folder(staging, spec, state, half=half)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def checkpoint_path(run_dir: Path, step: int) -> Path:
    return run_dir / CHECKPOINT_DIR / f"step-{step:08d}{SAFETENSORS_SUFFIX}"


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, path) of complete checkpoints in a run folder, oldest first (temp files ignored)."""
    folder = run_dir / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = CHECKPOINT_PATTERN.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def read_spec(path: str | Path) -> ModelSpec:
    """The metadata of a model folder, run folder (its latest checkpoint) or checkpoint file, read
    without its weights: enough to rebuild the architecture (e.g. for fine-tuning) cheaply."""
    return _locate(Path(path).expanduser())[1]


def load_model(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a model folder, a run folder (its latest checkpoint, EMA weights) or a checkpoint file."""
    weights_file, spec = _locate(Path(path).expanduser())
    tensors, sha256 = read_tensors_and_sha256(weights_file)
    is_model_folder = weights_file.name == MODEL_WEIGHTS
    if not is_model_folder:  # a training checkpoint: its EMA weights when it has them
        prefix = "ema." if any(k.startswith("ema.") for k in tensors) else "model."
        tensors = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    source = weights_file.parent if is_model_folder else weights_file
    network = _build_network(spec, tensors, source)
    device = torch.device(device)
    network.to(device).eval()
    return LoadedModel(spec, network, spec.build_schedule(), device, source, sha256[:WEIGHTS_ID_LENGTH])


def weights_id(path: str | Path) -> str:
    """A short fingerprint of the weights `load_model(path)` would load (SHA-256 of the file, 16
    hex digits): saved with a generated image, it tells whether the model installed under the
    same name later is still the one that made it (a retrained model makes other pictures)."""
    weights_file, _ = _locate(Path(path).expanduser())
    return file_sha256(weights_file)[:WEIGHTS_ID_LENGTH]


def _locate(path: Path) -> tuple[Path, ModelSpec]:
    """(weights file, spec) of whatever `path` names, or a one-line reason it is not a model."""
    if path.is_dir() and (path / MODEL_JSON).exists():
        return path / MODEL_WEIGHTS, ModelSpec.from_json(_read_text(path / MODEL_JSON), str(path / MODEL_JSON))
    if path.is_dir() and list_checkpoints(path):
        return _locate(list_checkpoints(path)[-1][1])
    if path.is_file() and path.suffix == SAFETENSORS_SUFFIX:
        return path, _spec_from_weights(path)
    if path.is_file() and looks_like_pickle(path):
        raise refuse_pickle(path)
    if path.is_file():
        raise ModelLoadError(f"{path}: not a model; expected a model folder or a .safetensors checkpoint")
    raise ModelLoadError(f"{path}: no model here (no {MODEL_JSON} and no training checkpoints)")


def _spec_from_weights(path: Path) -> ModelSpec:
    metadata = read_metadata(path)
    if SPEC_KEY not in metadata:
        raise ModelLoadError(f"{path}: safetensors file has no cUNet Studio metadata")
    return ModelSpec.from_json(metadata[SPEC_KEY], str(path))


def _build_network(spec: ModelSpec, tensors: dict[str, torch.Tensor], source: Path) -> nn.Module:
    """The network the metadata describes, holding `tensors`. The weights are compared with a
    shapes-only copy built on the meta device first, so metadata that lies about the architecture
    (a network a billion channels wide) is refused without allocating it."""
    try:
        with torch.device("meta"):
            skeleton = spec.build_network()
    except (ValueError, TypeError, RuntimeError, ZeroDivisionError, IndexError, KeyError) as error:
        raise ModelLoadError(f"{source}: the network in its metadata cannot be built ({error})") from None
    expected = skeleton.state_dict()
    _check_weights(expected, tensors, source)
    network = spec.build_network()
    network.load_state_dict({k: v.to(expected[k].dtype) for k, v in tensors.items()})
    return network


def _check_weights(expected: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor], source: Path) -> None:
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise ModelLoadError(
            f"{source}: weights do not match the architecture in its metadata "
            f"({len(missing)} missing, e.g. {missing[:2]}; {len(unexpected)} unexpected, e.g. {unexpected[:2]})"
        )
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape:
            raise ModelLoadError(
                f"{source}: weight {name} has shape {tuple(tensor.shape)}, the architecture needs "
                f"{tuple(expected[name].shape)}"
            )
        if tensor.is_floating_point() != expected[name].is_floating_point():
            raise ModelLoadError(f"{source}: weight {name} has dtype {tensor.dtype}, expected {expected[name].dtype}")
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ModelLoadError(f"{source}: weight {name} contains NaN or infinite values")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ModelLoadError(f"{path}: cannot read ({error})") from None
