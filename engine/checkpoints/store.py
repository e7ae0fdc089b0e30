"""The model store: bundled models (read-only, shipped in resources/models) and user models
(trained or imported, in the per-user data folder), listed and resolved through one API."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.checkpoints.model_files import MODEL_JSON, load_model, save_model_folder
from engine.checkpoints.spec import ModelSpec
from engine.errors import ConfigError, ModelLoadError
from engine.paths import bundled_models_dir, user_models_dir


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    source: str  # "bundled" | "user"
    spec: ModelSpec


class ModelStore:
    """Lists and resolves models by name; user models shadow nothing (names must be unique)."""

    def __init__(self, bundled_dir: Path | None = None, user_dir: Path | None = None) -> None:
        self.bundled_dir = bundled_dir if bundled_dir is not None else bundled_models_dir()
        self.user_dir = user_dir if user_dir is not None else user_models_dir()

    def list(self) -> list[ModelEntry]:
        """All valid models, bundled first, each sorted by name; broken folders are skipped."""
        entries: list[ModelEntry] = []
        for source, root in (("bundled", self.bundled_dir), ("user", self.user_dir)):
            if not root.is_dir():
                continue
            for folder in sorted(p for p in root.iterdir() if (p / MODEL_JSON).is_file()):
                try:
                    spec = ModelSpec.from_json((folder / MODEL_JSON).read_text("utf-8"), str(folder))
                except (ModelLoadError, OSError, UnicodeDecodeError):
                    continue
                entries.append(ModelEntry(folder.name, folder, source, spec))
        return entries

    def resolve(self, name_or_path: str) -> Path:
        """A store name ('digits') or a filesystem path (model folder, run folder, checkpoint)."""
        for entry in self.list():
            if entry.name == name_or_path:
                return entry.path
        path = Path(name_or_path).expanduser()
        if path.exists():
            return path
        names = ", ".join(e.name for e in self.list()) or "none installed"
        raise ModelLoadError(f"no model named {name_or_path!r} (available: {names}) and no such path")

    def register(self, source: Path, name: str) -> Path:
        """Copy a trained model (model folder, run folder or checkpoint) into the user store as
        `name`, storing EMA weights only. Refuses to overwrite an existing model."""
        if not name or any(c in name for c in "/\\") or name.startswith("."):
            raise ConfigError(f"invalid model name {name!r}")
        target = self.user_dir / name
        if target.exists() or name in {e.name for e in self.list()}:
            raise ConfigError(f"a model named {name!r} already exists; choose another name")
        model = load_model(source)
        staging = self.user_dir / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        save_model_folder(staging, model.spec, model.network.state_dict())
        staging.rename(target)
        return target
