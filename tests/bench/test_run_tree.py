"""benchmarks/run_tree.py: a script or module runs against the checkout it is given, not the
editable install's, so two commits can be timed against each other."""

import subprocess
import sys

from bench.conftest import BENCHMARKS


def run_tree(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCHMARKS / "run_tree.py"), *args], capture_output=True, text=True)


def test_the_given_tree_is_imported_before_the_installed_engine(tmp_path):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "__init__.py").write_text("TREE = 'other checkout'\n")
    (tmp_path / "engine" / "__main__.py").write_text("import sys, engine; print(engine.TREE, sys.argv[1:])\n")
    script = tmp_path / "which.py"
    script.write_text("import sys, engine; print(engine.TREE, sys.argv[1:])\n")
    assert run_tree(str(tmp_path), str(script), "--x").stdout.strip() == "other checkout ['--x']"
    assert run_tree(str(tmp_path), "-m", "engine", "bench").stdout.strip() == "other checkout ['bench']"


def test_a_folder_that_is_no_checkout_is_refused(tmp_path):
    result = run_tree(str(tmp_path), "x.py")
    assert result.returncode != 0 and "is not a checkout of this project" in result.stderr
