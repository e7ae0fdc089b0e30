"""TrainViewModel without a window: the run's states and what can be pressed in each, dropped
data, the run a Start makes, what events log, extra sample grids for a slow run, the end of a run,
and opening an earlier run folder."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from app.train.preview_schedule import PreviewSchedule
from app.train.view_model import (
    IDLE,
    NO_DATA,
    PAUSED,
    PAUSING,
    RUNNING,
    STOPPING,
    TrainingRefused,
    TrainViewModel,
    default_run_name,
    duration,
    runs_folder,
)
from engine.cli.main import main
from engine.training import TrainingConfig, TrainingProgress, TrainingSummary, resume_refusal
from helpers import two_level_npz


class Control:
    """Records what the page asked the run to do."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __getattr__(self, request: str):
        return lambda: self.asked.append(request)


def running(view_model: TrainViewModel) -> Control:
    view_model.started(now=0.0)
    view_model.control = Control()
    return view_model.control


def event(name: str, step: int = 5, **fields) -> TrainingProgress:
    return TrainingProgress(name, step, 100, **fields)


def test_what_can_be_pressed_in_each_state():
    view_model = TrainViewModel()
    idle = view_model.controls()
    assert (idle.inputs, idle.start, idle.start_text, idle.pause, idle.resume, idle.stop) == \
        (True, True, "Start", False, False, False)
    assert not idle.new_run and not idle.add_model and idle.status is None
    assert not view_model.pause() and not view_model.resume() and not view_model.stop()  # nothing runs

    control = running(view_model)
    now = view_model.controls()
    assert view_model.state == RUNNING and now.pause and now.stop and not now.start and not now.inputs
    assert view_model.pause() and view_model.state == PAUSING
    pausing = view_model.controls()
    assert not pausing.pause and not pausing.resume and pausing.stop and pausing.status.startswith("Pausing")
    assert view_model.event_arrived(event("paused")) == "Paused at step 5; checkpoint saved"
    assert view_model.state == PAUSED and view_model.controls().resume
    assert view_model.controls().status == "Paused (checkpoint saved)"
    assert view_model.resume() and view_model.state == RUNNING
    assert view_model.stop() and view_model.state == STOPPING and not view_model.controls().stop
    assert control.asked == ["request_pause", "request_resume", "request_stop"]


def test_dropped_data_is_taken_only_for_a_new_run(tmp_path):
    view_model = TrainViewModel()
    folder, npz, photo = tmp_path / "photos", tmp_path / "levels.npz", tmp_path / "one.png"
    folder.mkdir()
    npz.write_bytes(b"")
    photo.write_bytes(b"")
    assert view_model.take_dropped_data(folder) == (True, f"Training images: {folder}. Press Start to train on them.")
    assert view_model.take_dropped_data(npz)[0]
    assert view_model.take_dropped_data(photo) == (
        False, "one.png is not a folder or a .npz file: drop the folder of images to train on.")
    view_model.resume_dir = tmp_path / "run-1"
    assert view_model.take_dropped_data(folder) == (
        False, "run-1 trains on its own images: press New run to train on photos.")
    view_model.resume_dir = None
    running(view_model)
    taken, message = view_model.take_dropped_data(folder)
    assert not taken and "stop it first" in message


def test_a_start_needs_data_and_makes_a_new_run_folder_when_none_is_given(tmp_path, studio_home):
    view_model = TrainViewModel()
    with pytest.raises(TrainingRefused, match=re.escape(NO_DATA)):
        view_model.plan("  ", str(tmp_path / "run"))
    run = view_model.plan(f" {tmp_path / 'shapes.npz'} ", "")
    assert re.fullmatch(re.escape(str(studio_home / "runs" / "shapes-")) + r"\d{8}-\d{6}", run.out)
    assert run.data == str(tmp_path / "shapes.npz") and not run.resume
    assert run.card == {"display_name": "shapes", "description": "Trained in cUNet Studio on shapes.npz",
                        "dataset": "shapes.npz"}
    view_model.resume_dir = tmp_path / "run"
    assert view_model.plan("shapes.npz", str(tmp_path / "run")).resume
    assert re.fullmatch(r"run-\d{8}-\d{6}", default_run_name(""))


def test_runs_open_where_the_user_last_kept_them(tmp_path, studio_home):
    assert runs_folder(tmp_path) == tmp_path
    assert runs_folder(None) is None  # no runs folder yet: the dialog's own default
    (studio_home / "runs").mkdir(parents=True)
    assert runs_folder(None) == studio_home / "runs"


def test_training_events_become_log_lines():
    view_model = TrainViewModel()
    assert view_model.event_arrived(event("started", 0, message="16 images")) == "Started at step 0 of 100: 16 images"
    assert view_model.event_arrived(event("checkpoint", message="step-5")) == "Step 5: checkpoint saved (step-5)"
    assert view_model.event_arrived(event("resumed")) == "Continued at step 5"
    assert view_model.event_arrived(event("finished", 100)) == "Finished at step 100"
    assert view_model.event_arrived(event("stopped", 7)) == "Stopped at step 7"
    assert view_model.event_arrived(event("validation", val_loss=0.5)) is None  # the plot shows it
    assert view_model.event_arrived(event("paused")) == "Paused at step 5; checkpoint saved"
    assert view_model.state == IDLE  # a pause nobody asked for changes nothing


