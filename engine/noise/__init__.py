"""Noise as photos carry it: synthetic camera noise, white Gaussian noise, and how a file stores
it (8-bit rounding, JPEG). The denoiser trains on these and the benchmark measures on them; both
import from here so that what is trained on is what is measured.
"""

from engine.noise.camera import CameraNoise, add_camera_noise, srgb_to_linear, linear_to_srgb
from engine.noise.storage import jpeg_round_trip, to_8bit

__all__ = ["CameraNoise", "add_camera_noise", "jpeg_round_trip", "linear_to_srgb", "srgb_to_linear", "to_8bit"]
