"""What the model pickers say about a model (pure Python)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from app_helpers import card_entry as entry
from helpers import tiny_spec

from app.common.model_card import denoising_facts, display_name, model_facts, solver_tradeoff
from engine.checkpoints import ModelEntry
from engine.models import SolverSettings


def test_facts_skip_what_the_card_does_not_say():
    facts = dict(model_facts(entry({"description": "Handwritten digits", "licence": "MIT"})))
    assert facts["Description"] == "Handwritten digits" and facts["Licence"] == "MIT"
    assert facts["Images"] == "28×28 px, greyscale"
    assert facts["Recommended"] == "dpmpp-2m, 20 steps"
    assert "Dataset" not in facts and "File size" not in facts


def test_measurements_are_one_per_line():
    card = {"quality": {"FD": 3.85, "FD real-vs-real floor": 3.46, "generated": 5000, "per class": [0.1]},
            "training": {"steps": 4731, "images_seen": 302784, "seconds": 1.0}}
    facts = dict(model_facts(entry(card)))
    assert facts["Quality"] == "FD: 3.85\nFD real-vs-real floor: 3.46\ngenerated: 5,000"
    assert facts["Training"] == "steps: 4,731\nimages seen: 302,784"


def test_display_name_shows_the_store_name_when_it_differs():
    assert display_name(entry({"display_name": "MNIST digits"})) == "MNIST digits (digits)"
    assert display_name(entry({})) == "digits"


def test_solver_tradeoff_accepts_rows_or_a_mapping():
    rows = [{"method": "euler", "steps": 1, "fid": 30.25}, {"method": "rk4", "steps": 2, "seconds": 1.5}]
    headers, table = solver_tradeoff(entry({"solver_tradeoff": rows}))
    assert headers == ["method", "steps", "fid", "seconds"]
    assert table == [["euler", "1", "30.2", ""], ["rk4", "2", "", "1.5"]]
    headers, table = solver_tradeoff(entry({"solver_tradeoff": {"euler x1": {"fid": 30.0}, "rk4 x2": 21}}))
    assert headers == ["setting", "fid", "value"] and table[1] == ["rk4 x2", "", "21"]
    assert solver_tradeoff(entry({"solver_tradeoff": "fast"})) is None


def test_the_setting_column_comes_first_whatever_the_json_order():
    rows = [{"FD": 144.3, "evals/block": 1, "solver": "euler x1"}, {"FD": 36.8, "solver": "rk4 x1", "FD n=5000": 34.2}]
    headers, table = solver_tradeoff(entry({"solver_tradeoff": rows}))
    assert headers == ["solver", "FD", "evals/block", "FD n=5000"]
    assert table[1] == ["rk4 x1", "36.8", "", "34.2"]


def test_the_denoise_page_card_says_photos_of_any_size_work():
    facts = dict(denoising_facts(entry({"description": "Removes grain", "speed": "About 1 s per megapixel",
                                         "command": "engine train --data shared/data/photos"})))
    assert facts["Photos"] == "Any size, colour or grey (28 px tiles)"
    assert facts["Speed"] == "About 1 s per megapixel"
    assert "Noise" not in facts  # a generation model: the page says it only denoises images like its own
    assert not any("engine train" in value for value in facts.values())


def test_a_denoiser_that_sees_only_nearby_pixels_says_the_large_tiles_it_uses():
    spec = tiny_spec(channels=3, image_size=128, attention_levels=(), norm="pixel")
    facts = dict(denoising_facts(ModelEntry("photo-denoiser", Path("/nowhere/photo-denoiser"), "bundled", spec)))
    assert facts["Photos"] == "Any size, colour or grey (512 px tiles)"


def test_a_conditional_models_card_lists_its_classes_and_guidance():
    spec = tiny_spec(channels=1, image_size=28, class_names=("T-shirt/top", "Trouser"))
    facts = dict(model_facts(ModelEntry("fashion", Path("/nowhere/fashion"), "bundled", spec)))
    assert facts["Classes"] == "0 T-shirt/top, 1 Trouser"
    assert facts["Recommended"] == "ddim, 4 steps, guidance 2"
    assert "Classes" not in dict(model_facts(entry({})))
    digits = tiny_spec(channels=1, image_size=28, class_names=tuple("012"))
    assert dict(model_facts(ModelEntry("digits", Path("/d"), "bundled", digits)))["Classes"] == "0, 1, 2"
    odd = tiny_spec(channels=1, image_size=28, class_names=("1", "3"))  # names that are not their indices
    assert dict(model_facts(ModelEntry("odd", Path("/o"), "bundled", odd)))["Classes"] == "0 1, 1 3"


def with_card(spec, **fields):
    return dataclasses.replace(spec, card=spec.card | fields)


def test_a_card_with_its_datas_class_shares_says_how_often_a_random_class_is_each():
    spec = with_card(tiny_spec(channels=3, image_size=32, class_names=("Flags", "People", "Food")),
                     class_shares=[7, 60, 33])
    facts = dict(model_facts(ModelEntry("emoji", Path("/e"), "bundled", spec)))
    assert facts["Random class"] == "As often as in its training data: People 60.0\u00a0%, Food 33.0\u00a0%, Flags 7.0\u00a0%"
    even = with_card(tiny_spec(channels=3, image_size=32, class_names=("Flags", "People")), class_shares=[1])
    assert "Random class" not in dict(model_facts(ModelEntry("even", Path("/e"), "bundled", even)))


def test_a_solver_robust_models_card_says_which_solvers_it_was_trained_for():
    spec = tiny_spec(channels=1, image_size=28)
    trained = (SolverSettings(method="rk4", steps=2), spec.trained_solver, SolverSettings(method="euler", steps=1))
    robust = dataclasses.replace(spec, trained_solvers=trained)
    facts = dict(model_facts(ModelEntry("digits-robust", Path("/nowhere/robust"), "user", robust)))
    assert facts["ODE solvers"] == ("Trained for euler × 1, midpoint × 1 and rk4 × 2 (the speed/quality dial); "
                                    "midpoint × 1 by default")
    assert "ODE solvers" not in dict(model_facts(entry({})))
