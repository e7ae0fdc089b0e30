"""Every command's --help works: `engine` and each subcommand, found by walking the argparse tree
(so a new subcommand is covered without touching this file), and `cunet-studio`. A stray `%` in a
help string crashes argparse's help with a traceback, and only for that one command."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest

import engine
from app.main import main as app_main
from engine.cli.main import build_parser
from engine.cli.main import main as engine_main


def command_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """`path` and the paths of every subcommand below it, nested ones included."""
    paths = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                paths.extend(command_paths(subparser, (*path, name)))
    return paths


ENGINE_COMMANDS = command_paths(build_parser())


def test_the_walk_finds_nested_subcommands():
    assert ("denoise",) in ENGINE_COMMANDS and ("bench", "denoise") in ENGINE_COMMANDS


@pytest.mark.parametrize("path", ENGINE_COMMANDS, ids=lambda path: " ".join(("engine", *path)))
def test_engine_help(path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        engine_main([*path, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {' '.join(('engine', *path))}")


def test_cunet_studio_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        app_main(["--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: cunet-studio")


def test_engine_version_is_the_package_version(capsys):
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8"))
    assert engine.__version__ == pyproject["project"]["version"]
    with pytest.raises(SystemExit) as exit_info:
        engine_main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"engine (cUNet Studio) {engine.__version__}"
