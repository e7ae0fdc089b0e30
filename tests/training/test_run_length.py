"""The run-length line shown when training starts (Train page, engine train)."""

from __future__ import annotations

from engine.training.run_length import describe_run_length


def test_passes_over_the_data_and_a_warning_for_a_handful_of_images():
    few = describe_run_length(train_images=64, held_out=3, steps=40, batch_size=8)
    assert few.startswith("40 steps of 8 = 5.0 passes over the 64 training images (3 held out for the validation loss)")
    assert "mostly learns to reproduce them" in few
    many = describe_run_length(train_images=57_000, held_out=0, steps=4_800, batch_size=64)
    assert many == "4,800 steps of 64 = 5.4 passes over the 57,000 training images"
