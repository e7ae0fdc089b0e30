"""Generate page, driven as a user would: generate, scrub the trajectory, save, export, cancel."""

from __future__ import annotations

import dataclasses
import gc
import json
import shutil
import threading
import time

import numpy as np
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence, QShortcut

from app.common.images import to_qimage
from app.generate.generate_page import GeneratePage
from app.generate.generation_work import LiveFrame
from app.workers.job import wait_for_jobs
from app_helpers import drop, make_tiny_model, make_tiny_unet
from engine.checkpoints import save_model_folder, weights_id
from engine.diffusion import ScheduleConfig, SteppedSolver
from engine.generation_record import GenerationRecord
from engine.imaging import save_png
from engine.models import SolverSettings
from engine.sampling import SAMPLERS
from helpers import tiny_spec


def make_page(qtbot, context) -> GeneratePage:
    page = GeneratePage(context)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    with qtbot.waitExposed(page):
        page.show()
    return page


def test_opens_on_the_default_model_with_its_recommendation(qtbot, context):
    page = make_page(qtbot, context)
    assert page.picker.current_entry().name == "digits"
    assert page.sampler.currentData() == "ddim" and page.steps.value() == 4
    assert page.solver_dial.method.isEnabled()
    assert page.solver_dial.solver() == page.picker.current_entry().spec.trained_solver  # the dial starts as trained
    assert page.solver_dial.cost.text() == "8 evaluations per ODE block per image, as trained (midpoint × 1)."


def test_ddim_eta_is_offered_only_with_ddim(qtbot, context, bundled_dir):
    # The default model recommends the first sampler in the list, so opening selects nothing new.
    first = next(iter(SAMPLERS))
    shutil.rmtree(bundled_dir / "digits")
    make_tiny_model(bundled_dir / "digits", channels=1, image_size=8,
                    card={"recommended": {"sampler": first, "steps": 4}})
    context.catalog.refresh()
    page = make_page(qtbot, context)
    assert page.sampler.currentData() == first != "ddim"
    assert not page.eta.isVisible()
    page.sampler.setCurrentIndex(page.sampler.findData("ddim"))
    assert page.eta.isVisible()


