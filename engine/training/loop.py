"""`train()`: a training run, opened (training_run.py) and stepped to its step target.

Per optimizer step: load the step's batch (deterministic, see batches.py), draw t and noise from
the step's generator (and, with a solver mix, the step's ODE solver: solver_mix.py), regress the
network output onto the eps/v target (plus, with --kinetic-weight and --bend-weight, the weighted
kinetic energy and bend of the ODE blocks, and with --distil-mix the weighted distance of a student
solver's output from the network's own, each logged on its own), clip, AdamW, EMA. Around it:
validation loss of the EMA weights on a fixed noisy batch, a fixed-seed sample grid, atomic
checkpoints, and a JSONL log. Stop and pause always save a checkpoint first. Validation and
sample grids use the network's own solver (what the model samples with), so that a solver mix
leaves the validation curve comparable.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.checkpoints import save_model_folder
from engine.checkpoints.model_files import checkpoint_path
from engine.device import resolve_device
from engine.errors import ConfigError
from engine.models import FlowPenalties
from engine.training import distributed
from engine.training.batches import step_generator
from engine.training.class_labels import dropped_labels, image_labels
from engine.training.config import TrainingConfig
from engine.training.control import ProgressCallback, TrainingControl, TrainingProgress
from engine.training.noised_batch import NoisedBatch, noised_batch
from engine.training.preview_grid import write_preview_grid
from engine.training.run_length import describe_run_length
from engine.training.state import save_checkpoint
from engine.training.training_run import TrainingRun, open_run, resolve_run

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


def train(
    config: TrainingConfig,
    *,
    resume: bool = False,
    progress: ProgressCallback | None = None,
    control: TrainingControl | None = None,
) -> TrainingSummary:
    """Train the run `config` describes (or continue it: `resume`) until its step target or a stop;
    `progress` hears every event (on the main process only), `control` pauses and stops it."""
    control = control or TrainingControl()
    device = resolve_device(config.device)
    group = distributed.init_from_environment(device)
    if group.active and device.type == "cuda":
        device = torch.device("cuda", group.local_rank)
    config, folder, previous_steps = resolve_run(config, resume, group.is_main)
    run = open_run(config, folder, resume, device, group, control)
    if run is None:
        distributed.shutdown(group)
        return TrainingSummary(folder.root, 0, config.steps, True, None, None, began=False)

    def emit(event: TrainingProgress) -> None:
        if progress is not None and group.is_main:
            progress(event)

    emit(TrainingProgress("started", run.state.step, config.steps, message=_started_message(run, previous_steps)))
    stopped, last_loss = _train_steps(run, control, emit)
    return _finish(run, stopped, last_loss, emit)


def _started_message(run: TrainingRun, previous_steps: int) -> str:
    """The data, how long the run is in passes over it, and what a new step target does to a
    resumed learning-rate schedule."""
    data, config = run.data, run.config
    run_length = describe_run_length(len(data.train_set), data.held_out, config.steps, config.batch_size)
    return f"{data.images.describe()}\n{run_length}{_schedule_change(previous_steps, config, run.state.step)}"


def _train_steps(run: TrainingRun, control: TrainingControl, emit: ProgressCallback) -> tuple[bool, float | None]:
    """Optimizer steps up to the step target, or until a stop; a pause and a stop save a checkpoint
    first, as does the end. Returns (stopped, the last step's loss)."""
    config, state = run.config, run.state
    step_times: deque[float] = deque(maxlen=SPEED_WINDOW)
    last_loss: float | None = None
    last_saved = state.step
    stopped = False
    while state.step < config.steps:
        if distributed.any_rank(control.pause_requested, run.group, run.device):
            if last_saved != state.step:
                last_saved = _save(run, "pause", emit)
            emit(TrainingProgress("paused", state.step, config.steps, loss=last_loss))
            control.wait_while_paused()
            emit(TrainingProgress("resumed", state.step, config.steps, loss=last_loss))
        if distributed.any_rank(control.stop_requested, run.group, run.device):
            stopped = True
            break
        started = time.perf_counter()
        losses, lr = _optimizer_step(run)
        last_loss = losses.loss
        elapsed = time.perf_counter() - started
        state.elapsed_seconds += elapsed
        step_times.append(elapsed)
        _report_step(run, losses, lr, step_times, control, emit)
        if state.step % config.save_every == 0:
            last_saved = _save(run, "interval", emit)
    if last_saved != state.step:
        _save(run, "stop" if stopped else "end", emit)
    return stopped, last_loss


def _step_batch(run: TrainingRun) -> NoisedBatch:
    """This process's share of the step's batch, noised, on the device: everything random in it is
    drawn from the step's generator, so a resumed run draws the same."""
    config, state, group, spec = run.config, run.state, run.group, run.spec
    generator = step_generator(config.seed, state.step, group.rank)
    indices = run.data.order.batch(state.step, config.batch_size, group.rank, group.world_size)
    images = torch.stack([run.data.train_set.load(i, generator) for i in indices])
    batch = noised_batch(config.noise, run.schedule, spec.prediction, images, generator, spec.takes_noise_map,
                         config.photo_gaussian_share)
    if spec.is_conditional:
        labels = image_labels(run.data.train_set, indices)
        batch = dataclasses.replace(batch, class_labels=dropped_labels(labels, len(spec.class_names),
                                                                       config.class_dropout, generator))
    return batch.to(run.device)


@dataclass(frozen=True)
class StepLosses:
    """What an optimizer step measured: the denoising loss (what the validation loss measures) and,
    with --kinetic-weight or --bend-weight, the ODE blocks' mean kinetic energy and bend
    (`FlowPenalties`; their weights not applied)."""

    loss: float
    kinetic_energy: float | None = None
    bend: float | None = None
    distil: float | None = None  # with --distil-mix: the student's squared distance from the teacher (unweighted)


def _flow_penalised(config: TrainingConfig) -> bool:
    """Whether steps measure the ODE blocks' flows (a regulariser weighs them)."""
    return bool(config.kinetic_weight or config.bend_weight)


def _optimizer_step(run: TrainingRun) -> tuple[StepLosses, float]:
    """One optimizer step (over `grad_accumulation` micro-batches) and the EMA update; advances the
    run's state. Returns (its losses, learning rate)."""
    config, state, model = run.config, run.state, run.model
    batch = _step_batch(run)
    lr = _lr_at(config, state.step)
    for param_group in model.optimizer.param_groups:
        param_group["lr"] = lr
    micro = config.batch_size // (run.group.world_size * config.grad_accumulation)
    # One solver for all micro-batches: they split one batch.
    solver = {"solver": run.solver_mix.drawn(config.seed, state.step)} if run.solver_mix else {}
    student = {"solver": run.distil_mix.drawn(config.seed, state.step, "distil")} if run.distil_mix else None
    totals = torch.zeros(4, dtype=torch.float64)  # loss, kinetic energy, bend, distillation
    weights = torch.tensor([1.0, config.kinetic_weight, config.bend_weight, config.distil_weight])
    for k in range(config.grad_accumulation):
        loss, penalties, distil = _micro_batch_losses(run, batch.part(slice(k * micro, (k + 1) * micro)), solver, student)
        energy, bend = (penalties.mean(), penalties.mean_bend()) if penalties is not None else (torch.zeros(()), torch.zeros(()))
        parts = torch.stack([loss, energy.float(), bend.float(), distil]) / config.grad_accumulation
        (parts * weights).sum().backward()
        totals += parts.detach().double()
    total_loss, total_energy, total_bend, total_distil = totals.tolist()
    if not math.isfinite(total_loss + total_energy + total_bend + total_distil):
        raise ConfigError(f"training diverged at step {state.step} (loss is {total_loss}); try a lower learning rate")
    torch.nn.utils.clip_grad_norm_(model.network.parameters(), config.grad_clip)
    model.optimizer.step()
    model.optimizer.zero_grad(set_to_none=True)
    state.step += 1
    model.ema.update(model.network, state.step)
    state.images_seen += config.batch_size
    flows = (total_energy, total_bend) if _flow_penalised(config) else (None, None)
    return StepLosses(total_loss, *flows, total_distil if run.distil_mix else None), lr


def _micro_batch_losses(run: TrainingRun, part: NoisedBatch, options: dict[str, Any],
                        student: dict[str, Any] | None) -> tuple[torch.Tensor, FlowPenalties | None, torch.Tensor]:
    """The denoising loss of one micro-batch, with a flow regulariser what its ODE blocks measured
    of their flows (the network called with `options`: a cUNet's solver), and the distillation
    loss: the mean squared distance of the network's output with the `student` options from the
    teacher's (the network's own solver's unless --distil-teacher names another), held fixed (0
    without a student)."""
    penalties = FlowPenalties() if _flow_penalised(run.config) else None
    with torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=run.config.bf16):
        output = _run_network(run.model.forward, part, run.config.compile,
                              options | ({"penalties": penalties} if penalties is not None else {}))
        distil = torch.zeros(()) if student is None else \
            (_student_output(run, part, options, student, output).float()
             - _teacher_output(run, part, options, output).float()).square().mean()
    return part.squared_error(output.float()), penalties, distil


