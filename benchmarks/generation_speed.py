"""Seconds per generated image of whole models against each other, each at its own recommended
settings (sampler, steps, guidance; a random class per image for a class-conditional model),
interleaved round by round in one process, so the ratios hold where the absolute times do not.

    OMP_NUM_THREADS=1 python benchmarks/generation_speed.py fashion benchmarks/models/fashion-wide16-mix \
        --count 100 --rounds 3 --threads 1

Why a script: a wider network is better per image but costs more CPU per image, and a model card
that replaces a bundled model says by how much (docs/models.md); `engine bench` times networks,
not generations.
"""

from __future__ import annotations

import argparse
import time

import torch

from engine.bench.network_cost import interleaved_times
from engine.checkpoints import LoadedModel, ModelStore, load_model
from engine.device import set_threads
from engine.generate import GenerationRequest, generate
from engine.models import count_parameters


def seconds_per_image(model: LoadedModel, count: int) -> float:
    """One generation of `count` images (seeds from 0) in one batch at the model's recommended settings."""
    request = GenerationRequest(count=count, batch_size=count, random_class=model.spec.is_conditional)
    start = time.perf_counter()
    generate(model, request)
    return (time.perf_counter() - start) / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="model names or folders; the first is the reference of the ratios")
    parser.add_argument("--count", type=int, default=100, help="images per generation (default 100)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    set_threads(args.threads)
    models = {name: load_model(ModelStore().resolve(name), torch.device("cpu")) for name in args.models}
    for model in models.values():  # the first call of a model pays for allocations: not timed
        generate(model, GenerationRequest(count=2, steps=2, random_class=model.spec.is_conditional))
    times = interleaved_times({name: (lambda m=model: seconds_per_image(m, args.count))
                               for name, model in models.items()}, args.rounds)
    reference = min(times[args.models[0]])
    print(f"{'model':<40} {'parameters':>11} {'s/image (best)':>15} {'ratio':>6}")
    for name, model in models.items():
        best = min(times[name])
        print(f"{name:<40} {count_parameters(model.network):>11,} {best:>15.4f} {best / reference:>6.2f}")


if __name__ == "__main__":
    main()
