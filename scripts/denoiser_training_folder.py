"""Make the photo denoiser v2's training folder: links to every training photo of the corpus
(scripts/build_photo_corpus.py) and of shared/data/photos, never to a photo of the corpus's
validation or test lists (benchmarks/corpus_split.json) nor to a held-out photo of the benchmark
(benchmarks/photo_split.json), whatever its size. Links, not copies: the corpus is 117 MB.

    python scripts/denoiser_training_folder.py ~/.cache/cunet-studio/photo-corpus ../shared/data/photos \\
        runs/denoiser-data
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg")


def kept_out() -> tuple[set[str], set[str]]:
    """(stems of the corpus's validation and test photos, file names of the benchmark's held-out ones)."""
    corpus = json.loads((REPO / "benchmarks" / "corpus_split.json").read_text("utf-8"))
    benchmark = json.loads((REPO / "benchmarks" / "photo_split.json").read_text("utf-8"))
    return set(corpus["validation"]) | set(corpus["test"]), set(benchmark["held_out"])


def training_photos(corpus: Path, shared: Path) -> dict[str, Path]:
    """Link name -> photo, for every photo the denoiser may train on."""
    stems, held_out = kept_out()
    chosen = {}
    for path in sorted(shared.iterdir()):
        if path.suffix.lower() in PHOTO_SUFFIXES and path.name not in held_out and path.stem not in stems:
            chosen[path.name] = path
    for path in sorted(corpus.iterdir()):
        if path.suffix.lower() in PHOTO_SUFFIXES and path.stem not in stems:
            chosen[f"corpus-{path.name}"] = path
    return chosen


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the corpus folder")
    parser.add_argument("shared_photos", type=Path, help="shared/data/photos")
    parser.add_argument("dest", type=Path, help="the folder to fill with links (made if missing)")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    chosen = training_photos(args.corpus.expanduser(), args.shared_photos.expanduser())
    for name, path in chosen.items():
        link = args.dest / name
        if not link.exists():
            link.symlink_to(path.resolve())
    print(f"{len(chosen)} training photos linked in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
