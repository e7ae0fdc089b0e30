"""`cunet-studio --screenshots DIR`: one PNG per page, each showing real work.

A tiny model is trained for a few dozen steps on generated shapes (train.png, and it becomes a
model if none is installed), then images are generated with the default model (generate.png),
one of them is the start picture of an inpainting run with its lower half painted over
(inpaint.png), and a generated noisy photo is denoised (denoise.png). User data and preferences
are kept out of it: everything goes to a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.common.settings import AUTO_DEVICE, AppSettings
from app.shell.main_window import MainWindow
from app.tooling.demo_data import noisy_photo, shapes_folder
from app.tooling.tour import Tour, TourDialogs, TourError, spare_threads
from engine.checkpoints import ModelStore
from engine.imaging import save_png, to_pil

WINDOW_SIZE = (1280, 800)
TRAINING_STEPS = 40
TRAINING_IMAGE_SIZE = 16
TRAINING_WIDTH = 8


def take_screenshots(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cunet-screenshots-") as temp:
        work = Path(temp)
        settings = AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
        settings.set_compute(AUTO_DEVICE, spare_threads())
        store = ModelStore(user_dir=work / "models")  # bundled models, plus the demo model trained here
        window = MainWindow(settings, TourDialogs(), store)
        window.resize(*WINDOW_SIZE)
        window.show()
        tour = Tour(window)
        try:
            tour.train(shapes_folder(work / "shapes", size=TRAINING_IMAGE_SIZE), work / "runs" / "shapes",
                       TRAINING_STEPS, image_size=TRAINING_IMAGE_SIZE, width=TRAINING_WIDTH)
            tour.generate(count=16)
            _show_generation_step(window)
            _save(window, window.generate_page, out_dir / "generate.png")
            tour.inpaint(_selected_image(window, work / "start.png"), count=8)
            _show_generation_step(window)  # the column shows the start picture since it was read
            _save(window, window.generate_page, out_dir / "inpaint.png")
            tour.denoise(noisy_photo(work / "meadow.png", height=180, width=270))
            _save(window, window.denoise_page, out_dir / "denoise.png")
            _save(window, window.train_page, out_dir / "train.png")
        except TourError as error:
            print(f"screenshots failed: {error}", file=sys.stderr)
            return 1
        finally:
            window.close()
    print(f"wrote generate.png, inpaint.png, denoise.png and train.png to {out_dir}")
    return 0


def _show_generation_step(window: MainWindow) -> None:
    """Select an image and move the timeline two thirds in, where x_t and x̂0 differ visibly."""
    page = window.generate_page
    page.output.results.setCurrentRow(min(6, page.output.results.count() - 1))
    timeline = page.output.reverse_view.timeline
    timeline.setValue(timeline.maximum() * 2 // 3)


def _selected_image(window: MainWindow, path: Path) -> Path:
    """The selected result, written to `path`: a picture to start from."""
    page = window.generate_page
    save_png(path, to_pil(page.output.current_run().result.images[page.output.results.selected_index()]))
    return path


def _save(window: MainWindow, page, path: Path) -> None:
    window.tabs.setCurrentWidget(page)
    QApplication.processEvents()
    if not window.grab().save(str(path)):
        raise TourError(f"could not write {path}")
