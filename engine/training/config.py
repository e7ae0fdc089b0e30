"""TrainingConfig: every knob of a training run, saved as the run folder's config.json so a run
is self-describing and `--resume` continues with the settings it started with (the few it may
change: training/resume.py). Its field defaults are a new run's defaults, in the CLI and the app
as well (`TrainingConfig.default`)."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.training.photo_noise import GAUSSIAN_SHARE
from engine.training.solver_mix import DISTIL_MIX, DISTIL_TEACHER, SOLVER_MIX, SolverMix

NOISE_KINDS = ("gaussian", "photo")

MAX_SEED = 2**31 - 1  # every generator seed derived from it (seed x 1,000,003 + step ...) stays in 64 bits
DEFAULT_KEEP_CHECKPOINTS = 3
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class TrainingConfig:
    data: str
    out: str
    preset: str = "cunet-small"
    network_overrides: dict[str, Any] = field(default_factory=dict)
    image_size: int = 32
    channels: int = 3
    steps: int = 10_000
    batch_size: int = 32  # images per optimizer step, summed over all processes
    grad_accumulation: int = 1  # micro-batches per optimizer step (each batch_size / accumulation)
    lr: float = 5e-4
    lr_schedule: str = "cosine"  # cosine (to 10% at `steps`) | constant
    warmup_steps: int = 200
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    schedule: str = "cosine"
    max_step: int | None = None
    prediction: str = "eps"
    noise: str = "gaussian"  # gaussian (the diffusion forward process) | photo (see training/noised_batch.py)
    photo_gaussian_share: float = GAUSSIAN_SHARE  # with noise "photo": the share of white Gaussian noise (photo_noise.py)
    hflip: bool = True
    resize_short_side: bool = True
    max_downscale: float = 1.0  # > 1: crops also from the photos shrunk up to this factor (engine/data/geometry.py)
    cache_megabytes: int = 1024  # decoded training images kept in memory
    validation_fraction: float = 0.05
    validation_images: int = 256
    save_every: int = 500
    sample_every: int = 500
    validate_every: int = 250
    sample_count: int = 16
    keep_checkpoints: int = DEFAULT_KEEP_CHECKPOINTS
    bf16: bool = False
    compile: bool = False
    seed: int = 0
    device: str = "auto"
    card: dict[str, Any] = field(default_factory=dict)  # dataset/licence notes for the model card
    init_from: str | None = None  # model (name or folder) whose weights a new run starts from
    classes: bool = False  # class-conditional on the data's labels (see training/class_labels.py)
    class_dropout: float = 0.1  # share of labels replaced by "no class" (the unconditional prediction)
    class_names: list[str] = field(default_factory=list)  # readable names for the data's classes, in order
    class_balance: float = 0.0  # images drawn as (class count)^-B: 0 as in the data, 1 classes equally (class_labels.py)
    solver_mix: str = ""  # ODE solvers drawn per step (training/solver_mix.py); "": the network's own only
    kinetic_weight: float = 0.0  # > 0: adds this x the ODE blocks' kinetic energy to the loss (models/ode_block.py)
    bend_weight: float = 0.0  # > 0: adds this x the ODE blocks' bend to the loss (models/ode_block.py FlowPenalties)
    distil_mix: str = ""  # student ODE solvers drawn per step, pulled towards the network's own (solver_mix.py)
    distil_weight: float = 1.0  # with distil_mix: the weight of the students' squared distance from the teacher
    distil_teacher: str = ""  # with distil_mix: the teacher's solver (METHOD:STEPS); "": the network's own

    def __post_init__(self) -> None:
        checks = [
            (self.steps >= 1, "steps must be >= 1"),
            (self.batch_size >= 1, "batch size must be >= 1"),
            (self.grad_accumulation >= 1, "gradient accumulation must be >= 1"),
            (self.batch_size % self.grad_accumulation == 0, "batch size must be divisible by gradient accumulation"),
            (self.lr > 0, "learning rate must be positive"),
            (self.lr_schedule in ("cosine", "constant"), "lr schedule must be cosine or constant"),
            (self.channels in (1, 3), "channels must be 1 or 3"),
            (4 <= self.image_size <= 1024, "image size must be between 4 and 1024"),
            (0 <= self.validation_fraction < 1, "validation fraction must be in [0, 1)"),
            (0 <= self.ema_decay < 1, "EMA decay must be in [0, 1)"),
            (min(self.save_every, self.sample_every, self.validate_every) >= 1, "intervals must be >= 1"),
            (self.keep_checkpoints >= 1, "keep at least 1 checkpoint"),
            (0 <= self.seed <= MAX_SEED, f"seed must be between 0 and {MAX_SEED:,}"),
            (self.noise in NOISE_KINDS, f"training noise must be one of {', '.join(NOISE_KINDS)}"),
            (0 <= self.photo_gaussian_share <= 1, "the photo noise's Gaussian share must be in [0, 1]"),
            (self.max_downscale >= 1, "max downscale must be >= 1"),
            (self.cache_megabytes >= 0, "the image cache size must be >= 0"),
            (0 <= self.class_dropout < 1, "class dropout must be in [0, 1)"),
            (self.classes or not self.class_names, "class names need a class-conditional run (--classes)"),
            (0 <= self.class_balance <= 1, "class balance must be in [0, 1]"),
            (self.classes or not self.class_balance, "class balance needs a class-conditional run (--classes)"),
            (0 <= self.kinetic_weight < math.inf, "the kinetic-energy weight must be a number >= 0"),
            (0 <= self.bend_weight < math.inf, "the bend weight must be a number >= 0"),
            (0 < self.distil_weight < math.inf, "the distillation weight must be a number > 0"),
            (self.distil_mix or not self.distil_teacher, "a distillation teacher (--distil-teacher) needs students "
                                                         "to teach (--distil-mix)"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        # Stored as written back: a resume compares mixes, not spellings.
        for name, what in (("solver_mix", SOLVER_MIX), ("distil_mix", DISTIL_MIX), ("distil_teacher", DISTIL_TEACHER)):
            if getattr(self, name):
                object.__setattr__(self, name, SolverMix.parse(getattr(self, name), what).text())

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of field `name`: what a new run gets where it is not given."""
        found = {f.name: f for f in dataclasses.fields(cls)}[name]
        return found.default_factory() if found.default is dataclasses.MISSING else found.default

    def with_changes(self, **changes: Any) -> "TrainingConfig":
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @staticmethod
    def load(run_dir: Path) -> "TrainingConfig":
        path = run_dir / CONFIG_FILE
        try:
            values = json.loads(path.read_text("utf-8"))
            return TrainingConfig(**values)
        except FileNotFoundError:
            raise ConfigError(f"{run_dir} is not a training run folder (no {CONFIG_FILE})") from None
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
            raise ConfigError(f"{path} is damaged: {error}") from None
        except OSError as error:  # unreadable (permissions), a folder of that name, ...
            raise ConfigError(f"{path} cannot be read: {error.strerror or error}") from None
