"""Generate page: pick a model and settings, watch the reverse process live, then scrub, save and
export in the results side (app/generate/generation_output.py). A saved PNG dropped on the page (or
opened with "Settings from a saved image…") brings its settings back, so Generate makes the image
again."""

from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from app.common.shortcuts import CANCEL_KEYS, RUN_KEYS, SAVE_ALL_KEYS, SAVE_KEYS
from app.generate.generation_output import GenerationOutput
from app.generate.generation_run import GenerationRun
from app.generate.generation_work import LiveFrame, generation_work
from app.generate.solver_dial import SolverDial
from app.widgets.model_picker import ModelPicker
from app.widgets.page_frame import PageFrame
from app.widgets.run_footer import RunFooter
from app.workers.job import Job
from app.workers.model_cache import ModelCache
from engine.checkpoints import weights_id
from engine.errors import EngineError
from engine.generate import GenerationRequest, GenerationResult
from engine.generation_record import GenerationRecord, other_weights_warning, read_generation_record
from engine.paths import user_models_dir
from engine.sampling import SAMPLERS

SAMPLER_HINTS = {
    "ddpm": "DDPM: ancestral (stochastic), needs many steps",
    "ddim": "DDIM: deterministic at eta 0, good from ~25 steps",
    "dpmpp-2m": "DPM-Solver++(2M): deterministic, strong at 10-20 steps",
    "dpmpp-2m-sde": "DPM-Solver++(2M) SDE: fresh noise each step, keeps quality at 20 steps",
}
MAX_SEED = 2**31 - 1
NO_MODEL_TEXT = (
    "<b>No model installed yet.</b> Train one on the <a href='train'>Train page</a> from a folder of "
    f"images or a .npz file, or copy a model folder into {user_models_dir()}."
)


