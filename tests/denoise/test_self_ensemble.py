"""The x2/x4/x8 self-ensemble: exact inverse transforms, and denoise_photo averaging the copies."""

import dataclasses

import numpy as np
import pytest
import torch

from engine.denoise import ENSEMBLE_SIZES, DenoiseSettings, denoise_photo
from engine.denoise.self_ensemble import transform, undo_transform
from engine.errors import ConfigError


def test_every_transform_is_undone_exactly_and_all_eight_differ():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    copies = [transform(x, index) for index in range(8)]
    for index, copy in enumerate(copies):
        assert torch.equal(undo_transform(copy, index), x)
    assert len({tuple(c.flatten().tolist()) for c in copies}) == 8
    assert torch.equal(copies[0], x) and copies[1].shape == (2, 3, 5, 4)


def test_identity_network_gives_back_the_photo_with_every_copy_counted(zero_noise_model, random_photo):
    model, photo = zero_noise_model(), random_photo(30, 20)
    reports = []
    result = denoise_photo(model, photo, DenoiseSettings(sigma=15, ensemble=8), progress=reports.append)
    np.testing.assert_allclose(result.photo.pixels, photo.pixels, atol=1e-5)
    assert model.network.calls == 8
    assert [r.step for r in reports] == list(range(1, 9)) and reports[-1].steps == 8 and reports[-1].fraction == 1


def test_two_copies_average_the_photo_and_its_rotated_copy(tiny_model, random_photo):
    photo = random_photo(24, 40, seed=5)
    settings = DenoiseSettings(sigma=30)
    plain = denoise_photo(tiny_model, photo, settings).photo.pixels
    turned = dataclasses.replace(photo, pixels=np.ascontiguousarray(np.rot90(photo.pixels, 1)))
    turned_back = np.rot90(denoise_photo(tiny_model, turned, settings).photo.pixels, -1)
    ensembled = denoise_photo(tiny_model, photo, dataclasses.replace(settings, ensemble=2)).photo.pixels
    unclipped = (plain > 0) & (plain < 1) & (turned_back > 0) & (turned_back < 1)  # outputs are clipped per run
    assert unclipped.mean() > 0.3
    np.testing.assert_allclose(ensembled[unclipped], ((plain + turned_back) / 2)[unclipped], atol=1e-5)
    assert not np.allclose(plain, turned_back, atol=1e-3)  # the copies really differ


@pytest.mark.parametrize("size", [0, 3, 16])
def test_other_ensemble_sizes_are_refused(size):
    assert size not in ENSEMBLE_SIZES
    with pytest.raises(ConfigError, match="ensemble"):
        DenoiseSettings(ensemble=size)
