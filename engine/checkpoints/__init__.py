"""Model files (safetensors + JSON metadata), training-checkpoint discovery and the model store."""

from engine.checkpoints.model_files import (
    LoadedModel,
    checkpoint_path,
    list_checkpoints,
    create_model_folder,
    load_model,
    read_spec,
    save_model_folder,
    weights_id,
)
from engine.checkpoints.spec import ModelSpec
from engine.checkpoints.store import ModelEntry, ModelStore

__all__ = [
    "LoadedModel",
    "ModelEntry",
    "ModelSpec",
    "ModelStore",
    "checkpoint_path",
    "create_model_folder",
    "list_checkpoints",
    "load_model",
    "read_spec",
    "save_model_folder",
    "weights_id",
]
