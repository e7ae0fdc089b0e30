"""Every file of the hostile corpus through every entry point that reads images: the photo loader,
the training loader, `engine denoise`, `engine train` on a folder. Each file is either read
correctly (right upright size, pixels in range) or refused with a specific one-line reason; no
entry point crashes, hangs (pytest-timeout) or leaves a partial or temporary output file, and
the inputs are never modified. (The GUI's drop handler gets the same corpus in
tests/app/denoise/test_hostile_drops.py.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from corpus import CASES, Case, bad_cases, build_corpus, good_cases, training_cases
from engine.cli.main import main
from engine.data import ImageFolderDataset
from engine.data.geometry import prepare_pixels
from engine.data.image_files import decode_image
from engine.denoise import read_photo
from engine.errors import DatasetError, ImageLoadError
from helpers import fingerprint

pytestmark = pytest.mark.timeout(120)


def one_line(message: str) -> bool:
    return "\n" not in message and "Traceback" not in message


def refused_by_photo_loader(case: Case) -> str | None:
    return case.reason or case.photo_only_reason


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_photo_loader_reads_or_refuses_each_file(corpus_dir, case):
    path = corpus_dir / case.name
    reason = refused_by_photo_loader(case)
    if reason is None:
        photo = read_photo(path)
        assert photo.size == case.size
        assert np.isfinite(photo.pixels).all() and 0 <= photo.pixels.min() and photo.pixels.max() <= 1
        assert photo.channels in (1, 3)
    else:
        with pytest.raises(ImageLoadError) as error:
            read_photo(path)
        assert re.search(reason, str(error.value)), str(error.value)
        assert one_line(str(error.value))


@pytest.mark.parametrize("case", training_cases(), ids=[c.id for c in training_cases()])
def test_training_loader_reads_or_refuses_each_file(corpus_dir, case):
    path = corpus_dir / case.name
    if case.good:
        pixels = prepare_pixels(decode_image(path, min_size=8), 3, 8, True)
        assert pixels.dtype == np.uint8 and pixels.shape[2] == 3 and min(pixels.shape[:2]) == 8
    else:
        with pytest.raises(ImageLoadError) as error:
            prepare_pixels(decode_image(path, min_size=8), 3, 8, True)
        assert re.search(case.reason, str(error.value)), str(error.value)
        assert one_line(str(error.value))


def test_a_training_folder_skips_exactly_the_bad_files(corpus_dir):
    before = fingerprint(corpus_dir)
    dataset = ImageFolderDataset(corpus_dir, 8, 3)
    assert sorted(path.name for path in dataset.paths) == sorted(case.name for case in good_cases())
    assert sorted(path.name for path, _ in dataset.skipped) == sorted(case.name for case in bad_cases())
    assert all(one_line(reason) for _, reason in dataset.skipped)
    for index in range(len(dataset)):
        assert dataset.load(index).shape == (3, 8, 8)
    assert fingerprint(corpus_dir) == before


def test_a_folder_of_only_bad_files_is_refused_with_the_reasons(tmp_path):
    build_corpus(tmp_path / "bad", bad_cases())
    with pytest.raises(DatasetError) as error:
        ImageFolderDataset(tmp_path / "bad", 8, 3)
    message = str(error.value)
    assert one_line(message) and f"all {len(bad_cases())} image file(s) were rejected" in message


def train_args(data: Path, out: Path) -> list[str]:
    return ["train", "--data", str(data), "--out", str(out), "--steps", "1", "--batch", "4", "--size", "8",
            "--channels", "3", "--warmup", "1", "--save-every", "1", "--sample-every", "1000",
            "--validate-every", "1000", "--val-fraction", "0", "--device", "cpu",
            "--network", json.dumps({"base_channels": 4, "channel_mults": [2, 4], "attention_levels": []})]


def test_engine_train_on_the_corpus_trains_on_the_good_files_and_lists_the_bad(corpus_dir, tmp_path, capsys):
    before = fingerprint(corpus_dir)
    assert main(train_args(corpus_dir, tmp_path / "run")) == 0
    lines = (tmp_path / "run" / "skipped.txt").read_bytes().decode("utf-8", "surrogateescape").splitlines()
    skipped = {Path(line.split("\t")[0]).name: line.split("\t")[1] for line in lines}
    assert sorted(skipped) == sorted(case.name for case in bad_cases())
    for case in bad_cases():
        assert re.search(case.reason, skipped[case.name]), (case.name, skipped[case.name])
    assert "1 skipped" not in capsys.readouterr().err
    assert fingerprint(corpus_dir) == before


def test_engine_train_on_only_bad_files_says_why_and_writes_nothing(tmp_path, capsys):
    build_corpus(tmp_path / "bad", bad_cases())
    assert main(train_args(tmp_path / "bad", tmp_path / "run")) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: No readable images") and one_line(error)
    assert not (tmp_path / "run").exists()


def denoise_args(inputs: list[Path], model: Path, out: Path | None) -> list[str]:
    where = ["--out", str(out)] if out is not None else []
    return ["denoise", *map(str, inputs), *where, "--model", str(model), "--sigma", "20", "--tile", "16",
            "--overlap", "4", "--device", "cpu"]


def printed(name: str) -> str:
    """How the CLI prints a name: bytes that are not UTF-8 escaped (\\udcXX)."""
    return name.encode("utf-8", "backslashreplace").decode()


def outputs_by_input(stdout: str, out: Path) -> dict[str, Path]:
    """Input file name -> output file in `out`, from the CLI's 'INPUT -> OUTPUT (...)' lines."""
    on_disk = {printed(path.name): path for path in out.iterdir()}
    pairs = [re.match(r"(.*) -> (.*) \(noise ", line) for line in stdout.splitlines()]
    return {Path(m.group(1)).name: on_disk[Path(m.group(2)).name] for m in pairs if m}


