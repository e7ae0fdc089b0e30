"""What a resumed run may change: the one answer that `train(resume=True)`, `engine train --resume`
and the app's form for continuing a run all read.

A checkpoint continues one run. Its network, data, optimiser, noise and seed (the seed is also the
order of its batches) are that run, so a resume keeps them, and refuses a change to them rather
than quietly training another run from the checkpoint. What may change is how far the run goes, how
often it saves, samples and validates, how many checkpoints it keeps, the device it runs on and
whether it computes in bfloat16 (how the arithmetic is done, not what is learnt: a CPU with bf16
units trains a photo-denoiser step 1.7x faster, docs/models.md), and the data's place where the stored one
is gone (a moved folder, a run opened on another computer).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.errors import ConfigError
from engine.training.config import TrainingConfig

RESUMABLE_FIELDS = ("steps", "keep_checkpoints", "device", "bf16", "save_every", "sample_every", "validate_every")
# The run folder being resumed, not a setting of it: the stored value is kept, whatever was given.
_RUN_FOLDER = "out"


def resume_refusal(stored: TrainingConfig, wanted: TrainingConfig) -> str | None:
    """Why `wanted` cannot continue the run whose settings are `stored`, in one line that names
    each setting it would change; None where it can."""
    before, after = _stored_values(stored), _stored_values(wanted)
    kept = [name for name in before if name not in (*RESUMABLE_FIELDS, _RUN_FOLDER, "data")]
    changed = [f"{name} ({before[name]}, not {after[name]})" for name in kept if before[name] != after[name]]
    if changed:
        return (f"a resumed run keeps its {', '.join(changed)}: only {', '.join(RESUMABLE_FIELDS)} and the data's "
                "place may change; start a new run for other settings")
    if not _same_or_moved_data(stored.data, wanted.data):
        return (f"this run trains on {stored.data}, not {wanted.data}: give that --data to continue it, or start a "
                "new run for other images")
    return None


def resumed_config(stored: TrainingConfig, wanted: TrainingConfig) -> TrainingConfig:
    """The settings a resumed run trains with: `stored`, with `wanted`'s resumable fields and data.
    Raises ConfigError with `resume_refusal`'s reason where `wanted` changes anything else."""
    refusal = resume_refusal(stored, wanted)
    if refusal is not None:
        raise ConfigError(refusal)
    return stored.with_changes(data=wanted.data, **{name: getattr(wanted, name) for name in RESUMABLE_FIELDS})


def _stored_values(config: TrainingConfig) -> dict[str, str]:
    """Field -> its value as config.json writes it, so that a tuple and the list it is stored as
    compare equal."""
    return {name: json.dumps(value, sort_keys=True) for name, value in json.loads(config.to_json()).items()}


def _same_or_moved_data(stored: str, given: str) -> bool:
    """Whether `given` may be a resumed run's data: the stored path, or any where the stored one is
    gone; never silently another dataset."""
    stored_path, given_path = (Path(path).expanduser().resolve() for path in (stored, given))
    return given_path == stored_path or not stored_path.exists()
