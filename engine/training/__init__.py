"""Training: config, run folders, resumable checkpoints, pause/stop control and DDP."""

from engine.training.config import TrainingConfig
from engine.training.control import ProgressCallback, TrainingControl, TrainingProgress
from engine.training.loop import TrainingSummary, model_spec_for, train
from engine.training.run_folder import RunFolder

__all__ = [
    "ProgressCallback",
    "RunFolder",
    "TrainingConfig",
    "TrainingControl",
    "TrainingProgress",
    "TrainingSummary",
    "model_spec_for",
    "train",
]
