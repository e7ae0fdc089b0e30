"""`engine train`: train a model on an image folder or .npz file, resumable, with a progress bar.
Ctrl-C (or SIGTERM, as `kill` sends) saves a checkpoint and exits cleanly; `--resume` continues from it."""

from __future__ import annotations

import argparse
import dataclasses
import math
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tqdm import tqdm

from engine.checkpoints import ModelStore
from engine.cli.common import json_object_arg
from engine.errors import ConfigError
from engine.models import PRESETS, SMALL_PRESETS
from engine.training import RESUMABLE_FIELDS, TrainingConfig, TrainingControl, TrainingProgress, train
from engine.training.config import NOISE_KINDS
from engine.training.solver_mix import RECOMMENDED_MIX

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # each stops a run after its step, with a checkpoint

# Options whose name is not their TrainingConfig field's.
_OPTION_NAMES = {"batch_size": "--batch", "image_size": "--size", "network_overrides": "--network",
                 "warmup_steps": "--warmup", "grad_accumulation": "--grad-accum", "ema_decay": "--ema",
                 "hflip": "--no-flip", "resize_short_side": "--native-crops", "cache_megabytes": "--cache-mb",
                 "validation_fraction": "--val-fraction", "keep_checkpoints": "--keep"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a model on your images (folder or .npz)")
    p.add_argument("--data", required=True, help="image folder (recursive) or .npz array file")
    p.add_argument("--out", required=True, type=Path, help="run folder (config, checkpoints, samples, log)")
    p.add_argument("--steps", type=int, required=True, help="train until this optimizer step")
    _setting(p, "batch_size", "images per optimizer step (all processes)", type=int)
    _setting(p, "image_size", "image size in pixels (square)", type=int)
    _setting(p, "channels", "1 (greyscale) or 3 (colour)", type=int, choices=(1, 3))
    p.add_argument("--arch", choices=list(SMALL_PRESETS), default=None,
                   help="network family, at its small preset (" + ", ".join(SMALL_PRESETS.values()) + ")")
    _setting(p, "preset", "network preset", choices=list(PRESETS))
    _setting(p, "network_overrides", 'JSON overrides of the preset config, e.g. \'{"base_channels": 12}\'')
    _setting(p, "lr", "peak learning rate", type=float)
    _setting(p, "lr_schedule", "learning-rate schedule", choices=("cosine", "constant"))
    _setting(p, "warmup_steps", "learning-rate warm-up steps", type=int)
    _setting(p, "grad_accumulation", "micro-batches per optimizer step", type=int)
    _setting(p, "ema_decay", "EMA decay", type=float)
    _setting(p, "schedule", "noise schedule", choices=("linear", "cosine", "sigmoid"))
    _setting(p, "max_step", "train only t <= this (denoising models)", type=int)
    _setting(p, "prediction", "what the network predicts", choices=("eps", "v"))
    _switch(p, "hflip", False, "disable random horizontal flips")
    _switch(p, "resize_short_side", False, "random crops at native resolution (no resize)")
    _setting(p, "max_downscale", "with --native-crops: also crop from the photos shrunk by up to this factor",
             type=float, metavar="FACTOR")
    _setting(p, "noise", "gaussian: the diffusion process; photo: camera, Gaussian and JPEG noise as photos carry it "
             "(the photo denoiser)", choices=NOISE_KINDS)
    _setting(p, "photo_gaussian_share", "with --noise photo: the share of noisy photos with white Gaussian noise "
             "(the rest camera noise)", type=float)
    _setting(p, "cache_megabytes", "megabytes of decoded images kept in memory", type=int)
    _setting(p, "validation_fraction", "share of the images held out for the validation loss", type=float)
    _setting(p, "save_every", "save a checkpoint every N steps", type=int)
    _setting(p, "sample_every", "draw a sample grid every N steps", type=int)
    _setting(p, "validate_every", "measure the validation loss every N steps", type=int)
    _setting(p, "keep_checkpoints", "checkpoints to keep", type=int)
    _switch(p, "bf16", True, "bfloat16 autocast")
    _switch(p, "compile", True, "torch.compile the network")
    _setting(p, "seed", "seed of the weights, the data order and the noise", type=int)
    _setting(p, "card", "JSON model-card fields (dataset, licence, description)")
    _switch(p, "classes", True, "class-conditional, on the data's labels (an .npz's labels/train_labels/categories "
            "array, or a folder's class subfolders): sampled with --class and --guidance")
    _setting(p, "class_dropout", "with --classes: share of labels replaced by 'no class', so one network is also "
             "unconditional, as guidance needs", type=float, metavar="P")
    _setting(p, "class_names", "with --classes: readable class names, comma-separated, in the order of the data's "
             "classes (sorted labels), e.g. \"T-shirt/top,Trouser,...\" for Fashion-MNIST's labels 0-9 (default: the "
             "labels themselves)", metavar="NAMES")
    _setting(p, "class_balance", "with --classes: draw each image with weight (its class's image count)^-B, so "
             "small classes are seen more often: 0 as the data holds them, 1 every class equally", type=float,
             metavar="B")
    _setting(p, "solver_mix", "cUNet: train for the speed/quality dial (engine sample --solver): each optimizer step "
             "runs the ODE blocks with a solver drawn from this mix, METHOD:STEPS[=WEIGHT], comma-separated, "
             f"e.g. {RECOMMENDED_MIX} (WEIGHT: relative, default 1; euler, midpoint, rk4; the network's own solver "
             "must be among them: it stays the one the model samples with and validates with)", metavar="MIX")
    _setting(p, "kinetic_weight", "cUNet: add this weight times the ODE blocks' kinetic energy (the integral of "
             "||f||^2 over depth-time, per element; Finlay et al. 2020) to the loss, for smoother flows that coarse "
             "solvers follow better", type=float, metavar="WEIGHT")
    _setting(p, "bend_weight", "cUNet: add this weight times the ODE blocks' bend (how far the vector field changes "
             "along a solve: ||f_k - f_1||^2 per element over its evaluations after the first) to the loss, so that "
             "Euler, midpoint and rk4 agree; needs a solver (or --solver-mix) with two or more evaluations per block, without the adjoint method",
             type=float, metavar="WEIGHT")
    _setting(p, "distil_mix", "cUNet: distil the network's own solver (the teacher) into cheaper or finer ones: each "
             "optimizer step also runs the ODE blocks with a student solver drawn from this mix (the --solver-mix "
             "syntax, e.g. euler:1) and pulls its output towards the teacher's on the same batch, held fixed (only the "
             "teacher fits the denoising target; with --solver-mix, the solver drawn for the step fits it)",
             metavar="MIX")
    _setting(p, "distil_weight", "with --distil-mix: the weight of the student's squared distance from the teacher",
             type=float, metavar="WEIGHT")
    _setting(p, "distil_teacher", "with --distil-mix: the teacher's solver, METHOD:STEPS (e.g. rk4:2, so that every "
             "coarser setting learns to approximate one fine solve of the flow); default: the network's own solver",
             metavar="SOLVER")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop after this much wall time, saving a checkpoint and the model folder as Ctrl-C does")
    p.add_argument("--stop-at", type=int, default=None, metavar="STEP",
                   help="stop (and save) at this step, keeping the learning-rate schedule of --steps: "
                        "reproduces a run that was cut short")
    p.add_argument("--init-from", metavar="MODEL", default=None,
                   help="start from this model's weights (fine-tune it); without --preset/--network, "
                        "its architecture is used; a cUNet may be given more fine blocks or wider levels "
                        "(whole multiples), which start out computing the model as it was")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its latest checkpoint, with its stored settings: "
                        + _resume_note())
    p.add_argument("--register", metavar="NAME", default=None, help="add the final model to your model store")
    # Always given, the default too: a resumed run runs on the device this command names, not its stored one.
    p.add_argument("--device", default=TrainingConfig.default("device"))
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(run=run)


