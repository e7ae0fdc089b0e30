import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from engine.checkpoints import list_checkpoints, save_model_folder
from engine.cli.main import main
from engine.diffusion import ScheduleConfig
from engine.imaging import SAVED_MIN_WIDTH, enlarge
from engine.models import preset_config
from helpers import save_tiny_model, tiny_spec, two_level_npz


def test_sample_writes_n_pngs_with_settings_metadata(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny")
    out = tmp_path / "out"
    assert main(["sample", "--model", str(model), "-n", "3", "--seed", "7", "--steps", "3", "--out", str(out),
                 "--device", "cpu", "--grid"]) == 0
    files = sorted(p.name for p in out.glob("sample-*.png"))
    assert files == ["sample-000007.png", "sample-000008.png", "sample-000009.png"]
    settings = json.loads(Image.open(out / "sample-000008.png").text["cunet-studio"])
    assert settings["seed"] == 8 and settings["steps"] == 3
    grid = np.asarray(Image.open(out / "grid.png"))
    sample = np.asarray(Image.open(out / "sample-000007.png"))
    factor = -(-SAVED_MIN_WIDTH // (2 * (sample.shape[1] + 2) + 2))  # 2 x 2 images with 2 px gaps
    assert grid.shape[1] >= SAVED_MIN_WIDTH and np.array_equal(grid, enlarge(grid[::factor, ::factor], factor))
    assert np.array_equal(grid[::factor, ::factor][2 : 2 + sample.shape[0], 2 : 2 + sample.shape[1]], sample)


def test_settings_from_a_saved_image_make_it_again(tmp_path):
    """One image of a batch, made again on its own from the PNG alone (ddpm: fresh noise every
    step), and a grid's record brings back the whole grid; options given explicitly still win."""
    model = save_tiny_model(tmp_path / "tiny")
    first = tmp_path / "first"
    assert main(["sample", "--model", str(model), "-n", "3", "--seed", "7", "--sampler", "ddpm", "--steps", "4",
                 "--solver", "euler", "--batch", "3", "--out", str(first), "--device", "cpu", "--grid"]) == 0
    again = tmp_path / "again"
    assert main(["sample", "--settings-from", str(first / "sample-000008.png"), "--out", str(again),
                 "--device", "cpu"]) == 0
    assert [p.name for p in again.glob("*.png")] == ["sample-000008.png"]
    assert (again / "sample-000008.png").read_bytes() == (first / "sample-000008.png").read_bytes()

    grid_again = tmp_path / "grid-again"
    assert main(["sample", "--settings-from", str(first / "grid.png"), "--batch", "2",
                 "--out", str(grid_again), "--device", "cpu", "--grid"]) == 0
    assert (grid_again / "grid.png").read_bytes() == (first / "grid.png").read_bytes()

    other = tmp_path / "other"
    assert main(["sample", "--settings-from", str(first / "sample-000008.png"), "--seed", "2",
                 "--out", str(other), "--device", "cpu"]) == 0
    settings = json.loads(Image.open(other / "sample-000002.png").text["cunet-studio"])
    assert settings["seed"] == 2 and settings["sampler"] == "ddpm" and settings["solver"]["method"] == "euler"


def test_a_step_aware_solver_says_its_cost_and_settings_from_make_it_again(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny")
    first = tmp_path / "first"
    assert main(["sample", "--model", str(model), "-n", "2", "--sampler", "ddpm", "--steps", "10",
                 "--solver-schedule", "euler:1@500,midpoint:1", "--out", str(first), "--device", "cpu"]) == 0
    assert ("ODE solver euler × 1 while t ≥ 500, then midpoint × 1: 15 evaluations per ODE block per image, "
            "1.33× fewer than the trained midpoint × 1 (20)") in capsys.readouterr().out
    settings = json.loads(Image.open(first / "sample-000001.png").text["cunet-studio"])
    assert settings["solver"]["switch"] == 500 and settings["solver"]["noisy"]["method"] == "euler"
    again = tmp_path / "again"
    assert main(["sample", "--settings-from", str(first / "sample-000001.png"), "--out", str(again),
                 "--device", "cpu"]) == 0
    assert (again / "sample-000001.png").read_bytes() == (first / "sample-000001.png").read_bytes()
    other = tmp_path / "other"
    assert main(["sample", "--settings-from", str(first / "sample-000001.png"), "--solver", "rk4",
                 "--out", str(other), "--device", "cpu"]) == 0  # an explicit solver wins over the record's
    assert json.loads(Image.open(other / "sample-000001.png").text["cunet-studio"])["solver"]["method"] == "rk4"


def test_a_step_aware_solver_for_a_unet_is_a_clear_error(tmp_path, capsys):
    arch, config = preset_config("unet-small", 1)
    spec = dataclasses.replace(tiny_spec(), arch=arch,
                               network=dataclasses.asdict(dataclasses.replace(config, dim=8, dim_mults=(1, 2))))
    torch.manual_seed(0)
    save_model_folder(tmp_path / "unet", spec, spec.build_network().state_dict())
    assert main(["sample", "--model", str(tmp_path / "unet"), "-n", "1", "--solver-schedule", "euler:1@500,rk4:1",
                 "--out", str(tmp_path / "out"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: a step-aware solver schedule needs a cUNet") and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_a_saved_record_names_the_model_by_what_finds_it_again(tmp_path):
    """The store name, not the card's display name ("MNIST digits" would not resolve)."""
    assert main(["sample", "--model", "digits", "-n", "1", "--steps", "2", "--out", str(tmp_path), "--device", "cpu"]) == 0
    assert json.loads(Image.open(tmp_path / "sample-000000.png").text["cunet-studio"])["model"] == "digits"


def test_settings_from_an_image_of_a_since_retrained_model_warn(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny", seed=0)
    assert main(["sample", "--model", str(model), "-n", "1", "--steps", "2", "--out", str(tmp_path / "a"),
                 "--device", "cpu"]) == 0
    save_tiny_model(tmp_path / "tiny", seed=1)
    capsys.readouterr()
    assert main(["sample", "--settings-from", str(tmp_path / "a" / "sample-000000.png"), "--out", str(tmp_path / "b"),
                 "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "warning: the model" in err and "is not the one that made sample-000000.png" in err


def test_settings_from_an_image_without_them_is_a_clear_error(tmp_path, capsys):
    Image.new("RGB", (8, 8)).save(tmp_path / "holiday.png")
    assert main(["sample", "--settings-from", str(tmp_path / "holiday.png"), "--out", str(tmp_path / "out")]) == 2
    assert "holiday.png has no cUNet Studio settings" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_same_seed_gives_the_same_images(tmp_path):
    model = save_tiny_model(tmp_path / "tiny")
    for name in ("a", "b"):
        main(["sample", "--model", str(model), "-n", "2", "--sampler", "ddpm", "--steps", "4",
              "--out", str(tmp_path / name), "--device", "cpu"])
    for file in ("sample-000000.png", "sample-000001.png"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_trajectory_is_saved_as_animation_and_contact_sheet(tmp_path):
    model = save_tiny_model(tmp_path / "tiny")
    out = tmp_path / "out"
    assert main(["sample", "--model", str(model), "-n", "2", "--steps", "5", "--out", str(out),
                 "--trajectory", "--solver", "euler", "--device", "cpu"]) == 0
    gif = Image.open(out / "trajectory.gif")
    assert gif.n_frames == 6  # 5 steps + the final image
    assert Image.open(out / "trajectory.webp").n_frames >= 2  # WebP merges identical frames
    assert gif.size[0] >= SAVED_MIN_WIDTH
    sheet = np.asarray(Image.open(out / "trajectory-sheet.png").convert("L"))
    assert sheet.shape[1] >= SAVED_MIN_WIDTH
    label_margin = sheet[:, :20]  # the step labels left of the rows ("step 1/5  t=...")
    assert label_margin.min() < 100 and (label_margin == 255).mean() > 0.5


@pytest.mark.parametrize(
    "args,message",
    [
        (["sample", "--model", "no-such-model"], "no model named"),
        (["sample", "--model", "{model}", "--device", "cuda:7"], "not available"),
        (["sample", "--model", "{model}", "-n", "0"], "between 1 and"),
        (["sample", "--model", "{model}", "--solver", "rk4", "--solver-steps", "0"], "steps must be >= 1"),
        (["train", "--data", "{missing}", "--out", "{out}", "--steps", "1"], ""),
        (["sample", "--model", "{model}", "--steps", "0"], "sampler steps must be from 1"),
        (["sample", "--model", "{model}", "--eta", "1.5"], "eta must be from 0"),
        (["export", "{model}", "--out", "{out}", "--card", "[1]"], "--card must be a JSON object"),
        (["bench", "--models", ",", "--size", "8"], "--models names no network"),
        (["bench", "--rounds", "0", "--size", "8"], "--rounds must be at least 1"),
        (["bench", "--size", "0"], "--size must be at least 4"),
        (["bench", "--batch", "0", "--size", "8"], "--batch must be at least 1"),
        (["sample", "--model", "{model}", "--solver-steps", "4"], "need --solver"),
        (["sample", "--model", "{model}", "--solver", "dopri5", "--solver-steps", "2"], "chooses its own steps"),
        (["sample", "--model", "{model}", "--solver", "rk4", "--solver-tol", "0.01"], "fixed number of steps"),
        (["sample", "--model", "{model}", "--sampler", "ddpm", "--eta", "0.5"], "ddim sampler only"),
        (["sample", "--model", "{model}", "--solver-schedule", "euler:1@500,rk4:1", "--solver", "rk4"],
         "give it without --solver"),
        (["sample", "--model", "{model}", "--solver-schedule", "euler:1@500,rk4:1", "--solver-steps", "2"],
         "give it without --solver"),
        (["sample", "--model", "{model}", "--solver-schedule", "euler:1"], "is not NOISY@T,FINE"),
        (["sample", "--model", "{model}", "--solver-schedule", "euler:1@500,rk5:1"], "unknown ODE solver 'rk5'"),
        (["sample", "--model", "{model}", "--solver-schedule", "euler:1@1000,rk4:1"],
         "switches at t = 1000, outside this model's reverse process (t = 999 down to 0)"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    model = save_tiny_model(tmp_path / "tiny")
    filled = [a.format(model=model, missing=tmp_path / "missing.npz", out=tmp_path / "run") for a in args]
    assert main(filled) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    assert message in err


def test_bench_json_follows_the_contract():
    result = subprocess.run(
        [sys.executable, "-m", "engine", "bench", "--size", "16", "--batch", "1", "--rounds", "1", "--warmup", "0",
         "--models", "cunet-small,unet-small", "--json"],
        capture_output=True, text=True, check=True,
    )
    data = json.loads(result.stdout)
    assert data["size"] == 16 and data["batch"] == 1 and data["device"] == "cpu"
    assert [r["model"] for r in data["results"]] == ["cunet-small", "unet-small"]
    for row in data["results"]:
        assert row["params"] > 0 and row["macs"] > 0 and row["latency_ms"] > 0


def test_bench_bf16_times_each_network_in_both_precisions_in_one_rotation(capsys):
    assert main(["bench", "--size", "16", "--batch", "2", "--rounds", "2", "--warmup", "0", "--models", "cunet-small",
                 "--train", "--bf16", "--json", "--threads", "1"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert [r["model"] for r in rows] == ["cunet-small", "cunet-small bf16"]
    assert rows[0]["params"] == rows[1]["params"] and all(r["runs"] == 2 and r["latency_ms"] > 0 for r in rows)


def test_bench_bf16_autocast_really_computes_in_bfloat16():
    from engine.bench.network_cost import _forward

    class Recording(torch.nn.Module):  # called as the bench calls networks, (x, t)
        def __init__(self):
            super().__init__()
            self.layer, self.dtypes = torch.nn.Linear(4, 4), []

        def forward(self, x, t):
            out = self.layer(x)
            self.dtypes.append(out.dtype)
            return out

    network = Recording()
    for bf16 in (False, True):
        _forward(network, torch.randn(2, 4), torch.zeros(2), None, bf16)
    assert network.dtypes == [torch.float32, torch.bfloat16]


def test_models_and_info(capsys):
    assert main(["models", "--json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert "cpu" in info["devices"] and info["threads"] >= 1


def test_export_writes_a_half_precision_model_folder_with_card_changes(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny")
    out = tmp_path / "exported"
    assert main(["export", str(model), "--out", str(out), "--half", "--card", '{"description": "exported"}']) == 0
    card = json.loads((out / "model.json").read_text())["card"]
    assert card["description"] == "exported" and card["display_name"] == "tiny"
    assert main(["export", str(model), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_train_time_limit_stops_with_a_checkpoint_and_a_model_folder(tmp_path, capsys):
    data = two_level_npz(tmp_path / "data.npz")
    out = tmp_path / "run"
    network = json.dumps({"base_channels": 4, "channel_mults": [1, 2], "attention_levels": [], "time_embedding_dim": 8})
    code = main(["train", "--data", str(data), "--out", str(out), "--steps", "1000000", "--batch", "4",
                 "--size", "8", "--channels", "1", "--network", network, "--time-limit", "8", "--device", "cpu",
                 "--sample-every", "1000000", "--save-every", "1000000", "--val-fraction", "0"])
    assert code == 0
    assert "stopped at step" in capsys.readouterr().out
    assert list_checkpoints(out) and (out / "model" / "model.safetensors").exists()


def test_train_time_limit_must_be_positive(tmp_path, capsys):
    data = two_level_npz(tmp_path / "data.npz")
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "run"), "--steps", "1", "--size", "8",
                 "--time-limit", "0"]) == 2
    assert "--time-limit must be a positive" in capsys.readouterr().err


def test_train_stop_at_keeps_the_schedule_of_the_full_run(tmp_path):
    data = two_level_npz(tmp_path / "data.npz")
    network = json.dumps({"base_channels": 4, "channel_mults": [1, 2], "attention_levels": [], "time_embedding_dim": 8})
    common = ["--data", str(data), "--batch", "4", "--size", "8", "--channels", "1", "--network", network,
              "--warmup", "1", "--device", "cpu", "--val-fraction", "0", "--sample-every", "100"]
    assert main(["train", "--out", str(tmp_path / "cut"), "--steps", "6", "--stop-at", "3", *common]) == 0
    assert main(["train", "--out", str(tmp_path / "full"), "--steps", "6", *common]) == 0
    cut = [json.loads(line) for line in (tmp_path / "cut" / "log.jsonl").read_text().splitlines()]
    full = [json.loads(line) for line in (tmp_path / "full" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in cut] == [1, 2, 3]
    assert [r["lr"] for r in cut] == [r["lr"] for r in full[:3]] and full[2]["lr"] != full[5]["lr"]


TINY_TRAIN = ["--batch", "4", "--size", "8", "--channels", "1", "--warmup", "1", "--device", "cpu",
              "--val-fraction", "0", "--sample-every", "100", "--network",
              json.dumps({"base_channels": 4, "channel_mults": [1, 2], "attention_levels": [], "time_embedding_dim": 8})]


def test_train_resume_finds_relative_data_from_another_folder_and_refuses_other_data(tmp_path, monkeypatch, capsys):
    two_level_npz(tmp_path / "data.npz")
    other = two_level_npz(tmp_path / "other.npz")
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", "data.npz", "--out", "run", "--steps", "4", "--stop-at", "2", *TINY_TRAIN]) == 0
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["train", "--data", str(other), "--out", "../run", "--steps", "4", "--resume", *TINY_TRAIN]) == 2
    assert "this run trains on" in capsys.readouterr().err and len(list_checkpoints(tmp_path / "run")) == 1
    assert main(["train", "--data", "../data.npz", "--out", "../run", "--steps", "4", "--resume", *TINY_TRAIN]) == 0
    assert "finished at step 4/4" in capsys.readouterr().out
    (tmp_path / "data.npz").rename(tmp_path / "moved.npz")  # the stored data is gone: the given place is taken
    assert main(["train", "--data", "../moved.npz", "--out", "../run", "--steps", "5", "--resume", *TINY_TRAIN]) == 0
    assert json.loads((tmp_path / "run" / "config.json").read_text())["data"] == str(tmp_path / "moved.npz")


def test_train_resume_takes_keep_and_says_how_a_longer_cosine_schedule_moves(tmp_path, capsys):
    data = two_level_npz(tmp_path / "data.npz")
    common = ["--data", str(data), "--out", str(tmp_path / "run"), "--save-every", "1", *TINY_TRAIN]
    assert main(["train", "--steps", "4", "--keep", "5", *common]) == 0
    assert len(list_checkpoints(tmp_path / "run")) == 4
    capsys.readouterr()
    assert main(["train", "--steps", "8", "--resume", *common]) == 0  # without --keep: the run's own 5
    captured = capsys.readouterr()
    assert "only --steps, --keep" in captured.err
    assert "now spans 8 steps instead of 4: at step 4 it goes from 0.10x to 0.55x" in captured.out
    assert [step for step, _ in list_checkpoints(tmp_path / "run")] == [4, 5, 6, 7, 8]
    assert main(["train", "--steps", "9", "--keep", "2", "--resume", *common]) == 0
    assert [step for step, _ in list_checkpoints(tmp_path / "run")] == [8, 9]


def test_train_register_name_is_checked_before_training_and_a_stopped_run_says_it_was_not_registered(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path / "home"))
    data = two_level_npz(tmp_path / "data.npz")
    common = ["--data", str(data), "--steps", "4", *TINY_TRAIN]
    assert main(["train", "--out", str(tmp_path / "a"), "--register", "digits", *common]) == 2
    assert "already exists" in capsys.readouterr().err and not (tmp_path / "a").exists()
    assert main(["train", "--out", str(tmp_path / "b"), "--register", "mine", "--stop-at", "2", *common]) == 0
    assert "not registered as 'mine'" in capsys.readouterr().out
    assert main(["models"]) == 0 and "mine" not in capsys.readouterr().out


def test_train_stop_at_a_resumed_runs_step_takes_no_step(tmp_path, capsys):
    common = ["--data", str(two_level_npz(tmp_path / "data.npz")), "--out", str(tmp_path / "run"), "--steps", "6",
              *TINY_TRAIN]
    assert main(["train", "--stop-at", "3", *common]) == 0
    assert main(["train", "--stop-at", "3", "--resume", *common]) == 0
    assert [step for step, _ in list_checkpoints(tmp_path / "run")] == [3]
    assert "stopped at step 3/6" in capsys.readouterr().out


@pytest.mark.parametrize("limit", ["nan", "inf", "-1"])
def test_train_time_limit_must_be_finite_and_positive(tmp_path, capsys, limit):
    data = two_level_npz(tmp_path / "data.npz")
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "run"), "--steps", "1", "--size", "8",
                 "--time-limit", limit]) == 2
    assert "--time-limit must be a positive, finite" in capsys.readouterr().err and not (tmp_path / "run").exists()


def test_denoising_models_are_listed_as_such_and_refuse_to_generate(tmp_path, capsys, monkeypatch):
    spec = tiny_spec()
    denoiser = dataclasses.replace(spec, schedule=ScheduleConfig(kind="cosine", max_step=400))
    save_model_folder(tmp_path / "models" / "denoiser", denoiser, spec.build_network().state_dict())
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path))
    assert main(["models"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("denoiser"))
    assert " denoise " in line
    assert main(["sample", "--model", "denoiser", "-n", "1", "--out", str(tmp_path / "out")]) == 2
    assert "cannot generate images from pure noise" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_train_init_from_takes_the_models_architecture(tmp_path):
    data = two_level_npz(tmp_path / "data.npz")
    network = json.dumps({"base_channels": 4, "channel_mults": [1, 2], "attention_levels": [], "time_embedding_dim": 8})
    common = ["--data", str(data), "--batch", "4", "--size", "8", "--channels", "1", "--device", "cpu",
              "--val-fraction", "0", "--sample-every", "100", "--steps", "1"]
    assert main(["train", "--out", str(tmp_path / "a"), "--network", network, *common]) == 0
    assert main(["train", "--out", str(tmp_path / "b"), "--init-from", str(tmp_path / "a" / "model"), *common]) == 0
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    assert config["network_overrides"]["base_channels"] == 4 and config["init_from"].endswith("model")


def test_bench_measures_every_preset_including_the_noise_map_one():
    """engine bench calls networks as (x, t); the denoise preset gets its noise map from a
    uniform level there, and every preset is measurable."""
    from engine.bench.network_cost import build_preset, count_macs
    from engine.models import PRESETS

    x, t = torch.randn(1, 3, 32, 32), torch.tensor([10])  # the paper preset needs 2x2 at its bottleneck
    for preset in PRESETS:
        network = build_preset(preset, 3)
        assert count_macs(network, x, t) > 0, preset


def picture_files(folder, size=8):
    """An init picture (a 3:2 RGB photo) and a mask of its own size that regenerates the bottom half."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (2 * size, 3 * size, 3), dtype=np.uint8)).save(folder / "photo.png")
    mask = np.zeros((2 * size, 3 * size), np.uint8)
    mask[size:] = 255
    Image.fromarray(mask).save(folder / "mask.png")
    return folder / "photo.png", folder / "mask.png"


def test_sample_from_an_init_picture_says_how_it_was_fitted_and_records_it(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny")
    photo, _ = picture_files(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["sample", "--model", str(model), "--init", str(photo), "-n", "2", "--steps", "10", "--out", str(out),
                 "--device", "cpu", "--trajectory"]) == 0
    printed = capsys.readouterr().out
    assert "photo.png: converted to grey, cropped 24x16 to its centre 16x16, resized to 8x8" in printed
    assert "(ddim, 6 of 10 steps from t=599)" in printed  # the tiny model recommends ddim; default strength 0.6
    settings = json.loads(Image.open(out / "sample-000000.png").text["cunet-studio"])
    assert settings["strength"] == 0.6 and settings["steps"] == 10 and settings["mask"] is None
    assert settings["init"]["path"] == str(photo.resolve()) and len(settings["init"]["sha256"]) == 16
    assert Image.open(out / "trajectory.gif").n_frames == 1 + 6 + 1  # the picture, 6 steps, the result


def test_inpainting_keeps_the_unmasked_pixels_and_settings_from_makes_it_again(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny")
    photo, mask = picture_files(tmp_path / "in")
    first = tmp_path / "first"
    assert main(["sample", "--model", str(model), "--init", str(photo), "--mask", str(mask), "--sampler", "ddpm",
                 "--resample", "2", "--strength", "0.8", "-n", "2", "--steps", "5", "--out", str(first),
                 "--device", "cpu"]) == 0
    assert "(ddpm, 4 of 5 steps from t=799, resample 2)" in capsys.readouterr().out
    fitted = np.asarray(Image.open(photo).convert("L").crop((4, 0, 20, 16)).resize((8, 8), Image.Resampling.LANCZOS))
    made = np.asarray(Image.open(first / "sample-000001.png"))
    assert np.array_equal(made[:4], fitted[:4]) and not np.array_equal(made[4:], fitted[4:])

    again = tmp_path / "again"
    assert main(["sample", "--settings-from", str(first / "sample-000001.png"), "--out", str(again),
                 "--device", "cpu"]) == 0
    assert (again / "sample-000001.png").read_bytes() == (first / "sample-000001.png").read_bytes()

    Image.open(mask).transpose(Image.Transpose.FLIP_TOP_BOTTOM).save(mask)  # the mask changed since
    capsys.readouterr()
    assert main(["sample", "--settings-from", str(first / "sample-000001.png"), "--out", str(tmp_path / "changed"),
                 "--device", "cpu"]) == 0
    assert "warning: the mask" in capsys.readouterr().err

    photo.unlink()
    assert main(["sample", "--settings-from", str(first / "sample-000001.png"), "--out", str(tmp_path / "gone"),
                 "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "sample-000001.png was made from the init picture" in err and "not there any more" in err
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize("args, message", [
    (["--init", "{corrupt}"], "corrupt.png: "),
    (["--init", "{missing}"], "missing.png: file not found"),
    (["--init", "{photo}", "--mask", "{corrupt}"], "corrupt.png: "),
    (["--mask", "{mask}"], "--mask needs --init"),
    (["--strength", "0.5"], "need an init picture"),
    (["--init", "{photo}", "--strength", "1.5"], "strength must be from 0"),
    (["--init", "{photo}", "--mask", "{black}"], "nothing to regenerate"),
    (["--init", "{photo}", "--resample", "2"], "it needs a mask"),
    (["--init", "{photo}", "--mask", "{mask}", "--sampler", "ddim", "--resample", "2"], "ddpm sampler only"),
])
def test_a_bad_picture_or_setting_is_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    model = save_tiny_model(tmp_path / "tiny")
    photo, mask = picture_files(tmp_path / "in")
    (tmp_path / "in" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    Image.new("L", (24, 16), 0).save(tmp_path / "in" / "black.png")
    files = {"photo": photo, "mask": mask, "corrupt": tmp_path / "in" / "corrupt.png",
             "missing": tmp_path / "in" / "missing.png", "black": tmp_path / "in" / "black.png"}
    filled = [arg.format(**files) for arg in args]
    out = tmp_path / "out"
    assert main(["sample", "--model", str(model), "-n", "1", "--steps", "2", "--out", str(out), "--device", "cpu",
                 *filled]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and message in err
    assert not out.exists()


def test_strength_zero_writes_the_fitted_picture_back(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny")
    photo, _ = picture_files(tmp_path / "in")
    assert main(["sample", "--model", str(model), "--init", str(photo), "--strength", "0", "-n", "1",
                 "--out", str(tmp_path / "out"), "--device", "cpu", "--trajectory"]) == 0
    assert "no step at strength 0" in capsys.readouterr().out
    fitted = np.asarray(Image.open(photo).convert("L").crop((4, 0, 20, 16)).resize((8, 8), Image.Resampling.LANCZOS))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "sample-000000.png")), fitted)
