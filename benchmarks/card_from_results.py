"""The measured part of a generation model's card, built from the measurement files, so that a
shipped card is reproducible from committed results instead of copied by hand.

    python benchmarks/card_from_results.py benchmarks/results/digits-classes --name digits \
        --extra '{"display_name": "MNIST digits", "description": "..."}' --out /tmp/card.json
    engine export runs/digits-robust/model --out resources/models/digits --half --card "$(cat /tmp/card.json)"

The folder holds what the docs' commands write:
- `recommended.json`: `engine eval --json` at the settings the card recommends (n = 5,000): the
  card's `quality` and `recommended` (sampler, steps, guidance when the run was steered);
- `dial-n200.json`: `benchmarks/quality_sweep.py --sweep dial --json` (the same settings, every
  ODE solver, one process, so the seconds compare): the rows of `solver_tradeoff`;
- `dial-*.json` besides it: `engine eval --json` with `--solver`: each solver's FD (and share in
  the class asked for) at n = 5,000, the number the dial plot and the Generate page report;
- `schedules-n5000.json` (optional): `benchmarks/quality_sweep.py --rows SAMPLER:STEPS --schedule-rows
  ...` at n = 5,000, the trained solver first: the card's `solver_schedules`. Or, as for the dial,
  `schedules-n200.json`, the same sweep at n = 200 for the seconds (one process), with each
  schedule's FD from an `engine eval --json --solver-schedule ...` run at n = 5,000 beside it
  (`schedule-*.json`; the trained solver's is the recommended run), which can be measured in
  parts (`--save-images`) instead of in one process for hours. `--schedule TEXT`
  names the one the card recommends (`recommended.solver_schedule`, the Generate page's "Use the
  measured schedule"): chosen on the selection split beforehand, so it must be one of the rows.
- `--samplers FILE,...` (optional): `engine eval --json` at the recommended settings but another
  sampler or step count (n = 5,000, the trained solver): with the recommended run, the rows of
  the card's `sampler_quality`, which the Generate page reads to say how the sampler and steps
  chosen compare with the recommended ones.

Only what was measured goes in: a solver without an n = 5,000 file keeps its n = 200 row alone
(benchmarks/plot_dial.py then refuses the card rather than mix sample counts).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from engine.atomic import atomic_write_bytes
from engine.diffusion.solver_schedule import SteppedSolver
from engine.guidance import guidance_listing

RECOMMENDED = "recommended.json"
DIAL_SWEEP = "dial-n200.json"
SCHEDULES = "schedules-n5000.json"
SCHEDULES_TIMED = "schedules-n200.json"  # seconds only: the FDs come from the schedule-*.json runs
LARGE_N_FD = "FD n=5000"  # the column benchmarks/plot_dial.py and the Generate page read
LARGE_N_IN_CLASS = "in class n=5000"
TRAINED_SUFFIX = " (trained)"  # how the card marks the trained row (plot_dial strips it and marks the point)


def solver_label(solver: dict) -> str:
    """"midpoint x1": how quality_sweep names a solver, from an eval file's solver record."""
    return f"{solver['method']} x{solver['steps']}"


def settings_words(result: dict) -> str:
    """The sampling settings of an eval file in the card's words."""
    return ", ".join([f"{result['sampler']} {result['steps']}", *steering_words(result)])


def steering_words(result: dict) -> list[str]:
    """The class and guidance of an eval file in the card's words; none for an unconditional run."""
    words = []
    if result.get("class") == "random":
        words.append("a random class per image")
    elif result.get("class") is not None:
        words.append(f"class {result['class']}")
    if result.get("guidance") is not None:
        words.append(f"guidance {result['guidance']:g}")
    elif result.get("guidance_by_class"):
        words.append(f"guidance {guidance_listing(*usual_and_own(result['guidance_by_class']))}")
    return words


def usual_and_own(by_class: dict[str, float]) -> tuple[float, dict[str, float]]:
    """A run of each class at its own scale (`engine eval --json`'s `guidance_by_class`) as a
    card recommends it: the scale most classes had, and the classes that had another."""
    usual = Counter(by_class.values()).most_common(1)[0][0]
    return usual, {name: scale for name, scale in by_class.items() if scale != usual}


def quality(result: dict, model_name: str) -> dict:
    """The card's `quality` from `engine eval --json` at the recommended settings."""
    measured = {
        "FD": round(result["fd"], 2), "FD real-vs-real floor": round(result["fd_real_split"], 2),
        "classifier accuracy (real)": round(result["classifier_accuracy"], 4),
        "generated": result["generated"], "held-out real": result["real"],
        "generated classified with p >= 0.9": round(result["generated_confident"], 3),
        "real classified with p >= 0.9": round(result["real_confident"], 3),
        "sampler": settings_words(result),
        "measured by": f"engine eval --model {model_name} -n {result['generated']}"
                       + (f" --class {result['class']}" if result.get("class") is not None else "")
                       + " (docs/models.md)",
    }
    if result.get("in_asked_class") is not None:
        measured["in the class asked for"] = round(result["in_asked_class"], 3)
    return measured


