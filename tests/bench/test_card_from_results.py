import json

import pytest
from bench.conftest import load_benchmark_script

MIDPOINT = {"method": "midpoint", "steps": 1}
STEERED = {"sampler": "dpmpp-2m-sde", "steps": 20, "class": "random", "guidance": 1.5}


def _eval(solver: dict, fd: float, in_class: float, **settings) -> dict:
    """An `engine eval --json` result (the fields the card reads)."""
    return {"fd": fd, "fd_real_split": 3.46, "classifier_accuracy": 0.97, "generated_confident": 0.95,
            "real_confident": 0.91, "generated": 5000, "real": 2000, "solver": solver,
            "in_asked_class": in_class, **(STEERED | settings)}


def _sweep_row(solver: str, evals: int, fd: float, seconds: float) -> dict:
    return {"sampler": "dpmpp-2m-sde", "steps": 20, "solver": solver, "evals/block": evals, "fd": fd,
            "s/image": seconds}


def _results(tmp_path, large: dict[str, dict]):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "recommended.json").write_text(json.dumps(_eval(MIDPOINT, 2.301, 0.9761)))
    (folder / "dial-n200.json").write_text(json.dumps({
        "count": 200, "trained_solver": MIDPOINT, "class": "random", "guidance": 1.5,
        "rows": [_sweep_row("euler x1", 1, 6.64, 0.2264), _sweep_row("midpoint x1", 2, 6.01, 0.296),
                 _sweep_row("rk4 x2", 8, 6.12, 0.737)]}))
    for name, result in large.items():
        (folder / f"dial-{name}.json").write_text(json.dumps(result))
    return folder


def test_the_card_takes_quality_settings_and_each_solvers_large_run(tmp_path):
    folder = _results(tmp_path, {"euler1": _eval({"method": "euler", "steps": 1}, 2.117, 0.9014),
                                 "rk4x2": _eval({"method": "rk4", "steps": 2}, 2.36, 0.972)})
    card = load_benchmark_script("card_from_results").measured_card(folder, "digits")
    assert card["recommended"] == {"sampler": "dpmpp-2m-sde", "steps": 20, "guidance": 1.5}
    assert card["quality"]["FD"] == 2.3 and card["quality"]["in the class asked for"] == 0.976
    assert card["quality"]["measured by"] == "engine eval --model digits -n 5000 --class random (docs/models.md)"
    assert card["solver_tradeoff"] == [
        {"solver": "euler x1", "evals/block": 1, "FD": 6.64, "s/image": 0.226, "FD n=5000": 2.12,
         "in class n=5000": 0.901},
        {"solver": "midpoint x1 (trained)", "evals/block": 2, "FD": 6.01, "s/image": 0.296, "FD n=5000": 2.3,
         "in class n=5000": 0.976},
        {"solver": "rk4 x2", "evals/block": 8, "FD": 6.12, "s/image": 0.737, "FD n=5000": 2.36,
         "in class n=5000": 0.972}]


def test_a_run_of_each_class_at_its_own_scale_is_recommended_as_the_usual_scale_and_the_exceptions(tmp_path):
    folder = _results(tmp_path, {})
    (folder / "dial-n200.json").unlink()  # sampled at guidance 1.5: the card refuses to mix the two
    by_class = {"T-shirt/top": 1.0, "Trouser": 1.0, "Pullover": 1.2, "Dress": 1.2, "Coat": 1.2}
    (folder / "recommended.json").write_text(json.dumps(_eval(MIDPOINT, 2.301, 0.9761, guidance=None,
                                                              guidance_by_class=by_class)))
    script = load_benchmark_script("card_from_results")
    card = script.measured_card(folder, "fashion")
    assert card["recommended"] == {"sampler": "dpmpp-2m-sde", "steps": 20, "guidance": 1.2,
                                   "class_guidance": {"T-shirt/top": 1.0, "Trouser": 1.0}}
    assert script.settings_words(json.loads((folder / "recommended.json").read_text())) == (
        "dpmpp-2m-sde 20, a random class per image, guidance 1.2 (T-shirt/top 1, Trouser 1)")


