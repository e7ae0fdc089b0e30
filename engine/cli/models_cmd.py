"""`engine models` (what can be sampled, and the classes of class-conditional models) and `engine
info` (device, threads, versions)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
from pathlib import Path

import torch

from engine import __version__
from engine.checkpoints import ModelEntry, ModelStore, create_model_folder, load_model
from engine.cli.common import json_object_arg
from engine.errors import ConfigError
from engine.guidance import class_listing, class_share_listing, recommended_guidance_listing
from engine.device import available_devices


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list bundled and user models (with the classes of "
                                                  "class-conditional ones)")
    models.add_argument("--json", action="store_true")
    models.set_defaults(run=run_models)
    export = subparsers.add_parser("export", help="write a model (folder, run or checkpoint) as a model folder")
    export.add_argument("source", help="model name, model folder, run folder or checkpoint")
    export.add_argument("--out", type=Path, required=True, help="new model folder (must not exist)")
    export.add_argument("--half", action="store_true", help="store weights as fp16 (half the size)")
    export.add_argument("--card", default="{}", help="JSON fields merged into the model card")
    export.set_defaults(run=run_export)
    info = subparsers.add_parser("info", help="device, threads and versions")
    info.add_argument("--json", action="store_true")
    info.set_defaults(run=run_info)


def run_models(args: argparse.Namespace) -> int:
    entries = ModelStore().list()
    if args.json:
        print(json.dumps([
            {"name": e.name, "source": e.source, "path": str(e.path), "arch": e.spec.arch,
             "use": _use(e), "image_size": e.spec.image_size, "channels": e.spec.channels,
             "classes": list(e.spec.class_names), "class_shares": e.spec.class_shares(),
             "trained_solvers": [dataclasses.asdict(s) for s in e.spec.trained_solvers], "card": e.spec.card}
            for e in entries
        ], indent=2))
        return 0
    if not entries:
        print("no models installed")
    name_width = max([16, *(len(e.name) for e in entries)])
    for e in entries:
        description = e.spec.card.get("description", "")
        print(f"{e.name:<{name_width}} {e.source:<8} {e.spec.arch:<6} {_use(e):<9} "
              f"{e.spec.channels}x{e.spec.image_size}px  {description}")
        if e.spec.is_conditional:
            print(f"{'':<{name_width}} classes (engine sample --class): {class_listing(e.spec.class_names)}")
            print(f"{'':<{name_width}} recommended guidance (engine sample --guidance): "
                  f"{recommended_guidance_listing(e.spec)}")
            shares = class_share_listing(e.spec)
            if shares is not None:
                print(f"{'':<{name_width}} --class random draws them as often as its training data: {shares}")
        if e.spec.trained_solvers:
            print(f"{'':<{name_width}} trained for the solvers (engine sample --solver): "
                  f"{e.spec.trained_solvers_label()}")
    return 0


def _use(entry: ModelEntry) -> str:
    """generate: samples images and denoises; denoise: a denoising-only model (no pure noise)."""
    return "generate" if entry.spec.can_generate else "denoise"


def run_export(args: argparse.Namespace) -> int:
    if args.out.exists():  # before loading: a mistyped folder costs nothing
        raise ConfigError(f"{args.out} already exists; choose a new folder")
    card_changes = json_object_arg(args.card, "--card")
    model = load_model(ModelStore().resolve(args.source))
    spec = dataclasses.replace(model.spec, card=model.spec.card | card_changes)
    create_model_folder(args.out, spec, model.network.state_dict(), half=args.half)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {args.out} ({size / 1e6:.2f} MB)")
    return 0


def run_info(args: argparse.Namespace) -> int:
    import torchdiffeq

    info = {
        "cunet_studio": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchdiffeq": getattr(torchdiffeq, "__version__", "?"),
        "devices": available_devices(),
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            print(f"{key:<14} {value}")
    return 0
