"""Where denoised photos are saved, in what format and JPEG quality, plus the selected result's
summary and what the last save wrote (a short line under the Save buttons: a routine save needs
no banner pushing the page down).

The default is beside each original with the suffix -denoised; the engine picks a free name, so
neither the original nor an earlier result is ever overwritten.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.common.dialogs import Dialogs
from app.common.settings import AppSettings
from app.widgets.elided_text import ElidedLabel
from engine.denoise import DEFAULT_JPEG_QUALITY, JPEG_QUALITY_RANGE, WRITE_FORMATS

FORMATS_WITH_JPEG = (None, "jpeg")  # "Same as original" writes a JPEG original as JPEG


class DenoiseOutput(QGroupBox):
    def __init__(self, dialogs: Dialogs, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__("Result and output", parent)
        self._dialogs = dialogs
        self._settings = settings
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder = QLineEdit()
        self.folder.setReadOnly(True)
        self.folder.setAcceptDrops(False)  # drops on the page add photos
        self.folder.setPlaceholderText("Next to the originals (name-denoised)")
        self.folder.setToolTip("Where denoised copies are saved; originals are never overwritten")
        choose = QPushButton("Choose…")
        choose.setToolTip("Choose an output folder")
        choose.clicked.connect(self.choose_folder)
        beside = QPushButton("Beside originals")
        beside.setToolTip("Save next to each original, with the suffix -denoised")
        beside.clicked.connect(self.folder.clear)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        folder_row.addWidget(beside)
        self.format = QComboBox()
        self.format.addItem("Same as original", None)
        for key in WRITE_FORMATS:
            self.format.addItem(key.upper(), key)
        self.format.setToolTip("File format of the saved copies")
        self.jpeg_quality = QSpinBox()
        self.jpeg_quality.setRange(*JPEG_QUALITY_RANGE)
        self.jpeg_quality.setValue(DEFAULT_JPEG_QUALITY)
        self.jpeg_quality.setPrefix("JPEG quality ")
        self.jpeg_quality.setToolTip("Quality of copies saved as JPEG (1-100): lower is smaller and blurrier.\n"
                                     "Colour is always kept at full resolution (no chroma subsampling).")
        self.format.currentIndexChanged.connect(self._update_quality_state)
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Save the selected result")
        self.save_all_button = QPushButton("Save all")
        self.save_all_button.setToolTip("Save every result not saved yet")
        self.save_status = ElidedLabel()
        self.save_status.setStyleSheet("color:#1b6e20;")
        save_row = QHBoxLayout()
        save_row.addWidget(self.format)
        save_row.addWidget(self.jpeg_quality)
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.save_all_button)
        form = QFormLayout(self)
        form.addRow("Folder", folder_row)
        form.addRow("Format", save_row)
        form.addRow(self.save_status)
        form.addRow(self.info)  # last: its lines come and go with the selection, and move nothing

    def show_saved(self, text: str, details: str) -> None:
        """`text` under the Save buttons (cut in the middle if narrow), `details` as its tooltip."""
        self.save_status.setText(text)
        self.save_status.setToolTip(details)

    def out_dir(self) -> Path | None:
        return Path(self.folder.text()) if self.folder.text() else None

    def format_name(self) -> str | None:
        return self.format.currentData()

    def jpeg_quality_value(self) -> int:
        return self.jpeg_quality.value()

    def _update_quality_state(self) -> None:
        self.jpeg_quality.setEnabled(self.format_name() in FORMATS_WITH_JPEG)

    def choose_folder(self) -> None:
        folder = self._dialogs.choose_folder("Save denoised photos into", self._settings.folder("denoise-output"))
        if folder is not None:
            self._settings.set_folder("denoise-output", folder)
            self.folder.setText(str(folder))
