"""Plot the cUNet speed/quality dial: FD against sampling seconds per image, one point per ODE
solver setting, from the JSON files of `benchmarks/quality_sweep.py --sweep dial`.

    python benchmarks/plot_dial.py results/dial-digits.json --out docs/images/dial.png

A figure rather than only a table because the point of the dial is the shape of the trade-off:
which settings are on the frontier (cheaper *and* better than their neighbours) and which are not.
Only rows sampled with the model's recommended sampler and steps are plotted (the dial rows);
FD is on a log axis because a solver the model was not trained with can be orders of magnitude
worse. Needs matplotlib (the `bench` extra).
"""

from __future__ import annotations

import argparse
import json
from io import BytesIO
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen: works headless and in CI

import matplotlib.pyplot as plt  # noqa: E402 (after the backend choice)

from engine.atomic import atomic_write_bytes  # noqa: E402


def dial_rows(results: dict) -> list[dict]:
    """The rows of one sweep that differ only in the ODE solver: those sampled like the first row
    (the recommended sampler and steps, always run first by quality_sweep)."""
    rows = results["rows"]
    if not rows:
        return []
    base = (rows[0]["sampler"], rows[0]["steps"])
    return [r for r in rows if (r["sampler"], r["steps"]) == base and r["solver"]]


def plot_dial(sweeps: list[dict], out: Path) -> None:
    """One series per sweep (model); each point labelled with its solver, the trained one marked."""
    figure, axes = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for results in sweeps:
        rows = sorted(dial_rows(results), key=lambda r: r["s/image"])
        if not rows:
            raise ValueError(f"{results.get('model')}: no dial rows (run quality_sweep with --sweep dial)")
        trained = results.get("trained_solver") or {}
        trained_label = f"{trained.get('method')} x{trained.get('steps')}"
        label = f"{results['model']} (n = {results['count']:,}, {rows[0]['sampler']} {rows[0]['steps']} steps)"
        line, = axes.plot([r["s/image"] for r in rows], [r["fd"] for r in rows], "o-", label=label)
        for row in rows:
            is_trained = row["solver"] == trained_label
            axes.annotate(row["solver"] + (" (trained)" if is_trained else ""), (row["s/image"], row["fd"]),
                          textcoords="offset points", xytext=(6, 4), fontsize=8,
                          fontweight="bold" if is_trained else "normal")
            if is_trained:
                axes.plot(row["s/image"], row["fd"], "o", markersize=11, fillstyle="none", color=line.get_color())
    axes.set_yscale("log")
    axes.set_xlabel("seconds per image (one CPU thread)")
    axes.set_ylabel("FD in the classifier's features (lower is better)")
    axes.set_title("cUNet speed/quality dial: ODE solver per block at sampling time")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="upper right")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic_write_bytes(out, buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweeps", nargs="+", type=Path, help="quality_sweep JSON files (one per model)")
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    args = parser.parse_args()
    plot_dial([json.loads(path.read_text("utf-8")) for path in args.sweeps], args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
