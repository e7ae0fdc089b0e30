import json

import pytest
from bench.conftest import load_benchmark_script
from PIL import Image


def _load_script():
    return load_benchmark_script("plot_dial")


def _row(sampler, steps, solver, seconds, fd):
    return {"sampler": sampler, "steps": steps, "solver": solver, "s/image": seconds, "fd": fd}


SWEEP = {"model": "digits", "count": 200, "trained_solver": {"method": "midpoint", "steps": 1},
         "rows": [_row("ddpm", 50, "midpoint x1", 0.29, 8.3), _row("ddim", 10, "midpoint x1", 0.06, 30.0),
                  _row("ddpm", 50, "euler x1", 0.21, 200.1), _row("ddpm", 50, "rk4 x2", 0.9, 12.0)]}


def test_dial_rows_are_the_rows_sampled_like_the_first():
    rows = _load_script().dial_rows(SWEEP)
    assert [r["solver"] for r in rows] == ["midpoint x1", "euler x1", "rk4 x2"]  # not the ddim 10 row


def test_plot_is_written_atomically_as_a_png(tmp_path):
    module = _load_script()
    out = tmp_path / "figures" / "dial.png"
    module.plot_dial([SWEEP, {**SWEEP, "model": "emoji"}], out)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 400 and image.height > 300
    assert [p.name for p in out.parent.iterdir()] == ["dial.png"]  # no temp file left behind


def test_a_sweep_without_dial_rows_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no dial rows"):
        _load_script().plot_dial([{**SWEEP, "rows": []}], tmp_path / "dial.png")
    assert not (tmp_path / "dial.png").exists()
