"""Tests for the DDPM U-Net baseline: size matches the reference, any image size works, t matters."""

import dataclasses
import json

import pytest
import torch

from engine.errors import ConfigError
from engine.models import build_network, count_parameters, preset_config
from engine.models.unet import UNet, UNetConfig

# lucidrains denoising-diffusion-pytorch 1.8.3 Unet(dim=64, dim_mults=(1, 2, 4, 8)) at 3 channels.
# Our default config measures exactly 35,710,339 as well.
REFERENCE_PARAMETERS = 35_710_339

SMALL = UNetConfig(dim=8, dim_mults=(1, 2))


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_default_config_matches_reference_parameter_count():
    count = parameter_count(UNet(UNetConfig(in_channels=3)))
    assert abs(count - REFERENCE_PARAMETERS) <= 0.05 * REFERENCE_PARAMETERS
    assert count == REFERENCE_PARAMETERS


@pytest.mark.parametrize(
    ("config", "shape"),
    [
        (dataclasses.replace(SMALL, in_channels=1), (1, 1, 28, 28)),
        (SMALL, (2, 3, 33, 47)),
        (UNetConfig(dim=8, dim_mults=(1, 2, 4, 8)), (1, 3, 64, 64)),
        (UNetConfig(dim=8, dim_mults=(1, 2, 4, 8)), (1, 3, 21, 30)),
    ],
)
def test_output_shape_equals_input_shape(config, shape):
    torch.manual_seed(0)
    model = UNet(config).eval()
    x = torch.randn(shape)
    t = torch.randint(0, 1000, (shape[0],))
    with torch.no_grad():
        out = model(x, t)
    assert out.shape == x.shape
    assert torch.isfinite(out).all()


def test_time_conditioning_changes_output():
    torch.manual_seed(0)
    model = UNet(SMALL).eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        early = model(x, torch.tensor([10]))
        late = model(x, torch.tensor([900.0]))
        scalar = model(x, torch.tensor(900.0))
    assert not torch.allclose(early, late)
    assert torch.allclose(scalar, late)


def test_gradients_reach_init_conv():
    torch.manual_seed(0)
    model = UNet(SMALL)
    model(torch.randn(2, 3, 16, 16), torch.tensor([3, 400])).square().mean().backward()
    grad = model.init_conv.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_config_round_trips_through_json():
    config = UNetConfig(in_channels=1, dim=32, dim_mults=(1, 2, 2))
    restored = UNetConfig(**json.loads(json.dumps(dataclasses.asdict(config))))
    assert restored == config
    assert isinstance(restored.dim_mults, tuple)


def test_groups_must_divide_every_level_width():
    with pytest.raises(ConfigError, match="groups"):
        UNetConfig(dim=12, groups=8)


@pytest.mark.parametrize("channels", [1, 3])
def test_unet_tiny_has_cunet_small_s_parameter_count_within_five_percent(channels):
    """The equal-parameter side of the cUNet/U-Net comparison is only fair while the sizes match."""
    tiny = count_parameters(build_network(*preset_config("unet-tiny", channels)))
    small = count_parameters(build_network(*preset_config("cunet-small", channels)))
    assert abs(tiny / small - 1) < 0.05, (tiny, small)
    assert build_network(*preset_config("unet-tiny", channels))(torch.randn(2, channels, 28, 28),
                                                                 torch.tensor([3, 900])).shape == (2, channels, 28, 28)
