"""The steps each sampler visits (engine/sampling/grids.py)."""

import math

import pytest

from engine.diffusion import NoiseSchedule, ScheduleConfig
from engine.sampling import SAMPLERS, log_noise_timesteps, sampler_timesteps, sampling_timesteps
from engine.sampling.grids import LOG_GRID_HIGH, LOG_GRID_LOW, LOG_NOISE_GRID_SAMPLERS


@pytest.fixture(scope="module", params=["cosine", "linear"])
def schedule(request):
    return NoiseSchedule(ScheduleConfig(kind=request.param))


@pytest.mark.parametrize("start,steps", [(999, 20), (999, 10), (999, 3), (999, 200), (600, 12), (150, 20)])
def test_the_log_grid_is_strictly_decreasing_from_start_to_zero_with_every_step_asked_for(schedule, start, steps):
    grid = log_noise_timesteps(schedule, start, steps)
    assert grid[0] == start and grid[-1] == 0 and len(grid) == steps
    assert all(a > b for a, b in zip(grid, grid[1:]))


def test_the_log_grid_steps_evenly_in_log_noise_level_inside_its_range(schedule):
    grid = log_noise_timesteps(schedule, 999, 20)
    inner = [math.log(schedule.noise_level(t)) for t in grid[1:-1]]
    assert math.log(LOG_GRID_LOW) - 0.2 < inner[-1] < inner[0] < math.log(LOG_GRID_HIGH) + 0.2
    gaps = [a - b for a, b in zip(inner, inner[1:])]
    # Integer steps quantise the levels; the gaps are even to within that, except where the
    # bottom-up repair had to separate steps that rounded to the same one.
    assert max(gaps) < 2.5 * (sum(gaps) / len(gaps))
    # Not the uniform grid, whose first step crosses most of the range in log level at once.
    uniform = [math.log(schedule.noise_level(t)) for t in sampling_timesteps(999, 20)[:-1]]
    assert max(gaps) < max(a - b for a, b in zip(uniform, uniform[1:]))


def test_a_range_too_short_for_the_log_grid_falls_back_to_the_uniform_one(schedule):
    assert log_noise_timesteps(schedule, 2, 20) == sampling_timesteps(2, 20) == [2, 1, 0]
    assert log_noise_timesteps(schedule, -1, 20) == []  # strength 0: no step at all
    assert log_noise_timesteps(schedule, 999, 2) == [999, 0]
    assert log_noise_timesteps(schedule, 999, 1) == [999]


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_each_sampler_gets_its_own_grid(schedule, name):
    grid = sampler_timesteps(name, schedule, 999, 20)
    expected = log_noise_timesteps(schedule, 999, 20) if name in LOG_NOISE_GRID_SAMPLERS else sampling_timesteps(999, 20)
    assert grid == expected
    assert LOG_NOISE_GRID_SAMPLERS <= set(SAMPLERS)