def recommended(result: dict) -> dict:
    settings = {"sampler": result["sampler"], "steps": result["steps"]}
    if result.get("guidance") is not None:
        settings["guidance"] = result["guidance"]
    elif result.get("guidance_by_class"):
        settings["guidance"], settings["class_guidance"] = usual_and_own(result["guidance_by_class"])
    return settings


def tradeoff_rows(sweep: dict, large_runs: list[dict]) -> list[dict]:
    """One row per solver of the n = 200 sweep, with the n = 5,000 FD where a run measured it.
    A large run must be sampled like the sweep: otherwise its FD would sit in the wrong row."""
    trained = solver_label(sweep["trained_solver"])
    large = {}
    for run in large_runs:
        label = solver_label(run["solver"])
        if label in large:
            raise ValueError(f"two n = 5,000 runs of the solver {label}")
        large[label] = run
    rows = []
    for row in sweep["rows"]:
        entry = {"solver": row["solver"] + (TRAINED_SUFFIX if row["solver"] == trained else ""),
                 "evals/block": row["evals/block"], "FD": round(row["fd"], 2), "s/image": round(row["s/image"], 3)}
        run = large.pop(row["solver"], None)
        if run is not None:
            check_sampled_like(run, row, sweep)
            entry[LARGE_N_FD] = round(run["fd"], 2)
            if run.get("in_asked_class") is not None:
                entry[LARGE_N_IN_CLASS] = round(run["in_asked_class"], 3)
        rows.append(entry)
    if large:
        raise ValueError(f"n = 5,000 runs of solvers the sweep has no row for: {', '.join(sorted(large))}")
    return rows


def check_sampled_like(run: dict, row: dict, sweep: dict) -> None:
    """ValueError unless the n = 5,000 `run` was sampled like the sweep's `row`: otherwise its FD
    would sit in the wrong row."""
    if (run["sampler"], run["steps"], run.get("class"), run.get("guidance")) != (
            row["sampler"], row["steps"], sweep.get("class"), sweep.get("guidance")):
        raise ValueError(f"the n = 5,000 run of {row['solver']} ({settings_words(run)}) was not "
                         f"sampled like the sweep ({row['sampler']} {row['steps']})")


def schedule_rows(sweep: dict, large_runs: list[dict]) -> list[dict]:
    """The card's `solver_schedules`: each row of a schedules sweep, the trained solver marked,
    with the FD of its n = 5,000 run in `large_runs` (row for row; the sweep's own rows where it
    sampled 5,000 images)."""
    if sweep["rows"][0].get("schedule") is not None:
        raise ValueError("the schedules sweep must start with the trained solver throughout (its reference row)")
    rows = []
    for index, (row, run) in enumerate(zip(sweep["rows"], large_runs)):
        entry = {"solver": row["solver"] + (TRAINED_SUFFIX if index == 0 else "")}
        if row.get("schedule"):
            entry["schedule"] = row["schedule"]
        entry.update({"evals/image": row["evals/image"], "s/image": round(row["s/image"], 3),
                      LARGE_N_FD: round(run["fd"], 2)})
        if run.get("in_asked_class") is not None:
            entry[LARGE_N_IN_CLASS] = round(run["in_asked_class"], 3)
        rows.append(entry)
    return rows


def schedule_runs(folder: Path, sweep: dict, result: dict) -> list[dict]:
    """The n = 5,000 run of each row of a timed (n = 200) schedules sweep: the recommended run
    for the trained solver, a `schedule-*.json` run of the same schedule for each other row."""
    runs = [json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("schedule-*.json"))]
    matched = [result]
    for row in sweep["rows"][1:]:
        solver = asdict(SteppedSolver.from_text(row["schedule"]))
        found = [run for run in runs if run["solver"] == solver]
        if not found:
            raise ValueError(f"no n = 5,000 engine eval run of the schedule {row['schedule']} (schedule-*.json)")
        matched.append(found[0])
    for row, run in zip(sweep["rows"], matched):
        check_sampled_like(run, row, sweep)
        if run["generated"] < 5000:
            raise ValueError(f"the run of {row['solver']} measured {run['generated']} images, not 5,000")
    return matched


