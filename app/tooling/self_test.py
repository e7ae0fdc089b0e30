"""`cunet-studio --self-test`: prove an installed app works end to end, offscreen.

Opens the main window, generates one image with the default model and denoises a small
generated photo, through the same pages and worker threads a user drives. Exit status 0 means
it all worked; packaging runs this on the frozen app. Nothing touches the user's data.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings

from app.common.settings import AUTO_DEVICE, AppSettings
from app.shell.main_window import MainWindow
from app.tooling.demo_data import noisy_photo, untrained_model
from app.tooling.tour import Tour, TourDialogs, TourError, spare_threads
from engine.checkpoints import ModelStore


def run_self_test() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cunet-self-test-") as temp:
        work = Path(temp)
        store = ModelStore(user_dir=work / "models")
        if not store.list():
            untrained_model(store.user_dir / "untrained-demo")
            print("self-test: no model installed; using an untrained demo model")
        settings = AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
        settings.set_compute(AUTO_DEVICE, spare_threads())
        window = MainWindow(settings, TourDialogs(), store)
        window.show()
        tour = Tour(window)
        try:
            entry = window.generate_page.picker.current_entry()
            tour.generate(count=1, steps=4)
            image = window.generate_page.output.results.count()
            print(f"self-test: generated {image} image with {entry.name}")
            tour.denoise(noisy_photo(work / "photo.png", height=48, width=64))
            result = window.denoise_page.queue.items[-1].outcome.result
            print(f"self-test: denoised a 64x48 photo with {window.denoise_page.picker.current_entry().name} "
                  f"(noise σ {result.sigma:.1f})")
        except TourError as error:
            print(f"self-test FAILED: {error}", file=sys.stderr)
            return 1
        finally:
            window.close()
    print(f"self-test passed in {time.monotonic() - started:.1f} s")
    return 0
