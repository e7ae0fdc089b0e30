"""The start picture and mask without a window: painting strokes into the mask at the model's
resolution, the strength that follows it, what they add to a request, the harmonise passes, what
a dropped file is for, and reads of picture files (stale ones ignored, a failed refit puts the
picture away)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from app.generate.mask_painting import MaskPainting
from app.generate.picture_work import Geometry, PicturesRead, pictures_work
from app.generate.view_model import (
    MASK,
    PICTURE,
    REFIT,
    RESAMPLE_NEEDS_DDPM,
    RESAMPLE_NEEDS_MASK,
    GenerateViewModel,
    GenerationSettings,
    resample_note,
)
from engine.generation_record import GenerationRecord
from engine.imaging import save_png

GREY_8 = Geometry(8, 1)


def painted(size: int = 8, brush: int = 1) -> MaskPainting:
    mask = MaskPainting(size)
    mask.brush = brush
    return mask


def test_a_press_with_a_one_pixel_brush_paints_the_pixel_under_it():
    mask = painted()
    assert mask.is_empty() and mask.stroke((2.9, 5.1), (2.9, 5.1))
    assert np.argwhere(mask.pixels).tolist() == [[5, 2]]  # (row, column) = (y, x)
    assert not mask.stroke((2.1, 5.8), (2.1, 5.8))  # the same pixel again: nothing changed


def test_a_drag_paints_a_connected_line_as_wide_as_the_brush():
    mask = painted()
    mask.stroke((0.5, 3.5), (7.5, 3.5))
    assert mask.pixels[3].all() and mask.pixels.sum() == 8
    wide = painted(brush=3)
    wide.stroke((0.5, 3.5), (7.5, 3.5))
    assert wide.pixels[2:5].all() and wide.pixels.sum() == 24  # rows 2-4: a 3 px line
    diagonal = painted()
    diagonal.stroke((0, 0), (7.9, 7.9))
    assert np.array_equal(diagonal.pixels, np.eye(8, dtype=bool))


def test_erase_clear_invert_and_resize():
    mask = painted(brush=3)
    mask.stroke((3.5, 3.5), (3.5, 3.5))
    assert mask.pixels.sum() == 9
    mask.erasing, mask.brush = True, 1
    mask.stroke((3.5, 3.5), (3.5, 3.5))
    assert mask.pixels.sum() == 8 and not mask.pixels[3, 3]
    mask.invert()
    assert mask.pixels.sum() == 64 - 8 and mask.pixels[3, 3]
    big = mask.resized(16)
    assert big.pixels.shape == (16, 16) and np.array_equal(big.pixels[::2, ::2], mask.pixels)
    mask.clear()
    assert mask.is_empty()
    assert torch.equal(big.as_tensor()[0], torch.from_numpy(big.pixels).float())
    assert set(np.unique(big.as_image())) == {0, 255}


def picture_file(tmp_path, name: str = "cat.png", size: int = 8) -> object:
    pixels = np.arange(size * size, dtype=np.uint8).reshape(size, size) * 3
    Image.fromarray(pixels).save(tmp_path / name)
    return tmp_path / name


def read(work) -> PicturesRead:
    return work(lambda _: None, None)


def with_picture(tmp_path, view_model: GenerateViewModel | None = None, why: str = "") -> GenerateViewModel:
    view_model = view_model or GenerateViewModel()
    load = view_model.begin_read(PICTURE, why)
    outcome = view_model.pictures_read(read(pictures_work(picture_file(tmp_path), None, GREY_8, load)))
    assert outcome.kind == "info" and outcome.text.startswith("Starting from cat.png"), outcome.text
    return view_model


def settings(sampler: str = "ddpm", resample: int | None = 3) -> GenerationSettings:
    return GenerationSettings(seed=1, count=2, sampler=sampler, steps=10, eta=0.0, solver=None, resample=resample)


def test_a_picture_goes_into_the_request_at_the_default_strength_until_one_is_chosen(tmp_path):
    view_model = with_picture(tmp_path)
    state = view_model.picture
    assert state.description().startswith("cat.png: already 8x8 grey: used as it is.\nNo mask")
    request = view_model.start("digits", settings(), now=0.0)
    assert torch.equal(request.init_image, state.picture.fitted.pixels) and request.mask is None
    assert request.strength == 0.6 and request.resample is None  # img2img: nothing to harmonise
    assert view_model.live_start()[0].shape == (8, 8, 1)
    state.choose_strength(0.35)
    assert view_model.start("digits", settings(), now=0.0).strength == 0.35


def test_painting_makes_an_inpainting_request_at_full_strength_with_harmonising_for_ddpm_only(tmp_path):
    view_model = with_picture(tmp_path)
    state = view_model.picture
    state.set_brush(2)
    assert state.paint((1, 1), (6, 1))
    assert state.masked and state.strength == 1.0  # inpainting's default, as the engine's
    assert state.description().endswith("pixels to regenerate.")
    request = view_model.start("digits", settings("ddpm", resample=3), now=0.0)
    assert torch.equal(request.mask, state.mask.as_tensor()) and request.resample == 3
    assert view_model.start("digits", settings("ddim", resample=3), now=0.0).resample is None
    assert resample_note("ddim", masked=True) == RESAMPLE_NEEDS_DDPM
    assert resample_note("ddpm", masked=False) == RESAMPLE_NEEDS_MASK and resample_note("ddpm", True) is None
    init, mask = state.record_files()
    assert init.path.endswith("cat.png") and mask is None  # a painted mask has no file yet
    assert state.painted_mask().max() == 255
    state.clear_mask()
    assert not state.masked and state.strength == 0.6 and state.painted_mask() is None
    assert view_model.start("digits", settings(), now=0.0).mask is None  # an empty mask is plain img2img


def test_a_mask_file_is_the_mask_until_painted_on(tmp_path):
    view_model = with_picture(tmp_path)
    hole = np.zeros((16, 16), np.uint8)
    hole[8:, :] = 255
    Image.fromarray(hole).save(tmp_path / "hole.png")
    outcome = view_model.pictures_read(read(pictures_work(None, tmp_path / "hole.png", GREY_8,
                                                          view_model.begin_read(MASK))))
    assert outcome.kind == "info" and "hole.png: resized to 8x8" in outcome.text
    state = view_model.picture
    assert state.mask.pixels[4:].all() and not state.mask.pixels[:4].any()
    assert state.record_files()[1].path.endswith("hole.png") and state.painted_mask() is None
    state.invert_mask()
    assert state.record_files()[1] is None and state.painted_mask() is not None


def test_only_the_latest_read_counts_and_a_clear_makes_a_running_one_stale(tmp_path):
    view_model = GenerateViewModel()
    first = view_model.begin_read(PICTURE)
    second = view_model.begin_read(PICTURE)
    assert view_model.reading
    assert view_model.pictures_read(read(pictures_work(picture_file(tmp_path), None, GREY_8, first))) is None
    assert view_model.picture.picture is None and view_model.reading
    view_model.clear_picture()
    assert not view_model.reading
    assert view_model.pictures_read(read(pictures_work(picture_file(tmp_path), None, GREY_8, second))) is None
    assert view_model.picture.picture is None


def test_another_model_size_refits_the_picture_and_scales_a_painted_mask(tmp_path):
    view_model = with_picture(tmp_path)
    view_model.picture.set_brush(1)
    view_model.picture.paint((0, 0), (0, 0))
    view_model.picture.choose_strength(0.8)
    assert view_model.refit_paths(GREY_8) is None
    paths = view_model.refit_paths(Geometry(16, 3))
    assert paths[0].name == "cat.png" and paths[1] is None
    outcome = view_model.pictures_read(read(pictures_work(*paths, Geometry(16, 3), view_model.begin_read(REFIT))))
    assert outcome.kind == "info" and "copied its grey to RGB, resized to 16x16" in outcome.text
    state = view_model.picture
    assert state.picture.fitted.pixels.shape == (3, 16, 16) and state.strength == 0.8
    assert np.argwhere(state.mask.pixels).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]

    (tmp_path / "cat.png").unlink()
    outcome = view_model.pictures_read(read(pictures_work(*view_model.refit_paths(GREY_8), GREY_8,
                                                          view_model.begin_read(REFIT))))
    assert outcome.kind == "error" and "The start picture was put away: cat.png" in outcome.text
    assert view_model.picture.picture is None


def test_a_picture_that_cannot_be_read_changes_nothing(tmp_path):
    view_model = with_picture(tmp_path)
    before = view_model.picture.picture
    (tmp_path / "notes.txt").write_text("not a picture")
    outcome = view_model.pictures_read(read(pictures_work(tmp_path / "notes.txt", None, GREY_8,
                                                          view_model.begin_read(PICTURE))))
    assert outcome.kind == "error" and outcome.text.startswith("notes.txt") and "\n" not in outcome.text
    assert view_model.picture.picture is before and not view_model.reading


@pytest.mark.parametrize("kind", ["settings", "plain png", "jpeg", "not an image"])
def test_a_dropped_file_is_settings_only_when_it_carries_them(tmp_path, kind):
    path = tmp_path / ("photo.jpg" if kind == "jpeg" else "made.png")
    if kind == "settings":
        record = GenerationRecord(model="digits", seed=1, sampler="ddim", steps=9)
        save_png(path, Image.new("L", (8, 8)), record.png_text())
    elif kind == "not an image":
        path.write_text("hello")
    else:
        Image.new("RGB", (8, 8)).save(path)
    carries_settings, why = GenerateViewModel().dropped(path)
    assert carries_settings == (kind == "settings")
    assert ("carries no settings of this app, so it is the start picture" in why) == (kind in ("plain png", "jpeg"))


def test_a_dropped_picture_says_why_it_is_one(tmp_path):
    view_model = GenerateViewModel()
    load = view_model.begin_read(PICTURE, "cat.png carries no settings of this app, so it is the start picture")
    outcome = view_model.pictures_read(read(pictures_work(picture_file(tmp_path), None, GREY_8, load)))
    assert outcome.text.startswith("Starting from cat.png (cat.png carries no settings of this app, so it is the "
                                   "start picture): already 8x8 grey")
