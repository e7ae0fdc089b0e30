"""Arguments and helpers shared by several `engine` subcommands."""

from __future__ import annotations

import argparse
import json

from engine.checkpoints import LoadedModel, ModelStore, load_model
from engine.device import DEVICE_CHOICES, resolve_device, set_threads
from engine.diffusion import SolverChoice, SteppedSolver
from engine.diffusion.solver_schedule import SCHEDULE_EXAMPLE
from engine.denoise import DEFAULT_DENOISER
from engine.errors import ConfigError, ModelLoadError
from engine.guidance import class_index, is_random_choice, require_classes
from engine.models import SOLVER_METHODS, SolverSettings, is_adaptive_method


EXIT_USER_ERROR = 2
EXIT_CANCELLED = 130


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICE_CHOICES)} (default auto)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: the cores other programs leave free)")


def add_solver_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--solver", choices=SOLVER_METHODS, default=None,
        help="cUNet ODE solver per block (speed/quality dial; default: as trained)",
    )
    parser.add_argument("--solver-steps", type=int, default=None,
                        help="fixed-grid solver (euler, midpoint, rk4) steps per ODE block (default 1)")
    parser.add_argument("--solver-tol", type=float, default=None, help="rtol=atol for dopri5 (default 1e-3)")
    parser.add_argument("--solver-schedule", default=None, metavar="NOISY@T,FINE[@U]",
                        help=f"step-aware cUNet solver: NOISY while t >= T (mostly noise), FINE below (down to U, "
                             f"then NOISY again), e.g. {SCHEDULE_EXAMPLE} or euler:1@950,midpoint:1@500; each "
                             f"METHOD:STEPS, or dopri5:TOLERANCE (instead of --solver)")


def add_class_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--class", dest="class_choice", default=None, metavar="C",
                        help="class-conditional models: sample this class, by name (any case) or index from 0 (see "
                             "`engine models`), or `random`: a class per image, drawn from its seed; default: no "
                             "class, an unconditional sample")
    parser.add_argument("--guidance", type=float, default=None, metavar="W",
                        help="with --class: classifier-free guidance scale (1 = none, 0 = unconditional, higher = "
                             "more typical of the class; default: the model's recommendation)")


def class_from_args(args: argparse.Namespace, model: LoadedModel) -> tuple[int | None, bool]:
    """(class index, random class per image) that --class asks of `model`; (None, False) without it."""
    if args.class_choice is None:
        return None, False
    if is_random_choice(model.spec, args.class_choice):
        require_classes(model.spec, model.name)
        return None, True
    return class_index(model.spec, model.name, args.class_choice), False


def solver_from_args(args: argparse.Namespace) -> SolverChoice | None:
    """The --solver settings or --solver-schedule, or None (as trained). A step count or
    tolerance that would be ignored (no --solver, or the other kind of solver) is refused rather
    than dropped silently, and so is a schedule beside --solver: only one can run."""
    if args.solver_schedule is not None:
        if args.solver is not None or args.solver_steps is not None or args.solver_tol is not None:
            raise ConfigError("--solver-schedule names every solver it runs: give it without --solver, "
                              "--solver-steps and --solver-tol")
        return SteppedSolver.from_text(args.solver_schedule)
    if args.solver is None:
        if args.solver_steps is not None or args.solver_tol is not None:
            raise ConfigError("--solver-steps and --solver-tol need --solver (the method, e.g. --solver midpoint)")
        return None
    adaptive = is_adaptive_method(args.solver)
    if adaptive and args.solver_steps is not None:
        raise ConfigError(f"{args.solver} chooses its own steps: give --solver-tol instead of --solver-steps")
    if not adaptive and args.solver_tol is not None:
        raise ConfigError(f"{args.solver} takes a fixed number of steps: give --solver-steps instead of --solver-tol")
    tolerance = args.solver_tol if args.solver_tol is not None else 1e-3
    return SolverSettings(method=args.solver, steps=1 if args.solver_steps is None else args.solver_steps, rtol=tolerance, atol=tolerance)


def open_model(name_or_path: str, args: argparse.Namespace) -> LoadedModel:
    set_threads(args.threads)
    device = resolve_device(args.device)
    return load_model(ModelStore().resolve(name_or_path), device)


def json_object_arg(text: str, flag: str) -> dict:
    """A JSON-object option (--card, --network) or a one-line ConfigError naming the flag."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{flag} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{flag} must be a JSON object")
    return value


def open_denoiser(args: argparse.Namespace) -> LoadedModel:
    """`args.model`, with a clear hint while the bundled denoiser is not installed (`engine
    denoise` and `engine bench denoise` both default to it)."""
    try:
        return open_model(args.model, args)
    except ModelLoadError as error:
        if args.model != DEFAULT_DENOISER:
            raise
        raise ModelLoadError(
            f"the bundled denoising model {DEFAULT_DENOISER!r} is not installed yet ({error}); "
            "pass --model with a model name, model folder or checkpoint"
        ) from None
