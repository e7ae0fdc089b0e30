"""Results of `engine bench denoise`: JSON round trip, result files from before input kinds,
merging runs, and the markdown tables (one per input kind)."""

import dataclasses
import json

import pytest

from bench.conftest import BENCHMARKS
from engine.bench.denoise_report import DenoiseBenchReport, SanityScore, Score, TuningRecord, markdown_table, merge_reports
from engine.bench.noise_conditions import conditions_for
from engine.errors import ConfigError

PHOTOS = ["a.png", "b.png"]


def report(
    method: str, ssim: float | None = 0.5, sigmas=(15.0, 50.0), kinds=("gaussian",), **settings
) -> DenoiseBenchReport:
    """`method` on both photos under the conditions of `kinds` and `sigmas`: PSNR 30 - σ / 10 +
    the photo's index for Gaussian conditions, 20 + index for camera ones."""
    conditions = conditions_for(list(kinds), list(sigmas))
    scores = [Score(method, c.name, photo, psnr=(20.0 if c.sigma is None else 30.0 - c.sigma / 10) + index,
                    ssim=ssim, seconds=2.0, cpu_seconds=1.0, megapixels=0.5, parameter=0.1 if method == "tv" else None)
              for c in conditions for index, photo in enumerate(PHOTOS)]
    run_settings = {"photos": PHOTOS, "crop": 64, "seed": 0, "kinds": list(kinds), "sigmas": list(sigmas),
                    "conditions": [c.name for c in conditions]}
    return DenoiseBenchReport(run_settings | settings, [{"methods": [method]}], {method: f"{method} label"}, scores)


def legacy_file(method: str, sigmas=(15.0, 50.0)) -> dict:
    """A result file as `engine bench denoise` wrote it before input kinds: keyed by sigma."""
    return {
        "benchmark": "denoise",
        "settings": {"photos": PHOTOS, "crop": 64, "seed": 0, "sigmas": list(sigmas)},
        "runs": [{"methods": [method]}],
        "labels": {method: f"{method} label"},
        "tuned": {"tv": {"values": {f"{s:g}": 0.01 * s for s in sigmas}, "photos": ["c.png"], "crop": 256}},
        "summary": [],
        "scores": [{"method": method, "sigma": s, "photo": photo, "psnr": 30.0 - s / 10, "ssim": 0.5, "seconds": 2.0,
                    "cpu_seconds": 1.0, "megapixels": 0.5, "parameter": 0.01 * s} for s in sigmas for photo in PHOTOS],
        "sanity": [{"photo": "a.png", "estimated_sigma": 0.7, "psnr": 50.0, "passed": True}],
    }


def test_summary_averages_over_photos_and_counts_seconds_per_megapixel():
    rows = report("nlm", kinds=("gaussian", "camera-png")).summary()
    assert [(r["method"], r["condition"], r["kind"]) for r in rows] == [
        ("nlm", "gaussian 15", "gaussian"), ("nlm", "gaussian 50", "gaussian"),
        ("nlm", "camera low, png", "camera-png"), ("nlm", "camera high, png", "camera-png")]
    assert rows[0]["psnr"] == pytest.approx(29.0) and rows[0]["ssim"] == 0.5 and rows[2]["psnr"] == pytest.approx(20.5)
    assert rows[0]["seconds_per_megapixel"] == pytest.approx(4.0) and rows[0]["photos"] == 2
    assert rows[0]["cpu_seconds_per_megapixel"] == pytest.approx(2.0)
    assert report("model", ssim=None).summary()[0]["ssim"] is None


def test_json_round_trip_keeps_everything(tmp_path):
    original = report("tv", kinds=("gaussian", "camera-jpeg"))
    original.tuned = {"tv": TuningRecord({"gaussian 15": 0.045, "camera low, jpeg 75": 0.16}, ["c.png"], 256),
                      "nlm": TuningRecord({}, ["c.png"], 256, {"camera low, jpeg 75": 20.0})}
    original.sanity = [SanityScore("a.png", 0.7, 48.5), SanityScore("b.png", 3.0, 39.0)]
    path = tmp_path / "out" / "results.json"
    original.write_json(path)
    loaded = DenoiseBenchReport.read_json(path)
    assert loaded == original
    assert [s["passed"] for s in loaded.to_json()["sanity"]] == [True, False]
    (tmp_path / "other.json").write_text('{"benchmark": "networks"}')
    with pytest.raises(ConfigError, match="not a result file"):
        DenoiseBenchReport.read_json(tmp_path / "other.json")


def test_result_files_from_before_input_kinds_are_read_as_the_gaussian_kind(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(legacy_file("tv")))
    old = DenoiseBenchReport.read_json(path)
    assert old.settings == {"photos": PHOTOS, "crop": 64, "seed": 0, "sigmas": [15.0, 50.0], "kinds": ["gaussian"],
                            "conditions": ["gaussian 15", "gaussian 50"]}
    assert [(s.condition, s.photo, s.parameter) for s in old.scores] == [
        ("gaussian 15", "a.png", 0.15), ("gaussian 15", "b.png", 0.15),
        ("gaussian 50", "a.png", 0.5), ("gaussian 50", "b.png", 0.5)]
    assert old.tuned["tv"] == TuningRecord({"gaussian 15": 0.15, "gaussian 50": 0.5}, ["c.png"], 256)
    assert [r["psnr"] for r in old.summary()] == [pytest.approx(28.5), pytest.approx(25.0)]
    merged = merge_reports([old, report("model", sigmas=(25.0,), kinds=("gaussian", "camera-png"))])
    assert merged.settings["conditions"] == ["gaussian 15", "gaussian 25", "gaussian 50", "camera low, png",
                                             "camera high, png"]
    assert merged.settings["kinds"] == ["gaussian", "camera-png"]


