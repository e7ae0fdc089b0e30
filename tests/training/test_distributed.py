import json
import subprocess
import sys

import pytest

from engine.checkpoints import list_checkpoints, load_model
from helpers import two_level_npz


@pytest.mark.slow
@pytest.mark.parametrize("robust, norm", [
    # DDP passes the step's solver and kinetic-energy record on to the network.
    (["--solver-mix", "euler:1,midpoint:1,rk4:2", "--kinetic-weight", "0.1"], "group"),
    # Two forward calls (the teacher's and the student's) before one backward; the photo
    # denoiser's pixel norm, whose (1, C, 1, 1) gain once took strides its gradient lacks.
    (["--distil-mix", "euler:1,rk4:1"], "pixel"),
    # Both: a step that draws Euler also runs the teacher, a third forward, without a graph.
    (["--solver-mix", "euler:1,midpoint:1", "--distil-mix", "euler:1,rk4:1"], "group"),
], ids=["solver-mix", "distil-mix-pixel-norm", "solver-mix-and-distil-mix"])
def test_torchrun_two_cpu_processes_stay_in_sync(tmp_path, robust, norm):
    data = two_level_npz(tmp_path / "data.npz")
    run = tmp_path / "run"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "engine", "train",
        "--data", str(data), "--out", str(run), "--steps", "4", "--batch", "8", "--size", "8", "--channels", "1",
        "--no-flip", "--save-every", "2", "--sample-every", "4", "--validate-every", "2", "--device", "cpu",
        "--threads", "1", "--network",
        json.dumps({"base_channels": 4, "channel_mults": [2, 4], "attention_levels": [], "norm": norm}),
        *robust,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    # The CLI exits 1 if the ranks' final weights differ (checked with an all_gather of checksums).
    assert result.returncode == 0, result.stderr[-2000:]
    assert "finished at step 4/4" in result.stdout
    assert "Grad strides do not match" not in result.stderr
    assert [s for s, _ in list_checkpoints(run)] == [2, 4]
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4], "only rank 0 writes the log"
    assert load_model(run / "model").spec.card["training"]["images_seen"] == 32
