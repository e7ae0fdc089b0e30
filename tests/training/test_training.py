import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.checkpoints import list_checkpoints, load_model
from engine.errors import ConfigError, ModelLoadError
from engine.generate import GenerationRequest, generate, resolved_sampler
from engine.imaging import SAVED_MIN_WIDTH
from engine.training import TrainingConfig, TrainingControl, train
from engine.training.preview_grid import SAMPLE_SAMPLER, SAMPLE_STEPS
from engine.training.state import load_checkpoint
from helpers import two_level_npz

TINY_NETWORK = {"base_channels": 4, "channel_mults": [2, 4], "attention_levels": []}


def tiny_config(tmp_path: Path, out: str = "run", **changes) -> TrainingConfig:
    data = two_level_npz(tmp_path / "data.npz") if not (tmp_path / "data.npz").exists() else tmp_path / "data.npz"
    values = dict(
        data=str(data), out=str(tmp_path / out), network_overrides=TINY_NETWORK, image_size=8, channels=1,
        steps=6, batch_size=8, lr=1e-3, warmup_steps=2, save_every=3, sample_every=100, validate_every=3,
        sample_count=4, hflip=False, device="cpu",
    )
    values.update(changes)
    return TrainingConfig(**values)


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(list_checkpoints(run_dir)[-1][1]))


def weights_after_a_stop_and_resume(config: TrainingConfig, stop_at: int = 3) -> dict[str, torch.Tensor]:
    """The final checkpoint of `config`'s run trained in two parts: stopped (as the Stop button
    does) after step `stop_at`, then resumed to its end."""
    control = TrainingControl()

    def stop_there(event):
        if event.event == "step" and event.step == stop_at:
            control.request_stop()

    assert train(config, progress=stop_there, control=control).step == stop_at
    train(config, resume=True)
    return weights(Path(config.out))


def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path):
    straight = train(tiny_config(tmp_path, "straight"))
    assert straight.step == 6 and not straight.stopped
    a, b = weights(tmp_path / "straight"), weights_after_a_stop_and_resume(tiny_config(tmp_path, "split", steps=6))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "model, EMA and optimizer state must all match"
    log = [json.loads(line) for line in (tmp_path / "split" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 7))


