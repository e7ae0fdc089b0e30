"""The app icon ships in resources/ and the start-up splash paints before the slow imports."""

from __future__ import annotations

from app.shell.branding import APP_ICON_FILE, SPLASH_SIZE, app_icon, show_splash


def test_the_icon_is_bundled_and_loads(qapp):
    assert APP_ICON_FILE.is_file()
    icon = app_icon()
    assert not icon.isNull() and icon.pixmap(64, 64).width() == 64


def test_splash_shows_the_name_and_what_is_loading(qapp, qtbot):
    splash = show_splash(qapp)
    qtbot.addWidget(splash)
    assert splash.isVisible() and "loading PyTorch" in splash.message()
    image = splash.pixmap().toImage()
    assert (image.width(), image.height()) == SPLASH_SIZE
    assert image.pixelColor(5, 5).name() != image.pixelColor(5, SPLASH_SIZE[1] - 5).name()  # the gradient
    splash.close()
