"""Noise schedules and network parametrisations (no samplers, no networks)."""

from engine.diffusion.prediction import PREDICTION_TYPES, ClassGuidance, Denoiser, training_target
from engine.diffusion.schedule import SCHEDULE_KINDS, NoiseSchedule, ScheduleConfig
from engine.diffusion.solver_schedule import (
    ConstantSolver,
    SolverChoice,
    SolverSchedule,
    SteppedSolver,
    as_schedule,
    evals_per_block,
)

__all__ = [
    "PREDICTION_TYPES", "SCHEDULE_KINDS", "ClassGuidance", "ConstantSolver", "Denoiser", "NoiseSchedule",
    "ScheduleConfig", "SolverChoice", "SolverSchedule", "SteppedSolver", "as_schedule", "evals_per_block",
    "training_target",
]
