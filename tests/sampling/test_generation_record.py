"""The settings saved in a generated PNG: written by both front ends, read back strictly."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import Image

from engine.checkpoints import load_model, weights_id
from engine.diffusion import SteppedSolver
from engine.errors import ConfigError, ImageLoadError
from engine.generate import GenerationRequest, GenerationResult
from engine.generation_record import (
    TEXT_KEY,
    GenerationRecord,
    NoGenerationRecord,
    SourceFile,
    check_source_file,
    file_fingerprint,
    other_weights_warning,
    parse_record,
    read_generation_record,
)
from engine.imaging import save_png
from engine.models import SolverSettings
from helpers import save_tiny_model
from robustness.corpus import build_corpus

RECORD = GenerationRecord(model="digits", seed=43, sampler="ddim", steps=25, eta=0.5,
                          solver=SolverSettings("rk4", 2), count=1, weights="0123456789abcdef")
STEPPED = dataclasses.replace(RECORD, solver=SteppedSolver(SolverSettings("euler"), SolverSettings("rk4", 2), 600))
EULER_JSON = {"method": "euler", "steps": 1, "rtol": 0.001, "atol": 0.001, "adjoint": False}


def png_with(path, text: dict[str, str] | None):
    save_png(path, Image.new("L", (4, 4)), text)
    return path


def test_a_record_survives_the_png(tmp_path):
    assert read_generation_record(png_with(tmp_path / "a.png", RECORD.png_text())) == RECORD
    plain = GenerationRecord(model="fashion", seed=0, sampler="ddpm", steps=50, count=64)
    assert read_generation_record(png_with(tmp_path / "b.png", plain.png_text())) == plain


def test_a_step_aware_solver_survives_the_png_and_older_one_solver_records_still_read(tmp_path):
    assert read_generation_record(png_with(tmp_path / "a.png", STEPPED.png_text())) == STEPPED
    old = {"model": "digits", "seed": 43, "sampler": "ddim", "steps": 25, "eta": 0.5, "count": 1,
           "weights": "0123456789abcdef", "solver": {"method": "rk4", "steps": 2, "rtol": 0.001, "atol": 0.001}}
    assert parse_record(json.dumps(old)) == RECORD


def test_a_schedule_with_an_end_phase_survives_the_png_and_older_schedules_read_without_one(tmp_path):
    band = dataclasses.replace(STEPPED, solver=dataclasses.replace(STEPPED.solver, switch=900, until=300))
    assert read_generation_record(png_with(tmp_path / "a.png", band.png_text())) == band
    older = json.loads(STEPPED.png_text()[TEXT_KEY])
    del older["solver"]["until"]  # as records were written before the end phase existed
    assert parse_record(json.dumps(older)) == STEPPED


def test_summary_names_what_reproduces_the_image():
    assert RECORD.summary() == "digits, ddim (eta 0.5) 25 steps, rk4 × 2 per ODE block, seed 43"
    assert STEPPED.summary() == ("digits, ddim (eta 0.5) 25 steps, euler × 1 while t ≥ 600, then rk4 × 2 per ODE block, "
                                 "seed 43")
    guided = dataclasses.replace(RECORD, class_label=3, guidance=2.5, solver=None)
    assert guided.summary() == "digits, class 3 (guidance 2.5), ddim (eta 0.5) 25 steps, seed 43"
    assert guided.summary_parts(("0", "1", "2", "3"))[1] == "class 3 (guidance 2.5)"  # a name that is its index
    assert guided.summary_parts(("T-shirt", "Trouser", "Pullover", "Dress"))[1] == "Dress (guidance 2.5)"


def test_an_image_of_a_class_keeps_its_class_and_guidance_and_older_records_read_without(tmp_path):
    guided = dataclasses.replace(RECORD, class_label=3, guidance=0.0)
    assert read_generation_record(png_with(tmp_path / "a.png", guided.png_text())) == guided
    older = {k: v for k, v in json.loads(RECORD.png_text()[TEXT_KEY]).items() if k not in ("class_label", "guidance")}
    assert parse_record(json.dumps(older)) == RECORD


@pytest.mark.parametrize("change, message", [
    ({"sampler": "euler-a"}, "unknown sampler"),
    ({"seed": True}, "seed must be a whole number"),
    ({"seed": -1}, "seed must be a whole number"),
    ({"steps": 0}, "steps must be a whole number"),
    ({"eta": float("nan")}, "eta must be a number"),
    ({"model": ""}, "no model name"),
    ({"count": 10**9}, "count must be a whole number"),
    ({"solver": {"method": "rk4", "steps": 1, "magic": 1}}, "unknown solver setting(s) magic"),
    ({"solver": {"method": "rk9"}}, "unknown ODE solver"),
    ({"solver": "rk4"}, "the solver is not an object"),
    ({"solver": {"noisy": EULER_JSON, "fine": EULER_JSON, "switch": 500, "magic": 1}},
     "unknown solver schedule setting(s) magic"),
    ({"solver": {"noisy": EULER_JSON, "switch": 500}}, "the solver schedule has no fine solver"),
    ({"solver": {"noisy": EULER_JSON, "fine": "rk4", "switch": 500}}, "the solver is not an object"),
    ({"solver": {"noisy": EULER_JSON, "fine": {"method": "rk9"}, "switch": 500}}, "unknown ODE solver"),
    ({"solver": {"noisy": EULER_JSON, "fine": EULER_JSON, "switch": 0}}, "switches at a step t >= 1"),
    ({"solver": {"noisy": EULER_JSON, "fine": EULER_JSON, "switch": True}}, "switches at a step t >= 1"),
    ({"weights": "../../etc"}, "weights must be a fingerprint"),
    ({"class_label": 3}, "guidance must be a number >= 0 for an image of a class"),
    ({"class_label": 3, "guidance": -1}, "guidance must be a number >= 0"),
    ({"guidance": 2.0}, "class_label must be a whole number"),
    ({"class_label": -1, "guidance": 2.0}, "class_label must be a whole number"),
    ({"random_class": 1, "guidance": 2.0}, "random_class must be true or false"),
    ({"random_class": True, "guidance": "strong"}, "guidance must be a number >= 0"),
    ({"random_class": True, "class_label": 3, "guidance": 2.0}, "a record of a random class per image names no one"),
])
def test_a_damaged_record_is_refused_with_what_is_wrong(tmp_path, change, message):
    fields = json.loads(RECORD.png_text()[TEXT_KEY]) | change
    path = png_with(tmp_path / "edited.png", {TEXT_KEY: json.dumps(fields)})
    with pytest.raises(ImageLoadError, match="edited.png: its cUNet Studio settings are damaged") as error:
        read_generation_record(path)
    assert message in str(error.value)


def test_files_without_a_record_say_so(tmp_path):
    with pytest.raises(NoGenerationRecord, match="plain.png has no cUNet Studio settings"):
        read_generation_record(png_with(tmp_path / "plain.png", None))
    Image.new("RGB", (4, 4)).save(tmp_path / "photo.jpg")
    with pytest.raises(NoGenerationRecord, match="photo.jpg has no cUNet Studio settings"):
        read_generation_record(tmp_path / "photo.jpg")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ImageLoadError, match="notes.png: not an image file") as not_an_image:
        read_generation_record(tmp_path / "notes.png")
    assert not isinstance(not_an_image.value, NoGenerationRecord)  # not a picture to start from either
    with pytest.raises(ImageLoadError, match="gone.png: file not found"):
        read_generation_record(tmp_path / "gone.png")
    with pytest.raises(ImageLoadError, match="not a JSON object"):
        read_generation_record(png_with(tmp_path / "list.png", {TEXT_KEY: "[1, 2]"}))


def test_every_hostile_file_is_one_clear_error_and_never_blocks(tmp_path):
    """The photo loaders' corpus (pipes, folders, bombs, truncated and corrupt files): none may
    hang the Generate page or raise anything but a one-line ImageLoadError."""
    for case in build_corpus(tmp_path):
        path = tmp_path / case.name
        with pytest.raises(ImageLoadError) as error:
            read_generation_record(path)
        assert "\n" not in str(error.value), case.id


def test_a_retrained_model_of_the_same_name_is_noticed(tmp_path):
    first = save_tiny_model(tmp_path / "model", seed=0)
    made_with = weights_id(first)
    assert load_model(first).weights_id == made_with and len(made_with) == 16
    record = GenerationRecord(model="model", seed=1, sampler="ddpm", steps=5, weights=made_with)
    assert other_weights_warning(record, made_with, "a.png") is None
    save_tiny_model(tmp_path / "model", seed=1)  # retrained under the same name
    warning = other_weights_warning(record, weights_id(first), "a.png")
    assert warning is not None and "not the one that made a.png" in warning
    assert other_weights_warning(dataclasses.replace(record, weights=None), weights_id(first), "a.png") is None


@pytest.mark.parametrize("changes, message", [
    ({"steps": 0}, "sampler steps"), ({"eta": 1.5}, "eta"), ({"eta": -0.1}, "eta"), ({"seed": -1}, "seed"),
    ({"seed": 2**63 - 1, "count": 2}, "seed"),
])
def test_a_request_the_engine_cannot_honour_or_record_is_refused(changes, message):
    """steps 0 used to mean "the model's recommendation" silently; eta 1.5 and negative seeds were
    sampled and saved in records that `--settings-from` then called damaged."""
    with pytest.raises(ConfigError, match=message):
        GenerationRequest(**changes)


def test_every_request_the_engine_takes_makes_a_record_it_reads_back():
    request = GenerationRequest(count=3, seed=2**63 - 3, steps=1000, eta=1.0, sampler="ddim")
    record = GenerationRecord(model="digits", seed=request.seed, sampler=request.sampler, steps=request.steps,
                              eta=request.eta, count=request.count)
    assert parse_record(record.png_text()[TEXT_KEY]) == record


EDITED = dataclasses.replace(RECORD, strength=0.6, resample=3, init=SourceFile("/pictures/cat.png", "0123456789abcdef"),
                             mask=SourceFile("/pictures/hole.png", "fedcba9876543210"))


def test_an_img2img_record_survives_the_png_and_says_what_it_started_from(tmp_path):
    assert read_generation_record(png_with(tmp_path / "a.png", EDITED.png_text())) == EDITED
    assert EDITED.summary() == ("digits, ddim (eta 0.5) 25 steps, rk4 × 2 per ODE block, from cat.png at strength 0.6, "
                                "mask hole.png, resample 3, seed 43")


def test_a_record_written_before_img2img_reads_as_plain_generation():
    old = {"model": "digits", "seed": 4, "sampler": "ddpm", "steps": 50, "eta": 0.0, "solver": None, "count": 1}
    record = parse_record(json.dumps(old))
    assert record.init is None and record.mask is None and record.strength == 1 and record.resample == 1


@pytest.mark.parametrize("change, message", [
    ({"strength": 1.5}, "strength must be a number from 0 to 1"),
    ({"strength": "0.5"}, "strength must be a number from 0 to 1"),
    ({"resample": 0}, "resample must be a whole number from 1"),
    ({"init": None}, "without an init picture"),
    ({"init": "/cat.png"}, "init must be an object of path and sha256"),
    ({"init": {"path": "", "sha256": "0123456789abcdef"}}, "init names no file"),
    ({"mask": {"path": "/m.png", "sha256": "xyz"}}, "mask sha256 must be 16 hex digits"),
])
def test_a_damaged_img2img_record_is_refused(tmp_path, change, message):
    fields = json.loads(EDITED.png_text()[TEXT_KEY]) | change
    with pytest.raises(ValueError, match=message):
        parse_record(json.dumps(fields))


def test_a_recorded_picture_that_is_gone_is_an_error_and_one_that_changed_a_warning(tmp_path):
    picture = tmp_path / "cat.png"
    picture.write_bytes(b"cat")
    source = SourceFile.of(picture)
    assert source.path == str(picture.resolve()) and source.sha256 == file_fingerprint(picture)
    assert check_source_file(source, "init picture", "a.png") is None
    picture.write_bytes(b"another cat")
    warning = check_source_file(source, "init picture", "a.png")
    assert warning is not None and "has changed since it made a.png" in warning
    picture.unlink()
    with pytest.raises(ImageLoadError, match="a.png was made from the init picture .*cat.png, which is not there"):
        check_source_file(source, "init picture", "a.png")


def test_one_constructor_records_what_was_asked_and_what_the_engine_resolved():
    picture, mask = torch.zeros(1, 8, 8), torch.ones(1, 8, 8)
    request = GenerationRequest(count=2, seed=5, sampler="ddpm", steps=40, solver=SolverSettings("rk4", 2),
                                class_label=1, init_image=picture, strength=0.8, mask=mask)
    result = GenerationResult(np.zeros((2, 8, 8, 1), np.uint8), sampler="ddpm", steps=40, timesteps=[799, 400],
                              model_weights="0123456789abcdef", class_labels=(1, 1), guidance_scales=(2.0, 2.0),
                              resample=5)
    init, hole = EDITED.init, EDITED.mask
    record = GenerationRecord.of("digits", request, result, init, hole)
    assert record == GenerationRecord(model="digits", seed=5, sampler="ddpm", steps=40, eta=0.0,
                                      solver=SolverSettings("rk4", 2), count=2, weights="0123456789abcdef",
                                      class_label=1, guidance=2.0, strength=0.8, resample=5, init=init, mask=hole)
    plain = GenerationRequest(count=2, seed=5)
    with pytest.raises(ValueError, match="needs the picture or mask in the request"):
        GenerationRecord.of("digits", plain, result, init=init)
    assert GenerationRecord.of("digits", plain, result).init is None


def test_a_random_class_generation_records_each_image_as_the_class_it_got(tmp_path):
    request = GenerationRequest(count=3, seed=7, random_class=True, guidance=1.5)
    result = GenerationResult(np.zeros((3, 8, 8, 1), np.uint8), sampler="ddpm", steps=40, timesteps=[1],
                              model_weights="0123456789abcdef", class_labels=(4, 0, 9), guidance_scales=(1.5,) * 3)
    record = GenerationRecord.of("digits", request, result)
    assert (record.class_label, record.random_class) == (None, True)
    assert record.summary() == "digits, a random class (guidance 1.5), ddpm 40 steps, 3 images from seed 7"
    assert read_generation_record(png_with(tmp_path / "grid.png", record.png_text())) == record
    third = record.of_image(2, result)
    assert (third.seed, third.count, third.class_label, third.random_class) == (9, 1, 9, False)
    assert third.summary() == "digits, class 9 (guidance 1.5), ddpm 40 steps, seed 9"
    unconditional = GenerationResult(np.zeros((3, 8, 8, 1), np.uint8), sampler="ddpm", steps=40, timesteps=[1],
                                     model_weights="0123456789abcdef")
    assert RECORD.of_image(1, unconditional) == dataclasses.replace(RECORD, seed=RECORD.seed + 1)


def test_a_random_class_at_each_classs_own_scale_records_none_and_each_image_its_scale(tmp_path):
    request = GenerationRequest(count=3, seed=7, random_class=True)
    result = GenerationResult(np.zeros((3, 8, 8, 1), np.uint8), sampler="ddpm", steps=40, timesteps=[1],
                              model_weights="0123456789abcdef", class_labels=(4, 0, 9), guidance_scales=(1.2, 1.0, 1.2))
    record = GenerationRecord.of("fashion", request, result)
    assert (record.class_label, record.guidance, record.random_class) == (None, None, True)
    assert record.summary() == ("fashion, a random class (each class's recommended guidance), ddpm 40 steps, "
                                "3 images from seed 7")
    assert read_generation_record(png_with(tmp_path / "grid.png", record.png_text())) == record
    second = record.of_image(1, result)
    assert (second.seed, second.class_label, second.guidance, second.random_class) == (8, 0, 1.0, False)
