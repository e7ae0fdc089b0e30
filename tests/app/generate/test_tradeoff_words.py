"""The solver trade-off in words, each setting against the trained one, and the sampler table's,
the sampler and steps chosen against the recommended ones (pure Python)."""

from __future__ import annotations

from app_helpers import card_entry as entry

from app.generate.tradeoff_words import SettingVerdict, sampler_in_words, tradeoff_in_words

MEASURED = [
    {"solver": "euler x1", "evals/block": 1, "FD": 200.1, "s/image": 0.354, "FD n=5000": 189.5},
    {"solver": "midpoint x1 (trained)", "evals/block": 2, "FD": 8.3, "s/image": 0.507, "FD n=5000": 3.85},
    {"solver": "rk4 x1", "evals/block": 4, "FD": 19.5, "s/image": 0.891, "FD n=5000": 4.0},
    {"solver": "rk4 x2", "evals/block": 8, "FD": 20.9, "s/image": 1.55, "FD n=5000": 3.0},
]


def test_each_setting_is_said_against_the_trained_one_with_the_larger_measurement():
    assert tradeoff_in_words(entry({"solver_tradeoff": MEASURED})) == [
        SettingVerdict("euler × 1", "1.4× faster, much worse images"),
        SettingVerdict("midpoint × 1", "as trained"),
        SettingVerdict("rk4 × 1", "1.8× slower, about as good"),  # FD n=5000, not FD on 200 images
        SettingVerdict("rk4 × 2", "3.1× slower, better images"),
    ]


def test_a_table_without_a_time_or_a_distance_is_left_as_numbers():
    assert tradeoff_in_words(entry({"solver_tradeoff": [{"solver": "euler", "FD": 9.0}]})) is None
    assert tradeoff_in_words(entry({"solver_tradeoff": [{"solver": "euler", "seconds": 1.0, "score": 2}]})) is None
    assert tradeoff_in_words(entry({})) is None


def test_a_setting_that_loses_the_class_says_so_where_the_card_measured_it():
    rows = [{"solver": "euler x1", "s/image": 0.226, "FD n=5000": 2.12, "in class n=5000": 0.901},
            {"solver": "midpoint x1 (trained)", "s/image": 0.296, "FD n=5000": 2.3, "in class n=5000": 0.976},
            {"solver": "rk4 x1", "s/image": 0.388, "FD n=5000": 2.12, "in class n=5000": 0.969}]
    assert tradeoff_in_words(entry({"solver_tradeoff": rows})) == [
        SettingVerdict("euler × 1", "1.3× faster, about as good, fewer in the class asked for (90% against 98%)"),
        SettingVerdict("midpoint × 1", "as trained"),
        SettingVerdict("rk4 × 1", "1.3× slower, about as good"),  # 0.7 points fewer: within CLASS_DROP
    ]


def test_another_table_of_the_card_is_put_in_words_the_same_way():
    schedules = [{"solver": "midpoint x1 (trained)", "s/image": 0.3, "FD n=5000": 2.3},
                 {"solver": "euler x1 while t>=950, midpoint x1 down to t=500, then euler x1 again", "s/image": 0.2,
                  "FD n=5000": 2.2}]
    card = {"solver_tradeoff": MEASURED, "solver_schedules": schedules}
    assert tradeoff_in_words(entry(card), "solver_schedules") == [
        SettingVerdict("midpoint × 1", "as trained"),
        SettingVerdict("euler × 1 while t ≥ 950, midpoint × 1 down to t = 500, then euler × 1 again",
                       "1.5× faster, about as good")]


SAMPLERS = {"recommended": {"sampler": "dpmpp-2m-sde", "steps": 20},
            "sampler_quality": [  # the narrow fashion's (sessions 18-36)
                {"sampler": "ddpm", "steps": 50, "FD n=5000": 6.01, "in class n=5000": 0.922},
                {"sampler": "dpmpp-2m-sde", "steps": 10, "FD n=5000": 6.34, "in class n=5000": 0.935},
                {"sampler": "dpmpp-2m-sde", "steps": 20, "FD n=5000": 3.67, "in class n=5000": 0.919},
                {"sampler": "dpmpp-2m-sde", "steps": 50, "FD n=5000": 7.18, "in class n=5000": 0.911}]}


def test_the_sampler_and_steps_chosen_are_said_against_the_recommended_ones():
    measured = entry(SAMPLERS)
    assert sampler_in_words(measured, "dpmpp-2m-sde", 50) == (
        "Measured: worse images than the recommended dpmpp-2m-sde 20 (FD 7.18 against 3.67), 2.5× its network "
        "calls.")  # more steps are not always better
    assert sampler_in_words(measured, "dpmpp-2m-sde", 10).startswith("Measured: worse images than")
    assert sampler_in_words(measured, "dpmpp-2m-sde", 20) == (
        "Recommended: FD 3.67 on 5,000 images; no other setting measured made better images.")
    assert sampler_in_words(measured, "ddim", 30) == (
        "Not measured at this setting; measured on this model: ddpm 50, dpmpp-2m-sde 10, dpmpp-2m-sde 20, "
        "dpmpp-2m-sde 50.")


def test_a_measured_setting_better_than_the_recommended_one_is_named_with_its_cost():
    rows = [{"sampler": "ddpm", "steps": 50, "FD n=5000": 2.02, "in class n=5000": 0.969},
            {"sampler": "dpmpp-2m-sde", "steps": 20, "FD n=5000": 2.3, "in class n=5000": 0.976},
            {"sampler": "dpmpp-2m-sde", "steps": 40, "FD n=5000": 2.25, "in class n=5000": 0.90}]
    measured = entry(SAMPLERS | {"sampler_quality": rows})
    assert sampler_in_words(measured, "dpmpp-2m-sde", 20) == (
        "Recommended: FD 2.30 on 5,000 images; better images measured with ddpm 50 (FD 2.02, 2.5× the calls).")
    assert sampler_in_words(measured, "dpmpp-2m-sde", 40) == (
        "Measured: images about as good as the recommended dpmpp-2m-sde 20 (FD 2.25 against 2.30), 2× its network "
        "calls, fewer in the class asked for (90% against 98%).")


def test_a_card_without_the_sampler_table_or_its_recommended_row_says_nothing():
    assert sampler_in_words(entry({"recommended": SAMPLERS["recommended"]}), "dpmpp-2m-sde", 20) == ""
    others = [row for row in SAMPLERS["sampler_quality"] if row["steps"] != 20]
    assert sampler_in_words(entry(SAMPLERS | {"sampler_quality": others}), "ddpm", 50) == ""
