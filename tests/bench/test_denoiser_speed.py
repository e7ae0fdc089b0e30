"""benchmarks/denoiser_speed.py on tiny tiles: one row per candidate with its own parameter count."""

import argparse

import pytest
from bench.conftest import load_benchmark_script

speed = load_benchmark_script("denoiser_speed")


def test_each_candidate_is_the_denoise_preset_with_its_overrides_timed(capsys):
    speed.main(["--size", "32", "--rounds", "1", "--candidate", "v2={}",
                "--candidate", 'wide={"channel_mults": [6, 6, 12, 24]}'])
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["network", "parameters", "s", "/", "tile"]
    assert [row.split()[0] for row in rows] == ["v2", "wide"]
    assert [row.split()[1] for row in rows] == ["4,966,476", "5,272,524"]  # the docs' table
    assert all(float(row.split()[2]) > 0 for row in rows)


def test_a_candidate_is_a_name_and_a_json_object():
    assert speed.candidate('f96={"fine_blocks": 2}') == ("f96", {"fine_blocks": 2})
    assert speed.candidate("v2") == ("v2", {})
    for text in ("=", "x={", "x=[1]"):
        with pytest.raises(argparse.ArgumentTypeError):
            speed.candidate(text)
