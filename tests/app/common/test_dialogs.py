"""The real Dialogs' save-file answer: the name it returns is one the user was asked about."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from app.common.dialogs import Dialogs, start_folder, with_suffix_from


def test_a_name_gets_the_first_suffix_appended_unless_it_has_one_of_them():
    assert with_suffix_from(Path("a/cat"), (".png",)) == Path("a/cat.png")
    assert with_suffix_from(Path("a/scan.v2"), (".png",)) == Path("a/scan.v2.png")
    assert with_suffix_from(Path("a/walk.WEBP"), (".gif", ".webp")) == Path("a/walk.WEBP")


def answer_dialog(monkeypatch, chosen: Path) -> list[str]:
    """Make QFileDialog return `chosen` at once; record what Dialogs.confirm was asked."""
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "exec", lambda dialog: 1)
    monkeypatch.setattr(QFileDialog, "selectedFiles", lambda dialog: [str(chosen)])
    monkeypatch.setattr(Dialogs, "confirm", lambda self, title, text, yes: asked.append(text) or False)
    return asked


def test_a_name_changed_after_the_dialog_is_asked_about_again_before_replacing_a_file(qapp, monkeypatch, tmp_path):
    (tmp_path / "scan.v2.png").write_bytes(b"the user's earlier image")
    asked = answer_dialog(monkeypatch, tmp_path / "scan.v2")
    assert Dialogs().save_file("Save image", tmp_path / "x.png", "PNG image (*.png)", (".png",)) is None
    assert asked and "scan.v2.png already exists" in asked[0]


def test_a_name_the_dialog_already_asked_about_is_returned_as_it_is(qapp, monkeypatch, tmp_path):
    (tmp_path / "cat.png").write_bytes(b"replace me")
    asked = answer_dialog(monkeypatch, tmp_path / "cat.png")
    assert Dialogs().save_file("Save image", tmp_path / "x.png", "PNG image (*.png)", (".png",)) == tmp_path / "cat.png"
    assert asked == []


def test_file_dialogs_open_in_the_last_folder_else_in_pictures_never_the_working_directory(qapp, monkeypatch, tmp_path):
    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    monkeypatch.setattr("platformdirs.user_pictures_dir", lambda: str(pictures))
    opened_in = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda parent, title, folder, filters: opened_in.append(folder) or ([], ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda parent, title, folder, filters: opened_in.append(folder) or ("", ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda parent, title, folder: opened_in.append(folder) or "")
    dialogs = Dialogs()
    dialogs.open_files("Open photos", None, "Images (*.png)")
    dialogs.open_file("Settings from a saved image", None, "PNG images (*.png)")
    dialogs.choose_folder("Save all images into", tmp_path)
    assert opened_in == [str(pictures), str(pictures), str(tmp_path)]
    pictures.rmdir()
    assert start_folder(None) == Path.home()  # no Pictures folder on this system
