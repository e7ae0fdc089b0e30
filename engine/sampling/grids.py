"""Which diffusion steps a sampler visits: the one place that turns (sampler, start, step count)
into the strictly decreasing list of integer steps the sampler contract takes.

DDPM and DDIM step evenly in t, as they were published. The DPM-Solver++ samplers measure their
step size in log noise level (h = log(sigma / sigma_next)), so they step evenly in it, over the
range where the picture is decided: above `LOG_GRID_HIGH` (in the variance-exploding units of
`NoiseSchedule.noise_level`) x_t is noise whatever the step, and below `LOG_GRID_LOW` (a few
levels of 255) the last step lands on the clean image in one prediction. Evenly in t, the first
of 20 steps on a cosine schedule crosses most of the log range at once, where the layout of the
picture forms, and the last ones refine noise below what 8 bits show; this grid took `digits`
at 20 dpmpp-2m-sde steps from FD 9.5 to about DDPM 50's (docs/benchmarks.md, "Sampler grids").
"""

from __future__ import annotations

import math

import torch

from engine.diffusion.schedule import NoiseSchedule
from engine.errors import ConfigError

LOG_GRID_HIGH = math.exp(5.0)  # noise std ~148x the image's range: pure noise
LOG_GRID_LOW = math.exp(-3.0)  # ~0.05: about 6 levels of 255

LOG_NOISE_GRID_SAMPLERS = frozenset({"dpmpp-2m", "dpmpp-2m-sde"})


def sampling_timesteps(start: int, steps: int) -> list[int]:
    """`steps` evenly spaced integer steps from `start` down to 0 (fewer if the range is short)."""
    if steps < 1:
        raise ConfigError("the number of sampling steps must be >= 1")
    if start < 0:
        return []
    grid = torch.linspace(start, 0, min(steps, start + 1), dtype=torch.float64).round().long().tolist()
    return list(dict.fromkeys(grid))


def log_noise_timesteps(schedule: NoiseSchedule, start: int, steps: int, high: float = LOG_GRID_HIGH,
                        low: float = LOG_GRID_LOW) -> list[int]:
    """`start`, then steps - 2 steps whose noise levels are evenly spaced in log between
    min(start's level, `high`) and `low`, then 0. Where the range is too short for that many
    distinct steps (a low start, as img2img at a small strength makes), the uniform grid."""
    uniform = sampling_timesteps(start, steps)
    high = min(schedule.noise_level(start), high) if start >= 0 else 0.0
    if steps < 3 or high <= low or len(uniform) < steps:
        return uniform
    levels = torch.logspace(math.log10(high), math.log10(low), steps - 1, dtype=torch.float64)[1:]
    grid = [start, *(max(schedule.step_for_noise_level(float(level)), 0) for level in levels), 0]
    for i in reversed(range(len(grid) - 1)):  # strictly decreasing, the low end keeping its levels
        grid[i] = max(grid[i], grid[i + 1] + 1)
    return grid if grid[0] == start else uniform


def sampler_timesteps(sampler: str, schedule: NoiseSchedule, start: int, steps: int) -> list[int]:
    """The steps `sampler` visits from `start` (pure noise: the schedule's max_step) to 0."""
    if sampler in LOG_NOISE_GRID_SAMPLERS:
        return log_noise_timesteps(schedule, start, steps)
    return sampling_timesteps(start, steps)
