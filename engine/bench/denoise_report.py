"""Results of `engine bench denoise`: the records, their JSON form, merging runs, and the
markdown table that docs/benchmarks.md shows.

A report's `settings` fix what makes numbers comparable (held-out photos, crop, noise seed)
and what was measured (input kinds, sigmas and the noise conditions they gave); `runs` say how
each part was measured (methods, threads, model, strength, device). Reports with the same
photos, crop and seed merge, so the model's rows can be measured later and added to saved
classical results with the same noise.

Files written before input kinds existed had white Gaussian noise only, keyed by sigma; they are
read as the "gaussian" kind's conditions ("gaussian 25"), whose noise is the same, so they merge
with new runs.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.bench.noise_conditions import KIND_TITLES, NoiseCondition, conditions_for, ordered_kinds
from engine.errors import ConfigError

SANITY_MIN_PSNR = 40.0
COMPARABLE_SETTINGS = ("photos", "crop", "seed")


@dataclass(frozen=True)
class Score:
    """One method on one noisy photo. condition: the noise condition's name; parameter: the
    tuned value used, if the method has one."""

    method: str
    condition: str
    photo: str
    psnr: float
    ssim: float | None
    seconds: float
    cpu_seconds: float
    megapixels: float
    parameter: float | None = None


@dataclass(frozen=True)
class SanityScore:
    """The model on a clean photo with its own noise estimate (`estimated_sigma`, 0-255)."""

    photo: str
    estimated_sigma: float
    psnr: float

    @property
    def passed(self) -> bool:
        return self.psnr > SANITY_MIN_PSNR


@dataclass(frozen=True)
class TuningRecord:
    """Values picked for one method per noise condition (name): its parameter (`values`) and the
    σ it runs at where the noise has no true one (`sigmas`); and the training photos they were
    picked on."""

    values: dict[str, float]
    photos: list[str]
    crop: int
    sigmas: dict[str, float] = field(default_factory=dict)


@dataclass
class DenoiseBenchReport:
    """settings: photos (names), crop, seed, kinds, sigmas, conditions (names). runs: one dict per
    measuring run. labels: method name -> table label. tuned: method name -> TuningRecord."""

    settings: dict
    runs: list[dict]
    labels: dict[str, str]
    scores: list[Score]
    tuned: dict[str, TuningRecord] = field(default_factory=dict)
    sanity: list[SanityScore] = field(default_factory=list)

    def summary(self) -> list[dict]:
        """Per method and condition: mean PSNR and SSIM over photos, and seconds per megapixel."""
        rows = []
        for method in self.methods():
            for condition in self.conditions():
                group = [s for s in self.scores if s.method == method and s.condition == condition.name]
                if group:
                    rows.append({"method": method, "condition": condition.name, "kind": condition.kind,
                                 "psnr": _mean([s.psnr for s in group]), "ssim": _mean([s.ssim for s in group]),
                                 "seconds_per_megapixel": _per_mp(group),
                                 "cpu_seconds_per_megapixel": _per_mp(group, cpu=True), "photos": len(group)})
        return rows

    def methods(self) -> list[str]:
        return list(dict.fromkeys(s.method for s in self.scores))

    def conditions(self) -> list[NoiseCondition]:
        """The conditions measured, in table order."""
        return _conditions(self.settings["kinds"], self.settings["sigmas"], self.settings["conditions"])

    def to_json(self) -> dict:
        return {
            "benchmark": "denoise",
            "settings": self.settings,
            "runs": self.runs,
            "labels": self.labels,
            "tuned": {name: asdict(t) for name, t in self.tuned.items()},
            "summary": self.summary(),
            "scores": [asdict(s) for s in self.scores],
            "sanity": [asdict(s) | {"passed": s.passed} for s in self.sanity],
        }

    @classmethod
    def from_json(cls, data: dict) -> DenoiseBenchReport:
        if data.get("benchmark") != "denoise":
            raise ConfigError("not a result file of `engine bench denoise`")
        if "conditions" not in data["settings"]:
            data = _from_sigmas(data)
        tuned = {name: TuningRecord(**t) for name, t in data["tuned"].items()}
        sanity = [SanityScore(s["photo"], s["estimated_sigma"], s["psnr"]) for s in data["sanity"]]
        return cls(data["settings"], data["runs"], data["labels"], [Score(**s) for s in data["scores"]], tuned, sanity)

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", "utf-8")

    @classmethod
    def read_json(cls, path: Path) -> DenoiseBenchReport:
        try:
            return cls.from_json(json.loads(path.read_text("utf-8")))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ConfigError(f"{path}: not a valid denoise benchmark result ({error})") from None


def _from_sigmas(data: dict) -> dict:
    """A result file from before input kinds (scores and tuned values keyed by sigma) as one of
    the "gaussian" kind, whose noise it had."""
    sigmas = data["settings"]["sigmas"]
    name = {float(sigma): condition.name for sigma, condition in zip(sigmas, conditions_for(["gaussian"], sigmas))}
    scores = [{k: v for k, v in s.items() if k != "sigma"} | {"condition": name[float(s["sigma"])]}
              for s in data["scores"]]
    tuned = {method: t | {"values": {name[float(s)]: v for s, v in t["values"].items()}}
             for method, t in data["tuned"].items()}
    settings = data["settings"] | {"kinds": ["gaussian"], "conditions": list(name.values())}
    return data | {"settings": settings, "scores": scores, "tuned": tuned}


def _conditions(kinds: list[str], sigmas: list[float], names: list[str]) -> list[NoiseCondition]:
    """The conditions called `names` among those of `kinds` and `sigmas`, in `conditions_for`'s order."""
    return [condition for condition in conditions_for(kinds, sigmas) if condition.name in names]