def _option(field: str) -> str:
    """The option that sets TrainingConfig.`field`: --field-name, or its shorter name."""
    return _OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


def _setting(parser: argparse.ArgumentParser, field: str, help: str, **options) -> None:
    """An option for TrainingConfig.`field`, kept under the field's name; None where it is not
    given, so that a new run takes the engine's default (which the help shows) and a resumed run
    its own value."""
    default, option = TrainingConfig.default(field), _option(field)
    shown = f" (default {default})" if default not in (None, "", [], {}) else ""
    if "choices" not in options:
        options.setdefault("metavar", option[2:].upper().replace("-", "_"))
    parser.add_argument(option, dest=field, default=None, help=help + shown, **options)


def _switch(parser: argparse.ArgumentParser, field: str, value: bool, help: str) -> None:
    """A flag that sets the boolean TrainingConfig.`field` to `value` (None where it is not given)."""
    parser.add_argument(_option(field), dest=field, action="store_const", const=value, default=None, help=help)


def _resume_note() -> str:
    """What a resumed run may change, from the engine's list."""
    options = ", ".join(_option(field) for field in RESUMABLE_FIELDS)
    return f"only {options} and --threads may change, and --data only where the stored data has moved"


def _given_settings(args: argparse.Namespace, store: ModelStore) -> dict[str, Any]:
    """The TrainingConfig fields the command line sets: a field whose option is left out is not
    among them."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainingConfig)
             if getattr(args, f.name, None) is not None}
    # Paths are stored absolute so that --resume finds them from any working folder.
    given.update(data=str(Path(args.data).expanduser().resolve()), out=str(args.out))
    for field in ("network_overrides", "card"):
        if field in given:
            given[field] = json_object_arg(given[field], _option(field))
    if "class_names" in given:
        given["class_names"] = [name.strip() for name in given["class_names"].split(",")]
    if args.init_from is not None:
        if Path(args.init_from).expanduser().exists():
            given["init_from"] = store.reference(args.init_from)
        if "preset" not in given and "network_overrides" not in given:
            given["preset"], given["network_overrides"] = _architecture_of(args.init_from)
    if "preset" not in given and args.arch is not None:
        given["preset"] = SMALL_PRESETS[args.arch]
    return given


def _architecture_of(model: str) -> tuple[str, dict]:
    """(preset, overrides) that rebuild `model`'s network exactly: its whole config as overrides."""
    from engine.checkpoints import read_spec

    spec = read_spec(ModelStore().resolve(model))
    return ("cunet" if spec.arch == "cunet" else "unet"), dict(spec.network)


