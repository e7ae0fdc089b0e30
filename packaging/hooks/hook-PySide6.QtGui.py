"""PyInstaller's own PySide6.QtGui hook, minus Qt plugins the desktop app cannot use.

A hook in `hookspath` replaces the upstream one of the same name, so this calls the same
upstream helper and only filters its result. Filtering here, before PyInstaller resolves the
plugins' shared-library dependencies, also keeps those dependencies out of the bundle (the GTK3
theme alone drags in cairo, pango, atk and gdk-pixbuf from the build machine).

Dropped:
- platforms for embedded devices without a window system (eglfs, linuxfb, vnc, Vulkan display,
  minimal EGL) and the device-integration and evdev input plugins that only they load;
- the GTK3 platform theme: it links the system's libgtk-3, which the bundle cannot ship, and
  would then mix it with the build machine's copies of cairo and pango. Qt uses its own style
  and the XDG desktop portal theme instead.
Kept: xcb (X11 and XWayland), wayland, offscreen (--self-test), minimal, image formats, SVG
icons, input methods, the XDG portal theme and the xcb GL integrations.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNUSED_PLUGIN_FOLDERS = {"egldeviceintegrations", "generic"}
UNUSED_PLUGINS = {
    "platforms": {"libqeglfs.so", "libqlinuxfb.so", "libqminimalegl.so", "libqvkkhrdisplay.so", "libqvnc.so"},
    "platformthemes": {"libqgtk3.so"},
}


def _is_unused_plugin(source: str) -> bool:
    path = PurePath(source)
    folder = path.parent.name
    if path.parent.parent.name != "plugins":
        return False
    return folder in UNUSED_PLUGIN_FOLDERS or path.name in UNUSED_PLUGINS.get(folder, set())


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, destination) for source, destination in binaries if not _is_unused_plugin(source)]
