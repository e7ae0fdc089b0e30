"""Property-based fuzzing (hypothesis), bounded so that CI stays fast: the image loaders on
mutated files, the tiling and blending code on any size/tile/overlap, and the model-metadata
parser and weights reader on mutated model files. In CI the examples are derived from a fixed
seed (`derandomize`) and the suite takes seconds; FUZZ_SCALE=20 runs a random search twenty times
as long."""

from __future__ import annotations

import copy
import io
import json
import math
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from torch import nn

from engine.checkpoints import LoadedModel, ModelSpec, load_model
from engine.checkpoints.model_files import MODEL_JSON, MODEL_WEIGHTS
from engine.data.geometry import prepare_pixels
from engine.data.image_files import decode_image
from engine.denoise import DenoiseSettings, Photo, denoise_photo, read_photo
from engine.denoise.tiling import blend_into, plan_tiles
from engine.errors import ImageLoadError, ModelLoadError
from helpers import save_tiny_model, tiny_spec
from photo_formats import avif_bytes, dng_bytes, heic_bytes, sensor_gradient

FUZZ_SCALE = int(os.environ.get("FUZZ_SCALE", "1"))


def examples(count: int):
    """Hypothesis settings for `count` examples (times FUZZ_SCALE; random only when scaled up)."""
    return settings(max_examples=count * FUZZ_SCALE, deadline=None, derandomize=FUZZ_SCALE == 1, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow])

pytestmark = pytest.mark.timeout(240)

# --- the image loaders ------------------------------------------------------------------------


def _encoded(format: str, **options) -> bytes:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (13, 17, 3), dtype=np.uint8))
    if format == "GIF":
        image = image.convert("P")
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


SEED_FILES = {name: _encoded(fmt, **options) for name, fmt, options in [
    ("png", "PNG", {}), ("jpg", "JPEG", {"quality": 80}), ("webp", "WEBP", {"quality": 80}),
    ("tif", "TIFF", {"compression": "tiff_lzw"}), ("gif", "GIF", {}), ("bmp", "BMP", {}),
]} | {
    "heic": heic_bytes(Image.open(io.BytesIO(_encoded("PNG"))), quality=80),
    "avif": avif_bytes(Image.open(io.BytesIO(_encoded("PNG"))), quality=80),
    "dng": dng_bytes(sensor_gradient()),
}
mutation = st.tuples(st.sampled_from(["flip", "cut", "insert", "overwrite"]), st.floats(0, 1),
                     st.binary(min_size=1, max_size=16))


