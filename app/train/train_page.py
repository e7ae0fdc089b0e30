"""Train page: train a model on the user's folder of images or .npz file (chosen, or dropped on
the page), watch loss, validation loss and a fixed-seed sample grid live, pause / continue / stop
(each saves a checkpoint), continue an earlier run folder, and add the result to the model list
of the other pages. What it decides and says is `TrainViewModel`'s; this class shows it and
forwards clicks."""

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
from app.train.training_form import TrainingForm
from app.train.training_monitor import TrainingMonitor
from app.train.training_work import SampleGrid, StepBatch, register_model_work, training_work
from app.train.view_model import (
    FAILED,
    NOT_ADDED,
    OPENING_DATA,
    TrainingRefused,
    TrainViewModel,
    default_run_name,
    default_runs_folder,
    model_name_hint,
    runs_folder,
)
from app.widgets.control_column import side_by_side
from app.widgets.elided_text import PathField
from app.widgets.page_frame import PageFrame
from app.workers.job import Job
from engine.errors import EngineError
from engine.training import TrainingSummary


class TrainPage(PageFrame):
    training_done = Signal()  # the training job returned (finished, stopped or failed)
    registration_finished = Signal(str)  # the name it was added under, "" if adding failed

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.view_model = TrainViewModel()
        self._registration: Job | None = None
        controls, buttons = self._build_controls()
        self.monitor = TrainingMonitor()
        self.monitor.register_button.clicked.connect(self.register_model)
        self.set_content(controls, buttons, self.monitor, widths=(380, 880), min_controls_width=380,
                         keys=[(RUN_KEYS, self.start_button)])
        self._show_state()

    @property
    def state(self) -> str:
        """The run's state: app.train.view_model's IDLE, RUNNING, PAUSING, PAUSED or STOPPING."""
        return self.view_model.state

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
                                  f"Left empty, a new folder in {default_runs_folder()}")
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
        taken, message = self.view_model.take_dropped_data(paths[0])
        if taken:
            self._set_data(paths[0])
            self.banner.show_info(message)
        else:
            self.banner.show_error(message)

    def _set_data(self, path: Path) -> None:
        self.data_path.setText(str(path))
        self._context.settings.set_folder("train-data", path)

    def _choose_run_folder(self) -> None:
        folder = self._context.dialogs.choose_folder("Put the run folder in", self._runs_folder())
        if folder is not None:
            self._context.settings.set_folder("train-runs", folder)
            self.run_path.setText(str(folder / default_run_name(self.data_path.text())))

    def _choose_resume_run(self) -> None:
        folder = self._context.dialogs.choose_folder("Continue which run?", self._runs_folder())
        if folder is not None:
            self.open_run(folder)

    def _runs_folder(self) -> Path | None:
        return runs_folder(self._context.settings.folder("train-runs"))

    def open_run(self, folder: Path) -> bool:
        """Show a run folder's settings, loss history and latest samples, ready to continue."""
        try:
            opened = self.view_model.open_run(folder)
        except EngineError as error:
            self.banner.show_error(str(error))
            return False
        self.data_path.setText(opened.config.data)
        self.run_path.setText(str(folder))
        self.run_path.setEnabled(False)
        self.form.show_run(opened.config, opened.reached)
        self.monitor.show_history(opened.log, opened.reached, opened.config.steps)
        if opened.grid is not None:
            self.monitor.show_samples(opened.grid)
        if opened.note is not None:
            self.monitor.log(opened.note)
        self._context.settings.set_folder("train-runs", folder.parent)
        self.banner.show_info(opened.message)
        self._show_state()
        return True

    def _new_run(self) -> None:
        self.view_model.new_run()
        self.run_path.setEnabled(True)
        self.run_path.clear()
        self.form.set_locked(False)
        self.monitor.clear()
        self.banner.clear()
        self._show_state()

    # --- training -----------------------------------------------------------------------------

    def is_training(self) -> bool:
        return self.view_model.is_training()

    def start_training(self) -> None:
        if self.is_training():
            return
        try:
            run = self.view_model.plan(self.data_path.text(), self.run_path.text())
            config = self.view_model.config(run, self.form.settings(), self._context.settings.device)
        except (TrainingRefused, EngineError) as error:
            self.banner.show_error(str(error))
            return
        self._context.settings.set_text("train/data", run.data)
        self.banner.clear()
        self.run_path.setText(run.out)
        if not run.resume:
            self.monitor.clear()
        control = self.view_model.started(time.monotonic())
        job = Job(training_work(config, run.resume, control, self._context.settings.threads))
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_summary)
        job.failed.connect(self._on_failed)
        job.finished.connect(self._on_job_finished)
        self.monitor.set_working(OPENING_DATA)
        job.start()
        self._show_state()

    def pause_training(self) -> None:
        if self.view_model.pause():
            self._show_state()

    def resume_training(self) -> None:
        if self.view_model.resume():
            self._show_state()

    def stop_training(self) -> None:
        """Ask the run to save a checkpoint and the model, then return (also when paused)."""
        if self.view_model.stop():
            self._show_state()

    def _on_progress(self, update: object) -> None:
        if isinstance(update, StepBatch):
            self.monitor.show_steps(update.events, update_text=self.view_model.steps_arrived())
            return
        if isinstance(update, SampleGrid):
            self.monitor.show_samples(update)
            self.view_model.grid_arrived()
            return
        state = self.state
        line = self.view_model.event_arrived(update)
        if update.event == "started":
            self.data_info.setText(update.message)
        elif update.event == "validation":
            self.monitor.show_validation(update.step, update.val_loss)
        if line is not None:
            self.monitor.log(line)
        if self.state != state:
            self._show_state()

    def _on_summary(self, summary: TrainingSummary) -> None:
        end = self.view_model.ended(summary, time.monotonic())
        if end.clear_run_path:
            self.run_path.clear()
        if end.log is not None:
            self.monitor.log(end.log)
        self.monitor.set_status(end.status)
        if end.banner is not None:
            self.banner.show_info(end.banner)
        if end.add_model:
            self.register_model()

    def _on_failed(self, message: str) -> None:
        self.monitor.set_status(FAILED)
        self.banner.show_error(message)

    def _on_job_finished(self) -> None:
        """After a stop, or a failed attempt to continue a run, the page stays on that run (folder
        and fixed settings locked, as when it was opened; the data field stays open: the engine
        takes a new place for images that moved and refuses other images); otherwise the form is free."""
        resumable = self.view_model.job_finished()
        self.run_path.setEnabled(not resumable)
        self.form.set_locked(resumable)
        self._show_state()
        self.training_done.emit()

    # --- registering the model ----------------------------------------------------------------

    def register_model(self) -> None:
        """Ask for a name (default: the data's name) and copy the model into the user store."""
        model_dir = self.view_model.model_dir
        if model_dir is None:
            return
        catalog = self._context.catalog
        default = catalog.unused_name(model_name_hint(self.data_path.text()))
        name = self._context.dialogs.ask_text("Add the trained model", "Name in the model list:", default)
        if name is None:
            self.banner.show_info(NOT_ADDED)
            return
        job = Job(register_model_work(catalog.store, model_dir, name))
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
        message = self.view_model.model_added(name)
        self._show_state()
        self.banner.show_info(message)
        self.registration_finished.emit(name)

    def _on_registration_failed(self, message: str) -> None:
        self.banner.show_error(f"Could not add the model: {message}")
        self._show_state()
        self.registration_finished.emit("")

    # --- state --------------------------------------------------------------------------------

    def _show_state(self) -> None:
        can = self.view_model.controls()
        for row in self._data_inputs:
            row.setEnabled(can.inputs)
        self.form.setEnabled(can.inputs)
        self.start_button.setEnabled(can.start)
        self.start_button.setText(can.start_text)
        self.new_run_button.setEnabled(can.new_run)
        self.pause_button.setEnabled(can.pause)
        self.resume_button.setEnabled(can.resume)
        self.stop_button.setEnabled(can.stop)
        self.monitor.register_button.setEnabled(can.add_model)
        if can.status is not None:
            self.monitor.set_status(can.status)
        self.busy_changed.emit(self.is_training())
