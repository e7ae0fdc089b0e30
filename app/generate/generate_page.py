"""Generate page: pick a model and settings (a class, for a class-conditional model; a picture to
start from and a mask painted over it, for img2img and inpainting), watch the reverse process live,
then scrub, save and export in the results side (app/generate/generation_output.py). A saved PNG
dropped on the page (or opened with "Settings from a saved image…") brings its settings back, so
Generate makes the image again; any other picture dropped on it becomes the start picture. What it
decides and says is `GenerateViewModel`'s; this class shows it and forwards clicks."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from app.common.context import AppContext
from app.common.file_filters import PHOTO_FILTER
from app.common.shortcuts import CANCEL_KEYS, RUN_KEYS, SAVE_ALL_KEYS, SAVE_KEYS
from app.generate.class_controls import ClassControls
from app.generate.generation_output import GenerationOutput
from app.generate.generation_work import LiveFrame, WeightsCheck, generation_work, weights_check_work
from app.generate.picture_work import Geometry, PicturesRead, pictures_work, recorded_pictures_work
from app.generate.picture_defaults import INPAINTING_SWITCH, PICTURE_CLASS_SWITCH, PictureDefaults, default_class_choice
from app.generate.sampling_controls import SamplingControls
from app.generate.solver_dial import SolverDial
from app.generate.start_picture import StartPictureBox
from app.generate.tradeoff_words import sampler_in_words
from app.generate.view_model import (
    CANCELLED,
    CANCELLED_MESSAGE,
    CANCELLING,
    FAILED,
    FROM_RESULT,
    LOADING_MODEL,
    MASK,
    NEEDS_MODEL,
    NO_MODEL_TEXT,
    PICTURE,
    PICTURE_BUSY,
    REFIT,
    GenerateViewModel,
    GenerationSettings,
    LoadedSettings,
    SettingsNotLoaded,
    enabled,
    live_caption,
)
from app.widgets.control_column import scroll_into_view
from app.widgets.model_picker import ModelPicker
from app.widgets.page_frame import PageFrame
from app.widgets.run_footer import RunFooter
from app.workers.job import Job
from app.workers.model_cache import ModelCache
from app.workers.work import Work
from engine.checkpoints import ModelSpec
from engine.errors import EngineError
from engine.generate import GenerationResult
from engine.steering import recommended_sampler


class GeneratePage(PageFrame):
    train_requested = Signal()
    generation_done = Signal()  # after success, failure or cancel
    pictures_read = Signal()  # a start picture, mask or saved image's pictures were read, or failed to be

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.view_model = GenerateViewModel()
        self._models = ModelCache()
        self._job: Job | None = None
        self._defaults = PictureDefaults()  # what the sampler and class were last set for
        controls = self._build_controls()
        self.output = GenerationOutput(context)
        self.output.saved.connect(self.banner.show_info)
        self.output.failed.connect(self.banner.show_error)
        self.output.start_picture_saved.connect(lambda path: self.start_from_picture(path, FROM_RESULT))
        self.set_content(controls, self.footer, self.output, widths=(360, 900), min_controls_width=350,
                         keys=[(RUN_KEYS, self.generate_button), (CANCEL_KEYS, self.cancel_button),
                               (SAVE_KEYS, self.output.save_button), (SAVE_ALL_KEYS, self.output.save_all_button)])
        self.picker.model_changed.connect(self._on_model_changed)
        for changed in (self.sampler.currentIndexChanged, self.steps.valueChanged, self.solver_dial.changed,
                        self.start_box.changed):
            changed.connect(self._show_solver_cost)
        for changed in (self.sampler.currentIndexChanged, self.steps.valueChanged, self.start_box.changed):
            changed.connect(self._show_sampler_measured)
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

        sampling_box = self.sampling_box = SamplingControls()
        self.seed, self.count, self.sampler, self.steps, self.eta = (
            sampling_box.seed, sampling_box.count, sampling_box.sampler, sampling_box.steps, sampling_box.eta)
        self.from_image_button = sampling_box.from_image_button
        self.from_image_button.clicked.connect(self.open_settings_image)

        self.class_controls = ClassControls()
        self.start_box = StartPictureBox(self.view_model.picture)
        self.start_box.open_button.clicked.connect(self.open_start_picture)
        self.start_box.clear_button.clicked.connect(self.clear_start_picture)
        self.start_box.open_mask_button.clicked.connect(self.open_mask)
        self.start_box.changed.connect(self._follow_mask)
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
        for box in (model_box, sampling_box, self.class_controls, self.start_box, solver_box):
            column.addWidget(box)
        column.addStretch(1)
        self._inputs = [self.picker, sampling_box, self.class_controls, self.start_box, solver_box]
        return panel

    # --- state --------------------------------------------------------------------------------

    def is_busy(self) -> bool:
        return self.view_model.busy

    def generation_settings(self) -> GenerationSettings:
        """What the controls are set to."""
        return GenerationSettings(self.seed.value(), self.count.value(), self.sampler.currentData(),
                                  self.steps.value(), self.eta.value(), self.solver_dial.solver(),
                                  self.class_controls.class_label(), self.class_controls.guidance_scale(),
                                  self.start_box.resample.value(), self.class_controls.random_class())

    def _set_busy(self, busy: bool) -> None:
        self._show_enabled()
        self.output.set_busy(busy)
        self.busy_changed.emit(busy)

    def _show_enabled(self) -> None:
        can = enabled(self.is_busy(), self.picker.current_entry() is not None, self.view_model.reading)
        for widget in self._inputs:
            widget.setEnabled(can.inputs)
        self.picker.combo.setEnabled(can.model_choice)
        self.generate_button.setEnabled(can.generate)
        self.cancel_button.setEnabled(can.cancel)

    def _on_model_changed(self) -> None:
        entry = self.picker.current_entry()
        self.solver_dial.set_model(entry)
        masked, pictured = self.view_model.picture.masked, self.view_model.picture.picture is not None
        self._defaults.set_for(masked, pictured, class_moved=pictured)
        self.class_controls.set_model(entry.spec if entry else None, default_class_choice(pictured))
        if entry is not None:
            self._show_sampler(recommended_sampler(entry.spec, masked))
            refit = self.view_model.refit_paths(Geometry.of(entry.spec))
            if refit is not None:  # the start picture was fitted to another size or channel count
                self._read_pictures(pictures_work(*refit, Geometry.of(entry.spec), self.view_model.begin_read(REFIT)))
        self._show_sampler_measured()  # the same sampler and steps may read otherwise on this model's card
        self.generate_button.setEnabled(enabled(self.is_busy(), entry is not None, self.view_model.reading).generate)

    def _show_solver_cost(self) -> None:
        entry = self.picker.current_entry()
        spec = entry.spec if entry else None
        self.solver_dial.show_cost(self.view_model.solver_cost(spec, self.generation_settings()))

    def _show_sampler_measured(self) -> None:
        """The card's words on the sampler and steps, for generation from noise: a start picture's
        runs (fewer steps, or inpainting's own sampler) are not what the card measured."""
        entry = self.picker.current_entry()
        plain = entry is not None and self.view_model.picture.picture is None
        self.sampling_box.show_measured(
            sampler_in_words(entry, self.sampler.currentData(), self.steps.value()) if plain else "")

    def _on_sampler_changed(self) -> None:
        self.start_box.set_sampler(self.sampler.currentData())

    def _show_sampler(self, sampler_and_steps: tuple[str, int]) -> None:
        sampler, steps = sampler_and_steps
        self.sampler.setCurrentIndex(max(self.sampler.findData(sampler), 0))
        self.steps.setValue(steps)

    def _follow_mask(self) -> None:
        """A mask may have appeared or gone: move the sampler to inpainting's recommendation or
        back, unless the user chose another (`PictureDefaults.sampler_move`), and say so."""
        entry = self.picker.current_entry()
        if entry is None:
            return
        masked = self.view_model.picture.masked
        switch = self._defaults.sampler_move(entry.spec, masked, (self.sampler.currentData(), self.steps.value()))
        if switch is not None:
            self._show_sampler(switch)
            if masked:
                self.banner.show_info(INPAINTING_SWITCH.format(sampler=switch[0], steps=switch[1]))

    def _follow_picture(self) -> str:
        """A start picture may have appeared or gone: move the class picker to the new situation's
        default unless the user chose a class (`PictureDefaults.class_move`). Returns what to tell
        the user of a move to "Any" (else ""), for the picture's own message."""
        entry, pictured = self.picker.current_entry(), self.view_model.picture.picture is not None
        if entry is None or not self._defaults.class_move(entry.spec, pictured, self.class_controls.choice_made()):
            return ""
        self.class_controls.select(default_class_choice(pictured))
        return PICTURE_CLASS_SWITCH if pictured else ""

    # --- the start picture --------------------------------------------------------------------

    def open_start_picture(self) -> None:
        folder = self._context.settings.folder("start-pictures")
        path = self._context.dialogs.open_file("Start from a picture", folder, PHOTO_FILTER)
        if path is not None:
            self._context.settings.set_folder("start-pictures", path.parent)
            self.start_from_picture(path)

    def open_mask(self) -> None:
        folder = self._context.settings.folder("start-pictures")
        path = self._context.dialogs.open_file("Open a mask", folder, PHOTO_FILTER)
        entry = self.picker.current_entry()
        if path is not None and entry is not None:
            self._context.settings.set_folder("start-pictures", path.parent)
            self._read_pictures(pictures_work(None, path, Geometry.of(entry.spec), self.view_model.begin_read(MASK)))

    def start_from_picture(self, path: Path, why: str = "") -> None:
        """Read `path` (on a worker) and start the next generations from it; `why` says, for a
        dropped file, why it is a picture rather than settings."""
        entry = self.picker.current_entry()
        if self.is_busy() or entry is None:
            self.banner.show_error(PICTURE_BUSY if self.is_busy() else NEEDS_MODEL)
            return
        load = self.view_model.begin_read(PICTURE, why)
        self._read_pictures(pictures_work(path, None, Geometry.of(entry.spec), load))

    def clear_start_picture(self) -> None:
        self.view_model.clear_picture()
        self._follow_picture()
        self.start_box.refresh()
        self._show_enabled()

    def _read_pictures(self, work: Work) -> None:
        job = Job(work)
        job.succeeded.connect(self._on_pictures_read)  # bound slots: dropped if the page is closed first
        job.failed.connect(self._on_read_failed)  # a bug: the work answers every file problem itself
        job.start()
        self._show_enabled()

    def _on_read_failed(self, message: str) -> None:
        self.view_model.read_failed()
        self._show_enabled()
        self.banner.show_error(message)

    def _on_pictures_read(self, read: PicturesRead) -> None:
        outcome = self.view_model.pictures_read(read)
        if outcome is None:  # a later read, or a clear, came since
            return
        self._show_enabled()
        class_note = self._follow_picture()
        if outcome.settings is not None:
            self._show_loaded(outcome.settings)
        else:
            self.banner.show_message(outcome.kind, f"{outcome.text} {class_note}".rstrip())
        self.start_box.refresh()
        if self.view_model.picture.picture is not None:
            scroll_into_view(self.start_box)  # it unfolds below the fold: show it
        self.pictures_read.emit()

    # --- settings from a saved image ---------------------------------------------------------

    def files_dropped(self, paths: list[Path]) -> None:
        """A PNG carrying settings loads them; any other picture is started from."""
        carries_settings, why = self.view_model.dropped(paths[0])
        if carries_settings:
            self.load_settings_from(paths[0])
        else:
            self.start_from_picture(paths[0], why)

    def open_settings_image(self) -> None:
        folder = self._context.settings.folder("save-images")
        path = self._context.dialogs.open_file("Settings from a saved image", folder, "PNG images (*.png);;All files (*)")
        if path is not None:
            self.load_settings_from(path)

    def load_settings_from(self, path: Path) -> bool:
        """Set every control to the settings saved in `path` (once the pictures it was made from
        are read, if any); on any problem say what it is and change nothing."""
        try:
            loaded = self.view_model.load_settings(path, self._installed_spec)
        except SettingsNotLoaded as refusal:
            self.banner.show_error(str(refusal))
            return False
        if loaded.read_load is None:
            self._show_loaded(loaded)
            self.start_box.refresh()
        else:
            self.banner.show_info(self.view_model.reading_message(loaded))
            self._read_pictures(recorded_pictures_work(loaded.record, path.name, loaded.geometry, loaded.read_load))
        return True

    def _installed_spec(self, name: str) -> ModelSpec | None:
        entry = self.picker.entry(name)
        return None if entry is None else entry.spec

    def _show_loaded(self, loaded: LoadedSettings) -> None:
        self.picker.select(loaded.record.model)
        settings = loaded.settings
        self.seed.setValue(settings.seed)
        self.count.setValue(settings.count)
        self._show_sampler((settings.sampler, settings.steps))
        picture = self.view_model.picture  # the record's sampler and class stand, picture and mask or not
        self._defaults.set_for(picture.masked, picture.picture is not None, class_moved=False)
        self.eta.setValue(settings.eta)
        self.class_controls.set_choice(settings.class_label, settings.guidance, settings.random_class)
        if settings.resample is not None:
            self.start_box.resample.setValue(settings.resample)
        kind, text = self.view_model.loaded_message(exact_solver=self.solver_dial.set_solver(settings.solver))
        self.banner.show_message(kind, text)
        if loaded.record.weights is not None:
            job = Job(weights_check_work(loaded.record, self.picker.current_entry().path, loaded.path.name,
                                         self.view_model.current_load()))
            job.succeeded.connect(self._on_weights_checked)  # a bound slot: dropped if the page is closed first
            job.start()

    def _on_weights_checked(self, check: WeightsCheck) -> None:
        warning = self.view_model.weights_warning(check)
        if warning is not None:
            self.banner.show_warning(warning)

    # --- generation ---------------------------------------------------------------------------

    def start_generation(self) -> None:
        entry = self.picker.current_entry()
        if entry is None or self.is_busy():
            return
        self.banner.clear()
        try:
            request = self.view_model.start(entry.name, self.generation_settings(), time.monotonic(),
                                            entry.spec.class_names)
        except EngineError as error:
            self.banner.show_error(str(error))
            return
        job = Job(generation_work(self._models, entry.path, self._context.settings.device, request,
                                  self._context.settings.threads))
        job.progress.connect(self._on_live_frame)
        job.succeeded.connect(self._on_generated)  # bound slots: dropped if the page goes first
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.finished.connect(self._on_job_finished)
        self._job = job
        self.footer.show_waiting(LOADING_MODEL)
        self.output.reverse_view.start_live(self.view_model.live_start())
        job.start()
        self._set_busy(True)

    def cancel_generation(self) -> None:
        if self.is_busy():
            self._job.cancel()
            self.progress.setFormat(CANCELLING)

    def _on_live_frame(self, frame: LiveFrame) -> None:
        self.footer.show_step(frame.done, frame.total, self.view_model.step_text(frame, time.monotonic()))
        self.output.reverse_view.show_live(frame.x_t, frame.predicted_x0, frame.step, frame.steps, live_caption(frame))

    def _on_generated(self, result: GenerationResult) -> None:
        run, text = self.view_model.generated(result, time.monotonic())
        self.footer.show_outcome(True, text)
        self.output.add_run(run)

    def _on_failed(self, message: str) -> None:
        self.footer.show_outcome(False, FAILED)
        self.banner.show_error(message)

    def _on_cancelled(self) -> None:
        self.footer.show_outcome(False, CANCELLED)
        self.banner.show_info(CANCELLED_MESSAGE)

    def _on_job_finished(self) -> None:
        self.view_model.finish()
        self._set_busy(False)
        self.generation_done.emit()

    # --- shutdown -----------------------------------------------------------------------------

    def cancel_all(self) -> None:
        """Window closing: stop sampling at the next step (file writes are left to finish)."""
        if self.is_busy():
            self._job.cancel()
