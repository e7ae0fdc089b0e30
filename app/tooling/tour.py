"""Drive a real MainWindow through real work (train, generate, inpaint, denoise), as a user would, for
the `--screenshots` and `--self-test` modes.

Each step presses the page's own buttons and waits on the page's own signals in a local event
loop, so the window stays live and everything runs on the normal worker threads.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication

from app.common.dialogs import Dialogs
from app.shell.main_window import MainWindow
from engine.models import SMALL_PRESETS


class TourError(RuntimeError):
    """A tour step failed; the message is what the page showed."""


class TourDialogs(Dialogs):
    """Unattended answers: keep the suggested model name, agree to stop-and-close."""

    def ask_text(self, title: str, label: str, default: str) -> str | None:
        return default

    def confirm(self, title: str, text: str, yes_label: str) -> bool:
        return True


class Tour:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def show(self, page) -> None:
        self.window.tabs.setCurrentWidget(page)
        QApplication.processEvents()

    def train(self, data: Path, run_dir: Path, steps: int, image_size: int, width: int) -> None:
        page = self.window.train_page
        self.show(page)
        page.data_path.setText(str(data))
        page.run_path.setText(str(run_dir))
        form = page.form
        form.preset.setCurrentIndex(form.preset.findData(SMALL_PRESETS["cunet"]))
        form.network_width.setValue(width)
        form.image_size.setValue(image_size)
        form.batch.setValue(8)
        form.steps.setValue(steps)
        form.lr.setValue(2e-3)
        form.warmup.setValue(5)
        form.save_every.setValue(steps)
        form.sample_every.setValue(max(1, steps // 4))
        form.validate_every.setValue(max(1, steps // 8))
        self._run(page.start_button, page.training_done, page.banner, timeout_s=600)
        if page.is_registering() and not wait_for(page.registration_finished, 120):
            raise TourError("adding the trained model did not finish")

    def generate(self, count: int, steps: int | None = None) -> None:
        page = self.window.generate_page
        self.show(page)
        page.count.setValue(count)
        if steps is not None:
            page.steps.setValue(steps)
        self._run(page.generate_button, page.generation_done, page.banner, timeout_s=300)

    def inpaint(self, picture: Path, count: int) -> None:
        """Start from `picture`, paint its lower half over to be redrawn (as strokes from the
        canvas), and generate: the upper half comes back as it was."""
        page = self.window.generate_page
        self.show(page)
        if not wait_for(page.pictures_read, 60, start=lambda: page.start_from_picture(picture)):
            raise TourError(f"reading {picture.name} did not finish")
        if page.view_model.picture.picture is None:
            raise TourError(page.banner.text())
        size = page.view_model.picture.geometry.image_size
        for row in range(size // 2, size):
            page.start_box.canvas.stroked.emit(0, row, size - 1, row)
        page.count.setValue(count)
        self._run(page.generate_button, page.generation_done, page.banner, timeout_s=300)

    def denoise(self, photo: Path, timeout_s: float = 300) -> None:
        page = self.window.denoise_page
        self.show(page)
        page.add_photos([photo])
        self._run(page.denoise_button, page.queue_idle, page.banner, timeout_s=timeout_s)
        item = page.queue.items[-1]
        if item.status != "done":
            raise TourError(f"denoising {photo.name} failed: {item.status_text()}")

    def _run(self, button, done: SignalInstance, banner, timeout_s: float) -> None:
        if not button.isEnabled():
            raise TourError(banner.text() or f"“{button.text()}” is disabled")
        if not wait_for(done, timeout_s, start=button.click):
            raise TourError(f"“{button.text()}” did not finish within {timeout_s:.0f} s")
        if banner.kind == "error":
            raise TourError(banner.text())


def spare_threads() -> int:
    """Half the CPU cores: unattended runs share the machine (builds, other jobs), and torch
    slows down badly when its threads compete with another busy process for cores."""
    return max(1, (os.cpu_count() or 2) // 2)


def wait_for(signal: SignalInstance, timeout_s: float, start=None) -> bool:
    """Run the event loop until `signal` fires (True) or the timeout passes (False); `start` is
    called once the loop is listening, so an instant signal is not missed."""
    loop = QEventLoop()
    fired = []

    def on_signal(*args) -> None:
        fired.append(True)
        loop.quit()

    signal.connect(on_signal)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if start is not None:
        QTimer.singleShot(0, start)
    loop.exec()
    signal.disconnect(on_signal)
    return bool(fired)
