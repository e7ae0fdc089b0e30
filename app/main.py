"""Entry point of the `cunet-studio` command and `python -m app`.

Modes: the normal window; `--screenshots DIR` (one PNG per page, then exit); `--self-test`
(generate and denoise once, offscreen, exit 0 on success). The last two run offscreen unless a
platform is set, so they work on a build machine without a display.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

APP_DESCRIPTION = "cUNet Studio: image generation, photo denoising and training with continuous U-Net diffusion models"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cunet-studio", description=APP_DESCRIPTION)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--screenshots", type=Path, metavar="DIR",
                      help="save generate.png, denoise.png and train.png of a real session into DIR, then exit")
    mode.add_argument("--self-test", action="store_true",
                      help="generate one image and denoise one photo offscreen; exit 0 if it works")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.screenshots or args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.settings import APPLICATION, ORGANISATION, AppSettings

    from app.branding import app_icon, show_splash

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(app_icon())
    if args.screenshots:
        from app.screenshots import take_screenshots

        return take_screenshots(args.screenshots)
    if args.self_test:
        from app.self_test import run_self_test

        return run_self_test()

    splash = show_splash(app)
    from app.main_window import MainWindow  # imports torch: the slow part the splash covers

    sys.excepthook = _show_unexpected_error
    window = MainWindow(AppSettings(QSettings()))
    window.show()
    splash.finish(window)
    return app.exec()


def _show_unexpected_error(kind, error, trace) -> None:
    """A bug in a slot must not kill the app silently: log the traceback for a bug report and
    tell the user in one line."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    traceback.print_exception(kind, error, trace)
    QMessageBox.critical(QApplication.activeWindow(), "Unexpected error",
                         f"Something went wrong ({kind.__name__}: {error}). Details were written to the console.")
