"""Denoise page, driven as a user would: drop photos and folders, denoise, compare, save."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtTest import QTest

import app.denoise.denoise_runner
from app.common.model_card import denoising_facts
from app.denoise.denoise_messages import UNSAVED_TITLE
from app.denoise.denoise_page import DenoisePage
from app.denoise.denoise_queue import DONE, QueueItem
from app_helpers import drop
from engine.checkpoints import ModelStore
from engine.denoise import PackedPhoto


def make_page(qtbot, context) -> DenoisePage:
    page = DenoisePage(context)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    return page


def noisy_photo(path, size=(20, 28), seed=0):
    rng = np.random.default_rng(seed)
    clean = np.linspace(40, 200, size[1])[None, :, None] * np.ones((size[0], 1, 3))
    noisy = np.clip(clean + rng.normal(0, 20, clean.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(path)
    return path


def run_queue(qtbot, page):
    with qtbot.waitSignal(page.queue_idle, timeout=30_000):
        page.denoise_button.click()


def test_dropped_photo_is_denoised_compared_and_saved_beside_the_original(qtbot, context, tmp_path):
    photo = noisy_photo(tmp_path / "street.png")
    original = photo.read_bytes()
    page = make_page(qtbot, context)
    drop(page, photo)
    assert [item.status for item in page.queue.items] == ["queued"]
    run_queue(qtbot, page)
    item = page.queue.items[0]
    assert item.status == "done", item.message
    assert page.queue_view.topLevelItem(0).text(1) == "Done"
    assert item.sigma is not None and float(page.queue_view.topLevelItem(0).text(2)) > 0
    assert "noise σ" in page.output.info.text() and "estimated" in page.output.info.text()
    assert (page.live._image.width(), page.live._image.height()) == (28, 20)  # the whole photo, not a tile
    assert page.live_caption.text().startswith("Tile") and "step" in page.live_caption.text()
    assert page.compare._after_image is not None
    assert item.outcome.after.shape == item.outcome.before.shape == (20, 28, 3)
    assert np.array_equal(item.outcome.before, np.asarray(Image.open(photo)))  # the file's own bytes
    packed = item.outcome.result.photo
    assert isinstance(packed, PackedPhoto) and item.outcome.after is packed.pixels  # kept at 8 bits, once

    page.output.save_all_button.click()
    qtbot.waitUntil(lambda: item.saved_to is not None, timeout=10_000)
    assert item.saved_to == tmp_path / "street-denoised.png"
    assert np.array_equal(np.asarray(Image.open(item.saved_to)), item.outcome.after)  # what was shown is saved
    assert photo.read_bytes() == original
    page.output.save_button.click()  # saving again never overwrites: a new name
    qtbot.waitUntil(lambda: item.saved_to.name == "street-denoised-2.png", timeout=10_000)


def test_corrupt_file_shows_its_error_and_the_queue_continues(qtbot, context, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    good = noisy_photo(tmp_path / "good.png")
    page = make_page(qtbot, context)
    drop(page, broken, good)
    run_queue(qtbot, page)
    bad_item, good_item = page.queue.items
    assert bad_item.status == "error" and "corrupt" in bad_item.message
    assert page.queue_view.topLevelItem(0).text(1).startswith("Error:")
    assert good_item.status == "done"
    page.queue_view.select_row(0)
    assert "Error" in page.output.info.text()


def test_a_photo_taken_off_the_queue_is_not_denoised_and_its_file_stays(qtbot, context, tmp_path):
    first, second, third = (noisy_photo(tmp_path / f"{name}.png", seed=i) for i, name in enumerate(("a", "b", "c")))
    page = make_page(qtbot, context)
    drop(page, first, second, third)
    page.queue_view.select_row(1)
    page.remove_button.click()
    assert [item.path for item in page.queue.items] == [first, third] and page.queue_view.topLevelItemCount() == 2
    page.queue_view.select_row(1)
    remove_key = next(s for s in page.queue_view.findChildren(QShortcut)
                      if s.key().matches(QKeySequence.StandardKey.Delete))
    remove_key.activated.emit()  # the Delete key on the queue
    assert [item.path for item in page.queue.items] == [first]
    run_queue(qtbot, page)
    assert [item.status for item in page.queue.items] == [DONE]
    page.queue_view.select_row(0)
    assert page.remove_button.isEnabled()  # a result can go too
    assert second.exists() and third.exists() and not (tmp_path / "b-denoised.png").exists()


def test_a_result_saved_nowhere_is_not_taken_off_the_queue_without_asking(qtbot, context, tmp_path):
    first, second = (noisy_photo(tmp_path / f"{name}.png", seed=i) for i, name in enumerate(("a", "b")))
    page = make_page(qtbot, context)
    drop(page, first, second)
    run_queue(qtbot, page)
    saved, unsaved = page.queue.items
    page.queue_view.select_row(0)
    page.output.save_button.click()
    qtbot.waitUntil(lambda: saved.saved_to is not None, timeout=10_000)
    context.dialogs.asked.clear()
    context.dialogs.confirm_answer = False  # the user says Cancel: nothing goes
    page.clear_button.click()
    page.queue_view.select_row(1)
    page.remove_button.click()
    assert page.queue.items == [saved, unsaved] and context.dialogs.asked == [UNSAVED_TITLE, UNSAVED_TITLE]
    page.queue_view.select_row(0)
    page.remove_button.click()  # a saved result goes without a question
    assert page.queue.items == [unsaved] and len(context.dialogs.asked) == 2
    context.dialogs.confirm_answer = True
    page.clear_button.click()
    assert page.queue.items == [] and len(context.dialogs.asked) == 3
    assert first.exists() and second.exists()


def test_dropped_folder_adds_its_images_and_manual_noise_level_is_used(qtbot, context, tmp_path):
    folder = tmp_path / "holiday"
    (folder / "day2").mkdir(parents=True)
    noisy_photo(folder / "a.png")
    noisy_photo(folder / "day2" / "b.png", seed=1)
    (folder / "notes.txt").write_text("not a photo")
    page = make_page(qtbot, context)
    drop(page, folder)
    assert [item.path.name for item in page.queue.items] == ["a.png", "b.png"]
    page.controls.auto_sigma.setChecked(False)
    page.controls.sigma.setValue(10.0)
    page.controls.strength.setValue(50)
    page.controls.steps.setValue(3)
    page.controls.ensemble.setCurrentIndex(page.controls.ensemble.findData(2))
    run_queue(qtbot, page)
    results = [item.outcome.result for item in page.queue.items]
    assert all(r.sigma == 10.0 and r.sigma_estimated is None for r in results)
    assert all(r.steps_taken == 2 and r.ensemble == 2 for r in results)
    page.queue_view.select_row(0)
    assert "2 copies averaged" in page.output.info.text()

    out = tmp_path / "out"
    out.mkdir()
    context.dialogs.folder = out
    page.output.format.setCurrentIndex(page.output.format.findData("png"))
    assert not page.output.jpeg_quality.isEnabled()
    page.output.format.setCurrentIndex(page.output.format.findData("jpeg"))
    page.output.jpeg_quality.setValue(50)
    page.output.choose_folder()
    page.output.save_all_button.click()
    qtbot.waitUntil(lambda: sorted(p.name for p in out.iterdir()) == ["a-denoised.jpg", "b-denoised.jpg"], timeout=10_000)
    with Image.open(out / "a-denoised.jpg") as saved:
        assert saved.quantization[0][0] == 16  # libjpeg's luminance table unscaled: quality 50
        assert JpegImagePlugin.get_sampling(saved) == 0  # 4:4:4


def test_compare_view_split_zoom_pan_and_difference(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    drop(page, noisy_photo(tmp_path / "p.png"))
    run_queue(qtbot, page)
    view = page.compare
    split_x = int(view.split * view.width())
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(split_x, 50))
    QTest.mouseMove(view, QPoint(split_x - 100, 50))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(split_x - 100, 50))
    assert abs(view.split * view.width() - (split_x - 100)) < 2

    zoom = view.zoom
    anchor = view.image_to_widget(10, 10)
    view.zoom_at(anchor, 2.0)
    assert view.zoom == 2 * zoom
    moved = view.image_to_widget(10, 10)
    assert abs(moved.x() - anchor.x()) < 1e-6 and abs(moved.y() - anchor.y()) < 1e-6

    start = QPoint(40, 40)
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(view, start + QPoint(30, 20))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(30, 20))
    panned = view.image_to_widget(10, 10)
    assert (panned.x() - moved.x(), panned.y() - moved.y()) == (30, 20)

    page.compare_panel.mode.setCurrentIndex(page.compare_panel.mode.findData("difference"))
    page.compare_panel.gain.setValue(8)
    assert view.mode == "difference" and view.gain == 8
    assert not view.grab().isNull()


def test_no_model_says_denoising_needs_one(qtbot, context, bundled_dir):
    shutil.rmtree(bundled_dir)
    context.catalog.refresh()
    page = make_page(qtbot, context)
    assert page.picker.empty_notice.isVisible() and "No model can denoise" in page.picker.empty_notice.text()
    assert not page.denoise_button.isEnabled()


def test_a_damaged_model_stops_the_queue_with_one_message(qtbot, context, bundled_dir, tmp_path):
    (bundled_dir / "tiny-rgb" / "model.safetensors").write_bytes(b"{not really weights}")
    page = make_page(qtbot, context)
    assert page.picker.select("tiny-rgb")
    drop(page, noisy_photo(tmp_path / "a.png"), noisy_photo(tmp_path / "b.png", seed=1))
    run_queue(qtbot, page)
    assert page.banner.kind == "error" and page.banner.text().startswith("Cannot use this model")
    assert [item.status for item in page.queue.items] == ["queued", "queued"]
    assert page.denoise_button.isEnabled()


def two_photos_denoised_in_two_folders(qtbot, context, tmp_path) -> DenoisePage:
    """a/one.png and b/two.png, both denoised and not saved yet."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    page = make_page(qtbot, context)
    drop(page, noisy_photo(tmp_path / "a" / "one.png"), noisy_photo(tmp_path / "b" / "two.png", seed=1))
    run_queue(qtbot, page)
    return page