def sampler_rows(result: dict, runs: list[dict]) -> list[dict]:
    """The card's `sampler_quality`: the recommended run and each of `runs`, ordered by sampler
    and steps. Every run must be the recommended one's but for the sampler and steps (class,
    guidance, solver, n = 5,000): otherwise its FD would not say what the sampler changed."""
    same = ("class", "guidance", "guidance_by_class", "solver", "generated")
    rows, seen = [], set()
    for run in [result, *runs]:
        setting = (run["sampler"], run["steps"])
        if setting in seen:
            raise ValueError(f"two runs of {run['sampler']} {run['steps']}")
        seen.add(setting)
        differs = [key for key in same if run.get(key) != result.get(key)]
        if differs:
            raise ValueError(f"the run of {run['sampler']} {run['steps']} differs from the recommended one in "
                             f"{', '.join(differs)}: only the sampler and steps may")
        row = {"sampler": run["sampler"], "steps": run["steps"], LARGE_N_FD: round(run["fd"], 2)}
        if run.get("in_asked_class") is not None:
            row[LARGE_N_IN_CLASS] = round(run["in_asked_class"], 3)
        rows.append(row)
    return sorted(rows, key=lambda row: (row["sampler"], row["steps"]))


def measured_card(folder: Path, model_name: str, schedule: str | None = None,
                  samplers: tuple[str, ...] = ()) -> dict:
    """The card fields measured in `folder` (see the module docstring); `schedule`, the text form
    of the step-aware schedule to recommend; `samplers`, the files of the sampler table."""
    result = json.loads((folder / RECOMMENDED).read_text("utf-8"))
    card = {"quality": quality(result, model_name), "recommended": recommended(result)}
    if samplers:
        runs = [json.loads((folder / name).read_text("utf-8")) for name in samplers]
        card["sampler_quality"] = sampler_rows(result, runs)
        card["sampler_quality_note"] = ", ".join([*steering_words(result), "the trained solver; one engine eval run "
                                                                          "per row; docs/models.md"])
    sweep_file = folder / DIAL_SWEEP
    if sweep_file.exists():
        sweep = json.loads(sweep_file.read_text("utf-8"))
        # the recommended run is the trained solver's n = 5,000 run
        large_runs = [result] + [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("dial-*.json"))
                                 if p.name != DIAL_SWEEP]
        card["solver_tradeoff"] = tradeoff_rows(sweep, large_runs)
        card["solver_tradeoff_note"] = (
            f"{settings_words(result)}; FD and s/image: one run of {sweep['count']} images per row, one "
            f"process (read the seconds as ratios); {LARGE_N_FD}: one engine eval run per row; docs/models.md")
    schedules_file = next((folder / name for name in (SCHEDULES, SCHEDULES_TIMED) if (folder / name).exists()), None)
    if schedules_file is not None:
        sweep = json.loads(schedules_file.read_text("utf-8"))
        timed_only = schedules_file.name == SCHEDULES_TIMED
        if not timed_only and sweep["count"] < 5000:
            raise ValueError(f"{SCHEDULES} measured {sweep['count']} images per row, not 5,000")
        card["solver_schedules"] = schedule_rows(sweep, schedule_runs(folder, sweep, result) if timed_only
                                                 else sweep["rows"])
        fds = f"; {LARGE_N_FD}: one engine eval run per row" if timed_only else ""
        card["solver_schedules_note"] = (
            f"{settings_words(result)}; one process, {sweep['count']:,} images per row (read the seconds as "
            f"ratios){fds}; evals/image: evaluations of each ODE block per image; docs/models.md")
    if schedule is not None:
        texts = [row.get("schedule") for row in card.get("solver_schedules", [])]
        if schedule not in texts:
            raise ValueError(f"the schedule {schedule} is not one of the measured ones ({', '.join(filter(None, texts))})")
        card["recommended"]["solver_schedule"] = schedule
    return card


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the model's measurement folder (see above)")
    parser.add_argument("--name", required=True, help="the model's name as users call it (for 'measured by')")
    parser.add_argument("--schedule", help="the measured step-aware schedule to recommend (its text form)")
    parser.add_argument("--samplers", default="",
                        help="comma-separated eval files in the folder: other samplers or steps (see above)")
    parser.add_argument("--extra", default="{}", help="JSON fields written by hand (display name, description, "
                                                      "training), merged over the measured ones")
    parser.add_argument("--out", type=Path, help="write the JSON here (default: print it)")
    args = parser.parse_args()
    text = json.dumps(measured_card(args.folder, args.name, args.schedule,
                                    tuple(filter(None, args.samplers.split(",")))) | json.loads(args.extra), indent=1) + "\n"
    if args.out:
        atomic_write_bytes(args.out, text.encode("utf-8"))
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
