"""What a training run shows while it runs: progress, loss / validation / speed / time left, the
loss plot, the latest fixed-seed sample grid and a log of events (checkpoints, pauses...)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QListWidget, QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget

from app.train.loss_plot import LossPlot
from app.train.training_work import SampleGrid
from app.train.view_model import duration
from app.widgets.pixel_view import PixelView
from engine.training import TrainingProgress

EVENT_LOG_LIMIT = 200


class TrainingMonitor(QSplitter):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.progress = QProgressBar()
        self.progress.setFormat("Not started")
        self.progress.setValue(0)
        self.loss_label, self.val_label, self.speed_label, self.eta_label = (QLabel("–") for _ in range(4))
        stats = QHBoxLayout()
        for title, label in (("Loss", self.loss_label), ("Validation", self.val_label),
                             ("Speed", self.speed_label), ("Time left", self.eta_label)):
            stats.addWidget(QLabel(f"<span style='color:#6b6b6b'>{title}</span>"))
            stats.addWidget(label)
            stats.addSpacing(16)
        stats.addStretch(1)
        self.plot = LossPlot()
        plot_box = QGroupBox("Loss")
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.addWidget(self.progress)
        plot_layout.addLayout(stats)
        plot_layout.addWidget(self.plot, 1)

        self.samples = PixelView("The fixed-seed sample grid appears here every sample interval, and at least "
                                 "every minute and a half.")
        self.samples_caption = QLabel("Samples")
        self.register_button = QPushButton("Add to models…")
        self.register_button.setToolTip("Add the trained model to the model list of the Generate and Denoise pages")
        samples_box = QGroupBox("Samples (same seeds every time)")
        samples_layout = QVBoxLayout(samples_box)
        samples_layout.addWidget(self.samples, 1)
        caption_row = QHBoxLayout()
        caption_row.addWidget(self.samples_caption, 1)
        caption_row.addWidget(self.register_button)
        samples_layout.addLayout(caption_row)
        self.events = QListWidget()
        self.events.setWordWrap(True)
        self.events.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.events.setToolTip("What the run did: checkpoints, pauses, sample grids")
        events_box = QGroupBox("Events")
        QVBoxLayout(events_box).addWidget(self.events)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(samples_box)
        lower.addWidget(events_box)
        lower.setSizes([520, 360])
        self.addWidget(plot_box)
        self.addWidget(lower)
        self.setSizes([420, 380])

    def clear(self) -> None:
        self.plot.clear_curves()
        self.events.clear()
        self.samples.set_image(None)
        self.samples_caption.setText("Samples")
        for label in (self.loss_label, self.val_label, self.speed_label, self.eta_label):
            label.setText("–")

    def show_history(self, records: list[dict], reached: int, total: int) -> None:
        """A run folder's log (loss per step, some with val_loss), as when it was running."""
        self.clear()
        self.plot.add_losses([r["step"] for r in records], [r["loss"] for r in records])
        for record in records:
            if "val_loss" in record:
                self.plot.add_validation(record["step"], record["val_loss"])
        self.set_progress(reached, total, f"Opened at step {reached}; set a higher step target to continue")

    def set_progress(self, step: int, total: int, text: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(step)
        self.progress.setFormat(text)

    def set_status(self, text: str) -> None:
        if self.progress.maximum() == 0:  # still indeterminate: a run that ended before its first step
            self.progress.setRange(0, 1)
        self.progress.setFormat(text)

    def set_working(self, text: str) -> None:
        """Indeterminate progress (opening data, before the first step)."""
        self.progress.setRange(0, 0)
        self.progress.setFormat(text)

    def show_steps(self, events: list[TrainingProgress], update_text: bool) -> None:
        self.plot.add_losses([e.step for e in events], [e.loss for e in events])
        last = events[-1]
        self.progress.setRange(0, last.total_steps)
        self.progress.setValue(last.step)
        if update_text:
            self.progress.setFormat(f"Step {last.step}/{last.total_steps}")
        self.loss_label.setText(f"{last.loss:.4f}")
        self.speed_label.setText(f"{last.images_per_second:.0f} img/s")
        self.eta_label.setText(duration(last.eta_seconds))

    def show_validation(self, step: int, loss: float) -> None:
        self.plot.add_validation(step, loss)
        self.val_label.setText(f"{loss:.4f}")

    def show_samples(self, grid: SampleGrid) -> None:
        self.samples.set_image(grid.image)
        self.samples_caption.setText(f"Samples at step {grid.step}")
        self.log(f"Step {grid.step}: sample grid {grid.path.name}")

    def log(self, text: str) -> None:
        self.events.addItem(text)
        while self.events.count() > EVENT_LOG_LIMIT:
            self.events.takeItem(0)
        self.events.scrollToBottom()

