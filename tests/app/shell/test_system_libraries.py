"""The check of the system libraries Qt's xcb plugin needs (app/shell/system_libraries.py), with the
library lookup mocked; and that its table still lists what the installed plugin links."""

import re
import shutil
import subprocess
from pathlib import Path

import PySide6
import pytest

import app.main
from app.shell.system_libraries import XCB_LIBRARIES, missing_libraries_message, qt_platform

X11_SESSION = {"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}


def all_but(*absent: str):
    return lambda soname: soname not in absent


@pytest.mark.parametrize(("environment", "system", "platform"), [
    (X11_SESSION, "linux", "xcb"),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", "offscreen"),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux", "wayland"),
    ({"QT_QPA_PLATFORM": "XCB"}, "linux", "xcb"),
    ({"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}, "linux", "wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", "wayland"),
    ({}, "freebsd14", "xcb"),
    (X11_SESSION, "darwin", None),
    ({}, "win32", None),
])
def test_which_platform_qt_will_use(environment, system, platform):
    assert qt_platform(environment, system) == platform


def test_one_missing_library_is_named_with_its_package():
    message = missing_libraries_message(X11_SESSION, "linux", all_but("libxcb-cursor.so.0"))
    assert message == ("cunet-studio needs the system library libxcb-cursor.so.0 to open its window on X11: install "
                       "it with `sudo apt-get install libxcb-cursor0` (Debian/Ubuntu package names)")


def test_several_missing_libraries_are_one_line_and_each_package_once():
    message = missing_libraries_message(X11_SESSION, "linux",
                                        all_but("libxcb-icccm.so.4", "libglib-2.0.so.0", "libgthread-2.0.so.0"))
    assert "\n" not in message
    assert "libraries libxcb-icccm.so.4, libglib-2.0.so.0, libgthread-2.0.so.0" in message
    assert "`sudo apt-get install libxcb-icccm4 libglib2.0-0`" in message


@pytest.mark.parametrize("environment", [{"QT_QPA_PLATFORM": "offscreen"}, {"WAYLAND_DISPLAY": "wayland-0"}])
def test_nothing_is_checked_off_x11(environment):
    asked = []
    assert missing_libraries_message(environment, "linux", lambda soname: asked.append(soname)) is None
    assert asked == []


def test_nothing_is_said_when_everything_is_there():
    assert missing_libraries_message(X11_SESSION, "linux", all_but()) is None


def test_the_app_says_so_and_exits_2_instead_of_letting_qt_abort(monkeypatch, capsys):
    without_cursor = all_but("libxcb-cursor.so.0")
    monkeypatch.setattr(app.main, "missing_libraries_message",
                        lambda environment: missing_libraries_message(X11_SESSION, "linux", without_cursor))
    assert app.main.main([]) == 2
    assert capsys.readouterr().err.strip().startswith("cunet-studio needs the system library libxcb-cursor.so.0")


def test_the_table_lists_every_system_library_the_installed_xcb_plugin_links():
    """After a PySide6 upgrade the plugin may link another library: this names it."""
    if shutil.which("readelf") is None:
        pytest.skip("readelf (binutils) is not installed")
    qt = Path(PySide6.__file__).parent / "Qt"
    linked = set()
    binaries = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6", qt / "lib" / "libQt6Gui.so.6"]
    for binary in binaries:
        dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
        linked |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))
    qt_own = {path.name for path in (qt / "lib").iterdir()}
    c_runtime = re.compile(r"lib(c|m|dl|rt|pthread|stdc\+\+|gcc_s|z)\.so\.\d+|ld-linux.*")
    system = {name for name in linked if name not in qt_own and not c_runtime.fullmatch(name)}
    assert system <= set(XCB_LIBRARIES), sorted(system - set(XCB_LIBRARIES))
