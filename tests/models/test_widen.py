"""Widening a trained cUNet (Net2WiderNet): the wide network computes what the narrow one did, yet
its copies of a channel can learn apart; what the rules do not cover is refused."""

import dataclasses

import pytest
import torch

from engine.errors import ConfigError
from engine.models import CUNet, CUNetConfig
from engine.models.widen import widened_weights

NARROW = CUNetConfig(in_channels=3, base_channels=4, channel_mults=(2, 3, 4), attention_levels=(), norm="pixel",
                     noise_map=True, unshuffle=2, fine_blocks=2)


def trained_like(config: CUNetConfig) -> CUNet:
    """A network whose zero-initialised layers (each vector field's last conv) are not zero, as after
    training: widening them must be checked too."""
    network = CUNet(config).eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(0.1 * torch.randn(parameter.shape, generator=generator))
    return network


def widened(narrow: CUNet, mults: tuple[int, ...], seed: int = 0) -> CUNet:
    wide_config = dataclasses.replace(narrow.config, channel_mults=mults)
    wide = CUNet(wide_config).eval()
    weights = widened_weights(narrow.state_dict(), narrow.config, wide_config, torch.Generator().manual_seed(seed))
    wide.load_state_dict(weights, strict=True)
    return wide


def inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(2, 3, 16, 16, generator=generator), torch.tensor([3, 70]),
            torch.rand(2, 1, 16, 16, generator=generator))


@pytest.mark.parametrize("mults", [(4, 3, 4), (2, 6, 4), (2, 3, 8), (6, 9, 12)])
def test_the_widened_network_computes_what_the_narrow_one_did(mults):
    narrow = trained_like(NARROW)
    wide = widened(narrow, mults)
    assert sum(p.numel() for p in wide.parameters()) > sum(p.numel() for p in narrow.parameters())
    x, t, noise_map = inputs()
    with torch.no_grad():
        expected = narrow(x, t, noise_map)
        assert torch.allclose(wide(x, t, noise_map), expected, atol=1e-5)
        assert expected.abs().mean() > 0.1  # the check compares real outputs, not zeros


def test_the_copies_of_a_channel_learn_apart():
    """Equal halves of a read weight would give both copies of a channel the same gradient forever."""
    wide = widened(trained_like(NARROW), (4, 3, 4))
    x, t, noise_map = inputs()
    wide(x, t, noise_map).square().mean().backward()
    channels = 8  # the narrow finest level's
    stem, head = wide.stem.weight, wide.head[2].weight
    assert torch.equal(stem[:channels], stem[channels:])  # the copies start equal
    assert not torch.allclose(head[:, :channels], head[:, channels:])  # are read with different weights
    assert not torch.allclose(stem.grad[:channels], stem.grad[channels:], atol=1e-6)  # so they are pulled apart


def test_the_split_depends_on_the_seed_only():
    narrow = trained_like(NARROW)
    first, again, other = (widened(narrow, (4, 3, 4), seed).head[2].weight for seed in (0, 0, 1))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


@pytest.mark.parametrize(("narrow", "mults", "message"), [
    (NARROW, (3, 3, 4), "whole multiple"),
    (NARROW, (2, 3), "cannot widen a 2-level cUNet into a 1-level one"),
    (NARROW, (1, 3, 4), "whole multiple"),
    (dataclasses.replace(NARROW, norm="group"), (4, 3, 4), "group norm"),
    (dataclasses.replace(NARROW, attention_levels=(1,)), (2, 6, 4), r"level\(s\) \[1\]: they have attention"),
])
def test_what_the_rules_do_not_cover_is_refused(narrow, mults, message):
    network = CUNet(narrow)
    with pytest.raises(ConfigError, match=message):
        widened_weights(network.state_dict(), narrow, dataclasses.replace(narrow, channel_mults=mults),
                        torch.Generator())


def test_attention_on_a_level_left_as_it_is_does_not_stop_a_widening():
    narrow = trained_like(dataclasses.replace(NARROW, attention_levels=(1,)))
    wide = widened(narrow, (4, 3, 4))
    x, t, noise_map = inputs()
    with torch.no_grad():
        assert torch.allclose(wide(x, t, noise_map), narrow(x, t, noise_map), atol=1e-5)
