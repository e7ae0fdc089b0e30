"""The model card's measured trade-offs in words a user can act on (pure Python, no Qt): of the
ODE solver (the speed/quality dial) and of the sampler and its steps.

The card's table ("euler x1 · evals/block 1 · FD 200 · s/image 0.354 · FD n=5000 190") answers
"which setting should I pick?" only for someone who knows what a Frechet distance is. So each
measured setting is compared with the one the model was trained with: how much faster or slower,
and whether its images came out better or worse. The numbers stay one click away on the dial.
For a class-conditional model the table may say how many images came out in the class asked for:
FD alone would call a setting "about as good" that draws a tenth of them as another class (Euler
on the conditional digits), so a setting that loses more than CLASS_DROP of that share says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.common.model_card import SETTING_KEYS, tradeoff_rows
from engine.checkpoints import ModelEntry

TIME_KEYS = ("s/image", "seconds", "time", "s")  # columns holding a time: lower is faster
QUALITY_PREFIXES = ("fd", "fid")  # columns holding a Frechet distance: lower is better
SAME_SPEED = 0.05  # within 5 % of the trained setting's time reads "same speed"
BETTER, SAME, WORSE = 0.9, 1.15, 2.0  # distance ratios to the trained setting: better / about the same / worse / much worse
CLASS_PREFIX = "in class"  # columns holding the share of images in the class asked for: higher is better
CLASS_DROP = 0.02  # a share this much below the trained setting's is worth a word
SAMPLE_COUNT_WORDS = "5,000 images"  # the sample count of the card's tables' "n=5000" columns
SAMPLER_TABLE = "sampler_quality"  # the card's FD per sampler and steps (benchmarks/card_from_results.py)


@dataclass(frozen=True)
class SettingVerdict:
    setting: str  # "rk4 × 2"
    verdict: str  # "3.1× slower, much worse images"; "as trained" for the reference


def tradeoff_in_words(entry: ModelEntry, table_key: str = "solver_tradeoff") -> list[SettingVerdict] | None:
    """One verdict per measured setting of the card's table `table_key`, relative to the trained
    one (else the first row); None when the card has no such table, a row names no setting, or no
    column reads as a time and one as a quality."""
    rows = tradeoff_rows(entry, table_key)
    if rows is None or not all(any(key in row for key in SETTING_KEYS) for row in rows):
        return None
    time_key = next((key for key in TIME_KEYS if all(_number(row.get(key)) for row in rows)), None)
    quality_key = _quality_key(rows)
    if time_key is None or quality_key is None:
        return None
    reference = next((row for row in rows if "trained" in _setting(row)), rows[0])
    base_time, base_quality = _number(reference[time_key]), _number(reference[quality_key])
    return [SettingVerdict(_display_name(row), "as trained" if row is reference else
                           f"{_speed(_number(row[time_key]) / base_time)}, "
                           f"{_quality(_number(row[quality_key]) / base_quality)}{_class_fidelity(row, reference)}")
            for row in rows]


def sampler_in_words(entry: ModelEntry, sampler: str, steps: int) -> str:
    """What the card measured of generating with `sampler` and `steps` against the recommended
    setting (its `sampler_quality`): "worse images than the recommended dpmpp-2m-sde 20 (FD 7.18
    against 3.67), 2.5× its network calls"; for the recommended setting, any measured one that
    made better images; for a setting the table lacks, which ones it holds. More steps are not
    always better (the narrow fashion's 50 were worse than its 20), which only a measurement can tell the
    user. "" where the card has no such table or it lacks the recommended setting."""
    rows = tradeoff_rows(entry, SAMPLER_TABLE)
    recommended = entry.spec.recommended_sampler()
    by_setting = {(row.get("sampler"), row.get("steps")): row for row in rows or []}
    reference = by_setting.get(recommended)
    quality_key = _quality_key(rows) if reference else None
    if quality_key is None:
        return ""
    base = _number(reference[quality_key])
    row = by_setting.get((sampler, steps))
    if row is None:
        measured = ", ".join(f"{name} {count}" for name, count in by_setting)
        return f"Not measured at this setting; measured on this model: {measured}."
    if row is reference:
        better = [f"{name} {count} (FD {_number(other[quality_key]):.2f}, {count / steps:.2g}× the calls)"
                  for (name, count), other in by_setting.items() if _number(other[quality_key]) / base <= BETTER]
        others = f"better images measured with {', '.join(better)}" if better else \
            "no other setting measured made better images"
        return f"Recommended: FD {base:.2f} on {SAMPLE_COUNT_WORDS}; {others}."
    fd = _number(row[quality_key])
    calls = steps / recommended[1]
    cost = "as many network calls" if calls == 1 else f"{calls:.2g}× its network calls"
    return (f"Measured: {_compared(fd / base)} the recommended {recommended[0]} {recommended[1]} (FD {fd:.2f} "
            f"against {base:.2f}), {cost}{_class_fidelity(row, reference)}.")


def _class_fidelity(row: dict[str, Any], reference: dict[str, Any]) -> str:
    """", fewer in the class asked for (90% against 98%)" where the row's share of images in the
    asked class (its last "in class" column, the larger measurement) falls CLASS_DROP below the
    reference's; "" where it does not or either lacks it."""
    key = next((k for k in reversed(list(row)) if k.lower().startswith(CLASS_PREFIX)), None)
    share, base = _number(row.get(key)) if key else None, _number(reference.get(key)) if key else None
    if share is None or base is None or share >= base - CLASS_DROP:
        return ""
    return f", fewer in the class asked for ({share:.0%} against {base:.0%})"


def _quality_key(rows: list[dict[str, Any]]) -> str | None:
    """The distance column measured on every row; of several (FD on 200 and on 5,000 images),
    the last, which cards write for the larger, steadier measurement."""
    keys = [key for key in rows[0] if key.lower().startswith(QUALITY_PREFIXES)]
    complete = [key for key in keys if all(_number(row.get(key)) for row in rows)]
    return complete[-1] if complete else None


def _setting(row: dict[str, Any]) -> str:
    """The row's setting as the card names it; a "method" column is completed by its "steps"."""
    key = next(key for key in SETTING_KEYS if key in row)
    return f"{row[key]} x{row['steps']}" if key == "method" and "steps" in row else str(row[key])


def _display_name(row: dict[str, Any]) -> str:
    """"midpoint x1 (trained)" as the dial writes it: "midpoint × 1"; a schedule's "t>=950" as
    "t ≥ 950"."""
    name = re.sub(r"\s*\(trained\)", "", _setting(row))
    name = re.sub(r"t\s*>=\s*(\d+)", r"t ≥ \1", re.sub(r"t\s*=\s*(\d+)", r"t = \1", name))
    return re.sub(r"\s+x(\d+)\b", r" × \1", name)


def _speed(ratio: float) -> str:
    if ratio < 1 - SAME_SPEED:
        return f"{1 / ratio:.1f}× faster"
    if ratio > 1 + SAME_SPEED:
        return f"{ratio:.1f}× slower"
    return "same speed"


def _quality(ratio: float) -> str:
    if ratio <= BETTER:
        return "better images"
    if ratio < SAME:
        return "about as good"
    return "worse images" if ratio < WORSE else "much worse images"


def _compared(ratio: float) -> str:
    """`_quality`'s verdict as a comparison: "worse images than", "images about as good as"."""
    return "images about as good as" if BETTER < ratio < SAME else f"{_quality(ratio)} than"


def _number(value: Any) -> float | None:
    """A positive measurement, or None (missing, text, zero)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None