def test_the_card_it_writes_is_one_the_dial_plot_reads(tmp_path):
    folder = _results(tmp_path, {"euler1": _eval({"method": "euler", "steps": 1}, 2.117, 0.9),
                                 "rk4x2": _eval({"method": "rk4", "steps": 2}, 2.36, 0.97)})
    card = load_benchmark_script("card_from_results").measured_card(folder, "digits")
    model = tmp_path / "digits"
    model.mkdir()
    (model / "model.json").write_text(json.dumps({"network": {"solver": MIDPOINT}, "card": card}))
    sweep = load_benchmark_script("plot_dial").sweep_from_model(model)
    assert [(r["solver"], r["fd"]) for r in sweep["rows"]] == [("euler x1", 2.12), ("midpoint x1", 2.3),
                                                                ("rk4 x2", 2.36)]


def test_a_solver_without_a_large_run_keeps_its_small_row_only(tmp_path):
    folder = _results(tmp_path, {"euler1": _eval({"method": "euler", "steps": 1}, 2.117, 0.9)})
    rows = load_benchmark_script("card_from_results").measured_card(folder, "digits")["solver_tradeoff"]
    assert "FD n=5000" not in rows[2] and rows[2]["FD"] == 6.12


def test_a_large_run_sampled_otherwise_is_refused(tmp_path):
    folder = _results(tmp_path, {"euler1": _eval({"method": "euler", "steps": 1}, 2.1, 0.9, guidance=2.0)})
    with pytest.raises(ValueError, match="euler x1 .*guidance 2.* was not sampled like the sweep"):
        load_benchmark_script("card_from_results").measured_card(folder, "digits")


def test_a_large_run_of_a_solver_the_sweep_lacks_is_refused(tmp_path):
    folder = _results(tmp_path, {"rk4x1": _eval({"method": "rk4", "steps": 1}, 2.1, 0.9)})
    with pytest.raises(ValueError, match="no row for: rk4 x1"):
        load_benchmark_script("card_from_results").measured_card(folder, "digits")


def _schedule_row(solver: str, schedule: str | None, evals: float, fd: float, in_class: float) -> dict:
    return {"sampler": "dpmpp-2m-sde", "steps": 20, "solver": solver, **({"schedule": schedule} if schedule else {}),
            "evals/image": evals, "s/image": 0.1 * evals / 40, "fd": fd, "in_asked_class": in_class}


BAND = "euler:1@950,midpoint:1@500"


def _with_schedules(tmp_path, count=5000):
    folder = _results(tmp_path, {})
    (folder / "schedules-n5000.json").write_text(json.dumps({"count": count, "class": "random", "guidance": 1.5, "rows": [
        _schedule_row("midpoint x1", None, 40.0, 2.3, 0.976),
        _schedule_row("euler x1 while t>=950, midpoint x1 down to t=500, then euler x1 again", BAND, 26.0, 2.2, 0.97)]}))
    return folder


def test_measured_schedules_go_on_the_card_and_the_chosen_one_is_recommended(tmp_path):
    card = load_benchmark_script("card_from_results").measured_card(_with_schedules(tmp_path), "digits", BAND)
    assert [row["solver"] for row in card["solver_schedules"]] == [
        "midpoint x1 (trained)", "euler x1 while t>=950, midpoint x1 down to t=500, then euler x1 again"]
    assert card["solver_schedules"][1] == {
        "solver": "euler x1 while t>=950, midpoint x1 down to t=500, then euler x1 again", "schedule": BAND,
        "evals/image": 26.0, "s/image": 0.065, "FD n=5000": 2.2, "in class n=5000": 0.97}
    assert card["recommended"]["solver_schedule"] == BAND


