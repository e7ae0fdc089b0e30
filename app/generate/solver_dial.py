"""The cUNet speed/quality dial: how each ODE block is integrated at sampling time.

A cUNet's blocks are ODEs, so one trained model can run with a cheaper solver (faster, rougher)
or a finer one (slower, closer to the exact ODE flow) without retraining. Which is better depends
on the model (finer hurts the small bundled models, helps the wider emoji one), so the dial
starts at the setting the model was trained with, shows the cost in network evaluations per
block and, when the model card has measured the trade-off, says in words what each setting
gives against the trained one (faster or slower, better or worse images), with the measured
numbers behind a toggle. Discrete U-Nets have no ODE blocks, so the dial is disabled with that
explanation.

"Cheaper while noisy" makes the solver step-aware (`SteppedSolver`): a cheap solver while the
image is mostly noise, the one above from a switch step to the end, or, with "Cheap again
below" set, only down to that step (the middle of the process, where a class-conditional model
decides the class, keeps the finer solver). Where the card measured schedules (`solver_schedules`)
they are said in words under it, and "Use the measured schedule" sets the one the card recommends
(`recommended.solver_schedule`, chosen on the classifier's selection split, not on the held-out
images it is reported on). What a setting costs per
image depends on the sampler and steps too, so the page works it out (`GenerateViewModel.
solver_cost`) whenever the dial says it `changed`, and shows it here (`show_cost`).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.common.model_card import solver_tradeoff
from app.generate.tradeoff_words import SettingVerdict, tradeoff_in_words
from app.widgets.control_column import scroll_into_view, side_by_side
from engine.checkpoints import ModelEntry, ModelSpec
from engine.diffusion import SolverChoice, SteppedSolver
from engine.errors import ConfigError
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
STEPPED_TIP = ("Solve cheaply while the image is still mostly noise, where the network only guesses its rough "
               "shape, and with the solver above from the switch step to the end, where the details are decided")
SWITCH_TIP = ("The diffusion step t where the solver above takes over: t counts down from pure noise to the "
              "finished image (0). The cheap solver runs while t is at or above it; lower = cheaper")
UNTIL_TIP = ("The cheap solver takes over again for the last steps, below this t, where only fine noise is left "
             "to remove; 'off' keeps the solver above to the end")
UNET_NOTE = ("This model is a discrete U-Net: it has no ODE blocks, so there is no solver to trade "
             "speed for quality. Pick a cUNet model to use the dial.")


class SolverDial(QWidget):
    changed = Signal()  # the chosen solver (or schedule) changed: its cost per image changed too

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
        self.stepped = QCheckBox("Cheaper while noisy")
        self.stepped.setToolTip(STEPPED_TIP)
        self.noisy_method = QComboBox()
        for method in SOLVER_METHODS:
            if not is_adaptive_method(method):  # the cheap phase: a known, fixed number of evaluations
                self.noisy_method.addItem(method, method)
        self.noisy_method.setToolTip("The cheap solver, used while the image is mostly noise")
        self.noisy_steps = QSpinBox()
        self.noisy_steps.setRange(1, MAX_SOLVER_STEPS)
        self.noisy_steps.setPrefix("× ")
        self.noisy_steps.setToolTip("The cheap solver's steps per ODE block")
        self.switch = QSpinBox()
        self.switch.setPrefix("t = ")
        self.switch.setSingleStep(50)
        self.switch.setToolTip(SWITCH_TIP)
        self.until = QSpinBox()
        self.until.setPrefix("t = ")
        self.until.setSpecialValueText("off")  # 0: the finer solver runs to the end
        self.until.setSingleStep(50)
        self.until.setToolTip(UNTIL_TIP)
        self.reset = QPushButton("As trained")
        self.use_schedule = QPushButton("Use the measured schedule")
        self.use_schedule.clicked.connect(lambda: self.set_solver(self._measured_schedule))
        self._measured_schedule: SteppedSolver | None = None
        self.schedule_words = QLabel()
        self.schedule_words.setWordWrap(True)
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
        form.addRow(side_by_side(self.stepped, self.use_schedule))
        form.addRow("While noisy", side_by_side(self.noisy_method, self.noisy_steps))
        form.addRow("Switch at", side_by_side(self.switch, stretch_last=True))
        form.addRow("Cheap again below", side_by_side(self.until, stretch_last=True))
        form.addRow(self.schedule_words)
        form.addRow(self.cost)
        form.addRow(self.note)
        form.addRow(self.tradeoff)
        form.addRow(self.numbers_button)
        form.addRow(self.numbers)
        self._form = form

        # until < switch: connected first, so the schedule is valid by the time `changed` reads it
        self.switch.valueChanged.connect(lambda switch: self.until.setMaximum(switch - 1))
        self.method.currentIndexChanged.connect(self._update_state)
        self.steps.valueChanged.connect(self._update_state)
        self.tolerance.currentIndexChanged.connect(self._update_state)
        for control in (self.stepped.toggled, self.noisy_method.currentIndexChanged, self.noisy_steps.valueChanged,
                        self.switch.valueChanged, self.until.valueChanged):
            control.connect(self._update_state)
        self.reset.clicked.connect(lambda: self.set_solver(None))
        self.set_model(None)

    def set_model(self, entry: ModelEntry | None) -> None:
        self._trained = entry.spec.trained_solver if entry else None
        self.switch.setRange(1, entry.spec.build_schedule().max_step if entry else 1)
        table = solver_tradeoff(entry) if entry else None
        words = tradeoff_in_words(entry) if entry else None
        how = str(entry.spec.card.get("solver_tradeoff_note", "")) if entry else ""
        self.tradeoff.setText(_words_html(words) if words else "")
        self.tradeoff.setVisible(words is not None)
        schedule_words = tradeoff_in_words(entry, "solver_schedules") if entry else None
        self.schedule_words.setText(_words_html(schedule_words, "Measured schedules") if schedule_words else "")
        self._measured_schedule = measured_schedule(entry.spec) if entry else None
        self.use_schedule.setVisible(self._measured_schedule is not None)
        if self._measured_schedule is not None:
            self.use_schedule.setToolTip(f"{self._measured_schedule.label()}: the schedule the model card recommends")
        self.numbers.setText(_table_html(*table, how) if table else "")
        self._numbers_foldable = words is not None  # a table not put into words shows at once
        self._has_numbers = table is not None
        self.numbers_button.setVisible(self._numbers_foldable)
        self.numbers_button.setChecked(False)
        self._show_numbers(False)
        self.note.setVisible(entry is not None and self._trained is None)
        self.reset.setToolTip(reset_tip(entry.spec) if entry else reset_tip(None))
        for widget in (self.method, self.steps, self.tolerance, self.reset, self.stepped):
            widget.setEnabled(self._trained is not None)
        self.set_solver(None)

    def _show_numbers(self, unfolded: bool) -> None:
        self.numbers.setVisible(self._has_numbers and (unfolded or not self._numbers_foldable))
        self.numbers_button.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
        if unfolded:
            scroll_into_view(self.numbers)

    def solver(self) -> SolverChoice | None:
        """The chosen setting, step-aware when "Cheaper while noisy" is ticked; None when the
        model has no ODE blocks."""
        if self._trained is None:
            return None
        tolerance = float(self.tolerance.currentText())
        chosen = SolverSettings(method=self.method.currentData(), steps=self.steps.value(), rtol=tolerance,
                                atol=tolerance)
        if not self.stepped.isChecked():
            return chosen
        noisy = SolverSettings(method=self.noisy_method.currentData(), steps=self.noisy_steps.value())
        return SteppedSolver(noisy, chosen, self.switch.value(), self.until.value())

    def set_solver(self, solver: SolverChoice | None) -> bool:
        """Show a saved setting (None: as trained, one solver throughout); a model without ODE
        blocks keeps its note. False when the dial cannot show it exactly (it has one tolerance
        for rtol and atol, and a fixed-grid cheap solver), so Generate would not sample with the
        saved setting."""
        stepped = solver if isinstance(solver, SteppedSolver) else None
        wanted = (stepped.fine if stepped else solver) or self._trained or SolverSettings()
        self._show(wanted, stepped)
        shown = self.solver()
        if shown is None or solver is None:
            return True
        if stepped is None:
            return _shows(shown, wanted)
        return (_shows(shown.fine, wanted) and _shows(shown.noisy, stepped.noisy) and not stepped.noisy.is_adaptive
                and (shown.switch, shown.until) == (stepped.switch, stepped.until))

    def show_cost(self, text: str) -> None:
        """What the chosen setting costs per image (the page's words: they need its sampler)."""
        self.cost.setText(text)

    def _show(self, solver: SolverSettings, stepped: SteppedSolver | None) -> None:
        self.method.setCurrentIndex(self.method.findData(solver.method))
        self.steps.setValue(solver.steps)
        tolerance = _tolerance_text(solver.rtol)
        if self.tolerance.findText(tolerance) < 0:
            self.tolerance.addItem(tolerance)
        self.tolerance.setCurrentText(tolerance)
        noisy = stepped.noisy if stepped else SolverSettings("euler")
        self.noisy_method.setCurrentIndex(max(self.noisy_method.findData(noisy.method), 0))
        self.noisy_steps.setValue(noisy.steps)
        self.switch.setValue(stepped.switch if stepped else (self.switch.maximum() + 1) // 2)
        self.until.setMaximum(self.switch.value() - 1)  # the fine phase ends below its start
        self.until.setValue(stepped.until if stepped else 0)
        self.stepped.setChecked(stepped is not None)
        self._update_state()

    def _update_state(self) -> None:
        adaptive = is_adaptive_method(self.method.currentData())
        self._form.setRowVisible(self.steps, not adaptive)
        self._form.setRowVisible(self.tolerance, adaptive)
        for row in (self.noisy_method.parentWidget(), self.switch.parentWidget(), self.until.parentWidget()):
            self._form.setRowVisible(row, self.stepped.isChecked())
        self._form.setRowVisible(self.schedule_words, self.stepped.isChecked() and bool(self.schedule_words.text()))
        self.changed.emit()


def _shows(shown: SolverSettings, wanted: SolverSettings) -> bool:
    """The dial shows `wanted`: the same method and the knob that applies to it."""
    if wanted.is_adaptive:
        return shown.method == wanted.method and (shown.rtol, shown.atol) == (wanted.rtol, wanted.atol)
    return shown.method == wanted.method and shown.steps == wanted.steps


def _tolerance_text(value: float) -> str:
    """"1e-3" for the usual powers of ten, else the exact value ("0.00025"), never a rounded one."""
    short = f"{value:.0e}".replace("e-0", "e-")
    return short if float(short) == value else f"{value:g}"


def measured_schedule(spec: ModelSpec) -> SteppedSolver | None:
    """The step-aware schedule the card recommends (`recommended.solver_schedule`, its text form),
    or None where it names none or one this engine cannot read (the button then stays hidden)."""
    recommended = spec.card.get("recommended")
    text = recommended.get("solver_schedule") if isinstance(recommended, dict) else None
    if spec.trained_solver is None or not isinstance(text, str):
        return None
    try:
        return SteppedSolver.from_text(text)
    except ConfigError:
        return None


def _words_html(verdicts: list[SettingVerdict], title: str = "Measured against the trained setting") -> str:
    rows = "".join(f"<tr><td style='padding-right:8px'>{html.escape(v.setting)}</td>"
                   f"<td>{html.escape(v.verdict)}</td></tr>" for v in verdicts)
    return f"{html.escape(title)}:<table cellspacing='0'>{rows}</table>"


def _table_html(headers: list[str], rows: list[list[str]], how: str) -> str:
    """The card's table, what its columns mean, and how it was measured (so the numbers are not
    read as timings of this computer)."""
    head = "".join(f"<th align='left' style='padding-right:6px'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='padding-right:6px'>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    measured = f"<br>Measured: {html.escape(how)}" if how else ""
    return (f"<table cellspacing='0'>{'<tr>' + head + '</tr>'}{body}</table>"
            f"<span style='color:#6b6b6b'>{html.escape(NUMBERS_LEGEND)}{measured}</span>")


def reset_tip(spec: ModelSpec | None) -> str:
    """The "As trained" button's tooltip: the trained setting, and for a solver-robust model the
    other settings it was trained to run with (where the dial costs it least)."""
    if spec is None or spec.trained_solver is None:
        return "Return to the solver setting the model was trained with"
    tip = f"Return to the solver setting the model was trained with ({spec.trained_solver.label()})"
    if len(spec.trained_solvers) > 1:
        tip += f"; it was trained to run with each of {spec.trained_solvers_label()}"
    return tip
