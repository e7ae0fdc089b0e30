"""Neural-ODE blocks: the continuous replacement for a U-Net level's stack of residual blocks.

A block integrates dh/ds = f(h, c) over depth-time s in [0, 1] with torchdiffeq, where c is the
diffusion-time conditioning. The solver is *data* (`SolverSettings`) passed with every call, as
torchdiffeq's `odeint` takes `method` and `options`: no block holds one, so one trained model can be
run with fewer or more solver steps as a speed/quality dial, by several callers at once. A training
call may also pass a `FlowPenalties`, which collects each block's kinetic energy (Finlay et al. 2020)
and bend (how far its vector field changes along the path: what makes solvers disagree).

A block solves in the memory layout its state comes in. torchdiffeq stores each solution in a buffer
it allocates row-major (NCHW), so a channels-last state (how the cUNet computes, `CUNet`) would be
copied across layouts into it and out again at every block; the block hands torchdiffeq the state's
NHWC view instead, whose row-major buffer is the same memory order, and views the result back.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torchdiffeq import odeint, odeint_adjoint

from engine.errors import ConfigError
from engine.json_values import is_real, is_whole

FIXED_GRID_METHODS = ("euler", "midpoint", "rk4")
ADAPTIVE_METHODS = ("dopri5",)
SOLVER_METHODS = FIXED_GRID_METHODS + ADAPTIVE_METHODS
# Function evaluations per fixed-grid step; used for honest progress and cost estimates.
EVALS_PER_STEP = {"euler": 1, "midpoint": 2, "rk4": 4}
MAX_SOLVER_STEPS = 1000  # far beyond any useful setting; a bound keeps a bad model file from hanging a sampler


def is_adaptive_method(method: str) -> bool:
    """Which knob applies, decided here only: an adaptive method (dopri5) picks its own steps to
    meet `rtol`/`atol`, so a step count means nothing to it; a fixed-grid one (euler, midpoint,
    rk4) takes `steps` and no tolerance. Every front end asks this, not the method lists."""
    return method in ADAPTIVE_METHODS


@dataclass(frozen=True)
class SolverSettings:
    """How every ODE block of a network is integrated.

    method: euler | midpoint | rk4 (fixed grid, `steps` steps over [0, 1]) or dopri5 (adaptive,
    `rtol`/`atol`). adjoint: backpropagate with the adjoint method (O(1) activation memory in
    depth, slower); only matters for training.
    """

    method: str = "rk4"
    steps: int = 1
    rtol: float = 1e-3
    atol: float = 1e-3
    adjoint: bool = False

    def __post_init__(self) -> None:
        # Settings also come from model files, so their types are checked too, not just their ranges.
        if not isinstance(self.method, str) or self.method not in SOLVER_METHODS:
            known = ", ".join(SOLVER_METHODS)
            raise ConfigError(f"unknown ODE solver {self.method!r}; choose one of {known}")
        if not is_whole(self.steps) or not 1 <= self.steps <= MAX_SOLVER_STEPS:
            raise ConfigError(
                f"ODE solver steps must be >= 1 and <= {MAX_SOLVER_STEPS} (a whole number), got {self.steps!r}"
            )
        if not all(is_real(t) and 0 < t < 1 for t in (self.rtol, self.atol)):
            raise ConfigError("ODE solver tolerances must be numbers between 0 and 1")
        if not isinstance(self.adjoint, bool):
            raise ConfigError(f"ODE solver 'adjoint' must be true or false, got {self.adjoint!r}")

    @property
    def is_adaptive(self) -> bool:
        """True when `rtol`/`atol` apply (and `steps` does not); see `is_adaptive_method`."""
        return is_adaptive_method(self.method)

    def evals_per_block(self) -> int | None:
        """Function evaluations per block, or None for adaptive solvers (data dependent)."""
        return None if self.is_adaptive else EVALS_PER_STEP[self.method] * self.steps

    def text(self) -> str:
        """The setting as the command line writes it: METHOD:STEPS for a fixed-grid method
        ("euler:1"), dopri5:TOL for the adaptive one (dopri5:RTOL/ATOL where they differ);
        `from_text` reads it back (the adjoint flag, a training knob, is not part of it)."""
        if not self.is_adaptive:
            return f"{self.method}:{self.steps}"
        tolerance = f"{self.rtol!r}" if self.rtol == self.atol else f"{self.rtol!r}/{self.atol!r}"
        return f"{self.method}:{tolerance}"

    @classmethod
    def from_text(cls, text: str) -> SolverSettings:
        """The setting `text` writes (see `text`), or a one-line ConfigError saying what is wrong."""
        method, colon, knob = text.strip().partition(":")
        if not colon:
            raise ConfigError(f"{text.strip()!r} is not METHOD:STEPS (e.g. euler:1) or dopri5:TOLERANCE")
        try:
            if is_adaptive_method(method):
                rtol, _, atol = knob.partition("/")
                return cls(method=method, rtol=float(rtol), atol=float(atol or rtol))
            return cls(method=method, steps=int(knob))
        except ValueError:
            raise ConfigError(f"{knob!r} is not a number in {text.strip()!r}") from None

    def label(self) -> str:
        """The setting in words, naming only the knob that applies: "rk4 × 2" (steps per block)
        or "dopri5 (rtol 0.001, atol 0.001)"."""
        if self.is_adaptive:
            return f"{self.method} (rtol {self.rtol:g}, atol {self.atol:g})"
        return f"{self.method} × {self.steps}"


class FlowPenalties:
    """What one training forward's ODE blocks measure of their flows, for regularisers that make
    the flow easy to integrate, so that coarse solvers follow it (the speed/quality dial):

    * kinetic energy (Finlay et al. 2020): per block and image, the integral over depth-time s of
      ||f(h, s)||², integrated by the block's own solver alongside h;
    * bend: per block and image, the mean of ||f_k - f_1||² over a solve's evaluations after its
      first, f_1 being the derivative where the block starts. Zero exactly when the vector field is
      constant along the path the solver takes, which is when Euler, midpoint and rk4 give the same
      state: it penalises the difference between solvers itself, where kinetic energy only
      shrinks the flow (a single Euler step has no second evaluation and adds nothing).

    Both are divided by h's element count (so that a weight on them does not depend on the width or
    image size). Made for one call and passed with it: nothing stays on a network between calls."""

    def __init__(self) -> None:
        self._energy: list[torch.Tensor] = []  # (B,) per block solved
        self._bend: list[torch.Tensor] = []  # (B,) per block solved with two or more evaluations

    def add(self, energy: torch.Tensor, bend: torch.Tensor | None) -> None:
        self._energy.append(energy)
        if bend is not None:
            self._bend.append(bend)

    def mean(self) -> torch.Tensor:
        """The kinetic energy's mean over the blocks and the images (a scalar that gradients flow through)."""
        return torch.cat(self._energy).mean()

    def mean_bend(self) -> torch.Tensor:
        """The bend's mean over the blocks and images that have one; 0 when none has (a scalar)."""
        return torch.cat(self._bend).mean() if self._bend else torch.zeros(())


