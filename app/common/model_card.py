"""What the model pickers say about a model, derived from its `ModelSpec` (pure Python, no Qt).

The card is free-form JSON written by training and benchmarks, so every field is optional and
read defensively: a model with no card still gets its architecture, size and file size. The
Denoise page says what a photographer needs instead (`denoising_facts`): the card's technical
provenance (commands, data paths, benchmark notes) stays in the JSON for developers.
"""

from __future__ import annotations

from typing import Any

from engine.checkpoints import ModelEntry, ModelSpec
from engine.denoise import auto_tile_size
from engine.guidance import class_listing, class_share_listing, recommended_guidance_listing

ARCH_NAMES = {"cunet": "cUNet (continuous U-Net)", "unet": "U-Net (discrete)"}
CHANNEL_NAMES = {1: "greyscale", 3: "colour"}
SOURCE_NAMES = {"bundled": "bundled with the app", "user": "your models"}
SETTING_KEYS = ("solver", "setting", "method")  # columns that name a row's solver setting
Facts = list[tuple[str, str]]  # (label, value) rows of a card; a value may have several lines


def display_name(entry: ModelEntry) -> str:
    name = entry.spec.card.get("display_name")
    return f"{name} ({entry.name})" if name and name != entry.name else entry.name


def model_facts(entry: ModelEntry) -> Facts:
    """The rows for the Generate page's card, most useful first."""
    spec, card = entry.spec, entry.spec.card
    sampler, steps = spec.recommended_sampler()
    guidance = f", guidance {recommended_guidance_listing(spec)}" if spec.is_conditional else ""
    rows = [
        ("Description", str(card.get("description", ""))),
        ("Architecture", ARCH_NAMES.get(spec.arch, spec.arch)),
        ("Images", f"{spec.image_size}×{spec.image_size} px, {CHANNEL_NAMES.get(spec.channels, spec.channels)}"),
        ("Classes", class_listing(spec.class_names)),
        ("Random class", _random_class_shares(spec)),
        ("File size", _file_size(entry)),
        ("Dataset", str(card.get("dataset", ""))),
        ("Licence", str(card.get("licence", card.get("license", "")))),
        ("Recommended", f"{sampler}, {steps} steps{guidance}"),
        ("ODE solvers", _trained_solvers(spec)),
        ("Quality", _key_values(card.get("quality"))),
        ("Training", _key_values(card.get("training"), keys=("steps", "images_seen", "preset"))),
        ("Location", SOURCE_NAMES.get(entry.source, entry.source)),
    ]
    return [(label, value) for label, value in rows if value]


def _random_class_shares(spec: ModelSpec) -> str:
    shares = class_share_listing(spec)
    return "" if shares is None else f"As often as in its training data: {shares}"


def denoising_facts(entry: ModelEntry) -> Facts:
    """The rows for the Denoise page's card: what the model removes, up to what noise, that
    photos of any size work (the model's own size is only its tile size) and how fast it is."""
    spec, card = entry.spec, entry.spec.card
    limit = "" if spec.can_generate else f"Up to σ {highest_noise_level(entry):.0f} on a 0-255 scale"
    rows = [
        ("Description", str(card.get("description", ""))),
        ("Noise", limit),
        ("Photos", f"Any size, colour or grey ({auto_tile_size(spec)} px tiles)"),
        ("Speed", str(card.get("speed", ""))),
        ("Trained on", str(card.get("dataset", ""))),
    ]
    return [(label, value) for label, value in rows if value]


def highest_noise_level(entry: ModelEntry) -> float:
    """The strongest noise the model was trained to remove, as a std in 0-255 units, rounded
    down: the noise of its last training step, in the engine's photo convention (a photo in
    [0, 255] maps to [-1, 1], so sigma_255 = sigma * 255 / 2). Stronger noise is denoised at
    this level and some of it remains."""
    schedule = entry.spec.build_schedule()
    return float(int(schedule.noise_level(schedule.max_step) * 255 / 2))


def solver_tradeoff(entry: ModelEntry) -> tuple[list[str], list[list[str]]] | None:
    """The card's measured speed/quality per solver setting as (headers, rows), or None.

    Accepts a list of row objects ({"method": "rk4", "steps": 1, "seconds": ..., "fid": ...})
    or a mapping {setting: {metric: value}} / {setting: value}, so benchmark scripts are free
    in how they write it.
    """
    table = tradeoff_rows(entry)
    if table is None:
        return None
    headers: list[str] = []
    for row in table:
        headers.extend(key for key in row if key not in headers)
    headers.sort(key=lambda key: key not in SETTING_KEYS)  # what a row is about reads first, whatever the JSON order
    rows = [[_format_value(row.get(key, "")) for key in headers] for row in table]
    return headers, rows


def tradeoff_rows(entry: ModelEntry, table_key: str = "solver_tradeoff") -> list[dict[str, Any]] | None:
    """The card's solver_tradeoff (or another table of settings: `solver_schedules`) as one dict
    per setting, whichever of the shapes `solver_tradeoff` accepts it was written in; None if it
    has none."""
    table = entry.spec.card.get(table_key)
    if isinstance(table, dict):
        table = [{"setting": key, **(value if isinstance(value, dict) else {"value": value})}
                 for key, value in table.items()]
    if not isinstance(table, list) or not table or not all(isinstance(row, dict) for row in table):
        return None
    return table


def _trained_solvers(spec: ModelSpec) -> str:
    """For a solver-robust model, the settings of the speed/quality dial it was trained for."""
    if not spec.trained_solvers:
        return ""
    return f"Trained for {spec.trained_solvers_label()} (the speed/quality dial); {spec.trained_solver.label()} by default"


def _file_size(entry: ModelEntry) -> str:
    total = sum(p.stat().st_size for p in entry.path.glob("*") if p.is_file()) if entry.path.is_dir() else 0
    if total <= 0:
        return ""
    return f"{total / 1e6:.1f} MB" if total >= 1e5 else f"{total / 1e3:.0f} kB"


def _key_values(value: Any, keys: tuple[str, ...] | None = None) -> str:
    """One "key: value" line per scalar entry: measurements such as "FD real-vs-real floor" run
    into each other when written on one line."""
    if not isinstance(value, dict):
        return str(value) if value else ""
    items = [(k, value[k]) for k in (keys or tuple(value)) if k in value and not isinstance(value[k], (dict, list))]
    return "\n".join(f"{k.replace('_', ' ')}: {_format_value(v)}" for k, v in items)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
