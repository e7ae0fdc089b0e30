"""Every modal question the app asks, behind one object.

Pages never open a QFileDialog or QMessageBox themselves: they ask `Dialogs`, so tests (and the
screenshot tour) substitute an object with scripted answers and nothing ever blocks. A file
dialog opens in the folder last used for that kind of file, else in the user's Pictures folder
(`start_folder`): never in the working directory, which for an app started from its source
checkout is the repository.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget


class Dialogs:
    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def open_files(self, title: str, folder: Path | None, filters: str) -> list[Path]:
        names, _ = QFileDialog.getOpenFileNames(self.parent, title, str(start_folder(folder)), filters)
        return [Path(n) for n in names]

    def open_file(self, title: str, folder: Path | None, filters: str) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.parent, title, str(start_folder(folder)), filters)
        return Path(name) if name else None

    def choose_folder(self, title: str, folder: Path | None) -> Path | None:
        name = QFileDialog.getExistingDirectory(self.parent, title, str(start_folder(folder)))
        return Path(name) if name else None

    def save_file(self, title: str, suggested: Path, filters: str, suffixes: tuple[str, ...]) -> Path | None:
        """A file name ending in one of `suffixes` (the first is added to a name without one),
        never an existing file the user was not asked about: the dialog asks about the name it
        returns, so a name changed after it is asked about again."""
        dialog = QFileDialog(self.parent, title, str(suggested.parent), filters)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffixes[0].lstrip("."))
        dialog.selectFile(suggested.name)
        if not dialog.exec() or not dialog.selectedFiles():
            return None
        chosen = Path(dialog.selectedFiles()[0])
        path = with_suffix_from(chosen, suffixes)
        if path != chosen and path.exists() and not self.confirm(
                title, f"{path.name} already exists in {path.parent}. Replace it?", "Replace"):
            return None
        return path

    def ask_text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self.parent, title, label, QLineEdit.EchoMode.Normal, default)
        return text.strip() if ok and text.strip() else None

    def confirm(self, title: str, text: str, yes_label: str) -> bool:
        """A yes / cancel question; Cancel is the default so Enter never destroys work."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self.parent)
        yes = box.addButton(yes_label, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes


def start_folder(folder: Path | None) -> Path:
    """`folder` (the last one used), else the user's Pictures folder, else their home folder."""
    if folder is not None:
        return folder
    pictures = Path(platformdirs.user_pictures_dir())
    return pictures if pictures.is_dir() else Path.home()


def with_suffix_from(path: Path, suffixes: tuple[str, ...]) -> Path:
    """`path` if it ends in one of `suffixes` (any case), else with the first one appended (not
    replacing: "scan.v2" becomes "scan.v2.png", not "scan.png")."""
    if path.suffix.lower() in suffixes:
        return path
    return path.with_name(path.name + suffixes[0])
