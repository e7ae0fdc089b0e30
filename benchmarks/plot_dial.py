"""Plot the cUNet speed/quality dial: FD against sampling seconds per image, one point per ODE
solver setting, from the JSON files of `benchmarks/quality_sweep.py --sweep dial` or from model
folders, whose card's solver_tradeoff table holds the figures the docs and the Generate page report.

    python benchmarks/plot_dial.py results/dial-digits.json --out docs/images/dial.png
    python benchmarks/plot_dial.py resources/models/digits --out docs/images/dial-digits.png

A figure rather than only a table because the point of the dial is the shape of the trade-off:
which settings are on the frontier (cheaper *and* better than their neighbours) and which are not.
Only rows sampled with the model's recommended sampler and steps are plotted (the dial rows);
FD is on a log axis because a solver the model was not trained with can be orders of magnitude
worse. Needs matplotlib (the `bench` extra).

From a model folder the plot takes each row's FD at n = 5,000 (the reported number: FD is biased
upward at small n) and the seconds per image of the n = 200 sweep, which timed all rows in one
process under the same load; the n = 5,000 rows ran as separate processes, beside different jobs.
"""

from __future__ import annotations

import argparse
import json
from io import BytesIO
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen: works headless and in CI

import matplotlib.pyplot as plt  # noqa: E402 (after the backend choice)
from matplotlib.ticker import LogFormatter  # noqa: E402

from card_from_results import LARGE_N_FD, TRAINED_SUFFIX  # noqa: E402 (the card's writer names its columns)
from engine.atomic import atomic_write_bytes  # noqa: E402


def dial_rows(results: dict) -> list[dict]:
    """The rows of one sweep that differ only in the ODE solver: those sampled like the first row
    (the recommended sampler and steps, always run first by quality_sweep)."""
    rows = results["rows"]
    if not rows:
        return []
    base = (rows[0]["sampler"], rows[0]["steps"])
    return [r for r in rows if (r["sampler"], r["steps"]) == base and r["solver"]]


def sweep_from_model(folder: Path) -> dict:
    """A model folder's card as a sweep (see the module docstring). Refused unless every row of
    the card's solver_tradeoff has its n = 5,000 FD: one plot must not mix sample counts."""
    spec = json.loads((folder / "model.json").read_text("utf-8"))
    card = spec.get("card", {})
    table = card.get("solver_tradeoff") or []
    missing = [row["solver"] for row in table if LARGE_N_FD not in row]
    if not table or missing:
        raise ValueError(f"{folder.name}: the card's solver_tradeoff has no {LARGE_N_FD!r} for "
                         f"{', '.join(missing) or 'any row'}")
    recommended = card["recommended"]
    rows = [{"sampler": recommended["sampler"], "steps": recommended["steps"],
             "solver": row["solver"].removesuffix(TRAINED_SUFFIX), "s/image": row["s/image"], "fd": row[LARGE_N_FD]}
            for row in table]
    return {"model": folder.name, "count": card["quality"]["generated"],
            "trained_solver": spec["network"].get("solver"), "rows": rows}


def plot_dial(sweeps: list[dict], out: Path) -> None:
    """One series per sweep (model); each point labelled with its solver, the trained one marked."""
    figure, axes = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for results in sweeps:
        rows = sorted(dial_rows(results), key=lambda r: r["s/image"])
        if not rows:
            raise ValueError(f"{results.get('model')}: no dial rows (run quality_sweep with --sweep dial)")
        trained = results.get("trained_solver") or {}
        trained_label = f"{trained.get('method')} x{trained.get('steps')}"
        label = f"{results['model']} (FD at n = {results['count']:,}, {rows[0]['sampler']} {rows[0]['steps']} steps)"
        line, = axes.plot([r["s/image"] for r in rows], [r["fd"] for r in rows], "o-", label=label)
        for row in rows:
            is_trained = row["solver"] == trained_label
            axes.annotate(row["solver"] + (" (trained)" if is_trained else ""), (row["s/image"], row["fd"]),
                          textcoords="offset points", xytext=(6, 4), fontsize=8,
                          fontweight="bold" if is_trained else "normal")
            if is_trained:
                axes.plot(row["s/image"], row["fd"], "o", markersize=11, fillstyle="none", color=line.get_color())
    axes.set_yscale("log")
    axes.margins(x=0.15, y=0.12)  # room for the labels beside the outermost points and under the legend
    # Plain numbers (40, 100) rather than 4x10^1: read off against the tables' FD column.
    axes.yaxis.set_major_formatter(LogFormatter())
    axes.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
    axes.set_xlabel("seconds per image (one CPU thread)")
    axes.set_ylabel("FD in the classifier's features (lower is better)")
    axes.set_title("cUNet speed/quality dial: ODE solver per block at sampling time")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="best")  # away from the points, whichever corner the dial leaves free
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write_bytes(out, buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweeps", nargs="+", type=Path,
                        help="quality_sweep JSON files or model folders (one per model)")
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    args = parser.parse_args()
    plot_dial([sweep_from_model(path) if path.is_dir() else json.loads(path.read_text("utf-8"))
               for path in args.sweeps], args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
