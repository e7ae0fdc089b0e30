"""`engine train`: train a model on an image folder or .npz file, resumable, with a progress bar.
Ctrl-C saves a checkpoint and exits cleanly; `--resume` continues from it."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from engine.checkpoints import ModelStore
from engine.cli.common import json_object_arg
from engine.models import PRESETS
from engine.errors import ConfigError
from engine.training import DEFAULT_KEEP_CHECKPOINTS, TrainingConfig, TrainingControl, TrainingProgress, train
from engine.training.config import NOISE_KINDS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a model on your images (folder or .npz)")
    p.add_argument("--data", required=True, help="image folder (recursive) or .npz array file")
    p.add_argument("--out", required=True, type=Path, help="run folder (config, checkpoints, samples, log)")
    p.add_argument("--steps", type=int, required=True, help="train until this optimizer step")
    p.add_argument("--batch", type=int, default=32, help="images per optimizer step (all processes)")
    p.add_argument("--size", type=int, default=32, help="image size in pixels (square)")
    p.add_argument("--channels", type=int, choices=(1, 3), default=3)
    p.add_argument("--arch", choices=("cunet", "unet"), default="cunet", help="network family")
    p.add_argument("--preset", choices=list(PRESETS), default=None,
                   help="network preset (default: cunet-small for --arch cunet, unet-small for unet)")
    p.add_argument("--network", default="{}", help='JSON overrides of the preset config, e.g. \'{"base_channels": 12}\'')
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--lr-schedule", choices=("cosine", "constant"), default="cosine")
    p.add_argument("--warmup", type=int, default=200, help="learning-rate warm-up steps")
    p.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimizer step")
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay")
    p.add_argument("--schedule", choices=("linear", "cosine", "sigmoid"), default="cosine")
    p.add_argument("--max-step", type=int, default=None, help="train only t <= this (denoising models)")
    p.add_argument("--prediction", choices=("eps", "v"), default="eps")
    p.add_argument("--no-flip", action="store_true", help="disable random horizontal flips")
    p.add_argument("--native-crops", action="store_true", help="random crops at native resolution (no resize)")
    p.add_argument("--max-downscale", type=float, default=1.0, metavar="FACTOR",
                   help="with --native-crops: also crop from the photos shrunk by up to this factor")
    p.add_argument("--noise", choices=NOISE_KINDS, default="gaussian",
                   help="gaussian: the diffusion process; photo: camera, Gaussian and JPEG noise as photos carry "
                        "it (the photo denoiser)")
    p.add_argument("--cache-mb", type=int, default=1024, help="megabytes of decoded images kept in memory")
    p.add_argument("--val-fraction", type=float, default=0.05)
    p.add_argument("--save-every", type=int, default=500)
    p.add_argument("--sample-every", type=int, default=500)
    p.add_argument("--validate-every", type=int, default=250)
    p.add_argument("--keep", type=int, default=None,
                   help="checkpoints to keep (default 3; a resumed run keeps its own number unless given)")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast")
    p.add_argument("--compile", action="store_true", help="torch.compile the network")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--card", default="{}", help="JSON model-card fields (dataset, licence, description)")
    p.add_argument("--classes", action="store_true",
                   help="class-conditional, on the data's labels (an .npz's labels/train_labels/categories array, "
                        "or a folder's class subfolders): sampled with --class and --guidance")
    p.add_argument("--class-dropout", type=float, default=0.1, metavar="P",
                   help="with --classes: share of labels replaced by 'no class', so one network is also "
                        "unconditional, as guidance needs (default 0.1)")
    p.add_argument("--class-names", default=None, metavar="NAMES",
                   help="with --classes: readable class names, comma-separated, in the order of the data's "
                        "classes (sorted labels), e.g. \"T-shirt/top,Trouser,...\" for Fashion-MNIST's labels 0-9 "
                        "(default: the labels themselves)")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop after this much wall time, saving a checkpoint and the model folder as Ctrl-C does")
    p.add_argument("--stop-at", type=int, default=None, metavar="STEP",
                   help="stop (and save) at this step, keeping the learning-rate schedule of --steps: "
                        "reproduces a run that was cut short")
    p.add_argument("--init-from", metavar="MODEL", default=None,
                   help="start from this model's weights (fine-tune it); without --preset/--network, "
                        "its architecture is used")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    p.add_argument("--register", metavar="NAME", default=None, help="add the final model to your model store")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(run=run)


def _architecture_of(model: str) -> tuple[str, dict]:
    """(preset, overrides) that rebuild `model`'s network exactly: its whole config as overrides."""
    from engine.checkpoints import read_spec

    spec = read_spec(ModelStore().resolve(model))
    return ("cunet" if spec.arch == "cunet" else "unet"), dict(spec.network)


def _class_names(text: str | None) -> list[str]:
    """--class-names "a, b,c" -> ["a", "b", "c"]."""
    return [] if text is None else [name.strip() for name in text.split(",")]


def _checkpoints_to_keep(args: argparse.Namespace) -> int:
    """--keep, else the resumed run's own number (a default would prune the checkpoints it keeps)."""
    if args.keep is not None:
        return args.keep
    if args.resume:
        try:
            return TrainingConfig.load(args.out.expanduser()).keep_checkpoints
        except ConfigError:
            pass  # no run there: train() says so
    return DEFAULT_KEEP_CHECKPOINTS


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
    if args.resume:
        print("--resume continues with the run's stored settings; of the options given, only --steps, --keep, "
              "--device, --threads and the --save-every/--sample-every/--validate-every intervals apply, and --data "
              "only where the stored data has moved", file=sys.stderr)
    preset, overrides = args.preset, json_object_arg(args.network, "--network")
    if args.init_from and preset is None and not overrides:
        preset, overrides = _architecture_of(args.init_from)
    preset = preset or ("cunet-small" if args.arch == "cunet" else "unet-small")
    # Paths are stored absolute so that --resume finds them from any working folder.
    init_from = args.init_from
    if init_from is not None and Path(init_from).expanduser().exists():
        init_from = store.reference(init_from)
    config = TrainingConfig(
        data=str(Path(args.data).expanduser().resolve()), out=str(args.out), preset=preset, network_overrides=overrides,
        image_size=args.size, channels=args.channels, steps=args.steps, batch_size=args.batch,
        grad_accumulation=args.grad_accum, lr=args.lr, lr_schedule=args.lr_schedule, warmup_steps=args.warmup,
        ema_decay=args.ema, schedule=args.schedule, max_step=args.max_step, prediction=args.prediction,
        hflip=not args.no_flip, resize_short_side=not args.native_crops, validation_fraction=args.val_fraction,
        noise=args.noise, max_downscale=args.max_downscale, cache_megabytes=args.cache_mb,
        save_every=args.save_every, sample_every=args.sample_every, validate_every=args.validate_every,
        keep_checkpoints=_checkpoints_to_keep(args), bf16=args.bf16, compile=args.compile, seed=args.seed, device=args.device,
        card=json_object_arg(args.card, "--card"), init_from=init_from, classes=args.classes,
        class_dropout=args.class_dropout, class_names=_class_names(args.class_names),
    )
    control = TrainingControl()
    deadline = _stop_after(args.time_limit, control) if args.time_limit is not None else None
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(*_) -> None:
        control.request_stop()
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C quits at once, without saving
        print("\nstopping after this step, with a checkpoint (Ctrl-C again quits without saving)", file=sys.stderr)

    signal.signal(signal.SIGINT, on_interrupt)
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
        signal.signal(signal.SIGINT, previous)
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
