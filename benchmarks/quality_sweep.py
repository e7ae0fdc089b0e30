"""Sample quality of one trained model across samplers, step counts and cUNet solver settings.

    python benchmarks/quality_sweep.py --model digits -n 5000 --sweep all --out results/digits.json

Every row samples `-n` images with the same seeds and reports engine eval's measure (Frechet
distance in the frozen classifier's features, see docs/models.md) plus seconds per image on the
device used. `--sweep samplers` varies the sampler and its step count with the trained solver;
`--sweep dial` keeps the recommended sampler and varies the ODE solver per block (the cUNet's
speed/quality dial); `--sweep all` does both. `--sweep schedules` keeps the recommended sampler
and runs step-aware solver schedules (`SteppedSolver`): a cheap solver while x_t is mostly noise,
the trained one from a switch step on, for switches from early to late. `--rows
ddim:10,ddpm:50:euler:1` runs exactly the rows given (sampler:steps, optionally
:solver:solver_steps), to split one sweep over processes; `--schedule-rows ddpm:50:euler:1@300,midpoint:1`
(space-separated, as a schedule holds a comma) adds schedule rows.

Each row also reports "evals/image": the vector-field evaluations of each ODE block that one
image went through, counted on the network (not computed from the solver), which is what a
step-aware schedule saves. `--selection` measures against the classifier's training split instead of the held-out images:
choose a setting there (a schedule's switch step), then report it on the held-out images.
The JSON file is rewritten after every row, so a run cut short (a
lent GPU's time running out) keeps what it measured.

A class-conditional model is measured as it is used: `--class random --guidance W` steers every
row's images to the classes their seeds draw (the Generate page's default), and each row adds the
share the classifier puts in the class asked for; `--class C` measures one class against that
class's held-out images. A guided image costs two network passes (with and without its class),
which the seconds include and "evals/image", counted per network call, does not.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.checkpoints import LoadedModel, ModelStore, load_model
from engine.cli.common import add_class_arguments, class_from_args
from engine.device import resolve_device
from engine.errors import ConfigError
from engine.evaluation import open_reference
from engine.diffusion import SolverChoice, SteppedSolver
from engine.generate import GenerationRequest, SolverCost, generate, solver_cost
from engine.models import SolverSettings

# (sampler, steps) rows besides the model card's recommended sampler, which always runs first.
SAMPLER_ROWS = [("ddpm", 25), ("ddim", 10), ("ddim", 25), ("ddim", 50), ("ddim", 100),
                ("dpmpp-2m", 10), ("dpmpp-2m", 20), ("dpmpp-2m-sde", 10), ("dpmpp-2m-sde", 20),
                ("dpmpp-2m-sde", 50)]
DIAL_ROWS = [("euler", 1), ("euler", 2), ("rk4", 1), ("rk4", 2)]
# Step-aware rows: each cheap solver until each switch step, then the trained one. With ddpm 50
# steps, euler x 1 from a midpoint-trained model's switch at 300 is 1.54x fewer evaluations.
SCHEDULE_NOISY = [("euler", 1), ("midpoint", 1)]
SCHEDULE_SWITCHES = (800, 600, 400, 300, 200, 100)

Row = tuple[str, int, SolverChoice | None]  # sampler, steps, solver (None: as trained)


def sweep_rows(sweep: str, recommended: tuple[str, int], trained: SolverSettings | None) -> list[Row]:
    """The recommended row first, then the sweep's other sampler and/or solver rows."""
    rows: list[Row] = [(*recommended, None)]
    if sweep in ("samplers", "all"):
        rows += [(s, n, None) for s, n in SAMPLER_ROWS if (s, n) != recommended]
    if sweep in ("dial", "all") and trained is not None:
        rows += [(*recommended, SolverSettings(method=m, steps=k))
                 for m, k in DIAL_ROWS if (m, k) != (trained.method, trained.steps)]
    if sweep == "schedules" and trained is not None:
        rows += [(*recommended, SteppedSolver(SolverSettings(method=m, steps=k), trained, switch))
                 for m, k in SCHEDULE_NOISY if (m, k) != (trained.method, trained.steps)
                 for switch in SCHEDULE_SWITCHES]
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


def parse_schedule_row(text: str) -> Row:
    """`ddpm:50:euler:1@300,midpoint:1` -> ("ddpm", 50, SteppedSolver(euler x1, midpoint x1, 300))."""
    sampler, _, rest = text.strip().partition(":")
    steps, _, schedule = rest.partition(":")
    try:
        return sampler, int(steps), SteppedSolver.from_text(schedule)
    except ValueError:
        raise argparse.ArgumentTypeError(f"schedule row {text!r} is not sampler:steps:NOISY@T,FINE") from None
    except ConfigError as error:
        raise argparse.ArgumentTypeError(f"schedule row {text!r}: {error}") from None


