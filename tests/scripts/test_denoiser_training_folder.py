"""scripts/denoiser_training_folder.py links every photo the denoiser may train on and none that
is kept out for validation or testing."""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "denoiser_training_folder.py"
spec = importlib.util.spec_from_file_location("denoiser_training_folder", SCRIPT)
folder_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(folder_script)


def test_kept_out_photos_are_never_linked(tmp_path):
    corpus_split = json.loads((folder_script.REPO / "benchmarks" / "corpus_split.json").read_text())
    held_out = json.loads((folder_script.REPO / "benchmarks" / "photo_split.json").read_text())["held_out"]
    corpus, shared = tmp_path / "corpus", tmp_path / "shared"
    corpus.mkdir()
    shared.mkdir()
    for name in [f"{corpus_split['validation'][0]}.jpg", f"{corpus_split['test'][0]}.png", "mine-tree.jpg"]:
        (corpus / name).write_bytes(b"x")
    for name in [held_out[0], f"{corpus_split['validation'][0]}.png", "shared-sky.png", "notes.txt"]:
        (shared / name).write_bytes(b"x")
    dest = tmp_path / "train"
    assert folder_script.main([str(corpus), str(shared), str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["corpus-mine-tree.jpg", "shared-sky.png"]
    assert (dest / "shared-sky.png").resolve() == (shared / "shared-sky.png").resolve()
    assert folder_script.main([str(corpus), str(shared), str(dest)]) == 0  # again: nothing to do, no error
