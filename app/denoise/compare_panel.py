"""The Denoise page's "Before / after" box: the comparison view with its toolbar (split or
difference, the difference's amplification, zoom readout, Fit). Kept apart from the page so the
page deals in photos and jobs and this in how one result is looked at."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.denoise.compare_view import CompareView


class ComparePanel(QGroupBox):
    """`view` shows the images; the toolbar only changes how they are shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Before / after", parent)
        self.view = CompareView()
        self.view.setToolTip("Drag the line to compare; wheel to zoom, drag to pan, double-click to fit")
        self.mode = QComboBox()
        self.mode.addItem("Before | after", "split")
        self.mode.addItem("Difference", "difference")
        self.mode.setToolTip("Difference shows |after − before| amplified: what denoising changed")
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.gain = QDoubleSpinBox()
        self.gain.setRange(1, 32)
        self.gain.setValue(self.view.gain)
        self.gain.setPrefix("×")
        self.gain.setToolTip("How much the difference view brightens the changes, which are faint at ×1")
        self.gain.valueChanged.connect(self.view.set_gain)
        self.gain_label = QLabel("Amplify")
        self.gain_label.setBuddy(self.gain)
        fit = QPushButton("Fit")
        fit.setToolTip("Show the whole photo (or double-click it)")
        fit.clicked.connect(self.view.fit)
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip("Zoom (mouse wheel over the photo)")
        self.view.zoom_changed.connect(lambda zoom: self.zoom_label.setText(f"{zoom:.0%}"))
        toolbar = QHBoxLayout()
        toolbar.addWidget(QLabel("View"))
        toolbar.addWidget(self.mode)
        toolbar.addSpacing(8)
        toolbar.addWidget(self.gain_label)
        toolbar.addWidget(self.gain)
        toolbar.addStretch(1)
        toolbar.addWidget(self.zoom_label)
        toolbar.addWidget(fit)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.view, 1)
        self._on_mode_changed()

    def _on_mode_changed(self) -> None:
        """The amplification only applies to the difference view: greyed out beside the split view."""
        mode = self.mode.currentData()
        self.view.set_mode(mode)
        for widget in (self.gain_label, self.gain):
            widget.setEnabled(mode == "difference")
