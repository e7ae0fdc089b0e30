"""Solver-robust training (engine/training/solver_mix.py): the mix's syntax, the draw by (seed,
step), that the drawn solver is the one the network runs, and what the model records."""

import collections
import dataclasses
import json

import pytest
import torch

from engine.checkpoints import ModelSpec, load_model, read_spec, save_model_folder
from engine.cli.main import main
from engine.errors import ConfigError, ModelLoadError
from engine.models import CUNet, SolverSettings
from engine.training import TrainingConfig, train
from engine.training.solver_mix import RECOMMENDED_MIX, SolverMix, run_solver_mix
from helpers import tiny_spec, two_level_npz
from training.test_training import tiny_config, weights, weights_after_a_stop_and_resume

MIDPOINT = SolverSettings(method="midpoint", steps=1)


def test_a_mix_is_stored_as_written_back_with_weights_of_one_left_out(tmp_path):
    mix = SolverMix.parse(" euler:1 ,midpoint:1=1, rk4:2=2.5")
    assert [s.label() for s in mix.solvers] == ["euler × 1", "midpoint × 1", "rk4 × 2"]
    assert mix.weights == (1, 1, 2.5) and mix.text() == "euler:1,midpoint:1,rk4:2=2.5"
    assert tiny_config(tmp_path, solver_mix="euler:1, midpoint:1=1").solver_mix == "euler:1,midpoint:1"


@pytest.mark.parametrize("text, message", [
    ("heun:1", "unknown solver 'heun'"),
    ("euler:1,dopri5:1", "cannot train with dopri5: it picks its own steps"),
    ("euler:1=0", "a weight must be a positive number"),
    ("euler:1=-2", "a weight must be a positive number"),
    ("euler:1=nan", "a weight must be a positive number"),
    ("euler", "is not METHOD:STEPS or METHOD:STEPS=WEIGHT"),
    ("euler:1,", "is not METHOD:STEPS"),
    ("euler:one", "is not METHOD:STEPS"),
    ("euler:0", "steps must be >= 1"),
    ("euler:1,midpoint:1,euler:1=3", "names euler:1 twice"),
])
def test_a_bad_mix_is_one_line_naming_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as error:
        tiny_config(tmp_path, solver_mix=text)
    assert "\n" not in str(error.value)


def test_the_draw_depends_on_seed_and_step_alone_and_follows_the_weights():
    mix = SolverMix.parse("euler:1=3,rk4:2")
    draws = [mix.drawn(7, step) for step in range(2000)]
    assert draws == [SolverMix.parse("euler:1=3,rk4:2").drawn(7, step) for step in range(2000)]
    assert draws != [mix.drawn(8, step) for step in range(2000)]
    shares = collections.Counter(solver.method for solver in draws)
    assert 0.7 < shares["euler"] / len(draws) < 0.8


def test_a_run_mixes_its_networks_own_solver_settings_and_refuses_a_mix_without_it():
    nominal = SolverSettings(method="midpoint", steps=1, adjoint=True)
    mix = run_solver_mix("euler:1,midpoint:1", nominal)
    assert all(solver.adjoint for solver in mix.solvers) and nominal in mix.solvers
    assert run_solver_mix("", nominal) is None
    with pytest.raises(ConfigError, match="leaves out the network's own solver midpoint:1"):
        run_solver_mix("euler:1,rk4:1", nominal)
    with pytest.raises(ConfigError, match="needs a cUNet"):
        run_solver_mix("euler:1,midpoint:1", None)


def test_every_training_step_runs_the_network_with_the_solver_drawn_for_it(tmp_path, monkeypatch):
    """Each micro-batch of a step runs the step's solver; validation (no gradient) runs the
    network's own, so that validation losses compare."""
    calls: list[tuple[bool, SolverSettings | None]] = []
    forward = CUNet.forward

    def recording(self, *args, solver=None, **kwargs):
        # Without a gradient (validation, preview grids) the network's own solver, asked for by name or not.
        calls.append((torch.is_grad_enabled(), solver if torch.is_grad_enabled() else (solver or self.config.solver)))
        return forward(self, *args, solver=solver, **kwargs)

    monkeypatch.setattr(CUNet, "forward", recording)
    config = tiny_config(tmp_path, steps=6, grad_accumulation=2, solver_mix="euler:1,midpoint:1,rk4:2")
    train(config)
    mix = SolverMix.parse(config.solver_mix)
    expected = [mix.drawn(config.seed, step) for step in range(config.steps) for _ in range(2)]
    assert [solver for grad, solver in calls if grad] == expected
    assert len({s.label() for s in expected}) > 1, "six steps should draw more than one solver"
    assert {solver for grad, solver in calls if not grad} == {mix.solvers[1]}  # midpoint x1, the tiny network's own


