"""docs/reliability.md states how many bad inputs and faults the suite tries; this test recounts
them from the corpus and the tests' own constants, so the document cannot drift from the tests."""

from __future__ import annotations

import re
from pathlib import Path

import test_faults as faults
import test_hostile_models as models
import test_kill_and_resume as kills
from corpus import CASES, bad_cases

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def inventory(tmp_path: Path) -> dict[str, int]:
    refused_by_photos = [c for c in CASES if c.reason or c.photo_only_reason]
    refused_by_training = [c for c in CASES if c.reason and not c.camera_raw]
    scanned_bad = bad_cases()
    photos_refused_in_scans = [c for c in refused_by_photos if c.file]
    bad_image_inputs = (
        len(refused_by_photos)  # read_photo, file by file
        + len(refused_by_training)  # decode_image + prepare_pixels, file by file
        + 2 * len(scanned_bad)  # ImageFolderDataset and `engine train` on the corpus folder
        + 2 * len(scanned_bad)  # both again on a folder of only bad files
        + 2 * len(photos_refused_in_scans)  # `engine denoise` on the folder, and the GUI drop
        + 1  # the installed command on a zero-byte file
    )
    hostile_models = (
        len(models.pickle_files(tmp_path / "pickles", tmp_path / "marker"))
        + 3  # the same pickle through `engine sample`, `denoise` and `export` in a fresh process
        + len(models.WEIGHT_LIES) + len(models.METADATA_LIES) + models.TRUNCATION_POINTS
        + 1 + 1 + 3  # exabyte header, offsets outside the file, three files of the wrong kind
    )
    faults_injected = {
        "full disk": len(faults.FULL_DISK_WRITERS) + 3 + 1 + 2 + 1,  # training writers, CLI photos, GUI save, tmpfs
        "read-only or missing folder": 2 + 2,
        "SIGKILL during training": kills.KILLS_REQUIRED,
        "cancel": len(faults.SAMPLERS) * (faults.SAMPLING_STEPS + 1) + faults.DENOISE_CANCEL_POINTS + 1,
        "out of memory": 3 * 3 + 1,  # three error kinds x (two photos + one sample); the Generate page
        "close mid-training": 1,
    }
    return {
        "hostile image files in the corpus": len(CASES),
        "bad image inputs tried": bad_image_inputs,
        "hostile model files tried": hostile_models,
        **{f"faults injected: {name}": count for name, count in faults_injected.items()},
        "faults injected in all": sum(faults_injected.values()),
        "data lost": 0,
    }


def test_the_document_states_the_counts_the_tests_use(tmp_path):
    text = DOC.read_text("utf-8")
    for label, count in inventory(tmp_path).items():
        row = re.search(rf"^\| {re.escape(label)} \| \*\*(\d+)\*\* \|", text, re.MULTILINE | re.IGNORECASE)
        assert row, f"docs/reliability.md has no row '| {label} | **N** |'"
        assert int(row.group(1)) == count, f"{label}: the document says {row.group(1)}, the tests use {count}"
