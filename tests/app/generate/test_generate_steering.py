"""Generate page with a class and a start picture, driven as a user would: choose a class, drop or
open a picture, paint a mask with the mouse, generate, save, and load the settings back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.generate.export_work import start_pictures_dir
from app.generate.picture_defaults import PICTURE_CLASS_SWITCH
from app.generate.view_model import ANY_CLASS, FROM_RESULT, PICTURE_BUSY, RANDOM_CLASS, RESAMPLE_NEEDS_DDPM
from app_helpers import drop
from engine.cli.main import main
from engine.generation_record import GenerationRecord, SourceFile
from engine.imaging import save_png
from engine.steering import DEFAULT_RESAMPLE, INPAINTING_SAMPLER
from helpers import save_tiny_model
from test_generate_page import make_page

CLASSES = ("Circle", "Square", "Star")


@pytest.fixture
def shapes(context, bundled_dir) -> str:
    save_tiny_model(bundled_dir / "shapes", class_names=CLASSES)  # 8 px grey, like the test "digits"
    context.catalog.refresh()
    return "shapes"


def photo(path, width: int = 40, height: int = 24):
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def open_picture(qtbot, page, context, path) -> None:
    context.dialogs.file = path
    page.start_box.open_button.click()
    qtbot.waitUntil(lambda: page.start_box.details.isVisible() and not page.view_model.reading, timeout=10_000)


def paint(qtbot, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press at `start`, drag to `end` and release, in model pixels."""
    target = canvas.target()
    pixel = target.width() / canvas._side

    def at(point):
        return QPoint(round(target.left() + point[0] * pixel), round(target.top() + point[1] * pixel))

    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(start))
    QTest.mouseMove(canvas, at(end))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(end))


def generate(qtbot, page):
    with qtbot.waitSignal(page.generation_done, timeout=20_000):
        page.generate_button.click()
    assert page.banner.kind in ("", "info"), page.banner.text()
    return page.output.current_run()


def test_a_class_is_offered_for_a_class_conditional_model_only_and_recorded(qtbot, context, shapes):
    page = make_page(qtbot, context)
    controls = page.class_controls
    assert not controls.isVisible()  # digits has no classes
    assert page.picker.select(shapes) and controls.isVisible()
    assert [controls.choice.itemText(i) for i in range(controls.choice.count())] == [ANY_CLASS, RANDOM_CLASS, *CLASSES]
    assert controls.random_class() and controls.guidance.value() == 2.0  # the model's recommendation
    controls.choice.setCurrentIndex(0)
    assert not controls.guidance.isEnabled()  # any class: nothing to guide toward
    assert "1 = no extra push" in controls.guidance.spin.toolTip()
    controls.choice.setCurrentIndex(4)
    assert controls.recommended.isChecked() and controls.guidance_scale() is None  # the card's scale
    controls.guidance.spin.setValue(3.5)
    assert controls.guidance.isEnabled() and not controls.recommended.isChecked()  # moved: the user's own
    page.count.setValue(2)
    run = generate(qtbot, page)
    assert run.count == 2 and (run.record.class_label, run.record.guidance) == (2, 3.5)
    assert " · Star (guidance 3.5) · " in page.output.history_box.itemText(0)  # the class by its name
    assert page.output.results.captions() == ["seed 0", "seed 1"]


def test_a_random_class_per_image_names_each_image_s_class_and_saves_it(qtbot, context, shapes, tmp_path):
    page = make_page(qtbot, context)
    assert page.picker.select(shapes)
    assert page.class_controls.random_class() and page.class_controls.recommended.isChecked()  # the default
    page.count.setValue(6)
    run = generate(qtbot, page)
    assert run.record.random_class and len(set(run.result.class_labels)) > 1
    assert page.output.results.captions() == [f"seed {i} · {CLASSES[label]}"
                                               for i, label in enumerate(run.result.class_labels)]
    assert "a random class (guidance 2)" in page.output.history_box.itemText(0)
    assert run.frame(5, run.frame_count - 1)[2] == f"Final image (seed 5 · {CLASSES[run.result.class_labels[5]]})"
    records = [run.image_record(i) for i in range(6)]
    assert [(r.class_label, r.random_class) for r in records] == [(label, False) for label in run.result.class_labels]


