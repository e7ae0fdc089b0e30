"""DenoiseViewModel without a window: adding photos, what each button can do, what the selected
photo shows, the progress lines, why the queue stopped, and saving."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image

from app.denoise.denoise_messages import EMPTY_TEXT
from app.denoise.denoise_queue import (
    ALL_DONE,
    CANCELLED,
    DONE,
    ERROR,
    MODEL_FAILED,
    QUEUED,
    STOPPED_AFTER_PHOTO,
    WORKING,
)
from app.denoise.denoise_work import PhotoForDisplay, SaveReport
from app.denoise.view_model import (
    DenoiseViewModel,
    QueueStopped,
    SelectionView,
    follows_new_photo,
    loading_text,
    preview_view,
    progress_text,
    queue_stopped,
    selection_view,
    shows_denoiser_hint,
    tiles_caption,
)
from engine.denoise import DenoiseProgress

BEFORE, AFTER = np.zeros((4, 6, 3), np.uint8), np.full((4, 6, 3), 9, np.uint8)


def photo(path: Path) -> Path:
    Image.new("RGB", (6, 4)).save(path)
    return path


def denoised(view_model: DenoiseViewModel, path: Path):
    [item] = view_model.queue.add([path])
    result = SimpleNamespace(sigma=12.5, sigma_estimated=12.5, ensemble=1, start_step=30, steps_taken=1, tiles=1,
                             tile_size=64, notes=[])
    item.status, item.outcome = DONE, SimpleNamespace(result=result, before=BEFORE, after=AFTER)
    return item


def test_adding_a_folder_queues_its_photos_and_says_which_copies_it_left_out(tmp_path):
    view_model = DenoiseViewModel()
    photo(tmp_path / "a.png")
    photo(tmp_path / "a-denoised.png")
    added, message = view_model.add_photos([tmp_path])
    assert [item.path.name for item in added] == ["a.png"]
    assert message == ("Added 1 photo(s). Left out 1 earlier denoised copy (names ending “-denoised”): to denoise "
                       "it again, open it as a file.")
    added, message = view_model.add_photos([tmp_path / "a.png"])
    assert added == [] and message == "No new image files found there."  # already waiting
    added, message = view_model.add_photos([photo(tmp_path / "b.jpg")])
    assert len(added) == 1 and message is None  # nothing worth a banner


def test_the_buttons_follow_the_queue_the_selection_and_a_save_in_progress(tmp_path):
    view_model = DenoiseViewModel()
    [queued] = view_model.queue.add([tmp_path / "queued.png"])
    idle = view_model.buttons(busy=False, has_model=True, selected=queued)
    assert idle.denoise and not idle.save and not idle.save_all and not idle.requeue and not idle.clear_finished
    assert not view_model.buttons(busy=True, has_model=True, selected=queued).denoise
    assert not view_model.buttons(busy=False, has_model=False, selected=queued).denoise
    done = denoised(view_model, tmp_path / "done.png")
    can = view_model.buttons(busy=True, has_model=True, selected=done)
    assert can.save and can.save_all and can.requeue and can.clear_finished  # while the rest is denoised
    assert view_model.begin_save() and not view_model.begin_save()  # one save at a time
    saving = view_model.buttons(busy=False, has_model=True, selected=done)
    assert not saving.save and not saving.save_all
    view_model.save_finished()
    assert view_model.buttons(busy=False, has_model=True, selected=done).save


def test_only_done_or_failed_photos_are_queued_again(tmp_path):
    view_model = DenoiseViewModel()
    [queued] = view_model.queue.add([tmp_path / "queued.png"])
    assert not view_model.requeue(queued) and not view_model.requeue(None)
    done = denoised(view_model, tmp_path / "done.png")
    assert view_model.requeue(done) and done.status == QUEUED and done.outcome is None


def test_any_photo_but_the_one_being_denoised_can_be_taken_off_the_queue(tmp_path):
    view_model = DenoiseViewModel()
    queued, working = view_model.queue.add([tmp_path / "queued.png", tmp_path / "working.png"])
    working.status = WORKING
    done = denoised(view_model, tmp_path / "done.png")
    assert view_model.buttons(busy=True, has_model=True, selected=queued).remove
    assert not view_model.buttons(busy=True, has_model=True, selected=working).remove
    assert not view_model.buttons(busy=False, has_model=True, selected=None).remove
    assert not view_model.remove(working) and not view_model.remove(None)
    assert view_model.remove(queued) and view_model.remove(done)
    assert view_model.queue.items == [working] and view_model.queue.next_queued() is None


def test_what_the_selected_photo_shows_in_each_state(tmp_path):
    view_model = DenoiseViewModel()
    assert selection_view(None, None) == SelectionView(None, None, EMPTY_TEXT, "")
    done = denoised(view_model, tmp_path / "street.png")
    shown = selection_view(done, None)
    assert shown.before is BEFORE and shown.after is AFTER and shown.placeholder is None
    assert shown.info.startswith("<b>street.png</b>: noise σ 12.5 (estimated)")
    [queued] = view_model.queue.add([tmp_path / "queued.png"])
    shown = selection_view(queued, None)
    assert shown.read_preview and shown.placeholder == "Opening queued.png…"
    assert shown.info == "queued.png is queued: press Denoise (Ctrl+Enter)."
    queued.status = WORKING
    working = selection_view(queued, BEFORE)
    assert working.before is BEFORE and working.after is None and working.placeholder is None
    assert working.info == "Denoising queued.png…" and not working.read_preview
    queued.status, queued.message = ERROR, "corrupt file"
    assert selection_view(queued, None) == SelectionView(None, None, "queued.png: Error: corrupt file",
                                                         "Error: corrupt file")


def test_a_photo_read_for_display_shows_only_while_it_is_selected_and_not_denoised(tmp_path):
    view_model = DenoiseViewModel()
    [item] = view_model.queue.add([tmp_path / "a.png"])
    pixels = np.ones((4, 6, 3), np.uint8)
    assert preview_view(item, PhotoForDisplay(tmp_path / "other.png", pixels), None) is None  # moved on
    assert preview_view(item, PhotoForDisplay(item.path, pixels), None).before is pixels
    unreadable = preview_view(item, PhotoForDisplay(item.path, None, "truncated"), None)
    assert unreadable.placeholder == "a.png cannot be shown: truncated" and unreadable.info is None
    item.status = WORKING
    assert preview_view(item, PhotoForDisplay(item.path, pixels), BEFORE) is None  # the denoiser's copy shows
    item.status = DONE
    assert preview_view(item, PhotoForDisplay(item.path, pixels), None) is None


def test_why_the_queue_stopped_is_said_once():
    assert queue_stopped(ALL_DONE, "") == QueueStopped(None, "", True, "All photos processed")
    assert queue_stopped(CANCELLED, "") == QueueStopped("info", "Denoising cancelled; the photo is back in the queue.",
                                                        False, "Cancelled")
    after_photo = queue_stopped(STOPPED_AFTER_PHOTO, "")
    assert "had just finished" in after_photo.banner_text and after_photo.progress_text == "Stopped"
    assert queue_stopped(MODEL_FAILED, "weights damaged") == QueueStopped(
        "error", "Cannot use this model: weights damaged", False, "Stopped: the model could not be loaded")


def test_progress_lines_and_who_the_selection_follows(tmp_path):
    view_model = DenoiseViewModel()
    [item] = view_model.queue.add([tmp_path / "a.png"])
    item.status = WORKING
    assert loading_text(item) == "Loading a.png…"
    update = DenoiseProgress(tile=6, tiles=12, step=2, steps=4, tile_size=64, preview=None, batch_tiles=3)
    item.fraction = update.fraction
    assert loading_text(item) is None
    assert progress_text(item, update) == f"a.png: tile 6/12 · step 2/4 · {update.fraction:.0%}"
    assert tiles_caption(update) == "Tiles 4-6 of 12 (64 px), step 2/4"
    assert follows_new_photo(None) and follows_new_photo(item)
    assert not follows_new_photo(denoised(view_model, tmp_path / "b.png"))  # a result being looked at stays


def test_a_save_marks_what_it_wrote_and_says_what_failed(tmp_path):
    view_model = DenoiseViewModel()
    one, two = denoised(view_model, tmp_path / "one.png"), denoised(view_model, tmp_path / "two.png")
    assert view_model.unsaved() == [one, two]
    outcome = view_model.saved(SaveReport(saved=[(one, tmp_path / "one-denoised.png")], failed=[(two, "disk full")]))
    assert one.saved_to == tmp_path / "one-denoised.png" and two.saved_to is None
    assert outcome.marked == [one] and outcome.status == "Saved one-denoised.png"
    assert outcome.details == str(tmp_path / "one-denoised.png")
    assert outcome.error.startswith("Saved one-denoised.png; could not save two.png: disk full")
    assert view_model.unsaved() == [two]
    nothing = view_model.saved(SaveReport(saved=[], failed=[(two, "disk full")]))
    assert nothing.status is None and nothing.error.startswith("Saved nothing")


def test_the_hint_about_generation_models_shows_only_without_the_photo_denoiser():
    assert shows_denoiser_hint("digits", {"digits"})
    assert not shows_denoiser_hint("digits", {"digits", "photo-denoiser"})
    assert not shows_denoiser_hint("photo-denoiser", {"photo-denoiser"})
    assert not shows_denoiser_hint(None, set())
