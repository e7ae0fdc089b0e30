"""The app's icon and start-up splash.

Importing PyTorch and building the window takes seconds on a small machine, and a double-clicked
app that shows nothing for that long looks broken, so the splash goes up before those imports
and the window replaces it. The icon is drawn by
scripts/make_app_icon.py.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from app.shell.brand_colours import GRADIENT_BOTTOM, GRADIENT_TOP
from engine.paths import resources_dir

APP_ICON_FILE = resources_dir() / "icons" / "cunet-studio.png"
SPLASH_SIZE = (460, 200)
SPLASH_TOP, SPLASH_BOTTOM = QColor(GRADIENT_TOP), QColor(GRADIENT_BOTTOM)


def app_icon() -> QIcon:
    return QIcon(str(APP_ICON_FILE))


def show_splash(app: QApplication) -> QSplashScreen:
    """A splash painted now (the event loop is not running yet); `finish(window)` closes it."""
    width, height = SPLASH_SIZE
    pixmap = QPixmap(width, height)
    painter = QPainter(pixmap)
    gradient = QLinearGradient(0, 0, 0, height)
    gradient.setColorAt(0, SPLASH_TOP)
    gradient.setColorAt(1, SPLASH_BOTTOM)
    painter.fillRect(pixmap.rect(), gradient)
    painter.drawPixmap(28, 36, app_icon().pixmap(128, 128))
    painter.setPen(QColor("white"))
    title = QFont(app.font())
    title.setPointSize(20)
    title.setBold(True)
    painter.setFont(title)
    painter.drawText(176, 88, "cUNet Studio")
    subtitle = QFont(app.font())
    subtitle.setPointSize(10)
    painter.setFont(subtitle)
    painter.drawText(176, 114, "continuous U-Net diffusion")
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.showMessage("Starting: loading PyTorch…", Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight,
                       QColor("white"))
    splash.show()
    app.processEvents()
    return splash
