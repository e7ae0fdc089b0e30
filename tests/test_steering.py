"""img2img and inpainting through `generate`: where the reverse process starts, how many steps
run, what the init picture and mask do, and which requests are refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from engine.checkpoints import load_model
from engine.errors import ConfigError
from engine.generate import GenerationRequest, generate
from engine.steering import DEFAULT_RESAMPLE, INPAINTING_SAMPLER, resolved_resample, start_step, steps_at_strength
from helpers import save_tiny_model

SIZE = 8


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load_model(save_tiny_model(tmp_path_factory.mktemp("model") / "tiny", image_size=SIZE))


def init_picture(seed: int = 0) -> torch.Tensor:
    """A (1, 8, 8) picture on the 8-bit grid, as `fit_picture` makes them."""
    levels = torch.randint(0, 256, (1, SIZE, SIZE), generator=torch.Generator().manual_seed(seed))
    return levels / 127.5 - 1


def bottom_half_mask() -> torch.Tensor:
    mask = torch.zeros(1, SIZE, SIZE)
    mask[:, SIZE // 2 :] = 1
    return mask


def as_uint8(picture: torch.Tensor) -> np.ndarray:
    return ((picture + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()


def test_start_step_and_step_count_follow_the_strength():
    assert [start_step(s, 999) for s in (0, 0.0001, 0.6, 1)] == [-1, 0, 599, 999]
    assert [steps_at_strength(50, s) for s in (0.001, 0.6, 1)] == [1, 30, 50]


@pytest.mark.parametrize("strength", [0.3, 0.6, 1.0])
def test_the_reverse_process_starts_part_way(model, strength):
    seen = []
    request = GenerationRequest(count=2, steps=10, sampler="ddim", init_image=init_picture(), strength=strength,
                                keep_trajectory=True)
    result = generate(model, request, progress=seen.append)
    assert result.timesteps[0] == round(strength * model.schedule.max_step) and result.timesteps[-1] == 0
    assert len(result.timesteps) == round(10 * strength) and result.steps == 10
    assert [p.step.t for p in seen] == result.timesteps and seen[-1].done == seen[-1].total
    assert len(result.trajectory_x_t) == len(result.timesteps)
    assert np.array_equal(result.init_image, as_uint8(init_picture()))


def test_strength_zero_gives_the_picture_back_without_calling_the_network(model, monkeypatch):
    def refuse(*args):
        raise AssertionError("the network was called")

    monkeypatch.setattr(model, "network", refuse)
    result = generate(model, GenerationRequest(count=3, init_image=init_picture(), strength=0.0, keep_trajectory=True))
    assert result.timesteps == [] and all(np.array_equal(image, as_uint8(init_picture())) for image in result.images)


def test_a_higher_strength_moves_further_from_the_picture(model):
    def distance(strength: float) -> float:
        request = GenerationRequest(count=16, seed=5, sampler="ddim", steps=20, init_image=init_picture(),
                                    strength=strength)
        images = generate(model, request).images.astype(float)
        return float(np.abs(images - as_uint8(init_picture())).mean())

    distances = [distance(s) for s in (0.05, 0.3, 0.7, 1.0)]
    assert distances == sorted(distances) and distances[0] < distances[-1] / 2


@pytest.mark.parametrize("sampler, resample", [("ddpm", 1), ("ddpm", 3), ("ddim", 1), ("dpmpp-2m", 1)])
@pytest.mark.parametrize("strength", [1.0, 0.5])
def test_inpainting_keeps_the_known_pixels_exactly(model, sampler, resample, strength):
    request = GenerationRequest(count=3, sampler=sampler, steps=6, init_image=init_picture(), mask=bottom_half_mask(),
                                strength=strength, resample=resample)
    result = generate(model, request)
    kept = as_uint8(init_picture())[: SIZE // 2]
    assert all(np.array_equal(image[: SIZE // 2], kept) for image in result.images)
    assert not all(np.array_equal(image, as_uint8(init_picture())) for image in result.images)
    assert result.resample == resample


def test_resampling_calls_the_network_resample_times_per_step_and_progress_still_ends_at_100(model):
    calls = []
    network = model.network
    request = GenerationRequest(count=2, sampler="ddpm", steps=5, init_image=init_picture(), mask=bottom_half_mask(),
                                resample=4)
    progress = []
    with torch.nn.modules.module.register_module_forward_hook(lambda module, *_: calls.append(1)
                                                               if module is network else None):
        generate(model, request, progress=progress.append)
    assert len(calls) == 4 * 5
    assert [p.done for p in progress] == [1, 2, 3, 4, 5] and progress[-1].total == 5


@pytest.mark.parametrize("sampler, eta, resample", [("ddpm", 0.0, 2), ("ddim", 0.5, 1)])
def test_an_edited_image_comes_out_the_same_alone_or_in_any_batch(model, sampler, eta, resample):
    """The seed contract holds from an init picture: image i's noise, the picture's noising
    included, comes from seed + i alone."""
    common = {"sampler": sampler, "eta": eta, "steps": 6, "init_image": init_picture(), "strength": 0.7,
              "mask": bottom_half_mask(), "resample": resample}
    batch = generate(model, GenerationRequest(count=5, seed=40, batch_size=3, **common)).images
    alone = generate(model, GenerationRequest(count=1, seed=43, **common)).images
    assert np.array_equal(batch[3], alone[0]) and not np.array_equal(batch[2], alone[0])


def test_resampling_defaults_to_the_measured_value_for_ddpm_inpainting_only():
    assert resolved_resample("ddpm", None, masked=True) == DEFAULT_RESAMPLE
    assert resolved_resample("ddim", None, masked=True) == 1 and resolved_resample("ddpm", None, masked=False) == 1
    with pytest.raises(ConfigError, match="ddpm sampler only, not ddim"):
        resolved_resample("ddim", 2, masked=True)


def test_inpainting_without_a_sampler_asked_for_runs_the_harmonised_ddpm_the_measurements_chose(model):
    """With a mask, the sampler left open is ddpm at INPAINTING_SAMPLER's steps with the default
    harmonise passes; a sampler asked for keeps the model's step count, ddpm asked for by name
    inpainting's; without a mask nothing changes (the model's recommendation)."""
    assert model.spec.recommended_sampler() != INPAINTING_SAMPLER
    masked = {"count": 1, "init_image": init_picture(), "mask": bottom_half_mask()}
    chosen = generate(model, GenerationRequest(**masked))
    assert (chosen.sampler, chosen.steps, chosen.resample) == (*INPAINTING_SAMPLER, DEFAULT_RESAMPLE)
    assert len(chosen.timesteps) == INPAINTING_SAMPLER[1]
    by_name = generate(model, GenerationRequest(sampler="ddpm", **masked))
    assert (by_name.steps, by_name.resample) == (INPAINTING_SAMPLER[1], DEFAULT_RESAMPLE)
    other = generate(model, GenerationRequest(sampler="ddim", **masked))
    assert (other.sampler, other.steps, other.resample) == ("ddim", model.spec.recommended_sampler()[1], 1)
    img2img = generate(model, GenerationRequest(count=1, init_image=init_picture(), strength=1.0))
    assert (img2img.sampler, img2img.steps) == model.spec.recommended_sampler()


def test_a_picture_of_another_size_is_refused(model):
    with pytest.raises(ConfigError, match="the init picture is 3x8x8 .* this model makes 1x8x8"):
        generate(model, GenerationRequest(init_image=torch.zeros(3, SIZE, SIZE), strength=0.5))


@pytest.mark.parametrize("changes, message", [
    ({"strength": 1.5}, "strength must be from 0"),
    ({"strength": float("nan")}, "strength must be from 0"),
    ({"init_image": None, "mask": None, "strength": 0.5}, "need an init picture"),
    ({"init_image": None}, "need an init picture"),
    ({"mask": torch.ones(1, 4, 4)}, "the mask is"),
    ({"mask": torch.full((1, SIZE, SIZE), 0.5)}, "0 \\(keep\\) or 1 \\(regenerate\\)"),
    ({"mask": torch.zeros(1, SIZE, SIZE)}, "nothing to regenerate"),
    ({"resample": 0}, "resample must be from 1"),
    ({"resample": 21}, "resample must be from 1"),
    ({"mask": None, "resample": 2}, "it needs a mask"),
])
def test_a_steering_request_the_engine_cannot_honour_is_refused(changes, message):
    valid = {"init_image": init_picture(), "mask": bottom_half_mask(), "strength": 1.0}
    GenerationRequest(**valid)
    GenerationRequest(**(valid | {"mask": torch.ones(1, SIZE, SIZE)}))  # all white: regenerate everything
    with pytest.raises(ConfigError, match=message):
        GenerationRequest(**(valid | changes))


def test_a_plain_request_is_unchanged():
    """No picture: strength 1 from pure noise, as before img2img existed."""
    plain = GenerationRequest()
    assert plain.init_image is None and plain.strength == 1 and plain.mask is None and plain.resample is None
    assert dataclasses.replace(plain, count=2).strength == 1
