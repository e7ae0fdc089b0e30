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


def _model_folder(tmp_path, table):
    folder = tmp_path / "digits"
    folder.mkdir()
    spec = {"network": {"solver": {"method": "midpoint", "steps": 1}},
            "card": {"recommended": {"sampler": "ddpm", "steps": 50}, "quality": {"generated": 5000},
                     "solver_tradeoff": table}}
    (folder / "model.json").write_text(json.dumps(spec))
    return folder


def test_a_model_folder_plots_its_cards_large_n_fd_with_the_sweeps_seconds(tmp_path):
    module = _load_script()
    folder = _model_folder(tmp_path, [
        {"solver": "euler x1", "FD": 200.1, "s/image": 0.35, "FD n=5000": 189.5},
        {"solver": "midpoint x1 (trained)", "FD": 8.3, "s/image": 0.51, "FD n=5000": 3.85},
    ])
    sweep = module.sweep_from_model(folder)
    assert (sweep["model"], sweep["count"], sweep["trained_solver"]["method"]) == ("digits", 5000, "midpoint")
    assert [(r["solver"], r["s/image"], r["fd"]) for r in module.dial_rows(sweep)] == [
        ("euler x1", 0.35, 189.5), ("midpoint x1", 0.51, 3.85)]
    module.plot_dial([sweep], tmp_path / "dial.png")
    assert (tmp_path / "dial.png").stat().st_size > 0


def test_a_card_missing_a_large_n_fd_is_refused_naming_the_row(tmp_path):
    folder = _model_folder(tmp_path, [
        {"solver": "midpoint x1 (trained)", "FD": 8.3, "s/image": 0.51, "FD n=5000": 3.85},
        {"solver": "rk4 x2", "FD": 94.7, "s/image": 0.96},
    ])
    with pytest.raises(ValueError, match="rk4 x2"):
        _load_script().sweep_from_model(folder)
