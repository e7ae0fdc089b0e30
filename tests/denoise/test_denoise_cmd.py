"""`engine denoise` end to end: one output per input with the same stem, one line per bad file,
exit code 2 when any file failed, nothing overwritten."""

import numpy as np
import pytest
from PIL import Image

from engine.cli.denoise_cmd import DEFAULT_MODEL
from engine.cli.main import main


@pytest.fixture(autouse=True)
def empty_model_store(tmp_path, monkeypatch):
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path / "home"))


def write_inputs(folder):
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 28, 3), dtype=np.uint8)).save(folder / "a.png")
    Image.fromarray(rng.integers(0, 256, (24, 18), dtype=np.uint8)).save(folder / "b.jpg")
    (folder / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    return [folder / name for name in ("a.png", "b.jpg", "c.png")]


def test_two_good_files_and_a_corrupt_one(tmp_path, tiny_model_folder, capsys):
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    args = ["denoise", *map(str, inputs), "--out", str(out), "--model", str(tiny_model_folder),
            "--sigma", "12", "--tile", "16", "--overlap", "4", "--device", "cpu"]
    assert main(args) == 2
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.jpg"]
    with Image.open(out / "a.png") as a, Image.open(out / "b.jpg") as b:
        assert (a.mode, a.size, b.mode, b.size) == ("RGB", (28, 20), "L", (18, 24))
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "c.png" in errors[0]
    assert "denoised 2 of 3 photos; 1 failed" in captured.out

    assert main(args[:1] + [str(inputs[0])] + args[4:]) == 0  # again: a new name, nothing overwritten
    assert sorted(p.name for p in out.iterdir()) == ["a-1.png", "a.png", "b.jpg"]


def test_folder_input_writes_beside_each_photo_with_a_trajectory(tmp_path, tiny_model_folder, capsys):
    inputs = write_inputs(tmp_path / "in")
    inputs[2].unlink()
    (tmp_path / "in" / "notes.txt").write_text("not a photo")
    args = ["denoise", str(tmp_path / "in"), "--model", str(tiny_model_folder), "--sigma", "30",
            "--strength", "1", "--steps", "3", "--trajectory", "--format", "png", "--device", "cpu"]
    assert main(args) == 0
    names = sorted(p.name for p in (tmp_path / "in").iterdir())
    assert names == ["a-denoised-trajectory.gif", "a-denoised.png", "a.png", "b-denoised-trajectory.gif",
                     "b-denoised.png", "b.jpg", "notes.txt"]
    with Image.open(tmp_path / "in" / "a-denoised-trajectory.gif") as gif:
        assert gif.n_frames == 4  # 3 steps + the result
    capsys.readouterr()
    assert main(args) == 0  # the same folder again: its earlier results are not denoised a second time
    assert "skipping 4 earlier result(s)" in capsys.readouterr().err
    added = sorted({p.name for p in (tmp_path / "in").iterdir()} - set(names))
    assert added == ["a-denoised-1-trajectory.gif", "a-denoised-1.png", "b-denoised-1-trajectory.gif", "b-denoised-1.png"]


def test_missing_inputs_and_missing_default_model(tmp_path, tiny_model_folder, capsys, monkeypatch):
    assert main(["denoise", str(tmp_path / "nowhere.png"), "--model", str(tiny_model_folder)]) == 2
    assert "nowhere.png: file not found" in capsys.readouterr().err
    monkeypatch.setattr("engine.checkpoints.store.bundled_models_dir", lambda: tmp_path / "no-bundled-models")
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path / "home"))
    (tmp_path / "x.png").write_bytes(b"")
    assert main(["denoise", str(tmp_path / "x.png")]) == 2
    assert f"the bundled denoising model {DEFAULT_MODEL!r} is not installed" in capsys.readouterr().err


def test_ensemble_option_changes_the_result_and_odd_sizes_are_refused(tmp_path, tiny_model_folder, capsys):
    inputs = write_inputs(tmp_path / "in")
    common = [str(inputs[0]), "--model", str(tiny_model_folder), "--sigma", "20", "--device", "cpu"]
    assert main(["denoise", *common, "--out", str(tmp_path / "plain")]) == 0
    assert main(["denoise", *common, "--out", str(tmp_path / "x8"), "--ensemble", "8"]) == 0
    assert "8 copies averaged" in capsys.readouterr().out
    with Image.open(tmp_path / "plain" / "a.png") as plain, Image.open(tmp_path / "x8" / "a.png") as ensembled:
        assert plain.size == ensembled.size and not np.array_equal(np.asarray(plain), np.asarray(ensembled))
    with pytest.raises(SystemExit) as exit_info:
        main(["denoise", *common, "--out", str(tmp_path / "x3"), "--ensemble", "3"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err
    assert not (tmp_path / "x3").exists()