def test_generate_shows_results_and_a_scrubbable_trajectory(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    page.count.setValue(3)
    page.steps.setValue(5)
    with qtbot.waitSignal(page.generation_done, timeout=20_000):
        page.generate_button.click()
    assert page.banner.kind == "", page.banner.text()
    assert page.output.results.count() == 3 and page.output.results.selected_index() == 0
    timeline = page.output.reverse_view.timeline
    assert timeline.isEnabled() and timeline.maximum() == 5  # 5 steps + the final image
    final = page.output.reverse_view.x0_view._image
    timeline.setValue(0)
    assert "Step 1/5" in page.output.reverse_view.caption.text()
    assert page.output.reverse_view.x0_view._image != final

    context.dialogs.save_path = tmp_path / "out" / "one.png"
    page.output.save_button.click()
    qtbot.waitUntil(lambda: context.dialogs.save_path.exists(), timeout=10_000)
    text = json.loads(Image.open(context.dialogs.save_path).text["cunet-studio"])
    assert text["seed"] == 0 and text["model"] == "digits" and text["steps"] == 5

    context.dialogs.folder = tmp_path / "all"
    context.dialogs.folder.mkdir()
    page.output.save_all_button.click()
    qtbot.waitUntil(lambda: len(list(context.dialogs.folder.glob("*.png"))) == 3, timeout=10_000)

    page.output.results.setCurrentRow(2)
    context.dialogs.save_path = tmp_path / "trajectory.webp"
    page.output.export_button.click()
    qtbot.waitUntil(lambda: context.dialogs.save_path.exists(), timeout=10_000)
    assert Image.open(context.dialogs.save_path).n_frames > 1


def test_a_right_click_on_a_result_offers_the_buttons_and_copying_the_image(qtbot, context):
    page = make_page(qtbot, context)
    output = page.output
    menu = output.results_menu()
    names = [action.text() for action in menu.actions()]
    assert names == ["Start from this image", "Save PNG…", "Export trajectory…", "Copy image"]
    assert not any(action.isEnabled() for action in menu.actions())  # nothing generated yet
    page.count.setValue(2)
    with qtbot.waitSignal(page.generation_done, timeout=20_000):
        page.generate_button.click()
    output.results.setCurrentRow(1)
    menu = output.results_menu()
    assert all(action.isEnabled() for action in menu.actions())
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    menu.actions()[-1].trigger()
    copied = clipboard.image().convertToFormat(QImage.Format.Format_Grayscale8)
    first, selected = (to_qimage(image) for image in output.current_run().result.images)
    assert copied == selected != first  # the selected image, at its own size
    clipboard.clear()
    copy = next(s for s in output.results.findChildren(QShortcut) if s.key().matches(QKeySequence.StandardKey.Copy))
    copy.activated.emit()  # Ctrl+C on the grid
    assert not clipboard.image().isNull()
    with qtbot.waitSignal(page.pictures_read, timeout=10_000):
        menu.actions()[0].trigger()
    assert page.view_model.picture.picture is not None


def test_cancel_stops_within_one_step_and_returns_to_idle(qtbot, context):
    page = make_page(qtbot, context)
    entry = page.picker.current_entry()
    model = page._models.get(entry.path, context.settings.device)  # pre-load so we can count calls
    calls = []
    model.network.register_forward_hook(lambda *args: calls.append(1))
    page.count.setValue(2)
    page.steps.setValue(1000)
    page.generate_button.click()
    assert page.is_busy() and page.cancel_button.isEnabled() and not page.generate_button.isEnabled()
    qtbot.waitUntil(lambda: len(calls) >= 3, timeout=10_000)
    with qtbot.waitSignal(page.generation_done, timeout=5_000):
        page.cancel_button.click()
        calls_at_cancel = len(calls)
    assert len(calls) - calls_at_cancel <= 1
    assert not page.is_busy() and page.generate_button.isEnabled() and not page.cancel_button.isEnabled()
    assert page.banner.kind == "info" and "cancelled" in page.banner.text()
    assert page.output.results.count() == 0 and not page.output.save_button.isEnabled()


def test_event_loop_stays_responsive_while_generating(qtbot, context):
    page = make_page(qtbot, context)
    page.count.setValue(16)
    page.steps.setValue(300)  # about a second even on a fast idle machine: enough ticks to measure gaps in
    page.repaint()  # the first paint of a new page is not part of what we measure
    gc.collect()  # earlier tests' garbage must not make a full collection land in the measured window
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(page.generation_done, timeout=60_000):
        page.generate_button.click()
    timer.stop()
    assert page.output.results.count() == 16
    gaps = np.diff(ticks)
    assert len(ticks) > 20, f"the generation should last long enough to measure ({len(ticks)} ticks)"
    assert gaps.max() < 0.1, f"GUI thread blocked for {gaps.max() * 1000:.0f} ms at tick {gaps.argmax()} of {len(gaps)}"


def test_unet_models_disable_the_solver_dial_with_an_explanation(qtbot, context, bundled_dir):
    make_tiny_unet(bundled_dir / "plain-unet")
    context.catalog.refresh()
    page = make_page(qtbot, context)
    assert page.picker.select("plain-unet")
    assert not page.solver_dial.method.isEnabled() and page.solver_dial.solver() is None
    assert page.solver_dial.note.isVisible() and "U-Net" in page.solver_dial.note.text()


def test_model_card_tradeoff_is_shown_beside_the_dial(qtbot, context, bundled_dir):
    tradeoff = [{"method": "euler", "steps": 1, "seconds": 0.5, "fid": 30.2},
                {"method": "rk4", "steps": 2, "seconds": 2.0, "fid": 21.0}]
    make_tiny_model(bundled_dir / "measured", card={"solver_tradeoff": tradeoff, "dataset": "test pixels",
                                                    "solver_tradeoff_note": "ddpm 50, 200 images",
                                                    "licence": "MIT", "description": "a measured model"})
    context.catalog.refresh()
    page = make_page(qtbot, context)
    assert page.picker.select("measured")
    dial = page.solver_dial
    assert dial.tradeoff.isVisible()  # in words, against the first (here: no trained) row
    assert "rk4 × 2" in dial.tradeoff.text() and "4.0× slower, better images" in dial.tradeoff.text()
    assert not dial.numbers.isVisible()  # the numbers are one click away
    dial.numbers_button.click()
    assert dial.numbers.isVisible() and "21" in dial.numbers.text() and "ddpm 50, 200 images" in dial.numbers.text()
    page.picker.more.click()
    details = page.picker.details.text()
    assert "a measured model" in details and "MIT" in details and "test pixels" in details


def test_the_card_s_measurement_of_the_sampler_and_steps_is_said_under_them(qtbot, context, bundled_dir, tmp_path):
    rows = [{"sampler": "ddim", "steps": 10, "FD n=5000": 9.0}, {"sampler": "ddim", "steps": 30, "FD n=5000": 20.0}]
    make_tiny_model(bundled_dir / "measured", channels=1,
                    card={"recommended": {"sampler": "ddim", "steps": 10}, "sampler_quality": rows})
    context.catalog.refresh()
    page = make_page(qtbot, context)
    measured = page.sampling_box.measured
    assert not measured.isVisible()  # the default model's card has no sampler table
    assert page.picker.select("measured") and measured.isVisible()
    assert measured.text() == "Recommended: FD 9.00 on 5,000 images; no other setting measured made better images."
    page.steps.setValue(30)
    assert measured.text().startswith("Measured: much worse images than the recommended ddim 10 (FD 20.00 against")
    page.steps.setValue(12)
    assert measured.text() == "Not measured at this setting; measured on this model: ddim 10, ddim 30."
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "start.png")
    page.start_from_picture(tmp_path / "start.png")  # img2img runs are not what the card measured
    qtbot.waitUntil(lambda: page.view_model.picture.picture is not None, timeout=10_000)
    assert not measured.isVisible()
    page.clear_start_picture()
    assert measured.isVisible()


