"""The main window: default model and size, persisted geometry, settings dialog, status bar,
and closing while training (asks; Cancel keeps training, Stop and close saves then closes)."""

from __future__ import annotations

import shutil

import torch
from app_helpers import ScriptedDialogs
from helpers import two_level_npz
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtGui import QDesktopServices

from app.common.settings import AppSettings
from app.denoise.denoise_queue import DONE
from app.shell.main_window import README, MainWindow
from app.shell.settings_dialog import SettingsDialog
from engine.checkpoints import ModelStore
from engine.generation_record import GenerationRecord
from engine.imaging import save_png


def make_window(qtbot, tmp_path, bundled_dir, studio_home, dialogs=None) -> MainWindow:
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, dialogs or ScriptedDialogs(),
                        ModelStore(bundled_dir=bundled_dir, user_dir=studio_home / "models"))
    qtbot.addWidget(window)
    window.show()
    return window


def test_opens_on_the_default_model_and_remembers_its_geometry(qtbot, tmp_path, bundled_dir, studio_home):
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home)
    assert (window.width(), window.height()) == (1280, 800)
    assert window.generate_page.picker.current_entry().name == "digits"
    assert window.tabs.currentWidget() is window.generate_page
    window.resize(1100, 700)
    window.close()
    assert window.settings.geometry() is not None
    again = make_window(qtbot, tmp_path, bundled_dir, studio_home)
    assert again.height() == 700  # (the offscreen screen is small, so Qt may narrow the width)


def test_settings_dialog_applies_device_and_threads_to_later_jobs(qtbot, tmp_path, bundled_dir, studio_home):
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home)
    dialog = window.show_settings()
    assert isinstance(dialog, SettingsDialog)
    devices = [dialog.device.itemData(i) for i in range(dialog.device.count())]
    assert devices[0] == "auto" and "cpu" in devices
    dialog.device.setCurrentIndex(devices.index("cpu"))
    dialog.threads.setValue(1)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert window.settings.device == "cpu" and window.settings.threads == 1
    assert torch.get_num_threads() == 1
    assert window.status.device.text() == "Device: CPU" and window.status.threads.text() == "Threads: 1"
    assert window.status.memory.text().startswith("Memory: ")


def test_the_no_model_notice_links_to_the_train_page(qtbot, tmp_path, bundled_dir, studio_home):
    shutil.rmtree(bundled_dir)
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home)
    window.generate_page.picker.empty_notice.linkActivated.emit("train")
    assert window.tabs.currentWidget() is window.train_page


def test_file_menu_loads_generation_settings_on_the_generate_page(qtbot, tmp_path, bundled_dir, studio_home):
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home)
    window.tabs.setCurrentWidget(window.train_page)
    saved = tmp_path / "made.png"
    save_png(saved, Image.new("L", (8, 8)), GenerationRecord(model="digits", seed=77, sampler="ddim", steps=12).png_text())
    window.dialogs.file = saved
    action = next(a for a in window.menuBar().actions()[0].menu().actions() if "saved image" in a.text())
    assert action.shortcut().toString() == "Ctrl+Shift+O"
    action.trigger()
    assert window.tabs.currentWidget() is window.generate_page
    assert window.generate_page.seed.value() == 77 and window.generate_page.steps.value() == 12


def test_closing_while_training_asks_and_stops_with_a_checkpoint(qtbot, tmp_path, bundled_dir, studio_home):
    dialogs = ScriptedDialogs()
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home, dialogs)
    page = window.train_page
    page.data_path.setText(str(two_level_npz(tmp_path / "levels.npz", count=16)))
    page.run_path.setText(str(tmp_path / "run"))
    page.form.network_width.setValue(4)
    page.form.image_size.setValue(8)
    page.form.batch.setValue(4)
    page.form.steps.setValue(100_000)
    page.start_button.click()
    qtbot.waitUntil(lambda: page.monitor.plot.point_counts()[0] >= 1, timeout=30_000)

    dialogs.confirm_answer = False
    window.close()
    assert dialogs.asked == ["Training is running"]
    assert window.isVisible() and page.state == "running"

    dialogs.confirm_answer = True
    window.close()
    assert page.state == "stopping" and window.isVisible()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert page.state == "idle"
    assert list((tmp_path / "run" / "checkpoints").glob("step-*.safetensors"))
    assert (tmp_path / "run" / "model" / "model.json").exists()


def test_closing_with_unsaved_denoised_photos_asks_first(qtbot, tmp_path, bundled_dir, studio_home):
    dialogs = ScriptedDialogs()
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home, dialogs)
    [item] = window.denoise_page.queue.add([tmp_path / "photo.png"])
    item.status = DONE  # as if denoised: its result lives only in memory
    dialogs.confirm_answer = False
    window.close()
    assert dialogs.asked == ["Denoised photos not saved"] and window.isVisible()
    assert window.tabs.currentWidget() is window.denoise_page
    item.saved_to = tmp_path / "photo-denoised.png"
    window.close()
    assert not window.isVisible() and dialogs.asked == ["Denoised photos not saved"]


def test_files_from_the_command_line_go_to_their_pages(qtbot, tmp_path, bundled_dir, studio_home):
    """`cunet-studio photo.jpg made.png gone.jpg`, as a desktop's "Open with" runs it."""
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home)
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 8), "grey").save(photo)
    made = tmp_path / "made.png"
    save_png(made, Image.new("L", (8, 8)), GenerationRecord(model="digits", seed=5, sampler="ddim", steps=9).png_text())
    window.open_files([photo, made, tmp_path / "gone.jpg"])
    assert [item.path for item in window.denoise_page.queue.items] == [photo]
    assert window.generate_page.seed.value() == 5 and window.generate_page.steps.value() == 9
    assert "gone.jpg" in window.denoise_page.banner.text()
    assert window.tabs.currentWidget() is window.denoise_page
    window.tabs.setCurrentWidget(window.train_page)
    window.open_files([made])  # only a saved generation: its page is shown
    assert window.tabs.currentWidget() is window.generate_page


def test_help_documentation_opens_the_readme(qtbot, tmp_path, bundled_dir, studio_home, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window = make_window(qtbot, tmp_path, bundled_dir, studio_home)
    help_menu = window.menuBar().actions()[-1].menu()
    action = next(a for a in help_menu.actions() if a.text() == "&Documentation")
    assert action.isEnabled()
    action.trigger()
    assert opened == [str(README)] and README.is_file()
