"""The step-aware solver schedule: which solver each step gets, its text form, and its cost."""

import pytest
import torch

from engine.diffusion import ConstantSolver, Denoiser, NoiseSchedule, ScheduleConfig, SteppedSolver, evals_per_block
from engine.errors import ConfigError
from engine.models import SolverSettings
from engine.sampling import get_sampler, sampling_timesteps

EULER, MIDPOINT, RK4 = SolverSettings("euler"), SolverSettings("midpoint"), SolverSettings("rk4")
EULER_THEN_MIDPOINT = SteppedSolver(EULER, MIDPOINT, 500)


def test_the_noisy_solver_runs_from_the_switch_up_and_the_fine_one_below():
    assert [EULER_THEN_MIDPOINT(t) for t in (999, 501, 500, 499, 0)] == [EULER, EULER, EULER, MIDPOINT, MIDPOINT]


def test_a_sampler_hands_every_network_call_the_solver_of_its_step():
    """Through the Denoiser and a whole DDIM run: a stub network records the solver of each call."""
    seen: list[tuple[int, SolverSettings]] = []

    def network(x, steps, *, solver):
        seen.append((int(steps[0]), solver))
        return torch.zeros_like(x)

    denoiser = Denoiser(network, NoiseSchedule(ScheduleConfig()), "eps", solver=EULER_THEN_MIDPOINT)
    timesteps = sampling_timesteps(999, 8)
    get_sampler("ddim")(denoiser, torch.zeros(1, 1, 4, 4), timesteps)
    assert [t for t, _ in seen] == timesteps
    assert all(solver == (EULER if t >= 500 else MIDPOINT) for t, solver in seen)
    assert {solver for _, solver in seen} == {EULER, MIDPOINT}


def test_with_an_end_the_fine_solver_runs_only_between_the_switch_and_the_end():
    band = SteppedSolver(EULER, MIDPOINT, 950, until=500)
    assert [band(t) for t in (999, 950, 949, 500, 499, 0)] == [EULER, EULER, MIDPOINT, MIDPOINT, EULER, EULER]
    assert band.label() == "euler × 1 while t ≥ 950, midpoint × 1 down to t = 500, then euler × 1 again"
    assert evals_per_block(band, [999, 900, 600, 400, 0]) == 1 + 2 + 2 + 1 + 1


@pytest.mark.parametrize("until", [950, 951, -1, 2.5])
def test_an_end_not_below_the_switch_is_refused(until):
    with pytest.raises(ConfigError, match="fine phase ends at a step from 0 to below its switch"):
        SteppedSolver(EULER, MIDPOINT, 950, until=until)


@pytest.mark.parametrize("text", ["euler:1@500,midpoint:1", "rk4:2@1,euler:3", "dopri5:0.001@800,midpoint:1",
                                  "euler:1@200,dopri5:0.0001/0.001", "euler:1@950,midpoint:1@500"])
def test_the_text_form_reads_back_what_it_wrote(text):
    schedule = SteppedSolver.from_text(text)
    assert schedule.text() == text
    assert SteppedSolver.from_text(schedule.text()) == schedule


def test_the_text_form_tolerates_spaces_and_names_each_phase():
    schedule = SteppedSolver.from_text(" euler:1 @ 600 , rk4:2 ")
    assert schedule == SteppedSolver(EULER, SolverSettings("rk4", 2), 600)
    assert schedule.label() == "euler × 1 while t ≥ 600, then rk4 × 2"


@pytest.mark.parametrize("text, message", [
    ("euler:1", "is not NOISY@T,FINE"),
    ("euler:1@500", "is not NOISY@T,FINE"),
    ("euler:1,midpoint:1", "is not NOISY@T,FINE"),
    ("euler:1@half,midpoint:1", "switch step 'half' is not a whole number"),
    ("euler:1@0,midpoint:1", "switches at a step t >= 1"),
    ("euler:1@-5,midpoint:1", "switches at a step t >= 1"),
    ("eulr:1@500,midpoint:1", "unknown ODE solver 'eulr'"),
    ("euler@500,midpoint:1", "'euler' is not METHOD:STEPS"),
    ("euler:one@500,midpoint:1", "'one' is not a number"),
    ("euler:0@500,midpoint:1", "steps must be >= 1"),
    ("euler:1@500,dopri5:2", "tolerances must be numbers between 0 and 1"),
    ("euler:1@500,midpoint:1@late", "end of the fine phase 'late' is not a whole number"),
    ("euler:1@500,midpoint:1@500", "fine phase ends at a step from 0 to below its switch"),
])
def test_a_bad_text_form_is_one_line_saying_what_is_wrong(text, message):
    with pytest.raises(ConfigError, match=message) as error:
        SteppedSolver.from_text(text)
    assert "\n" not in str(error.value) and repr(text) in str(error.value)


def test_the_cost_is_each_steps_evaluations_per_block_summed():
    timesteps = [999, 750, 500, 499, 0]
    assert evals_per_block(EULER_THEN_MIDPOINT, timesteps) == 3 * 1 + 2 * 2
    assert evals_per_block(ConstantSolver(RK4), timesteps) == 5 * 4
    assert evals_per_block(SteppedSolver(EULER, SolverSettings("dopri5"), 500), timesteps) is None  # data dependent
    assert evals_per_block(SteppedSolver(SolverSettings("dopri5"), EULER, 999), [500, 0]) == 2  # dopri5 never ran
