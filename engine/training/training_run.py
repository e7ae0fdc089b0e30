"""Opening a training run: everything its first step needs, new or resumed.

`open_run` reads and checks all it can before it writes anything (bad input, or a stop asked for
while a large image folder opens, must leave no run folder), then writes the run folder and builds
the networks, EMA and optimiser, restored from the latest checkpoint when the run is resumed. The
random state needs no restoring: every draw comes from (seed, step), so the step is the RNG state
and the data position (batches.py). `loop.train` steps the `TrainingRun` it returns.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from engine.atomic import atomic_write_text
from engine.checkpoints import ModelSpec, read_spec
from engine.checkpoints.model_files import list_checkpoints
from engine.data import TrainingImages, open_training_images, split_train_validation
from engine.diffusion import NoiseSchedule, ScheduleConfig
from engine.errors import ConfigError, ModelLoadError
from engine.models import SolverSettings, config_from_dict, preset_config
from engine.training import distributed
from engine.training.batches import DataOrder
from engine.training.class_labels import balanced_image_weights, class_shares, image_labels, run_class_names
from engine.training.config import CONFIG_FILE, TrainingConfig
from engine.training.control import TrainingControl
from engine.training.ema import EMA
from engine.training.init_from import inherited_card, initial_weights
from engine.training.noised_batch import NoisedBatch, noised_batch
from engine.training.preview_grid import SAMPLE_SAMPLER, SAMPLE_STEPS
from engine.training.resume import resumed_config
from engine.training.run_folder import RunFolder
from engine.training.solver_mix import SolverMix, run_distil_mix, run_distil_teacher, run_solver_mix
from engine.training.state import TrainingState, load_checkpoint


@dataclass(frozen=True)
class TrainingData:
    """A run's images, split, with the fixed validation batch and the order steps take them in."""

    images: TrainingImages  # all of them (its description and skipped files are the run's)
    train_set: TrainingImages
    held_out: int  # images kept out of training for the validation loss
    validation_batch: NoisedBatch | None  # fixed noise and t, so validation losses compare
    order: DataOrder  # which images each step trains on


@dataclass(frozen=True)
class ModelInTraining:
    """The weights a run trains, their moving average and the optimiser's state: what a checkpoint holds."""

    network: nn.Module  # the weights the optimiser changes
    forward: Callable[..., torch.Tensor]  # `network` as a training step calls it (DDP-wrapped, compiled)
    ema: EMA  # the weights sampled with and shipped
    ema_network: nn.Module  # holds the EMA weights for validation and sample grids
    optimizer: torch.optim.Optimizer

    def averaged(self) -> nn.Module:
        """The network with the EMA weights as they are now."""
        self.ema_network.load_state_dict(self.ema.state_dict())
        return self.ema_network


@dataclass(frozen=True)
class TrainingRun:
    """A run opened for training: `state` is where it stands (step 0, or the checkpoint resumed)."""

    config: TrainingConfig
    folder: RunFolder
    group: distributed.ProcessGroupInfo
    device: torch.device
    spec: ModelSpec
    schedule: NoiseSchedule
    data: TrainingData
    model: ModelInTraining
    state: TrainingState
    solver_mix: SolverMix | None  # the solvers its steps draw from; None: the network's own at every step
    distil_mix: SolverMix | None  # the students its steps draw from (pulled towards the teacher's output)
    distil_teacher: SolverSettings | None  # the solver whose output the students are pulled towards


