"""Fixtures for the adversarial suite: the hostile image corpus (built once), a tiny RGB model
and one torch thread (tiny tensors gain nothing from threads on a busy machine)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

from corpus import CASES, build_corpus  # noqa: E402
from helpers import save_tiny_model  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """The hostile corpus; tests must not change it (`fingerprint` checks that they did not)."""
    folder = tmp_path_factory.mktemp("corpus") / "photos"
    build_corpus(folder, CASES)
    return folder


@pytest.fixture(scope="session")
def tiny_rgb_model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("models") / "tiny-rgb", channels=3, image_size=8)
