"""`cunet-studio --screenshots DIR` and `--self-test`, run in-process through `main()`."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from app.main import main, parse_args
from app.shell.desktop_entry import MIME_TYPES, desktop_entry_text
from app.tooling import screenshots
from engine.denoise import PHOTO_EXTENSIONS


def test_screenshots_writes_one_png_per_page(tmp_path, monkeypatch, qapp, bundled_dir):
    """With tiny models in place of the bundled ones, so the test's speed does not depend on them."""
    monkeypatch.setattr("engine.checkpoints.store.bundled_models_dir", lambda: bundled_dir)
    monkeypatch.setattr(screenshots, "TRAINING_STEPS", 4)
    monkeypatch.setattr(screenshots, "TRAINING_IMAGE_SIZE", 8)
    monkeypatch.setattr(screenshots, "TRAINING_WIDTH", 4)
    assert main(["--screenshots", str(tmp_path / "shots")]) == 0
    for name in ("generate.png", "inpaint.png", "denoise.png", "train.png"):
        path = tmp_path / "shots" / name
        assert path.stat().st_size > 10_000
        assert Image.open(path).size == screenshots.WINDOW_SIZE


def test_self_test_exits_zero(qapp, capsys, monkeypatch, bundled_dir):
    monkeypatch.setattr("engine.checkpoints.store.bundled_models_dir", lambda: bundled_dir)
    assert main(["--self-test"]) == 0
    assert "self-test passed" in capsys.readouterr().out


def test_files_on_the_command_line_are_accepted():
    """`cunet-studio photo.jpg` failed with "unrecognized arguments"."""
    assert parse_args(["photo.jpg", "holiday/"]).files == [Path("photo.jpg"), Path("holiday")]
    assert parse_args([]).files == []


def test_install_desktop_entry_registers_the_app_for_images(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["--install-desktop-entry"]) == 0
    entry = tmp_path / "share" / "applications" / "cunet-studio.desktop"
    assert str(entry) in capsys.readouterr().out
    lines = dict(line.split("=", 1) for line in entry.read_text().splitlines()[1:])
    assert lines["Type"] == "Application" and lines["Exec"].endswith(" %F")
    assert {"image/png", "image/jpeg", "image/webp", "image/tiff"} <= set(lines["MimeType"].split(";"))
    assert Path(lines["Icon"]).is_file()


def test_every_image_type_the_denoise_page_reads_is_in_the_entry():
    assert set(MIME_TYPES) == PHOTO_EXTENSIONS


def test_exec_arguments_are_quoted_as_the_desktop_entry_specification_asks():
    text = desktop_entry_text(["/opt/My Apps/cunet-studio", "100%"], Path("/icon.png"))
    assert 'Exec="/opt/My Apps/cunet-studio" 100%% %F\n' in text
    quoted = desktop_entry_text(['/opt/a"b'], Path("/icon.png"))
    assert 'Exec="/opt/a\\\\"b" %F\n' in quoted  # escaped inside quotes, then as any string value