def open_run(config: TrainingConfig, folder: RunFolder, resume: bool, device: torch.device,
             group: distributed.ProcessGroupInfo, control: TrainingControl) -> TrainingRun | None:
    """The run `config` (as `resolve_run` made it) describes, ready for its next step; None where a
    stop was asked for while its images were opened: then nothing is written."""
    if config.batch_size % (group.world_size * config.grad_accumulation):
        raise ConfigError("batch size must be divisible by (processes x gradient accumulation)")
    images = open_training_images(
        config.data, config.image_size, config.channels, hflip=config.hflip, resize_short_side=config.resize_short_side,
        max_downscale=config.max_downscale, cache_bytes=config.cache_megabytes << 20,
    )
    if config.validation_fraction > 0:
        train_set, validation_set = split_train_validation(images, config.validation_fraction, config.seed)
    else:
        train_set, validation_set = images, None
    class_names = run_class_names(config, images)
    spec = model_spec_for(config, class_names, class_shares(images, len(class_names)) if class_names else None)
    # A run killed before its first checkpoint resumes from step 0 with its stored settings.
    latest = folder.latest_checkpoint() if resume else None
    if latest is not None:
        _check_resumed_classes(latest, spec)
    # A resumed run's checkpoint has its weights.
    start_weights = initial_weights(config.init_from, spec, config.seed) if config.init_from and latest is None else None
    if distributed.any_rank(control.stop_requested, group, device):  # while the data was opened (a large folder)
        return None
    if group.is_main:
        folder.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder.root / CONFIG_FILE, config.to_json() + "\n")
        folder.write_skipped(list(getattr(images, "skipped", [])))
    schedule = spec.build_schedule()
    model, state = _open_model(spec, config, device, group, start_weights, folder, latest)
    if resume and group.is_main:
        folder.truncate_log(state.step)
        folder.remove_stale_temp_files()
    # A one-image dataset validates on its training image: nothing is held out then.
    held_out = len(validation_set) if validation_set is not None and len(images) > 1 else 0
    validation_batch = _validation_batch(validation_set, config, spec) if validation_set else None
    order = DataOrder(len(train_set), config.seed, balanced_image_weights(train_set, config.class_balance))
    data = TrainingData(images, train_set, held_out, validation_batch, order)
    solver_mix = run_solver_mix(config.solver_mix, spec.trained_solver)
    distil_mix = run_distil_mix(config.distil_mix, spec.trained_solver, config.distil_teacher)
    teacher = run_distil_teacher(config.distil_teacher, spec.trained_solver) if distil_mix else None
    return TrainingRun(config, folder, group, device, spec, schedule, data, model, state, solver_mix, distil_mix,
                       teacher)


def resolve_run(config: TrainingConfig, resume: bool, is_main: bool = True) -> tuple[TrainingConfig, RunFolder, int]:
    """The settings of a new run, or of the run being resumed (its stored settings with the changes
    `resumed_config` allows), its folder, and the step target it had before. Writes nothing: bad
    input must leave no run folder."""
    run = RunFolder(Path(config.out).expanduser())
    if resume:
        stored = TrainingConfig.load(run.root)
        return resumed_config(stored, config), run, stored.steps
    if is_main and (run.root / CONFIG_FILE).exists():
        raise ConfigError(f"{run.root} already holds a training run: continue it (engine train --resume, or "
                          "“Continue a run…” in the app) or choose another folder")
    if config.init_from:  # stored with the run's settings, so a resumed run needs its parent no more
        config = dataclasses.replace(config, card=inherited_card(config.init_from, config.card))
    return config, run, config.steps


def model_spec_for(config: TrainingConfig, class_names: tuple[str, ...] = (),
                   shares: list[float] | None = None) -> ModelSpec:
    """The model a run trains; `class_names` (see `run_class_names`) decide the network's classes,
    whatever the preset or overrides say; `shares`, the data's share of each, go on the card as
    `class_shares` (a --card value wins, as for the recommendation)."""
    arch, network_config = preset_config(config.preset, config.channels)
    values = dataclasses.asdict(network_config) | dict(config.network_overrides) | {"num_classes": len(class_names)}
    network_config = config_from_dict(arch, values)  # validates the overrides
    if network_config.in_channels != config.channels:  # e.g. --init-from a greyscale model for a colour run
        raise ConfigError(f"the network takes {network_config.in_channels}-channel images but this run trains on "
                          f"{config.channels}-channel ones: set --channels {network_config.in_channels} (or "
                          "another network)")
    spec = ModelSpec(
        arch=arch,
        network=dataclasses.asdict(network_config),
        image_size=config.image_size,
        channels=config.channels,
        schedule=ScheduleConfig(kind=config.schedule, max_step=config.max_step),
        prediction=config.prediction,
        # The run recommends the sampler its preview grids show, unless its card says otherwise (a
        # --card recommendation, or a fine-tune's parent's: `inherited_card`): every checkpoint and
        # the final model folder carry it, so `engine sample --model RUN` samples as recommended.
        card={"recommended": {"sampler": SAMPLE_SAMPLER, "steps": SAMPLE_STEPS}}
        | ({"class_shares": shares} if shares else {}) | dict(config.card),
        class_names=class_names,
    )
    for weight, name in ((config.kinetic_weight, "kinetic-energy regulariser (--kinetic-weight)"),
                         (config.bend_weight, "bend regulariser (--bend-weight)")):
        if weight and spec.trained_solver is None:
            raise ConfigError(f"the {name} needs a cUNet: this network has no ODE blocks")
    # A solver-robust or distilled run's model says which solvers it was trained for (its own among them).
    solver_mix = run_solver_mix(config.solver_mix, spec.trained_solver)
    distil_mix = run_distil_mix(config.distil_mix, spec.trained_solver, config.distil_teacher)
    fitted = solver_mix.solvers if solver_mix else (spec.trained_solver,)
    distilled = (*distil_mix.solvers, run_distil_teacher(config.distil_teacher, spec.trained_solver)) if distil_mix else ()
    trained_with = fitted + tuple(dict.fromkeys(s for s in distilled if s not in fitted))
    if config.bend_weight and all(solver.evals_per_block() == 1 for solver in trained_with):
        raise ConfigError("the bend regulariser (--bend-weight) compares a block's evaluations, but every solver this "
                          "run trains with makes one (euler:1): train with midpoint or rk4 too (--solver-mix)")
    if config.bend_weight and spec.trained_solver.adjoint:
        # The adjoint method solves forward without a graph: the bend would be measured but never trained.
        raise ConfigError("the bend regulariser (--bend-weight) needs gradients through the solver's evaluations, "
                          "which the adjoint method does not keep: train with the solver's adjoint off")
    return dataclasses.replace(spec, trained_solvers=trained_with) if solver_mix or distil_mix else spec


