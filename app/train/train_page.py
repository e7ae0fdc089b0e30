"""Train page: train a model on the user's folder of images or .npz file (chosen, or dropped on
the page), watch loss, validation loss and a fixed-seed sample grid live, pause / continue / stop
(each saves a checkpoint), continue an earlier run folder, and add the result to the model list
of the other pages."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from app.common.shortcuts import RUN_KEYS
from app.train.preview_schedule import PreviewSchedule
from app.train.training_form import TrainingForm
from app.train.training_monitor import TrainingMonitor, duration
from app.train.training_work import SampleGrid, StepBatch, read_sample_grid, register_model_work, training_work
from app.widgets.control_column import side_by_side
from app.widgets.elided_text import PathField
from app.widgets.page_frame import PageFrame
from app.workers.job import Job
from engine.errors import EngineError
from engine.paths import user_data_dir
from engine.training import RunFolder, TrainingConfig, TrainingControl, TrainingSummary

IDLE, RUNNING, PAUSING, PAUSED, STOPPING = "idle", "running", "pausing", "paused", "stopping"


class TrainPage(PageFrame):
    training_done = Signal()  # the training job returned (finished, stopped or failed)
    registration_finished = Signal(str)  # the name it was added under, "" if adding failed

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.state = IDLE
        self._control: TrainingControl | None = None
        self._resume_dir: Path | None = None
        self._model_dir: Path | None = None
        self._started_at = 0.0
        self._registration: Job | None = None
        self._previews = PreviewSchedule()
        controls, buttons = self._build_controls()
        self.monitor = TrainingMonitor()
        self.monitor.register_button.clicked.connect(self.register_model)
        self.set_content(controls, buttons, self.monitor, widths=(380, 880), min_controls_width=380,
                         keys=[(RUN_KEYS, self.start_button)])
        self._update_state(IDLE)

    # --- layout -------------------------------------------------------------------------------

    def _build_controls(self) -> tuple[QWidget, QHBoxLayout]:
        self.data_path = PathField("Training images: a folder (searched recursively) or a NumPy .npz archive "
                                   "with an 'images' array. A run being continued keeps its images; if they "
                                   "have moved, point to their new place here")
        self.data_path.setPlaceholderText("A folder of images or a .npz file")
        self.data_path.setText(self._context.settings.text("train/data"))
        # One "…" button with a menu, like the run folder's: two buttons left the path box too narrow to read.
        choose_data = QToolButton()
        choose_data.setText("…")
        choose_data.setToolTip("Choose a folder of images or a NumPy .npz archive")
        choose_data.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        data_menu = QMenu(choose_data)
        data_menu.addAction("Folder of images…", self._choose_data_folder)
        data_menu.addAction("NumPy .npz archive…", self._choose_data_file)
        choose_data.setMenu(data_menu)
        data_row = side_by_side(self.data_path, choose_data)
        self.data_info = QLabel("")
        self.data_info.setWordWrap(True)
        self.run_path = PathField("Run folder: settings, checkpoints, sample grids, log and the final model. "
                                  f"Left empty, a new folder in {user_data_dir() / 'runs'}")
        self.run_path.setPlaceholderText("A new folder among your runs")
        run_button = QToolButton()
        run_button.setText("…")
        run_button.setToolTip("Choose where the run folder goes")
        run_button.clicked.connect(self._choose_run_folder)
        run_row = side_by_side(self.run_path, run_button)
        self.open_run_button = QPushButton("Continue a run…")
        self.open_run_button.setToolTip("Open an earlier run folder and continue it from its last checkpoint")
        self.open_run_button.clicked.connect(self._choose_resume_run)
        self.new_run_button = QPushButton("New run")
        self.new_run_button.setToolTip("Forget the opened run and set up a new one")
        self.new_run_button.clicked.connect(self._new_run)
        run_buttons = side_by_side(self.open_run_button, self.new_run_button, stretch_last=True)
        data_box = QGroupBox("Data and run folder")
        data_form = QFormLayout(data_box)
        data_form.addRow("Images", data_row)
        data_form.addRow(self.data_info)
        data_form.addRow("Run folder", run_row)
        data_form.addRow(run_buttons)
        # Locked while a run goes, row by row: the data summary and its small-dataset warning stay readable.
        self._data_inputs = [data_row, run_row, run_buttons]

        self.form = TrainingForm()

        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Start training (or continue the opened run)")
        self.start_button.clicked.connect(self.start_training)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Save a checkpoint and pause; Continue picks up exactly where it stopped")
        self.pause_button.clicked.connect(self.pause_training)
        self.resume_button = QPushButton("Continue")
        self.resume_button.setToolTip("Continue the paused run")
        self.resume_button.clicked.connect(self.resume_training)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Save a checkpoint and the model so far, then stop")
        self.stop_button.clicked.connect(self.stop_training)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(button)

        panel = QWidget()
        column = QVBoxLayout(panel)
        column.addWidget(data_box)
        column.addWidget(self.form)
        column.addStretch(1)
        return panel, buttons

    # --- choosing data and runs ---------------------------------------------------------------

    def _choose_data_folder(self) -> None:
        folder = self._context.dialogs.choose_folder("Training images", self._context.settings.folder("train-data"))
        if folder is not None:
            self._set_data(folder)

    def _choose_data_file(self) -> None:
        path = self._context.dialogs.open_file("Training images (.npz)", self._context.settings.folder("train-data"),
                                               "NumPy archives (*.npz)")
        if path is not None:
            self._set_data(path)

    def files_dropped(self, paths: list[Path]) -> None:
        path = paths[0]
        if self.state != IDLE:
            self.banner.show_error("The training images cannot change while a run is going: stop it first.")
        elif self._resume_dir is not None:
            self.banner.show_error(f"{self._resume_dir.name} trains on its own images: press New run to train on "
                                   f"{path.name}.")
        elif not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".npz")):
            self.banner.show_error(f"{path.name} is not a folder or a .npz file: drop the folder of images to "
                                   "train on.")
        else:
            self._set_data(path)
            self.banner.show_info(f"Training images: {path}. Press Start to train on them.")

    def _set_data(self, path: Path) -> None:
        self.data_path.setText(str(path))
        self._context.settings.set_folder("train-data", path)

    def _choose_run_folder(self) -> None:
        folder = self._context.dialogs.choose_folder("Put the run folder in", self._runs_folder())
        if folder is not None:
            self._context.settings.set_folder("train-runs", folder)
            self.run_path.setText(str(folder / self._default_run_name()))

    def _choose_resume_run(self) -> None:
        folder = self._context.dialogs.choose_folder("Continue which run?", self._runs_folder())
        if folder is not None:
            self.open_run(folder)

    def _runs_folder(self) -> Path | None:
        """Where run-folder dialogs open: the last place used, else the app's own runs folder."""
        default = user_data_dir() / "runs"
        return self._context.settings.folder("train-runs") or (default if default.is_dir() else None)

    def open_run(self, folder: Path) -> bool:
        """Show a run folder's settings, loss history and latest samples, ready to continue."""
        try:
            config = TrainingConfig.load(folder)
        except EngineError as error:
            self.banner.show_error(str(error))
            return False
        run = RunFolder(folder)
        records = run.read_log()
        reached = records[-1]["step"] if records else 0
        self._resume_dir = folder
        self.data_path.setText(config.data)
        self.run_path.setText(str(folder))
        self.run_path.setEnabled(False)
        self.form.show_run(config, reached)
        self.monitor.show_history(records, reached, config.steps)
        latest = run.latest_sample_grid()
        if latest is not None:
            try:
                self.monitor.show_samples(read_sample_grid(latest[1], latest[0]))
            except (OSError, ValueError) as error:  # a damaged picture must not stop the run from opening
                self.monitor.log(f"The latest sample grid, {latest[1].name}, cannot be shown: {error}")
        self._context.settings.set_folder("train-runs", folder.parent)
        self.banner.show_info(f"Opened {folder.name} at step {reached}. Press Start to continue it.")
        self._update_state(IDLE)
        return True

    def _new_run(self) -> None:
        self._resume_dir = None
        self.run_path.setEnabled(True)
        self.run_path.clear()
        self.form.set_locked(False)
        self.monitor.clear()
        self.banner.clear()
        self._update_state(IDLE)

    def _default_run_name(self) -> str:
        data = Path(self.data_path.text().strip() or "run")
        return f"{data.stem or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}"

    # --- training -----------------------------------------------------------------------------

    def is_training(self) -> bool:
        return self.state != IDLE

    def start_training(self) -> None:
        if self.is_training():
            return
        data = self.data_path.text().strip()
        if not data:
            self.banner.show_error("Choose the training images first: a folder of images or a .npz file.")
            return
        resume = self._resume_dir is not None
        out = self.run_path.text().strip() or str(user_data_dir() / "runs" / self._default_run_name())
        name = Path(data).stem
        card = {"display_name": name, "description": f"Trained in cUNet Studio on {Path(data).name}",
                "dataset": Path(data).name}
        try:
            config = self.form.config(data, out, self._context.settings.device, card)
        except EngineError as error:
            self.banner.show_error(str(error))
            return
        self._context.settings.set_text("train/data", data)
        self.banner.clear()
        self.run_path.setText(out)
        self._model_dir = None
        if not resume:
            self.monitor.clear()
        self._control = TrainingControl()
        job = Job(training_work(config, resume, self._control, self._context.settings.threads))
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_summary)
        job.failed.connect(self._on_failed)
        job.finished.connect(self._on_job_finished)
        self._started_at = time.monotonic()
        self.monitor.set_working("Opening the training images…")
        job.start()
        self._update_state(RUNNING)

    def pause_training(self) -> None:
        if self.state == RUNNING:
            self._control.request_pause()
            self._update_state(PAUSING)

    def resume_training(self) -> None:
        if self.state == PAUSED:
            self._control.request_resume()
            self._update_state(RUNNING)

    def stop_training(self) -> None:
        """Ask the run to save a checkpoint and the model, then return (also when paused)."""
        if self.state in (RUNNING, PAUSING, PAUSED):
            self._control.request_stop()
            self._update_state(STOPPING)

    def _on_progress(self, update: object) -> None:
        if isinstance(update, StepBatch):
            self.monitor.show_steps(update.events, update_text=self.state == RUNNING)
            if self.state == RUNNING and self._previews.take_due():
                self._control.request_samples()
        elif isinstance(update, SampleGrid):
            self.monitor.show_samples(update)
            self._previews.grid_shown()
        elif update.event == "started":
            self._previews.start()
            self.data_info.setText(update.message)
            self.monitor.log(f"Started at step {update.step} of {update.total_steps}: {update.message}")
        elif update.event == "validation":
            self.monitor.show_validation(update.step, update.val_loss)
        elif update.event == "checkpoint":
            self.monitor.log(f"Step {update.step}: checkpoint saved ({update.message})")
        elif update.event == "paused":
            self.monitor.log(f"Paused at step {update.step}; checkpoint saved")
            if self.state == PAUSING:
                self._update_state(PAUSED)
        elif update.event == "resumed":
            self._previews.start()
            self.monitor.log(f"Continued at step {update.step}")
        elif update.event in ("finished", "stopped"):
            self.monitor.log(f"{update.event.capitalize()} at step {update.step}")

    def _on_summary(self, summary: TrainingSummary) -> None:
        self._model_dir = summary.model_dir
        if not summary.began:  # stopped while the images were opened: a run being continued stays continuable
            self.monitor.set_status("Stopped before the first step: nothing was written")
            return
        if summary.stopped:  # Start continues it; "New run" starts afresh
            self._resume_dir = summary.run_dir
            self.monitor.set_status(f"Stopped at step {summary.step}/{summary.total_steps} (checkpoint saved)")
            self.banner.show_info(f"Stopped at step {summary.step}. “Continue run” goes on from here (now or in "
                                  "a later session, with “Continue a run…”); you can also add the model so far "
                                  "to your models.")
            return
        self._resume_dir = None
        self.run_path.clear()  # the next Start makes a new run folder instead of refusing this finished one
        self.monitor.log(f"Run folder: {summary.run_dir}")
        self.monitor.set_status(f"Finished: {summary.step} steps in {duration(time.monotonic() - self._started_at)}")
        self.register_model()

    def _on_failed(self, message: str) -> None:
        self.monitor.set_status("Failed")
        self.banner.show_error(message)

    def _on_job_finished(self) -> None:
        """After a stop, or a failed attempt to continue a run, the page stays on that run (folder
        and fixed settings locked, as when it was opened; the data field stays open: the engine
        takes a new place for images that moved and refuses other images); otherwise the form is free."""
        self._control = None
        resumable = self._resume_dir is not None
        self.run_path.setEnabled(not resumable)
        self.form.set_locked(resumable)
        self._update_state(IDLE)
        self.training_done.emit()

    # --- registering the model ----------------------------------------------------------------

    def register_model(self) -> None:
        """Ask for a name (default: the data's name) and copy the model into the user store."""
        if self._model_dir is None:
            return
        catalog = self._context.catalog
        default = catalog.unused_name(Path(self.data_path.text()).stem or "my-model")
        name = self._context.dialogs.ask_text("Add the trained model", "Name in the model list:", default)
        if name is None:
            self.banner.show_info("The model was not added. Use “Add to models…” to add it later.")
            return
        job = Job(register_model_work(catalog.store, self._model_dir, name))
        job.succeeded.connect(self._on_registered)  # a bound slot: dropped if the page goes first
        job.failed.connect(self._on_registration_failed)
        self._registration = job
        self.monitor.register_button.setEnabled(False)
        job.start()

    def is_registering(self) -> bool:
        return self._registration is not None and self._registration.running

    def _on_registered(self, model_folder: Path) -> None:
        name = model_folder.name  # the store names a model by its folder
        self._context.catalog.refresh()
        self._model_dir = None
        self._update_state(self.state)
        self.banner.show_info(f"Added “{name}” to your models: pick it on the Generate or Denoise page.")
        self.registration_finished.emit(name)

    def _on_registration_failed(self, message: str) -> None:
        self.banner.show_error(f"Could not add the model: {message}")
        self._update_state(self.state)
        self.registration_finished.emit("")

    # --- state --------------------------------------------------------------------------------

    def _update_state(self, state: str) -> None:
        self.state = state
        idle = state == IDLE
        for row in self._data_inputs:
            row.setEnabled(idle)
        self.form.setEnabled(idle)
        self.start_button.setEnabled(idle)
        self.start_button.setText("Continue run" if idle and self._resume_dir else "Start")
        self.new_run_button.setEnabled(idle and self._resume_dir is not None)
        self.pause_button.setEnabled(state == RUNNING)
        self.resume_button.setEnabled(state == PAUSED)
        self.stop_button.setEnabled(state in (RUNNING, PAUSING, PAUSED))
        self.monitor.register_button.setEnabled(idle and self._model_dir is not None)
        texts = {PAUSING: "Pausing: saving a checkpoint…", PAUSED: "Paused (checkpoint saved)",
                 STOPPING: "Stopping: saving a checkpoint…"}
        if state in texts:
            self.monitor.set_status(texts[state])
        self.busy_changed.emit(not idle)