def test_recommended_guidance_follows_the_class_and_guides_random_classes_each_at_its_own(qtbot, context,
                                                                                          bundled_dir):
    card = {"recommended": {"sampler": "ddim", "steps": 4, "guidance": 1.2, "class_guidance": {"Star": 0.5}}}
    save_tiny_model(bundled_dir / "shapes", class_names=CLASSES, card=card)
    context.catalog.refresh()
    page = make_page(qtbot, context)
    controls = page.class_controls
    assert page.picker.select("shapes") and controls.guidance.value() == 1.2
    controls.choice.setCurrentIndex(4)
    assert controls.guidance.value() == 0.5 and controls.guidance_scale() is None  # Star's own, left to the engine
    controls.choice.setCurrentIndex(1)
    page.count.setValue(8)
    run = generate(qtbot, page)
    assert run.record.random_class and run.record.guidance is None
    assert "a random class (each class's recommended guidance)" in page.output.history_box.itemText(0)
    scales = [run.image_record(i).guidance for i in range(8)]
    assert scales == [0.5 if label == 2 else 1.2 for label in run.result.class_labels] and 2 in run.result.class_labels
    controls.choice.setCurrentIndex(4)
    controls.guidance.spin.setValue(2.0)
    assert not controls.recommended.isChecked()
    controls.recommended.setChecked(True)
    assert controls.guidance.value() == 0.5 and controls.guidance_scale() is None  # ticked again: the card's back
    controls.recommended.setChecked(False)
    controls.set_choice(None, None, random_class=True)  # a saved grid of each class's own scale
    assert controls.recommended.isChecked()
    controls.set_choice(2, 3.0)  # a saved image of its own scale
    assert not controls.recommended.isChecked() and controls.guidance_scale() == 3.0


