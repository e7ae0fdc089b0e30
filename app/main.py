"""Entry point of the `cunet-studio` command and `python -m app`.

Modes: the normal window, opening the files given (`cunet-studio photo.jpg`, as a desktop's "Open
with" runs it: app/shell/opened_files.py says where each goes); `--screenshots DIR` (one PNG per page,
then exit); `--self-test` (generate and denoise once, offscreen, exit 0 on success);
`--install-desktop-entry` (menus and "Open with" on Linux desktops). The screenshots and the
self-test run offscreen unless a platform is set, so they work on a build machine without a display.
On X11 the system libraries Qt needs are checked first (app/shell/system_libraries.py): a missing one is
named, with its package, in one line and exit code 2, instead of Qt aborting.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from app.shell.system_libraries import missing_libraries_message

APP_DESCRIPTION = "cUNet Studio: image generation, photo denoising and training with continuous U-Net diffusion models"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cunet-studio", description=APP_DESCRIPTION)
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE",
                        help="photos or folders to denoise, or a PNG saved by the Generate page to make it again")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--screenshots", type=Path, metavar="DIR",
                      help="save generate.png, inpaint.png, denoise.png and train.png of a real session into DIR, "
                           "then exit")
    mode.add_argument("--self-test", action="store_true",
                      help="generate one image and denoise one photo offscreen; exit 0 if it works")
    mode.add_argument("--install-desktop-entry", action="store_true",
                      help="add cUNet Studio to the desktop's menus and to “Open with” for images (Linux)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.install_desktop_entry:
        return _install_desktop_entry()
    if args.screenshots or args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    missing = missing_libraries_message(os.environ)  # before Qt, which would abort without them
    if missing:
        print(missing, file=sys.stderr)
        return 2
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.common.settings import APPLICATION, ORGANISATION, AppSettings

    from app.shell.branding import app_icon, show_splash

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(app_icon())
    if args.screenshots:
        from app.tooling.screenshots import take_screenshots

        return take_screenshots(args.screenshots)
    if args.self_test:
        from app.tooling.self_test import run_self_test

        return run_self_test()

    splash = show_splash(app)
    from app.shell.main_window import MainWindow  # imports torch: the slow part the splash covers

    sys.excepthook = _show_unexpected_error
    window = MainWindow(AppSettings(QSettings()))
    window.show()
    splash.finish(window)
    if args.files:
        window.open_files([path.expanduser().absolute() for path in args.files])
    return app.exec()


def _install_desktop_entry() -> int:
    from app.shell.desktop_entry import DesktopEntryError, install_desktop_entry

    try:
        path = install_desktop_entry()
    except DesktopEntryError as error:
        print(f"cunet-studio: {error}", file=sys.stderr)
        return 2
    print(f"Installed {path}: cUNet Studio is in the menus and in “Open with” for images.")
    return 0


def _show_unexpected_error(kind, error, trace) -> None:
    """A bug in a slot must not kill the app silently: log the traceback for a bug report and
    tell the user in one line."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    traceback.print_exception(kind, error, trace)
    QMessageBox.critical(QApplication.activeWindow(), "Unexpected error",
                         f"Something went wrong ({kind.__name__}: {error}). Details were written to the console.")
