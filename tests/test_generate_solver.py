"""The cUNet's ODE solver as call-time data through `generate`: a request's solver reaches the
network with each call and nowhere else, so one loaded model serves any number of requests."""

import dataclasses
import threading

import pytest
import torch

from engine.checkpoints import ModelSpec, load_model, save_model_folder
from engine.diffusion import SteppedSolver
from engine.errors import ConfigError
from engine.generate import GenerationRequest, generate, solver_cost
from engine.models import SolverSettings, preset_config
from helpers import save_tiny_model

EULER, MIDPOINT = SolverSettings("euler"), SolverSettings("midpoint")


@pytest.fixture
def model(tmp_path):
    return load_model(save_tiny_model(tmp_path / "m"))


def test_a_solver_override_does_not_change_the_loaded_model(model):
    trained = model.network.config.solver
    euler = generate(model, GenerationRequest(count=2, steps=3, solver=EULER))
    assert model.network.config.solver == trained
    default = generate(model, GenerationRequest(count=2, steps=3))
    again = generate(model, GenerationRequest(count=2, steps=3, solver=EULER))
    assert (euler.images == again.images).all()
    assert not (euler.images == default.images).all()


def test_asking_for_the_trained_solver_is_asking_for_none(model):
    trained = model.spec.trained_solver
    assert trained == model.network.config.solver
    default = generate(model, GenerationRequest(count=2, steps=3))
    named = generate(model, GenerationRequest(count=2, steps=3, solver=trained))
    assert (default.images == named.images).all()


def test_two_threads_sampling_one_model_with_different_solvers_get_what_each_gets_alone(model):
    """Two pages (or a page and a benchmark) may share a loaded model: the threads step in turn,
    each with its own solver, and neither sees the other's."""
    requests = [GenerationRequest(count=2, steps=4, sampler="ddim", solver=EULER),
                GenerationRequest(count=2, steps=4, sampler="ddim")]
    alone = [generate(model, request).images for request in requests]
    in_step = threading.Barrier(len(requests), timeout=60)
    together = [None] * len(requests)

    def run(index: int) -> None:
        together[index] = generate(model, requests[index], progress=lambda _: in_step.wait()).images

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(images is not None and (images == expected).all() for images, expected in zip(together, alone))
    assert not (alone[0] == alone[1]).all()


def test_the_solver_costs_its_evaluations_per_block_per_network_call(model):
    blocks = 2 * 1 + 1  # the tiny model: 1 down, 1 up, 1 middle
    calls = 3  # ddim, 3 steps, one network call each
    for solver, per_block in ((EULER, 1), (SolverSettings("rk4", 2), 8)):
        before = model.network.function_evaluations()
        generate(model, GenerationRequest(count=1, steps=calls, sampler="ddim", solver=solver))
        assert model.network.function_evaluations() - before == calls * blocks * per_block


def _tiny_unet(tmp_path):
    arch, config = preset_config("unet-small", 1)
    spec = ModelSpec(arch=arch, network=dataclasses.asdict(dataclasses.replace(config, dim=8, dim_mults=(1, 2))),
                     image_size=8, channels=1)
    torch.manual_seed(0)
    save_model_folder(tmp_path / "u", spec, spec.build_network().state_dict())
    return tmp_path / "u"


def test_a_network_without_ode_blocks_is_given_no_solver(tmp_path):
    unet = load_model(_tiny_unet(tmp_path))
    assert unet.spec.trained_solver is None and unet.spec.solver_used(EULER) is None
    plain = generate(unet, GenerationRequest(count=1, steps=2))
    asked = generate(unet, GenerationRequest(count=1, steps=2, solver=EULER))  # ignored, as it always was
    assert (plain.images == asked.images).all()


def test_a_schedule_whose_phases_are_the_trained_solver_makes_the_trained_images(model):
    trained = model.spec.trained_solver
    request = GenerationRequest(count=2, steps=4, sampler="ddpm")
    constant = generate(model, request).images
    stepped = generate(model, dataclasses.replace(request, solver=SteppedSolver(trained, trained, 500))).images
    cheap = generate(model, dataclasses.replace(request, solver=SteppedSolver(EULER, trained, 500))).images
    assert (stepped == constant).all()
    assert not (cheap == constant).all()


@pytest.mark.parametrize("sampler, steps, strength", [("ddpm", 6, 1.0), ("dpmpp-2m", 5, 1.0), ("ddim", 8, 0.6)])
def test_the_cost_said_before_sampling_is_the_cost_counted(model, sampler, steps, strength):
    """Per image and ODE block: each batch's network call evaluates every block once per step."""
    schedule = SteppedSolver(EULER, SolverSettings("rk4", 2), 400)
    init = torch.zeros(1, 8, 8) if strength < 1 else None
    request = GenerationRequest(count=3, batch_size=2, steps=steps, sampler=sampler, solver=schedule,
                                init_image=init, strength=strength)
    cost = solver_cost(model.spec, request)
    before = model.network.function_evaluations()
    generate(model, request)
    batches = 2
    counted = (model.network.function_evaluations() - before) / (batches * model.network.ode_block_count())
    assert counted == cost.evaluations
    assert 0 < cost.evaluations < steps * 8  # the euler steps made it cheaper than rk4 x 2 throughout
    assert cost.trained_evaluations == len(generate(model, request).timesteps) * 2  # midpoint x 1, as trained


def test_the_cost_compares_with_the_trained_solver_in_words(model):
    request = GenerationRequest(count=1, steps=10, sampler="ddpm", solver=SteppedSolver(EULER, MIDPOINT, 500))
    cost = solver_cost(model.spec, request)
    assert cost.words() == ("15 evaluations per ODE block per image, 1.33× fewer than the trained midpoint × 1 (20)")
    as_trained = solver_cost(model.spec, dataclasses.replace(request, solver=None))
    assert as_trained.words() == "20 evaluations per ODE block per image, as trained (midpoint × 1)"
    adaptive = solver_cost(model.spec, dataclasses.replace(request, solver=SolverSettings("dopri5")))
    assert adaptive.evaluations is None and "an adaptive number of evaluations" in adaptive.words()


@pytest.mark.parametrize("switch, message", [(1000, "switches at t = 1000, outside this model's reverse process"),
                                             (5000, "choose a switch step from 1 to 999")])
def test_a_schedule_switching_outside_the_reverse_process_is_refused(model, switch, message):
    request = GenerationRequest(count=1, steps=2, solver=SteppedSolver(EULER, MIDPOINT, switch))
    for attempt in (lambda: generate(model, request), lambda: solver_cost(model.spec, request)):
        with pytest.raises(ConfigError, match=message):
            attempt()


def test_a_network_without_ode_blocks_refuses_a_schedule(tmp_path):
    unet = load_model(_tiny_unet(tmp_path))
    request = GenerationRequest(count=1, steps=2, solver=SteppedSolver(EULER, MIDPOINT, 500))
    with pytest.raises(ConfigError, match="needs a cUNet"):
        generate(unet, request)
    assert solver_cost(unet.spec, GenerationRequest(count=1, steps=2, solver=EULER)) is None  # one solver: ignored
