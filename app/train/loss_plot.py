"""Training and validation loss against the step (pyqtgraph; log scale, since diffusion losses
fall by orders of magnitude early and then creep). The validation curve is what shows
over-fitting: it stops falling while the training loss still does."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

LOSS_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#e6550d"


class LossPlot(pg.PlotWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        item = self.getPlotItem()
        item.setLogMode(y=True)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss (MSE)")
        for axis in ("bottom", "left"):
            item.getAxis(axis).setTextPen("#333333")
            item.getAxis(axis).setPen("#888888")
        item.addLegend(offset=(-10, 10), labelTextColor="#333333")
        self.loss_curve = item.plot(name="training loss", pen=pg.mkPen(LOSS_COLOUR, width=1.5))
        self.loss_curve.setDownsampling(auto=True, method="mean")
        self.loss_curve.setClipToView(True)
        self.validation_curve = item.plot(name="validation loss", pen=pg.mkPen(VALIDATION_COLOUR, width=2),
                                          symbol="o", symbolSize=6, symbolBrush=VALIDATION_COLOUR,
                                          symbolPen=None)
        self._loss: tuple[list[int], list[float]] = ([], [])
        self._validation: tuple[list[int], list[float]] = ([], [])

    def clear_curves(self) -> None:
        self._loss, self._validation = ([], []), ([], [])
        self._redraw()

    def add_losses(self, steps: list[int], losses: list[float]) -> None:
        self._loss[0].extend(steps)
        self._loss[1].extend(losses)
        self._redraw()

    def add_validation(self, step: int, loss: float) -> None:
        self._validation[0].append(step)
        self._validation[1].append(loss)
        self._redraw()

    def point_counts(self) -> tuple[int, int]:
        return len(self._loss[0]), len(self._validation[0])

    def _redraw(self) -> None:
        for curve, (x, y) in ((self.loss_curve, self._loss), (self.validation_curve, self._validation)):
            values = np.maximum(np.asarray(y, dtype=float), 1e-8)  # log scale needs positive values
            curve.setData(np.asarray(x, dtype=float), values)
