"""Entry point of the `engine` command: parse, dispatch, and turn EngineErrors into one line."""

from __future__ import annotations

import argparse
import sys

from engine import __version__
from engine.cli.common import EXIT_CANCELLED, EXIT_USER_ERROR
from engine.device import is_out_of_memory
from engine.errors import Cancelled, EngineError


def build_parser() -> argparse.ArgumentParser:
    from engine.cli import bench_cmd, denoise_cmd, eval_cmd, models_cmd, sample_cmd, train_cmd

    parser = argparse.ArgumentParser(prog="engine", description="cUNet Studio engine: sample, train, denoise, bench")
    parser.add_argument("--version", action="version", version=f"%(prog)s (cUNet Studio) {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in (sample_cmd, train_cmd, denoise_cmd, bench_cmd, eval_cmd, models_cmd):
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    _print_any_file_name()
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except Cancelled as error:
        print(f"cancelled: {error}", file=sys.stderr)
        return EXIT_CANCELLED
    except EngineError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (MemoryError, RuntimeError) as error:
        if not is_out_of_memory(error):
            raise
        print("error: out of memory; try a smaller batch, image or tile size", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_CANCELLED


def _print_any_file_name() -> None:
    """File names need not be valid in the terminal's encoding (a Latin-1 name from an old camera
    card is not UTF-8): print them escaped instead of failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
