"""benchmarks/solver_disagreement.py on a tiny conditional cUNet: the trained solver agrees with
itself exactly, another solver does not, at every step asked for."""

import json

from bench.conftest import load_benchmark_script
from helpers import save_tiny_model, two_level_npz

script = load_benchmark_script("solver_disagreement")


def test_each_solver_is_compared_with_the_trained_one_at_every_step(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "model", class_names=("dark", "light"))
    data = two_level_npz(tmp_path / "data.npz", count=16)
    out = tmp_path / "rows.json"
    script.main([str(model), "--data", str(data), "--count", "8", "--steps", "700,20",
                 "--solvers", "midpoint:1,euler:1,rk4:2", "--out", str(out)])
    (result,) = json.loads(out.read_text())
    assert result["trained_solver"] == "midpoint:1" and list(result["by_step"]) == ["700", "20"]
    for row in result["by_step"].values():
        assert row["midpoint:1"] == 0  # the trained solver against itself
        assert row["euler:1"] > 0 and row["rk4:2"] > 0 and row["trained vs true noise"] > 0
    assert "t =  700: midpoint:1 0.00e+00, euler:1" in capsys.readouterr().out
