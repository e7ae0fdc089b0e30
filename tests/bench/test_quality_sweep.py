"""benchmarks/quality_sweep.py's row plans (what a sweep runs, --rows to split one over processes) and
its measure of a class-conditional model."""

import argparse
import json

import pytest
import torch
from bench.conftest import load_benchmark_script
from helpers import save_tiny_model, two_level_npz

from engine.errors import ConfigError
from engine.evaluation.classifier import ClassifierInfo, FeatureClassifier, save_classifier
from engine.models import SolverSettings

sweep = load_benchmark_script("quality_sweep")
MIDPOINT = SolverSettings(method="midpoint", steps=1)


def test_sampler_sweep_starts_with_the_recommended_row_and_does_not_repeat_it():
    rows = sweep.sweep_rows("samplers", ("ddpm", 25), MIDPOINT)
    assert rows[0] == ("ddpm", 25, None)
    assert rows.count(("ddpm", 25, None)) == 1
    assert ("ddim", 10, None) in rows and all(solver is None for _, _, solver in rows)


def test_dial_sweep_skips_the_trained_solver():
    rows = sweep.sweep_rows("dial", ("ddpm", 50), SolverSettings(method="rk4", steps=1))
    solvers = [(s.method, s.steps) for _, _, s in rows[1:]]
    assert solvers == [("euler", 1), ("euler", 2), ("rk4", 2)]
    assert sweep.sweep_rows("dial", ("ddpm", 50), None) == [("ddpm", 50, None)]  # a U-Net has no dial


def test_rows_option_parses_sampler_and_solver_rows():
    assert sweep.parse_rows("ddim:10, dpmpp-2m:20,ddpm:50:euler:2") == [
        ("ddim", 10, None), ("dpmpp-2m", 20, None), ("ddpm", 50, SolverSettings(method="euler", steps=2))]


@pytest.mark.parametrize("text", ["ddim", "ddim:ten", "ddpm:50:euler", ",", "ddpm:50:euler:x", "ddim:10:foo:1",
                                  "ddim:10:rk4:0"])
def test_rows_option_rejects_malformed_rows(text):
    with pytest.raises(argparse.ArgumentTypeError):
        sweep.parse_rows(text)


def test_schedule_sweep_runs_each_cheap_solver_until_each_switch_then_the_trained_one():
    rows = sweep.sweep_rows("schedules", ("ddpm", 50), MIDPOINT)
    assert rows[0] == ("ddpm", 50, None)  # the trained solver throughout: the reference
    schedules = [solver for _, _, solver in rows[1:]]
    assert [s.switch for s in schedules] == list(sweep.SCHEDULE_SWITCHES)
    assert all(s.noisy == SolverSettings("euler") and s.fine == MIDPOINT for s in schedules)  # midpoint: as trained
    assert len(sweep.sweep_rows("schedules", ("ddpm", 50), SolverSettings("rk4"))) == 1 + 2 * len(sweep.SCHEDULE_SWITCHES)
    assert sweep.sweep_rows("schedules", ("ddpm", 50), None) == [("ddpm", 50, None)]  # a U-Net has no solver


def test_schedule_rows_parse_and_are_labelled_beside_the_one_solver_labels():
    sampler, steps, schedule = sweep.parse_schedule_row("ddpm:50:euler:1@300,midpoint:1")
    assert (sampler, steps, schedule.text()) == ("ddpm", 50, "euler:1@300,midpoint:1")
    assert sweep.solver_label(schedule) == "euler x1 while t>=300, then midpoint x1"
    assert sweep.solver_label(MIDPOINT) == "midpoint x1"  # as stored sweeps and plot_dial name it
    assert sweep.solver_label(None) is None


@pytest.mark.parametrize("text", ["ddpm:50", "ddpm:fifty:euler:1@300,midpoint:1", "ddpm:50:euler:1",
                                  "ddpm:50:euler:1@300,midpoint:0"])
def test_schedule_rows_reject_malformed_rows(text):
    with pytest.raises(argparse.ArgumentTypeError, match="schedule row"):
        sweep.parse_schedule_row(text)


def test_a_conditional_model_is_measured_with_the_classes_and_guidance_asked_for(tmp_path):
    """--class random --guidance W: every row samples as the Generate page's default does and
    reports the share in the class asked for; without --class the rows are unconditional."""
    torch.manual_seed(0)
    (tmp_path / "classifier").mkdir()
    save_classifier(tmp_path / "classifier", FeatureClassifier(1, 2),
                    ClassifierInfo(channels=1, image_size=8, classes=["0", "1"], held_out_accuracy=1.0,
                                   dataset="data.npz"))
    model = save_tiny_model(tmp_path / "model", class_names=("dark", "light"))
    common = ["--model", str(model), "-n", "6", "--batch", "6", "--rows", "ddpm:2", "--classifier",
              str(tmp_path / "classifier"), "--data", str(two_level_npz(tmp_path / "data.npz", count=80)),
              "--device", "cpu"]
    sweep.main([*common, "--class", "random", "--guidance", "2", "--out", str(tmp_path / "guided.json")])
    guided = json.loads((tmp_path / "guided.json").read_text())
    assert (guided["class"], guided["guidance"]) == ("random", 2.0)
    row = guided["rows"][0]
    assert row["guidance"] == 2.0 and 0 <= row["in_asked_class"] <= 1 and row["generated"] == 6
    sweep.main([*common, "--out", str(tmp_path / "plain.json")])
    plain = json.loads((tmp_path / "plain.json").read_text())["rows"][0]
    assert plain["guidance"] is None and plain["in_asked_class"] is None
    assert plain["fd"] != row["fd"]  # the guided images are other images
    three = save_tiny_model(tmp_path / "three", class_names=("a", "b", "c"))
    with pytest.raises(ConfigError, match="the classifier knows 2 classes, .*three 3"):  # before sampling
        sweep.main([*common[2:], "--model", str(three), "--class", "random", "--out", str(tmp_path / "no.json")])
    assert not (tmp_path / "no.json").exists()
