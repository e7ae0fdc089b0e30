"""Train page, driven as a user would: train on a tiny .npz, pause, continue, stop, continue the
run later, and find the finished model in the other pages' model pickers."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from app_helpers import drop
from helpers import two_level_npz
from PySide6.QtWidgets import QLineEdit

from app.generate.generate_page import GeneratePage
from app.train.preview_schedule import PreviewSchedule
from app.train.train_page import TrainPage
from app.train.training_form import FIRST_RUN_STEPS, TrainingForm
from app.train.training_work import SampleGrid, StepBatch
from engine.data import open_training_images
from engine.checkpoints import load_model
from engine.training import RESUMABLE_FIELDS, TrainingConfig, TrainingProgress, training_run
from engine.training.solver_mix import RECOMMENDED_KINETIC_WEIGHT, RECOMMENDED_MIX


def make_page(qtbot, context) -> TrainPage:
    page = TrainPage(context)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    return page


def tiny_form(page, data, run_dir, steps):
    page.data_path.setText(str(data))
    page.run_path.setText(str(run_dir))
    page.form.network_width.setValue(4)
    page.form.image_size.setValue(8)
    page.form.channels.setCurrentIndex(page.form.channels.findData(1))
    page.form.batch.setValue(4)
    page.form.steps.setValue(steps)
    page.form.warmup.setValue(1)
    page.form.save_every.setValue(1000)
    page.form.sample_every.setValue(5)
    page.form.validate_every.setValue(3)


def test_finished_run_is_plotted_and_its_model_appears_in_the_picker(qtbot, context, tmp_path, studio_home):
    generate = GeneratePage(context)
    qtbot.addWidget(generate)
    page = make_page(qtbot, context)
    tiny_form(page, two_level_npz(tmp_path / "levels.npz", count=16), tmp_path / "run", steps=10)
    context.dialogs.text = "<default>"
    with qtbot.waitSignal(page.registration_finished, timeout=60_000) as registered:
        page.start_button.click()
        assert page.state == "running" and not page.start_button.isEnabled() and page.pause_button.isEnabled()
    assert registered.args == ["levels"]
    assert page.state == "idle" and page.banner.kind == "info", page.banner.text()
    losses, validations = page.monitor.plot.point_counts()
    assert losses == 10 and validations == 4  # steps 3, 6, 9 and the last
    assert page.monitor.samples.has_image() and "step 10" in page.monitor.samples_caption.text()
    assert "10 steps of 4 = " in page.data_info.text() and "reproduce them" in page.data_info.text()
    assert (tmp_path / "run" / "model" / "model.json").exists()
    assert generate.picker.select("levels")
    assert "levels.npz" in generate.picker.details.text()

    # Start again: a new run in a new folder, not a refusal of the finished one's
    assert page.run_path.text() == "" and page.start_button.text() == "Start" and page.form.preset.isEnabled()
    context.dialogs.text = None
    with qtbot.waitSignal(page.training_done, timeout=60_000):
        page.start_button.click()
    assert page.banner.kind == "info" and "not added" in page.banner.text(), page.banner.text()
    assert [p.name.startswith("levels-") for p in (studio_home / "runs").iterdir()] == [True]


def test_pause_continue_stop_and_continue_the_run_later(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    run_dir = tmp_path / "run"
    tiny_form(page, two_level_npz(tmp_path / "levels.npz", count=16), run_dir, steps=100_000)
    page.start_button.click()
    qtbot.waitUntil(lambda: page.monitor.plot.point_counts()[0] >= 2, timeout=30_000)

    page.pause_button.click()
    assert page.state == "pausing" and not page.pause_button.isEnabled()
    qtbot.waitUntil(lambda: page.state == "paused", timeout=30_000)
    assert page.resume_button.isEnabled() and page.stop_button.isEnabled()
    assert list((run_dir / "checkpoints").glob("step-*.safetensors")), "pausing saves a checkpoint"
    paused_at = page.monitor.plot.point_counts()[0]

    page.resume_button.click()
    assert page.state == "running"
    qtbot.waitUntil(lambda: page.monitor.plot.point_counts()[0] > max(paused_at, 5), timeout=30_000)  # a sample grid

    context.dialogs.text = None  # stopping does not ask to register
    with qtbot.waitSignal(page.training_done, timeout=30_000):
        page.stop_button.click()
        assert page.state == "stopping"
    assert page.state == "idle" and "Stopped at step" in page.banner.text()
    assert page.monitor.register_button.isEnabled()
    assert page.start_button.text() == "Continue run" and page.new_run_button.isEnabled()
    assert not page.form.preset.isEnabled() and page.data_path.isEnabled()  # fixed network; its images may move
    assert context.dialogs.asked == []
    reached = page.monitor.plot.point_counts()[0]

    assert page.open_run(run_dir)
    assert not page.form.preset.isEnabled() and page.start_button.text() == "Continue run"
    assert page.monitor.plot.point_counts()[0] == reached
    assert page.monitor.samples.has_image(), "the run's latest sample grid is shown"
    page.form.steps.setValue(reached + 3)
    context.dialogs.text = "levels-continued"
    with qtbot.waitSignal(page.registration_finished, timeout=60_000):
        page.start_button.click()
    assert page.monitor.plot.point_counts()[0] == reached + 3
    assert "levels-continued" in context.catalog.names()


def test_missing_data_and_broken_run_folder_give_readable_errors(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    page.data_path.setText("")
    page.start_button.click()
    assert page.state == "idle" and "Choose the training images" in page.banner.text()

    page.data_path.setText(str(tmp_path / "missing.npz"))
    page.run_path.setText(str(tmp_path / "run"))
    with qtbot.waitSignal(page.training_done, timeout=30_000):
        page.start_button.click()
    assert page.banner.kind == "error" and "missing.npz" in page.banner.text()

    assert not page.open_run(tmp_path)
    assert "not a training run folder" in page.banner.text()


def test_a_dropped_folder_or_npz_becomes_the_training_data_only_when_a_new_run_can_start(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    folder = tmp_path / "my photos"
    folder.mkdir()
    drop(page, folder)
    assert page.data_path.text() == str(folder) and page.banner.kind == "info"

    photo = tmp_path / "one.png"
    photo.write_bytes(b"not used")
    drop(page, photo)
    assert page.banner.kind == "error" and "one.png is not a folder or a .npz file" in page.banner.text()
    assert page.data_path.text() == str(folder)

    data = two_level_npz(tmp_path / "levels.npz", count=16)
    drop(page, data)
    assert page.data_path.text() == str(data)

    tiny_form(page, data, tmp_path / "run", steps=100_000)
    page.start_button.click()
    drop(page, folder)
    assert page.banner.kind == "error" and "stop it first" in page.banner.text()
    assert page.data_path.text() == str(data)
    with qtbot.waitSignal(page.training_done, timeout=60_000):
        page.stop_training()


def test_a_run_stopped_at_once_then_failing_to_continue_stays_that_run(qtbot, context, tmp_path, monkeypatch):
    page = make_page(qtbot, context)
    data = two_level_npz(tmp_path / "levels.npz", count=16)
    tiny_form(page, data, tmp_path / "run", steps=100_000)
    context.dialogs.text = None
    stop_pressed = threading.Event()

    def slow_to_open(*args, **kwargs):  # a large folder: the stop comes while it is opened
        stop_pressed.wait(timeout=30)
        return open_training_images(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(training_run, "open_training_images", slow_to_open)
        with qtbot.waitSignal(page.training_done, timeout=60_000):
            page.start_button.click()
            page.stop_training()  # while the images are opened: nothing is written
            stop_pressed.set()
    assert page.monitor.progress.format() == "Stopped before the first step: nothing was written"
    assert not (tmp_path / "run").exists() and page.start_button.text() == "Start"

    with qtbot.waitSignal(page.training_done, timeout=60_000):
        page.start_button.click()
        qtbot.waitUntil((tmp_path / "run" / "config.json").exists, timeout=30_000)
        page.stop_training()  # at most a step in
    assert page.monitor.progress.format().startswith("Stopped at step"), page.monitor.progress.format()
    assert page.monitor.progress.maximum() > 0

    data.rename(tmp_path / "moved.npz")
    assert page.start_button.text() == "Continue run"
    with qtbot.waitSignal(page.training_done, timeout=60_000):
        page.start_button.click()
    assert page.banner.kind == "error" and "levels.npz" in page.banner.text(), page.banner.text()
    assert page.monitor.progress.format() == "Failed"
    # still that run: its fixed settings are not editable (editing them would be ignored) ...
    assert page.start_button.text() == "Continue run"
    assert not page.form.batch.isEnabled()
    # ... but its data can be pointed to its new place, and the run goes on from there
    assert page.data_path.isEnabled()
    page.data_path.setText(str(tmp_path / "moved.npz"))
    with qtbot.waitSignal(page.training_done, timeout=60_000):
        page.start_button.click()
        qtbot.waitUntil(lambda: "moved.npz" in (tmp_path / "run" / "config.json").read_text(), timeout=30_000)
        page.stop_training()
    assert page.banner.kind != "error", page.banner.text()

    # a run folder with stray and edited files still opens, and says what it skipped
    run_dir = tmp_path / "run"
    (run_dir / "samples").mkdir(exist_ok=True)
    (run_dir / "samples" / "step-final.png").write_bytes(b"not a grid of ours")
    (run_dir / "samples" / "step-00000007.png").write_bytes(b"damaged")
    with open(run_dir / "log.jsonl", "a", encoding="utf-8") as log:
        log.write('{"step": 8}\n[1, 2]\n')
    assert page.open_run(run_dir), page.banner.text()
    assert "step-00000007.png, cannot be shown" in page.monitor.events.item(page.monitor.events.count() - 1).text()
    (run_dir / "config.json").unlink()
    (run_dir / "config.json").mkdir()
    assert not page.open_run(run_dir)
    assert page.banner.kind == "error" and "cannot be read" in page.banner.text()


def test_continuing_a_run_keeps_its_own_number_of_checkpoints(qtbot, context, tmp_path):
    """The form has no checkpoint count: continuing must not prune to the default a run made with --keep 7."""
    from engine.training import DEFAULT_KEEP_CHECKPOINTS, TrainingConfig

    page = make_page(qtbot, context)
    fresh = page.view_model.config(page.view_model.plan("data.npz", str(tmp_path / "a")), page.form.settings(), "cpu")
    assert fresh.keep_checkpoints == DEFAULT_KEEP_CHECKPOINTS
    (tmp_path / "b").mkdir()
    stored = TrainingConfig(data="data.npz", out=str(tmp_path / "b"), keep_checkpoints=7)
    (tmp_path / "b" / "config.json").write_text(stored.to_json())
    assert page.open_run(tmp_path / "b")
    continued = page.view_model.plan("data.npz", str(tmp_path / "b"))
    assert page.view_model.config(continued, page.form.settings(), "cpu").keep_checkpoints == 7


def test_the_form_starts_at_the_engines_defaults_and_continues_a_run_changing_only_what_a_resume_may(qtbot):
    form = TrainingForm()
    qtbot.addWidget(form)
    settings = form.settings()
    assert settings.pop("steps") == FIRST_RUN_STEPS and settings.pop("network_overrides") == {}  # the preset's width
    assert settings == {name: TrainingConfig.default(name) for name in settings}
    form.show_run(TrainingConfig(data="data.npz", out="run", preset="unet-small", lr=1e-3, steps=50), reached_step=3)
    assert form.settings() == {"steps": 50, "save_every": 500, "sample_every": 500, "validate_every": 250}
    assert set(form.settings()) <= set(RESUMABLE_FIELDS)
    assert not form.preset.isEnabled() and not form.lr.isEnabled() and form.steps.isEnabled()
    form.set_locked(False)
    assert form.settings()["preset"] == "unet-small" and form.lr.isEnabled()


def test_classes_and_their_balance_are_set_together_and_fixed_when_a_run_continues(qtbot):
    form = TrainingForm()
    qtbot.addWidget(form)
    assert form.classes.currentData() is False and not form.class_balance.isEnabled()
    form.classes.setCurrentIndex(form.classes.findData(True))
    assert form.class_balance.isEnabled()
    form.class_balance.setValue(0.5)
    assert (form.settings()["classes"], form.settings()["class_balance"]) == (True, 0.5)
    form.classes.setCurrentIndex(form.classes.findData(False))  # a balance left behind would make the run invalid
    assert not form.class_balance.isEnabled() and form.settings()["class_balance"] == 0.0
    form.show_run(TrainingConfig(data="data.npz", out="run", classes=True, class_balance=0.75), reached_step=3)
    assert form.classes.currentData() is True and form.class_balance.value() == 0.75
    assert not form.classes.isEnabled() and not form.class_balance.isEnabled()
    assert "classes" not in form.settings() and "class_balance" not in form.settings()


def test_training_for_the_dial_sets_the_bundled_models_mix_for_a_cunet_only_and_is_fixed_when_continuing(qtbot):
    form = TrainingForm()
    qtbot.addWidget(form)
    assert not form.dial.isChecked() and form.dial.isEnabled()  # off, as the engine's default
    form.dial.setChecked(True)
    assert (form.settings()["solver_mix"], form.settings()["kinetic_weight"]) == (RECOMMENDED_MIX,
                                                                                 RECOMMENDED_KINETIC_WEIGHT)
    form.preset.setCurrentIndex(form.preset.findData("unet-small"))  # no ODE blocks: nothing to mix
    assert not form.dial.isEnabled() and (form.settings()["solver_mix"], form.settings()["kinetic_weight"]) == ("", 0.0)
    form.show_run(TrainingConfig(data="data.npz", out="run", solver_mix="euler:1,midpoint:1"), reached_step=3)
    assert form.dial.isChecked() and not form.dial.isEnabled()
    assert "solver_mix" not in form.settings() and "kinetic_weight" not in form.settings()
    form.show_run(TrainingConfig(data="data.npz", out="run"), reached_step=3)
    assert not form.dial.isChecked()


def test_a_run_trained_for_the_dial_makes_a_model_trained_for_every_solver(qtbot, context, tmp_path, studio_home):
    page = make_page(qtbot, context)
    tiny_form(page, two_level_npz(tmp_path / "levels.npz", count=16), tmp_path / "run", steps=4)
    page.form.dial.setChecked(True)
    context.dialogs.text = "<default>"
    with qtbot.waitSignal(page.registration_finished, timeout=60_000):
        page.start_button.click()
    assert page.banner.kind == "info", page.banner.text()
    config = TrainingConfig.load(tmp_path / "run")
    assert (config.solver_mix, config.kinetic_weight) == (RECOMMENDED_MIX, RECOMMENDED_KINETIC_WEIGHT)
    spec = load_model(tmp_path / "run" / "model").spec
    assert spec.trained_solvers_label() == "euler × 1, midpoint × 1, rk4 × 1 and rk4 × 2"


def test_a_run_with_classes_makes_a_model_that_generate_asks_for_a_class(qtbot, context, tmp_path, studio_home):
    generate = GeneratePage(context)
    qtbot.addWidget(generate)
    page = make_page(qtbot, context)
    tiny_form(page, two_level_npz(tmp_path / "levels.npz", count=16), tmp_path / "run", steps=4)
    page.form.classes.setCurrentIndex(page.form.classes.findData(True))
    page.form.class_balance.setValue(1.0)
    context.dialogs.text = "<default>"
    with qtbot.waitSignal(page.registration_finished, timeout=60_000):
        page.start_button.click()
    assert page.banner.kind == "info", page.banner.text()
    assert TrainingConfig.load(tmp_path / "run").class_balance == 1.0
    assert generate.picker.select("levels")
    choices = [generate.class_controls.choice.itemText(i) for i in range(generate.class_controls.choice.count())]
    assert choices[-2:] == ["0", "1"] and generate.class_controls.isVisibleTo(generate)


def test_classes_on_images_without_any_is_an_error_on_the_page_that_writes_no_run(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    np.savez(tmp_path / "plain.npz", images=np.zeros((16, 8, 8), np.uint8))
    tiny_form(page, tmp_path / "plain.npz", tmp_path / "run", steps=4)
    page.form.classes.setCurrentIndex(page.form.classes.findData(True))
    with qtbot.waitSignal(page.training_done, timeout=60_000):
        page.start_button.click()
    assert page.banner.kind == "error" and "class labels" in page.banner.text() and "\n" not in page.banner.text()
    assert not (tmp_path / "run").exists() and page.state == "idle"


def test_a_long_data_path_shows_its_folder_name_and_the_data_summary_stays_readable(qtbot, context, tmp_path):
    folder = tmp_path / ("a-very-long-folder-name-" * 4)
    folder.mkdir()
    data = two_level_npz(folder / "levels.npz", count=16)
    page = make_page(qtbot, context)
    tiny_form(page, data, tmp_path / "run", steps=100_000)
    shown = QLineEdit.text(page.data_path)  # what the box displays
    assert page.data_path.text() == str(data) and shown != str(data)
    assert shown.startswith(str(tmp_path)[:4]) and shown.endswith("levels.npz") and "…" in shown
    assert page.data_path.toolTip().startswith(str(data))
    page.start_button.click()
    qtbot.waitUntil(lambda: "reproduce them" in page.data_info.text(), timeout=30_000)
    assert not page.data_path.isEnabled() and page.data_info.isEnabled()  # the warning is not greyed out
    with qtbot.waitSignal(page.training_done, timeout=60_000):
        page.stop_training()
    assert page.data_path.isEnabled()


def test_a_slow_run_is_asked_for_a_sample_grid_every_interval(qtbot, context, monkeypatch):
    now = [0.0]
    requests = []
    page = make_page(qtbot, context)
    page.view_model.previews = PreviewSchedule(interval_s=90, clock=lambda: now[0])
    page.view_model.state = "running"
    page.view_model.control = type("Control", (), {"request_samples": lambda self: requests.append(now[0])})()
    step = TrainingProgress("step", 1, 1000, loss=1.0, images_per_second=1.0, eta_seconds=1.0)
    page._on_progress(TrainingProgress("started", 0, 1000, message="data"))
    for now[0] in (30.0, 89.0, 91.0, 120.0, 182.0):
        page._on_progress(StepBatch([step]))
    assert requests == [91.0, 182.0]
    now[0] = 200.0
    page._on_progress(SampleGrid(500, np.zeros((4, 4, 3), np.uint8), Path("step-00000500.png")))
    now[0] = 289.0
    page._on_progress(StepBatch([step]))
    assert requests == [91.0, 182.0]  # a grid that came anyway restarts the count
    page.view_model.state = "idle"  # stepped down by the page before it takes away the control


def test_preview_schedule_counts_from_the_start_and_asks_once_per_interval():
    now = [100.0]
    schedule = PreviewSchedule(interval_s=60, clock=lambda: now[0])
    assert not schedule.take_due()  # not started: nothing is due
    schedule.start()
    now[0] = 159.0
    assert not schedule.take_due()
    now[0] = 160.0
    assert schedule.take_due() and not schedule.take_due()
    now[0] = 221.0
    assert schedule.take_due()  # unanswered: asked again an interval later
