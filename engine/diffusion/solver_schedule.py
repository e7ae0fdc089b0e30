"""Which ODE solver a cUNet runs at each step of the reverse process.

The solver is call-time data: the `Denoiser` asks its schedule for the solver of every network
call, by the step t it denoises, and passes it with the call (no network holds one). A request
asks for one solver throughout (`ConstantSolver`) or a step-aware one (`SteppedSolver`): a cheap
solver while x_t is mostly noise, when the network's output is a blurry guess whichever way it
is integrated, and a finer one near the end, where the details are decided (issue #26; DDSM
searched a separate network per phase, here one network serves every step).

A step-aware schedule has a text form, for the command line, the quality sweep and messages:

    NOISY@T,FINE     e.g. euler:1@500,midpoint:1
    NOISY@T,FINE@U   e.g. euler:1@950,midpoint:1@500

NOISY for the steps t >= T (T - 1 of the noise schedule is pure noise), FINE below T down to
0, or down to U and NOISY again below it. Each solver is METHOD:STEPS for a fixed-grid method
(euler:1, rk4:2: steps per ODE block) or dopri5:TOL for the adaptive one (rtol = atol = TOL;
dopri5:RTOL/ATOL where they differ).

Why a cheap end: on a class-conditional model the class and the shape are decided in the middle
of the reverse process. On digits (dpmpp-2m-sde 20, the selection split) Euler while x_t is
nearly pure noise and again over the last, low-noise steps kept the trained solver's FD and class
fidelity at 1.54x fewer evaluations, where Euler over the first 14 of 20 steps (a switch at
t = 200) loosened the class as much as Euler throughout (docs/models.md, "Step-aware solver
schedule", has the held-out table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from engine.errors import ConfigError
from engine.json_values import is_whole
from engine.models.ode_block import SolverSettings

# Step t of the reverse process (T - 1 is pure noise, 0 the clean image) -> the solver for it.
SolverSchedule = Callable[[int], SolverSettings]

SCHEDULE_EXAMPLE = "euler:1@500,midpoint:1"


@dataclass(frozen=True)
class ConstantSolver:
    """The same solver at every step."""

    settings: SolverSettings

    def __call__(self, t: int) -> SolverSettings:
        return self.settings

    def label(self) -> str:
        return self.settings.label()


@dataclass(frozen=True)
class SteppedSolver:
    """`noisy` at the steps t >= `switch`, `fine` below it down to `until` (0: to the end), `noisy`
    again below `until`. Whether the steps lie inside a model's reverse process is the model's to
    say (`engine.generate.solver_schedule`); here they need only leave a step for each phase."""

    noisy: SolverSettings
    fine: SolverSettings
    switch: int
    until: int = 0

    def __post_init__(self) -> None:
        if not (isinstance(self.noisy, SolverSettings) and isinstance(self.fine, SolverSettings)):
            raise ConfigError("a solver schedule's phases must be solver settings")
        if not is_whole(self.switch) or self.switch < 1:
            raise ConfigError(f"a solver schedule switches at a step t >= 1 (t = 0 is the last), got {self.switch!r}")
        if not is_whole(self.until) or not 0 <= self.until < self.switch:
            raise ConfigError(f"a solver schedule's fine phase ends at a step from 0 to below its switch "
                              f"({self.switch}), got {self.until!r}")

    def __call__(self, t: int) -> SolverSettings:
        return self.fine if self.until <= t < self.switch else self.noisy

    def label(self) -> str:
        """"euler × 1 while t ≥ 500, then midpoint × 1"; with an end phase "euler × 1 while
        t ≥ 950, midpoint × 1 down to t = 500, then euler × 1 again"."""
        if self.until:
            return (f"{self.noisy.label()} while t ≥ {self.switch}, {self.fine.label()} down to t = {self.until}, "
                    f"then {self.noisy.label()} again")
        return f"{self.noisy.label()} while t ≥ {self.switch}, then {self.fine.label()}"

    def text(self) -> str:
        """The text form (module docstring): "euler:1@500,midpoint:1"; `from_text` reads it back
        (the adjoint flag, a training knob, is not part of it)."""
        return f"{self.noisy.text()}@{self.switch},{self.fine.text()}" + (f"@{self.until}" if self.until else "")

    @classmethod
    def from_text(cls, text: str) -> SteppedSolver:
        """The schedule `text` names, or a one-line ConfigError saying what is wrong with it."""
        noisy, at, rest = text.strip().partition("@")
        switch, comma, fine_part = rest.partition(",")
        fine, fine_at, until = fine_part.partition("@")
        if not (at and comma):
            raise ConfigError(f"solver schedule {text!r} is not NOISY@T,FINE (e.g. {SCHEDULE_EXAMPLE}: "
                              "euler x1 while t >= 500, then midpoint x1)")
        steps = []
        for what, value in (("switch step", switch), ("end of the fine phase", until if fine_at else "0")):
            try:
                steps.append(int(value))
            except ValueError:
                raise ConfigError(f"solver schedule {text!r}: the {what} {value.strip()!r} is not a whole number") from None
        try:
            return cls(SolverSettings.from_text(noisy), SolverSettings.from_text(fine), *steps)
        except ConfigError as error:
            raise ConfigError(f"solver schedule {text!r}: {error}") from None


SolverChoice = SolverSettings | SteppedSolver  # what a request asks for: one solver throughout, or step-aware


def as_schedule(choice: SolverChoice) -> ConstantSolver | SteppedSolver:
    """The schedule a request's solver choice runs: one solver is the same at every step."""
    return ConstantSolver(choice) if isinstance(choice, SolverSettings) else choice


def evals_per_block(schedule: SolverSchedule, timesteps: Sequence[int]) -> int | None:
    """Vector-field evaluations of each ODE block over network calls at `timesteps` (one call
    per entry), known before running; None when an adaptive solver runs at any of them (its
    cost depends on the data)."""
    counts = [schedule(t).evals_per_block() for t in timesteps]
    return None if None in counts else sum(counts)
