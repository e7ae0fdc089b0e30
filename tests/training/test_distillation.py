"""`engine train --distil-mix`: each step also runs the network with a student solver and pulls its
output towards the teacher's output, held fixed: the network's own solver's, or the one
--distil-teacher names."""

import json

import pytest
import torch

from engine.checkpoints import load_model
from engine.errors import ConfigError
from engine.models import CUNet, SolverSettings
from engine.training import train
from engine.training.solver_mix import SolverMix
from training.test_training import tiny_config, weights, weights_after_a_stop_and_resume

EULER = SolverSettings(method="euler", steps=1)


def test_each_micro_batch_runs_the_teacher_then_the_student_drawn_for_its_step(tmp_path, monkeypatch):
    calls: list[SolverSettings | None] = []
    forward = CUNet.forward

    def recording(self, *args, solver=None, **kwargs):
        if torch.is_grad_enabled():  # training, not validation or preview grids
            calls.append(solver)
        return forward(self, *args, solver=solver, **kwargs)

    monkeypatch.setattr(CUNet, "forward", recording)
    config = tiny_config(tmp_path, steps=6, grad_accumulation=2, distil_mix="euler:1,rk4:2")
    train(config)
    mix = SolverMix.parse(config.distil_mix)
    students = [mix.drawn(config.seed, step, "distil") for step in range(config.steps) for _ in range(2)]
    assert calls == [call for student in students for call in (None, student)]
    assert len({s.label() for s in students}) > 1, "six steps should draw more than one student"
    assert students != [mix.drawn(config.seed, step) for step in range(config.steps) for _ in range(2)], \
        "the students are a stream of their own, not the solver mix's draws"


def test_with_a_solver_mix_the_drawn_solver_fits_the_target_and_the_own_solver_teaches(tmp_path, monkeypatch):
    """Each micro-batch runs the mix's solver for its step (with a graph), then the student unless the
    mix drew the student's solver (that forward is the student's output); when the mix drew another
    solver than the network's own, the teacher is one more forward, without a graph."""
    calls: list[tuple[SolverSettings | None, bool]] = []
    forward = CUNet.forward

    def recording(self, *args, solver=None, **kwargs):
        if self.training:  # training, not validation or preview grids
            calls.append((solver, torch.is_grad_enabled()))
        return forward(self, *args, solver=solver, **kwargs)

    monkeypatch.setattr(CUNet, "forward", recording)
    config = tiny_config(tmp_path, steps=10, solver_mix="euler:1,midpoint:1", distil_mix="euler:1,rk4:1")
    result = train(config)
    mix, students = SolverMix.parse(config.solver_mix), SolverMix.parse(config.distil_mix)
    own = SolverSettings(method="midpoint", steps=1)
    draws = [mix.drawn(config.seed, step) for step in range(config.steps)]
    assert set(draws) == {EULER, own}, "ten steps should draw both of the mix's solvers"
    expected = []
    for step, drawn in enumerate(draws):
        student = students.drawn(config.seed, step, "distil")
        expected += [(drawn, True)] + ([] if student == drawn else [(student, True)])
        expected += [] if drawn == own else [(own, False)]
    assert any(students.drawn(config.seed, step, "distil") == drawn for step, drawn in enumerate(draws)), \
        "ten steps should draw the student's solver for some denoising forward"
    assert calls == expected
    model = load_model(result.model_dir)
    assert model.spec.trained_solvers_label() == "euler × 1, midpoint × 1 and rk4 × 1"


def test_a_named_teacher_runs_without_a_graph_unless_the_mix_drew_it_and_the_model_says_it_was_trained_for(
        tmp_path, monkeypatch):
    """With --distil-teacher rk4:2 the students are pulled towards rk4 x 2's output: one forward
    without a graph per micro-batch, except where the solver mix drew rk4 x 2 for the step (its
    output, detached, is the teacher's then); the network's own midpoint step may be a student."""
    calls: list[tuple[SolverSettings | None, bool]] = []
    forward = CUNet.forward

    def recording(self, *args, solver=None, **kwargs):
        if self.training:
            calls.append((solver, torch.is_grad_enabled()))
        return forward(self, *args, solver=solver, **kwargs)

    monkeypatch.setattr(CUNet, "forward", recording)
    config = tiny_config(tmp_path, steps=10, solver_mix="midpoint:1,rk4:2", distil_mix="euler:1,midpoint:1",
                         distil_teacher="rk4:2")
    result = train(config)
    mix, students = SolverMix.parse(config.solver_mix), SolverMix.parse(config.distil_mix)
    teacher = SolverSettings(method="rk4", steps=2)
    draws = [mix.drawn(config.seed, step) for step in range(config.steps)]
    assert teacher in draws and set(draws) != {teacher}, "ten steps should draw the teacher and another solver"
    expected = []
    for step, drawn in enumerate(draws):
        student = students.drawn(config.seed, step, "distil")
        expected += [(drawn, True)] + ([] if student == drawn else [(student, True)])
        expected += [] if drawn == teacher else [(teacher, False)]
    assert calls == expected
    model = load_model(result.model_dir)
    assert model.spec.card["training"]["distil_teacher"] == "rk4:2"
    assert model.spec.trained_solvers_label() == "euler × 1, midpoint × 1 and rk4 × 2"


