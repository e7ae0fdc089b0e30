"""The Generate page's results side: the reverse-process view, the image grid, the session's Run list
and the save/export buttons. Separate from the page so the page holds the settings and the job,
and this holds what a finished run shows and writes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from app.common.dialogs import start_folder
from app.common.images import to_qimage
from app.generate.export_work import (
    SavedFiles,
    export_trajectory_work,
    save_image_work,
    save_images_work,
    start_picture_work,
)
from app.generate.generation_history import GenerationHistory
from app.generate.generation_run import GenerationRun
from app.generate.results_grid import ResultsGrid
from app.generate.reverse_process_view import ReverseProcessView
from app.workers.job import Job
from app.workers.work import Work


class GenerationOutput(QSplitter):
    """Shows one run at a time (the newest, or one picked from the Run list) and writes its images
    in worker threads; `saved` and `failed` carry one line each for the page's banner, and
    `start_picture_saved` the file the selected image was written to for the page to start from."""

    saved = Signal(str)
    failed = Signal(str)
    start_picture_saved = Signal(Path)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self._context = context
        self._history = GenerationHistory()
        self._run: GenerationRun | None = None
        self._busy = False

        self.reverse_view = ReverseProcessView()
        self.reverse_view.position_changed.connect(self._show_selected_frame)
        reverse_box = QGroupBox("Reverse process")
        QVBoxLayout(reverse_box).addWidget(self.reverse_view)

        self.results = ResultsGrid()
        self.results.selected.connect(self._on_result_selected)
        self.start_button = QPushButton("Start from this image")
        self.start_button.setToolTip("Start the next generations from the selected image: redraw it at a strength, "
                                     "or paint a mask over it to redraw only part of it")
        self.start_button.clicked.connect(self.start_from_selected)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save the selected image; its settings go into the PNG metadata")
        self.save_button.clicked.connect(self.save_selected)
        self.save_all_button = QPushButton("Save all…")
        self.save_all_button.setToolTip("Save every image of this run into a folder")
        self.save_all_button.clicked.connect(self.save_all)
        self.export_button = QPushButton("Export trajectory…")
        self.export_button.setToolTip("Save the selected image's reverse process as an animated GIF or WebP")
        self.export_button.clicked.connect(self.export_trajectory)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addStretch(1)
        for button in (self.save_button, self.save_all_button, self.export_button):
            buttons.addWidget(button)
        self.results.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.results.customContextMenuRequested.connect(self._show_results_menu)
        copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self.results)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy.activated.connect(self.copy_selected)
        self.history_box = QComboBox()
        self.history_box.setToolTip("This session's runs, newest first: pick an earlier one to look at, scrub and "
                                    "save its images again")
        self.history_box.setPlaceholderText("No run yet")
        self.history_box.currentIndexChanged.connect(self._on_history_picked)
        history_row = QHBoxLayout()
        history_row.addWidget(QLabel("Run"))
        history_row.addWidget(self.history_box, 1)
        results_box = QGroupBox("Results")
        results_layout = QVBoxLayout(results_box)
        results_layout.addLayout(history_row)
        results_layout.addWidget(self.results, 1)
        results_layout.addLayout(buttons)

        self.addWidget(reverse_box)
        self.addWidget(results_box)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        """While the page generates, the previous run stays visible but nothing is saved or picked.
        Afterwards the reverse process shows the selected image again (after a cancel or failure the
        live frames of the unfinished run would stay, with no timeline)."""
        self._busy = busy
        if not busy:
            self._on_result_selected(self.results.selected_index())
        self._update_controls()

    def current_run(self) -> GenerationRun | None:
        """The run on screen: the newest, or the one picked in the Run list."""
        return self._run

    def add_run(self, run: GenerationRun) -> None:
        """A finished run goes to the top of the Run list and on screen."""
        self._history.add(run)
        self.history_box.blockSignals(True)
        self.history_box.clear()
        self.history_box.addItems([entry.title() for entry in self._history.entries])
        self.history_box.setCurrentIndex(0)
        self.history_box.blockSignals(False)
        self._show_run(run)

    def _update_controls(self) -> None:
        """One place decides what can be used: nothing while generating, saving only with a run on screen."""
        self.history_box.setEnabled(not self._busy and self.history_box.count() > 0)
        ready = self._run is not None and not self._busy
        selected = ready and self.results.selected_index() >= 0
        self.save_button.setEnabled(selected)
        self.start_button.setEnabled(selected)
        self.save_all_button.setEnabled(ready)
        self.export_button.setEnabled(selected)

    def _on_history_picked(self, index: int) -> None:
        if 0 <= index < len(self._history.entries):
            self._show_run(self._history.entries[index].run)

    def _show_run(self, run: GenerationRun) -> None:
        self._run = run
        self.results.set_images(run.result.images, [run.caption(i) for i in range(run.count)],
                                [", ".join(run.summary_parts(i)) for i in range(run.count)])
        self._update_controls()

    def _on_result_selected(self, index: int) -> None:
        if self._run is not None and index >= 0 and not self._busy:  # live, the timeline follows the sampler
            self.reverse_view.set_timeline(self._run.frame_count, self._run.frame_count - 1)
        self._update_controls()

    def _show_selected_frame(self, position: int) -> None:
        index = self.results.selected_index()
        if self._run is not None and index >= 0:
            self.reverse_view.show_pair(*self._run.frame(index, position))

    def results_menu(self) -> QMenu:
        """A right click on a result offers what the buttons under the grid do, as they can be
        used now, and copying the image."""
        menu = QMenu(self)
        for button in (self.start_button, self.save_button, self.export_button):
            action = menu.addAction(button.text())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
        copy = menu.addAction("Copy image")
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.setEnabled(self.save_button.isEnabled())
        copy.triggered.connect(self.copy_selected)
        return menu

    def _show_results_menu(self, position: QPoint) -> None:
        menu = self.results_menu()
        menu.exec(self.results.viewport().mapToGlobal(position))
        menu.deleteLater()

    def copy_selected(self) -> None:
        """The selected image onto the clipboard, at its own size (the saved PNG's pixels)."""
        index = self.results.selected_index()
        if self._run is not None and index >= 0 and not self._busy:
            QGuiApplication.clipboard().setImage(to_qimage(self._run.result.images[index]))

    # --- saving -------------------------------------------------------------------------------

    def save_selected(self) -> None:
        index = self.results.selected_index()
        if self._run is None or index < 0:
            return
        folder = start_folder(self._context.settings.folder("save-images"))
        path = self._context.dialogs.save_file("Save image", folder / self._run.file_name(index), "PNG image (*.png)",
                                               (".png",))
        if path is not None:
            self._context.settings.set_folder("save-images", path.parent)
            self._start_export(save_image_work(self._run, index, path))

    def save_all(self) -> None:
        if self._run is None:
            return
        folder = self._context.dialogs.choose_folder("Save all images into", self._context.settings.folder("save-images"))
        if folder is not None:
            self._context.settings.set_folder("save-images", folder)
            self._start_export(save_images_work(self._run, list(range(self._run.count)), folder))

    def export_trajectory(self) -> None:
        index = self.results.selected_index()
        if self._run is None or index < 0:
            return
        folder = start_folder(self._context.settings.folder("save-images"))
        suggested = folder / self._run.file_name(index).replace(".png", "-trajectory.gif")
        path = self._context.dialogs.save_file("Export trajectory", suggested,
                                               "Animated GIF (*.gif);;Animated WebP (*.webp)", (".gif", ".webp"))
        if path is not None:
            self._context.settings.set_folder("save-images", path.parent)
            self._start_export(export_trajectory_work(self._run, index, path))

    def start_from_selected(self) -> None:
        index = self.results.selected_index()
        if self._run is None or index < 0:
            return
        job = Job(start_picture_work(self._run, index))
        job.succeeded.connect(self._on_start_picture_saved)  # a bound slot: dropped if the page goes first
        job.failed.connect(self.failed)
        job.start()

    def _on_start_picture_saved(self, saved: SavedFiles) -> None:
        self.start_picture_saved.emit(saved.paths[0])

    def _start_export(self, work: Work) -> None:
        job = Job(work)
        job.succeeded.connect(self._on_exported)  # a bound slot: dropped if the page goes first
        job.failed.connect(self.failed)
        job.start()

    def _on_exported(self, saved: SavedFiles) -> None:
        if saved.mask_file is not None and saved.run is not None:
            saved.run.saved_mask = saved.mask_file
        self.saved.emit(saved.message())