class _ConditionedField(nn.Module):
    """Binds a vector field to one call's conditioning so torchdiffeq sees a plain f(s, h), and
    counts evaluations on the owning block (adaptive solvers make this data dependent). With
    `measure_flow` the state is (h, energy so far), the energy's derivative is ||f||² per element,
    and each evaluation after the first adds its squared distance from the first to `bends`
    (`FlowPenalties`)."""

    def __init__(self, block: "ODEBlock", condition: torch.Tensor | None, measure_flow: bool, nhwc: bool) -> None:
        super().__init__()
        self.field = block.field
        self.condition = condition
        self.measure_flow = measure_flow
        self.nhwc = nhwc  # the solver holds h as its NHWC view (module docstring)
        self._block = [block]  # a list, so the block is not registered as a submodule
        self._first: torch.Tensor | None = None  # the first evaluation of this solve
        self.bends: list[torch.Tensor] = []  # (B,) per later evaluation

    def bend(self) -> torch.Tensor | None:
        """The mean of `bends` per image, or None after a single evaluation."""
        return torch.stack(self.bends).mean(0) if self.bends else None

    def forward(self, s: torch.Tensor, state):
        self._block[0].evaluations += 1
        h = state[0] if self.measure_flow else state
        derivative = self.field(_from_nhwc(h) if self.nhwc else h, self.condition)
        stored = _to_nhwc(derivative) if self.nhwc else derivative
        if not self.measure_flow:
            return stored
        if self._first is None:
            self._first = derivative
        else:
            self.bends.append((derivative - self._first).square().flatten(1).mean(1))
        return stored, derivative.square().flatten(1).mean(1)


