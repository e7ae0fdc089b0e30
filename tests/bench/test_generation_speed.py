"""benchmarks/generation_speed.py on tiny models: one row per model, the first the reference."""

from bench.conftest import load_benchmark_script
from helpers import save_tiny_model

speed = load_benchmark_script("generation_speed")


def test_each_model_is_timed_at_its_own_settings_against_the_first(tmp_path, capsys):
    plain = save_tiny_model(tmp_path / "plain")
    shapes = save_tiny_model(tmp_path / "shapes", class_names=("a", "b"), card={"recommended": {"steps": 3}})
    speed.main([str(plain), str(shapes), "--count", "2", "--rounds", "2", "--threads", "1"])
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["model", "parameters", "s/image", "(best)", "ratio"]
    assert [row.split()[0] for row in rows] == [str(plain), str(shapes)]
    assert rows[0].split()[-1] == "1.00" and all(float(row.split()[2]) > 0 for row in rows)