def check_comparable(settings: dict, other: dict) -> None:
    """Raise ConfigError unless two reports' settings share photos, crop and noise seed."""
    for key in COMPARABLE_SETTINGS:
        if other[key] != settings[key]:
            raise ConfigError(f"these results are not comparable: their {key} differ ({settings[key]} and {other[key]})")


def merge_reports(reports: list[DenoiseBenchReport]) -> DenoiseBenchReport:
    """One report from runs on the same photos, crop and seed; a method may appear in several
    only under different noise conditions (e.g. saved Gaussian results and a run on camera noise).
    Each photo keeps the sanity check of the last run that made one (the model as it is now)."""
    first = reports[0]
    for other in reports[1:]:
        check_comparable(first.settings, other.settings)
    measured = Counter(pair for r in reports for pair in dict.fromkeys((s.method, s.condition) for s in r.scores))
    repeated = [pair for pair, count in measured.items() if count > 1]
    if repeated:
        method, condition = repeated[0]
        raise ConfigError(f"{method} under {condition} appears in more than one of these results")
    tuned: dict[str, TuningRecord] = {}
    for name, record in ((k, v) for r in reports for k, v in r.tuned.items()):
        tuned[name] = _merged_tuning(name, tuned[name], record) if name in tuned else record
    kinds = ordered_kinds([kind for r in reports for kind in r.settings["kinds"]])
    sigmas = sorted({s for r in reports for s in r.settings["sigmas"]})
    names = {name for r in reports for name in r.settings["conditions"]}
    conditions = [c.name for c in _conditions(kinds, sigmas, names)]
    return DenoiseBenchReport(
        settings=first.settings | {"kinds": kinds, "sigmas": sigmas, "conditions": conditions},
        runs=[run for r in reports for run in r.runs],
        labels={k: v for r in reports for k, v in r.labels.items()},
        scores=[s for r in reports for s in r.scores],
        tuned=tuned,
        sanity=list({s.photo: s for r in reports for s in r.sanity}.values()),
    )


def _merged_tuning(method: str, first: TuningRecord, second: TuningRecord) -> TuningRecord:
    """One method's values tuned in two runs (under different conditions), which must have used
    the same training photos and crop."""
    if (first.photos, first.crop) != (second.photos, second.crop):
        raise ConfigError(f"{method} was tuned on different training photos or crops in these results")
    return TuningRecord(first.values | second.values, first.photos, first.crop, first.sigmas | second.sigmas)


def markdown_table(report: DenoiseBenchReport) -> str:
    """Per input kind, a table of mean PSNR (dB) / SSIM per method and noise condition, with
    wall-clock and CPU seconds per megapixel over that kind; then the tuned values and the sanity
    check, as markdown."""
    conditions = report.conditions()
    summary = {(r["method"], r["condition"]): r for r in report.summary()}
    blocks = [_kind_table(report, summary, kind, [c for c in conditions if c.kind == kind])
              for kind in dict.fromkeys(c.kind for c in conditions)]
    for name, tuning in report.tuned.items():
        for what, values in (("parameter", tuning.values), ("σ", tuning.sigmas)):
            if values:
                picked = ", ".join(f"{condition}: {value:g}" for condition, value in values.items())
                blocks.append(f"{name} {what} picked on {len(tuning.photos)} training photos "
                              f"(center {tuning.crop} px crops): {picked}")
    if report.sanity:
        lines = [_row(["photo (clean, no noise added)", "estimated σ", "PSNR vs itself (dB)",
                       f"> {SANITY_MIN_PSNR:g} dB"]), _row(["---", "---:", "---:", "---"])]
        lines += [_row([s.photo, f"{s.estimated_sigma:.2f}", f"{s.psnr:.2f}", "yes" if s.passed else "**no**"])
                  for s in report.sanity]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _kind_table(report: DenoiseBenchReport, summary: dict[tuple[str, str], dict], kind: str,
                conditions: list[NoiseCondition]) -> str:
    """The heading and table of one input kind: a row per method measured under it. `summary`:
    the report's summary rows by (method, condition)."""
    header = ["method"] + [f"{c.name} {m}" for c in conditions for m in ("PSNR", "SSIM")] + ["s / MP", "CPU s / MP"]
    lines = [f"**{kind}**: {KIND_TITLES[kind]}", "", _row(header), _row(["---"] + ["---:"] * (len(header) - 1))]
    names = {c.name for c in conditions}
    for method in report.methods():
        own = [s for s in report.scores if s.method == method and s.condition in names]
        if not own:
            continue
        cells = [report.labels.get(method, method)]
        for condition in conditions:
            row = summary.get((method, condition.name))
            cells += ["–", "–"] if row is None else [f"{row['psnr']:.2f}", _format(row["ssim"], ".4f")]
        cells += [f"{_per_mp(own):.3g}", f"{_per_mp(own, cpu=True):.3g}"]
        lines.append(_row(cells))
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _mean(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else float(np.mean(values))


def _per_mp(scores: list[Score], cpu: bool = False) -> float:
    """Seconds (wall-clock, or CPU with `cpu`) per megapixel over `scores`."""
    return sum(s.cpu_seconds if cpu else s.seconds for s in scores) / sum(s.megapixels for s in scores)


def _format(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)