def solver_label(used: SolverChoice | None) -> str | None:
    """A row's solver as stored sweeps, model cards and plot_dial name it: "euler x1"; a
    schedule "euler x1 while t>=300, then midpoint x1"."""
    if isinstance(used, SteppedSolver):
        noisy, fine = solver_label(used.noisy), solver_label(used.fine)
        if used.until:
            return f"{noisy} while t>={used.switch}, {fine} down to t={used.until}, then {noisy} again"
        return f"{noisy} while t>={used.switch}, then {fine}"
    return f"{used.method} x{used.steps}" if used else None


def counted_evaluations(model: LoadedModel, before: int, batches: int) -> float:
    """Evaluations of each ODE block per image since `before` (`function_evaluations()` then):
    every batch's network call evaluates each block once for all its images."""
    return round((model.network.function_evaluations() - before) / (batches * model.network.ode_block_count()), 2)


def check_cost(cost: SolverCost | None, counted: float | None) -> None:
    """Warn where the count differs from the cost computed before sampling (adaptive solvers
    have none): the engine's announced cost would then be wrong."""
    if cost is not None and cost.evaluations is not None and counted != cost.evaluations:
        print(f"warning: counted {counted} evaluations per ODE block per image, computed {cost.evaluations}",
              file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="model name or folder")
    parser.add_argument("-n", "--count", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sweep", choices=("recommended", "samplers", "dial", "all", "schedules"), default="all")
    parser.add_argument("--rows", type=parse_rows, default=None,
                        help="only these rows: sampler:steps[:solver:solver_steps], comma-separated")
    parser.add_argument("--schedule-rows", type=parse_schedule_row, nargs="+", default=[], metavar="ROW",
                        help="only these rows (after any --rows): sampler:steps:NOISY@T,FINE, space-separated")
    parser.add_argument("--classifier", type=Path, default=None, help="default: the card's eval_classifier")
    parser.add_argument("--data", type=Path, default=None, help="labelled .npz (default: the classifier's)")
    parser.add_argument("--selection", action="store_true",
                        help="measure against the classifier's training split (to choose a setting), not the "
                             "held-out images (to report it)")
    add_class_arguments(parser)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, required=True, help="JSON file of result rows")
    args = parser.parse_args(argv)

    model = load_model(ModelStore().resolve(args.model), resolve_device(args.device))
    class_label, random_class = class_from_args(args, model)  # every row samples the same classes
    steering = dict(class_label=class_label, random_class=random_class, guidance=args.guidance)
    reference = open_reference(model, args.model, args.classifier, args.data)
    reference.check_steering(model, args.model, class_label, random_class)
    if args.selection:
        reference = reference.for_selection()
    base_sampler, base_steps = model.spec.recommended_sampler()  # what the app and engine sample use
    trained = model.spec.trained_solver

    given = (args.rows or []) + args.schedule_rows
    rows_to_run = given or sweep_rows(args.sweep, (base_sampler, base_steps), trained)

    results = {"model": args.model, "count": args.count, "device": str(model.device),
               "compared_with": "training split (selection)" if args.selection else "held-out images",
               "trained_solver": asdict(trained) if trained else None,
               "class": args.class_choice, "guidance": args.guidance, "rows": []}
    first_sampler, _, first_solver = rows_to_run[0]  # one small run first: the first row's time has no start-up costs
    generate(model, GenerationRequest(count=1, seed=0, sampler=first_sampler, steps=2, solver=first_solver,
                                      **steering))
    for sampler, steps, solver in rows_to_run:
        request = GenerationRequest(count=args.count, seed=0, sampler=sampler, steps=steps,
                                    batch_size=args.batch, solver=solver, **steering)
        counts = trained is not None  # only ODE blocks count evaluations
        before = model.network.function_evaluations() if counts else 0
        started = time.perf_counter()
        generated = generate(model, request)
        seconds = (time.perf_counter() - started) / args.count
        evaluations = counted_evaluations(model, before, math.ceil(args.count / args.batch)) if counts else None
        check_cost(solver_cost(model.spec, request), evaluations)
        report, in_class = reference.evaluate_generation(generated.images, class_label, generated.class_labels)
        used = model.spec.solver_used(solver)
        results["rows"].append({
            "sampler": sampler, "steps": steps, "solver": solver_label(used),
            **({"schedule": used.text()} if isinstance(used, SteppedSolver) else {}),
            "evals/block": used.evals_per_block() if isinstance(used, SolverSettings) else None,
            "evals/image": evaluations, "s/image": round(seconds, 5), "guidance": generated.guidance,
            "in_asked_class": in_class, **asdict(report),
        })
        atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
        per_image = "" if evaluations is None else f", {evaluations:g} evaluations per block"
        print(f"{sampler} {steps} {results['rows'][-1]['solver']}: FD {report.fd:.3f} ({seconds * 1000:.2f} ms/image"
              f"{per_image})", flush=True)


if __name__ == "__main__":
    main()