def test_engine_denoise_on_the_corpus_writes_one_output_per_good_file(corpus_dir, tiny_rgb_model, tmp_path, capsys):
    before = fingerprint(corpus_dir)
    out = tmp_path / "out"
    assert main(denoise_args([corpus_dir], tiny_rgb_model, out)) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    refused = [case for case in CASES if refused_by_photo_loader(case) and case.file]
    assert len(errors) == len(refused), errors
    for case in refused:
        line = next(line for line in errors if f"/{printed(case.name)}:" in line)
        assert re.search(refused_by_photo_loader(case), line), line
    assert "Traceback" not in captured.err
    files = [case for case in CASES if case.file]
    assert f"denoised {len(files) - len(refused)} of {len(files)} photos; {len(refused)} failed" in captured.out
    written = outputs_by_input(captured.out, out)
    readable = [case for case in CASES if not refused_by_photo_loader(case)]
    assert sorted(written) == sorted(printed(case.name) for case in readable)
    assert sorted(out.iterdir()) == sorted(written.values()), "no stray or temporary files"
    for case in readable:
        with Image.open(written[printed(case.name)]) as image:
            assert image.size == case.size, case.name
    assert fingerprint(corpus_dir) == before


def test_engine_denoise_beside_inputs_with_long_and_odd_names(tmp_path, tiny_rgb_model, capsys):
    """Without --out the result goes beside its input with a suffix: a 250-byte name must be
    shortened, not fail with 'File name too long'."""
    names = [case for case in good_cases() if case.name.startswith(("x" * 20, "caf", "日本"))]
    folder = tmp_path / "in"
    build_corpus(folder, names)
    assert main(denoise_args([folder], tiny_rgb_model, None)) == 0, capsys.readouterr().err
    produced = sorted(p for p in folder.iterdir() if p.name not in {case.name for case in names})
    assert len(produced) == len(names)
    assert all(len(os.fsencode(p.name)) <= 255 and "-denoised" in p.name for p in produced)


@pytest.mark.slow
def test_the_installed_command_prints_odd_file_names_without_crashing(tmp_path, tiny_rgb_model):
    """Through a real process and a strict UTF-8 stdout: a Latin-1 file name is not valid UTF-8."""
    cases = [case for case in CASES if case.name in ("caf\udce9-latin1.png", "zero-bytes.png")]
    build_corpus(tmp_path / "in", cases)
    env = os.environ | {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "engine", *denoise_args([tmp_path / "in"], tiny_rgb_model,
                                                                            tmp_path / "out")],
                            capture_output=True, env=env, timeout=120)
    stdout, stderr = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    assert result.returncode == 2 and "Traceback" not in stderr, stderr
    assert "denoised 1 of 2 photos; 1 failed" in stdout
    assert "zero-bytes.png: empty file" in stderr
    assert len(list((tmp_path / "out").iterdir())) == 1
