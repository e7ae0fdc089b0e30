"""A front end can ask a run for a sample grid between the `sample_every` ones (the Train page
asks by time, so a slow run shows its progress early)."""

from __future__ import annotations

from engine.training import TrainingConfig, TrainingControl, train
from helpers import two_level_npz


def test_a_requested_grid_is_drawn_after_the_next_step_once(tmp_path):
    config = TrainingConfig(
        data=str(two_level_npz(tmp_path / "data.npz")), out=str(tmp_path / "run"), image_size=8, channels=1,
        network_overrides={"base_channels": 4, "channel_mults": [2, 4], "attention_levels": []}, steps=4,
        batch_size=8, warmup_steps=1, save_every=100, sample_every=100, validate_every=100, sample_count=4,
        hflip=False, device="cpu",
    )
    control = TrainingControl()
    grids: list[int] = []

    def on_progress(event) -> None:
        if event.event == "samples":
            grids.append(event.step)
        if event.event == "step" and event.step == 1:
            control.request_samples()

    train(config, progress=on_progress, control=control)
    assert grids == [1, 4]  # the requested one, then the last step's as always
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step-00000001.png", "step-00000004.png"]