def _drawn_solver(run: TrainingRun, options: dict[str, Any]) -> Any:
    """The solver a step's denoising forward ran with: the solver mix's draw, else the network's own."""
    return options.get("solver", run.spec.trained_solver)


def _student_output(run: TrainingRun, part: NoisedBatch, options: dict[str, Any], student: dict[str, Any],
                    output: torch.Tensor) -> torch.Tensor:
    """The student solver's output on `part`, with its graph: `output` itself when a solver mix drew
    the student's solver for the step's denoising forward (the same function of the weights, so the
    same gradient, without a second forward and backward), else one more forward."""
    if student["solver"] == _drawn_solver(run, options):
        return output
    return _run_network(run.model.forward, part, run.config.compile, student)


def _teacher_output(run: TrainingRun, part: NoisedBatch, options: dict[str, Any], output: torch.Tensor) -> torch.Tensor:
    """What the teacher's solver outputs on `part`, held fixed: `output` itself when the step ran
    with it; otherwise one more forward without a graph."""
    if _drawn_solver(run, options) == run.distil_teacher:
        return output.detach()
    with torch.no_grad():
        return _run_network(run.model.forward, part, run.config.compile, {"solver": run.distil_teacher})


def _report_step(run: TrainingRun, losses: StepLosses, lr: float, step_times: deque[float],
                 control: TrainingControl, emit: ProgressCallback) -> None:
    """After a step: its log line and progress event, the validation loss and a sample grid when due."""
    config, state, model, loss = run.config, run.state, run.model, losses.loss
    speed = len(step_times) * config.batch_size / sum(step_times)
    eta = (config.steps - state.step) * sum(step_times) / len(step_times)
    record = {"step": state.step, "loss": loss, "lr": lr, "images_per_second": speed}
    if losses.kinetic_energy is not None:
        record |= {"kinetic_energy": losses.kinetic_energy, "bend": losses.bend}
    if losses.distil is not None:
        record["distil"] = losses.distil
    val_loss = None
    if run.data.validation_batch is not None and (state.step % config.validate_every == 0 or state.step == config.steps):
        val_loss = _validation_loss(model.averaged(), run.data.validation_batch, run.device)
        record["val_loss"] = val_loss
    if run.group.is_main:
        run.folder.append_log(record)
    emit(TrainingProgress("step", state.step, config.steps, loss, val_loss, speed, eta, lr))
    if val_loss is not None:
        emit(TrainingProgress("validation", state.step, config.steps, loss, val_loss, speed, eta, lr))
    samples_requested = control.take_samples_request()
    if samples_requested or state.step % config.sample_every == 0 or state.step == config.steps:
        network = model.averaged()
        path = run.folder.sample_path(state.step)
        if run.group.is_main:
            write_preview_grid(path, run.spec, network, run.schedule, run.device, config.sample_count,
                               run.data.train_set, state.step)
        emit(TrainingProgress("samples", state.step, config.steps, loss, path=path))