def _check_resumed_classes(checkpoint: Path, spec: ModelSpec) -> None:
    """A resumed run keeps its classes: its data, moved or not, must still label them so. Checked
    before the run writes anything."""
    try:
        trained = read_spec(checkpoint).class_names
    except ModelLoadError:
        return  # a damaged checkpoint: `_load_latest` says which earlier one the run can go on from
    if trained != spec.class_names:
        raise ConfigError(f"this run was trained on the classes {', '.join(trained) or '(none)'}, but its data now "
                          f"gives {', '.join(spec.class_names) or '(none)'}: continue it on the data it was trained on")


def _open_model(spec: ModelSpec, config: TrainingConfig, device: torch.device, group: distributed.ProcessGroupInfo,
                start_weights: dict[str, torch.Tensor] | None, folder: RunFolder,
                latest: Path | None) -> tuple[ModelInTraining, TrainingState]:
    """The run's networks, EMA and optimiser where it stands: at step 0, initialised from the seed
    (or from `start_weights`, --init-from); resumed, loaded from the `latest` checkpoint."""
    torch.manual_seed(config.seed)  # weight initialisation
    network = spec.build_network()
    if start_weights is not None:  # initial_weights checked them: only zero-initialised parts may be missing
        network.load_state_dict(start_weights, strict=False)
    network = network.to(device)
    ema_network = spec.build_network().to(device).eval()
    ema = EMA(network, config.ema_decay)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.lr, betas=(0.9, 0.99), weight_decay=config.weight_decay)
    state = TrainingState(step=0, images_seen=0, elapsed_seconds=0.0)
    if latest is not None:
        state = _load_latest(folder, latest, network, ema, optimizer)
    model = DistributedDataParallel(network) if group.active else network
    if config.compile and getattr(sys, "frozen", False):
        raise ConfigError("--compile needs a source install (the packaged app has no C++ compiler headers)")
    # Shapes are fixed during training (full batches only), so compile for static shapes.
    forward = torch.compile(model, dynamic=False) if config.compile else model
    return ModelInTraining(network, forward, ema, ema_network, optimizer), state


def _load_latest(folder: RunFolder, latest: Path, network: nn.Module, ema: EMA,
                 optimizer: torch.optim.Optimizer) -> TrainingState:
    """The latest checkpoint; if it is damaged, the error says which earlier one the run could go on
    from (moving a file is the user's choice: the damaged one may be worth keeping)."""
    try:
        return load_checkpoint(latest, network, ema, optimizer)
    except ModelLoadError as error:
        earlier = [step for step, path in list_checkpoints(folder.root) if path != latest]
        hint = f"; move it out of the way to continue from the checkpoint of step {earlier[-1]:,}" if earlier else ""
        raise ModelLoadError(f"{error}{hint}") from None


def _validation_batch(dataset: TrainingImages, config: TrainingConfig, spec: ModelSpec) -> NoisedBatch:
    """A fixed noisy validation batch (same t and noise every time), so val loss is comparable; a
    class-conditional run validates the conditional prediction (every image with its label)."""
    count = min(len(dataset), config.validation_images)
    generator = torch.Generator().manual_seed(config.seed + 99_991)
    images = torch.stack([dataset.load(i, None) for i in range(count)])
    batch = noised_batch(config.noise, spec.build_schedule(), spec.prediction, images, generator, spec.takes_noise_map,
                         config.photo_gaussian_share)
    return dataclasses.replace(batch, class_labels=image_labels(dataset, range(count))) if spec.is_conditional else batch
