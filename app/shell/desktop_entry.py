"""`cunet-studio --install-desktop-entry`: a freedesktop.org desktop entry (Linux), so the app is
in the desktop's menus and in a file manager's "Open with" for images.

The entry starts this very installation (the bundle's executable, the virtual environment's
`cunet-studio` script, or this Python with `-m app`) with the chosen files: photos go to the
Denoise queue, a PNG saved by the Generate page brings its settings back (app/shell/opened_files.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs

from app.shell.branding import APP_ICON_FILE
from engine.errors import EngineError

DESKTOP_FILE = "cunet-studio.desktop"
# The image types the Denoise page reads (engine.denoise.PHOTO_EXTENSIONS), by extension;
# HEIC and RAW types as shared-mime-info names them.
MIME_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg",
    ".jfif": "image/jpeg", ".webp": "image/webp", ".bmp": "image/bmp", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".gif": "image/gif", ".heic": "image/heif", ".heif": "image/heif",
    ".avif": "image/avif", ".dng": "image/x-adobe-dng", ".cr2": "image/x-canon-cr2",
    ".cr3": "image/x-canon-cr3", ".nef": "image/x-nikon-nef", ".nrw": "image/x-nikon-nrw",
    ".arw": "image/x-sony-arw", ".raf": "image/x-fuji-raf", ".orf": "image/x-olympus-orf",
    ".rw2": "image/x-panasonic-rw2", ".pef": "image/x-pentax-pef", ".srw": "image/x-samsung-srw",
}
RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')  # characters that make an Exec argument need quotes


class DesktopEntryError(EngineError):
    """The entry cannot be installed here (not a freedesktop.org desktop, a folder not writable)."""


def install_desktop_entry(applications_dir: Path | None = None) -> Path:
    """Write the entry into `applications_dir` (default: the user's, $XDG_DATA_HOME/applications)
    and refresh the desktop's list of which app opens which file type; returns the entry's path."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise DesktopEntryError("desktop entries are for Linux and BSD desktops; on this system open files "
                                "with: cunet-studio FILE…")
    folder = applications_dir or Path(platformdirs.user_data_dir()) / "applications"
    path = folder / DESKTOP_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(desktop_entry_text(launch_command(), APP_ICON_FILE), encoding="utf-8")
    except OSError as error:
        raise DesktopEntryError(f"cannot write {path}: {error.strerror or error}") from None
    _refresh_mime_cache(folder)
    return path


def desktop_entry_text(command: list[str], icon: Path) -> str:
    mime_types = "".join(f"{mime};" for mime in sorted(set(MIME_TYPES.values())))
    exec_line = " ".join(_exec_argument(argument) for argument in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=cUNet Studio\n"
        "GenericName=Photo denoiser and image generator\n"
        "Comment=Remove noise from photos, generate images and train models with continuous U-Net diffusion\n"
        f"Exec={exec_line} %F\n"
        f"Icon={icon}\n"
        "Terminal=false\n"
        "Categories=Graphics;Photography;\n"
        f"MimeType={mime_types}\n"
    )


def launch_command() -> list[str]:
    """How this installation starts the app."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.argv[0])
    if script.name == "cunet-studio" and script.is_file():
        return [str(script.absolute())]
    return [sys.executable, "-m", "app"]


def _exec_argument(argument: str) -> str:
    """One Exec argument, quoted as the Desktop Entry Specification asks (then escaped once more
    as every string value is: a backslash is written twice); a literal % is written %%."""
    argument = argument.replace("%", "%%")
    if RESERVED.isdisjoint(argument):
        return argument
    quoted = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return '"' + quoted.replace("\\", "\\\\") + '"'


def _refresh_mime_cache(folder: Path) -> None:
    """Desktops read "which apps open PNG" from a cache of the folder; without the tool the entry
    still shows in menus and in "Open with other application"."""
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run([tool, str(folder)], capture_output=True, timeout=60, check=False)
