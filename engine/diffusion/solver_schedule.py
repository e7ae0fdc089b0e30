"""Which ODE solver a cUNet runs at each step of the reverse process.

The solver is call-time data: the `Denoiser` asks its schedule for the solver of every network
call, by the step t it denoises, and passes it with the call (no network holds one). Every front
end asks for one solver throughout (`ConstantSolver`); the schedule is a function of t so that a
sampler can also solve cheaply while x_t is mostly noise and finely near the end (issue #26).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from engine.models.ode_block import SolverSettings

# Step t of the reverse process (T - 1 is pure noise, 0 the clean image) -> the solver for it.
SolverSchedule = Callable[[int], SolverSettings]


@dataclass(frozen=True)
class ConstantSolver:
    """The same solver at every step."""

    settings: SolverSettings

    def __call__(self, t: int) -> SolverSettings:
        return self.settings
