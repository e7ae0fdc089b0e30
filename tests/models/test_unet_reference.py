"""Our DDPM U-Net computes what lucidrains `denoising-diffusion-pytorch` 1.8.3's `Unet` computes.

The baseline is only fair if it is the network the cUNet paper compared against, so the test copies
our weights into the reference through an explicit name map and compares outputs, not just
parameter counts. The reference package comes from tests/reference-packages.txt, which
scripts/ensure-venv.sh installs without its dependencies: its module imports torchvision,
accelerate, ema-pytorch and its FID code at the top for the `Trainer`, which `Unet` never uses, so
those imports are stubbed while the module loads.
"""

import re

import pytest
import torch

from engine.models.unet import UNet, UNetConfig
from helpers import perturb
from reference_modules import load_reference_module

REFERENCE_PACKAGE = "denoising_diffusion_pytorch"

# module -> names the reference module imports from it at the top, none of them used by `Unet`.
UNUSED_IMPORTS = {
    "torchvision": ("transforms", "utils"),
    "accelerate": ("Accelerator",),
    "ema_pytorch": ("EMA",),
    f"{REFERENCE_PACKAGE}.fid_evaluation": ("FIDEvaluation",),
}

# The reference always has 2 resnet blocks per level, as separate entries before attention and resize.
REFERENCE_RESNET_BLOCKS = 2


@pytest.fixture(scope="module")
def reference_unet_class():
    """lucidrains 1.8.3 `Unet`; afterwards sys.modules holds nothing of the package."""
    module = load_reference_module(REFERENCE_PACKAGE, "denoising_diffusion_pytorch", UNUSED_IMPORTS)
    assert module.__version__ == "1.8.3"
    return module.Unet


def reference_name(name: str) -> str:
    """Our state-dict key -> the reference's. A level of ours is [resnet blocks, attention, resize]
    (`downs.0.0.1.` is level 0's second block); the reference lists the blocks one by one before
    attention and resize (`downs.0.1.`), and calls the time projection `mlp`."""
    name = name.replace(".time_proj.", ".mlp.")
    level = re.fullmatch(r"(downs|ups)\.(\d+)\.(\d+)\.(.+)", name)
    if level is None:
        return name
    stack, index, part, rest = level.groups()
    if part == "0":  # rest starts with the block's number
        return f"{stack}.{index}.{rest}"
    return f"{stack}.{index}.{int(part) - 1 + REFERENCE_RESNET_BLOCKS}.{rest}"


@pytest.mark.parametrize(
    ("config", "shape"),
    [
        (UNetConfig(in_channels=3, dim=8, dim_mults=(1, 2, 4, 8)), (2, 3, 16, 24)),
        (UNetConfig(in_channels=1, dim=16, dim_mults=(1, 2)), (2, 1, 12, 20)),
    ],
)
def test_unet_matches_lucidrains_1_8_3_on_copied_weights(reference_unet_class, config, shape):
    torch.manual_seed(0)
    ours = perturb(UNet(config)).eval()  # norm gains and biases off their init values too
    levels = len(config.dim_mults)
    reference = reference_unet_class(
        dim=config.dim,
        dim_mults=config.dim_mults,
        channels=config.in_channels,
        full_attn=(False,) * (levels - 1) + (True,),
    ).eval()
    copied = {reference_name(name): tensor for name, tensor in ours.state_dict().items()}
    reference.load_state_dict(copied, strict=True)

    x = torch.randn(shape)
    for t in (torch.tensor([3, 517]), torch.tensor([999.0, 0.5])):
        with torch.no_grad():
            difference = (ours(x, t) - reference(x, t)).abs().max().item()
        assert difference < 1e-5, f"t={t.tolist()}: max |ours - reference| = {difference:.2e}"