def test_denoising_only_models_are_not_offered_for_generation(qtbot, context, bundled_dir):
    spec = tiny_spec(3)
    denoiser = dataclasses.replace(spec, schedule=ScheduleConfig(kind="cosine", max_step=400))
    save_model_folder(bundled_dir / "photo-denoiser", denoiser, spec.build_network().state_dict())
    context.catalog.refresh()
    page = make_page(qtbot, context)
    offered = [page.picker.combo.itemData(i) for i in range(page.picker.combo.count())]
    assert "digits" in offered and "photo-denoiser" not in offered


def test_no_model_points_to_the_train_page(qtbot, context, bundled_dir):
    shutil.rmtree(bundled_dir)
    context.catalog.refresh()
    page = make_page(qtbot, context)
    assert page.picker.empty_notice.isVisible() and "Train page" in page.picker.empty_notice.text()
    assert not page.generate_button.isEnabled()
    with qtbot.waitSignal(page.train_requested, timeout=1000):
        page.picker.empty_notice.linkActivated.emit("train")


def test_keyboard_shortcuts_press_the_page_buttons(qtbot, context):
    page = make_page(qtbot, context)
    shortcuts = {s.key().toString(): s for s in page.findChildren(QShortcut)}
    assert {"Ctrl+Return", "Ctrl+Enter", "Esc", "Ctrl+S", "Ctrl+Shift+S"} <= set(shortcuts)
    assert "Ctrl+Return" in page.generate_button.toolTip()
    page.count.setValue(1)
    page.steps.setValue(400)
    shortcuts["Ctrl+Return"].activated.emit()
    assert page.is_busy()
    with qtbot.waitSignal(page.generation_done, timeout=10_000):
        shortcuts["Esc"].activated.emit()
    assert page.banner.kind == "info" and "cancelled" in page.banner.text()


def test_a_damaged_model_file_gives_a_readable_error(qtbot, context, bundled_dir):
    (bundled_dir / "digits" / "model.safetensors").write_bytes(b"{not really weights}")
    page = make_page(qtbot, context)
    with qtbot.waitSignal(page.generation_done, timeout=10_000):
        page.generate_button.click()
    assert page.banner.kind == "error" and "model.safetensors" in page.banner.text()
    assert "Traceback" not in page.banner.text()
    assert page.generate_button.isEnabled() and page.progress.text() == "Failed"


