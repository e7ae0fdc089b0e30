"""The system libraries Qt's X11 (xcb) platform plugin needs, checked before Qt starts (pure
Python, no Qt).

Why: PySide6's wheels carry Qt but not the X11 client libraries its xcb plugin links. Without one
of them (libxcb-cursor0 is the usual one missing on a fresh Debian or Ubuntu) Qt prints "Could not
load the Qt platform plugin" and aborts the process (exit code 134), which reads like a crash of
the app. `missing_libraries_message` says instead which library is missing and which package
brings it, in one line.

`XCB_LIBRARIES` is what libqxcb.so and libQt6XcbQpa.so.6 list as needed (`readelf -d`), with
what libQt6Gui.so.6 itself needs from the system, outside Qt's own libraries and the C runtime
(PySide6 6.12); tests/app/shell/test_system_libraries.py compares it with the installed plugin.
Package names are Debian's and Ubuntu's.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}


def qt_platform(environment: Mapping[str, str], system: str = sys.platform) -> str | None:
    """The platform plugin Qt will start on this X11/Wayland system (None elsewhere): the one
    QT_QPA_PLATFORM names first, else wayland in a Wayland session, else xcb."""
    if not system.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    named = environment.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if named:
        return named
    if environment.get("XDG_SESSION_TYPE") == "wayland" or environment.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def library_loads(soname: str) -> bool:
    """Whether the dynamic loader finds `soname` (and everything it needs), as Qt's will; in a
    PyInstaller bundle also among the bundle's own libraries."""
    candidates = [soname]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        candidates.append(str(Path(bundle) / soname))
    for candidate in candidates:
        try:
            ctypes.CDLL(candidate)
            return True
        except OSError:
            continue
    return False


def missing_libraries_message(
    environment: Mapping[str, str], system: str = sys.platform, loads: Callable[[str], bool] = library_loads
) -> str | None:
    """One line naming the missing libraries and the command that installs them, or None when
    nothing is missing or the platform is not xcb (offscreen, wayland, Windows, macOS)."""
    if qt_platform(environment, system) != "xcb":
        return None
    missing = [soname for soname in XCB_LIBRARIES if not loads(soname)]
    if not missing:
        return None
    packages = list(dict.fromkeys(XCB_LIBRARIES[soname] for soname in missing))
    libraries = "library " + missing[0] if len(missing) == 1 else "libraries " + ", ".join(missing)
    return (f"cunet-studio needs the system {libraries} to open its window on X11: install "
            f"{'it' if len(missing) == 1 else 'them'} with `sudo apt-get install {' '.join(packages)}` "
            "(Debian/Ubuntu package names)")
