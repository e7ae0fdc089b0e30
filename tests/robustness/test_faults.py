"""Faults: a full disk while saving a checkpoint, a log line, a sample grid, the final model or a
denoised photo or a set of samples (a patched writer that fails half-way, and a real, tiny tmpfs where the machine
allows mounting one); read-only and missing output folders; cancelling at every step of
sampling and denoising; running out of memory. Each is reported in one line, nothing already
saved is lost, no partial file is left, and a resumed run still matches an uninterrupted one."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from engine.checkpoints import list_checkpoints, load_model
from engine.cli.main import main
from engine.denoise import DenoiseSettings, denoise_photo, read_photo
from engine.denoise import denoising
from engine.errors import Cancelled
from engine.generate import GenerationRequest, generate
from engine.models import CUNet, SolverSettings
from engine.sampling import SAMPLERS as ENGINE_SAMPLERS
from engine.training.run_folder import RunFolder
from helpers import fingerprint, random_photos, two_level_npz

pytestmark = pytest.mark.timeout(180)
TINY_NETWORK = {"base_channels": 4, "channel_mults": [2, 4], "attention_levels": []}


def disk_full(path=None):
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), None if path is None else str(path))


def fails_on_call(real_write, call: int, path_argument: int | None):
    """`real_write`, except that its `call`-th use writes only half of its file (or a full model
    folder with no room left after it), then fails as a full disk does."""
    calls = []

    def write(*args, **kwargs):
        calls.append(args)
        if len(calls) != call:
            return real_write(*args, **kwargs)
        real_write(*args, **kwargs)
        target = Path(args[path_argument]) if path_argument is not None else None
        if target is not None and target.exists():
            target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
        raise disk_full(target)

    return write


def train_args(data: Path, out: Path, steps: int, resume: bool = False) -> list[str]:
    return ["train", "--data", str(data), "--out", str(out), "--steps", str(steps), "--batch", "4", "--size", "8",
            "--channels", "1", "--warmup", "2", "--save-every", "2", "--sample-every", "3", "--validate-every",
            "1000", "--val-fraction", "0", "--keep", "2", "--no-flip", "--device", "cpu", "--threads", "1",
            "--network", json.dumps(TINY_NETWORK)] + (["--resume"] if resume else [])


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """An uninterrupted 6-step run: what every interrupted-and-resumed run must reproduce."""
    folder = tmp_path_factory.mktemp("reference")
    data = two_level_npz(folder / "data.npz", count=16)
    assert main(train_args(data, folder / "run", 6)) == 0
    return data, folder / "run"


def final_tensors(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(list_checkpoints(run)[-1][1]))


def assert_same_run(run: Path, reference: Path) -> None:
    a, b = final_tensors(run), final_tensors(reference)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    losses = [[(r["step"], r["loss"]) for r in RunFolder(folder).read_log()] for folder in (run, reference)]
    assert losses[0] == losses[1]


# name: (what to patch, which call fails, which argument is the written path). A 6-step run saves
# checkpoints at steps 2, 4 and 6, logs every step, writes sample grids at 3 and 6, and the model at the end.
FULL_DISK_WRITERS = {
    "checkpoint": ("engine.checkpoints.weights.save_file", 2, 1),
    "log line": ("engine.training.run_folder.RunFolder", 4, None),
    "sample grid": ("engine.training.preview_grid.save_png", 2, 0),
    "final model": ("engine.training.loop.save_model_folder", 1, None),
}


@pytest.mark.parametrize("writer", FULL_DISK_WRITERS)
def test_a_full_disk_during_training_loses_nothing_and_the_run_resumes_exactly(
        reference_run, tmp_path, monkeypatch, capsys, writer):
    data, reference = reference_run
    run = tmp_path / "run"
    target, call, path_argument = FULL_DISK_WRITERS[writer]
    module, name = target.rsplit(".", 1)
    owner = __import__(module, fromlist=[name])
    if writer == "log line":  # a log line is appended in place: only its first bytes reach the disk
        owner, name = RunFolder, "append_log"
        real_append = owner.append_log

        def append_part(folder, record):
            with open(folder.log_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record)[:10])

        appended = []

        def append_or_fail(folder, record):
            appended.append(record)
            if len(appended) != call:
                return real_append(folder, record)
            append_part(folder, record)
            raise disk_full(folder.log_path)

        monkeypatch.setattr(owner, name, append_or_fail)
    else:
        monkeypatch.setattr(owner, name, fails_on_call(getattr(owner, name), call, path_argument))
    assert main(train_args(data, run, 6)) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: No space left on device") and "Traceback" not in error, error
    monkeypatch.undo()

    saved = list_checkpoints(run)
    assert saved, "the checkpoints saved before the disk filled up are kept"
    for _, path in saved:
        load_model(path)
    assert main(train_args(data, run, 6, resume=True)) == 0
    assert_same_run(run, reference)
    assert not list(run.rglob("*.tmp")), "no temp file may remain after the resumed run"
    load_model(run / "model")


def denoise_args(inputs, model, out) -> list[str]:
    return ["denoise", *map(str, inputs), "--out", str(out), "--model", str(model), "--sigma", "20", "--tile", "16",
            "--overlap", "4", "--device", "cpu"]


def photos(folder: Path, count: int = 3) -> list[Path]:
    return random_photos(folder, count, (20, 24))


def test_a_full_disk_while_writing_denoised_photos_leaves_no_partial_file(tmp_path, tiny_rgb_model, monkeypatch,
                                                                          capsys):
    inputs = photos(tmp_path / "in")
    before = fingerprint(tmp_path / "in")
    real_save = Image.Image.save

    def save_half_then_fail(image, target, *args, **kwargs):
        real_save(image, target, *args, **kwargs)
        Path(target).write_bytes(Path(target).read_bytes()[:100])
        raise disk_full(target)

    monkeypatch.setattr(Image.Image, "save", save_half_then_fail)
    out = tmp_path / "out"
    assert main(denoise_args(inputs, tiny_rgb_model, out)) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in errors if line.startswith("error:")]
    assert len(errors) == 3 and all(line.endswith("No space left on device") for line in errors), errors
    assert list(out.iterdir()) == [], "neither an output nor a temp file may remain"
    assert fingerprint(tmp_path / "in") == before


def test_a_full_disk_while_saving_samples_removes_what_the_run_wrote(tmp_path, tiny_rgb_model, monkeypatch, capsys):
    import engine.cli.sample_cmd as sample_cmd

    out = tmp_path / "samples"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file")
    failing = fails_on_call(sample_cmd.save_png, 3, 0)

    def save_while_another_program_writes(path, *args, **kwargs):
        (out / f"other-program-{path.name}").write_text("not this run's")  # appears during the run
        return failing(path, *args, **kwargs)

    monkeypatch.setattr(sample_cmd, "save_png", save_while_another_program_writes)
    args = ["sample", "--model", str(tiny_rgb_model), "-n", "4", "--steps", "2", "--grid", "--out", str(out),
            "--device", "cpu"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "removed the 3 file(s)" in err  # two samples and the half one
    others = [f"other-program-sample-00000{i}.png" for i in range(3)]
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", *others]
    assert (out / "notes.txt").read_text() == "the user's own file"


@contextlib.contextmanager
def read_only(folder: Path):
    """A folder no one may write to: chmod for ordinary users; root ignores permissions, so for
    root a read-only tmpfs is mounted over it (or the test is skipped where mounting is denied)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    with mounted_tmpfs(folder, "ro,size=64k"):
        yield folder


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, options: str):
    folder.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mount.stderr.decode().strip()}); the patched-writer tests cover this")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_read_only_output_folder_is_reported_before_any_work(tmp_path, tiny_rgb_model, capsys):
    inputs = photos(tmp_path / "in", 2)
    with read_only(tmp_path / "locked") as out:
        assert main(denoise_args(inputs, tiny_rgb_model, out)) == 2
        captured = capsys.readouterr()
        errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and errors[0].startswith(f"error: cannot write to the output folder {out}: "), errors
        assert "Permission denied" in errors[0] or "Read-only" in errors[0], errors
        assert " -> " not in captured.out, "no photo may be denoised into a folder that cannot take it"
        assert list(out.iterdir()) == []


