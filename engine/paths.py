"""Where things live: bundled resources (source tree or PyInstaller bundle) and per-user data.

Functions, not module constants, so tests and the app can point them elsewhere through arguments
or the CUNET_STUDIO_HOME environment variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "cunet-studio"
NAME_MAX_BYTES = 255  # the longest file name, in bytes, on common Linux, macOS and Windows file systems


def resources_dir() -> Path:
    """`resources/` beside the packages from source, or inside the frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def shared_data_dir() -> Path:
    """The team's shared datasets (`../shared/data` beside a source checkout): the default place
    where benchmarks and `engine eval` look for their data; never needed by the app itself."""
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def benchmarks_dir() -> Path:
    """`benchmarks/` of a source checkout: the photo split and the frozen evaluation classifiers
    that `engine bench` and `engine eval` use (not part of the app bundle)."""
    return Path(__file__).resolve().parent.parent / "benchmarks"


def bundled_models_dir() -> Path:
    return resources_dir() / "models"


def user_data_dir() -> Path:
    """Per-user data folder; CUNET_STUDIO_HOME overrides it (tests, portable installs)."""
    override = os.environ.get("CUNET_STUDIO_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def shorten_name(name: str, max_bytes: int) -> str:
    """`name` without its last characters until it takes at most `max_bytes` bytes on disk (a
    character is never cut in half)."""
    while len(os.fsencode(name)) > max_bytes:
        name = name[:-1]
    return name
