"""Solver-robust training (`engine train --solver-mix`): every optimizer step runs the network with
an ODE solver drawn from a weighted mix, so that one network learns a flow that the speed/quality
dial can integrate coarsely or finely, not the one discrete map a single solver computes (a model
trained with one midpoint step per block breaks under Euler and gets worse under rk4:
docs/models.md, "The speed/quality dial on this model").

Written METHOD:STEPS[=WEIGHT], comma-separated: `euler:1,midpoint:1,rk4:1=2` draws rk4 × 1 half the
time. Only fixed-grid solvers mix: an adaptive one (dopri5) picks its steps from the data, so a
batch would cost an unknown amount and the run's speed would wander.

The draw is made once per optimizer step (the micro-batches of gradient accumulation share it: they
split one batch, whose gradient is that of one solver), from (seed, step) alone: a resumed run
draws what the uninterrupted one did with nothing saved, and every process of a distributed run
draws the same, as it must to train one batch with one solver.

Distillation (`engine train --distil-mix`) draws from a mix of the same syntax the *students*: each
step also runs the network with a student solver and pulls its output towards what the network's
own solver (the teacher) output on the same batch, held fixed: the student is moved towards the
teacher, never the teacher's output towards the student, and only the teacher fits the noisy
target (a solver mix fits every drawn solver to it, which pulled the trained step towards what
Euler can fit). The weights are shared, so the term still shapes the flow both integrate; its
weight sets how much (docs/models.md, "Distilling the trained step into Euler"). The two combine:
the solver mix's draw fits the target, and the teacher is still the network's own solver (an extra
forward without a graph when the mix drew another), so a run can give Euler some of the target and
the rest of its pull towards the trained step. The teacher may be another solver than the network's
own (`--distil-teacher rk4:2`): a finer one makes every coarser setting approximate one fine solve
of the flow, the trained step among them, rather than the trained step's discrete map.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass

from engine.errors import ConfigError
from engine.models.ode_block import FIXED_GRID_METHODS, SolverSettings, is_adaptive_method

SYNTAX = "METHOD:STEPS or METHOD:STEPS=WEIGHT, comma-separated (e.g. euler:1,midpoint:1,rk4:1,rk4:2)"
# A mix that trains the cUNet presets' midpoint × 1 for the whole dial, from half its evaluations
# (euler × 1) to four times them (rk4 × 2); docs/models.md, "Solver-robust training".
RECOMMENDED_MIX = "euler:1,midpoint:1,rk4:1,rk4:2"
# The kinetic-energy weight the bundled models were trained with beside it (`--kinetic-weight`).
RECOMMENDED_KINETIC_WEIGHT = 0.01
SOLVER_MIX = "solver mix"  # what errors call a --solver-mix
DISTIL_MIX = "distillation mix"  # and a --distil-mix
DISTIL_TEACHER = "distillation teacher"  # and a --distil-teacher (one solver, no weight)


@dataclass(frozen=True)
class SolverMix:
    """Fixed-grid solvers and the weight each is drawn with (any positive numbers: a solver's share
    is its weight over their sum)."""

    solvers: tuple[SolverSettings, ...]
    weights: tuple[float, ...]

    @staticmethod
    def parse(text: str, what: str = SOLVER_MIX) -> "SolverMix":
        """The mix `text` writes (see SYNTAX); a ConfigError names `what` mix it is and the entry
        it cannot use."""
        solvers, weights = [], []
        for entry in text.split(","):
            solver, weight = _parsed_entry(entry.strip(), what)
            if any(_same_grid(solver, other) for other in solvers):
                raise ConfigError(f"the {what} names {solver.text()} twice")
            solvers.append(solver)
            weights.append(weight)
        return SolverMix(tuple(solvers), tuple(weights))

    def text(self) -> str:
        """The mix as `parse` reads it, weights of 1 left out: how config.json stores it."""
        return ",".join(solver.text() + ("" if weight == 1 else f"={weight:g}")
                        for solver, weight in zip(self.solvers, self.weights))

    def drawn(self, seed: int, step: int, stream: str = "solver-mix") -> SolverSettings:
        """The solver of optimizer step `step` of the run seeded `seed`. A string seed is hashed
        (SHA-512) by `random`, the same on every platform and Python version: a stream of its own,
        apart from the per-process step generators (training/batches.py); `stream` names it, so
        that two mixes of one run (the solver mix, the distillation's students) draw independently."""
        return random.Random(f"{stream} {seed} {step}").choices(self.solvers, self.weights)[0]


def run_solver_mix(text: str, nominal: SolverSettings | None) -> SolverMix | None:
    """The mix a run trains with, for a network whose own solver (what it samples with unless asked
    for another) is `nominal`: each solver keeps the nominal's other settings (the adjoint). None
    without a mix. Refuses a network without ODE blocks, and a mix without the nominal solver,
    which the model would then sample with untrained."""
    if not text:
        return None
    if nominal is None:
        raise ConfigError("a solver mix (--solver-mix) needs a cUNet: this network has no ODE blocks to solve")
    mix = SolverMix.parse(text)
    if not any(_same_grid(nominal, solver) for solver in mix.solvers):
        raise ConfigError(f"the solver mix {text} leaves out the network's own solver {nominal.text()}, "
                          "which it samples with: add it to the mix")
    return _fitted(mix, nominal)


def run_distil_teacher(text: str, nominal: SolverSettings) -> SolverSettings:
    """The teacher of a distilling run whose network's own solver is `nominal`: the solver `text`
    names (METHOD:STEPS, with the nominal's other settings), or the nominal itself where it is ""."""
    if not text:
        return nominal
    mix = SolverMix.parse(text, DISTIL_TEACHER)
    if len(mix.solvers) != 1 or mix.weights != (1.0,):
        raise ConfigError(f"the {DISTIL_TEACHER} {text} must be one solver, METHOD:STEPS without a weight (e.g. rk4:2)")
    return _fitted(mix, nominal).solvers[0]


def run_distil_mix(text: str, nominal: SolverSettings | None, teacher_text: str = "") -> SolverMix | None:
    """The students of a distilling run (`engine train --distil-mix`), for a network whose own
    solver is `nominal`; the teacher is `teacher_text`'s solver (`run_distil_teacher`). Each student
    keeps the nominal's other settings. None without one. Refuses a network without ODE blocks, and
    the teacher among its own students (it would be pulled towards its own output: a loss of zero)."""
    if not text:
        return None
    if nominal is None:
        raise ConfigError("distillation (--distil-mix) needs a cUNet: this network has no ODE blocks to solve")
    mix = SolverMix.parse(text, DISTIL_MIX)
    teacher = run_distil_teacher(teacher_text, nominal)
    if any(_same_grid(teacher, solver) for solver in mix.solvers):
        raise ConfigError(f"the {DISTIL_MIX} {text} names the teacher's solver {teacher.text()} (the network's own "
                          "unless --distil-teacher names another): name only the solvers that should learn to "
                          "agree with it")
    return _fitted(mix, nominal)


def _fitted(mix: SolverMix, nominal: SolverSettings) -> SolverMix:
    """`mix` with each solver given the nominal's other settings (the adjoint)."""
    return SolverMix(tuple(dataclasses.replace(nominal, method=s.method, steps=s.steps) for s in mix.solvers),
                     mix.weights)


def _parsed_entry(entry: str, what: str) -> tuple[SolverSettings, float]:
    grid, _, weight_text = entry.partition("=")
    method, _, steps_text = grid.partition(":")
    try:
        steps, weight = int(steps_text), float(weight_text or 1)
    except ValueError:
        raise ConfigError(f"{what} entry {entry!r} is not {SYNTAX}") from None
    if is_adaptive_method(method):
        raise ConfigError(f"the {what} cannot train with {method}: it picks its own steps from the data, so a "
                          f"batch's cost is unknown; mix {', '.join(FIXED_GRID_METHODS)}")
    if method not in FIXED_GRID_METHODS:
        raise ConfigError(f"{what} entry {entry!r}: unknown solver {method!r}; mix "
                          f"{', '.join(FIXED_GRID_METHODS)}")
    if not (math.isfinite(weight) and weight > 0):
        raise ConfigError(f"{what} entry {entry!r}: a weight must be a positive number")
    return SolverSettings(method=method, steps=steps), weight


def _same_grid(a: SolverSettings, b: SolverSettings) -> bool:
    return (a.method, a.steps) == (b.method, b.steps)
