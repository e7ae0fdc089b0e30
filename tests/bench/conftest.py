"""Fixtures for the benchmark tests: tiny photo folders with a held-out split, and scikit-image
and bm3d hidden, so the tests pass without the optional `bench` extra."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from denoise.conftest import one_torch_thread  # noqa: F401  (autouse: tiny tensors on one thread)

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
# The scripts import their siblings as `python benchmarks/NAME.py` lets them (plot_dial reads the
# card's column names from card_from_results), so the tests put the folder on the path too.
sys.path.insert(0, str(BENCHMARKS))
HELD_OUT = ["b.png", "a.png"]
TRAINING = ["c.png", "sub/d.png"]


def load_benchmark_script(name: str):
    """benchmarks/NAME.py as a module (benchmarks/ holds scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_photo_folder(root: Path, height: int, width: int) -> tuple[Path, Path]:
    """A folder of RGB ramp photos (two held out, two for training) under `root`, and its split file."""
    folder = root / "photos"
    (folder / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index, name in enumerate(HELD_OUT + TRAINING):
        ramp = np.linspace(0, 255, width)[None, :, None] * np.ones((height, 1, 3)) * (index + 1) / 5
        Image.fromarray(np.clip(ramp + rng.normal(0, 3, ramp.shape), 0, 255).astype(np.uint8)).save(folder / name)
    split = root / "split.json"
    split.write_text(json.dumps({"held_out": HELD_OUT}))
    return folder, split


@pytest.fixture
def photo_folder(tmp_path):
    """Small photos, 30 x 40 pixels: too small for the engine's noise estimate, which reads 0."""
    return write_photo_folder(tmp_path, 30, 40)


@pytest.fixture
def estimable_photo_folder(tmp_path):
    """Photos of 96 x 128 pixels: enough quiet blocks per brightness band for the noise estimate."""
    return write_photo_folder(tmp_path, 96, 128)


@pytest.fixture
def without_bench_extra(monkeypatch):
    """Make `import skimage...` and `import bm3d` fail as they do without the bench extra."""
    for name in list(sys.modules):
        if name.split(".")[0] in ("skimage", "bm3d", "bm4d"):
            monkeypatch.delitem(sys.modules, name)
    for name in ("skimage", "skimage.metrics", "skimage.restoration", "bm3d"):
        monkeypatch.setitem(sys.modules, name, None)
