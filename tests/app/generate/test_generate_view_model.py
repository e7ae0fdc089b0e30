"""GenerateViewModel without a window: the request the controls make, what can be pressed while
it runs, the progress and outcome lines, and loading the settings saved in a PNG."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from app.generate.export_work import save_image_work
from app.generate.generation_run import GenerationRun
from app.generate.generation_work import LiveFrame, WeightsCheck
from app.generate.picture_work import Geometry, pictures_work, recorded_pictures_work
from app.generate.view_model import (
    ANY_CLASS,
    RANDOM_CLASS,
    RANDOM_CLASS_AS_TRAINED,
    BUSY_MESSAGE,
    MAX_GUIDANCE,
    MAX_SEED,
    PICTURE,
    Enabled,
    GenerateViewModel,
    GenerationSettings,
    SettingsNotLoaded,
    class_choices,
    enabled,
    live_caption,
    uses_eta,
)
from engine.diffusion import SteppedSolver
from engine.generate import GenerationResult
from engine.generation_record import GenerationRecord, read_generation_record
from engine.imaging import save_png
from engine.models import SolverSettings
from helpers import tiny_spec

RK4 = SolverSettings("rk4", steps=2)
SPEC = tiny_spec()  # the installed model's spec, as the page finds it


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
    reading = enabled(busy=False, has_model=True, reading=True)  # a start picture is being read and fitted
    assert reading.inputs and not reading.generate and not reading.model_choice
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
                                               lambda name: chosen.append(name) or SPEC)
    assert chosen == ["digits"] and loaded.record == record
    assert loaded.settings == GenerationSettings(seed=20, count=64, sampler="ddpm", steps=4, eta=0.0, solver=RK4)


def test_the_banner_says_whether_generate_makes_the_image_again(tmp_path):
    view_model = GenerateViewModel()
    record = GenerationRecord(model="digits", seed=1, sampler="ddim", steps=9, count=70)
    path = saved_image(tmp_path / "made.png", record)
    view_model.load_settings(path, lambda name: SPEC)
    kind, text = view_model.loaded_message(exact_solver=True)
    assert kind == "info" and text.startswith("Loaded the settings of made.png")
    assert "(the first 64 of its images)" in text and text.endswith("Generate makes it again.")
    view_model.load_settings(path, lambda name: SPEC)
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
        view_model.load_settings(path, lambda name: chosen.append(name) or (SPEC if case != "model" else None))
    expected = {"busy": BUSY_MESSAGE, "no record": "made.png has no cUNet Studio settings",
                "seed": f"beyond this page's largest seed ({MAX_SEED:,})",
                "model": "“digits”, which is not installed here"}[case]
    assert expected in str(refusal.value)
    assert chosen == (["digits"] if case == "model" else [])


def test_a_weights_warning_is_shown_only_for_the_latest_load(tmp_path):
    view_model = GenerateViewModel()
    first = saved_image(tmp_path / "a.png", GenerationRecord(model="digits", seed=1, sampler="ddim", steps=9))
    second = saved_image(tmp_path / "b.png", GenerationRecord(model="digits", seed=2, sampler="ddim", steps=9))
    view_model.load_settings(first, lambda name: SPEC)
    view_model.loaded_message(exact_solver=True)
    check_of_first = WeightsCheck(view_model.current_load(), "the installed digits is not the one that made a.png")
    assert view_model.weights_warning(check_of_first) == (
        "Loaded the settings of a.png: digits, ddim 9 steps, seed 1. But the installed digits is not the one "
        "that made a.png.")
    assert view_model.weights_warning(WeightsCheck(view_model.current_load(), None)) is None
    view_model.load_settings(second, lambda name: SPEC)
    assert view_model.weights_warning(check_of_first) is None  # b.png was loaded since: a's check is stale


CLASSES = ("Circle", "Square", "Star")
CONDITIONAL = tiny_spec(class_names=CLASSES)


def test_the_class_picker_offers_any_class_then_each_by_name_and_guidance_goes_with_a_class_only():
    assert class_choices(CONDITIONAL) == [(ANY_CLASS, None), (RANDOM_CLASS, "random"), ("Circle", 0), ("Square", 1),
                                          ("Star", 2)]
    assert class_choices(SPEC) == [] and class_choices(None) == []
    as_trained = dataclasses.replace(CONDITIONAL, card={"class_shares": [0.5, 0.3, 0.2]})
    assert class_choices(as_trained)[1] == (RANDOM_CLASS_AS_TRAINED, "random")
    view_model = GenerateViewModel()
    chosen = dataclasses.replace(settings(), class_label=2, guidance=3.5)
    request = view_model.start("shapes", chosen, now=0.0)
    assert (request.class_label, request.guidance) == (2, 3.5)
    request = view_model.start("shapes", dataclasses.replace(chosen, class_label=None), now=0.0)
    assert (request.class_label, request.guidance) == (None, None)  # any class: nothing to guide toward
    request = view_model.start("shapes", dataclasses.replace(chosen, class_label=None, random_class=True), now=0.0)
    assert (request.class_label, request.random_class, request.guidance) == (None, True, 3.5)


def test_a_random_class_grid_loads_as_a_random_class_and_one_of_its_images_as_its_class(tmp_path):
    grid = GenerationRecord(model="shapes", seed=4, sampler="ddpm", steps=4, count=3, guidance=1.5, random_class=True)
    made = GenerationResult(np.zeros((3, 8, 8, 1), np.uint8), sampler="ddpm", steps=4, timesteps=[1],
                            model_weights="0123456789abcdef", class_labels=(0, 2, 1), guidance_scales=(1.5,) * 3)
    for record, expected in ((grid, (None, 1.5, True)), (grid.of_image(2, made), (1, 1.5, False))):
        loaded = GenerateViewModel().load_settings(saved_image(tmp_path / "made.png", record), lambda name: CONDITIONAL)
        assert (loaded.settings.class_label, loaded.settings.guidance, loaded.settings.random_class) == expected


def fitted_run(tmp_path) -> tuple[GenerateViewModel, GenerationRun]:
    """A run of class 1 from cat.png with a painted mask, as the page makes it."""
    view_model = GenerateViewModel()
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 3).save(tmp_path / "cat.png")
    load = view_model.begin_read(PICTURE)
    view_model.pictures_read(pictures_work(tmp_path / "cat.png", None, Geometry(8, 1), load)(None, None))
    view_model.picture.set_brush(1)
    view_model.picture.paint((0, 0), (7, 0))
    view_model.picture.choose_strength(0.9)
    chosen = dataclasses.replace(settings("ddpm"), class_label=1, guidance=2.5, resample=4)
    request = view_model.start("shapes", chosen, now=0.0)
    result = GenerationResult(np.zeros((3, 8, 8, 1), np.uint8), sampler="ddpm", steps=12, timesteps=[899, 500],
                              model_weights="0123456789abcdef", class_labels=(1,) * 3, guidance_scales=(2.5,) * 3,
                              resample=request.resample,
                              init_image=np.zeros((8, 8, 1), np.uint8))
    run, text = view_model.generated(result, now=1.0)
    assert text == "3 images in 1.0 s (ddpm, 2 of 12 steps from t=899, resample 4)"
    return view_model, run


def test_a_run_from_a_picture_is_recorded_by_the_engine_s_constructor_its_painted_mask_kept_aside(tmp_path):
    _, run = fitted_run(tmp_path)
    record = run.record
    assert (record.class_label, record.guidance, record.strength, record.resample) == (1, 2.5, 0.9, 4)
    assert record.init.path == str((tmp_path / "cat.png").resolve()) and record.mask is None
    assert run.painted_mask.shape == (8, 8) and run.painted_mask[0].all() and not run.painted_mask[1:].any()
    assert run.summary_parts()[-2:] == ["painted mask", "3 images from seed 7"]


def test_saving_writes_the_painted_mask_beside_the_image_and_loading_restores_everything(tmp_path):
    _, run = fitted_run(tmp_path)
    saved = save_image_work(run, 1, tmp_path / "out" / "shape.png")(None, None)
    assert saved.mask == tmp_path / "out" / "shape-mask.png"
    assert "with the painted mask they were made with (shape-mask.png)" in saved.message()
    assert np.array_equal(np.asarray(Image.open(saved.mask)), run.painted_mask)
    record = read_generation_record(tmp_path / "out" / "shape.png")
    assert record.mask.path == str(saved.mask.resolve()) and record.seed == 8

    view_model = GenerateViewModel()
    loaded = view_model.load_settings(tmp_path / "out" / "shape.png", lambda name: CONDITIONAL)
    assert loaded.read_load is not None and view_model.reading
    assert (loaded.settings.class_label, loaded.settings.guidance, loaded.settings.resample) == (1, 2.5, 4)
    read = recorded_pictures_work(loaded.record, "shape.png", loaded.geometry, loaded.read_load)(None, None)
    outcome = view_model.pictures_read(read)
    assert outcome.settings.settings == loaded.settings and not view_model.reading
    state = view_model.picture
    assert state.strength == 0.9 and np.array_equal(state.mask.as_image(), run.painted_mask)
    assert state.record_files()[1] == record.mask  # the saved mask is now the mask's file
    kind, text = view_model.loaded_message(exact_solver=True)
    assert kind == "info" and "from cat.png at strength 0.9, mask shape-mask.png, resample 4" in text


def test_a_run_s_later_saves_name_its_saved_mask_until_that_file_changes(tmp_path):
    _, run = fitted_run(tmp_path)
    first = save_image_work(run, 0, tmp_path / "a.png")(None, None)
    run.saved_mask = first.mask_file  # as the page does when a save finishes
    second = save_image_work(run, 1, tmp_path / "b.png")(None, None)
    assert second.mask is None and second.mask_file == first.mask_file
    assert read_generation_record(tmp_path / "b.png").mask == first.mask_file
    Image.new("L", (8, 8), 255).save(first.mask)  # someone painted over the saved mask: write it again
    third = save_image_work(run, 2, tmp_path / "c.png")(None, None)
    assert third.mask == tmp_path / "c-mask.png" and np.array_equal(np.asarray(Image.open(third.mask)), run.painted_mask)


def test_a_recorded_picture_that_is_gone_changes_nothing_and_one_that_changed_warns(tmp_path):
    _, run = fitted_run(tmp_path)
    save_image_work(run, 0, tmp_path / "shape.png")(None, None)
    view_model = GenerateViewModel()
    loaded = view_model.load_settings(tmp_path / "shape.png", lambda name: CONDITIONAL)
    (tmp_path / "cat.png").rename(tmp_path / "away.png")
    outcome = view_model.pictures_read(recorded_pictures_work(loaded.record, "shape.png", loaded.geometry,
                                                              loaded.read_load)(None, None))
    assert outcome.kind == "error" and "which is not there any more" in outcome.text and outcome.settings is None
    assert view_model.picture.picture is None

    Image.new("L", (8, 8), 9).save(tmp_path / "cat.png")
    loaded = view_model.load_settings(tmp_path / "shape.png", lambda name: CONDITIONAL)
    outcome = view_model.pictures_read(recorded_pictures_work(loaded.record, "shape.png", loaded.geometry,
                                                              loaded.read_load)(None, None))
    assert outcome.settings is not None
    kind, text = view_model.loaded_message(exact_solver=True)
    assert kind == "warning" and "has changed since it made shape.png" in text


@pytest.mark.parametrize("case", ["class of a model without classes", "class beyond the model's", "guidance"])
def test_a_class_or_guidance_the_page_cannot_show_is_refused(tmp_path, case):
    record = GenerationRecord(model="shapes", seed=1, sampler="ddim", steps=9, class_label=1, guidance=2.0)
    spec = CONDITIONAL
    if case == "class of a model without classes":
        spec = SPEC
    elif case == "class beyond the model's":
        record = dataclasses.replace(record, class_label=3)
    else:
        record = dataclasses.replace(record, guidance=MAX_GUIDANCE + 1)
    with pytest.raises(SettingsNotLoaded) as refusal:
        GenerateViewModel().load_settings(saved_image(tmp_path / "made.png", record), lambda name: spec)
    expected = {"class of a model without classes": "has no classes", "class beyond the model's": "has only 3 classes",
                "guidance": "beyond this page's largest (10)"}[case]
    assert expected in str(refusal.value)


def test_settings_of_an_image_made_without_a_picture_put_the_start_picture_away(tmp_path):
    view_model, _ = fitted_run(tmp_path)
    view_model.finish()
    record = GenerationRecord(model="shapes", seed=1, sampler="ddim", steps=9)
    loaded = view_model.load_settings(saved_image(tmp_path / "plain.png", record), lambda name: CONDITIONAL)
    assert loaded.read_load is None and view_model.picture.picture is None
    assert view_model.start("shapes", settings(), now=0.0).init_image is None


def test_the_dial_s_cost_line_is_per_image_for_these_settings_against_the_trained_solver():
    view_model = GenerateViewModel()
    stepped = SteppedSolver(SolverSettings("euler"), SolverSettings("midpoint"), 500)
    ddpm_10 = dataclasses.replace(settings("ddpm", eta=0.0), steps=10, solver=stepped)
    assert view_model.request(ddpm_10).solver == stepped  # the page samples with what the line prices
    assert view_model.solver_cost(SPEC, ddpm_10) == (
        "15 evaluations per ODE block per image, 1.33× fewer than the trained midpoint × 1 (20).")
    trained = dataclasses.replace(ddpm_10, steps=20, solver=SolverSettings("midpoint"))
    assert view_model.solver_cost(SPEC, trained) == "40 evaluations per ODE block per image, as trained (midpoint × 1)."
    assert view_model.solver_cost(None, ddpm_10) == ""  # no model yet
    beyond = dataclasses.replace(ddpm_10, solver=SteppedSolver(SolverSettings("euler"), SolverSettings("midpoint"), 5000))
    assert view_model.solver_cost(SPEC, beyond) == ""  # Generate says why
