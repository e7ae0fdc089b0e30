"""`engine sample`: generate images from a model, optionally saving the reverse process; with
`--init` (img2img) and `--mask` (inpainting) steered by a picture (`engine.steering`).

Writing is all or nothing: if a write fails (a full disk, a folder made read-only), the files
this run had already created are removed again, so a failed run leaves the folder as it was
(files of earlier runs that it overwrote cannot be brought back; each write is atomic, so none
is left half-written). Only the names this run planned to write and that did not exist before
are removed: another program's files that appear in the folder meanwhile are left alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from engine.checkpoints import LoadedModel, ModelStore
from engine.cli.common import (
    add_class_arguments,
    add_device_arguments,
    add_solver_arguments,
    class_from_args,
    open_model,
    solver_from_args,
)
from engine.errors import ConfigError
from engine.fitted_picture import FittedPicture, aspect_note, fit_mask, fit_picture
from engine.generate import GenerationRequest, generate, resolved_sampler, solver_cost
from engine.generation_record import (
    GenerationRecord,
    SourceFile,
    check_source_file,
    other_weights_warning,
    read_generation_record,
)
from engine.imaging import SAVED_MIN_WIDTH, grid, save_png, to_pil, upscale_nearest
from engine.sampling import SAMPLERS
from engine.steering import (
    DEFAULT_RESAMPLE,
    IMG2IMG_STRENGTH,
    INPAINTING_SAMPLER,
    INPAINTING_STRENGTH,
    default_strength,
    resolved_resample,
)
from engine.trajectory import save_trajectory, trajectory_paths

DEFAULT_MODEL = "digits"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sample", help="generate images from a trained model")
    parser.add_argument("--settings-from", type=Path, default=None, metavar="PNG",
                        help="make an image again: model, seed, count, sampler, steps, eta, solver, class and "
                             "guidance from a PNG this app saved, and the init picture, mask, strength and resample "
                             "it was made with (an error if a recorded file is gone, a warning if it changed; "
                             "options given explicitly still win)")
    parser.add_argument("--model", default=None, help="model name (see `engine models`), model/run folder or "
                                                      f"checkpoint (default {DEFAULT_MODEL})")
    parser.add_argument("-n", "--count", type=int, default=None, help="number of images (default 16)")
    parser.add_argument("--seed", type=int, default=None, help="image i uses seed+i (default 0)")
    parser.add_argument("--sampler", choices=list(SAMPLERS), default=None,
                        help="default: the model's recommendation; with --mask "
                             f"{INPAINTING_SAMPLER[0]} (harmonised, see --resample)")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"sampler steps (default: the model's recommendation; {INPAINTING_SAMPLER[1]} for "
                             f"{INPAINTING_SAMPLER[0]} with --mask)")
    parser.add_argument("--eta", type=float, default=None, help="DDIM stochasticity (0 = deterministic, the default)")
    add_class_arguments(parser)
    parser.add_argument("--batch", type=int, default=16, help="images per network call")
    parser.add_argument("--out", type=Path, default=Path("samples"), help="output folder")
    parser.add_argument("--grid", action="store_true",
                        help=f"also write grid.png with all images (enlarged to at least {SAVED_MIN_WIDTH} px wide)")
    parser.add_argument("--trajectory", action="store_true",
                        help="save the reverse process: trajectory.gif/.webp and trajectory-sheet.png")
    parser.add_argument("--init", type=Path, default=None, metavar="IMAGE",
                        help="img2img (SDEdit): start from this picture (any size, any format `engine denoise` reads), "
                             "centre-cropped to a square and resized to the model's size; grey models take it "
                             "as grey, in their training data's tones (digits, fashion: light on black)")
    parser.add_argument("--strength", type=float, default=None, metavar="S",
                        help="with --init: how far to move from the picture, 0 (it comes back unchanged) to 1 "
                             f"(a new picture); the picture is noised to step S x the last step and about S x "
                             f"--steps steps run (default {IMG2IMG_STRENGTH:g}, or {INPAINTING_STRENGTH:g} with --mask)")
    parser.add_argument("--mask", type=Path, default=None, metavar="MASK",
                        help="inpainting, with --init: white (>= 50%% grey) = regenerate, black = keep; fitted "
                             "like the picture; the kept pixels come out exactly as they went in; without --sampler "
                             f"it runs {INPAINTING_SAMPLER[0]} {INPAINTING_SAMPLER[1]} with --resample "
                             f"{DEFAULT_RESAMPLE}, whose regenerated part fits the kept one better than the "
                             "models' fast samplers (docs/models.md, 'img2img and inpainting')")
    parser.add_argument("--resample", type=int, default=None, metavar="U",
                        help="with --mask and the ddpm sampler: RePaint resampling, U passes per step so the "
                             f"regenerated part fits the kept one, at U network calls per step (default "
                             f"{DEFAULT_RESAMPLE} with ddpm, as measured in docs/models.md, 'img2img and inpainting'; "
                             "1 = none)")
    add_solver_arguments(parser)
    add_device_arguments(parser)
    parser.set_defaults(run=run)


def _fill_from_record(args: argparse.Namespace) -> GenerationRecord | None:
    """Options not given take the values of `--settings-from`'s record (returned), else the
    defaults."""
    record = read_generation_record(args.settings_from) if args.settings_from else None
    defaults = {"model": DEFAULT_MODEL, "count": 16, "seed": 0, "sampler": None, "steps": None, "eta": 0.0}
    for key, default in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, getattr(record, key) if record else default)
    if record is not None and record.init is not None:
        _fill_pictures_from_record(args, record)
    return record


def _class_and_guidance(args: argparse.Namespace, model: LoadedModel,
                        record: GenerationRecord | None) -> tuple[int | None, bool, float | None]:
    """(class, random class, guidance) from --class (a name, an index or "random") and
    --guidance, else the record's: a record's guidance goes with its class only, so another
    --class samples at the model's recommendation. --guidance without any class is refused by
    GenerationRequest."""
    if args.class_choice is not None:
        return (*class_from_args(args, model), args.guidance)
    if record is not None and (record.class_label is not None or record.random_class):
        return record.class_label, record.random_class, record.guidance if args.guidance is None else args.guidance
    return None, False, args.guidance


def _fill_pictures_from_record(args: argparse.Namespace, record: GenerationRecord) -> None:
    """The record's init picture and mask where none is given (refused if gone, a warning if
    changed), and its strength and resample."""
    recorded = [("init", "init picture", record.init), ("mask", "mask", record.mask)]
    for key, role, source in recorded:
        if getattr(args, key) is None and source is not None:
            warning = check_source_file(source, role, args.settings_from.name)
            if warning:
                print(f"warning: {warning}", file=sys.stderr)
            setattr(args, key, Path(source.path))
    for key in ("strength", "resample"):
        if getattr(args, key) is None:
            setattr(args, key, getattr(record, key))


def _fitted(args: argparse.Namespace, model: LoadedModel) -> tuple[FittedPicture | None, FittedPicture | None]:
    """The --init picture and --mask fitted to the model, each announced with what fitting did."""
    size, channels = model.spec.image_size, model.spec.channels
    picture = fit_picture(args.init, size, channels) if args.init else None
    mask = fit_mask(args.mask, size) if args.mask else None
    for name, fitted in ((args.init, picture), (args.mask, mask)):
        if fitted is not None:
            print(f"{name.name}: {fitted.description}")
    note = aspect_note(picture, mask) if picture and mask else None
    if note:
        print(f"warning: {note}", file=sys.stderr)
    return picture, mask


def run(args: argparse.Namespace) -> int:
    recorded = _fill_from_record(args)
    if args.mask and not args.init:
        raise ConfigError("--mask needs --init: the mask marks which pixels of the init picture to regenerate")
    model = open_model(args.model, args)
    warning = other_weights_warning(recorded, model.weights_id, args.settings_from.name) if recorded else None
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    class_label, random_class, guidance = _class_and_guidance(args, model, recorded)
    picture, mask = _fitted(args, model)
    if args.strength is None:
        args.strength = default_strength(mask is not None) if picture else 1.0
    request = GenerationRequest(
        count=args.count, seed=args.seed, sampler=args.sampler, steps=args.steps, eta=args.eta,
        batch_size=args.batch, solver=solver_from_args(args) or (recorded.solver if recorded else None),
        keep_trajectory=args.trajectory, init_image=picture.pixels if picture else None, strength=args.strength,
        mask=mask.pixels if mask else None, resample=args.resample, class_label=class_label, random_class=random_class,
        guidance=guidance,
    )
    sampler_name, _ = resolved_sampler(model.spec, request)  # a refused setting says so before the progress bar
    resolved_resample(sampler_name, request.resample, request.mask is not None)
    cost = solver_cost(model.spec, request)  # also refuses a schedule this model cannot run
    if cost is not None and request.solver is not None:
        print(f"ODE solver {cost.asked.label()}: {cost.words()}")
    init_file = SourceFile.of(args.init) if picture else None
    mask_file = SourceFile.of(args.mask) if mask else None
    counts_evaluations = model.spec.trained_solver is not None  # only ODE blocks count evaluations
    start_evaluations = model.network.function_evaluations() if counts_evaluations else 0
    with tqdm(total=None, unit="step", desc=f"sampling {model.name}", leave=False) as bar:
        def on_progress(p) -> None:
            bar.total = p.total
            bar.update(p.done - bar.n)
            if counts_evaluations:  # ODE evaluations per network call: honest cost with adaptive solvers
                evaluations = model.network.function_evaluations() - start_evaluations
                bar.set_postfix(ode_evals_per_call=f"{evaluations / p.done:.1f}", refresh=False)

        result = generate(model, request, progress=on_progress)
    record = GenerationRecord.of(ModelStore().reference(args.model), request, result, init_file, mask_file)
    args.out.mkdir(parents=True, exist_ok=True)
    sample_paths = [args.out / f"sample-{args.seed + i:06d}.png" for i in range(len(result.images))]
    grid_path = args.out / "grid.png"
    planned = [*sample_paths, *([grid_path] if args.grid else []), *(trajectory_paths(args.out) if args.trajectory else [])]
    new_paths = [path for path in planned if not path.exists()]
    try:
        for i, (path, image) in enumerate(zip(sample_paths, result.images)):
            save_png(path, to_pil(image), record.of_image(i, result).png_text())
        if args.grid:
            sheet = upscale_nearest(grid(result.images), min_width=SAVED_MIN_WIDTH)
            save_png(grid_path, to_pil(sheet), record.png_text())
        if args.trajectory:
            save_trajectory(args.out, result)
    except OSError:
        created = [path for path in new_paths if path.exists()]
        for path in created:
            path.unlink(missing_ok=True)
        print(f"nothing saved: removed the {len(created)} file(s) this run had written to {args.out}", file=sys.stderr)
        raise
    print(f"wrote {len(result.images)} images to {args.out} ({result.steps_done()})")
    return 0