def test_a_dropped_picture_is_shown_as_the_model_sees_it_with_its_strength(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    box = page.start_box
    assert box.hint.isVisible() and not box.details.isVisible() and not box.clear_button.isEnabled()
    drop(page, photo(tmp_path / "photo.png"))
    qtbot.waitUntil(lambda: box.details.isVisible(), timeout=10_000)
    assert page.banner.kind == "info" and page.banner.text().startswith(
        "Starting from photo.png (photo.png carries no settings of this app, so it is the start picture): "
        "converted to grey, cropped 40x24 to its centre 24x24, resized to 8x8."), page.banner.text()
    assert PICTURE_CLASS_SWITCH not in page.banner.text()  # digits has no classes to move
    assert box.canvas._picture is not None and box.canvas._picture.width() == 8
    assert box.strength.value() == 0.6 and "cropped 40x24" in box.description.text()
    box.clear_button.click()
    assert not box.details.isVisible() and page.view_model.picture.picture is None


def test_a_painted_mask_redraws_only_there_and_the_run_starts_at_the_picture(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    box = page.start_box
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    box.brush.setValue(1)
    paint(qtbot, box.canvas, (1.5, 2.5), (6.5, 2.5))
    mask = page.view_model.picture.mask.pixels
    assert mask[2, 1:7].all() and mask.sum() == 6
    assert box.strength.value() == 1.0 and "6 of 64 pixels to regenerate" in box.description.text()
    page.sampler.setCurrentIndex(page.sampler.findData("ddim"))
    assert not box.resample.isEnabled() and RESAMPLE_NEEDS_DDPM in box.resample.toolTip()
    page.sampler.setCurrentIndex(page.sampler.findData("ddpm"))
    assert box.resample.isEnabled()
    box.resample.setValue(2)
    page.steps.setValue(4)
    page.count.setValue(3)
    run = generate(qtbot, page)
    fitted = page.view_model.picture.display()
    for image in run.result.images:
        assert np.array_equal(image[~mask], fitted[~mask])  # kept pixels come out exactly as they went in
    assert run.record.resample == 2 and run.record.strength == 1.0 and run.painted_mask is not None
    timeline = page.output.reverse_view.timeline
    assert timeline.maximum() == 1 + 4  # the start picture, 4 steps, the final image
    timeline.setValue(0)
    assert page.output.reverse_view.caption.text() == "Start picture, as the model sees it"


def test_a_mask_moves_the_sampler_to_inpaintings_recommendation_and_back_unless_the_user_chose_one(qtbot, context,
                                                                                                   tmp_path):
    page = make_page(qtbot, context)
    box = page.start_box

    def shown():
        return page.sampler.currentData(), page.steps.value()

    recommended = page.picker.current_entry().spec.recommended_sampler()
    assert recommended != INPAINTING_SAMPLER
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    assert shown() == recommended  # img2img: the model's own
    paint(qtbot, box.canvas, (1.5, 2.5), (6.5, 2.5))
    assert shown() == INPAINTING_SAMPLER and box.resample.isEnabled() and box.resample.value() == DEFAULT_RESAMPLE
    assert page.banner.kind == "info"
    assert f"the sampler is now ddpm {INPAINTING_SAMPLER[1]} with harmonise passes" in page.banner.text()
    page.count.setValue(1)
    run = generate(qtbot, page)
    assert (run.record.sampler, run.record.steps, run.record.resample) == (*INPAINTING_SAMPLER, DEFAULT_RESAMPLE)
    box.clear_mask.click()
    assert shown() == recommended

    page.sampler.setCurrentIndex(page.sampler.findData("dpmpp-2m"))  # the user's choice stands, mask or not
    paint(qtbot, box.canvas, (1.5, 2.5), (6.5, 2.5))
    assert shown() == ("dpmpp-2m", recommended[1])
    box.clear_mask.click()
    assert shown() == ("dpmpp-2m", recommended[1])


def test_a_start_picture_moves_a_random_class_to_any_and_back_unless_the_user_chose_one(qtbot, context, shapes,
                                                                                       tmp_path):
    page = make_page(qtbot, context)
    assert page.picker.select(shapes)
    controls, box = page.class_controls, page.start_box
    assert controls.random_class()  # the default without a picture
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    assert controls.choice_made() is None and not controls.guidance.isEnabled()  # any class: the picture decides
    assert page.banner.kind == "info" and page.banner.text().startswith("Starting from photo.png")
    assert page.banner.text().endswith(PICTURE_CLASS_SWITCH)
    page.count.setValue(2)
    run = generate(qtbot, page)
    assert (run.record.class_label, run.record.random_class, run.result.class_labels) == (None, False, None)
    box.clear_button.click()
    assert controls.random_class()

    controls.select(2)  # the user's class stands, picture or not
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    assert controls.class_label() == 2 and PICTURE_CLASS_SWITCH not in page.banner.text()
    box.clear_button.click()
    assert controls.class_label() == 2

    controls.select(None)  # as does "Any" chosen by hand before the picture came
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    assert controls.choice_made() is None and PICTURE_CLASS_SWITCH not in page.banner.text()
    box.clear_button.click()
    assert controls.choice_made() is None


def test_img2img_runs_only_the_steps_below_its_strength_and_the_live_view_follows(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    page.start_box.strength.spin.setValue(0.5)
    page.steps.setValue(8)
    page.count.setValue(1)
    run = generate(qtbot, page)
    assert len(run.result.timesteps) == 4 and run.frame_count == 1 + 4 + 1
    assert "(ddim, 4 of 8 steps from t=" in page.progress.text()
    view = page.output.reverse_view
    assert view.timeline.maximum() == 5
    view.start_live(page.view_model.live_start())  # live, the start picture comes first, so each step one later
    assert view.caption.text() == "Start picture, as the model sees it"
    sheet = np.zeros((8, 8, 1), np.uint8)
    view.show_live(sheet, sheet, step=2, steps=4, caption="Live: step 2/4")
    assert (view.timeline.value(), view.timeline.maximum()) == (2, 5)

    page.start_box.strength.spin.setValue(0.0)  # no step at all: the picture comes back as it was fitted
    run = generate(qtbot, page)
    assert run.frame_count == 2 and "no step at strength 0" in page.progress.text()
    assert np.array_equal(run.result.images[0], page.view_model.picture.display())


def test_settings_from_a_saved_image_bring_back_class_picture_strength_and_painted_mask(qtbot, context, tmp_path,
                                                                                        bundled_dir, shapes):
    page = make_page(qtbot, context)
    page.picker.select(shapes)
    page.class_controls.choice.setCurrentIndex(3)
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    paint(qtbot, page.start_box.canvas, (0.5, 0.5), (7.5, 7.5))
    page.start_box.strength.spin.setValue(0.8)
    page.sampler.setCurrentIndex(page.sampler.findData("ddpm"))
    page.steps.setValue(5)
    page.count.setValue(1)
    generate(qtbot, page)
    context.dialogs.save_path = tmp_path / "out" / "made.png"
    page.output.save_button.click()
    qtbot.waitUntil(lambda: "made-mask.png" in page.banner.text(), timeout=10_000)
    saved = json.loads(Image.open(context.dialogs.save_path).text["cunet-studio"])
    assert saved["mask"]["path"].endswith("made-mask.png") and saved["class_label"] == 1 and saved["strength"] == 0.8
    context.dialogs.folder = tmp_path / "out"  # Save all next: its image names the mask already saved
    page.output.save_all_button.click()
    qtbot.waitUntil(lambda: page.banner.text().startswith("Saved") and "made-mask.png" not in page.banner.text(),
                    timeout=10_000)
    assert sorted(p.name for p in (tmp_path / "out").glob("*-mask.png")) == ["made-mask.png"]
    again_saved = next(p for p in (tmp_path / "out").glob("*.png") if p.name not in ("made.png", "made-mask.png"))
    assert json.loads(Image.open(again_saved).text["cunet-studio"])["mask"] == saved["mask"]

    fresh = make_page(qtbot, context)
    drop(fresh, context.dialogs.save_path)
    qtbot.waitUntil(lambda: "Loaded the settings of made.png" in fresh.banner.text(), timeout=10_000)
    assert fresh.banner.kind == "info", fresh.banner.text()
    assert fresh.picker.current_entry().name == shapes and fresh.class_controls.class_label() == 1
    assert fresh.start_box.strength.value() == 0.8 and fresh.start_box.resample.value() == DEFAULT_RESAMPLE
    assert np.array_equal(fresh.view_model.picture.mask.pixels, page.view_model.picture.mask.pixels)
    again = generate(qtbot, fresh)
    assert np.array_equal(again.result.images[0].squeeze(), np.asarray(Image.open(context.dialogs.save_path)))
    out = tmp_path / "by-command"  # the sample command reads the page's record, painted mask included
    assert main(["sample", "--settings-from", str(context.dialogs.save_path), "--model", str(bundled_dir / shapes),
                 "--out", str(out), "--device", "cpu", "--threads", "1"]) == 0
    assert np.array_equal(np.asarray(Image.open(out / "sample-000000.png")),
                          np.asarray(Image.open(context.dialogs.save_path)))


def test_a_result_becomes_the_start_picture_from_a_file_its_images_name(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    assert not page.output.start_button.isEnabled()  # no result yet
    page.count.setValue(3)
    first = generate(qtbot, page)
    page.output.results.setCurrentRow(1)
    with qtbot.waitSignal(page.pictures_read, timeout=10_000):
        page.output.start_button.click()
    picture = page.view_model.picture.picture
    kept = Path(picture.source.path)
    assert kept == start_pictures_dir() / first.file_name(1)
    assert page.banner.kind == "info" and page.banner.text().startswith(f"Starting from {kept.name} ({FROM_RESULT})")
    assert np.array_equal(page.view_model.picture.display(), first.result.images[1])  # the same size: as it was
    assert json.loads(Image.open(kept).text["cunet-studio"])["seed"] == first.seed_of(1)  # saved with its settings
    page.start_box.strength.spin.setValue(0.5)
    again = generate(qtbot, page)
    assert again.record.init == picture.source and again.record.strength == 0.5  # a record names the file kept
    page.output.results.setCurrentRow(1)  # named as the first (the same seed): a second file, the first left as it was
    with qtbot.waitSignal(page.pictures_read, timeout=10_000):
        page.output.start_button.click()
    assert Path(page.view_model.picture.picture.source.path) != kept and kept.exists()


def test_a_saved_image_whose_start_picture_is_gone_changes_nothing(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    page.seed.setValue(5)
    record = GenerationRecord(model="digits", seed=9, sampler="ddim", steps=4, strength=0.5,
                              init=SourceFile(str(tmp_path / "gone.png"), "0123456789abcdef"))
    save_png(tmp_path / "made.png", Image.new("L", (8, 8)), record.png_text())
    assert page.load_settings_from(tmp_path / "made.png")
    qtbot.waitUntil(lambda: page.banner.kind == "error", timeout=10_000)
    assert "gone.png, which is not there any more" in page.banner.text()
    assert page.seed.value() == 5 and page.view_model.picture.picture is None and page.generate_button.isEnabled()


def test_another_model_refits_the_picture_and_a_drop_while_generating_is_refused(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    open_picture(qtbot, page, context, photo(tmp_path / "photo.png"))
    assert page.picker.select("tiny-rgb")
    qtbot.waitUntil(lambda: not page.view_model.reading, timeout=10_000)
    assert page.banner.kind == "info" and "fitted again" in page.banner.text()
    assert page.view_model.picture.display().shape == (8, 8, 3)
    page.steps.setValue(400)
    page.generate_button.click()
    drop(page, tmp_path / "photo.png")
    assert page.banner.kind == "error" and page.banner.text() == PICTURE_BUSY
    with qtbot.waitSignal(page.generation_done, timeout=10_000):
        page.cancel_generation()