def test_a_denoising_model_previews_noisy_and_denoised_rows(tmp_path):
    train(tiny_config(tmp_path, steps=2, sample_every=2, sample_count=8, max_step=300))
    saved = np.asarray(Image.open(tmp_path / "run" / "samples" / "step-00000002.png"))
    padding, size = 2, 8
    width = 4 * (size + padding) + padding
    factor = -(-SAVED_MIN_WIDTH // width)  # saved enlarged by whole-pixel repetition
    assert saved.shape[:2] == (factor * (2 * (size + padding) + padding), factor * width)
    preview = saved[::factor, ::factor]
    assert np.array_equal(np.repeat(np.repeat(preview, factor, axis=0), factor, axis=1), saved)
    noisy_row = preview[padding : padding + size, padding : padding + size].astype(float)
    denoised_row = preview[2 * padding + size : 2 * padding + 2 * size, padding : padding + size].astype(float)
    assert noisy_row.std() > 5 and not np.array_equal(noisy_row, denoised_row)


def test_run_folder_is_self_describing(tmp_path):
    summary = train(tiny_config(tmp_path, sample_every=6))
    run = tmp_path / "run"
    assert json.loads((run / "config.json").read_text())["steps"] == 6
    assert (run / "samples" / "step-00000006.png").exists()
    assert [s for s, _ in list_checkpoints(run)] == [3, 6]
    model = load_model(summary.model_dir)
    assert model.spec.card["training"]["steps"] == 6
    assert model.spec.card["training"]["preset"] == tiny_config(tmp_path).preset
    assert load_model(run).spec == load_model(list_checkpoints(run)[-1][1]).spec


def test_a_run_recommends_the_sampler_its_previews_use(tmp_path):
    """`engine sample --model RUN` (the latest checkpoint) and the run's model folder sample as the
    preview grids do; a recommendation given with --card wins."""
    summary = train(tiny_config(tmp_path, steps=2))
    previews = (SAMPLE_SAMPLER, SAMPLE_STEPS)
    assert resolved_sampler(load_model(tmp_path / "run").spec, GenerationRequest()) == previews
    assert load_model(summary.model_dir).spec.recommended_sampler() == previews
    own = train(tiny_config(tmp_path, "own", steps=2, card={"recommended": {"sampler": "ddim", "steps": 7}}))
    assert load_model(own.model_dir).spec.recommended_sampler() == ("ddim", 7)


def test_new_run_refuses_to_overwrite_and_resume_needs_a_checkpoint(tmp_path):
    train(tiny_config(tmp_path, steps=1))
    with pytest.raises(ConfigError, match="already holds"):
        train(tiny_config(tmp_path, steps=2))
    with pytest.raises(ConfigError, match="not a training run"):
        train(tiny_config(tmp_path, "empty"), resume=True)


def test_stop_saves_a_checkpoint_and_resume_finishes(tmp_path):
    control = TrainingControl()
    events = []

    def progress(event):
        events.append(event.event)
        if event.event == "step" and event.step == 2:
            control.request_stop()

    summary = train(tiny_config(tmp_path, steps=50, save_every=100), progress=progress, control=control)
    assert summary.stopped and summary.step == 2
    assert [s for s, _ in list_checkpoints(tmp_path / "run")] == [2]
    assert events[-1] == "stopped"
    assert train(tiny_config(tmp_path, steps=4), resume=True).step == 4


def test_pause_saves_and_waits_until_resumed(tmp_path):
    control = TrainingControl()
    events = []
    paused = threading.Event()

    def progress(event):
        events.append((event.event, event.step))
        if event.event == "step" and event.step == 1:
            control.request_pause()
        if event.event == "paused":
            paused.set()

    worker = threading.Thread(target=train, args=(tiny_config(tmp_path, steps=3, save_every=100),),
                              kwargs={"progress": progress, "control": control})
    worker.start()
    assert paused.wait(60)
    time.sleep(0.3)
    assert worker.is_alive() and ("step", 2) not in events
    assert [s for s, _ in list_checkpoints(tmp_path / "run")] == [1]
    control.request_resume()
    worker.join(60)
    assert ("resumed", 1) in events and events[-1] == ("finished", 3)


def test_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    train(tiny_config(tmp_path, steps=3))
    run = tmp_path / "run"
    before = (list_checkpoints(run)[-1][1]).read_bytes()

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("engine.atomic.os.replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        train(tiny_config(tmp_path, steps=6), resume=True)
    assert [s for s, _ in list_checkpoints(run)] == [3]
    assert list_checkpoints(run)[-1][1].read_bytes() == before
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_sigkill_during_saves_leaves_a_readable_checkpoint(tmp_path):
    config = tiny_config(tmp_path, steps=100_000, save_every=1, validate_every=100_000, keep_checkpoints=2)
    command = [sys.executable, "-m", "engine", "train", "--data", config.data, "--out", config.out, "--steps", "100000",
               "--batch", "8", "--size", "8", "--channels", "1", "--no-flip", "--save-every", "1",
               "--sample-every", "100000", "--validate-every", "100000", "--keep", "2", "--device", "cpu",
               "--network", json.dumps(TINY_NETWORK)]
    run = Path(config.out)
    for attempt in range(3):
        process = subprocess.Popen(command + (["--resume"] if attempt else []), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        start = max([s for s, _ in list_checkpoints(run)], default=0)
        while time.time() < deadline and max([s for s, _ in list_checkpoints(run)], default=0) < start + 3:
            time.sleep(0.05)
        time.sleep(0.01 * attempt)  # land at different points of a save
        process.send_signal(signal.SIGKILL)
        process.wait()
        checkpoints = list_checkpoints(run)
        assert checkpoints, "a checkpoint must survive the kill"
        load_model(checkpoints[-1][1])  # every listed checkpoint is complete
    spec_model = load_model(run)
    assert spec_model.spec.channels == 1


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no SIGTERM to send a process")
def test_sigterm_stops_a_cli_run_after_its_step_with_a_checkpoint(tmp_path):
    """`kill`, a shutdown or a job scheduler sends SIGTERM: the run must stop as Ctrl-C stops it,
    saving where it stands, not die with its last few hundred steps unsaved."""
    config = tiny_config(tmp_path, steps=100_000)
    command = [sys.executable, "-m", "engine", "train", "--data", config.data, "--out", config.out, "--steps", "100000",
               "--batch", "8", "--size", "8", "--channels", "1", "--no-flip", "--save-every", "100000",
               "--sample-every", "100000", "--validate-every", "100000", "--device", "cpu", "--threads", "1",
               "--network", json.dumps(TINY_NETWORK)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    log = Path(config.out) / "log.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 3):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    last_logged = json.loads(log.read_text().splitlines()[-1])["step"]
    assert [step for step, _ in list_checkpoints(Path(config.out))] == [last_logged]
    assert f"stopped at step {last_logged}/100000" in output


def test_folder_with_bad_files_trains_on_the_good_ones(tmp_path):
    folder = tmp_path / "pictures"
    (folder / "nested").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8)).save(folder / "nested" / f"good{i}.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.txt").write_text("not an image")
    summary = train(tiny_config(tmp_path, data=str(folder), channels=3, steps=2, validation_fraction=0.2))
    assert summary.step == 2
    skipped = (tmp_path / "run" / "skipped.txt").read_text().splitlines()
    assert sorted(Path(line.split("\t")[0]).name for line in skipped) == ["corrupt.png", "empty.jpg"]


def test_training_checkpoint_of_another_architecture_is_refused(tmp_path):
    train(tiny_config(tmp_path, steps=1))
    other = tiny_config(tmp_path, "other", network_overrides=TINY_NETWORK | {"base_channels": 8})
    from engine.training.ema import EMA
    from engine.training import model_spec_for

    network = model_spec_for(other).build_network()
    optimizer = torch.optim.AdamW(network.parameters())
    with pytest.raises(ModelLoadError, match="architecture"):
        load_checkpoint(list_checkpoints(tmp_path / "run")[-1][1], network, EMA(network, 0.9), optimizer)


def _rewrite_latest(run_dir: Path, edit) -> None:
    """Rewrite the latest checkpoint as a valid safetensors file with some part changed."""
    from engine.checkpoints.weights import read_metadata, read_tensors, write_tensors

    path = list_checkpoints(run_dir)[-1][1]
    tensors, metadata = read_tensors(path), read_metadata(path)
    edit(tensors, metadata)
    write_tensors(path, tensors, metadata)


def _drop(prefix):
    def edit(tensors, metadata):
        for key in [k for k in tensors if k.startswith(prefix)]:
            del tensors[key]
    return edit


def _cut_state(tensors, metadata):
    metadata["training_state"] = metadata["training_state"][:20]


@pytest.mark.parametrize("edit, message", [(_drop("ema."), "EMA weights do not match"),
                                           (_drop("optim."), "optimizer state is incomplete"),
                                           (_cut_state, "training state is damaged")])
def test_a_damaged_checkpoint_is_refused_naming_the_earlier_one_to_go_on_from(tmp_path, edit, message):
    train(tiny_config(tmp_path, steps=6, save_every=3))
    _rewrite_latest(tmp_path / "run", edit)
    with pytest.raises(ModelLoadError, match=message) as raised:
        train(tiny_config(tmp_path, steps=8, save_every=3), resume=True)
    assert "continue from the checkpoint of step 3" in str(raised.value)
    assert [step for step, _ in list_checkpoints(tmp_path / "run")] == [3, 6]


def test_a_stop_asked_for_while_the_data_opens_writes_nothing(tmp_path):
    control = TrainingControl()
    control.request_stop()
    summary = train(tiny_config(tmp_path), control=control)
    assert not summary.began and summary.stopped and summary.step == 0
    assert not (tmp_path / "run").exists()


def test_seeds_outside_the_range_every_generator_takes_are_refused(tmp_path):
    for seed in (-1, 2**31):
        with pytest.raises(ConfigError, match="seed must be between 0 and 2,147,483,647"):
            tiny_config(tmp_path, seed=seed)


@pytest.mark.slow
def test_end_to_end_training_learns_the_data(tmp_path):
    """Flat grey images at two levels (0.2 and 0.8): after a short training run the sampler must
    produce flat images near those levels, in both modes. An untrained or broken model cannot."""
    config = tiny_config(tmp_path, steps=400, batch_size=32, lr=2e-3, warmup_steps=20, save_every=400,
                         validate_every=400, network_overrides={"base_channels": 8, "channel_mults": [2, 4], "attention_levels": []})
    summary = train(config)
    model = load_model(summary.model_dir)
    images = generate(model, GenerationRequest(count=64, seed=0, sampler="ddpm", steps=100, batch_size=64)).images
    pixels = images.astype(np.float32) / 255
    means, stds = pixels.mean(axis=(1, 2, 3)), pixels.std(axis=(1, 2, 3))
    assert np.median(stds) < 0.08, "samples should be flat like the data"
    near_level = (np.abs(means - 0.2) < 0.12) | (np.abs(means - 0.8) < 0.12)
    assert near_level.mean() > 0.75
    dark = (means < 0.5).mean()
    assert 0.2 < dark < 0.8, "both modes must be generated"


def test_training_without_a_validation_split(tmp_path):
    summary = train(tiny_config(tmp_path, steps=3, validation_fraction=0.0))
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert summary.step == 3 and not any("val_loss" in r for r in log)


def test_gradient_accumulation_matches_the_full_batch(tmp_path):
    """Two micro-batches of 4 average to the loss (and gradient) of one batch of 8. Weights are
    not compared: AdamW's first steps turn float round-off in near-zero gradients into +-lr."""
    losses = {}
    for name, accumulation in (("whole", 1), ("split", 2)):
        train(tiny_config(tmp_path, name, steps=3, grad_accumulation=accumulation))
        log = (tmp_path / name / "log.jsonl").read_text().splitlines()
        losses[name] = [json.loads(line)["loss"] for line in log]
    assert losses["whole"][0] == pytest.approx(losses["split"][0], rel=1e-5)
    assert losses["whole"] == pytest.approx(losses["split"], rel=2e-2)


def test_bf16_autocast_trains(tmp_path):
    summary = train(tiny_config(tmp_path, steps=2, bf16=True))
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert summary.step == 2 and all(np.isfinite(r["loss"]) for r in log)


@pytest.mark.slow
@pytest.mark.parametrize("options", [{}, {"solver_mix": "euler:1,midpoint:1", "kinetic_weight": 0.1}])
def test_compiled_training_matches_eager_losses(tmp_path, options):
    """torch.compile (static shapes) must train the same model: first-step losses agree, also when
    every step passes the network its solver and a kinetic-energy record."""
    eager = train(tiny_config(tmp_path, "eager", steps=2, **options))
    compiled = train(tiny_config(tmp_path, "compiled", steps=2, compile=True, **options))
    assert compiled.step == eager.step == 2
    losses = {}
    for name in ("eager", "compiled"):
        losses[name] = [json.loads(line)["loss"] for line in (tmp_path / name / "log.jsonl").read_text().splitlines()]
    assert losses["compiled"][0] == pytest.approx(losses["eager"][0], rel=1e-4)


def test_init_from_starts_a_new_run_at_the_given_model_weights(tmp_path):
    source = train(tiny_config(tmp_path, "source", steps=3)).model_dir
    tuned = train(tiny_config(tmp_path, "tuned", steps=1, lr=1e-12, warmup_steps=1, ema_decay=0.0,
                              init_from=str(source)))
    scratch = train(tiny_config(tmp_path, "scratch", steps=1, lr=1e-12, warmup_steps=1, ema_decay=0.0))
    start = load_model(source).network.state_dict()
    after = load_model(tuned.model_dir).network.state_dict()
    fresh = load_model(scratch.model_dir).network.state_dict()
    assert all(torch.allclose(after[k], start[k], atol=1e-6) for k in start)
    assert not all(torch.allclose(fresh[k], start[k], atol=1e-6) for k in start)


def test_a_network_for_other_channels_than_the_run_is_refused_before_the_run_folder(tmp_path):
    """--init-from a greyscale model (its whole network config, in_channels 1, as overrides) for a
    colour run failed at the first forward pass with a traceback, after writing the run folder."""
    with pytest.raises(ConfigError, match="1-channel images but this run trains on 3-channel"):
        train(tiny_config(tmp_path, "colour", channels=3, network_overrides=dict(TINY_NETWORK, in_channels=1)))
    assert not (tmp_path / "colour").exists()


def test_init_from_a_model_of_another_architecture_is_refused(tmp_path):
    source = train(tiny_config(tmp_path, "source", steps=1)).model_dir
    other = dict(TINY_NETWORK, time_embedding_dim=32)
    with pytest.raises(ConfigError, match="time_embedding_dim"):
        train(tiny_config(tmp_path, "other", network_overrides=other, init_from=str(source)))
    assert not (tmp_path / "other" / "config.json").exists()


def test_a_fine_tune_recommends_its_parents_sampler_steps_and_guidance_not_its_measurements(tmp_path):
    """A fine-tune of a bundled model used to recommend the preview grids' ddpm 25 (a run from
    scratch's), so sampling it by name made worse images than its parent's card promised."""
    parent_card = {"recommended": {"sampler": "dpmpp-2m-sde", "steps": 20, "guidance": 1.5,
                                   "class_guidance": {"Star": 1.0}, "solver_schedule": "euler:1@800,midpoint:1"},
                   "quality": {"FD": 3.0}}
    parent = train(tiny_config(tmp_path, "parent", steps=1, card=parent_card)).model_dir
    tuned = train(tiny_config(tmp_path, "tuned", steps=1, init_from=str(parent)))
    card = load_model(tuned.model_dir).spec.card
    assert card["recommended"] == {"sampler": "dpmpp-2m-sde", "steps": 20, "guidance": 1.5,
                                   "class_guidance": {"Star": 1.0}}
    assert "quality" not in card
    assert json.loads((tuned.run_dir / "config.json").read_text())["card"] == {"recommended": card["recommended"]}, \
        "stored with the run's settings: a resumed run does not read its parent again"
    own = {"recommended": {"sampler": "ddim", "steps": 50}}
    chosen = train(tiny_config(tmp_path, "chosen", steps=1, init_from=str(parent), card=own))
    assert load_model(chosen.model_dir).spec.card["recommended"] == own["recommended"]
    scratch = train(tiny_config(tmp_path, "scratch", steps=1))
    assert load_model(scratch.model_dir).spec.card["recommended"] == {"sampler": "ddpm", "steps": 25}