def mutate(data: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    for kind, where, chunk in mutations:
        at = int(where * len(data))
        if kind == "flip":
            data = data[:at] + bytes([data[at % len(data)] ^ chunk[0]]) + data[at + 1:] if data else data
        elif kind == "cut":
            data = data[:at]
        elif kind == "insert":
            data = data[:at] + chunk + data[at:]
        else:
            data = data[:at] + chunk + data[at + len(chunk):]
    return data


def check_photo_or_refusal(data: bytes, suffix: str) -> None:
    """The contract of both loaders: a valid image, or ImageLoadError with one line."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzzed.{suffix}"
        path.write_bytes(data)
        try:
            photo = read_photo(path)
        except ImageLoadError as error:
            assert "\n" not in str(error)
        else:
            assert photo.pixels.ndim == 3 and photo.channels in (1, 3) and photo.pixels.dtype == np.float32
            assert np.isfinite(photo.pixels).all() and photo.pixels.min() >= 0 and photo.pixels.max() <= 1
            assert photo.alpha is None or photo.alpha.shape == photo.pixels.shape[:2]
        try:
            pixels = prepare_pixels(decode_image(path, min_size=8), 3, 8, True)
        except ImageLoadError as error:
            assert "\n" not in str(error)
        else:
            assert pixels.dtype == np.uint8 and pixels.shape[2] == 3 and min(pixels.shape[:2]) == 8


@given(st.sampled_from(sorted(SEED_FILES)), st.lists(mutation, min_size=1, max_size=4))
@examples(450)
def test_image_loaders_on_mutated_files(suffix, mutations):
    check_photo_or_refusal(mutate(SEED_FILES[suffix], mutations), suffix)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


SIDES = st.sampled_from([0, 1, 2, 3, 16, 255, 4096, 9_500, 40_000, 2**31 - 1])


@given(SIDES, SIDES, st.sampled_from([(8, 0), (8, 2), (16, 0), (8, 3), (8, 6), (1, 0), (16, 6), (9, 9)]),
       st.binary(max_size=64))
@examples(60)
def test_image_loaders_on_png_headers_that_claim_any_size(width, height, depth_and_colour, pixel_data):
    """A header may claim any size with almost no data behind it: no loader may allocate what it
    claims (pytest-timeout and the machine's memory would notice) or return something else."""
    depth, colour = depth_and_colour
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(pixel_data))
    check_photo_or_refusal(data + _chunk(b"IEND", b""), "png")


# --- tiling and blending ----------------------------------------------------------------------

# (height, width, tile, overlap): any tile from 1 px, images up to 12 tiles (and 400 px) a side.
LAYOUT = st.integers(1, 128).flatmap(lambda tile: st.tuples(
    st.integers(1, min(400, 12 * tile)), st.integers(1, min(400, 12 * tile)), st.just(tile), st.integers(0, tile // 2)))


@given(LAYOUT, st.integers(0, 2**32 - 1))
@examples(200)
def test_tiles_cover_the_image_and_blending_weights_sum_to_one(layout, seed):
    height, width, tile, overlap = layout
    tiles = plan_tiles(height, width, tile, overlap)
    image = np.random.default_rng(seed).random((height, width, 2), dtype=np.float32)
    weight_sum = np.zeros((height, width, 1), np.float32)
    rebuilt = np.zeros_like(image)
    for t in tiles:
        assert (t.height, t.width) == (min(tile, height), min(tile, width))
        assert t.top >= 0 and t.left >= 0 and t.top + t.height <= height and t.left + t.width <= width
        assert np.all(t.weights() > 0)
        blend_into(weight_sum, t, np.ones((t.height, t.width, 1), np.float32))
        blend_into(rebuilt, t, image[t.region])
    np.testing.assert_allclose(weight_sum, 1, atol=1e-5)
    np.testing.assert_allclose(rebuilt, image, atol=1e-5)


@given(LAYOUT.filter(lambda layout: layout[3] >= 4), st.integers(0, 2**32 - 1))
@examples(200)
def test_tiles_that_disagree_leave_no_seam(layout, seed):
    """Every tile's 'model' adds its own offset in [-e, e]. A hard cut between tiles would jump by
    up to 2e; the raised-cosine blend spreads the change over the overlap, so the largest jump
    between neighbouring pixels stays within pi * e / overlap (the steepest step of the ramp)."""
    height, width, tile, overlap = layout
    tiles = plan_tiles(height, width, tile, overlap)
    offsets = np.random.default_rng(seed).uniform(-1, 1, len(tiles)).astype(np.float32)
    blended = np.zeros((height, width, 1), np.float32)
    for t, offset in zip(tiles, offsets):
        blend_into(blended, t, np.full((t.height, t.width, 1), offset, np.float32))
    jumps = [np.abs(np.diff(blended, axis=axis)).max(initial=0) for axis in (0, 1)]
    assert max(jumps) <= math.pi / overlap * 1.0 + 1e-5, (max(jumps), overlap)


class ZeroNoise(nn.Module):
    """Predicts no noise, so the denoiser returns its input: what goes in must come out."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)


@given(LAYOUT.filter(lambda layout: layout[2] >= 16), st.sampled_from([1, 3]), st.booleans(),
       st.floats(1, 60), st.integers(0, 2**32 - 1))
@examples(60)
def test_denoising_any_photo_with_any_tiling_keeps_its_size_and_values(layout, channels, alpha, sigma, seed):
    height, width, tile, overlap = layout
    height, width = min(height, 120), min(width, 120)
    rng = np.random.default_rng(seed)
    pixels = rng.random((height, width, channels), dtype=np.float32)
    mask = rng.random((height, width), dtype=np.float32) if alpha else None
    photo = Photo(pixels, mask, 8, None, "PNG", {})
    spec = tiny_spec(3, 8)
    model = LoadedModel(spec, ZeroNoise(), spec.build_schedule(), torch.device("cpu"), Path("identity"))
    result = denoise_photo(model, photo, DenoiseSettings(sigma=sigma, tile_size=tile, tile_overlap=overlap))
    assert result.photo.pixels.shape == pixels.shape
    np.testing.assert_allclose(result.photo.pixels, pixels, atol=2e-4)
    assert (result.photo.alpha is None) == (mask is None) and (mask is None or np.array_equal(result.photo.alpha, mask))


# --- model metadata and weights ---------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def valid_metadata() -> dict:
    return json.loads(tiny_spec().to_json())


def metadata_paths(data: dict, prefix: tuple = ()) -> list[tuple]:
    """Every key path in the metadata, nested ones included: the places a mutation can hit."""
    paths = []
    for key, value in data.items():
        paths.append(prefix + (key,))
        if isinstance(value, dict):
            paths.extend(metadata_paths(value, prefix + (key,)))
    return paths


def apply(data: dict, path: tuple, action: str, value) -> dict:
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        parent.pop(path[-1], None)
    elif action == "set":
        parent[path[-1]] = value
    else:
        parent[str(value)[:8]] = value
    return data


@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
@examples(300)
def test_metadata_parser_on_arbitrary_text(text):
    try:
        ModelSpec.from_json(text, "fuzzed")
    except ModelLoadError as error:
        assert "\n" not in str(error)


@given(st.data())
@examples(300)
def test_metadata_parser_on_mutated_metadata(valid_metadata, data):
    mutated = valid_metadata
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(metadata_paths(mutated) or [("format",)]))
        mutated = apply(mutated, path, data.draw(st.sampled_from(["set", "delete", "add"])), data.draw(JSON_VALUES))
    try:
        ModelSpec.from_json(json.dumps(mutated), "fuzzed")
    except ModelLoadError as error:
        assert "\n" not in str(error)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("fuzz") / "model", channels=1, image_size=8)


def load_and_run(folder: Path) -> None:
    """load_model either refuses with one line, or gives a network that runs on a small batch."""
    try:
        model = load_model(folder)
    except ModelLoadError as error:
        assert "\n" not in str(error)
        return
    x = torch.zeros(1, model.spec.channels, 8, 8)
    with torch.no_grad():
        assert model.network(x, torch.tensor([1])).shape == x.shape


@given(st.data())
@examples(80)
def test_load_model_on_mutated_metadata(model_folder, valid_metadata, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("mutated")
    (folder / MODEL_WEIGHTS).write_bytes((model_folder / MODEL_WEIGHTS).read_bytes())
    mutated = json.loads((model_folder / MODEL_JSON).read_text())
    for _ in range(data.draw(st.integers(1, 2))):
        path = data.draw(st.sampled_from(metadata_paths(mutated) or [("format",)]))
        mutated = apply(mutated, path, data.draw(st.sampled_from(["set", "delete"])), data.draw(JSON_VALUES))
    (folder / MODEL_JSON).write_text(json.dumps(mutated))
    load_and_run(folder)


@given(st.lists(mutation, min_size=1, max_size=3))
@examples(80)
def test_load_model_on_mutated_weight_files(model_folder, tmp_path_factory, mutations):
    folder = tmp_path_factory.mktemp("mutated")
    (folder / MODEL_JSON).write_bytes((model_folder / MODEL_JSON).read_bytes())
    (folder / MODEL_WEIGHTS).write_bytes(mutate((model_folder / MODEL_WEIGHTS).read_bytes(), mutations))
    load_and_run(folder)
