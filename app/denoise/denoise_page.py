"""Denoise page: drop photos or folders anywhere, denoise them one after another, compare before
and after (split line, synced zoom and pan, difference view) and save copies beside the
originals or into a chosen folder, never over them. What it decides and says is
`DenoiseViewModel`'s; this class shows it and forwards clicks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from app.common.file_filters import PHOTO_FILTER
from app.common.model_card import denoising_facts
from app.common.shortcuts import CANCEL_KEYS, OPEN_KEYS, RUN_KEYS, SAVE_ALL_KEYS, SAVE_KEYS
from app.denoise.compare_panel import ComparePanel
from app.denoise.denoise_controls import DenoiseControls
from app.denoise.denoise_messages import UNSAVED_TITLE, unsaved_warning
from app.denoise.denoise_output import DenoiseOutput
from app.denoise.denoise_queue import QueueItem
from app.denoise.denoise_runner import DenoiseRunner
from app.denoise.denoise_work import PhotoForDisplay, SaveReport, save_results_work
from app.denoise.photo_preview import PhotoPreview
from app.denoise.photo_queue_view import PhotoQueueView
from app.denoise.view_model import (
    ALL_SAVED,
    CANCELLING,
    NO_MODEL_TEXT,
    NOT_A_DENOISER,
    NOTHING_QUEUED,
    DenoiseViewModel,
    SelectionView,
    follows_new_photo,
    is_saveable,
    loading_text,
    preview_view,
    progress_text,
    queue_stopped,
    selection_view,
    shows_denoiser_hint,
    tiles_caption,
)
from app.widgets.model_picker import ModelPicker
from app.widgets.page_frame import PageFrame
from app.widgets.pixel_view import PixelView
from app.widgets.run_footer import RunFooter
from app.workers.job import Job
from engine.denoise import DEFAULT_DENOISER, DenoiseProgress


class DenoisePage(PageFrame):
    train_requested = Signal()
    queue_idle = Signal()  # the queue stopped: all processed, cancelled or the model failed

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.view_model = DenoiseViewModel()
        self.queue = self.view_model.queue
        self.runner = DenoiseRunner(self.queue, lambda: context.settings.device, self,
                                   lambda: context.settings.threads)
        self.runner.item_changed.connect(self._on_item_changed)
        self.runner.photo_loaded.connect(self._on_photo_loaded)
        self.runner.live.connect(self._on_live)
        self.runner.stopped.connect(self._on_stopped)
        self.preview = PhotoPreview(self)
        self.preview.ready.connect(self._on_preview_ready)
        self.set_content(self._build_controls(), self.footer, self._build_viewer(), widths=(380, 880),
                         min_controls_width=390,
                         keys=[(RUN_KEYS, self.denoise_button), (CANCEL_KEYS, self.cancel_button),
                               (SAVE_KEYS, self.output.save_button), (SAVE_ALL_KEYS, self.output.save_all_button),
                               (OPEN_KEYS, self.open_button)])
        self.picker.model_changed.connect(self._on_model_changed)
        self.picker.empty_notice.linkActivated.connect(self.train_requested)
        self._on_model_changed()
        self._set_busy(False)

    # --- layout -------------------------------------------------------------------------------

    def _build_controls(self) -> QWidget:
        self.picker = ModelPicker(self._context.catalog, self._context.settings, "denoise/model",
                                  lambda entry: entry.spec.channels in (1, 3), NO_MODEL_TEXT,
                                  default_name=DEFAULT_DENOISER, facts=denoising_facts,
                                  summary=("Description", "Noise", "Photos", "Speed"))
        self.model_hint = QLabel(NOT_A_DENOISER)
        self.model_hint.setWordWrap(True)
        self.model_hint.setStyleSheet("color:#7a4b00;")
        model_box = QGroupBox("Model")
        model_layout = QVBoxLayout(model_box)
        model_layout.addWidget(self.picker)
        model_layout.addWidget(self.model_hint)

        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Add photos to the queue")
        self.open_button.clicked.connect(self._open_photos)
        self.open_folder_button = QPushButton("Add folder…")
        self.open_folder_button.setToolTip("Add every image in a folder (and its subfolders)")
        self.open_folder_button.clicked.connect(self._open_folder)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setToolTip("Remove done and failed photos from the queue")
        self.clear_button.clicked.connect(self._clear_finished)
        self.retry_button = QPushButton("Queue again")
        self.retry_button.setToolTip("Put the selected photo back in the queue (e.g. after changing settings)")
        self.retry_button.clicked.connect(self._requeue_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected photo off the queue; the file itself is not touched (Delete)")
        self.remove_button.clicked.connect(self._remove_selected)
        self.queue_view = PhotoQueueView()
        self.queue_view.setMinimumHeight(110)
        self.queue_view.selected.connect(self._show_row)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.queue_view)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)  # not in the page's text fields
        remove_key.activated.connect(self.remove_button.click)
        hint = QLabel("Drop photos or folders anywhere on this page.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#6b6b6b;")
        add_row = QHBoxLayout()
        add_row.addWidget(self.open_button)
        add_row.addWidget(self.open_folder_button)
        add_row.addStretch(1)
        manage_row = QHBoxLayout()
        manage_row.addStretch(1)
        manage_row.addWidget(self.retry_button)
        manage_row.addWidget(self.remove_button)
        manage_row.addWidget(self.clear_button)
        photos_box = QGroupBox("Photos")
        photos_layout = QVBoxLayout(photos_box)
        photos_layout.addLayout(add_row)
        photos_layout.addWidget(self.queue_view, 1)
        photos_layout.addWidget(hint)
        photos_layout.addLayout(manage_row)

        self.controls = DenoiseControls()
        settings_box = QGroupBox("Denoising")
        QVBoxLayout(settings_box).addWidget(self.controls)

        self.footer = RunFooter("Denoise", "Denoise every queued photo, one after another",
                                "Stop after the current network step; the photo goes back to the queue")
        self.denoise_button, self.cancel_button, self.progress = (
            self.footer.start_button, self.footer.cancel_button, self.footer.progress)
        self.denoise_button.clicked.connect(self.start_denoising)
        self.cancel_button.clicked.connect(self.cancel_denoising)

        panel = QWidget()
        column = QVBoxLayout(panel)
        column.addWidget(model_box)
        column.addWidget(photos_box, 1)
        column.addWidget(settings_box)
        self._inputs = [model_box, settings_box]
        return panel

    def _build_viewer(self) -> QWidget:
        self.compare_panel = ComparePanel()
        self.compare = self.compare_panel.view

        self.live = PixelView("The photo appears here while it is denoised.")
        self.live.setToolTip("The whole photo, shrunk: parts not denoised yet are faded, the tiles "
                             "being worked on show the model's current estimate of the clean photo.")
        self.live.setFixedSize(128, 128)
        self.live_caption = QLabel("Waiting")
        self.live_caption.setWordWrap(True)
        self.live_caption.setFixedWidth(128)
        live_box = QGroupBox("Live")
        live_layout = QVBoxLayout(live_box)
        live_layout.addWidget(self.live)
        live_layout.addWidget(self.live_caption)
        bottom = QHBoxLayout()
        bottom.addWidget(live_box)
        self.output = DenoiseOutput(self._context.dialogs, self._context.settings)
        self.output.save_button.clicked.connect(self.save_selected)
        self.output.save_all_button.clicked.connect(self.save_all)
        bottom.addWidget(self.output, 1)

        viewer = QWidget()
        layout = QVBoxLayout(viewer)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.compare_panel, 1)
        layout.addLayout(bottom)
        return viewer

    # --- adding photos ------------------------------------------------------------------------

    def files_dropped(self, paths: list[Path]) -> None:
        self.add_photos(paths)

    def add_photos(self, paths: list[Path]) -> None:
        added, message = self.view_model.add_photos(paths)
        if message is not None:
            self.banner.show_info(message)
        if not added:
            return
        self._context.settings.set_folder("open-photos", added[-1].path)
        self.queue_view.set_items(self.queue.items)
        if self.queue_view.selected_row() < 0:
            self.queue_view.select_row(self.queue.index(added[0]))
        self._update_buttons()

    def _open_photos(self) -> None:
        paths = self._context.dialogs.open_files("Open photos", self._context.settings.folder("open-photos"),
                                                 PHOTO_FILTER)
        if paths:
            self.add_photos(paths)

    def _open_folder(self) -> None:
        folder = self._context.dialogs.choose_folder("Add a folder of photos", self._context.settings.folder("open-photos"))
        if folder is not None:
            self.add_photos([folder])

    def _clear_finished(self) -> None:
        if self._may_discard(self.unsaved_count(), "clearing the finished photos", "Clear without saving"):
            self.view_model.clear_finished()
            self.queue_view.set_items(self.queue.items)
            self._update_buttons()

    def _remove_selected(self) -> None:
        item = self._selected_item()
        unsaved = 1 if item in self.view_model.unsaved() else 0
        if self._may_discard(unsaved, "taking it off the queue", "Remove without saving") and self.view_model.remove(item):
            self.queue_view.set_items(self.queue.items)
            self._update_buttons()

    def _may_discard(self, unsaved: int, action: str, yes_label: str) -> bool:
        """A result saved nowhere is lost when it leaves the queue, as when the window closes: ask
        first (Cancel is the default answer)."""
        return not unsaved or self._context.dialogs.confirm(UNSAVED_TITLE, unsaved_warning(unsaved, action), yes_label)

    def _requeue_selected(self) -> None:
        item = self._selected_item()
        if self.view_model.requeue(item):
            self._refresh(item)
            self._show_row(self.queue.index(item))

    # --- processing ---------------------------------------------------------------------------

    def is_busy(self) -> bool:
        return self.runner.is_busy()

    def start_denoising(self) -> None:
        entry = self.picker.current_entry()
        if self.is_busy() or entry is None:
            return
        self.banner.clear()
        if not self.runner.start(entry.path, self.controls.settings()):
            self.banner.show_info(NOTHING_QUEUED)
            return
        self._set_busy(True)

    def cancel_denoising(self) -> None:
        if self.is_busy():
            self.runner.cancel()
            self.progress.setFormat(CANCELLING)

    def _on_item_changed(self, item: QueueItem) -> None:
        self._refresh(item)
        loading = loading_text(item)
        if loading is not None:
            self.footer.show_waiting(loading)
            if follows_new_photo(self._selected_item()):
                self.queue_view.select_row(self.queue.index(item))
        if self._selected_item() is item:
            self._show_row(self.queue.index(item))

    def _on_photo_loaded(self, item: QueueItem, estimated_sigma: float) -> None:
        self.controls.show_estimate(estimated_sigma)

    def _on_live(self, item: QueueItem, update: DenoiseProgress) -> None:
        self.footer.show_step(int(update.fraction * 1000), 1000, progress_text(item, update))
        self.live.set_image(update.preview)
        self.live_caption.setText(tiles_caption(update))

    def _on_stopped(self, reason: str, error: str) -> None:
        stopped = queue_stopped(reason, error)
        if stopped.banner_kind is not None:
            self.banner.show_message(stopped.banner_kind, stopped.banner_text)
        self.footer.show_outcome(stopped.completed, stopped.progress_text)
        self._set_busy(False)
        self.queue_idle.emit()

    # --- showing ------------------------------------------------------------------------------

    def _selected_item(self) -> QueueItem | None:
        row = self.queue_view.selected_row()
        return self.queue.items[row] if 0 <= row < len(self.queue.items) else None

    def _refresh(self, item: QueueItem) -> None:
        self.queue_view.update_row(self.queue.index(item), item)
        self._update_buttons()

    def _show_row(self, row: int) -> None:
        item = self._selected_item()
        self._update_buttons()
        view = selection_view(item, self.runner.current_before)
        self._show(view)
        if view.read_preview:
            self.preview.request(item.path)

    def _on_preview_ready(self, photo: PhotoForDisplay) -> None:
        view = preview_view(self._selected_item(), photo, self.runner.current_before)
        if view is not None:
            self._show(view)

    def _show(self, view: SelectionView) -> None:
        self.compare.set_images(view.before, view.after)
        if view.placeholder is not None:
            self.compare.set_placeholder(view.placeholder)
        if view.info is not None:
            self.output.info.setText(view.info)

    # --- saving -------------------------------------------------------------------------------

    def save_selected(self) -> None:
        item = self._selected_item()
        if is_saveable(item):
            self._save([item])

    def unsaved_count(self) -> int:
        """Denoised photos not written anywhere yet: closing the window would lose that work."""
        return len(self.view_model.unsaved())

    def save_all(self) -> None:
        unsaved = self.view_model.unsaved()
        if unsaved:
            self._save(unsaved)
        else:
            self.output.show_saved(ALL_SAVED, "")

    def _save(self, items: list[QueueItem]) -> None:
        if not self.view_model.begin_save():
            return
        job = Job(save_results_work([(item, item.outcome.result) for item in items], self.output.out_dir(),
                                    self.output.format_name(), self.output.jpeg_quality_value()))
        job.succeeded.connect(self._on_saved)
        job.failed.connect(self.banner.show_error)
        job.finished.connect(self._on_save_finished)
        job.start()
        self._update_buttons()

    def _on_saved(self, report: SaveReport) -> None:
        outcome = self.view_model.saved(report)
        for item in outcome.marked:
            self._refresh(item)
        self._show_row(self.queue_view.selected_row())  # its result text says where it was saved
        if outcome.status is not None:
            self.output.show_saved(outcome.status, outcome.details)
        if outcome.error is not None:
            self.banner.show_error(outcome.error)

    def _on_save_finished(self) -> None:
        self.view_model.save_finished()
        self._update_buttons()

    # --- state --------------------------------------------------------------------------------

    def _on_model_changed(self) -> None:
        entry = self.picker.current_entry()
        self.model_hint.setVisible(shows_denoiser_hint(None if entry is None else entry.name,
                                                        self._context.catalog.names()))
        self._update_buttons()

    def _set_busy(self, busy: bool) -> None:
        for widget in self._inputs:
            widget.setEnabled(not busy)
        self.picker.combo.setEnabled(not busy and self.picker.current_entry() is not None)
        self.cancel_button.setEnabled(busy)
        self._update_buttons()
        self.busy_changed.emit(busy)

    def _update_buttons(self) -> None:
        can = self.view_model.buttons(self.is_busy(), self.picker.current_entry() is not None, self._selected_item())
        self.denoise_button.setEnabled(can.denoise)
        self.output.save_button.setEnabled(can.save)
        self.output.save_all_button.setEnabled(can.save_all)
        self.retry_button.setEnabled(can.requeue)
        self.remove_button.setEnabled(can.remove)
        self.clear_button.setEnabled(can.clear_finished)

    def cancel_all(self) -> None:
        self.runner.cancel()
