"""A large noisy photo denoised through the app's Denoise page, as a user would: wall time, peak
memory, PSNR and a crop to look at (the "12 MP camera JPEG from the GUI" of docs/benchmarks.md).

    QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=2 python benchmarks/denoise_in_app.py \\
        --photo ~/.cache/cunet-studio/photo-corpus/mate-garden.jpg --megapixels 12 --camera high --jpeg 90 \\
        --threads 2 --out /tmp/denoise-12mp

No photo of the corpus has 12 MP, so the photo (a held-out one: the benchmark's photos are never
trained on) is resized with Lanczos to cover a 4:3 frame of the megapixels asked and centre-cropped;
an enlarged photo is smoother than a native one, which matters for the PSNR, not for time or
memory. The camera noise of engine/noise/camera.py is drawn on it (seeded) and the result saved as
a JPEG of the quality asked, 4:2:0 as cameras write. Then a child process opens the main window
with the model asked (default: the app's default denoiser), drops the JPEG on the Denoise page,
waits for it, and saves the result as the page saves it (beside the file, "noisy-denoised.jpg"). Peak
memory is the child's maximum resident set (ru_maxrss): the whole app, Qt and the model included.

Writes into --out: noisy.jpg, clean.png, noisy-denoised.jpg, crop.png (noisy | denoised | clean, the
centre at 1:1) and result.json (seconds from drop to done, peak MiB, PSNR of the noisy and the
denoised photo against the clean one).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.common.settings import AUTO_DEVICE, AppSettings
from app.shell.main_window import MainWindow
from app.tooling.tour import Tour, TourDialogs
from engine.checkpoints import ModelStore
from engine.noise.camera import CAMERA_PRESETS, add_camera_noise
from engine.noise.storage import CAMERA_CHROMA_SUBSAMPLING

CROP = 384  # pixels per side of each panel of crop.png


def clean_frame(photo: Path, megapixels: float) -> np.ndarray:
    """(H, W, 3) uint8: `photo` resized to cover a 4:3 frame of `megapixels`, centre-cropped."""
    width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    height = int(round(width * 3 / 4))
    with Image.open(photo) as image:
        rgb = image.convert("RGB")
    scale = max(width / rgb.width, height / rgb.height)
    resized = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS)
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return np.asarray(resized.crop((left, top, left + width, top + height)))


def noisy_jpeg(clean: np.ndarray, camera: str, quality: int, seed: int, path: Path) -> None:
    generator = torch.Generator().manual_seed(seed)
    srgb = torch.from_numpy(clean.copy()).permute(2, 0, 1).float() / 255
    noisy = add_camera_noise(srgb, CAMERA_PRESETS[camera], generator)
    pixels = (noisy.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
    Image.fromarray(pixels).save(path, format="JPEG", quality=quality, subsampling=CAMERA_CHROMA_SUBSAMPLING)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / error))


def centre_crops(*images: np.ndarray) -> Image.Image:
    """The same centre square of each image (CROP px, or the photo's short side), side by side at 1:1."""
    height, width = images[0].shape[:2]
    side = min(CROP, height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return Image.fromarray(np.concatenate([image[top : top + side, left : left + side] for image in images], axis=1))


def denoise_in_window(photo: Path, model: str | None, threads: int, timeout_s: float) -> dict:
    """Runs in the child process: the main window, the Denoise page, one dropped photo, saved."""
    application = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="cunet-denoise-in-app-") as temp:
        settings = AppSettings(QSettings(str(Path(temp) / "settings.ini"), QSettings.Format.IniFormat))
        settings.set_compute(AUTO_DEVICE, threads)
        store = ModelStore(user_dir=Path(temp) / "models")
        if model is not None and Path(model).is_dir():  # a model folder outside the store: list it as a user model
            store.user_dir.mkdir()
            (store.user_dir / Path(model).name).symlink_to(Path(model).resolve())
            model = Path(model).name
        window = MainWindow(settings, TourDialogs(), store)
        window.show()
        page = window.denoise_page
        if model is not None and not page.picker.select(model):
            raise SystemExit(f"no model {model!r} in the app's list")
        started = time.monotonic()
        Tour(window).denoise(photo, timeout_s=timeout_s)
        seconds = time.monotonic() - started
        item = page.queue.items[-1]
        page.output.save_button.click()
        deadline = time.monotonic() + 120
        while item.saved_to is None and time.monotonic() < deadline:
            application.processEvents()
            time.sleep(0.05)
        if item.saved_to is None:
            raise SystemExit("saving the denoised photo did not finish")
        result = {"model": page.picker.current_entry().name, "seconds": seconds, "saved": str(item.saved_to),
                  "sigma": item.outcome.result.sigma, "threads": threads}
        window.close()
    application.processEvents()
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", type=Path, required=True, help="a clean photo (use a held-out one)")
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--camera", choices=("low", "high"), default="high")
    parser.add_argument("--jpeg", type=int, default=90, help="JPEG quality of the noisy file")
    parser.add_argument("--model", default=None, help="model name or folder (default: the app's default denoiser)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds the page may take")
    parser.add_argument("--out", type=Path, required=True, help="a new or empty folder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    noisy_path = args.out / "noisy.jpg"
    if args.child:
        print(json.dumps(denoise_in_window(noisy_path, args.model, args.threads, args.timeout)))
        return
    if args.out.exists() and any(args.out.iterdir()):
        raise SystemExit(f"{args.out} is not empty: give a new folder")
    try:
        clean = clean_frame(args.photo, args.megapixels)
    except OSError as error:  # missing, unreadable or not a picture: nothing written yet
        raise SystemExit(f"cannot read {args.photo}: {error}") from None
    args.out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(clean).save(args.out / "clean.png")
    noisy_jpeg(clean, args.camera, args.jpeg, args.seed, noisy_path)
    child = subprocess.run([sys.executable, __file__, *(argv if argv is not None else sys.argv[1:]), "--child"],
                           capture_output=True, text=True)
    if child.returncode != 0:
        raise SystemExit(f"the app run failed:\n{child.stderr[-3000:]}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    noisy = np.asarray(Image.open(noisy_path).convert("RGB"))
    denoised = np.asarray(Image.open(result["saved"]).convert("RGB"))
    centre_crops(noisy, denoised, clean).save(args.out / "crop.png")
    result.update(photo=args.photo.name, size=list(clean.shape[1::-1]), megapixels=clean.shape[0] * clean.shape[1] / 1e6,
                  camera=args.camera, jpeg=args.jpeg, psnr_noisy=psnr(noisy, clean), psnr_denoised=psnr(denoised, clean))
    (args.out / "result.json").write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