def test_a_slow_run_is_asked_for_a_sample_grid_once_per_interval_of_training():
    now = [0.0]
    view_model = TrainViewModel()
    view_model.previews = PreviewSchedule(interval_s=90, clock=lambda: now[0])
    control = running(view_model)
    view_model.event_arrived(event("started", 0))
    for now[0] in (30.0, 89.0, 91.0, 120.0, 182.0):
        assert view_model.steps_arrived()
    assert control.asked == ["request_samples", "request_samples"]  # at 91 and 182 s
    now[0] = 200.0
    view_model.grid_arrived()  # a grid that came anyway restarts the count
    now[0] = 289.0
    view_model.steps_arrived()
    assert len(control.asked) == 2
    view_model.pause()
    now[0] = 500.0
    assert not view_model.steps_arrived()  # pausing: no grid asked for, and the line says "Pausing"
    assert control.asked == ["request_samples", "request_samples", "request_pause"]


def test_the_end_of_a_run_says_what_happened_and_what_comes_next(tmp_path):
    view_model = TrainViewModel()
    run_dir, model_dir = tmp_path / "run", tmp_path / "run" / "model"
    summary = TrainingSummary(run_dir=run_dir, step=0, total_steps=100, stopped=True, model_dir=None,
                              final_loss=None, began=False)
    nothing = view_model.ended(summary, now=5.0)
    assert nothing.status == "Stopped before the first step: nothing was written" and not nothing.add_model
    assert view_model.resume_dir is None and not view_model.job_finished()

    running(view_model)
    stopped = view_model.ended(TrainingSummary(run_dir, 40, 100, True, model_dir, 0.1), now=50.0)
    assert stopped.status == "Stopped at step 40/100 (checkpoint saved)" and stopped.banner.startswith("Stopped at")
    assert not stopped.clear_run_path and not stopped.add_model
    assert view_model.job_finished() and view_model.state == IDLE and view_model.control is None
    assert view_model.controls().start_text == "Continue run" and view_model.controls().new_run
    assert view_model.controls().add_model  # the model so far can be added

    view_model.started(now=100.0)
    finished = view_model.ended(TrainingSummary(run_dir, 100, 100, False, model_dir, 0.1), now=100.0 + 3725)
    assert finished.status == "Finished: 100 steps in 1:02:05" and finished.add_model and finished.clear_run_path
    assert finished.log == f"Run folder: {run_dir}"
    assert not view_model.job_finished() and view_model.controls().start_text == "Start"
    assert view_model.model_added("levels") == "Added “levels” to your models: pick it on the Generate or Denoise page."
    assert not view_model.controls().add_model


def test_an_earlier_run_opens_with_its_history_and_latest_grid(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "samples").mkdir(parents=True)
    (run_dir / "config.json").write_text(TrainingConfig(data="levels.npz", out=str(run_dir), steps=50).to_json())
    (run_dir / "log.jsonl").write_text("".join(json.dumps({"step": s, "loss": 1.0 / s}) + "\n" for s in (1, 2, 3)))
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(run_dir / "samples" / "step-00000002.png")
    view_model = TrainViewModel()
    opened = view_model.open_run(run_dir)
    assert opened.reached == 3 and len(opened.log) == 3 and opened.config.steps == 50
    assert opened.grid.step == 2 and opened.note is None
    assert opened.message == "Opened run at step 3. Press Start to continue it."
    assert view_model.resume_dir == run_dir and view_model.controls().start_text == "Continue run"

    (run_dir / "samples" / "step-00000003.png").write_bytes(b"damaged")
    opened = view_model.open_run(run_dir)
    assert opened.grid is None and opened.note.startswith("The latest sample grid, step-00000003.png, cannot be shown")
    view_model.new_run()
    assert view_model.resume_dir is None and view_model.controls().start_text == "Start"


def test_a_continued_run_takes_the_forms_changes_and_refuses_others_as_engine_train_does(tmp_path, capsys):
    data, run_dir = two_level_npz(tmp_path / "data.npz"), tmp_path / "run"
    run_dir.mkdir()
    stored = TrainingConfig(data=str(data), out=str(run_dir), steps=6, keep_checkpoints=7, card={"dataset": "mine"})
    (run_dir / "config.json").write_text(stored.to_json())
    view_model = TrainViewModel()
    view_model.open_run(run_dir)
    run = view_model.plan(str(data), str(run_dir))
    continued = view_model.config(run, {"steps": 9, "save_every": 3}, "cpu")
    assert continued == stored.with_changes(steps=9, save_every=3, device="cpu")  # its own card and checkpoints kept

    expected = resume_refusal(stored, stored.with_changes(lr=1e-3))
    assert main(["train", "--data", str(data), "--out", str(run_dir), "--steps", "6", "--lr", "0.001", "--resume",
                 "--device", "cpu"]) == 2
    assert capsys.readouterr().err.endswith(f"error: {expected}\n")
    with pytest.raises(TrainingRefused) as refused:
        view_model.config(run, {"lr": 1e-3}, "cpu")
    assert str(refused.value) == expected and expected.startswith("a resumed run keeps its lr (0.0005, not 0.001)")

    other = two_level_npz(tmp_path / "other.npz")
    with pytest.raises(TrainingRefused, match=f"^this run trains on {re.escape(str(data))}, not"):
        view_model.config(view_model.plan(str(other), str(run_dir)), {}, "cpu")


def test_durations_read_as_a_clock():
    assert (duration(None), duration(59.9), duration(61)) == ("–", "0:59", "1:01")
    assert duration(3600 * 2 + 5) == "2:00:05"
