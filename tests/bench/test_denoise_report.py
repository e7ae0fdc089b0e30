"""Results of `engine bench denoise`: JSON round trip, merging runs, and the markdown table."""

import pytest

from engine.bench.denoise_report import DenoiseBenchReport, SanityScore, Score, TuningRecord, markdown_table, merge_reports
from engine.errors import ConfigError

SETTINGS = {"photos": ["a.png", "b.png"], "crop": 64, "seed": 0, "sigmas": [15.0, 50.0]}


def report(method: str, ssim: float | None = 0.5, sigmas=(15.0, 50.0), **settings) -> DenoiseBenchReport:
    scores = [Score(method, sigma, photo, psnr=30.0 - sigma / 10 + index, ssim=ssim, seconds=2.0, cpu_seconds=1.0,
                    megapixels=0.5,
                    parameter=0.1 if method == "tv" else None)
              for sigma in sigmas for index, photo in enumerate(SETTINGS["photos"])]
    return DenoiseBenchReport(SETTINGS | {"sigmas": list(sigmas)} | settings, [{"methods": [method]}],
                              {method: f"{method} label"}, scores)


def test_summary_averages_over_photos_and_counts_seconds_per_megapixel():
    rows = report("nlm").summary()
    assert [(r["method"], r["sigma"]) for r in rows] == [("nlm", 15.0), ("nlm", 50.0)]
    assert rows[0]["psnr"] == pytest.approx(29.0) and rows[0]["ssim"] == 0.5
    assert rows[0]["seconds_per_megapixel"] == pytest.approx(4.0) and rows[0]["photos"] == 2
    assert rows[0]["cpu_seconds_per_megapixel"] == pytest.approx(2.0)
    assert report("model", ssim=None).summary()[0]["ssim"] is None


def test_json_round_trip_keeps_everything(tmp_path):
    original = report("tv")
    original.tuned = {"tv": TuningRecord({15.0: 0.045, 50.0: 0.16}, ["c.png"], 256)}
    original.sanity = [SanityScore("a.png", 0.7, 48.5), SanityScore("b.png", 3.0, 39.0)]
    path = tmp_path / "out" / "results.json"
    original.write_json(path)
    loaded = DenoiseBenchReport.read_json(path)
    assert loaded == original
    assert [s["passed"] for s in loaded.to_json()["sanity"]] == [True, False]
    (tmp_path / "other.json").write_text('{"benchmark": "networks"}')
    with pytest.raises(ConfigError, match="not a result file"):
        DenoiseBenchReport.read_json(tmp_path / "other.json")


def test_merge_adds_rows_measured_later_on_the_same_noise():
    merged = merge_reports([report("bm3d"), report("model", sigmas=(25.0,))])
    assert merged.methods() == ["bm3d", "model"]
    assert merged.settings["sigmas"] == [15.0, 25.0, 50.0] and len(merged.runs) == 2
    with pytest.raises(ConfigError, match="crop differ"):
        merge_reports([report("bm3d"), report("model", crop=None)])
    with pytest.raises(ConfigError, match="more than one"):
        merge_reports([report("bm3d"), report("bm3d")])


def test_merge_keeps_one_sanity_check_per_photo_the_latest():
    first, second = report("model"), report("model-auto-x8")
    first.sanity = [SanityScore("a.png", 5.0, 39.0), SanityScore("b.png", 1.0, 50.0)]
    second.sanity = [SanityScore("a.png", 3.0, 44.0)]
    merged = merge_reports([first, second])
    assert [(s.photo, s.psnr) for s in merged.sanity] == [("a.png", 44.0), ("b.png", 50.0)]


def test_markdown_table_has_a_row_per_method_and_the_sanity_check():
    merged = merge_reports([report("tv"), report("model", ssim=None, sigmas=(15.0,))])
    merged.tuned = {"tv": TuningRecord({15.0: 0.045, 50.0: 0.16}, ["c.png", "d.png"], 256)}
    merged.sanity = [SanityScore("a.png", 0.74, 51.96), SanityScore("b.png", 5.0, 38.0)]
    lines = markdown_table(merged).splitlines()
    assert lines[0] == "| method | σ 15 PSNR | σ 15 SSIM | σ 50 PSNR | σ 50 SSIM | s / MP | CPU s / MP |"
    assert lines[2] == "| tv label | 29.00 | 0.5000 | 25.50 | 0.5000 | 4 | 2 |"
    assert lines[3] == "| model label | 29.00 | – | – | – | 4 | 2 |"
    assert "tv parameter picked on 2 training photos (center 256 px crops): σ 15: 0.045, σ 50: 0.16" in lines
    assert "| a.png | 0.74 | 51.96 | yes |" in lines and "| b.png | 5.00 | 38.00 | **no** |" in lines
