"""An `engine eval` of many images run in parts, by as many processes as there are free cores,
across sessions: each process takes the next part nobody has taken, samples it (`engine eval
--save-images`), and the one that finds every part done measures them as one run (`--from-images`).

    OMP_NUM_THREADS=1 python benchmarks/eval_parts.py runs/parts/rk4x2 -n 5000 --part 500 \
        --out benchmarks/results/fashion-wide16mix/dial-rk4x2.json -- \
        --model fashion --class random --solver rk4 --solver-steps 2 --batch 500 --threads 1

Start the same command once per free core, and again in a later session if one was stopped: a
part is taken by creating its claim file (`O_EXCL`, so two processes never take the same one);
a claim whose process is gone (a stopped session) is taken over, and a finished part is never
sampled again. The options after `--` are `engine eval`'s, less -n, --seed, --json and the part
options, which this script sets; the result is what `engine eval -n N --seed S --json` with them
writes (image i depends on its seed alone: engine/evaluation/image_parts.py).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.cli import eval_cmd
from engine.cli.main import main as engine_main

OWN_OPTIONS = {"count": "-n/--count", "seed": "--seed", "json": "--json", "save_images": "--save-images",
               "from_images": "--from-images"}  # engine eval's options this script sets, by argparse destination


def part_files(folder: Path, count: int, seed: int, size: int) -> list[tuple[Path, int, int]]:
    """(file, first seed, images) of each part: seeds seed to seed + count - 1 in runs of `size`."""
    firsts = range(seed, seed + count, size)
    sizes = [min(size, seed + count - first) for first in firsts]
    return [(folder / f"part-{first:09d}-{images}.npz", first, images) for first, images in zip(firsts, sizes)]


def claim(part: Path) -> bool:
    """Take `part` for this process: create its claim file naming us (`_process_id`), or take over
    one whose process is gone; False while another live process holds it."""
    claim_file = part.with_suffix(".claim")
    for _ in range(2):
        try:
            descriptor = os.open(claim_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if _holder_alive(claim_file):
                return False
            claim_file.unlink(missing_ok=True)  # a stopped process's claim
            continue
        with os.fdopen(descriptor, "w") as handle:
            handle.write(_process_id(os.getpid()))
        return True
    return False


def _process_id(pid: int) -> str:
    """"PID START": the pid and, where /proc tells it, when the process started, so that a claim
    left by a stopped session is not mistaken for a later process given the same pid; "" for a
    process that is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ""
    except PermissionError:
        pass
    try:  # field 22 of /proc/PID/stat, after the parenthesised command name, which may hold spaces
        start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        start = "?"
    return f"{pid} {start}"


def _holder_alive(claim_file: Path) -> bool:
    try:
        text = claim_file.read_text().strip()
        pid = int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return pid > 0 and _process_id(pid) == text


def eval_json(arguments: list[str]) -> str:
    """What `engine eval ARGUMENTS` prints on stdout; SystemExit with its code if it fails."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = engine_main(["eval", *arguments])
    if code != 0:
        raise SystemExit(code)
    return output.getvalue()


def run(folder: Path, count: int, seed: int, size: int, out: Path, options: list[str]) -> str:
    """Sample every part no other process holds, then measure them all if they are done; says what it did."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = part_files(folder, count, seed, size)
    for path, first, images in parts:
        if path.exists() or not claim(path):
            continue
        try:
            report = eval_json([*options, "-n", str(images), "--seed", str(first), "--json",
                                "--save-images", str(path)])
            atomic_write_text(path.with_suffix(".json"), report)
        finally:
            path.with_suffix(".claim").unlink(missing_ok=True)
    waiting = [path.name for path, _, _ in parts if not path.exists()]
    if waiting:
        return f"{len(waiting)} of {len(parts)} parts are still being sampled elsewhere: {', '.join(waiting)}"
    atomic_write_text(out, eval_json([*options, "-n", str(count), "--seed", str(seed), "--json", "--from-images",
                                      *(str(path) for path, _, _ in parts)]))
    return f"measured {len(parts)} parts as one run of {count} images: {out}"


def own_options_given(options: list[str]) -> list[str]:
    """The options among `options` that this script sets, as `engine eval` itself reads them (so `-n5`,
    `--count=5` and an abbreviation such as `--see 3` are caught); exits on options engine eval would
    refuse (a missing --model, an unknown option), before any sampling."""
    subparsers = argparse.ArgumentParser(prog="engine").add_subparsers()
    eval_cmd.register(subparsers)
    parser = subparsers.choices["eval"]
    unset = object()  # argparse leaves an attribute the namespace already has alone unless the option is given
    parsed = parser.parse_args(options, argparse.Namespace(**{dest: unset for dest in OWN_OPTIONS}))
    return [name for dest, name in OWN_OPTIONS.items() if getattr(parsed, dest) is not unset]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where the parts are kept (one folder per measurement)")
    parser.add_argument("-n", "--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", type=int, default=500, help="images per part (default 500)")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file of the whole run")
    args = parser.parse_args(argv[:split])
    options = argv[split + 1:]
    own = own_options_given(options)
    if own:
        parser.error(f"{', '.join(own)}: set by this script, not given after --")
    if args.count < 2 or args.part < 2 or args.count % args.part == 1:
        parser.error("-n, --part and the last part (-n modulo --part) must be at least 2 images (an FD compares "
                     "covariances)")
    print(run(args.folder, args.count, args.seed, args.part, args.out, options))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
