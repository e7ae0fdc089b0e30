"""Fixtures for GUI tests: offscreen Qt, a temp settings file, a temp model store holding tiny
untrained models, and scripted dialogs so nothing ever blocks."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from app.common.context import AppContext  # noqa: E402
from app.common.model_catalog import ModelCatalog  # noqa: E402
from app.common.settings import AppSettings  # noqa: E402
from app.workers.job import wait_for_jobs  # noqa: E402
from app_helpers import ScriptedDialogs, make_tiny_model  # noqa: E402
from engine.checkpoints import ModelStore  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture
def studio_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "studio-home"
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(home))
    return home


@pytest.fixture
def bundled_dir(tmp_path) -> Path:
    folder = tmp_path / "bundled"
    make_tiny_model(folder / "digits", channels=1, image_size=8)
    make_tiny_model(folder / "tiny-rgb", channels=3, image_size=8)
    return folder


@pytest.fixture
def context(tmp_path, studio_home, bundled_dir, qtbot) -> AppContext:
    """Depends on qtbot so that its widgets are closed only after every job has returned."""
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.set_compute("cpu", 1)
    catalog = ModelCatalog(ModelStore(bundled_dir=bundled_dir, user_dir=studio_home / "models"))
    yield AppContext(settings, ScriptedDialogs(), catalog)
    assert wait_for_jobs(20_000), "a background job was still running after the test"
