"""Arguments and helpers shared by several `engine` subcommands."""

from __future__ import annotations

import argparse
import json

from engine.checkpoints import LoadedModel, ModelStore, load_model
from engine.device import DEVICE_CHOICES, resolve_device, set_threads
from engine.errors import ConfigError
from engine.models import SolverSettings
from engine.models.ode_block import ADAPTIVE_METHODS, FIXED_GRID_METHODS


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICE_CHOICES)} (default auto)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")


def add_solver_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--solver", choices=FIXED_GRID_METHODS + ADAPTIVE_METHODS, default=None,
        help="cUNet ODE solver per block (speed/quality dial; default: as trained)",
    )
    parser.add_argument("--solver-steps", type=int, default=1, help="fixed-grid solver steps per ODE block")
    parser.add_argument("--solver-tol", type=float, default=1e-3, help="rtol=atol for dopri5")


def solver_from_args(args: argparse.Namespace) -> SolverSettings | None:
    if args.solver is None:
        return None
    return SolverSettings(method=args.solver, steps=args.solver_steps, rtol=args.solver_tol, atol=args.solver_tol)


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
