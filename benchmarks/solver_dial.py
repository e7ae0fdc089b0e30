"""The cUNet speed/quality dial, measured: sample one trained model with different ODE solver
settings per block and report FD (engine eval's measure) and seconds per image for each.

    python benchmarks/solver_dial.py --model digits -n 1000 > dial.json

Prints a JSON list of rows ({"solver", "evals/block", "FD", "s/image"}) in the form the model
card's `solver_tradeoff` field (shown beside the dial in the app) expects.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from engine.checkpoints import ModelStore, load_model
from engine.cli.eval_cmd import CLASSIFIERS_DIR
from engine.evaluation import evaluate_samples, load_classifier
from engine.evaluation.labelled_data import load_labelled
from engine.generate import GenerationRequest, generate
from engine.models import SolverSettings

SETTINGS = [("euler", 1), ("midpoint", 1), ("rk4", 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("-n", "--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    model = load_model(ModelStore().resolve(args.model))
    classifier, info = load_classifier(CLASSIFIERS_DIR / str(model.spec.card.get("eval_classifier", args.model)))
    data = load_labelled(Path(info.dataset), info.image_size, info.channels)
    rows = []
    for method, steps in SETTINGS:
        solver = SolverSettings(method=method, steps=steps)
        started = time.perf_counter()
        result = generate(model, GenerationRequest(count=args.count, seed=0, batch_size=args.batch, solver=solver))
        seconds = (time.perf_counter() - started) / args.count
        report = evaluate_samples(classifier, info, result.images, data.held_out_images, data.held_out_labels)
        rows.append({"solver": f"{method} x{steps}", "evals/block": solver.evals_per_block(),
                     "FD": round(report.fd, 3), "s/image": round(seconds, 4)})
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
