"""Sample quality of one trained model across samplers, step counts and cUNet solver settings.

    python benchmarks/quality_sweep.py --model digits -n 5000 --sweep all --out results/digits.json

Every row samples `-n` images with the same seeds and reports engine eval's measure (Frechet
distance in the frozen classifier's features, see docs/models.md) plus seconds per image on the
device used. `--sweep samplers` varies the sampler and its step count with the trained solver;
`--sweep dial` keeps the recommended sampler and varies the ODE solver per block (the cUNet's
speed/quality dial); `--sweep all` does both. `--rows ddim:10,ddpm:50:euler:1` runs exactly the
rows given (sampler:steps, optionally :solver:solver_steps), to split one sweep over processes.
The JSON file is rewritten after every row, so a run
cut short (a lent GPU's time running out) keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.checkpoints import ModelStore, load_model
from engine.device import resolve_device
from engine.errors import ConfigError
from engine.evaluation import open_reference
from engine.generate import GenerationRequest, generate
from engine.models import SolverSettings

# (sampler, steps) rows besides the model card's recommended sampler, which always runs first.
SAMPLER_ROWS = [("ddpm", 25), ("ddim", 10), ("ddim", 25), ("ddim", 50), ("ddim", 100),
                ("dpmpp-2m", 10), ("dpmpp-2m", 20), ("dpmpp-2m-sde", 10), ("dpmpp-2m-sde", 20),
                ("dpmpp-2m-sde", 50)]
DIAL_ROWS = [("euler", 1), ("euler", 2), ("rk4", 1), ("rk4", 2)]

Row = tuple[str, int, SolverSettings | None]  # sampler, steps, solver (None: as trained)


def sweep_rows(sweep: str, recommended: tuple[str, int], trained: SolverSettings | None) -> list[Row]:
    """The recommended row first, then the sweep's other sampler and/or solver rows."""
    rows: list[Row] = [(*recommended, None)]
    if sweep in ("samplers", "all"):
        rows += [(s, n, None) for s, n in SAMPLER_ROWS if (s, n) != recommended]
    if sweep in ("dial", "all") and trained is not None:
        rows += [(*recommended, SolverSettings(method=m, steps=k))
                 for m, k in DIAL_ROWS if (m, k) != (trained.method, trained.steps)]
    return rows


def parse_rows(text: str) -> list[Row]:
    """`ddim:10,ddpm:50:euler:1` -> [("ddim", 10, None), ("ddpm", 50, SolverSettings("euler", 1))]."""
    rows: list[Row] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        fields = item.split(":")
        try:
            if len(fields) == 2:
                rows.append((fields[0], int(fields[1]), None))
            elif len(fields) == 4:
                rows.append((fields[0], int(fields[1]), SolverSettings(method=fields[2], steps=int(fields[3]))))
            else:
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError(f"row {item!r} is not sampler:steps[:solver:solver_steps]") from None
        except ConfigError as error:  # a solver that does not exist, or steps out of range
            raise argparse.ArgumentTypeError(f"row {item!r}: {error}") from None
    if not rows:
        raise argparse.ArgumentTypeError("give at least one row")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="model name or folder")
    parser.add_argument("-n", "--count", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sweep", choices=("recommended", "samplers", "dial", "all"), default="all")
    parser.add_argument("--rows", type=parse_rows, default=None,
                        help="only these rows: sampler:steps[:solver:solver_steps], comma-separated")
    parser.add_argument("--classifier", type=Path, default=None, help="default: the card's eval_classifier")
    parser.add_argument("--data", type=Path, default=None, help="labelled .npz (default: the classifier's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, required=True, help="JSON file of result rows")
    args = parser.parse_args()

    model = load_model(ModelStore().resolve(args.model), resolve_device(args.device))
    reference = open_reference(model, args.model, args.classifier, args.data)
    base_sampler, base_steps = model.spec.recommended_sampler()  # what the app and engine sample use
    trained = model.spec.trained_solver

    rows_to_run = args.rows or sweep_rows(args.sweep, (base_sampler, base_steps), trained)

    results = {"model": args.model, "count": args.count, "device": str(model.device),
               "trained_solver": asdict(trained) if trained else None, "rows": []}
    first_sampler, _, first_solver = rows_to_run[0]  # one small run first: the first row's time has no start-up costs
    generate(model, GenerationRequest(count=1, seed=0, sampler=first_sampler, steps=2, solver=first_solver))
    for sampler, steps, solver in rows_to_run:
        request = GenerationRequest(count=args.count, seed=0, sampler=sampler, steps=steps,
                                    batch_size=args.batch, solver=solver)
        started = time.perf_counter()
        generated = generate(model, request)
        seconds = (time.perf_counter() - started) / args.count
        report = reference.evaluate(generated.images)
        used = model.spec.solver_used(solver)
        results["rows"].append({
            "sampler": sampler, "steps": steps,
            "solver": f"{used.method} x{used.steps}" if used else None,
            "evals/block": used.evals_per_block() if used else None,
            "s/image": round(seconds, 5), **asdict(report),
        })
        atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
        print(f"{sampler} {steps} {results['rows'][-1]['solver']}: FD {report.fd:.3f} ({seconds * 1000:.2f} ms/image)",
              flush=True)


if __name__ == "__main__":
    main()