def test_a_schedule_not_measured_or_measured_on_few_images_is_refused(tmp_path):
    module = load_benchmark_script("card_from_results")
    with pytest.raises(ValueError, match="euler:1@200,midpoint:1 is not one of the measured ones"):
        module.measured_card(_with_schedules(tmp_path), "digits", "euler:1@200,midpoint:1")
    with pytest.raises(ValueError, match="measured 1000 images per row, not 5,000"):
        (tmp_path / "small").mkdir()
        module.measured_card(_with_schedules(tmp_path / "small", count=1000), "digits")


def test_a_timed_schedules_sweep_takes_each_schedules_fd_from_its_own_large_run(tmp_path):
    folder = _with_schedules(tmp_path, count=200)
    (folder / "schedules-n5000.json").rename(folder / "schedules-n200.json")
    module = load_benchmark_script("card_from_results")
    with pytest.raises(ValueError, match=f"no n = 5,000 engine eval run of the schedule {BAND}"):
        module.measured_card(folder, "digits", BAND)
    band = {"noisy": {"method": "euler", "steps": 1, "rtol": 0.001, "atol": 0.001, "adjoint": False},
            "fine": {"method": "midpoint", "steps": 1, "rtol": 0.001, "atol": 0.001, "adjoint": False},
            "switch": 950, "until": 500}
    (folder / "schedule-band.json").write_text(json.dumps(_eval(band, 2.254, 0.9712)))
    card = module.measured_card(folder, "digits", BAND)
    assert [(row["s/image"], row["FD n=5000"], row["in class n=5000"]) for row in card["solver_schedules"]] == [
        (0.1, 2.3, 0.976), (0.065, 2.25, 0.971)]  # seconds from the sweep, FDs from the recommended and band runs
    assert "FD n=5000: one engine eval run per row" in card["solver_schedules_note"]
    (folder / "schedule-band.json").write_text(json.dumps(_eval(band, 2.254, 0.9712, guidance=3.0)))
    with pytest.raises(ValueError, match="was not sampled like the sweep"):
        module.measured_card(folder, "digits", BAND)


def test_the_sampler_table_holds_the_recommended_run_and_each_other_sampler_in_order(tmp_path):
    folder = _results(tmp_path, {})
    (folder / "ddpm50.json").write_text(json.dumps(_eval(MIDPOINT, 2.02, 0.969, sampler="ddpm", steps=50)))
    (folder / "dpmpp50.json").write_text(json.dumps(_eval(MIDPOINT, 1.977, 0.966, steps=50)))
    card = load_benchmark_script("card_from_results").measured_card(folder, "digits",
                                                                    samplers=("dpmpp50.json", "ddpm50.json"))
    assert card["sampler_quality"] == [
        {"sampler": "ddpm", "steps": 50, "FD n=5000": 2.02, "in class n=5000": 0.969},
        {"sampler": "dpmpp-2m-sde", "steps": 20, "FD n=5000": 2.3, "in class n=5000": 0.976},
        {"sampler": "dpmpp-2m-sde", "steps": 50, "FD n=5000": 1.98, "in class n=5000": 0.966}]
    assert card["sampler_quality_note"].startswith("a random class per image, guidance 1.5, the trained solver")
    assert "sampler_quality" not in load_benchmark_script("card_from_results").measured_card(folder, "digits")


@pytest.mark.parametrize("changed, words", [({"guidance": 2.0}, "differs .* in guidance"),
                                            ({"solver": {"method": "euler", "steps": 1}}, "differs .* in solver"),
                                            ({"generated": 1000}, "differs .* in generated"),
                                            ({}, "two runs of dpmpp-2m-sde 20")])
def test_a_sampler_run_that_differs_in_more_than_the_sampler_is_refused(tmp_path, changed, words):
    folder = _results(tmp_path, {})
    (folder / "other.json").write_text(json.dumps(_eval(MIDPOINT, 2.0, 0.97, **({"steps": 50} if changed else {}))
                                                  | changed))
    with pytest.raises(ValueError, match=words):
        load_benchmark_script("card_from_results").measured_card(folder, "digits", samplers=("other.json",))
