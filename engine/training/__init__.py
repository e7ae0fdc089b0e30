"""Training: config, run folders, resumable checkpoints, pause/stop control and DDP."""

from engine.training.config import DEFAULT_KEEP_CHECKPOINTS, TrainingConfig
from engine.training.control import ProgressCallback, TrainingControl, TrainingProgress
from engine.training.loop import TrainingSummary, train
from engine.training.resume import RESUMABLE_FIELDS, resume_refusal, resumed_config
from engine.training.run_folder import RunFolder
from engine.training.training_run import model_spec_for

__all__ = [
    "DEFAULT_KEEP_CHECKPOINTS",
    "RESUMABLE_FIELDS",
    "ProgressCallback",
    "RunFolder",
    "TrainingConfig",
    "TrainingControl",
    "TrainingProgress",
    "TrainingSummary",
    "model_spec_for",
    "resume_refusal",
    "resumed_config",
    "train",
]
