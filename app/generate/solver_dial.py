"""The cUNet speed/quality dial: how each ODE block is integrated at sampling time.

A cUNet's blocks are ODEs, so one trained model can run with a cheaper solver (faster, rougher)
or a finer one (slower, closer to the exact ODE flow) without retraining. Which is better depends
on the model (finer hurts the small bundled models, helps the wider emoji one), so the dial
starts at the setting the model was trained with, shows the cost in network evaluations per
block and, when the model card has measured the trade-off, says in words what each setting
gives against the trained one (faster or slower, better or worse images), with the measured
numbers behind a toggle. Discrete U-Nets have no ODE blocks, so the dial is disabled with that
explanation.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QToolButton, QWidget

from app.common.model_card import solver_tradeoff
from app.generate.tradeoff_words import SettingVerdict, tradeoff_in_words
from app.widgets.control_column import scroll_into_view
from engine.checkpoints import ModelEntry
from engine.models import MAX_SOLVER_STEPS, SOLVER_METHODS, SolverSettings, is_adaptive_method

METHOD_HINTS = {
    "euler": "Euler: 1 evaluation per step (fastest)",
    "midpoint": "Midpoint: 2 evaluations per step",
    "rk4": "RK4: 4 evaluations per step (most accurate fixed grid)",
    "dopri5": "Dopri5: adaptive steps to a tolerance (slowest)",
}
TOLERANCES = ("1e-2", "1e-3", "1e-4", "1e-5")
NUMBERS_LEGEND = ("FD: how far the generated images are from real ones (lower is better; n: images measured); "
                  "s/image: seconds per image; evals/block: network evaluations per ODE block.")
UNET_NOTE = ("This model is a discrete U-Net: it has no ODE blocks, so there is no solver to trade "
             "speed for quality. Pick a cUNet model to use the dial.")


class SolverDial(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._trained: SolverSettings | None = None
        self._has_numbers = self._numbers_foldable = False
        self.method = QComboBox()
        for method in SOLVER_METHODS:
            self.method.addItem(method, method)
            self.method.setItemData(self.method.count() - 1, METHOD_HINTS.get(method, method), Qt.ItemDataRole.ToolTipRole)
        self.method.setToolTip("ODE solver used inside every continuous block of the network")
        self.steps = QSpinBox()
        self.steps.setRange(1, MAX_SOLVER_STEPS)  # all the engine allows, so any saved setting can be shown
        self.steps.setToolTip("Solver steps per ODE block: more steps = slower, closer to the exact ODE")
        self.tolerance = QComboBox()
        self.tolerance.addItems(TOLERANCES)
        self.tolerance.setCurrentText("1e-3")
        self.tolerance.setToolTip("Error tolerance of the adaptive solver (rtol = atol)")
        self.reset = QPushButton("As trained")
        self.reset.setToolTip("Return to the solver setting the model was trained with")
        self.cost = QLabel()
        self.cost.setWordWrap(True)
        self.note = QLabel(UNET_NOTE)
        self.note.setWordWrap(True)
        self.tradeoff = QLabel()
        self.tradeoff.setWordWrap(True)
        self.numbers_button = QToolButton()
        self.numbers_button.setText("Measured numbers")
        self.numbers_button.setToolTip("The model card's measurements behind these words")
        self.numbers_button.setCheckable(True)
        self.numbers_button.setAutoRaise(True)
        self.numbers_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.numbers_button.toggled.connect(self._show_numbers)
        self.numbers = QLabel()
        self.numbers.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.method, 1)
        row.addWidget(self.reset)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Solver", row)
        form.addRow("Steps / block", self.steps)
        form.addRow("Tolerance", self.tolerance)
        form.addRow(self.cost)
        form.addRow(self.note)
        form.addRow(self.tradeoff)
        form.addRow(self.numbers_button)
        form.addRow(self.numbers)
        self._form = form

        self.method.currentIndexChanged.connect(self._update_state)
        self.steps.valueChanged.connect(self._update_state)
        self.tolerance.currentIndexChanged.connect(self._update_state)
        self.reset.clicked.connect(lambda: self.set_solver(None))
        self.set_model(None)

    def set_model(self, entry: ModelEntry | None) -> None:
        self._trained = entry.spec.trained_solver if entry else None
        table = solver_tradeoff(entry) if entry else None
        words = tradeoff_in_words(entry) if entry else None
        how = str(entry.spec.card.get("solver_tradeoff_note", "")) if entry else ""
        self.tradeoff.setText(_words_html(words) if words else "")
        self.tradeoff.setVisible(words is not None)
        self.numbers.setText(_table_html(*table, how) if table else "")
        self._numbers_foldable = words is not None  # a table not put into words shows at once
        self._has_numbers = table is not None
        self.numbers_button.setVisible(self._numbers_foldable)
        self.numbers_button.setChecked(False)
        self._show_numbers(False)
        self.note.setVisible(entry is not None and self._trained is None)
        for widget in (self.method, self.steps, self.tolerance, self.reset):
            widget.setEnabled(self._trained is not None)
        self.set_solver(None)

    def _show_numbers(self, unfolded: bool) -> None:
        self.numbers.setVisible(self._has_numbers and (unfolded or not self._numbers_foldable))
        self.numbers_button.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
        if unfolded:
            scroll_into_view(self.numbers)

    def solver(self) -> SolverSettings | None:
        """The chosen setting, or None when the model has no ODE blocks."""
        if self._trained is None:
            return None
        tolerance = float(self.tolerance.currentText())
        return SolverSettings(method=self.method.currentData(), steps=self.steps.value(), rtol=tolerance, atol=tolerance)

    def set_solver(self, solver: SolverSettings | None) -> bool:
        """Show a saved setting (None: as trained); a model without ODE blocks keeps its note.
        False when the dial cannot show it exactly (it has one tolerance for rtol and atol), so
        Generate would not sample with the saved setting."""
        wanted = solver or self._trained or SolverSettings()
        self._show(wanted)
        shown = self.solver()
        if shown is None or solver is None:
            return True
        if wanted.is_adaptive:
            return shown.method == wanted.method and (shown.rtol, shown.atol) == (wanted.rtol, wanted.atol)
        return shown.method == wanted.method and shown.steps == wanted.steps

    def _show(self, solver: SolverSettings) -> None:
        self.method.setCurrentIndex(self.method.findData(solver.method))
        self.steps.setValue(solver.steps)
        tolerance = _tolerance_text(solver.rtol)
        if self.tolerance.findText(tolerance) < 0:
            self.tolerance.addItem(tolerance)
        self.tolerance.setCurrentText(tolerance)
        self._update_state()

    def _update_state(self) -> None:
        adaptive = is_adaptive_method(self.method.currentData())
        self._form.setRowVisible(self.steps, not adaptive)
        self._form.setRowVisible(self.tolerance, adaptive)
        chosen = self.solver()
        if chosen is None:
            self.cost.clear()
            return
        evals = chosen.evals_per_block()
        cost = "adaptive number of" if evals is None else str(evals)
        marker = " (as trained)" if chosen == self._trained else ""
        self.cost.setText(f"{cost} network evaluations per ODE block{marker}. Trained with {self._trained.label()}.")


def _tolerance_text(value: float) -> str:
    """"1e-3" for the usual powers of ten, else the exact value ("0.00025"), never a rounded one."""
    short = f"{value:.0e}".replace("e-0", "e-")
    return short if float(short) == value else f"{value:g}"


def _words_html(verdicts: list[SettingVerdict]) -> str:
    rows = "".join(f"<tr><td style='padding-right:8px; white-space:nowrap'>{html.escape(v.setting)}</td>"
                   f"<td>{html.escape(v.verdict)}</td></tr>" for v in verdicts)
    return f"Measured against the trained setting:<table cellspacing='0'>{rows}</table>"


def _table_html(headers: list[str], rows: list[list[str]], how: str) -> str:
    """The card's table, what its columns mean, and how it was measured (so the numbers are not
    read as timings of this computer)."""
    head = "".join(f"<th align='left' style='padding-right:6px'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='padding-right:6px'>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    measured = f"<br>Measured: {html.escape(how)}" if how else ""
    return (f"<table cellspacing='0'>{'<tr>' + head + '</tr>'}{body}</table>"
            f"<span style='color:#6b6b6b'>{html.escape(NUMBERS_LEGEND)}{measured}</span>")
