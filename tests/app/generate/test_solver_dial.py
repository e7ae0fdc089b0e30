"""The solver dial's words that depend on how a model was trained."""

import dataclasses

from app.generate.solver_dial import reset_tip
from engine.models import SolverSettings
from helpers import tiny_spec


def test_as_trained_names_the_trained_setting_and_a_robust_model_s_other_trained_settings():
    plain = tiny_spec()
    assert reset_tip(plain).endswith("trained with (midpoint × 1)")
    robust = dataclasses.replace(plain, trained_solvers=(SolverSettings("rk4", 2), SolverSettings("euler", 1),
                                                          SolverSettings("midpoint", 1)))
    assert reset_tip(robust).endswith("(midpoint × 1); it was trained to run with each of euler × 1, midpoint × 1 "
                                      "and rk4 × 2")
    assert reset_tip(None) == "Return to the solver setting the model was trained with"
