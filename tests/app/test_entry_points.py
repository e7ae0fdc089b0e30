"""`cunet-studio --screenshots DIR` and `--self-test`, run in-process through `main()`."""

from __future__ import annotations

from PIL import Image

from app import screenshots
from app.main import main


def test_screenshots_writes_one_png_per_page(tmp_path, monkeypatch, qapp, bundled_dir):
    """With tiny models in place of the bundled ones, so the test's speed does not depend on them."""
    monkeypatch.setattr("engine.checkpoints.store.bundled_models_dir", lambda: bundled_dir)
    monkeypatch.setattr(screenshots, "TRAINING_STEPS", 4)
    monkeypatch.setattr(screenshots, "TRAINING_IMAGE_SIZE", 8)
    monkeypatch.setattr(screenshots, "TRAINING_WIDTH", 4)
    assert main(["--screenshots", str(tmp_path / "shots")]) == 0
    for name in ("generate.png", "denoise.png", "train.png"):
        path = tmp_path / "shots" / name
        assert path.stat().st_size > 10_000
        assert Image.open(path).size == screenshots.WINDOW_SIZE


def test_self_test_exits_zero(qapp, capsys, monkeypatch, bundled_dir):
    monkeypatch.setattr("engine.checkpoints.store.bundled_models_dir", lambda: bundled_dir)
    assert main(["--self-test"]) == 0
    assert "self-test passed" in capsys.readouterr().out
