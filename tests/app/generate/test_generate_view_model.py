"""GenerateViewModel without a window: the request the controls make, what can be pressed while
it runs, the progress and outcome lines, and loading the settings saved in a PNG."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.generate.generation_work import LiveFrame, WeightsCheck
from app.generate.view_model import (
    BUSY_MESSAGE,
    MAX_SEED,
    Enabled,
    GenerateViewModel,
    GenerationSettings,
    SettingsNotLoaded,
    enabled,
    live_caption,
    uses_eta,
)
from engine.generate import GenerationResult
from engine.generation_record import GenerationRecord
from engine.imaging import save_png
from engine.models import SolverSettings

RK4 = SolverSettings("rk4", steps=2)


def settings(sampler: str = "ddim", eta: float = 0.5, count: int = 3) -> GenerationSettings:
    return GenerationSettings(seed=7, count=count, sampler=sampler, steps=12, eta=eta, solver=RK4)


def frame(done: int, total: int = 102, first_image: int = 0, batch: int = 1) -> LiveFrame:
    sheet = np.zeros((8, 8, 1), np.uint8)
    return LiveFrame(done=done, total=total, step=done, steps=total, t=999, first_image=first_image, batch=batch,
                     x_t=sheet, predicted_x0=sheet)


def saved_image(path, record: GenerationRecord):
    save_png(path, Image.new("L", (8, 8)), record.png_text())
    return path


def test_eta_is_sent_only_to_the_sampler_that_uses_it():
    view_model = GenerateViewModel()
    ddim = view_model.start("digits", settings("ddim", eta=0.5), now=0.0)
    assert (ddim.sampler, ddim.eta, ddim.seed, ddim.count, ddim.steps, ddim.solver) == ("ddim", 0.5, 7, 3, 12, RK4)
    assert ddim.keep_trajectory  # the page scrubs every step afterwards
    ddpm = view_model.start("digits", settings("ddpm", eta=0.5), now=0.0)
    assert ddpm.eta == 0.0
    assert uses_eta("ddim") and not uses_eta("ddpm")


def test_nothing_but_cancel_while_generating_and_nothing_without_a_model():
    assert enabled(busy=True, has_model=True) == Enabled(inputs=False, model_choice=False, generate=False, cancel=True)
    assert enabled(busy=False, has_model=True) == Enabled(inputs=True, model_choice=True, generate=True, cancel=False)
    idle_without_model = enabled(busy=False, has_model=False)
    assert idle_without_model.inputs and not idle_without_model.generate and not idle_without_model.model_choice
    view_model = GenerateViewModel()
    view_model.start("digits", settings(), now=0.0)
    assert view_model.busy
    view_model.finish()
    assert not view_model.busy


def test_time_left_counts_from_the_first_step_not_from_loading_the_model():
    view_model = GenerateViewModel()
    view_model.start("digits", settings(), now=100.0)
    assert view_model.step_text(frame(1), now=110.0) == "Step 1/102"  # 10 s of model loading: no estimate yet
    assert view_model.step_text(frame(2), now=111.0) == "Step 2/102 · 100 s left"
    view_model.start("digits", settings(), now=200.0)  # a new run times itself afresh
    assert view_model.step_text(frame(5), now=201.0) == "Step 5/102"


def test_the_live_caption_names_the_images_shown():
    assert live_caption(frame(3, first_image=0, batch=1)) == "Live: step 3/102 · t = 999 · image 1"
    assert live_caption(frame(3, first_image=16, batch=16)).endswith("images 17-32")


def test_a_finished_run_is_recorded_with_what_the_engine_used():
    view_model = GenerateViewModel()
    view_model.start("digits", settings("ddim", count=2), now=10.0)
    result = GenerationResult(np.zeros((2, 8, 8, 1), np.uint8), sampler="ddim", steps=11, timesteps=list(range(11)),
                              model_weights="0123456789abcdef")
    run, text = view_model.generated(result, now=12.5)
    assert text == "2 images in 2.5 s (ddim, 11 steps)"
    record = run.record
    assert (record.model, record.seed, record.steps, record.weights) == ("digits", 7, 11, "0123456789abcdef")
    assert record.solver == RK4 and run.file_name(1) == "digits-seed000008.png"


def test_settings_load_from_a_saved_image_capped_to_what_the_page_can_show(tmp_path):
    record = GenerationRecord(model="digits", seed=20, sampler="ddpm", steps=4, count=100, solver=RK4)
    chosen = []
    loaded = GenerateViewModel().load_settings(saved_image(tmp_path / "made.png", record),
                                               lambda name: chosen.append(name) or True)
    assert chosen == ["digits"] and loaded.record == record
    assert loaded.settings == GenerationSettings(seed=20, count=64, sampler="ddpm", steps=4, eta=0.0, solver=RK4)


def test_the_banner_says_whether_generate_makes_the_image_again(tmp_path):
    view_model = GenerateViewModel()
    record = GenerationRecord(model="digits", seed=1, sampler="ddim", steps=9, count=70)
    path = saved_image(tmp_path / "made.png", record)
    view_model.load_settings(path, lambda name: True)
    kind, text = view_model.loaded_message(exact_solver=True)
    assert kind == "info" and text.startswith("Loaded the settings of made.png")
    assert "(the first 64 of its images)" in text and text.endswith("Generate makes it again.")
    view_model.load_settings(path, lambda name: True)
    kind, text = view_model.loaded_message(exact_solver=False)
    assert kind == "warning" and "cannot set its ODE solver exactly" in text


@pytest.mark.parametrize("case", ["busy", "no record", "seed", "model"])
def test_settings_that_cannot_be_used_say_why_and_select_no_model(tmp_path, case):
    view_model = GenerateViewModel()
    seed = MAX_SEED + 1 if case == "seed" else 3
    path = saved_image(tmp_path / "made.png", GenerationRecord(model="digits", seed=seed, sampler="ddim", steps=9))
    if case == "no record":
        Image.new("L", (8, 8)).save(path)
    if case == "busy":
        view_model.start("digits", settings(), now=0.0)
    chosen = []
    with pytest.raises(SettingsNotLoaded) as refusal:
        view_model.load_settings(path, lambda name: chosen.append(name) or case != "model")
    expected = {"busy": BUSY_MESSAGE, "no record": "made.png has no cUNet Studio settings",
                "seed": f"beyond this page's largest seed ({MAX_SEED:,})",
                "model": "“digits”, which is not installed here"}[case]
    assert expected in str(refusal.value)
    assert chosen == (["digits"] if case == "model" else [])


def test_a_weights_warning_is_shown_only_for_the_latest_load(tmp_path):
    view_model = GenerateViewModel()
    first = saved_image(tmp_path / "a.png", GenerationRecord(model="digits", seed=1, sampler="ddim", steps=9))
    second = saved_image(tmp_path / "b.png", GenerationRecord(model="digits", seed=2, sampler="ddim", steps=9))
    view_model.load_settings(first, lambda name: True)
    view_model.loaded_message(exact_solver=True)
    check_of_first = WeightsCheck(view_model.current_load(), "the installed digits is not the one that made a.png")
    assert view_model.weights_warning(check_of_first) == (
        "Loaded the settings of a.png: digits, ddim 9 steps, seed 1. But the installed digits is not the one "
        "that made a.png.")
    assert view_model.weights_warning(WeightsCheck(view_model.current_load(), None)) is None
    view_model.load_settings(second, lambda name: True)
    assert view_model.weights_warning(check_of_first) is None  # b.png was loaded since: a's check is stale
