"""`engine train --kinetic-weight` and `--bend-weight`: the ODE blocks' kinetic energy and bend
added to the training loss."""

import json

import pytest
import torch

from engine.checkpoints import load_model
from engine.errors import ConfigError
from engine.training import train
from training.test_training import TINY_NETWORK, tiny_config, weights


def test_the_weighted_energy_changes_training_and_is_logged_beside_the_loss(tmp_path):
    plain = train(tiny_config(tmp_path, "plain"))
    regularised = train(tiny_config(tmp_path, "regularised", kinetic_weight=10.0, solver_mix="euler:1,midpoint:1"))
    log = [json.loads(line) for line in (regularised.run_dir / "log.jsonl").read_text().splitlines()]
    energies = [record["kinetic_energy"] for record in log]
    assert energies[0] == 0 and all(energy > 0 for energy in energies[1:]), "new fields are zero, then they move"
    assert "kinetic_energy" not in json.loads((plain.run_dir / "log.jsonl").read_text().splitlines()[0])
    a, b = weights(plain.run_dir), weights(regularised.run_dir)
    assert not all(torch.equal(a[k], b[k]) for k in a)
    assert load_model(regularised.model_dir).spec.card["training"]["kinetic_weight"] == 10.0


def test_the_weight_must_be_a_number_of_zero_or_more_and_needs_a_cunet(tmp_path):
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="kinetic-energy weight must be a number >= 0"):
            tiny_config(tmp_path, kinetic_weight=bad)
    with pytest.raises(ConfigError, match="needs a cUNet"):
        train(tiny_config(tmp_path, preset="unet-small", network_overrides={}, kinetic_weight=0.1))
    assert not (tmp_path / "run").exists()


def test_the_weighted_bend_changes_training_and_is_logged_beside_the_loss(tmp_path):
    plain = train(tiny_config(tmp_path, "plain", solver_mix="euler:1,midpoint:1"))
    regularised = train(tiny_config(tmp_path, "regularised", bend_weight=100.0, solver_mix="euler:1,midpoint:1"))
    log = [json.loads(line) for line in (regularised.run_dir / "log.jsonl").read_text().splitlines()]
    assert all("bend" in record for record in log) and any(record["bend"] > 0 for record in log)
    a, b = weights(plain.run_dir), weights(regularised.run_dir)
    assert not all(torch.equal(a[k], b[k]) for k in a)
    assert load_model(regularised.model_dir).spec.card["training"]["bend_weight"] == 100.0


def test_the_bend_weight_must_be_a_number_of_zero_or_more_and_needs_solvers_that_can_bend(tmp_path):
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="bend weight must be a number >= 0"):
            tiny_config(tmp_path, bend_weight=bad)
    with pytest.raises(ConfigError, match="bend regulariser .* needs a cUNet"):
        train(tiny_config(tmp_path, preset="unet-small", network_overrides={}, bend_weight=0.1))
    with pytest.raises(ConfigError, match="every solver this run trains with makes one"):
        train(tiny_config(tmp_path, bend_weight=0.1,
                          network_overrides=TINY_NETWORK | {"solver": {"method": "euler", "steps": 1}}))
    with pytest.raises(ConfigError, match="adjoint method does not keep"):
        train(tiny_config(tmp_path, bend_weight=0.1, solver_mix="euler:1,midpoint:1",
                          network_overrides=TINY_NETWORK | {"solver": {"method": "midpoint", "steps": 1, "adjoint": True}}))
    assert not (tmp_path / "run").exists()
