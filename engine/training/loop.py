"""`train()`: the whole training run in one readable function plus small helpers.

Per optimizer step: load the step's batch (deterministic, see batches.py), draw t and noise from
the step's generator, regress the network output onto the eps/v target, clip, AdamW, EMA. Around
it: validation loss of the EMA weights on a fixed noisy batch, a fixed-seed sample grid, atomic
checkpoints, and a JSONL log. Stop and pause always save a checkpoint first.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from engine.atomic import atomic_write_text
from engine.checkpoints import ModelSpec, read_spec, save_model_folder
from engine.checkpoints.model_files import checkpoint_path, list_checkpoints
from engine.data import open_training_images, split_train_validation
from engine.device import resolve_device
from engine.diffusion import ScheduleConfig
from engine.errors import ConfigError, ModelLoadError
from engine.models import config_from_dict, preset_config
from engine.training import distributed
from engine.training.batches import DataOrder, step_generator
from engine.training.class_labels import dropped_labels, run_class_names
from engine.training.config import CONFIG_FILE, TrainingConfig
from engine.training.control import ProgressCallback, TrainingControl, TrainingProgress
from engine.training.ema import EMA
from engine.training.init_from import initial_weights
from engine.training.noised_batch import NoisedBatch, noised_batch
from engine.training.preview_grid import SAMPLE_SAMPLER, SAMPLE_STEPS, write_preview_grid
from engine.training.resume import resumed_config
from engine.training.run_folder import RunFolder
from engine.training.run_length import describe_run_length
from engine.training.state import TrainingState, load_checkpoint, save_checkpoint
SPEED_WINDOW = 20


@dataclass
class TrainingSummary:
    run_dir: Path
    step: int
    total_steps: int
    stopped: bool
    model_dir: Path | None
    final_loss: float | None
    ranks_in_sync: bool = True
    began: bool = True  # False: stopped while opening the data, before anything was written


def model_spec_for(config: TrainingConfig, class_names: tuple[str, ...] = ()) -> ModelSpec:
    """The model a run trains; `class_names` (see `run_class_names`) decide the network's classes,
    whatever the preset or overrides say."""
    arch, network_config = preset_config(config.preset, config.channels)
    values = dataclasses.asdict(network_config) | dict(config.network_overrides) | {"num_classes": len(class_names)}
    network_config = config_from_dict(arch, values)  # validates the overrides
    if network_config.in_channels != config.channels:  # e.g. --init-from a greyscale model for a colour run
        raise ConfigError(f"the network takes {network_config.in_channels}-channel images but this run trains on "
                          f"{config.channels}-channel ones: set --channels {network_config.in_channels} (or "
                          "another network)")
    return ModelSpec(
        arch=arch,
        network=dataclasses.asdict(network_config),
        image_size=config.image_size,
        channels=config.channels,
        schedule=ScheduleConfig(kind=config.schedule, max_step=config.max_step),
        prediction=config.prediction,
        # The run recommends the sampler its preview grids show (a --card recommendation wins): every
        # checkpoint and the final model folder carry it, so `engine sample --model RUN` matches them.
        card={"recommended": {"sampler": SAMPLE_SAMPLER, "steps": SAMPLE_STEPS}} | dict(config.card),
        class_names=class_names,
    )


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
    return config, run, config.steps


def _schedule_change(previous_steps: int, config: TrainingConfig, step: int) -> str:
    """What a new --steps does to a resumed cosine schedule, which spans the whole run: the
    learning rate rises again (a warm restart) when the run is made longer."""
    if config.lr_schedule != "cosine" or previous_steps == config.steps or step == 0:
        return ""
    before = _lr_at(dataclasses.replace(config, steps=previous_steps), step) / config.lr
    after = _lr_at(config, step) / config.lr
    return (f"\nThe cosine learning rate now spans {config.steps:,} steps instead of {previous_steps:,}: at step "
            f"{step:,} it goes from {before:.2f}x to {after:.2f}x of {config.lr:g}.")


def _lr_at(config: TrainingConfig, step: int) -> float:
    warm = min(1.0, (step + 1) / max(1, config.warmup_steps))
    if config.lr_schedule == "constant":
        return config.lr * warm
    progress = min(1.0, step / max(1, config.steps))
    return config.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _load_batch(dataset, indices: list[int], generator: torch.Generator) -> torch.Tensor:
    return torch.stack([dataset.load(i, generator) for i in indices])


def _labels(dataset, indices: list[int] | range) -> torch.Tensor:
    return torch.tensor([dataset.label(i) for i in indices], dtype=torch.long)


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


def train(
    config: TrainingConfig,
    *,
    resume: bool = False,
    progress: ProgressCallback | None = None,
    control: TrainingControl | None = None,
) -> TrainingSummary:
    control = control or TrainingControl()
    device = resolve_device(config.device)
    group = distributed.init_from_environment(device)
    if group.active and device.type == "cuda":
        device = torch.device("cuda", group.local_rank)
    config, run, previous_steps = resolve_run(config, resume, group.is_main)  # a resumed run keeps its stored batch size
    if config.batch_size % (group.world_size * config.grad_accumulation):
        raise ConfigError("batch size must be divisible by (processes x gradient accumulation)")

    def emit(event: TrainingProgress) -> None:
        if progress is not None and group.is_main:
            progress(event)

    dataset = open_training_images(
        config.data, config.image_size, config.channels, hflip=config.hflip, resize_short_side=config.resize_short_side,
        max_downscale=config.max_downscale, cache_bytes=config.cache_megabytes << 20,
    )
    if config.validation_fraction > 0:
        train_set, validation_set = split_train_validation(dataset, config.validation_fraction, config.seed)
    else:
        train_set, validation_set = dataset, None
    spec = model_spec_for(config, run_class_names(config, dataset))
    # A run killed before its first checkpoint resumes from step 0 with its stored settings.
    latest = run.latest_checkpoint() if resume else None
    if latest is not None:
        _check_resumed_classes(latest, spec)
    # A resumed run's checkpoint has its weights.
    start_weights = initial_weights(config.init_from, spec) if config.init_from and latest is None else None
    if distributed.any_rank(control.stop_requested, group, device):  # while the data was opened (a large folder)
        distributed.shutdown(group)
        return TrainingSummary(run.root, 0, config.steps, True, None, None, began=False)
    if group.is_main:
        run.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run.root / CONFIG_FILE, config.to_json() + "\n")
        run.write_skipped(list(getattr(dataset, "skipped", [])))
    schedule = spec.build_schedule()
    torch.manual_seed(config.seed)  # weight initialisation
    network = spec.build_network()
    if start_weights is not None:  # initial_weights checked them: only a (zero) class embedding may be missing
        network.load_state_dict(start_weights, strict=False)
    network = network.to(device)
    ema_network = spec.build_network().to(device).eval()
    ema = EMA(network, config.ema_decay)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.lr, betas=(0.9, 0.99), weight_decay=config.weight_decay)
    state = TrainingState(step=0, images_seen=0, elapsed_seconds=0.0)

    if latest is not None:
        state = _load_latest(run, latest, network, ema, optimizer)
    if resume and group.is_main:
        run.truncate_log(state.step)
        run.remove_stale_temp_files()

    model = DistributedDataParallel(network) if group.active else network
    if config.compile and getattr(sys, "frozen", False):
        raise ConfigError("--compile needs a source install (the packaged app has no C++ compiler headers)")
    # Shapes are fixed during training (full batches only), so compile for static shapes.
    forward = torch.compile(model, dynamic=False) if config.compile else model
    order = DataOrder(len(train_set), config.seed)
    validation_batch = _validation_batch(validation_set, config, spec) if validation_set else None

    def save(reason: str) -> Path:
        path = checkpoint_path(run.root, state.step)
        if group.is_main:
            save_checkpoint(path, spec, network, ema, optimizer, state)
            run.prune_checkpoints(config.keep_checkpoints)
        emit(TrainingProgress("checkpoint", state.step, config.steps, path=path, message=reason))
        return path

    # A one-image dataset validates on its training image: nothing is held out then.
    held_out = len(validation_set) if validation_set is not None and len(dataset) > 1 else 0
    run_length = describe_run_length(len(train_set), held_out, config.steps, config.batch_size)
    schedule_note = _schedule_change(previous_steps, config, state.step)
    emit(TrainingProgress("started", state.step, config.steps,
                          message=f"{dataset.describe()}\n{run_length}{schedule_note}"))
    step_times: deque[float] = deque(maxlen=SPEED_WINDOW)
    last_loss: float | None = None
    last_saved = state.step
    micro = config.batch_size // (group.world_size * config.grad_accumulation)
    stopped = False

    while state.step < config.steps:
        if distributed.any_rank(control.pause_requested, group, device):
            if last_saved != state.step:
                save("pause")
                last_saved = state.step
            emit(TrainingProgress("paused", state.step, config.steps, loss=last_loss))
            control.wait_while_paused()
            emit(TrainingProgress("resumed", state.step, config.steps, loss=last_loss))
        if distributed.any_rank(control.stop_requested, group, device):
            stopped = True
            break

        started = time.perf_counter()
        generator = step_generator(config.seed, state.step, group.rank)
        indices = order.batch(state.step, config.batch_size, group.rank, group.world_size)
        images = _load_batch(train_set, indices, generator)
        batch = noised_batch(config.noise, schedule, spec.prediction, images, generator, spec.takes_noise_map)
        if spec.is_conditional:
            labels = dropped_labels(_labels(train_set, indices), len(spec.class_names), config.class_dropout, generator)
            batch = dataclasses.replace(batch, class_labels=labels)
        batch = batch.to(device)
        lr = _lr_at(config, state.step)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        total_loss = 0.0
        for k in range(config.grad_accumulation):
            part = batch.part(slice(k * micro, (k + 1) * micro))
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16):
                output = _run_network(forward, part, config.compile)
            loss = part.squared_error(output.float()) / config.grad_accumulation
            loss.backward()
            total_loss += loss.item()
        if not math.isfinite(total_loss):
            raise ConfigError(f"training diverged at step {state.step} (loss is {total_loss}); try a lower learning rate")
        torch.nn.utils.clip_grad_norm_(network.parameters(), config.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state.step += 1
        ema.update(network, state.step)
        state.images_seen += config.batch_size
        elapsed = time.perf_counter() - started
        state.elapsed_seconds += elapsed
        step_times.append(elapsed)
        last_loss = total_loss

        speed = len(step_times) * config.batch_size / sum(step_times)
        eta = (config.steps - state.step) * sum(step_times) / len(step_times)
        record = {"step": state.step, "loss": total_loss, "lr": lr, "images_per_second": speed}
        val_loss = None
        if validation_batch is not None and (state.step % config.validate_every == 0 or state.step == config.steps):
            ema_network.load_state_dict(ema.state_dict())
            val_loss = _validation_loss(ema_network, validation_batch, device)
            record["val_loss"] = val_loss
        if group.is_main:
            run.append_log(record)
        emit(TrainingProgress("step", state.step, config.steps, total_loss, val_loss, speed, eta, lr))
        if val_loss is not None:
            emit(TrainingProgress("validation", state.step, config.steps, total_loss, val_loss, speed, eta, lr))
        samples_requested = control.take_samples_request()
        if samples_requested or state.step % config.sample_every == 0 or state.step == config.steps:
            ema_network.load_state_dict(ema.state_dict())
            path = run.sample_path(state.step)
            if group.is_main:
                write_preview_grid(path, spec, ema_network, schedule, device, config.sample_count, train_set,
                                   state.step)
            emit(TrainingProgress("samples", state.step, config.steps, total_loss, path=path))
        if state.step % config.save_every == 0:
            save("interval")
            last_saved = state.step

    if last_saved != state.step:
        save("stop" if stopped else "end")
    in_sync = distributed.ranks_agree(network, group, device)
    model_dir = None
    if group.is_main and state.step > 0:
        model_dir = run.model_dir
        card = dict(spec.card) | {
            "training": {
                "steps": state.step, "images_seen": state.images_seen, "data": str(config.data),
                "preset": config.preset, "seconds": round(state.elapsed_seconds, 1),
            }
        }
        save_model_folder(model_dir, dataclasses.replace(spec, card=card), ema.state_dict())
    emit(TrainingProgress("stopped" if stopped else "finished", state.step, config.steps, loss=last_loss, path=model_dir))
    distributed.shutdown(group)
    return TrainingSummary(run.root, state.step, config.steps, stopped, model_dir, last_loss, in_sync)


def _load_latest(run: RunFolder, latest: Path, network: nn.Module, ema: EMA, optimizer) -> TrainingState:
    """The latest checkpoint; if it is damaged, the error says which earlier one the run could go on
    from (moving a file is the user's choice: the damaged one may be worth keeping)."""
    try:
        return load_checkpoint(latest, network, ema, optimizer)
    except ModelLoadError as error:
        earlier = [step for step, path in list_checkpoints(run.root) if path != latest]
        hint = f"; move it out of the way to continue from the checkpoint of step {earlier[-1]:,}" if earlier else ""
        raise ModelLoadError(f"{error}{hint}") from None


def _run_network(forward, batch: NoisedBatch, compiled: bool) -> torch.Tensor:
    """The training forward; with --compile, a compiler failure becomes one readable error (the
    torchdiffeq solver loop is hard for torch.compile, see docs/benchmarks.md's anchor)."""
    if not compiled:
        return _call(forward, batch)
    try:
        return _call(forward, batch)
    except Exception as error:  # noqa: BLE001 - any compiler failure, reported without a traceback
        raise ConfigError(f"torch.compile failed ({type(error).__name__}); train without --compile") from None


def _call(network, batch: NoisedBatch) -> torch.Tensor:
    classes = {} if batch.class_labels is None else {"class_labels": batch.class_labels}
    if batch.noise_map is None:
        return network(batch.x_t, batch.t, **classes)
    return network(batch.x_t, batch.t, batch.noise_map, **classes)


def _validation_batch(dataset, config: TrainingConfig, spec: ModelSpec) -> NoisedBatch:
    """A fixed noisy validation batch (same t and noise every time), so val loss is comparable; a
    class-conditional run validates the conditional prediction (every image with its label)."""
    count = min(len(dataset), config.validation_images)
    generator = torch.Generator().manual_seed(config.seed + 99_991)
    images = torch.stack([dataset.load(i, None) for i in range(count)])
    batch = noised_batch(config.noise, spec.build_schedule(), spec.prediction, images, generator, spec.takes_noise_map)
    return dataclasses.replace(batch, class_labels=_labels(dataset, range(count))) if spec.is_conditional else batch


@torch.no_grad()
def _validation_loss(network: nn.Module, batch: NoisedBatch, device: torch.device, chunk: int = 64) -> float:
    total = 0.0
    for start in range(0, len(batch.x_t), chunk):
        part = batch.part(slice(start, start + chunk)).to(device)
        total += part.squared_error(_call(network, part).float(), reduction="sum").item()
    return total / batch.target.numel()