@pytest.mark.parametrize("name", ["denoise-classical.json", "denoise.json"])
def test_the_saved_results_still_read(name):
    saved = DenoiseBenchReport.read_json(BENCHMARKS / "results" / name)
    assert {row["condition"] for row in saved.summary()} == {"gaussian 15", "gaussian 25", "gaussian 50"}
    assert "gaussian" in markdown_table(saved)


def test_merge_adds_rows_measured_later_on_the_same_noise():
    merged = merge_reports([report("bm3d"), report("model", sigmas=(25.0,), kinds=("gaussian-8bit", "gaussian"))])
    assert merged.methods() == ["bm3d", "model"]
    assert merged.settings["sigmas"] == [15.0, 25.0, 50.0] and len(merged.runs) == 2
    assert merged.settings["conditions"] == ["gaussian 15", "gaussian 25", "gaussian 50", "gaussian 25, 8-bit"]
    with pytest.raises(ConfigError, match="crop differ"):
        merge_reports([report("bm3d"), report("model", crop=None)])
    with pytest.raises(ConfigError, match="bm3d under gaussian 15 appears in more than one"):
        merge_reports([report("bm3d"), report("bm3d", sigmas=(15.0, 25.0))])


def test_a_method_merges_with_itself_under_other_conditions_with_its_tuning():
    gaussian, camera = report("tv"), report("tv", kinds=("camera-png",))
    gaussian.tuned = {"tv": TuningRecord({"gaussian 15": 0.045, "gaussian 50": 0.16}, ["c.png"], 256)}
    camera.tuned = {"tv": TuningRecord({"camera low, png": 0.09, "camera high, png": 0.21}, ["c.png"], 256)}
    merged = merge_reports([gaussian, camera])
    assert merged.methods() == ["tv"] and len(merged.scores) == 8
    assert list(merged.tuned["tv"].values) == ["gaussian 15", "gaussian 50", "camera low, png", "camera high, png"]
    camera.tuned = {"tv": TuningRecord({"camera low, png": 0.09}, ["d.png"], 256)}
    with pytest.raises(ConfigError, match="tv was tuned on different training photos"):
        merge_reports([gaussian, camera])


def test_merge_keeps_one_sanity_check_per_photo_the_latest():
    first, second = report("model"), report("model-auto-x8")
    first.sanity = [SanityScore("a.png", 5.0, 39.0), SanityScore("b.png", 1.0, 50.0)]
    second.sanity = [SanityScore("a.png", 3.0, 44.0)]
    merged = merge_reports([first, second])
    assert [(s.photo, s.psnr) for s in merged.sanity] == [("a.png", 44.0), ("b.png", 50.0)]


def test_markdown_table_has_a_row_per_method_and_the_sanity_check():
    merged = merge_reports([report("tv"), report("model", ssim=None, sigmas=(15.0,))])
    merged.tuned = {"tv": TuningRecord({"gaussian 15": 0.045, "gaussian 50": 0.16}, ["c.png", "d.png"], 256)}
    merged.sanity = [SanityScore("a.png", 0.74, 51.96), SanityScore("b.png", 5.0, 38.0)]
    lines = markdown_table(merged).splitlines()
    assert lines[0].startswith("**gaussian**: white Gaussian noise, float")
    assert lines[2] == ("| method | gaussian 15 PSNR | gaussian 15 SSIM | gaussian 50 PSNR | gaussian 50 SSIM "
                        "| s / MP | CPU s / MP |")
    assert lines[4] == "| tv label | 29.00 | 0.5000 | 25.50 | 0.5000 | 4 | 2 |"
    assert lines[5] == "| model label | 29.00 | – | – | – | 4 | 2 |"
    assert ("tv parameter picked on 2 training photos (center 256 px crops): gaussian 15: 0.045, gaussian 50: 0.16"
            in lines)
    assert "| a.png | 0.74 | 51.96 | yes |" in lines and "| b.png | 5.00 | 38.00 | **no** |" in lines


def test_markdown_has_one_table_per_input_kind_with_its_own_timings():
    camera = report("nlm", kinds=("camera-png", "gaussian"))
    camera.scores = [s if s.condition.startswith("gaussian") else dataclasses.replace(s, seconds=6.0)
                     for s in camera.scores]
    merged = merge_reports([report("ffdnet"), camera])
    merged.tuned = {"nlm": TuningRecord({}, ["c.png"], 256, {"camera low, png": 10.0, "camera high, png": 25.0})}
    text = markdown_table(merged)
    sections = text.split("**")
    assert [sections[1], sections[3]] == ["gaussian", "camera-png"]
    gaussian, camera_table = sections[2], sections[4]
    assert "| method | camera low, png PSNR | camera low, png SSIM | camera high, png PSNR" in camera_table
    assert "ffdnet label" in gaussian and "ffdnet label" not in camera_table
    assert "| nlm label | 29.00 | 0.5000 | 25.50 | 0.5000 | 4 | 2 |" in gaussian
    assert "| nlm label | 20.50 | 0.5000 | 20.50 | 0.5000 | 12 | 2 |" in camera_table
    assert "nlm σ picked on 1 training photos (center 256 px crops): camera low, png: 10, camera high, png: 25" in text
