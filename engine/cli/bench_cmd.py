"""`engine bench`: parameters, MACs and interleaved forward latency of cUNet presets vs the U-Net;
`engine bench denoise`: photo-denoising quality (PSNR, SSIM, seconds per megapixel) of the
diffusion model against classical denoisers on the held-out photos, under the noise conditions of
the input kinds asked for."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from engine.bench.denoise_methods import METHOD_NAMES, MODEL_METHOD_NAMES
from engine.bench.denoise_quality import (
    MIN_CROP,
    PHOTOS_ENV,
    DenoiseBenchConfig,
    bench_photos_dir,
    default_split_file,
    photo_split,
    run_denoise_benchmark,
)
from engine.bench.denoise_report import DenoiseBenchReport, check_comparable, markdown_table, merge_reports
from engine.bench.network_cost import measure_networks
from engine.bench.noise_conditions import INPUT_KINDS, ordered_kinds
from engine.cli.common import DEFAULT_DENOISER, add_device_arguments, open_denoiser
from engine.device import resolve_device, set_threads
from engine.errors import ConfigError

DEFAULT_MODELS = ["cunet-paper", "cunet", "unet"]
DEFAULT_SIGMAS = "15,25,50"
DEFAULT_INPUTS = "gaussian"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="parameters, MACs and latency of the networks (interleaved runs)")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--channels", type=int, choices=(1, 3), default=3)
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated presets")
    p.add_argument("--rounds", type=int, default=10, help="timed calls per model")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--train", action="store_true", help="time training steps (fwd+bwd+AdamW) instead of forwards")
    p.add_argument("--bf16", action="store_true",
                   help="also time each network under bfloat16 autocast (listed as PRESET bf16), in the same rotation")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(run=run)
    register_denoise(p.add_subparsers(title="other benchmarks", dest="benchmark", metavar="{denoise}"))


def run(args: argparse.Namespace) -> int:
    threads = set_threads(args.threads)
    device = resolve_device(args.device)
    presets = [m.strip() for m in args.models.split(",") if m.strip()]
    if not presets:
        raise ConfigError("--models names no network: give presets such as cunet,unet")
    if args.rounds < 1 or args.warmup < 0:
        raise ConfigError("--rounds must be at least 1 and --warmup at least 0")
    if args.size < 4:  # the networks halve the image at every level
        raise ConfigError("--size must be at least 4 pixels")
    if args.batch < 1:
        raise ConfigError("--batch must be at least 1")
    results = measure_networks(presets, args.size, args.batch, args.channels, str(device), args.rounds, args.warmup,
                               training=args.train, bf16=args.bf16)
    reference = next((r for r in results if r.name == "unet"), None)
    if args.json:
        print(json.dumps({
            "size": args.size, "batch": args.batch, "device": device.type, "threads": threads,
            "mode": "train" if args.train else "forward",
            "results": [
                {"model": r.name, "params": r.params, "trainable_params": r.trainable_params, "macs": r.macs,
                 "latency_ms": round(r.latency_ms, 3), "latency_iqr_ms": [round(v, 3) for v in r.latency_iqr_ms],
                 "runs": r.runs}
                for r in results
            ],
        }))
        return 0
    mode = "training step" if args.train else "forward"
    print(f"{mode}, {args.channels}x{args.size}x{args.size}, batch {args.batch}, {device.type}, {threads} threads, "
          f"{args.rounds} interleaved rounds, medians")
    header = f"{'model':<19}{'params':>13}{'MACs':>16}{'ms':>10}{'img/s':>8}"
    if reference:
        header += f"{'params/U':>10}{'MACs/U':>8}{'time/U':>8}"
    print(header)
    for r in results:
        line = f"{r.name:<19}{r.params:>13,}{r.macs:>16,}{r.latency_ms:>10.1f}{1000 * args.batch / r.latency_ms:>8.1f}"
        if reference:
            line += (f"{r.params / reference.params:>10.3f}{r.macs / reference.macs:>8.3f}"
                     f"{r.latency_ms / reference.latency_ms:>8.3f}")
        print(line)
    return 0


def register_denoise(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "denoise", help="photo-denoising PSNR/SSIM vs classical methods on the held-out photos",
        description="PSNR, SSIM and seconds per megapixel of the diffusion model (told the true noise level, "
                    "and estimating it) and of classical denoisers, on held-out photos with synthetic noise "
                    "(fixed seeds): white Gaussian noise as the literature adds it, and as files store it, and "
                    "simulated camera noise stored as PNG and JPEG (--inputs; docs/benchmarks.md). Classical "
                    "methods need the bench extra: pip install -e .[bench]",
    )
    p.add_argument("--model", default=DEFAULT_DENOISER,
                   help="model name (see `engine models`), model/run folder or checkpoint")
    p.add_argument("--photos", type=Path, default=None,
                   help=f"photo folder (default: ${PHOTOS_ENV}, else ../shared/data/photos beside the repository)")
    p.add_argument("--split", type=Path, default=default_split_file(),
                   help="JSON file whose \"held_out\" list names the photos to score; the others tune parameters")
    p.add_argument("--inputs", default=DEFAULT_INPUTS,
                   help=f"input kinds, comma-separated subset of {', '.join(INPUT_KINDS)}: one results table each "
                        f"(default: {DEFAULT_INPUTS}, the literature's unclipped float noise)")
    p.add_argument("--sigmas", default=DEFAULT_SIGMAS,
                   help="Gaussian noise stds, 0-255 units, comma-separated (the gaussian and gaussian-8bit inputs)")
    p.add_argument("--methods", default=",".join(METHOD_NAMES), help=f"comma-separated subset of {', '.join(METHOD_NAMES)}")
    p.add_argument("--strength", type=float, default=0.0, help="the model's strength (0 = one-step MMSE estimate)")
    p.add_argument("--steps", type=int, default=10, help="the model's DDIM steps at strength 1")
    p.add_argument("--max-photos", type=int, default=None, help="score only the first N held-out photos")
    p.add_argument("--crop", type=int, default=None, help="center-crop photos to N x N pixels (default: full size)")
    p.add_argument("--seed", type=int, default=0, help="noise seed")
    p.add_argument("--tune-photos", type=int, default=8,
                   help="training photos that tune TV's weight, and the σ of methods that take one on camera noise")
    p.add_argument("--tune-crop", type=int, default=256, help="center crop of those photos")
    p.add_argument("--merge", type=Path, nargs="+", default=[], metavar="JSON",
                   help="add saved results (--json files of runs with the same photos, --crop and --seed) to this "
                        "run's, e.g. measure only the model and get the table with the classical methods")
    p.add_argument("--json", type=Path, default=None,
                   help="write all results (per photo, per noise condition) to this file")
    p.add_argument("--markdown", type=Path, default=None, help="write the results table to this file")
    add_device_arguments(p)
    p.set_defaults(run=run_denoise)


def run_denoise(args: argparse.Namespace) -> int:
    config = _denoise_config(args)
    saved = [DenoiseBenchReport.read_json(path) for path in args.merge]
    for report in saved:
        check_comparable(report.settings, config.settings())
    model = None
    if any(m in MODEL_METHOD_NAMES for m in config.methods):
        model = open_denoiser(args)  # also sets --threads
    else:
        set_threads(args.threads)
    with tqdm(total=len(config.held_out) * len(config.conditions) * len(config.methods), unit="run",
              file=sys.stderr, leave=False) as bar:

        def on_progress(label: str) -> None:
            bar.set_description(label)
            bar.update()

        report = merge_reports([*saved, run_denoise_benchmark(config, model, on_progress)])
    table = markdown_table(report)
    if args.json is not None:
        report.write_json(args.json)
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table, "utf-8")
    print(table, end="")
    failed = [s.photo for s in report.sanity if not s.passed]
    if failed:
        print(f"sanity check failed (clean photo changed by the model) on: {', '.join(failed)}", file=sys.stderr)
    return 0


def _denoise_config(args: argparse.Namespace) -> DenoiseBenchConfig:
    """The run `args` ask for, checked; the held-out list comes from --split."""
    methods = _names(args.methods, "method")
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if unknown:
        raise ConfigError(f"unknown method {unknown[0]!r}; choose from {', '.join(METHOD_NAMES)}")
    try:
        sigmas = [float(s) for s in _names(args.sigmas, "sigma")]
    except ValueError:
        raise ConfigError(f"--sigmas must be numbers separated by commas, got {args.sigmas!r}") from None
    if any(not 0 < s <= 255 for s in sigmas):
        raise ConfigError("noise sigmas must be > 0 and <= 255 (0-255 units)")
    kinds = ordered_kinds(_names(args.inputs, "input kind"))
    for name, least in (("max_photos", 1), ("tune_photos", 1), ("crop", MIN_CROP), ("tune_crop", MIN_CROP)):
        if getattr(args, name) is not None and getattr(args, name) < least:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least {least}")
    photos_dir = bench_photos_dir(args.photos)
    held_out, training = photo_split(photos_dir, args.split)
    return DenoiseBenchConfig(
        photos_dir=photos_dir, held_out=held_out[: args.max_photos], training=training, methods=methods,
        sigmas=sigmas, kinds=kinds, crop=args.crop, seed=args.seed, tune_photos=args.tune_photos,
        tune_crop=args.tune_crop, strength=args.strength, steps=args.steps,
    )


def _names(text: str, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ConfigError(f"give at least one {what}")
    return names