def test_save_all_pressed_twice_saves_each_photo_once_and_says_where(qtbot, context, tmp_path):
    page = two_photos_denoised_in_two_folders(qtbot, context, tmp_path)
    page.output.save_all_button.click()
    assert not page.output.save_all_button.isEnabled()  # until this save has finished
    page.save_all()  # the shortcut's way in, while the first save runs
    qtbot.waitUntil(lambda: all(item.saved_to is not None for item in page.queue.items), timeout=10_000)
    qtbot.waitUntil(page.output.save_all_button.isEnabled, timeout=10_000)
    assert sorted(p.name for p in tmp_path.rglob("*-denoised*")) == ["one-denoised.png", "two-denoised.png"]
    # A routine save is told in the save row, not by a banner pushing the page down.
    assert page.output.save_status.text() == "Saved 2 photos, each beside its original"
    assert page.banner.kind == "" and "one-denoised.png" in page.output.save_status.toolTip()


def test_a_save_all_failing_for_one_photo_keeps_the_others_saved(qtbot, context, tmp_path):
    """Saved photos stay marked saved when another fails, so Save all again retries only that one
    instead of writing second copies."""
    page = two_photos_denoised_in_two_folders(qtbot, context, tmp_path)
    shutil.rmtree(tmp_path / "b")
    (tmp_path / "b").write_text("a file where the folder was: nothing can be saved beside two.png")
    for saved in ("Saved one-denoised.png", "Saved nothing"):
        page.output.save_all_button.click()
        qtbot.waitUntil(lambda: page.banner.kind == "error", timeout=10_000)
        qtbot.waitUntil(page.output.save_all_button.isEnabled, timeout=10_000)
        assert page.banner.text().startswith(saved) and "could not save two.png" in page.banner.text()
        page.banner.clear()
    assert [p.name for p in (tmp_path / "a").iterdir() if "denoised" in p.name] == ["one-denoised.png"]
    assert page.queue.items[0].saved_to is not None and page.queue.items[1].saved_to is None


