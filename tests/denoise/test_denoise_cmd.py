"""`engine denoise` end to end: one output per input named <stem>-denoised.<ext> (the input's stem
first), one line per bad file, exit code 2 when any file failed, nothing overwritten, and the
output folder checked before any work."""

import shutil

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

import engine.cli.denoise_cmd as denoise_cmd

from engine.cli.common import DEFAULT_DENOISER
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
    assert sorted(p.name for p in out.iterdir()) == ["a-denoised.png", "b-denoised.jpg"]
    with Image.open(out / "a-denoised.png") as a, Image.open(out / "b-denoised.jpg") as b:
        assert (a.mode, a.size, b.mode, b.size) == ("RGB", (28, 20), "L", (18, 24))
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "c.png" in errors[0]
    assert "denoised 2 of 3 photos; 1 failed" in captured.out
    assert f"{inputs[0]} -> {out / 'a-denoised.png'} (" in captured.out

    assert main(args[:1] + [str(inputs[0])] + args[4:]) == 0  # again: a new name, nothing overwritten
    assert sorted(p.name for p in out.iterdir()) == ["a-denoised-2.png", "a-denoised.png", "b-denoised.jpg"]
    assert f"{out / 'a-denoised.png'} exists; written as a-denoised-2.png instead" in capsys.readouterr().out


def test_out_in_the_source_folder_names_copies_like_beside_them(tmp_path, tiny_model_folder, capsys):
    inputs = write_inputs(tmp_path / "in")
    inputs[2].unlink()
    common = ["--model", str(tiny_model_folder), "--sigma", "12", "--device", "cpu"]
    assert main(["denoise", str(inputs[0]), "--out", str(tmp_path / "in"), *common]) == 0
    assert main(["denoise", str(tmp_path / "in"), "--out", str(tmp_path / "in"), *common]) == 0  # the folder itself
    assert "denoised 2 of 2 photos" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == [
        "a-denoised-2.png", "a-denoised.png", "a.png", "b-denoised.jpg", "b.jpg"]


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
    assert added == ["a-denoised-2-trajectory.gif", "a-denoised-2.png", "b-denoised-2-trajectory.gif", "b-denoised-2.png"]


def test_missing_inputs_and_missing_default_model(tmp_path, tiny_model_folder, capsys, monkeypatch):
    assert main(["denoise", str(tmp_path / "nowhere.png"), "--model", str(tiny_model_folder)]) == 2
    captured = capsys.readouterr()
    assert f"error: {tmp_path / 'nowhere.png'}: no such file" in captured.err
    assert "denoised 0 of 1 photos; 1 failed" in captured.out
    monkeypatch.setattr("engine.checkpoints.store.bundled_models_dir", lambda: tmp_path / "no-bundled-models")
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path / "home"))
    (tmp_path / "x.png").write_bytes(b"")
    assert main(["denoise", str(tmp_path / "x.png")]) == 2
    assert f"the bundled denoising model {DEFAULT_DENOISER!r} is not installed" in capsys.readouterr().err


def test_ensemble_option_changes_the_result_and_odd_sizes_are_refused(tmp_path, tiny_model_folder, capsys):
    inputs = write_inputs(tmp_path / "in")
    common = [str(inputs[0]), "--model", str(tiny_model_folder), "--sigma", "20", "--device", "cpu"]
    assert main(["denoise", *common, "--out", str(tmp_path / "plain")]) == 0
    assert main(["denoise", *common, "--out", str(tmp_path / "x8"), "--ensemble", "8"]) == 0
    assert "8 copies averaged" in capsys.readouterr().out
    with Image.open(tmp_path / "plain" / "a-denoised.png") as plain, \
            Image.open(tmp_path / "x8" / "a-denoised.png") as ensembled:
        assert plain.size == ensembled.size and not np.array_equal(np.asarray(plain), np.asarray(ensembled))
    with pytest.raises(SystemExit) as exit_info:
        main(["denoise", *common, "--out", str(tmp_path / "x3"), "--ensemble", "3"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err
    assert not (tmp_path / "x3").exists()


def test_jpeg_quality_is_chosen_and_colour_stays_full_resolution(tmp_path, tiny_model_folder, capsys):
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(photo)
    common = [str(photo), "--model", str(tiny_model_folder), "--sigma", "12", "--format", "jpeg", "--device", "cpu"]
    assert main(["denoise", *common, "--out", str(tmp_path / "q95")]) == 0
    assert main(["denoise", *common, "--out", str(tmp_path / "q40"), "--jpeg-quality", "40"]) == 0
    high, low = (Image.open(tmp_path / q / "photo-denoised.jpg") for q in ("q95", "q40"))
    assert low.size == high.size and (tmp_path / "q40" / "photo-denoised.jpg").stat().st_size < (
        tmp_path / "q95" / "photo-denoised.jpg").stat().st_size
    assert JpegImagePlugin.get_sampling(low) == JpegImagePlugin.get_sampling(high) == 0  # 4:4:4
    capsys.readouterr()
    assert main(["denoise", *common, "--jpeg-quality", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: JPEG quality must be a whole number from 1 to 100, got 0"


def refuse_to_load_a_model(args):
    raise AssertionError("the output folder must be checked before the model is loaded")


def test_an_output_folder_that_cannot_be_used_is_named_before_any_work(tmp_path, capsys, monkeypatch):
    inputs = write_inputs(tmp_path / "in")
    monkeypatch.setattr(denoise_cmd, "open_denoiser", refuse_to_load_a_model)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["denoise", *map(str, inputs), "--out", str(blocker / "clean")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: cannot write to the output folder {blocker / 'clean'}: {blocker} is a file, not a folder")

    free_bytes = sum(path.stat().st_size for path in inputs) - 1
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, free_bytes))
    assert main(["denoise", *map(str, inputs), "--out", str(tmp_path / "new" / "clean")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: not enough free space in the output folder {tmp_path / 'new' / 'clean'}: ")
    assert "\n" not in error and not (tmp_path / "new").exists()


def test_precision_option_is_passed_on_and_said(tmp_path, tiny_model_folder, capsys):
    inputs = write_inputs(tmp_path / "in")
    common = [str(inputs[0]), "--model", str(tiny_model_folder), "--sigma", "12", "--tile", "16", "--overlap", "4",
              "--device", "cpu"]
    assert main(["denoise", *common, "--out", str(tmp_path / "half"), "--precision", "bf16"]) == 0
    assert "tiles of 16 px, bfloat16)" in capsys.readouterr().out
    assert main(["denoise", *common, "--out", str(tmp_path / "full"), "--precision", "fp32"]) == 0
    assert "tiles of 16 px)" in capsys.readouterr().out
    with Image.open(tmp_path / "half" / "a-denoised.png") as half, Image.open(tmp_path / "full" / "a-denoised.png") as full:
        assert not np.array_equal(np.asarray(half), np.asarray(full))
