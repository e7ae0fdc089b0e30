"""The model store: bundled models (read-only, shipped in resources/models) and user models
(trained or imported, in the per-user data folder), listed and resolved through one API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.checkpoints.model_files import MODEL_JSON, create_model_folder, load_model
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
            # Dot-folders are `register`'s staging copies (one left by a crash is not a model).
            for folder in sorted(p for p in root.iterdir() if not p.name.startswith(".") and (p / MODEL_JSON).is_file()):
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

    def reference(self, name_or_path: str) -> str:
        """How saved settings name a model: its store name, else its absolute path, so that they
        find it again from any working folder."""
        if any(entry.name == name_or_path for entry in self.list()):
            return name_or_path
        return str(Path(name_or_path).expanduser().resolve())

    def check_new_name(self, name: str) -> None:
        """ConfigError unless `register` can use `name`: asked before a long run, not after it."""
        if not name or any(c in name for c in "/\\") or name.startswith("."):
            raise ConfigError(f"invalid model name {name!r}")
        if (self.user_dir / name).exists() or name in {e.name for e in self.list()}:
            raise ConfigError(f"a model named {name!r} already exists; choose another name")

    def register(self, source: Path, name: str) -> Path:
        """Copy a trained model (model folder, run folder or checkpoint) into the user store as
        `name`, storing EMA weights only. Refuses to overwrite an existing model."""
        self.check_new_name(name)
        target = self.user_dir / name
        model = load_model(source)
        self.user_dir.mkdir(parents=True, exist_ok=True)
        create_model_folder(target, model.spec, model.network.state_dict())
        return target
