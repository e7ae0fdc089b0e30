"""`engine bench`: parameters, MACs and interleaved forward latency of cUNet presets vs the U-Net."""

from __future__ import annotations

import argparse
import json

from engine.bench.network_cost import measure_networks
from engine.device import resolve_device, set_threads

DEFAULT_MODELS = ["cunet-paper", "cunet", "unet"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="parameters, MACs and latency of the networks (interleaved runs)")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--channels", type=int, choices=(1, 3), default=3)
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated presets")
    p.add_argument("--rounds", type=int, default=10, help="timed calls per model")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--train", action="store_true", help="time training steps (fwd+bwd+AdamW) instead of forwards")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    threads = set_threads(args.threads)
    device = resolve_device(args.device)
    presets = [m.strip() for m in args.models.split(",") if m.strip()]
    results = measure_networks(presets, args.size, args.batch, args.channels, str(device), args.rounds, args.warmup,
                               training=args.train)
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
    header = f"{'model':<13}{'params':>13}{'MACs':>16}{'ms':>10}{'img/s':>8}"
    if reference:
        header += f"{'params/U':>10}{'MACs/U':>8}{'time/U':>8}"
    print(header)
    for r in results:
        line = f"{r.name:<13}{r.params:>13,}{r.macs:>16,}{r.latency_ms:>10.1f}{1000 * args.batch / r.latency_ms:>8.1f}"
        if reference:
            line += (f"{r.params / reference.params:>10.3f}{r.macs / reference.macs:>8.3f}"
                     f"{r.latency_ms / reference.latency_ms:>8.3f}")
        print(line)
    return 0
