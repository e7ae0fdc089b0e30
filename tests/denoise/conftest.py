"""Shared fixtures: a tiny untrained cUNet saved and loaded like a real model, and stand-in
models whose network predicts zero noise, so the whole denoising pipeline must return its input."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from engine.checkpoints import LoadedModel, ModelSpec, load_model, save_model_folder
from engine.denoise import Photo
from engine.diffusion import ScheduleConfig
from engine.models import preset_config


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny tensors gain nothing from threads, and on a busy machine OpenMP barriers between
    descheduled threads can make them 50x slower; restored after each module, so other test
    folders keep their setting."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_spec(channels: int = 3, max_step: int | None = None) -> ModelSpec:
    arch, config = preset_config("cunet-small", channels)
    config = dataclasses.replace(config, base_channels=4)
    schedule = ScheduleConfig(kind="cosine", max_step=max_step)
    return ModelSpec(arch=arch, network=dataclasses.asdict(config), image_size=32, channels=channels, schedule=schedule)


@pytest.fixture(scope="session")
def tiny_model_folder(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    spec = tiny_spec()
    folder = tmp_path_factory.mktemp("models") / "tiny"
    save_model_folder(folder, spec, spec.build_network().state_dict())
    return folder


@pytest.fixture(scope="session")
def tiny_model(tiny_model_folder) -> LoadedModel:
    return load_model(tiny_model_folder)


class ZeroNoise(nn.Module):
    """Predicts eps = 0, so x0_hat = x_t / sqrt(abar): a denoiser that returns its input.
    Records the largest batch and tile it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.largest_batch = 0
        self.largest_side = 0
        self.channels_seen: set[int] = set()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.largest_batch = max(self.largest_batch, x.shape[0])
        self.largest_side = max(self.largest_side, *x.shape[2:])
        self.channels_seen.add(x.shape[1])
        return torch.zeros_like(x)


@pytest.fixture
def zero_noise_model():
    """Factory: zero_noise_model(channels=3, max_step=None) -> LoadedModel with a ZeroNoise network."""

    def make(channels: int = 3, max_step: int | None = None) -> LoadedModel:
        spec = tiny_spec(channels, max_step)
        return LoadedModel(spec, ZeroNoise(), spec.build_schedule(), torch.device("cpu"), Path("zero-noise"))

    return make


@pytest.fixture
def random_photo():
    """Factory: random_photo(height, width, channels=3, seed=0, alpha=False) -> 8-bit Photo."""

    def make(height: int, width: int, channels: int = 3, seed: int = 0, alpha: bool = False) -> Photo:
        rng = np.random.default_rng(seed)
        pixels = rng.integers(0, 256, (height, width, channels)).astype(np.float32) / 255
        mask = rng.integers(0, 256, (height, width)).astype(np.float32) / 255 if alpha else None
        return Photo(pixels, mask, 8, None, "PNG", {})

    return make
