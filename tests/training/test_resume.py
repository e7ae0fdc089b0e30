"""Resuming a run: what it may change (engine/training/resume.py), and run folders written by
earlier versions still continue."""

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from engine.checkpoints import list_checkpoints
from engine.cli.main import main
from engine.errors import ConfigError
from engine.training import RESUMABLE_FIELDS, TrainingConfig, resume_refusal, resumed_config
from helpers import two_level_npz
from training.test_training import tiny_config

# Another value for each setting a resume may change, and for each it keeps, than a conditional
# `tiny_config` has. A new TrainingConfig field belongs in one of them: the first test says so.
RESUMABLE_CHANGES = {"steps": 9, "keep_checkpoints": 5, "device": "auto", "bf16": True, "save_every": 7,
                     "sample_every": 7, "validate_every": 7}
KEPT_CHANGES = {
    "preset": "unet-small", "network_overrides": {"base_channels": 8}, "image_size": 16, "channels": 3,
    "batch_size": 16, "grad_accumulation": 2, "lr": 2e-3, "lr_schedule": "constant", "warmup_steps": 5,
    "weight_decay": 0.01, "grad_clip": 0.5, "ema_decay": 0.99, "schedule": "linear", "max_step": 300,
    "prediction": "v", "noise": "photo", "photo_gaussian_share": 0.6, "hflip": True, "resize_short_side": False, "max_downscale": 2.0,
    "cache_megabytes": 10, "validation_fraction": 0.1, "validation_images": 8, "sample_count": 8,
    "compile": True, "seed": 1, "card": {"display_name": "mine"}, "init_from": "digits", "classes": False,
    "class_dropout": 0.2, "class_names": ["dark", "light"], "solver_mix": "euler:1,midpoint:1",
    "kinetic_weight": 0.01, "bend_weight": 0.5, "class_balance": 0.5, "distil_mix": "euler:1,rk4:1", "distil_weight": 3.0,
    "distil_teacher": "rk4:2",
}

# A run folder as `engine train` wrote it at commit 2e2608f (before the resume policy moved into
# engine/training/resume.py), from `two_level_npz(data.npz, count=16)` and
#   engine train --data DATA --out RUN --steps 6 --stop-at 3 --batch 4 --size 8 --channels 1 --no-flip
#     --warmup 1 --network '{"base_channels": 4, "channel_mults": [1, 2], "attention_levels": [],
#     "time_embedding_dim": 8}' --save-every 100 --sample-every 100 --val-fraction 0 --device cpu
# (its model/ folder left out). Its data has gone from where it was: the resume gives the new place.
STOPPED_RUN = Path(__file__).parent / "stopped_run"


def test_every_setting_is_one_a_resume_may_change_or_one_it_keeps():
    fields = {field.name for field in dataclasses.fields(TrainingConfig)}
    assert fields == set(RESUMABLE_CHANGES) | set(KEPT_CHANGES) | {"data", "out"}
    assert set(RESUMABLE_CHANGES) == set(RESUMABLE_FIELDS)


@pytest.mark.parametrize("name, value", RESUMABLE_CHANGES.items())
def test_a_resume_may_change_each_resumable_setting(tmp_path, name, value):
    stored = tiny_config(tmp_path, classes=True)
    wanted = stored.with_changes(**{name: value})
    assert resume_refusal(stored, wanted) is None
    assert resumed_config(stored, wanted) == wanted


@pytest.mark.parametrize("name, value", KEPT_CHANGES.items())
def test_a_resume_refuses_to_change_any_other_setting_in_one_line_naming_it(tmp_path, name, value):
    stored = tiny_config(tmp_path, classes=True, distil_mix="euler:1")  # students, so that a teacher may be named
    refusal = resume_refusal(stored, stored.with_changes(**{name: value}))
    assert refusal.startswith(f"a resumed run keeps its {name} (") and "start a new run" in refusal
    assert "\n" not in refusal
    with pytest.raises(ConfigError, match=re.escape(refusal)):
        resumed_config(stored, stored.with_changes(**{name: value}))


def test_the_refusal_names_each_setting_with_its_stored_and_given_values(tmp_path):
    stored = tiny_config(tmp_path)
    assert resume_refusal(stored, stored.with_changes(lr=2e-3, seed=1, steps=9)) == (
        "a resumed run keeps its lr (0.001, not 0.002), seed (0, not 1): only steps, keep_checkpoints, device, bf16, "
        "save_every, sample_every, validate_every and the data's place may change; start a new run for other settings")


def test_a_resume_takes_the_datas_new_place_but_no_other_data_and_keeps_its_folder_name(tmp_path):
    stored = tiny_config(tmp_path)
    other = two_level_npz(tmp_path / "other.npz")
    assert resume_refusal(stored, stored.with_changes(data=str(other))) == (
        f"this run trains on {stored.data}, not {other}: give that --data to continue it, or start a new run for "
        "other images")
    moved_away = stored.with_changes(data=str(tmp_path / "gone" / "data.npz"))
    assert resumed_config(moved_away, stored).data == stored.data
    assert resumed_config(stored, stored.with_changes(out="../run")).out == stored.out


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
    assert config["save_every"] == 100  # left out, an option keeps the run's own value
    assert (run / "model" / "model.json").exists()
