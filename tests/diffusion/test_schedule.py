import math

import pytest
import torch

from engine.diffusion import NoiseSchedule, ScheduleConfig
from engine.errors import ConfigError


@pytest.mark.parametrize("kind", ["linear", "cosine", "sigmoid"])
def test_alpha_bar_is_a_decreasing_table_from_clean_to_noise(kind):
    schedule = NoiseSchedule(ScheduleConfig(kind=kind))
    abar = schedule.alphas_cumprod
    assert abar.shape == (1000,)
    assert torch.all(abar[1:] < abar[:-1])
    assert 0.99 < abar[0] < 1 and abar[-1] < 0.01
    assert float(schedule.abar(-1)) == 1.0


@pytest.mark.parametrize("kind", ["linear", "cosine", "sigmoid"])
@pytest.mark.parametrize("timesteps", [2, 10, 19])
def test_short_schedules_stay_finite(kind, timesteps):
    """The linear betas scale with 1000 / T: below T = 20 they passed 1, and abar became NaN."""
    abar = NoiseSchedule(ScheduleConfig(kind=kind, timesteps=timesteps)).alphas_cumprod
    assert torch.all(torch.isfinite(abar)) and torch.all(abar > 0) and torch.all(abar[1:] < abar[:-1])


def test_noise_level_mapping_matches_the_paper_digest_table():
    # paper.md section 3.3: sigma on [0, 1] pixels -> t* (abar = 1 / (1 + 4 sigma^2)).
    expected = {"sigmoid": {0.05: 29, 0.1: 97, 0.2: 237, 0.4: 432}, "linear": {0.05: 26, 0.1: 57, 0.2: 117, 0.4: 217}}
    for kind, table in expected.items():
        schedule = NoiseSchedule(ScheduleConfig(kind=kind))
        for sigma01, step in table.items():
            assert abs(schedule.step_for_noise_level(2 * sigma01) - step) <= 1


def test_noise_level_round_trip_and_monotone():
    schedule = NoiseSchedule(ScheduleConfig(kind="cosine"))
    steps = [schedule.step_for_noise_level(s) for s in (0.01, 0.05, 0.2, 0.5, 1.0, 3.0)]
    assert steps == sorted(steps)
    assert schedule.step_for_noise_level(0.0) == -1
    for t in (10, 100, 400):
        assert schedule.step_for_noise_level(schedule.noise_level(t)) == t


def test_add_noise_has_the_forward_marginal():
    schedule = NoiseSchedule(ScheduleConfig())
    x0 = torch.full((4000, 1, 1, 1), 0.5)
    t = torch.full((4000,), 300)
    x_t = schedule.add_noise(x0, torch.randn(x0.shape, generator=torch.Generator().manual_seed(0)), t)
    abar = float(schedule.abar(300))
    assert abs(x_t.mean().item() - math.sqrt(abar) * 0.5) < 0.05
    assert abs(x_t.std().item() - math.sqrt(1 - abar)) < 0.05


def test_bad_schedule_settings_are_refused():
    with pytest.raises(ConfigError):
        ScheduleConfig(kind="quadratic")
    with pytest.raises(ConfigError):
        ScheduleConfig(max_step=1000)
