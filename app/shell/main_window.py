"""The main window: the three pages as tabs, menus, the status bar, files opened from the command
line (each to its page), and a careful close.

Closing while training asks first: "Stop and close" asks the run to save a checkpoint and the
window closes once it has; Cancel keeps training. Generation and denoising are cancelled (they
stop within one network step) and the window waits for every job before it goes away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QTabWidget, QWidget

from app.common.context import AppContext
from app.common.dialogs import Dialogs
from app.common.model_catalog import ModelCatalog
from app.common.settings import APPLICATION, AppSettings
from app.denoise.denoise_messages import UNSAVED_TITLE, unsaved_warning
from app.denoise.denoise_page import DenoisePage
from app.generate.generate_page import GeneratePage
from app.shell.compute_status import ComputeStatus
from app.shell.opened_files import sort_opened_files
from app.shell.settings_dialog import SettingsDialog
from app.train.train_page import TrainPage
from app.workers.job import wait_for_jobs
from engine import __version__
from engine.checkpoints import ModelStore
from engine.device import set_threads
from engine.paths import resources_dir

DEFAULT_SIZE = (1280, 800)
README = resources_dir().parent / "README.md"  # a source checkout's, or the bundle's copy (packaging/cunet-studio.spec)
SHUTDOWN_WAIT_MS = 15_000
SHORTCUTS_HELP = """<table>
<tr><td><b>Ctrl+Enter</b></td><td>Generate / Denoise / Start training</td></tr>
<tr><td><b>Esc</b></td><td>Cancel generation or denoising</td></tr>
<tr><td><b>Ctrl+S</b></td><td>Save the selected image or photo</td></tr>
<tr><td><b>Ctrl+Shift+S</b></td><td>Save all</td></tr>
<tr><td><b>Ctrl+O</b></td><td>Open photos (Denoise page)</td></tr>
<tr><td><b>Ctrl+Shift+O</b></td><td>Generation settings from a saved image</td></tr>
<tr><td><b>Ctrl+1 / 2 / 3</b></td><td>Generate / Denoise / Train page</td></tr>
<tr><td><b>Ctrl+,</b></td><td>Settings</td></tr>
<tr><td><b>F1</b></td><td>Documentation</td></tr>
</table>"""


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings, dialogs: Dialogs | None = None, store: ModelStore | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APPLICATION)
        self.settings = settings
        self.dialogs = dialogs or Dialogs(self)
        settings.compute_changed.connect(self._apply_threads)
        self._apply_threads()
        context = AppContext(settings, self.dialogs, ModelCatalog(store or ModelStore(), self))
        self.generate_page = GeneratePage(context)
        self.denoise_page = DenoisePage(context)
        self.train_page = TrainPage(context)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for page, title in ((self.generate_page, "Generate"), (self.denoise_page, "Denoise"), (self.train_page, "Train")):
            self.tabs.addTab(page, title)
            page.busy_changed.connect(lambda busy, page=page, title=title: self._mark_busy(page, title, busy))
        self.setCentralWidget(self.tabs)
        self.generate_page.train_requested.connect(lambda: self.tabs.setCurrentWidget(self.train_page))
        self.denoise_page.train_requested.connect(lambda: self.tabs.setCurrentWidget(self.train_page))
        self.status = ComputeStatus(settings, self)
        for label in self.status.labels():
            self.statusBar().addPermanentWidget(label)
        self._build_menus()
        self._closing_after_training = False
        geometry = settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open photos to denoise…", None, self._open_photos)
        self._action(file_menu, "&Generation settings from a saved image…", "Ctrl+Shift+O", self._open_settings_image)
        self._action(file_menu, "&Settings…", "Ctrl+,", self.show_settings)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(("&Generate", "&Denoise", "&Train")):
            self._action(view_menu, name, f"Ctrl+{index + 1}", lambda index=index: self.tabs.setCurrentIndex(index))
        help_menu = self.menuBar().addMenu("&Help")
        self.documentation_action = self._action(help_menu, "&Documentation", QKeySequence.StandardKey.HelpContents,
                                                 self.open_documentation)
        self.documentation_action.setEnabled(README.is_file())
        self._action(help_menu, "&Keyboard shortcuts", None,
                     lambda: QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS_HELP))
        self._action(help_menu, "&About cUNet Studio", None, self._about)

    def _action(self, menu: QMenu, text: str, shortcut: str | QKeySequence.StandardKey | None,
                slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def show_settings(self) -> SettingsDialog:
        """Window-modal but non-blocking, so the app (and tests) keep running."""
        dialog = SettingsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _open_photos(self) -> None:
        self.tabs.setCurrentWidget(self.denoise_page)
        self.denoise_page.open_button.click()

    def open_files(self, paths: list[Path]) -> None:
        """Files from the command line: photos and folders to the Denoise queue, a PNG saved by the
        Generate page to Generate (the first, if several); the page that got files is shown."""
        opened = sort_opened_files(paths)
        if opened.missing:
            names = ", ".join(path.name for path in opened.missing)
            self.denoise_page.banner.show_error(f"Not found, so not opened: {names}")
        if opened.photos:
            self.denoise_page.add_photos(opened.photos)
        if opened.settings_images:
            self.generate_page.load_settings_from(opened.settings_images[0])
            left_out = len(opened.settings_images) - 1
            if left_out:
                self.statusBar().showMessage(f"Settings are loaded from one saved image at a time: {left_out} more "
                                             "were left out (drop them on the Generate page one by one)", 15_000)
        shows_generate = bool(opened.settings_images) and not (opened.photos or opened.missing)
        self.tabs.setCurrentWidget(self.generate_page if shows_generate else self.denoise_page)

    def open_documentation(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(README)))

    def _open_settings_image(self) -> None:
        self.tabs.setCurrentWidget(self.generate_page)
        self.generate_page.open_settings_image()

    def _about(self) -> None:
        QMessageBox.about(self, "About cUNet Studio",
                          f"<b>cUNet Studio {__version__}</b><p>Image generation, photo denoising and training "
                          "with continuous U-Net diffusion models (arXiv 2310.20092).</p>")

    def _apply_threads(self) -> None:
        """The Settings' thread count now (the status bar shows it); each job applies it again
        when it starts, "Automatic" then taking the cores other programs leave free."""
        set_threads(self.settings.threads)

    def _mark_busy(self, page: QWidget, title: str, busy: bool) -> None:
        self.tabs.setTabText(self.tabs.indexOf(page), f"{title} ●" if busy else title)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.train_page.is_training():
            event.ignore()
            if self._closing_after_training:
                return
            if self.dialogs.confirm("Training is running",
                                    "Stop training, save a checkpoint and close? You can continue the run later "
                                    "with “Continue a run…”.", "Stop and close"):
                self._closing_after_training = True
                self.train_page.training_done.connect(self.close)
                self.train_page.stop_training()
                self.statusBar().showMessage("Saving a training checkpoint before closing…")
            return
        unsaved = self.denoise_page.unsaved_count()
        if unsaved and not self.dialogs.confirm(
                UNSAVED_TITLE, unsaved_warning(unsaved, "closing"), "Close without saving"):
            event.ignore()
            self.tabs.setCurrentWidget(self.denoise_page)
            return
        self.generate_page.cancel_all()
        self.denoise_page.cancel_all()
        wait_for_jobs(SHUTDOWN_WAIT_MS)
        self.settings.set_geometry(self.saveGeometry())
        self.settings.sync()
        event.accept()
