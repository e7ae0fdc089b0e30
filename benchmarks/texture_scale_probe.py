"""How the noise estimate's texture scale (engine/denoise/noise_levels.py, NOISE_INDEPENDENCE, and
with --jpeg JPEG_NOISE_INDEPENDENCE) changes what the bundled photo denoiser makes of clean and
noisy crops of textured photos, so that its constants are chosen on training photos
(docs/benchmarks.md, "Texture the colour channels share").

    OMP_NUM_THREADS=1 python benchmarks/texture_scale_probe.py --corpus ~/.cache/cunet-studio/photo-corpus \\
        --threads 1 --json benchmarks/results/texture-scale-probe.json
    OMP_NUM_THREADS=1 python benchmarks/texture_scale_probe.py --corpus ~/.cache/cunet-studio/photo-corpus \\
        --threads 1 --jpeg --independence 0,0.3,0.2,0.15 --json benchmarks/results/texture-scale-probe-jpeg.json

Photos: the corpus's training and validation photos (benchmarks/corpus_split.json's "test" left
out) and those of ../shared/data/photos outside benchmarks/photo_split.json, each shrunk to
the benchmark photos' size (`photo_at_bench_size`); nine CROP-pixel crops of each, at the corners,
edge middles and centre. The crops are chosen on the clean crop's estimate without the texture
scale: the TEXTURED crops read as the noisiest (all texture), then RANDOM others. Each chosen
crop, clean and under CONDITIONS (with --jpeg: stored as 4:2:0 JPEGs, JPEG_CONDITIONS), goes
through the model with its own estimate at every `--independence` value (0: no texture scale);
PSNR against the clean crop.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.bench.denoise_quality import BenchPhoto, photo_at_bench_size, psnr
from engine.bench.noise_conditions import NoiseCondition, clean_as_jpeg, make_noisy
from engine.checkpoints import ModelStore, load_model
from engine.denoise import DenoiseSettings, Photo, denoise_photo, estimate_noise_levels
from engine.device import set_threads

CROP = 256
POSITIONS = (0.0, 0.5, 1.0)
TEXTURED, RANDOM = 40, 80
CONDITIONS = {
    "clean": None,
    "gaussian 5, 8-bit": NoiseCondition("gaussian-8bit", sigma=5.0),
    "gaussian 15, 8-bit": NoiseCondition("gaussian-8bit", sigma=15.0),
    "camera low, png": NoiseCondition("camera-png", camera="low"),
    "camera high, png": NoiseCondition("camera-png", camera="high"),
}
JPEG_CONDITIONS = {
    "clean, jpeg 90": clean_as_jpeg(90),
    "clean, jpeg 75": clean_as_jpeg(75),
    "gaussian 5, jpeg 90": NoiseCondition("gaussian-jpeg", sigma=5.0, jpeg_quality=90),
    "gaussian 15, jpeg 90": NoiseCondition("gaussian-jpeg", sigma=15.0, jpeg_quality=90),
    "camera low, jpeg 75": NoiseCondition("camera-jpeg", camera="low", jpeg_quality=75),
    "camera high, jpeg 75": NoiseCondition("camera-jpeg", camera="high", jpeg_quality=75),
}
REPOSITORY = Path(__file__).resolve().parents[1]


def training_photos(corpus: Path, shared_photos: Path) -> list[Path]:
    """Every photo the benchmark does not hold out, from the corpus and the shared photos."""
    test = set(json.loads((REPOSITORY / "benchmarks" / "corpus_split.json").read_text("utf-8"))["test"])
    held_out = set(json.loads((REPOSITORY / "benchmarks" / "photo_split.json").read_text("utf-8"))["held_out"])
    from_corpus = [p for p in sorted(corpus.glob("*")) if p.suffix in (".png", ".jpg") and p.stem not in test]
    return from_corpus + [p for p in sorted(shared_photos.glob("*.png")) if p.name not in held_out]


def crops_of(path: Path) -> list[BenchPhoto]:
    pixels = photo_at_bench_size(path)
    height, width = pixels.shape[:2]
    crops = []
    for fy in POSITIONS:
        for fx in POSITIONS:
            y, x = int((height - CROP) * fy), int((width - CROP) * fx)
            region = (slice(y, y + CROP), slice(x, x + CROP))
            crops.append(BenchPhoto(f"{path.parent.name}/{path.name}@{fy:g},{fx:g}", np.ascontiguousarray(pixels[region]),
                                    pixels.shape, region))
    return crops


def chosen_crops(photos: list[Path], seed: int) -> list[tuple[BenchPhoto, bool]]:
    """(crop, textured) for the TEXTURED crops read as noisiest without the texture scale, then
    RANDOM of the others."""
    crops = [crop for path in photos for crop in crops_of(path)]
    readings = np.array([estimate_noise_levels(c.clean, noise_independence=0).overall for c in crops])
    order = np.argsort(-readings, kind="stable")
    others = np.random.default_rng(seed).choice(order[TEXTURED:], RANDOM, replace=False)
    return [(crops[i], True) for i in order[:TEXTURED]] + [(crops[i], False) for i in others]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="scripts/build_photo_corpus.py's folder")
    parser.add_argument("--photos", type=Path, default=REPOSITORY.parent / "shared" / "data" / "photos")
    parser.add_argument("--model", default="photo-denoiser")
    parser.add_argument("--independence", default="0,0.8,0.7,0.6",
                        help="NOISE_INDEPENDENCE (with --jpeg JPEG_NOISE_INDEPENDENCE) values, comma-separated")
    parser.add_argument("--jpeg", action="store_true", help="the crops stored as JPEGs (JPEG_CONDITIONS)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    model = load_model(ModelStore().resolve(args.model))
    settings = [float(v) for v in args.independence.split(",")]
    conditions = JPEG_CONDITIONS if args.jpeg else CONDITIONS
    rows = []
    for crop, textured in chosen_crops(training_photos(args.corpus, args.photos), args.seed):
        for name, condition in conditions.items():
            pixels = crop.clean if condition is None else make_noisy(crop, condition, args.seed).pixels
            photo = Photo(pixels, None, 8, None, "JPEG" if args.jpeg else "PNG", {}, args.jpeg)
            for independence in settings:
                levels = estimate_noise_levels(pixels, args.jpeg, noise_independence=independence)
                result = denoise_photo(model, photo, DenoiseSettings(), previews=False, levels=levels)
                rows.append({"crop": crop.name, "textured": textured, "condition": name, "independence": independence,
                             "sigma": levels.overall, "psnr": psnr(crop.clean, result.photo.pixels)})
        args.json.write_text(json.dumps({"model": args.model, "seed": args.seed, "jpeg": args.jpeg, "rows": rows},
                                        indent=1), "utf-8")
    print_summary(rows, settings, conditions)
    return 0


def print_summary(rows: list[dict], settings: list[float], conditions: dict[str, NoiseCondition | None]) -> None:
    """Mean PSNR change from independence 0 per condition and crop group, and the clean crops
    left below 40 dB."""
    print("| crops | condition | " + " | ".join(f"{v:g}: mean ΔdB (worst)" for v in settings[1:]) + " |")
    print("| --- | --- |" + " ---: |" * (len(settings) - 1))
    for textured in (True, False):
        for name in conditions:
            base = {r["crop"]: min(r["psnr"], 60.0) for r in rows
                    if r["textured"] == textured and r["condition"] == name and r["independence"] == settings[0]}
            cells = []
            for value in settings[1:]:
                new = {r["crop"]: min(r["psnr"], 60.0) for r in rows
                       if r["textured"] == textured and r["condition"] == name and r["independence"] == value}
                change = np.array([new[c] - base[c] for c in base])
                below = f", {sum(v < 40 for v in new.values())} < 40 dB" if name.startswith("clean") else ""
                cells.append(f"{change.mean():+.2f} ({change.min():+.2f}){below}")
            print(f"| {'textured' if textured else 'random'} ({len(base)}) | {name} | " + " | ".join(cells) + " |")
    for textured in (True, False):
        for name in (n for n in conditions if n.startswith("clean")):
            below = sum(r["psnr"] < 40 for r in rows if r["textured"] == textured and r["condition"] == name
                        and r["independence"] == settings[0])
            print(f"{'textured' if textured else 'random'} crops, {name}, below 40 dB at {settings[0]:g}: {below}")


if __name__ == "__main__":
    raise SystemExit(main())
