"""`engine denoise`: denoise photos (files, or folders searched recursively), one output per input.

Every output is named <stem>-denoised.<ext>, as the GUI names its copies, in --out or beside its
input; where that name is taken -2, -3, ... is appended (and said): nothing is ever overwritten.
The output folders are checked before any work (can be created, can be written, have about the
inputs' size free). A bad file is reported in one line and the rest go on; the exit code is 2 if
any file failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from engine.checkpoints import LoadedModel
from engine.cli.common import DEFAULT_DENOISER, EXIT_USER_ERROR, add_device_arguments, open_denoiser
from engine.data.image_files import PHOTO_EXTENSIONS, find_image_files
from engine.device import is_out_of_memory
from engine.denoise import (
    AUTO_OVERLAP_FRACTION,
    DEFAULT_JPEG_QUALITY,
    DENOISED_SUFFIX,
    ENSEMBLE_SIZES,
    JPEG_QUALITY_RANGE,
    PRECISIONS,
    DenoiseProgress,
    DenoiseSettings,
    check_jpeg_quality,
    denoise_photo,
    is_denoised_copy,
    preferred_output_path,
    read_photo,
    save_denoise_animation,
    unused_path,
    write_photo,
)
from engine.errors import Cancelled, EngineError
from engine.output_folder import check_output_folder

FORMAT_CHOICES = ("png", "jpeg", "webp", "tiff", "avif")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("denoise", help="remove noise from photos with a diffusion model")
    parser.add_argument("inputs", nargs="+", type=Path, metavar="FILE_OR_DIR",
                        help="photos, or folders searched recursively for images")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: beside each input); outputs are named <stem>{DENOISED_SUFFIX}.<ext>, "
                             "numbered -2, -3, ... where that exists")
    parser.add_argument("--sigma", type=float, default=None,
                        help="noise std in 0-255 units (default: estimated for each photo)")
    parser.add_argument("--strength", type=float, default=0.0,
                        help="0 = one-step estimate (fastest) .. 1 = full DDIM path in --steps steps (sharper, may invent "
                             "detail; --strength 1 --steps 3 scored a little higher at sigma 25)")
    parser.add_argument("--steps", type=int, default=10, help="DDIM steps at strength 1")
    parser.add_argument("--ensemble", type=int, choices=ENSEMBLE_SIZES, default=1,
                        help="denoise this many rotated/mirrored copies and average them (slower, a little cleaner)")
    parser.add_argument("--tile", type=int, default=None,
                        help="tile size in pixels (default: up to 512, fitted to the photo, for a network that sees only "
                             "nearby pixels, such as photo-denoiser; else the model's training image size, 64 for "
                             "photo-denoiser-v1)")
    parser.add_argument("--overlap", type=int, default=None,
                        help="pixels shared by neighbouring tiles "
                             f"(default: {AUTO_OVERLAP_FRACTION * 100:.0f}%% of the tile)")  # %%: argparse %-formats help
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="auto (default): bfloat16 where the model was checked in it and the device computes it "
                             "natively (about 1.5x faster), else float32")
    parser.add_argument("--suffix", default=DENOISED_SUFFIX, help=f"appended to output stems (default {DENOISED_SUFFIX})")
    parser.add_argument("--format", choices=FORMAT_CHOICES, default=None,
                        help="output format (default: the input's; HEIC becomes AVIF, camera RAW a 16-bit TIFF)")
    parser.add_argument("--jpeg-quality", type=int, default=DEFAULT_JPEG_QUALITY, metavar="Q",
                        help=f"quality of JPEG outputs, {JPEG_QUALITY_RANGE[0]}-{JPEG_QUALITY_RANGE[1]} "
                             f"(default {DEFAULT_JPEG_QUALITY}; colour is never subsampled)")
    parser.add_argument("--model", default=DEFAULT_DENOISER,
                        help="model name (see `engine models`), model/run folder or checkpoint")
    parser.add_argument("--trajectory", action="store_true",
                        help=f"also write <stem>{DENOISED_SUFFIX}-trajectory.gif (x_t and the predicted clean photo at every step)")
    add_device_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_jpeg_quality(args.jpeg_quality)
    settings = DenoiseSettings(
        sigma=args.sigma, strength=args.strength, steps=args.steps, tile_size=args.tile,
        tile_overlap=args.overlap, keep_trajectory=args.trajectory, ensemble=args.ensemble, precision=args.precision,
    )
    files, failures = _expand_inputs(args.inputs, args.out, args.suffix)
    total = len(files) + failures
    for folder, needed in _needed_space(files, args.out).items():
        check_output_folder(folder, needed)
    done = _denoise_all(files, settings, args) if files else 0
    failures += len(files) - done
    print(f"denoised {done} of {total} photos" + (f"; {failures} failed" if failures else ""))
    return EXIT_USER_ERROR if failures else 0


def _denoise_all(files: list[Path], settings: DenoiseSettings, args: argparse.Namespace) -> int:
    """Denoise every file; one that fails is reported in one line and the rest go on. Returns how
    many were written."""
    model = open_denoiser(args)
    settings.tiling_for(model)  # a bad --overlap for the auto tile fails here, not once per photo
    done = 0
    for path in files:
        try:
            _denoise_file(model, path, settings, args)
            done += 1
        except Cancelled:
            raise
        except (EngineError, OSError) as error:
            print(f"error: {path}: {_reason(error, path)}", file=sys.stderr)
        except (MemoryError, RuntimeError) as error:
            if not is_out_of_memory(error):
                raise
            print(f"error: {path}: out of memory; try a smaller --tile", file=sys.stderr)
    return done


def _denoise_file(model: LoadedModel, path: Path, settings: DenoiseSettings, args: argparse.Namespace) -> None:
    photo = read_photo(path)
    with tqdm(total=1, unit="tile-step", desc=path.name, leave=False) as bar:

        def on_progress(progress: DenoiseProgress) -> None:
            bar.total = progress.tiles * progress.steps
            bar.update(progress.fraction * bar.total - bar.n)

        result = denoise_photo(model, photo, settings, progress=on_progress, previews=False)
    wanted = preferred_output_path(path, args.out, args.suffix, args.format)
    target = write_photo(result.photo, unused_path(wanted, avoid=path), jpeg_quality=args.jpeg_quality)
    taken = [f"{wanted} exists; written as {target.name} instead"] if target != wanted else []
    for note in [*taken, *result.notes]:
        print(f"note: {path}: {note}")
    if result.trajectory_x_t:
        save_denoise_animation(unused_path(target.with_name(f"{target.stem}-trajectory.gif")), result)
    print(
        f"{path} -> {target} (noise {result.sigma:.1f}, start step {result.start_step}, "
        f"{result.steps_taken} steps, {result.tiles} tiles of {result.tile_size} px"
        + (f", {result.ensemble} copies averaged" if result.ensemble > 1 else "")
        + (", bfloat16)" if result.bf16 else ")")
    )


def _expand_inputs(inputs: list[Path], out_dir: Path | None, suffix: str) -> tuple[list[Path], int]:
    """Image files named or found under the inputs, and the number of inputs that were reported as
    failures (missing, or folders without images). Folders skip earlier results: those named with
    `suffix` and those in `out_dir` where it is a subfolder of the searched one (said, so no photo
    goes missing silently)."""
    files: list[Path] = []
    failures = 0
    for item in inputs:
        if item.is_dir():
            results = _results_subfolder(item, out_dir)
            images = [f for f in find_image_files(item, PHOTO_EXTENSIONS)
                      if results is None or not f.resolve().is_relative_to(results)]
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
            print(f"error: {item}: no such file", file=sys.stderr)
    return list(dict.fromkeys(files)), failures


def _results_subfolder(folder: Path, out_dir: Path | None) -> Path | None:
    """`out_dir`, resolved, where it lies inside `folder`: what is in it are earlier results, not
    photos. Not `folder` itself: its photos are what the user asked to denoise."""
    if out_dir is None:
        return None
    results, searched = out_dir.resolve(), folder.resolve()
    return results if results != searched and results.is_relative_to(searched) else None


def _needed_space(files: list[Path], out_dir: Path | None) -> dict[Path, int]:
    """Output folder -> a rough estimate of the bytes written there: the inputs' own sizes (a
    denoised photo compresses as well as its noisy original or better, in the same format)."""
    needed: dict[Path, int] = {}
    for path in files:
        folder = out_dir if out_dir is not None else path.parent
        needed[folder] = needed.get(folder, 0) + _file_size(path)
    return needed


def _file_size(path: Path) -> int:
    """Its size, or 0 where it has none to tell (a dangling link): reading it fails later, in
    its own error line."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _reason(error: Exception, path: Path) -> str:
    """One line: an OS error about another file than the input (the output's folder) names it."""
    if isinstance(error, OSError) and error.strerror:
        other = error.filename is not None and os.fsdecode(error.filename) != str(path)
        return f"cannot write {os.fsdecode(error.filename)}: {error.strerror}" if other else error.strerror
    return str(error)
