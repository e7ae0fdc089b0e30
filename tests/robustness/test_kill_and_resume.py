"""SIGKILL at random points of training, then resume, again and again: the run that finally
completes must match an uninterrupted run bit for bit (model, EMA and optimizer tensors, the
final model folder and every logged loss), and every checkpoint ever listed must load.

Training runs in forked children (torch is already imported, so a child starts in
milliseconds). Half the kills come from the parent after a random delay; the other half are
placed by the child itself at the most delicate moments: just before and just after the atomic
rename of a checkpoint, and half-way through writing a log line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
import traceback
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from engine.checkpoints import list_checkpoints, load_model
from engine.checkpoints.model_files import MODEL_WEIGHTS
from engine.training import TrainingConfig, train
from engine.training.run_folder import RunFolder
from helpers import two_level_npz

pytestmark = [pytest.mark.timeout(300), pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")]

KILLS_REQUIRED = 20
MAX_ATTEMPTS = 80
STEPS = 12
CHILD_TIMEOUT_S = 60
# Where a child kills itself: (what to patch, which call, before or after the real call).
SELF_KILL_POINTS = [
    ("replace", "before"),  # temp file complete and fsynced, not yet renamed
    ("replace", "after"),  # renamed, folder not yet fsynced, old checkpoints not pruned
    ("log", "half"),  # half a JSON line written to log.jsonl
]


def config(tmp_path: Path, name: str) -> TrainingConfig:
    data = tmp_path / "data.npz"
    if not data.exists():
        two_level_npz(data, count=32)
    return TrainingConfig(
        data=str(data), out=str(tmp_path / name), network_overrides={"base_channels": 4, "channel_mults": [2, 4],
                                                                     "attention_levels": []},
        image_size=8, channels=1, steps=STEPS, batch_size=4, lr=1e-3, warmup_steps=2, save_every=1,
        sample_every=10_000, validate_every=4, validation_fraction=0.25, validation_images=4, keep_checkpoints=2,
        hflip=True, device="cpu",
    )


def install_self_kill(point: tuple[str, str], call: int) -> None:
    """In the child: SIGKILL ourselves at the `call`-th occurrence of `point`."""
    kind, when = point
    calls = {"n": 0}

    def due() -> bool:
        calls["n"] += 1
        return calls["n"] == call

    if kind == "replace":
        import engine.atomic

        real_replace = os.replace

        def replace(source, target):
            if when == "before" and due():
                os.kill(os.getpid(), signal.SIGKILL)
            real_replace(source, target)
            if when == "after" and due():
                os.kill(os.getpid(), signal.SIGKILL)

        engine.atomic.os = _OsWith(replace=replace)
    else:
        real_append = RunFolder.append_log

        def append_log(self, record):
            if due():
                with open(self.log_path, "a", encoding="utf-8") as handle:
                    line = json.dumps(record)
                    handle.write(line[: len(line) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
            real_append(self, record)

        RunFolder.append_log = append_log


class _OsWith:
    """The os module with some functions replaced (only inside a forked child)."""

    def __init__(self, **replaced) -> None:
        self._replaced = replaced

    def __getattr__(self, name):
        return self._replaced.get(name) or getattr(os, name)


def run_child(cfg: TrainingConfig, resume: bool, kill_after_s: float | None, self_kill=None) -> int:
    """Train in a forked child; returns its exit status (0 finished, -9 killed, else failed)."""
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            if self_kill is not None:
                install_self_kill(*self_kill)
            train(cfg, resume=resume)
            code = 0
        except BaseException:  # noqa: BLE001 - report anything, then leave the child without cleanup
            traceback.print_exc()
        finally:
            os._exit(code)
    deadline = time.monotonic() + (kill_after_s if kill_after_s is not None else CHILD_TIMEOUT_S)
    while time.monotonic() < deadline:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def tensors_of(run: Path) -> dict[str, torch.Tensor]:
    final = list_checkpoints(run)[-1][1]
    return load_file(str(final)) | {f"final-model.{k}": v for k, v in load_file(str(run / "model" / MODEL_WEIGHTS)).items()}


def logged_losses(run: Path) -> list[tuple]:
    return [(r["step"], r["loss"], r["lr"], r.get("val_loss")) for r in RunFolder(run).read_log()]


def test_killed_and_resumed_training_matches_an_uninterrupted_run(tmp_path):
    torch.set_num_threads(1)
    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])  # its lazy imports (seconds) happen once, here
    straight = config(tmp_path, "straight")
    started = time.monotonic()
    assert run_child(straight, resume=False, kill_after_s=None) == 0
    full_run_s = time.monotonic() - started
    reference, reference_log = tensors_of(Path(straight.out)), logged_losses(Path(straight.out))
    assert [r[0] for r in reference_log] == list(range(1, STEPS + 1))

    rng = random.Random(0)
    killed = self_kills = attempts = 0
    interrupted = config(tmp_path, "interrupted")
    run_dir = Path(interrupted.out)
    while True:
        attempts += 1
        assert attempts <= MAX_ATTEMPTS, f"no finished run after {MAX_ATTEMPTS} attempts ({killed} kills)"
        resume = (run_dir / "config.json").exists()
        if killed >= KILLS_REQUIRED:
            status = run_child(interrupted, resume, kill_after_s=None)
            assert status == 0, f"the final resume failed with status {status}"
            break
        if attempts % 2:
            status = run_child(interrupted, resume, kill_after_s=rng.uniform(0.0, full_run_s))
        else:
            point = SELF_KILL_POINTS[self_kills % len(SELF_KILL_POINTS)]
            status = run_child(interrupted, resume, kill_after_s=None, self_kill=(point, rng.randint(1, 3)))
            self_kills += status == -signal.SIGKILL
        assert status in (0, -signal.SIGKILL), f"attempt {attempts}: training failed with status {status}"
        killed += status == -signal.SIGKILL
        for _, checkpoint in list_checkpoints(run_dir):
            load_model(checkpoint)  # every checkpoint a reader can see is complete
        if status == 0:  # finished before the kill landed: start the run again from scratch
            for path in sorted(run_dir.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            run_dir.rmdir()

    resumed = tensors_of(run_dir)
    assert resumed.keys() == reference.keys()
    different = [name for name in reference if not torch.equal(reference[name], resumed[name])]
    assert not different, f"{len(different)} tensors differ after {killed} kills, e.g. {different[:3]}"
    assert logged_losses(run_dir) == reference_log
    assert killed >= KILLS_REQUIRED and self_kills >= len(SELF_KILL_POINTS)
    assert not list(run_dir.rglob("*.tmp")), "resuming removes the temp files of writers that were killed"
    print(f"\n{killed} kills ({self_kills} at save/log points) in {attempts} attempts; full run {full_run_s:.2f} s")