def test_missing_output_folders_are_created_and_a_file_in_the_way_is_reported(tmp_path, tiny_rgb_model, capsys):
    inputs = photos(tmp_path / "in", 1)
    deep = tmp_path / "not" / "yet" / "there"
    assert main(denoise_args(inputs, tiny_rgb_model, deep)) == 0
    assert [p.name for p in deep.iterdir()] == ["photo0-denoised.png"]
    blocker = tmp_path / "a-file"
    blocker.write_text("I am a file, not a folder")
    assert main(denoise_args(inputs, tiny_rgb_model, blocker)) == 2
    error = capsys.readouterr().err
    assert f"{blocker} is a file, not a folder" in error, error
    assert blocker.read_text() == "I am a file, not a folder"


def test_a_really_full_disk_during_denoising_and_training(tmp_path, tiny_rgb_model, reference_run, capsys):
    """The real thing: a 256 KiB tmpfs filled to the brim, then a 160 KiB one for a training run
    whose checkpoints stop fitting."""
    inputs = photos(tmp_path / "in", 2)
    with mounted_tmpfs(tmp_path / "full", "size=256k") as full:
        descriptor = os.open(full / "filler", os.O_WRONLY | os.O_CREAT)
        with contextlib.suppress(OSError):
            while True:
                os.write(descriptor, b"\0" * 4096)
        os.close(descriptor)
        assert main(denoise_args(inputs, tiny_rgb_model, full)) == 2
        errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"error: not enough free space in the output folder {full}: "), errors
        assert sorted(p.name for p in full.iterdir()) == ["filler"]

    data, reference = reference_run
    checkpoint_size = list_checkpoints(reference)[-1][1].stat().st_size
    with mounted_tmpfs(tmp_path / "small", f"size={2 * checkpoint_size + 48 * 1024}") as small:
        code = main(train_args(data, small / "run", 6))
        error = capsys.readouterr().err.strip().splitlines()[-1]
        assert code == 2 and error.startswith("error: No space left on device"), error
        saved = list_checkpoints(small / "run")
        assert saved and all(load_model(path) for _, path in saved)
        assert not list((small / "run").rglob("*.tmp"))