def _is_channels_last(h: torch.Tensor) -> bool:
    """Laid out channels-last and not also row-major (a 1x1 image is both: nothing to gain)."""
    return h.dim() == 4 and h.is_contiguous(memory_format=torch.channels_last) and not h.is_contiguous()


def _to_nhwc(h: torch.Tensor) -> torch.Tensor:
    return h.permute(0, 2, 3, 1)


def _from_nhwc(h: torch.Tensor) -> torch.Tensor:
    return h.permute(0, 3, 1, 2)


class ODEBlock(nn.Module):
    """Integrates `field` from s=0 to s=1 with the solver it is called with and returns the state
    at s=1. It holds no solver: the caller (the network, given one by its caller or its trained
    one) passes it with every call, so no call can change the next."""

    def __init__(self, field: nn.Module) -> None:
        super().__init__()
        self.field = field
        self.evaluations = 0  # vector-field evaluations since creation (for honest progress/cost)

    def forward(self, h: torch.Tensor, condition: torch.Tensor | None, solver: SolverSettings,
                penalties: FlowPenalties | None = None) -> torch.Tensor:
        if solver.is_adaptive and not torch.is_grad_enabled() and h.shape[0] > 1:
            return self._solve_each(h, condition, solver, penalties)
        return self._solve(h, condition, solver, penalties)

    def _solve_each(self, h: torch.Tensor, condition: torch.Tensor | None, solver: SolverSettings,
                    penalties: FlowPenalties | None) -> torch.Tensor:
        """An adaptive solver picks its steps from the error of the whole batch, so an image would
        depend on the others in its batch; at inference each image is solved alone, so that a seed
        makes the same image in any batch (batching is lost: the price of exactness). `evaluations`
        then grows by the mean over the images, as for one batched solve."""
        before = self.evaluations
        parts = [self._solve(h[i : i + 1], None if condition is None else condition[i : i + 1], solver, penalties)
                 for i in range(len(h))]
        self.evaluations = before + round((self.evaluations - before) / len(h))
        return torch.cat(parts)

    def _solve(self, h: torch.Tensor, condition: torch.Tensor | None, solver: SolverSettings,
               penalties: FlowPenalties | None) -> torch.Tensor:
        nhwc = _is_channels_last(h)
        bound = _ConditionedField(self, condition, measure_flow=penalties is not None, nhwc=nhwc)
        state = _to_nhwc(h) if nhwc else h
        start = state if penalties is None else (state, h.new_zeros(h.shape[0]))
        span = torch.tensor([0.0, 1.0], dtype=h.dtype, device=h.device)
        kwargs: dict = {"method": solver.method}
        if solver.is_adaptive:
            kwargs.update(rtol=solver.rtol, atol=solver.atol)
        elif solver.steps > 1:
            kwargs["options"] = {"step_size": 1.0 / solver.steps}
        if solver.adjoint and torch.is_grad_enabled():
            params = tuple(bound.parameters())
            if condition is not None and condition.requires_grad:
                params += (condition,)
            solution = odeint_adjoint(bound, start, span, adjoint_params=params, **kwargs)
        else:
            solution = odeint(bound, start, span, **kwargs)
        if penalties is not None:
            penalties.add(solution[1][-1], bound.bend())
            solution = solution[0]
        return _from_nhwc(solution[-1]) if nhwc else solution[-1]