def _stop_after(seconds: float, control: TrainingControl) -> threading.Timer:
    """A time budget (e.g. a lent GPU's minutes): the trainer stops at the next step boundary."""
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError("--time-limit must be a positive, finite number of seconds")
    timer = threading.Timer(seconds, control.request_stop)
    timer.daemon = True
    timer.start()
    return timer


def run(args: argparse.Namespace) -> int:
    from engine.device import set_threads

    set_threads(args.threads)
    store = ModelStore()
    if args.register:
        store.check_new_name(args.register)  # before hours of training, not after them
    given = _given_settings(args, store)
    if args.resume:
        print(f"--resume continues with the run's stored settings; {_resume_note()}", file=sys.stderr)
        # An option left out keeps the run's value; train() refuses a change a resume does not allow.
        config = TrainingConfig.load(args.out.expanduser()).with_changes(**given)
    else:
        config = TrainingConfig(**given)
    control = TrainingControl()
    deadline = _stop_after(args.time_limit, control) if args.time_limit is not None else None
    # Ctrl-C, and the SIGTERM that `kill`, a shutdown or a job scheduler sends, stop after the step
    # with a checkpoint; a second signal quits at once, without saving.
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}

    def on_stop_signal(number: int, _frame) -> None:
        control.request_stop()
        for other, handler in previous.items():
            signal.signal(other, handler)
        name = "Ctrl-C" if number == signal.SIGINT else signal.Signals(number).name
        print(f"\n{name}: stopping after this step, with a checkpoint (Ctrl-C again quits without saving)",
              file=sys.stderr)

    for number in STOP_SIGNALS:
        signal.signal(number, on_stop_signal)
    bar = tqdm(total=args.steps, unit="step", dynamic_ncols=True, disable=True)  # replaced once data is open

    def on_progress(event: TrainingProgress) -> None:
        nonlocal bar
        if event.event in ("started", "step") and args.stop_at is not None and event.step >= args.stop_at:
            control.request_stop()  # checked before each step: a run resumed at --stop-at takes none
        if event.event == "started":
            bar = tqdm(total=event.total_steps, initial=event.step, unit="step", dynamic_ncols=True)
            bar.write(event.message)
        elif event.event == "step":
            bar.update(event.step - bar.n)
            postfix = {"loss": f"{event.loss:.4f}", "img/s": f"{event.images_per_second:.0f}"}
            if event.val_loss is not None:
                postfix["val"] = f"{event.val_loss:.4f}"
            bar.set_postfix(postfix, refresh=False)
        elif event.event == "checkpoint" and event.message == "stop":
            bar.write(f"stopped: checkpoint saved at step {event.step} ({event.path})")

    try:
        summary = train(config, resume=args.resume, progress=on_progress, control=control)
    finally:
        bar.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
        if deadline is not None:
            deadline.cancel()
    if not summary.began:
        print("stopped before the first step; nothing was written")
        return 0
    state = "stopped" if summary.stopped else "finished"
    print(f"{state} at step {summary.step}/{summary.total_steps}; run folder {summary.run_dir}")
    if args.register and (summary.stopped or summary.model_dir is None):
        print(f"not registered as {args.register!r}: the run stopped before its last step (continue it with "
              "--resume and --register)")
    elif args.register:
        path = store.register(summary.model_dir, args.register)
        print(f"registered as {args.register!r} ({path})")
    if not summary.ranks_in_sync:
        print("error: distributed ranks ended with different weights")
        return 1
    return 0