SAMPLERS = list(ENGINE_SAMPLERS)
SAMPLING_STEPS = 5  # 2 batches: cancelled before each step of the first and at the second, 6 points per sampler
DENOISE_CANCEL_POINTS = 9


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_cancel_at_every_step_of_sampling(tmp_path, sampler):
    from helpers import save_tiny_model

    model = load_model(save_tiny_model(tmp_path / "m"))
    steps = SAMPLING_STEPS
    trained_solver = model.network.config.solver
    for cancel_after in range(steps + 1):
        calls = []

        class CancelAfter:
            def is_set(self) -> bool:
                return len(calls) >= cancel_after

        request = GenerationRequest(count=3, seed=0, sampler=sampler, steps=steps, batch_size=2,
                                    solver=SolverSettings(method="euler", steps=2))
        with pytest.raises(Cancelled):
            generate(model, request, progress=calls.append, cancel=CancelAfter())
        assert len(calls) == cancel_after, "no step may run after the cancel was seen"
        assert isinstance(model.network, CUNet) and model.network.config.solver == trained_solver
    assert generate(model, GenerationRequest(count=1, sampler=sampler, steps=steps)).images.shape == (1, 8, 8, 1)


def test_cancel_at_every_step_of_denoising(tmp_path, monkeypatch, tiny_rgb_model):
    monkeypatch.setattr(denoising, "NETWORK_BATCH_PIXELS", 4 * 16**2)  # 12 tiles in 3 batches of 4
    model = load_model(tiny_rgb_model)
    photo_path = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 44, 3), dtype=np.uint8)).save(photo_path)
    photo = read_photo(photo_path)
    original = photo.pixels.copy()
    settings = DenoiseSettings(sigma=25, strength=1.0, steps=3, tile_size=16, tile_overlap=4)
    events = []
    denoise_photo(model, photo, settings, progress=events.append)
    assert len(events) == DENOISE_CANCEL_POINTS, "a cancel point before each of 3 tile batches x 3 steps"
    for cancel_after in range(DENOISE_CANCEL_POINTS):
        seen = []

        class CancelAfter:
            def is_set(self) -> bool:
                return len(seen) >= cancel_after

        with pytest.raises(Cancelled):
            denoise_photo(model, photo, settings, progress=seen.append, cancel=CancelAfter())
        assert len(seen) == cancel_after
        assert np.array_equal(photo.pixels, original), "the input photo is never changed"


class AllocationFails(torch.nn.Module):
    """Stands in for a network asked for more memory than the machine has: it raises exactly
    what PyTorch's CPU allocator raises (a RuntimeError, not torch.OutOfMemoryError)."""

    def __init__(self, network: torch.nn.Module, error: BaseException) -> None:
        super().__init__()
        self.inner = network
        self.error = error

    def forward(self, x, t, *args, **kwargs):  # called as the network it stands in for: noise map, solver...
        raise self.error

    def function_evaluations(self) -> int:
        """The stood-in cUNet's count: its spec says it has ODE blocks, so `engine sample` reads it."""
        return self.inner.function_evaluations()


CPU_ALLOCATOR_ERROR = RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't "
                                   "allocate memory: you tried to allocate 1099511627776 bytes.")


def test_the_real_cpu_allocator_error_is_what_we_simulate():
    with pytest.raises(RuntimeError, match="can't allocate memory"):
        torch.empty(2**60, dtype=torch.uint8)


@pytest.mark.parametrize("error", [CPU_ALLOCATOR_ERROR, torch.OutOfMemoryError("CUDA out of memory."), MemoryError()],
                         ids=["cpu-allocator", "cuda", "python"])
def test_out_of_memory_is_one_line_per_photo_and_the_run_goes_on(tmp_path, tiny_rgb_model, monkeypatch, capsys, error):
    import engine.checkpoints.model_files as model_files

    real_build = model_files._build_network
    built = []

    def build_then_fail_first(spec, tensors, source):
        network = real_build(spec, tensors, source)
        built.append(network)
        return AllocationFails(network, error)

    monkeypatch.setattr(model_files, "_build_network", build_then_fail_first)
    inputs = photos(tmp_path / "in", 2)
    assert main(denoise_args(inputs, tiny_rgb_model, tmp_path / "out")) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all("out of memory; try a smaller --tile" in line for line in errors)
    assert "Traceback" not in captured.err
    assert main(["sample", "--model", str(tiny_rgb_model), "-n", "2", "--out", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == "error: out of memory; try a smaller batch, image or tile size"
    assert not (tmp_path / "s").exists() and not (tmp_path / "out").exists()