def test_a_saved_image_dropped_on_the_page_is_made_again(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    page.seed.setValue(20)
    page.count.setValue(3)
    page.sampler.setCurrentIndex(page.sampler.findData("ddpm"))
    page.steps.setValue(4)
    page.solver_dial.method.setCurrentIndex(page.solver_dial.method.findData("euler"))
    page.solver_dial.steps.setValue(2)
    with qtbot.waitSignal(page.generation_done, timeout=20_000):
        page.generate_button.click()
    page.output.results.setCurrentRow(2)
    context.dialogs.save_path = tmp_path / "seed22.png"
    page.output.save_button.click()
    qtbot.waitUntil(lambda: context.dialogs.save_path.exists(), timeout=10_000)
    saved = np.asarray(Image.open(context.dialogs.save_path))

    fresh = make_page(qtbot, context)
    drop(fresh, context.dialogs.save_path)
    assert fresh.banner.kind == "info" and "seed22.png" in fresh.banner.text(), fresh.banner.text()
    assert (fresh.seed.value(), fresh.count.value(), fresh.sampler.currentData(), fresh.steps.value()) == (22, 1, "ddpm", 4)
    assert fresh.solver_dial.solver().method == "euler" and fresh.solver_dial.solver().steps == 2
    with qtbot.waitSignal(fresh.generation_done, timeout=20_000):
        fresh.generate_button.click()
    made_again = fresh.output.current_run().result.images[0]
    assert np.array_equal(made_again.squeeze(), saved.squeeze())


def test_loading_settings_from_a_wrong_file_changes_nothing(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    page.seed.setValue(5)
    before = (page.picker.current_entry().name, page.seed.value(), page.steps.value())
    Image.new("L", (8, 8)).save(tmp_path / "holiday.png")
    context.dialogs.file = tmp_path / "holiday.png"
    page.from_image_button.click()
    assert page.banner.kind == "error" and "holiday.png has no cUNet Studio settings" in page.banner.text()

    record = GenerationRecord(model="not-installed", seed=1, sampler="ddim", steps=9)
    save_png(tmp_path / "elsewhere.png", Image.new("L", (8, 8)), record.png_text())
    drop(page, tmp_path / "elsewhere.png")
    assert page.banner.kind == "error" and "“not-installed”, which is not installed here" in page.banner.text()
    assert (page.picker.current_entry().name, page.seed.value(), page.steps.value()) == before


def test_an_earlier_run_can_be_picked_scrubbed_and_saved_again(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    assert not page.output.history_box.isEnabled()
    page.count.setValue(2)
    page.steps.setValue(3)
    for seed in (10, 30):
        page.seed.setValue(seed)
        with qtbot.waitSignal(page.generation_done, timeout=20_000):
            page.generate_button.click()
    assert page.output.history_box.count() == 2 and page.output.history_box.isEnabled()
    assert "2 images from seed 30" in page.output.history_box.itemText(0)
    assert page.output.results.item(0).text() == "seed 30"
    assert page.output.results.item(1).toolTip() == "digits, ddim 3 steps, midpoint × 1 per ODE block, seed 31"

    page.output.history_box.setCurrentIndex(1)
    assert [page.output.results.item(i).text() for i in range(page.output.results.count())] == ["seed 10", "seed 11"]
    assert page.output.reverse_view.timeline.maximum() == 3
    page.output.results.setCurrentRow(1)
    context.dialogs.save_path = tmp_path / "earlier.png"
    page.output.save_button.click()
    qtbot.waitUntil(lambda: context.dialogs.save_path.exists(), timeout=10_000)
    assert json.loads(Image.open(context.dialogs.save_path).text["cunet-studio"])["seed"] == 11


def test_settings_of_an_image_made_by_other_weights_load_with_a_warning(qtbot, context, tmp_path, monkeypatch):
    page = make_page(qtbot, context)
    hashed_on = []

    def hash_and_note_thread(path):
        hashed_on.append(threading.get_ident())
        return weights_id(path)

    monkeypatch.setattr("app.generate.generation_work.weights_id", hash_and_note_thread)
    record = GenerationRecord(model="digits", seed=3, sampler="ddim", steps=9, weights="ffffffffffffffff")
    save_png(tmp_path / "old.png", Image.new("L", (8, 8)), record.png_text())
    assert page.load_settings_from(tmp_path / "old.png")
    assert page.seed.value() == 3 and page.steps.value() == 9
    qtbot.waitUntil(lambda: page.banner.kind == "warning", timeout=10_000)  # the model is hashed in a worker
    assert "is not the one that made old.png" in page.banner.text()
    assert hashed_on and threading.get_ident() not in hashed_on  # a large model file must not freeze the page

    same = dataclasses.replace(record, weights=weights_id(page.picker.current_entry().path))
    save_png(tmp_path / "same.png", Image.new("L", (8, 8)), same.png_text())
    assert page.load_settings_from(tmp_path / "same.png")
    assert wait_for_jobs(10_000)
    qtbot.wait(50)  # the finished job's signals are queued to this thread
    assert page.banner.kind == "info" and "Generate makes it again" in page.banner.text()


def test_a_late_weights_check_does_not_overwrite_settings_loaded_after_it(qtbot, context, tmp_path, monkeypatch):
    """The check of image A finishes after image B (no fingerprint in its record) was loaded: A's
    warning must not replace what the banner says about B."""
    page = make_page(qtbot, context)
    release = threading.Event()

    def slow_hash(path):
        release.wait(10)
        return "0000000000000000"

    monkeypatch.setattr("app.generate.generation_work.weights_id", slow_hash)
    other = GenerationRecord(model="digits", seed=3, sampler="ddim", steps=9, weights="ffffffffffffffff")
    save_png(tmp_path / "a.png", Image.new("L", (8, 8)), other.png_text())
    unmarked = GenerationRecord(model="digits", seed=4, sampler="ddim", steps=7)
    save_png(tmp_path / "b.png", Image.new("L", (8, 8)), unmarked.png_text())
    assert page.load_settings_from(tmp_path / "a.png")
    assert page.load_settings_from(tmp_path / "b.png")
    release.set()
    assert wait_for_jobs(10_000)
    qtbot.wait(50)  # the finished job's signals are queued to this thread
    assert page.banner.kind == "info" and "b.png" in page.banner.text()


def test_solver_settings_beyond_the_usual_ones_load_exactly_or_say_they_cannot(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    for solver in (SolverSettings("rk4", steps=32), SolverSettings("dopri5", rtol=2.5e-4, atol=2.5e-4)):
        record = GenerationRecord(model="digits", seed=1, sampler="ddpm", steps=5, solver=solver)
        save_png(tmp_path / "made.png", Image.new("L", (8, 8)), record.png_text())
        assert page.load_settings_from(tmp_path / "made.png")
        shown = page.solver_dial.solver()
        assert (shown.method, shown.steps, shown.rtol, shown.atol) == (solver.method, solver.steps, solver.rtol, solver.atol)
        assert page.banner.kind == "info", page.banner.text()

    uneven = GenerationRecord(model="digits", seed=1, sampler="ddpm", steps=5,
                              solver=SolverSettings("dopri5", rtol=1e-3, atol=1e-5))
    save_png(tmp_path / "uneven.png", Image.new("L", (8, 8)), uneven.png_text())
    assert page.load_settings_from(tmp_path / "uneven.png")
    assert page.banner.kind == "warning" and "cannot set its ODE solver exactly" in page.banner.text()


def test_cheaper_while_noisy_makes_a_step_aware_request_and_says_what_it_saves(qtbot, context):
    page = make_page(qtbot, context)
    dial = page.solver_dial
    page.sampler.setCurrentIndex(page.sampler.findData("ddpm"))
    page.steps.setValue(10)
    assert not dial.switch.isVisible()
    assert dial.cost.text() == "20 evaluations per ODE block per image, as trained (midpoint × 1)."
    dial.stepped.click()
    assert dial.noisy_method.isVisible() and (dial.switch.value(), dial.switch.maximum()) == (500, 999)
    expected = SteppedSolver(SolverSettings("euler"), SolverSettings("midpoint"), 500)
    assert page.view_model.request(page.generation_settings()).solver == expected
    assert dial.cost.text() == "15 evaluations per ODE block per image, 1.33× fewer than the trained midpoint × 1 (20)."
    page.steps.setValue(20)  # the cost follows the sampler's steps
    assert dial.cost.text().startswith("30 evaluations per ODE block per image, 1.33× fewer")
    dial.switch.setValue(100)
    assert dial.cost.text().startswith("22 evaluations") and "1.82× fewer" in dial.cost.text()
    dial.until.setValue(60)  # cheap again over the last steps: at ddpm 20, t = 53 and 0
    assert page.view_model.request(page.generation_settings()).solver == SteppedSolver(
        SolverSettings("euler"), SolverSettings("midpoint"), 100, until=60)
    assert dial.cost.text().startswith("20 evaluations") and "2.00× fewer" in dial.cost.text()
    dial.switch.setValue(40)  # the end stays below the switch
    assert dial.until.value() == 39 and dial.solver().until == 39
    dial.reset.click()  # as trained: one solver throughout
    assert not dial.stepped.isChecked() and dial.solver() == SolverSettings("midpoint")
    assert dial.cost.text() == "40 evaluations per ODE block per image, as trained (midpoint × 1)."


def test_a_saved_step_aware_solver_loads_back_into_the_dial_or_says_it_cannot(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    schedule = SteppedSolver(SolverSettings("rk4", 2), SolverSettings("euler", 3), 300)
    record = GenerationRecord(model="digits", seed=1, sampler="ddpm", steps=5, solver=schedule)
    save_png(tmp_path / "stepped.png", Image.new("L", (8, 8)), record.png_text())
    assert page.load_settings_from(tmp_path / "stepped.png")
    assert page.solver_dial.stepped.isChecked() and page.solver_dial.solver() == schedule
    assert page.banner.kind == "info", page.banner.text()

    band = dataclasses.replace(record, solver=SteppedSolver(SolverSettings("euler"), SolverSettings("midpoint"), 950,
                                                            until=500))
    save_png(tmp_path / "band.png", Image.new("L", (8, 8)), band.png_text())
    assert page.load_settings_from(tmp_path / "band.png")
    assert page.solver_dial.solver() == band.solver and page.solver_dial.until.text() == "t = 500"
    assert page.load_settings_from(tmp_path / "stepped.png")  # and back: no end phase left over
    assert page.solver_dial.solver() == schedule and page.solver_dial.until.text() == "off"

    adaptive = dataclasses.replace(record, solver=dataclasses.replace(schedule, noisy=SolverSettings("dopri5")))
    save_png(tmp_path / "adaptive.png", Image.new("L", (8, 8)), adaptive.png_text())
    assert page.load_settings_from(tmp_path / "adaptive.png")
    assert page.banner.kind == "warning" and "cannot set its ODE solver exactly" in page.banner.text()

    one_solver = dataclasses.replace(record, solver=SolverSettings("rk4"))
    save_png(tmp_path / "one.png", Image.new("L", (8, 8)), one_solver.png_text())
    assert page.load_settings_from(tmp_path / "one.png")
    assert not page.solver_dial.stepped.isChecked() and page.solver_dial.solver() == SolverSettings("rk4")


def test_time_left_is_timed_from_the_first_step_not_from_loading_the_model(qtbot, context, monkeypatch):
    page = make_page(qtbot, context)
    clock = iter([110.0, 111.0])  # the first frame (after, say, a 10 s model load), the next one 1 s later
    monkeypatch.setattr("app.generate.generate_page.time.monotonic", lambda: next(clock))
    sheet = np.zeros((8, 8, 1), np.uint8)
    for done in (1, 2):
        page._on_live_frame(LiveFrame(done=done, total=102, step=done, steps=102, t=999, first_image=0, batch=1,
                                      x_t=sheet, predicted_x0=sheet))
    assert page.progress.format() == "Step 2/102 · 100 s left"  # not 1,000 s: the load is not a step


def test_a_new_run_moves_the_timeline_to_its_live_step(qtbot, context):
    page = make_page(qtbot, context)
    page.count.setValue(2)
    page.steps.setValue(5)
    with qtbot.waitSignal(page.generation_done, timeout=20_000):
        page.generate_button.click()
    timeline = page.output.reverse_view.timeline
    timeline.setValue(3)  # scrubbed back in the first run
    page.steps.setValue(8)
    page.generate_button.click()
    assert timeline.value() == 0 and not timeline.isEnabled()
    sheet = np.zeros((8, 8, 1), np.uint8)
    page._on_live_frame(LiveFrame(done=2, total=8, step=2, steps=8, t=700, first_image=0, batch=2,
                                  x_t=sheet, predicted_x0=sheet))
    assert page.output.reverse_view.caption.text().startswith("Live: step 2/8")
    assert (timeline.value(), timeline.maximum()) == (1, 8)  # step 2 of 8 steps and the final image
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=20_000)
    qtbot.waitUntil(timeline.isEnabled, timeout=5_000)
    assert timeline.value() == timeline.maximum() == 8


def test_a_cancelled_run_shows_the_previous_results_timeline_again(qtbot, context):
    page = make_page(qtbot, context)
    page.steps.setValue(3)
    with qtbot.waitSignal(page.generation_done, timeout=20_000):
        page.generate_button.click()
    page.steps.setValue(1000)
    with qtbot.waitSignal(page.generation_done, timeout=20_000):
        page.generate_button.click()
        page.cancel_generation()
    timeline = page.output.reverse_view.timeline
    assert timeline.isEnabled() and timeline.value() == timeline.maximum() == 3
    assert page.output.reverse_view.caption.text().startswith("Final image")