def test_cancel_pressed_as_the_photo_finishes_says_it_is_done(qtbot, context, tmp_path, monkeypatch):
    real_work, finished_photo = app.denoise.denoise_runner.denoise_work, threading.Event()
    pressed = threading.Event()

    def work_finishing_before_the_cancel(*args):
        work = real_work(*args)

        def run(report, cancel):
            outcome = work(report, threading.Event())  # past its last network call: cancel has nothing to stop
            finished_photo.set()
            pressed.wait(10)
            return outcome
        return run

    monkeypatch.setattr(app.denoise.denoise_runner, "denoise_work", work_finishing_before_the_cancel)
    photos = [noisy_photo(tmp_path / "one.png"), noisy_photo(tmp_path / "two.png", seed=1)]
    page = make_page(qtbot, context)
    drop(page, *photos)
    page.denoise_button.click()
    assert finished_photo.wait(30)
    with qtbot.waitSignal(page.queue_idle, timeout=30_000):
        page.cancel_denoising()
        pressed.set()
    assert [item.status for item in page.queue.items] == ["done", "queued"]
    assert "had just finished" in page.banner.text() and page.progress.format() == "Stopped"


def test_a_queued_photo_is_shown_before_denoise_is_pressed(qtbot, context, tmp_path):
    photo = noisy_photo(tmp_path / "street.png")
    page = make_page(qtbot, context)
    drop(page, photo)
    qtbot.waitUntil(lambda: page.compare._before_image is not None, timeout=10_000)
    assert (page.compare._before_image.width(), page.compare._before_image.height()) == (28, 20)
    assert page.compare._after_image is None and "queued" in page.output.info.text()
    whole = page.compare.grab().toImage()
    right_of_split = whole.pixelColor(int(page.compare.image_to_widget(27, 10).x()) - 1, whole.height() // 2)
    assert right_of_split.name() != "#2b2b2b"  # the whole photo, not the before half of a split


def test_a_queued_file_that_cannot_be_read_says_why_in_place_of_the_photo(qtbot, context, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    page = make_page(qtbot, context)
    drop(page, broken)
    qtbot.waitUntil(lambda: "cannot be shown" in page.compare._placeholder, timeout=10_000)
    assert page.compare._before_image is None


def test_saved_and_failed_photos_keep_the_photo_column_readable(qtbot, context, tmp_path):
    page = make_page(qtbot, context)
    view = page.queue_view
    saved = QueueItem(tmp_path / "meadow-at-dawn.png", status=DONE, saved_to=tmp_path / "meadow-at-dawn-denoised.png")
    failed = QueueItem(tmp_path / "x.png", status="error", message="cannot identify image file " + "x" * 80)
    view.set_items([saved, failed])
    status_width = view.header().sectionSize(1)
    assert view.topLevelItem(0).text(1) == "Saved"
    assert view.topLevelItem(0).toolTip(1) == f"Saved as {saved.saved_to}"
    assert view.header().sectionSize(0) > 2 * status_width  # the long error does not widen Status
    assert view.topLevelItem(1).toolTip(1).endswith("x" * 80)


def test_the_strength_scale_names_its_ends_and_the_difference_gain_is_labelled(qtbot, context):
    page = make_page(qtbot, context)
    controls = page.controls
    assert controls.strength.value() == 0
    assert "smooth" in controls.strength_low.text().lower() and "fastest" in controls.strength_low.text()
    assert controls.strength_high.text() == "Detailed"
    panel = page.compare_panel
    assert panel.gain_label.buddy() is panel.gain and panel.gain_label.text() == "Amplify"
    assert not panel.gain.isEnabled()  # it only changes the difference view
    panel.mode.setCurrentIndex(panel.mode.findData("difference"))
    assert panel.gain.isEnabled()


@pytest.mark.parametrize(("name", "tiles"), [("photo-denoiser", "512 px tiles"), ("photo-denoiser-v1", "64 px tiles")])
def test_the_bundled_denoiser_cards_speak_to_users(name, tiles):
    entry = next(e for e in ModelStore().list() if e.name == name)
    facts = dict(denoising_facts(entry))
    assert facts["Noise"] == "Up to σ 100 on a 0-255 scale"
    assert facts["Photos"].startswith("Any size") and tiles in facts["Photos"]
    assert facts["Speed"] and facts["Trained on"] and "Images" not in facts
    shown = " ".join(facts.values())
    for developer_text in ("--", "shared/", "benchmarks/", ".json", "docs/"):
        assert developer_text not in shown