def _save(run: TrainingRun, reason: str, emit: ProgressCallback) -> int:
    """A checkpoint of the run where it stands (the main process writes it); returns its step."""
    path = checkpoint_path(run.folder.root, run.state.step)
    if run.group.is_main:
        save_checkpoint(path, run.spec, run.model.network, run.model.ema, run.model.optimizer, run.state)
        run.folder.prune_checkpoints(run.config.keep_checkpoints)
    emit(TrainingProgress("checkpoint", run.state.step, run.config.steps, path=path, message=reason))
    return run.state.step


def _finish(run: TrainingRun, stopped: bool, last_loss: float | None, emit: ProgressCallback) -> TrainingSummary:
    """The model folder (the EMA weights, with what trained them in its card), the last event, and
    the summary."""
    config, state = run.config, run.state
    in_sync = distributed.ranks_agree(run.model.network, run.group, run.device)
    model_dir = None
    if run.group.is_main and state.step > 0:
        model_dir = run.folder.model_dir
        # A fine-tune's network is its starting model's, whatever --preset says: name that model.
        network = {"init_from": config.init_from} if config.init_from else {"preset": config.preset}
        card = dict(run.spec.card) | {
            "training": {
                "steps": state.step, "images_seen": state.images_seen, "data": str(config.data),
                **network, "seconds": round(state.elapsed_seconds, 1),
            } | ({"kinetic_weight": config.kinetic_weight} if config.kinetic_weight else {})
            | ({"bend_weight": config.bend_weight} if config.bend_weight else {})
            | ({"distil_mix": config.distil_mix, "distil_weight": config.distil_weight} if config.distil_mix else {})
            | ({"distil_teacher": config.distil_teacher} if config.distil_teacher else {})
            | ({"class_balance": config.class_balance} if config.class_balance else {})
        }
        save_model_folder(model_dir, dataclasses.replace(run.spec, card=card), run.model.ema.state_dict())
    emit(TrainingProgress("stopped" if stopped else "finished", state.step, config.steps, loss=last_loss, path=model_dir))
    distributed.shutdown(run.group)
    return TrainingSummary(run.folder.root, state.step, config.steps, stopped, model_dir, last_loss, in_sync)


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


