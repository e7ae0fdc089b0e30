"""The self-describing run folder: config.json, checkpoints/, samples/, log.jsonl, skipped.txt
and, when a run ends, model/ (the EMA weights as a regular model folder)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from engine.atomic import atomic_write_bytes, atomic_write_text, remove_stale_temp_files
from engine.checkpoints.model_files import CHECKPOINT_DIR, list_checkpoints
from engine.json_values import is_real, is_whole

LOG_FILE = "log.jsonl"
SAMPLES_DIR = "samples"
MODEL_DIR = "model"
SKIPPED_FILE = "skipped.txt"
SAMPLE_PATTERN = re.compile(r"^step-(\d+)\.png$")


class RunFolder:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def log_path(self) -> Path:
        return self.root / LOG_FILE

    @property
    def model_dir(self) -> Path:
        return self.root / MODEL_DIR

    def sample_path(self, step: int) -> Path:
        return self.root / SAMPLES_DIR / f"step-{step:08d}.png"

    def latest_sample_grid(self) -> tuple[int, Path] | None:
        """(step, path) of the newest sample grid; other files in samples/ are not grids."""
        folder = self.root / SAMPLES_DIR
        found = [(int(m.group(1)), path) for path in folder.glob("step-*.png") if (m := SAMPLE_PATTERN.match(path.name))]
        return max(found) if found else None

    def latest_checkpoint(self) -> Path | None:
        found = list_checkpoints(self.root)
        return found[-1][1] if found else None

    def prune_checkpoints(self, keep: int) -> None:
        for _, path in list_checkpoints(self.root)[:-keep]:
            path.unlink(missing_ok=True)

    def remove_stale_temp_files(self) -> None:
        """Drop half-written files of a run that was killed (the run folder has one writer)."""
        for folder in (self.root, self.root / CHECKPOINT_DIR, self.root / SAMPLES_DIR, self.model_dir):
            remove_stale_temp_files(folder)

    def append_log(self, record: dict) -> None:
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def read_log(self) -> list[dict]:
        """Log records ({"step": int, "loss": float, ...}); a line cut short by a crash, or one
        that is not such a record (an edited file), is ignored."""
        if not self.log_path.exists():
            return []
        records = []
        for line in self.log_path.read_text("utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and is_whole(record.get("step")) and is_real(record.get("loss")):
                records.append(record)
        return records

    def truncate_log(self, step: int) -> None:
        """Drop records past `step` (written after the checkpoint we resume from)."""
        kept = [r for r in self.read_log() if r.get("step", 0) <= step]
        atomic_write_text(self.log_path, "".join(json.dumps(r) + "\n" for r in kept))

    def write_skipped(self, skipped: list[tuple[Path, str]]) -> None:
        """One `path<TAB>reason` line per file; a path is written as its bytes on disk, so a name
        that is not valid UTF-8 is listed as it is instead of failing the run."""
        if skipped:
            text = "".join(f"{p}\t{reason}\n" for p, reason in skipped)
            atomic_write_bytes(self.root / SKIPPED_FILE, text.encode("utf-8", "surrogateescape"))
