"""Resuming a run: folders written by earlier versions still continue."""

import json
import shutil
from pathlib import Path

from engine.checkpoints import list_checkpoints
from engine.cli.main import main
from helpers import two_level_npz

# A run folder as `engine train` wrote it at commit 2e2608f (before the resume policy moved into
# engine/training/resume.py), from `two_level_npz(data.npz, count=16)` and
#   engine train --data DATA --out RUN --steps 6 --stop-at 3 --batch 4 --size 8 --channels 1 --no-flip
#     --warmup 1 --network '{"base_channels": 4, "channel_mults": [1, 2], "attention_levels": [],
#     "time_embedding_dim": 8}' --save-every 100 --sample-every 100 --val-fraction 0 --device cpu
# (its model/ folder left out). Its data has gone from where it was: the resume gives the new place.
STOPPED_RUN = Path(__file__).parent / "stopped_run"


def test_a_run_folder_written_by_an_earlier_version_continues(tmp_path, capsys):
    run = shutil.copytree(STOPPED_RUN, tmp_path / "run")
    data = two_level_npz(tmp_path / "data.npz", count=16)
    written = (run / "log.jsonl").read_text().splitlines()
    assert main(["train", "--data", str(data), "--out", str(run), "--steps", "6", "--resume", "--device", "cpu",
                 "--threads", "1"]) == 0
    assert "finished at step 6/6" in capsys.readouterr().out
    log = (run / "log.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in log] == list(range(1, 7)) and log[:3] == written
    assert [step for step, _ in list_checkpoints(run)] == [3, 6]
    config = json.loads((run / "config.json").read_text())
    assert config["data"] == str(data) and config["steps"] == 6 and config["network_overrides"]["base_channels"] == 4
    assert (run / "model" / "model.json").exists()
