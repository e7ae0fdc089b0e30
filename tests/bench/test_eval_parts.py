"""benchmarks/eval_parts.py: a measurement sampled in parts by several processes is the one run."""

import json
import os
import subprocess
import sys

import pytest
from bench.conftest import load_benchmark_script

from engine.cli.main import main as engine_main
from helpers import classifier_of, save_tiny_model, two_level_npz


@pytest.fixture
def options(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    classifier = classifier_of(two_level_npz(tmp_path / "data" / "d.npz", count=100))
    monkeypatch.setenv("CUNET_STUDIO_DATA", str(tmp_path / "data"))
    model = save_tiny_model(tmp_path / "tiny")
    return ["--model", str(model), "--steps", "2", "--classifier", str(classifier), "--batch", "1", "--device", "cpu"]


def test_the_parts_add_up_to_the_one_run_and_a_finished_part_is_not_sampled_again(tmp_path, options, capsys):
    script = load_benchmark_script("eval_parts")
    assert engine_main(["eval", *options, "-n", "11", "--seed", "4", "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    folder, out = tmp_path / "parts", tmp_path / "result.json"
    assert [(path.name, first, images) for path, first, images in script.part_files(folder, 11, 4, 4)] == [
        ("part-000000004-4.npz", 4, 4), ("part-000000008-4.npz", 8, 4), ("part-000000012-3.npz", 12, 3)]
    # Another live process holds the middle part: this one samples the others and leaves the measuring to it.
    folder.mkdir()
    (folder / "part-000000008-4.claim").write_text(script._process_id(os.getppid()))
    assert script.main([str(folder), "-n", "11", "--seed", "4", "--part", "4", "--out", str(out), "--", *options]) == 0
    assert "1 of 3 parts are still being sampled elsewhere: part-000000008-4.npz" in capsys.readouterr().out
    assert not out.exists() and (folder / "part-000000004-4.npz").exists()
    first_part_time = (folder / "part-000000004-4.npz").stat().st_mtime_ns
    # A live process given the pid of a stopped one, or that process gone: the claim is taken over.
    parent_pid = script._process_id(os.getppid()).split()[0]
    (folder / "part-000000008-4.claim").write_text(f"{parent_pid} 1")
    assert not script._holder_alive(folder / "part-000000008-4.claim")
    (folder / "part-000000008-4.claim").write_text(f"{_dead_pid()} 5")
    assert not script._holder_alive(folder / "part-000000008-4.claim")
    assert script.main([str(folder), "-n", "11", "--seed", "4", "--part", "4", "--out", str(out), "--", *options]) == 0
    assert "measured 3 parts as one run of 11 images" in capsys.readouterr().out
    assert (folder / "part-000000004-4.npz").stat().st_mtime_ns == first_part_time
    assert json.loads(out.read_text()) == whole
    assert not list(folder.glob("*.claim"))


def test_options_the_script_sets_are_refused_as_engine_eval_would_read_them(tmp_path, options, capsys):
    script = load_benchmark_script("eval_parts")
    assert script.own_options_given(options) == []
    for extra, named in ((["-n", "5"], "-n/--count"), (["-n5"], "-n/--count"), (["--count=5"], "-n/--count"),
                         (["--json"], "--json"), (["--seed=3"], "--seed"), (["--see", "3"], "--seed"),
                         (["--save-images", "x.npz"], "--save-images")):
        with pytest.raises(SystemExit):
            script.main([str(tmp_path / "p"), "--out", str(tmp_path / "r.json"), "--", *options, *extra])
        assert f"{named}: set by this script" in capsys.readouterr().err
    for refused_by_engine_eval in (options[2:], [*options, "--no-such-option"]):  # no --model; an unknown option
        with pytest.raises(SystemExit):
            script.main([str(tmp_path / "p"), "--out", str(tmp_path / "r.json"), "--", *refused_by_engine_eval])
    assert not (tmp_path / "p").exists()
    with pytest.raises(SystemExit):  # a last part of one image
        script.main([str(tmp_path / "p"), "-n", "9", "--part", "4", "--out", str(tmp_path / "r.json"), "--", *options])


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
