"""Noise schedules and network parametrisations (no samplers, no networks)."""

from engine.diffusion.prediction import PREDICTION_TYPES, ClassGuidance, Denoiser, training_target
from engine.diffusion.schedule import SCHEDULE_KINDS, NoiseSchedule, ScheduleConfig

__all__ = [
    "PREDICTION_TYPES", "SCHEDULE_KINDS", "ClassGuidance", "Denoiser", "NoiseSchedule", "ScheduleConfig",
    "training_target",
]