class GeneratePage(PageFrame):
    train_requested = Signal()
    generation_done = Signal()  # after success, failure or cancel

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._models = ModelCache()
        self._job: Job | None = None
        self._started_at = 0.0
        self._first_frame: tuple[float, int] | None = None  # (time, steps done) at the first live frame
        self._request_record: GenerationRecord | None = None  # the running generation's settings
        self._settings_loads = 0  # counts loads from images, so a late weights check knows it is stale
        controls = self._build_controls()
        self.output = GenerationOutput(context)
        self.output.saved.connect(self.banner.show_info)
        self.output.failed.connect(self.banner.show_error)
        self.set_content(controls, self.footer, self.output, widths=(360, 900), min_controls_width=350,
                         keys=[(RUN_KEYS, self.generate_button), (CANCEL_KEYS, self.cancel_button),
                               (SAVE_KEYS, self.output.save_button), (SAVE_ALL_KEYS, self.output.save_all_button)])
        self.picker.model_changed.connect(self._on_model_changed)
        self.picker.empty_notice.linkActivated.connect(self.train_requested)
        self._on_model_changed()
        self._set_busy(False)

    # --- layout -----------------------------------------------------------------------------

    def _build_controls(self) -> QWidget:
        self.picker = ModelPicker(self._context.catalog, self._context.settings, "generate/model",
                                  lambda entry: entry.spec.can_generate, NO_MODEL_TEXT,
                                  summary=("Description", "Architecture", "Images", "File size", "Recommended"))
        model_box = QGroupBox("Model")
        QVBoxLayout(model_box).addWidget(self.picker)

        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("Image i starts from the noise of seed + i: the same seed gives the same images")
        self.randomise = QToolButton()
        self.randomise.setText("Random")
        self.randomise.setToolTip("Pick a random seed")
        self.randomise.clicked.connect(lambda: self.seed.setValue(random.randint(0, MAX_SEED)))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.randomise)
        self.count = QSpinBox()
        self.count.setRange(1, 64)
        self.count.setValue(16)
        self.count.setToolTip("Number of images to generate")
        self.sampler = QComboBox()
        for name in SAMPLERS:
            self.sampler.addItem(name, name)
            self.sampler.setItemData(self.sampler.count() - 1, SAMPLER_HINTS[name], Qt.ItemDataRole.ToolTipRole)
        self.sampler.setToolTip("Reverse-process sampler")
        self.steps = QSpinBox()
        self.steps.setRange(1, 1000)
        self.steps.setToolTip("Sampler steps (network calls per image batch)")
        self.eta = QDoubleSpinBox()
        self.eta.setRange(0.0, 1.0)
        self.eta.setSingleStep(0.1)
        self.eta.setToolTip("DDIM randomness: 0 = deterministic, 1 = like DDPM")
        sampling_box = QGroupBox("Sampling")
        form = QFormLayout(sampling_box)
        form.addRow("Seed", seed_row)
        form.addRow("Images", self.count)
        form.addRow("Sampler", self.sampler)
        form.addRow("Steps", self.steps)
        form.addRow("DDIM eta", self.eta)
        self.from_image_button = QPushButton("Settings from a saved image…")
        self.from_image_button.setToolTip("Make an image again: load the model, seed, sampler, steps and solver saved "
                                          "in a PNG from this app (or drop the PNG on this page)")
        self.from_image_button.clicked.connect(self.open_settings_image)
        form.addRow(self.from_image_button)
        self._sampling_form = form
        self.sampler.currentIndexChanged.connect(self._on_sampler_changed)
        self._on_sampler_changed()  # the first sampler may already be the model's: no change signal then

        self.solver_dial = SolverDial()
        solver_box = QGroupBox("cUNet speed / quality")
        QVBoxLayout(solver_box).addWidget(self.solver_dial)

        self.footer = RunFooter("Generate", "Generate images", "Stop after the current sampler step")
        self.generate_button, self.cancel_button, self.progress = (
            self.footer.start_button, self.footer.cancel_button, self.footer.progress)
        self.generate_button.clicked.connect(self.start_generation)
        self.cancel_button.clicked.connect(self.cancel_generation)

        panel = QWidget()
        column = QVBoxLayout(panel)
        for box in (model_box, sampling_box, solver_box):
            column.addWidget(box)
        column.addStretch(1)
        self._inputs = [self.picker, sampling_box, solver_box]
        return panel

    # --- state --------------------------------------------------------------------------------

    def is_busy(self) -> bool:
        return self._job is not None and self._job.running

    def _set_busy(self, busy: bool) -> None:
        entry = self.picker.current_entry()
        for widget in self._inputs:
            widget.setEnabled(not busy)
        self.picker.combo.setEnabled(not busy and entry is not None)
        self.generate_button.setEnabled(not busy and entry is not None)
        self.cancel_button.setEnabled(busy)
        self.output.set_busy(busy)
        self.busy_changed.emit(busy)

    def _on_model_changed(self) -> None:
        entry = self.picker.current_entry()
        self.solver_dial.set_model(entry)
        if entry is not None:
            sampler, steps = entry.spec.recommended_sampler()
            index = self.sampler.findData(sampler)
            self.sampler.setCurrentIndex(max(index, 0))
            self.steps.setValue(steps)
        self.generate_button.setEnabled(entry is not None and not self.is_busy())

    def _on_sampler_changed(self) -> None:
        self._sampling_form.setRowVisible(self.eta, self.sampler.currentData() == "ddim")

    # --- settings from a saved image ---------------------------------------------------------

    def files_dropped(self, paths: list[Path]) -> None:
        self.load_settings_from(paths[0])

    def open_settings_image(self) -> None:
        folder = self._context.settings.folder("save-images")
        path = self._context.dialogs.open_file("Settings from a saved image", folder, "PNG images (*.png);;All files (*)")
        if path is not None:
            self.load_settings_from(path)

    def load_settings_from(self, path: Path) -> bool:
        """Set every control to the settings saved in `path`; on any problem say what it is and
        change nothing."""
        self._settings_loads += 1
        if self.is_busy():
            self.banner.show_error("Settings can be loaded once this generation has finished (or been cancelled).")
            return False
        try:
            record = read_generation_record(path)
        except EngineError as error:
            self.banner.show_error(str(error))
            return False
        if record.seed > MAX_SEED:
            self.banner.show_error(f"{path.name} was made with seed {record.seed:,}, beyond this page's largest seed "
                                   f"({MAX_SEED:,}): make it again with engine sample --settings-from.")
            return False
        if not self.picker.select(record.model):
            self.banner.show_error(f"{path.name} was made with the model “{record.model}”, which is not installed "
                                   "here: train it on the Train page or copy its folder into your models folder.")
            return False
        self.seed.setValue(record.seed)
        self.count.setValue(min(record.count, self.count.maximum()))
        self.sampler.setCurrentIndex(self.sampler.findData(record.sampler))
        self.steps.setValue(record.steps)
        self.eta.setValue(record.eta)
        exact_solver = self.solver_dial.set_solver(record.solver)
        capped = f" (the first {self.count.maximum()} of its images)" if record.count > self.count.maximum() else ""
        loaded = f"Loaded the settings of {path.name}: {record.summary()}{capped}."
        if exact_solver:
            self.banner.show_info(f"{loaded} Generate makes it again.")
        else:
            loaded += (" This page cannot set its ODE solver exactly (rtol and atol differ), so the picture will "
                       "differ; engine sample --settings-from makes it exactly.")
            self.banner.show_warning(loaded)
        if record.weights is not None:
            self._check_weights(record, self.picker.current_entry().path, loaded, path.name)
        return True

    def _check_weights(self, record: GenerationRecord, model_path: Path, loaded: str, image_name: str) -> None:
        """Fingerprint the installed model in a worker (hashing a large model file would freeze the
        page); `_on_weights_checked` turns the banner into a warning if other weights made the image."""
        load = self._settings_loads

        def check(report, cancel) -> tuple[int, str, str | None]:
            try:
                return load, loaded, other_weights_warning(record, weights_id(model_path), image_name)
            except EngineError as error:
                return load, loaded, str(error)
        job = Job(check)
        job.succeeded.connect(self._on_weights_checked)  # a bound slot: dropped if the page is closed first
        job.start()

    def _on_weights_checked(self, outcome: tuple[int, str, str | None]) -> None:
        load, loaded, warning = outcome
        if warning and load == self._settings_loads:  # not once another image was dropped or opened
            self.banner.show_warning(f"{loaded} But {warning}.")

    # --- generation ---------------------------------------------------------------------------

    def start_generation(self) -> None:
        entry = self.picker.current_entry()
        if entry is None or self.is_busy():
            return
        self.banner.clear()
        solver = self.solver_dial.solver()
        eta = self.eta.value() if self.sampler.currentData() == "ddim" else 0.0
        request = GenerationRequest(
            count=self.count.value(), seed=self.seed.value(), sampler=self.sampler.currentData(),
            steps=self.steps.value(), eta=eta, solver=solver, keep_trajectory=True,
        )
        record = GenerationRecord(model=entry.name, seed=request.seed, sampler=request.sampler, steps=request.steps,
                                  eta=eta, solver=solver, count=request.count)
        job = Job(generation_work(self._models, entry.path, self._context.settings.device, request,
                                  self._context.settings.threads))
        job.progress.connect(self._on_live_frame)
        self._request_record = record
        job.succeeded.connect(self._on_generated)  # bound slots: dropped if the page goes first
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.finished.connect(self._on_job_finished)
        self._job = job
        self._started_at = time.monotonic()
        self._first_frame = None
        self.footer.show_waiting("Loading model…")
        self.output.reverse_view.start_live()
        job.start()
        self._set_busy(True)

    def cancel_generation(self) -> None:
        if self.is_busy():
            self._job.cancel()
            self.progress.setFormat("Cancelling…")

    def _on_live_frame(self, frame: LiveFrame) -> None:
        """Time left is timed from the first step, not from the start: loading the model (seconds
        for a large one) is not part of every step."""
        now = time.monotonic()
        if self._first_frame is None:
            self._first_frame = (now, frame.done)
        first_at, first_done = self._first_frame
        left = ""
        if frame.done > first_done:
            left = f" · {(now - first_at) / (frame.done - first_done) * (frame.total - frame.done):.0f} s left"
        self.footer.show_step(frame.done, frame.total, f"Step {frame.done}/{frame.total}{left}")
        images = f"image {frame.first_image + 1}" if frame.batch == 1 else \
            f"images {frame.first_image + 1}-{frame.first_image + frame.batch}"
        self.output.reverse_view.show_live(frame.x_t, frame.predicted_x0, frame.step, frame.steps,
                                           f"Live: step {frame.step}/{frame.steps} · t = {frame.t} · {images}")

    def _on_generated(self, result: GenerationResult) -> None:
        record = self._request_record
        run = GenerationRun(result, dataclasses.replace(record, sampler=result.sampler, steps=result.steps,
                                                        weights=result.model_weights))
        seconds = time.monotonic() - self._started_at
        self.footer.show_outcome(True, f"{len(result.images)} images in {seconds:.1f} s ({result.sampler}, {result.steps} steps)")
        self.output.add_run(run)

    def _on_failed(self, message: str) -> None:
        self.footer.show_outcome(False, "Failed")
        self.banner.show_error(message)

    def _on_cancelled(self) -> None:
        self.footer.show_outcome(False, "Cancelled")
        self.banner.show_info("Generation cancelled; the unfinished images were discarded.")

    def _on_job_finished(self) -> None:
        self._set_busy(False)
        self.generation_done.emit()

    # --- shutdown -----------------------------------------------------------------------------

    def cancel_all(self) -> None:
        """Window closing: stop sampling at the next step (file writes are left to finish)."""
        if self.is_busy():
            self._job.cancel()

