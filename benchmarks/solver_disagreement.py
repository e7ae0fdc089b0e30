"""How far a cUNet's output moves when its ODE blocks are solved with another solver: for each
model, the mean squared difference between the network's output with each solver asked for and
with its trained one, on the same noised images.

    python benchmarks/solver_disagreement.py runs/fashion-robust4/model runs/fashion-bend3/model \
        --data ../shared/data/fashion-mnist.npz --solvers euler:1,rk4:2 --out results.json

Why: the speed/quality dial works when every solver follows the same flow (issue #26). FD tells
that only after thousands of sampled images; this reads it off the network in seconds, per
diffusion step, so a training change (a regulariser, a solver mix) can be judged before a
sweep. The images are the data's first `--count`, noised at each of `--steps` with one seeded
noise draw (the same for every model); a class-conditional model gets a seeded random class per
image. The mean squared difference from the true noise (with the trained solver) is reported
beside it for scale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from engine.atomic import atomic_write_text
from engine.checkpoints import ModelStore, load_model
from engine.data import NpzImageDataset
from engine.device import set_threads
from engine.models import SolverSettings


def disagreement(path: str, data: Path, count: int, steps: list[int], solvers: list[SolverSettings]) -> dict:
    """One model's row: per step t, the output's mean squared difference for each solver from the
    trained solver's, and the trained solver's from the true noise."""
    model = load_model(ModelStore().resolve(path))
    trained = model.spec.trained_solver
    if trained is None:
        raise SystemExit(f"{path} has no ODE blocks: there is no solver to change")
    dataset = NpzImageDataset(data, model.spec.image_size, model.spec.channels, hflip=False)
    x0 = torch.stack([dataset.load(i, None) for i in range(min(count, len(dataset)))])
    generator = torch.Generator().manual_seed(0)
    network = model.network.eval()
    rows = {}
    for t in steps:
        abar = model.schedule.abar(t)
        noise = torch.randn(x0.shape, generator=generator)
        x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * noise
        classes = len(model.spec.class_names)
        labels = {"class_labels": torch.randint(0, classes, (len(x0),), generator=generator)} if classes else {}
        steps_t = torch.full((len(x0),), t)
        with torch.no_grad():
            reference = network(x_t, steps_t, solver=trained, **labels)
            row = {solver.text(): (network(x_t, steps_t, solver=solver, **labels) - reference).square().mean().item()
                   for solver in solvers}
        row["trained vs true noise"] = (reference - noise).square().mean().item()
        rows[str(t)] = row
    return {"model": path, "trained_solver": trained.text(), "by_step": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="cUNet models: names, model folders or checkpoints")
    parser.add_argument("--data", type=Path, required=True, help=".npz of images like the models' training data")
    parser.add_argument("--count", type=int, default=256, help="images (default 256)")
    parser.add_argument("--steps", default="900,500,200,50", help="diffusion steps t, comma-separated")
    parser.add_argument("--solvers", default="euler:1,rk4:2", help="solvers to compare with the trained one")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="JSON file of the rows")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    solvers = [SolverSettings.from_text(text) for text in args.solvers.split(",")]
    steps = [int(t) for t in args.steps.split(",")]
    results = [disagreement(path, args.data, args.count, steps, solvers) for path in args.models]
    for result in results:
        print(f"{result['model']} (trained {result['trained_solver']})")
        for t, row in result["by_step"].items():
            print(f"  t = {t:>4}: " + ", ".join(f"{name} {value:.2e}" for name, value in row.items()))
    if args.out:
        atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