def test_distillation_brings_the_student_closer_to_the_teacher_and_is_logged(tmp_path):
    plain = train(tiny_config(tmp_path, "plain", steps=12))
    distilled = train(tiny_config(tmp_path, "distilled", steps=12, distil_mix="euler:1", distil_weight=100.0))
    log = [json.loads(line) for line in (distilled.run_dir / "log.jsonl").read_text().splitlines()]
    assert log[0]["distil"] == 0 and all(record["distil"] > 0 for record in log[1:]), \
        "the new network's output layers are zero (so are both solvers' outputs), then they move"
    assert "distil" not in json.loads((plain.run_dir / "log.jsonl").read_text().splitlines()[0])

    generator = torch.Generator().manual_seed(1)
    x, t = torch.randn(16, 1, 8, 8, generator=generator), torch.randint(0, 1000, (16,), generator=generator)

    def disagreement(model_dir) -> float:
        network = load_model(model_dir).network.eval()
        with torch.no_grad():
            return (network(x, t, solver=EULER) - network(x, t)).square().mean().item()

    assert disagreement(distilled.model_dir) < 0.5 * disagreement(plain.model_dir)
    model = load_model(distilled.model_dir)
    assert model.spec.card["training"]["distil_mix"] == "euler:1" and model.spec.card["training"]["distil_weight"] == 100.0
    assert model.spec.trained_solvers_label() == "euler × 1 and midpoint × 1"


def test_the_teachers_output_gets_no_gradient_from_the_distillation_loss(tmp_path, monkeypatch):
    """A student whose output the weights cannot move (the teacher's, detached, plus 0.1) leaves
    the distillation loss nothing to train but the teacher: the run must train bit-identically to
    one without distillation, while the loss it logs is the distance, 0.1 squared."""
    forward = CUNet.forward

    def fixed_student(self, *args, solver=None, **kwargs):
        output = forward(self, *args, **kwargs)
        return output if solver is None else output.detach() + 0.1

    monkeypatch.setattr(CUNet, "forward", fixed_student)
    plain = train(tiny_config(tmp_path, "plain"))
    distilled = train(tiny_config(tmp_path, "distilled", distil_mix="euler:1", distil_weight=100.0))
    a, b = weights(plain.run_dir), weights(distilled.run_dir)
    assert all(torch.equal(a[k], b[k]) for k in a)
    log = [json.loads(line) for line in (distilled.run_dir / "log.jsonl").read_text().splitlines()]
    assert all(record["distil"] == pytest.approx(0.01, rel=1e-4) for record in log)


def test_a_resumed_distilling_run_is_bit_identical_to_an_uninterrupted_one(tmp_path):
    mix = "euler:1,rk4:1"
    train(tiny_config(tmp_path, "straight", distil_mix=mix))
    a, b = weights(tmp_path / "straight"), weights_after_a_stop_and_resume(tiny_config(tmp_path, "split", distil_mix=mix))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_what_distillation_cannot_do_is_refused_before_anything_is_written(tmp_path):
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="distillation weight must be a number > 0"):
            tiny_config(tmp_path, distil_mix="euler:1", distil_weight=bad)
    with pytest.raises(ConfigError, match="^distillation mix entry 'bogus' is not METHOD:STEPS"):
        tiny_config(tmp_path, distil_mix="bogus")
    with pytest.raises(ConfigError, match="names the teacher's solver midpoint:1 \\(the network's own unless"):
        train(tiny_config(tmp_path, distil_mix="euler:1,midpoint:1"))
    with pytest.raises(ConfigError, match="names the teacher's solver rk4:2"):
        train(tiny_config(tmp_path, distil_mix="euler:1,rk4:2", distil_teacher="rk4:2"))
    for bad in ("rk4:2,euler:1", "rk4:2=3"):
        with pytest.raises(ConfigError, match=f"^the distillation teacher {bad} must be one solver, METHOD:STEPS"):
            train(tiny_config(tmp_path, distil_mix="euler:1", distil_teacher=bad))
    with pytest.raises(ConfigError, match="^distillation teacher entry 'rk4' is not METHOD:STEPS"):
        tiny_config(tmp_path, distil_mix="euler:1", distil_teacher="rk4")
    with pytest.raises(ConfigError, match=r"a distillation teacher \(--distil-teacher\) needs students"):
        tiny_config(tmp_path, distil_teacher="rk4:2")
    with pytest.raises(ConfigError, match="needs a cUNet"):
        train(tiny_config(tmp_path, preset="unet-small", network_overrides={}, distil_mix="euler:1"))
    assert not (tmp_path / "run").exists()