def test_a_resumed_mixed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path):
    mix = "euler:1,midpoint:1,rk4:2"
    train(tiny_config(tmp_path, "straight", solver_mix=mix))
    a, b = weights(tmp_path / "straight"), weights_after_a_stop_and_resume(tiny_config(tmp_path, "split", solver_mix=mix))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_model_records_the_solvers_it_was_trained_for_and_samples_with_its_own(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path / "home"))
    summary = train(tiny_config(tmp_path, solver_mix="rk4:2,midpoint:1,euler:1=2"))
    spec = load_model(summary.model_dir).spec
    assert spec.trained_solver == MIDPOINT
    assert [s.label() for s in spec.trained_solvers] == ["rk4 × 2", "midpoint × 1", "euler × 1"]
    assert spec.trained_solvers_label() == "euler × 1, midpoint × 1 and rk4 × 2"
    assert read_spec(summary.run_dir / "checkpoints" / "step-00000006.safetensors").trained_solvers == spec.trained_solvers
    assert json.loads((summary.run_dir / "config.json").read_text())["solver_mix"] == "rk4:2,midpoint:1,euler:1=2"
    save_model_folder(tmp_path / "home" / "models" / "robust", spec, load_model(summary.model_dir).network.state_dict())
    assert main(["models"]) == 0
    assert "trained for the solvers (engine sample --solver): euler × 1, midpoint × 1 and rk4 × 2" in \
        capsys.readouterr().out


def test_a_model_file_listing_trained_solvers_without_its_own_is_refused():
    spec = dataclasses.replace(tiny_spec(), trained_solvers=(SolverSettings(method="euler", steps=1),))
    with pytest.raises(ModelLoadError, match="without the one its network samples with"):
        ModelSpec.from_json(spec.to_json(), "model.json")
    robust = dataclasses.replace(spec, trained_solvers=(SolverSettings(method="euler", steps=1), MIDPOINT))
    assert ModelSpec.from_json(robust.to_json(), "model.json").trained_solvers == robust.trained_solvers
    assert ModelSpec.from_json(tiny_spec().to_json(), "model.json").trained_solvers == ()


def test_a_solver_robust_fine_tune_keeps_the_models_solver_and_a_unet_is_refused(tmp_path, capsys):
    rk4 = SolverSettings(method="rk4", steps=1)
    source = tiny_spec(solver=dataclasses.asdict(rk4))
    save_model_folder(tmp_path / "rk4-model", source, source.build_network().state_dict())
    common = ["--data", str(two_level_npz(tmp_path / "data.npz")), "--batch", "4", "--size", "8", "--channels", "1",
              "--device", "cpu", "--val-fraction", "0", "--sample-every", "100", "--steps", "2"]
    init = ["--init-from", str(tmp_path / "rk4-model")]
    assert main(["train", "--out", str(tmp_path / "a"), *init, "--solver-mix", "euler:1,midpoint:1", *common]) == 2
    assert "leaves out the network's own solver rk4:1" in capsys.readouterr().err and not (tmp_path / "a").exists()
    assert main(["train", "--out", str(tmp_path / "b"), *init, "--solver-mix", "euler:1,rk4:1", *common]) == 0
    capsys.readouterr()
    spec = load_model(tmp_path / "b" / "model").spec
    assert spec.trained_solver == rk4 and spec.trained_solvers_label() == "euler × 1 and rk4 × 1"
    assert main(["train", "--out", str(tmp_path / "c"), "--arch", "unet", "--solver-mix", RECOMMENDED_MIX, *common]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "needs a cUNet" in error and not (tmp_path / "c").exists()


def test_the_recommended_mix_holds_the_cunet_presets_own_solver():
    assert run_solver_mix(RECOMMENDED_MIX, MIDPOINT) is not None
    assert TrainingConfig.default("solver_mix") == ""
