"""The solver dial's words that depend on how a model was trained."""

import dataclasses

from app_helpers import card_entry
from helpers import tiny_spec

from app.generate.solver_dial import SolverDial, measured_schedule, reset_tip
from engine.diffusion import SteppedSolver
from engine.models import SolverSettings


def test_as_trained_names_the_trained_setting_and_a_robust_model_s_other_trained_settings():
    plain = tiny_spec()
    assert reset_tip(plain).endswith("trained with (midpoint × 1)")
    robust = dataclasses.replace(plain, trained_solvers=(SolverSettings("rk4", 2), SolverSettings("euler", 1),
                                                          SolverSettings("midpoint", 1)))
    assert reset_tip(robust).endswith("(midpoint × 1); it was trained to run with each of euler × 1, midpoint × 1 "
                                      "and rk4 × 2")
    assert reset_tip(None) == "Return to the solver setting the model was trained with"


SCHEDULES = [{"solver": "midpoint x1 (trained)", "s/image": 0.3, "FD n=5000": 2.3, "in class n=5000": 0.976},
             {"solver": "euler x1 while t>=950, midpoint x1 down to t=500, then euler x1 again",
              "schedule": "euler:1@950,midpoint:1@500", "s/image": 0.2, "FD n=5000": 2.2, "in class n=5000": 0.97}]


def test_the_measured_schedule_is_one_click_away_and_said_in_words(qtbot):
    dial = SolverDial()
    qtbot.addWidget(dial)
    dial.set_model(card_entry({"solver_schedules": SCHEDULES,
                               "recommended": {"solver_schedule": "euler:1@950,midpoint:1@500"}}))
    assert not dial.use_schedule.isHidden() and not dial.stepped.isChecked()
    dial.use_schedule.click()
    assert dial.solver() == SteppedSolver(SolverSettings("euler"), SolverSettings("midpoint"), 950, until=500)
    assert not dial.schedule_words.isHidden()
    assert "Measured schedules" in dial.schedule_words.text() and "1.5× faster, about as good" in dial.schedule_words.text()


def test_without_a_readable_recommended_schedule_there_is_no_button():
    for card in ({}, {"recommended": {"solver_schedule": "euler:1@5,midpoint:1@9"}}, {"recommended": "fast"}):
        assert measured_schedule(card_entry(card).spec) is None
    assert measured_schedule(card_entry({"recommended": {"solver_schedule": "euler:1@500,rk4:1"}}).spec) == \
        SteppedSolver(SolverSettings("euler"), SolverSettings("rk4"), 500)
