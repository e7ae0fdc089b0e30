"""Run a benchmark against another checkout of the code, with this project's environment.

    git worktree add /tmp/before COMMIT
    python benchmarks/run_tree.py /tmp/before -m engine bench --size 32 --batch 64 --threads 1
    python benchmarks/run_tree.py /tmp/before /tmp/before/benchmarks/denoiser_speed.py --size 384

Why: the project is installed editable, and the editable install's import hook finds `engine` in
the main checkout before anything on PYTHONPATH, so an older commit cannot be timed by pointing
PYTHONPATH at it. Alternating runs of two trees in one shell loop, on the same machine and load,
is how a change's speed was measured (docs/benchmarks.md, "Channels-last").
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

USAGE = "usage: run_tree.py TREE (-m MODULE | SCRIPT) [ARGS...]"


def main(argv: list[str]) -> None:
    if len(argv) < 2 or (argv[1] == "-m" and len(argv) < 3):
        sys.exit(USAGE)
    tree = Path(argv[0]).resolve()
    if not (tree / "engine" / "__init__.py").is_file():
        sys.exit(f"{tree} is not a checkout of this project (no engine/__init__.py)")
    sys.meta_path[:] = [finder for finder in sys.meta_path if "editable" not in repr(finder).lower()]
    sys.path.insert(0, str(tree))
    if argv[1] == "-m":
        sys.argv = [argv[2], *argv[3:]]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    else:
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_path(argv[1], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
