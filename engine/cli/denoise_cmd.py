"""`engine denoise`: denoise photos (files, or folders searched recursively), one output per input.

With --out every output goes into that folder under its input's file stem; without it, beside
its input with a suffix. Nothing is ever overwritten (-1, -2, ... is appended instead). A bad
file is reported in one line and the rest go on; the exit code is 2 if any file failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from engine.checkpoints import LoadedModel
from engine.cli.common import add_device_arguments, open_model
from engine.cli.main import EXIT_USER_ERROR
from engine.data.image_files import find_image_files
from engine.device import is_out_of_memory
from engine.denoise import (
    AUTO_OVERLAP_FRACTION,
    DENOISED_SUFFIX,
    ENSEMBLE_SIZES,
    DenoiseProgress,
    DenoiseSettings,
    denoise_photo,
    is_denoised_copy,
    output_path_for,
    read_photo,
    save_denoise_animation,
    unused_path,
    write_photo,
)
from engine.errors import Cancelled, EngineError, ModelLoadError

DEFAULT_MODEL = "photo-denoiser"
FORMAT_CHOICES = ("png", "jpeg", "webp", "tiff")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("denoise", help="remove noise from photos with a diffusion model")
    parser.add_argument("inputs", nargs="+", type=Path, metavar="FILE_OR_DIR",
                        help="photos, or folders searched recursively for images")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder; outputs keep their input's file stem (default: beside each input)")
    parser.add_argument("--sigma", type=float, default=None,
                        help="noise std in 0-255 units (default: estimated for each photo)")
    parser.add_argument("--strength", type=float, default=0.0,
                        help="0 = one-step estimate (fastest) .. 1 = full DDIM path in --steps steps (sharper, may invent "
                             "detail; --strength 1 --steps 3 scored a little higher at sigma 25)")
    parser.add_argument("--steps", type=int, default=10, help="DDIM steps at strength 1")
    parser.add_argument("--ensemble", type=int, choices=ENSEMBLE_SIZES, default=1,
                        help="denoise this many rotated/mirrored copies and average them (slower, a little cleaner)")
    parser.add_argument("--tile", type=int, default=None,
                        help="tile size in pixels (default: the model's training image size, 64 for photo-denoiser)")
    parser.add_argument("--overlap", type=int, default=None,
                        help=f"pixels shared by neighbouring tiles (default: {AUTO_OVERLAP_FRACTION:.0%} of the tile)")
    parser.add_argument("--suffix", default=None,
                        help=f"appended to output stems (default: none with --out, {DENOISED_SUFFIX!r} without)")
    parser.add_argument("--format", choices=FORMAT_CHOICES, default=None, help="output format (default: the input's)")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help="model name (see `engine models`), model/run folder or checkpoint")
    parser.add_argument("--trajectory", action="store_true",
                        help="also write <stem>-trajectory.gif (x_t and the predicted clean photo at every step)")
    add_device_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = DenoiseSettings(
        sigma=args.sigma, strength=args.strength, steps=args.steps, tile_size=args.tile,
        tile_overlap=args.overlap, keep_trajectory=args.trajectory, ensemble=args.ensemble,
    )
    suffix = args.suffix if args.suffix is not None else ("" if args.out is not None else DENOISED_SUFFIX)
    files, failures = _expand_inputs(args.inputs, args.out, suffix)
    model = open_denoiser(args)
    settings.tiling_for(model)  # a bad --overlap for the auto tile fails here, not once per photo
    done = 0
    for path in files:
        try:
            _denoise_file(model, path, settings, args, suffix)
            done += 1
        except Cancelled:
            raise
        except (EngineError, OSError) as error:
            failures += 1
            print(f"error: {path}: {_reason(error, path)}", file=sys.stderr)
        except (MemoryError, RuntimeError) as error:
            if not is_out_of_memory(error):
                raise
            failures += 1
            print(f"error: {path}: out of memory; try a smaller --tile", file=sys.stderr)
    print(f"denoised {done} of {len(files)} photos" + (f"; {failures} failed" if failures else ""))
    return EXIT_USER_ERROR if failures else 0


def _denoise_file(
    model: LoadedModel, path: Path, settings: DenoiseSettings, args: argparse.Namespace, suffix: str
) -> None:
    photo = read_photo(path)
    with tqdm(total=1, unit="tile-step", desc=path.name, leave=False) as bar:

        def on_progress(progress: DenoiseProgress) -> None:
            bar.total = progress.tiles * progress.steps
            bar.update(progress.fraction * bar.total - bar.n)

        result = denoise_photo(model, photo, settings, progress=on_progress, previews=False)
    target = write_photo(result.photo, output_path_for(path, args.out, suffix, args.format))
    for note in result.notes:
        print(f"note: {path}: {note}")
    if result.trajectory_x_t:
        save_denoise_animation(unused_path(target.parent, f"{target.stem}-trajectory", ".gif"), result)
    print(
        f"{path} -> {target} (noise {result.sigma:.1f}, start step {result.start_step}, "
        f"{result.steps_taken} steps, {result.tiles} tiles of {result.tile_size} px"
        + (f", {result.ensemble} copies averaged)" if result.ensemble > 1 else ")")
    )


def _expand_inputs(inputs: list[Path], out_dir: Path | None, suffix: str) -> tuple[list[Path], int]:
    """Image files named or found under the inputs, and the number of inputs that were reported as
    failures (missing, or folders without images). Folders skip earlier results: those inside
    `out_dir` and those named with `suffix` (said, so no photo goes missing silently)."""
    files: list[Path] = []
    failures = 0
    skip = out_dir.resolve() if out_dir is not None else None
    for item in inputs:
        if item.is_dir():
            images = [f for f in find_image_files(item) if skip is None or not f.resolve().is_relative_to(skip)]
            found = [f for f in images if not is_denoised_copy(f, suffix)]
            skipped = len(images) - len(found)
            if skipped:
                print(f"{item}: skipping {skipped} earlier result(s) named *{suffix}.*", file=sys.stderr)
            if not found:
                failures += 1
                what = "only earlier results" if skipped else "no images"
                print(f"error: {item}: {what} found in this folder", file=sys.stderr)
            files.extend(found)
        elif item.exists():
            files.append(item)
        else:
            failures += 1
            print(f"error: {item}: file not found", file=sys.stderr)
    return list(dict.fromkeys(files)), failures


def open_denoiser(args: argparse.Namespace) -> LoadedModel:
    """The model, with a clear hint while the bundled denoiser is not installed."""
    try:
        return open_model(args.model, args)
    except ModelLoadError as error:
        if args.model != DEFAULT_MODEL:
            raise
        raise ModelLoadError(
            f"the bundled denoising model {DEFAULT_MODEL!r} is not installed yet ({error}); "
            "pass --model with a model name, model folder or checkpoint"
        ) from None


def _reason(error: Exception, path: Path) -> str:
    """One line: an OS error about another file than the input (the output's folder) names it."""
    if isinstance(error, OSError) and error.strerror:
        other = error.filename is not None and os.fsdecode(error.filename) != str(path)
        return f"cannot write {os.fsdecode(error.filename)}: {error.strerror}" if other else error.strerror
    return str(error)
