"""Test doubles and tiny models for the GUI tests (imported by conftest and by tests)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from helpers import perturb, tiny_spec
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget

from engine.checkpoints import ModelEntry, ModelSpec, save_model_folder
from engine.models import preset_config


def make_tiny_model(folder: Path, channels: int = 3, image_size: int = 8, card: dict | None = None) -> Path:
    """An untrained (randomly perturbed) cUNet small enough to sample in milliseconds."""
    spec = tiny_spec(channels, image_size)
    spec = dataclasses.replace(spec, card=spec.card | {"display_name": f"Tiny {folder.name}"} | (card or {}))
    return _save(folder, spec, perturb(spec.build_network()).state_dict())


def card_entry(card: dict, name: str = "digits") -> ModelEntry:
    """A listed 28 px greyscale model with this card, without files (for what pages say about it)."""
    spec = tiny_spec(channels=1, image_size=28)
    return ModelEntry(name, Path("/nowhere") / name, "bundled", dataclasses.replace(spec, card=card))


def make_tiny_unet(folder: Path, channels: int = 1, image_size: int = 8) -> Path:
    arch, config = preset_config("unet-small", channels)
    config = dataclasses.replace(config, dim=8, dim_mults=(1, 2))
    spec = ModelSpec(arch=arch, network=dataclasses.asdict(config), image_size=image_size, channels=channels)
    return _save(folder, spec, spec.build_network().state_dict())


def _save(folder: Path, spec: ModelSpec, state: dict) -> Path:
    save_model_folder(folder, spec, state)
    return folder


class ScriptedDialogs:
    """Answers every question from attributes set by the test and records what was asked."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.file: Path | None = None
        self.folder: Path | None = None
        self.save_path: Path | None = None
        self.text: str | None = None
        self.confirm_answer = False
        self.asked: list[str] = []

    def open_files(self, title, folder, filters):
        self.asked.append(title)
        return list(self.files)

    def open_file(self, title, folder, filters):
        self.asked.append(title)
        return self.file

    def choose_folder(self, title, folder):
        self.asked.append(title)
        return self.folder

    def save_file(self, title, suggested, filters, suffixes):
        self.asked.append(title)
        return self.save_path

    def ask_text(self, title, label, default):
        self.asked.append(title)
        return default if self.text == "<default>" else self.text

    def confirm(self, title, text, yes_label):
        self.asked.append(title)
        return self.confirm_answer


def drop(widget: QWidget, *paths: Path) -> None:
    """Deliver a drop of `paths` to `widget`."""
    drop_urls(widget, [QUrl.fromLocalFile(str(p)) for p in paths])


def drop_urls(widget: QWidget, urls: list[QUrl]) -> None:
    mime = QMimeData()
    mime.setUrls(urls)
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)