def _run_network(forward, batch: NoisedBatch, compiled: bool, options: dict[str, Any]) -> torch.Tensor:
    """The training forward; with --compile, a compiler failure becomes one readable error (the
    torchdiffeq solver loop is hard for torch.compile, see docs/benchmarks.md's anchor)."""
    if not compiled:
        return _call(forward, batch, **options)
    try:
        return _call(forward, batch, **options)
    except Exception as error:  # noqa: BLE001 - any compiler failure, reported without a traceback
        raise ConfigError(f"torch.compile failed ({type(error).__name__}); train without --compile") from None


def _call(network, batch: NoisedBatch, **options: Any) -> torch.Tensor:
    """The network on `batch`, with the keyword arguments `options` (a cUNet's solver, ...)."""
    if batch.class_labels is not None:
        options["class_labels"] = batch.class_labels
    if batch.noise_map is None:
        return network(batch.x_t, batch.t, **options)
    return network(batch.x_t, batch.t, batch.noise_map, **options)


@torch.no_grad()
def _validation_loss(network: nn.Module, batch: NoisedBatch, device: torch.device, chunk: int = 64) -> float:
    total = 0.0
    for start in range(0, len(batch.x_t), chunk):
        part = batch.part(slice(start, start + chunk)).to(device)
        total += part.squared_error(_call(network, part).float(), reduction="sum").item()
    return total / batch.target.numel()
