"""Results of `engine bench denoise`: the records, their JSON form, merging runs, and the
markdown table that docs/benchmarks.md shows.

A report's `settings` fix what makes numbers comparable (held-out photos, crop, noise seed,
sigmas); `runs` say how each part was measured (methods, threads, model, strength, device).
Reports with the same settings merge, so the model's rows can be measured later and added to
saved classical results with the same noise.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import ConfigError

SANITY_MIN_PSNR = 40.0
COMPARABLE_SETTINGS = ("photos", "crop", "seed")


@dataclass(frozen=True)
class Score:
    """One method on one noisy photo. parameter: the tuned value used, if the method has one."""

    method: str
    sigma: float
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
    """Values picked per sigma for one method, and the training photos they were picked on."""

    values: dict[float, float]
    photos: list[str]
    crop: int


@dataclass
class DenoiseBenchReport:
    """settings: photos (names), crop, seed, sigmas. runs: one dict per measuring run. labels:
    method name -> table label. tuned: method name -> TuningRecord."""

    settings: dict
    runs: list[dict]
    labels: dict[str, str]
    scores: list[Score]
    tuned: dict[str, TuningRecord] = field(default_factory=dict)
    sanity: list[SanityScore] = field(default_factory=list)

    def summary(self) -> list[dict]:
        """Per method and sigma: mean PSNR and SSIM over photos, and seconds per megapixel."""
        rows = []
        for method in self.methods():
            for sigma in self.settings["sigmas"]:
                group = [s for s in self.scores if s.method == method and s.sigma == sigma]
                if group:
                    rows.append({"method": method, "sigma": sigma, "psnr": _mean([s.psnr for s in group]),
                                 "ssim": _mean([s.ssim for s in group]), "seconds_per_megapixel": _per_mp(group),
                                 "cpu_seconds_per_megapixel": _per_mp(group, cpu=True), "photos": len(group)})
        return rows

    def methods(self) -> list[str]:
        return list(dict.fromkeys(s.method for s in self.scores))

    def to_json(self) -> dict:
        return {
            "benchmark": "denoise",
            "settings": self.settings,
            "runs": self.runs,
            "labels": self.labels,
            "tuned": {name: {"values": {_key(s): v for s, v in t.values.items()}, "photos": t.photos, "crop": t.crop}
                      for name, t in self.tuned.items()},
            "summary": self.summary(),
            "scores": [asdict(s) for s in self.scores],
            "sanity": [asdict(s) | {"passed": s.passed} for s in self.sanity],
        }

    @classmethod
    def from_json(cls, data: dict) -> DenoiseBenchReport:
        if data.get("benchmark") != "denoise":
            raise ConfigError("not a result file of `engine bench denoise`")
        tuned = {name: TuningRecord({float(s): v for s, v in t["values"].items()}, t["photos"], t["crop"])
                 for name, t in data["tuned"].items()}
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


def check_comparable(settings: dict, other: dict) -> None:
    """Raise ConfigError unless two reports' settings share photos, crop and noise seed."""
    for key in COMPARABLE_SETTINGS:
        if other[key] != settings[key]:
            raise ConfigError(f"these results are not comparable: their {key} differ ({settings[key]} and {other[key]})")


def merge_reports(reports: list[DenoiseBenchReport]) -> DenoiseBenchReport:
    """One report from runs on the same photos, crop and seed; a method may appear in one only.
    Each photo keeps the sanity check of the last run that made one (the model as it is now)."""
    first = reports[0]
    for other in reports[1:]:
        check_comparable(first.settings, other.settings)
    methods = [m for r in reports for m in r.methods()]
    if len(methods) != len(set(methods)):
        raise ConfigError("a method appears in more than one of these results")
    sigmas = sorted({s for r in reports for s in r.settings["sigmas"]})
    return DenoiseBenchReport(
        settings=first.settings | {"sigmas": sigmas},
        runs=[run for r in reports for run in r.runs],
        labels={k: v for r in reports for k, v in r.labels.items()},
        scores=[s for r in reports for s in r.scores],
        tuned={k: v for r in reports for k, v in r.tuned.items()},
        sanity=list({s.photo: s for r in reports for s in r.sanity}.values()),
    )


def markdown_table(report: DenoiseBenchReport) -> str:
    """Mean PSNR (dB) / SSIM per method and sigma, wall-clock and CPU seconds per megapixel, tuned
    values and the sanity check, as markdown."""
    sigmas = report.settings["sigmas"]
    rows = {(r["method"], r["sigma"]): r for r in report.summary()}
    header = ["method"] + [f"σ {s:g} {m}" for s in sigmas for m in ("PSNR", "SSIM")] + ["s / MP", "CPU s / MP"]
    lines = [_row(header), _row(["---"] + ["---:"] * (len(header) - 1))]
    for method in report.methods():
        cells = [report.labels.get(method, method)]
        for sigma in sigmas:
            row = rows.get((method, sigma))
            cells += ["–", "–"] if row is None else [f"{row['psnr']:.2f}", _format(row["ssim"], ".4f")]
        own = [s for s in report.scores if s.method == method]
        cells += [f"{_per_mp(own):.3g}", f"{_per_mp(own, cpu=True):.3g}"]
        lines.append(_row(cells))
    for name, tuning in report.tuned.items():
        values = ", ".join(f"σ {s:g}: {v:g}" for s, v in sorted(tuning.values.items()))
        lines.append(f"\n{name} parameter picked on {len(tuning.photos)} training photos "
                     f"(center {tuning.crop} px crops): {values}")
    if report.sanity:
        lines += ["", _row(["photo (clean, no noise added)", "estimated σ", "PSNR vs itself (dB)",
                            f"> {SANITY_MIN_PSNR:g} dB"]), _row(["---", "---:", "---:", "---"])]
        lines += [_row([s.photo, f"{s.estimated_sigma:.2f}", f"{s.psnr:.2f}", "yes" if s.passed else "**no**"])
                  for s in report.sanity]
    return "\n".join(lines) + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _mean(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else float(np.mean(values))


def _per_mp(scores: list[Score], cpu: bool = False) -> float:
    """Seconds (wall-clock, or CPU with `cpu`) per megapixel over `scores`."""
    return sum(s.cpu_seconds if cpu else s.seconds for s in scores) / sum(s.megapixels for s in scores)


def _format(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _key(sigma: float) -> str:
    return f"{sigma:g}"
