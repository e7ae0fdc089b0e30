"""Photo denoising: read a photo, denoise it with a diffusion model (tiled, any size), write it
back as it came. `denoise_photo` is the entry point; see `denoising` for the method."""

from engine.denoise.denoising import (
    AUTO_OVERLAP_FRACTION,
    DenoiseProgress,
    DenoiseResult,
    DenoiseSettings,
    denoise_photo,
)
from engine.denoise.noise_estimate import combined_sigma, estimate_noise_sigma
from engine.denoise.packed_photo import PackedPhoto
from engine.denoise.photo import Photo, read_photo
from engine.denoise.photo_writer import (
    DENOISED_SUFFIX,
    WRITE_FORMATS,
    is_denoised_copy,
    output_path_for,
    unused_path,
    write_photo,
)
from engine.denoise.self_ensemble import ENSEMBLE_SIZES
from engine.denoise.trajectory import save_denoise_animation

__all__ = [
    "AUTO_OVERLAP_FRACTION",
    "ENSEMBLE_SIZES",
    "WRITE_FORMATS",
    "DenoiseProgress",
    "DenoiseResult",
    "DenoiseSettings",
    "PackedPhoto",
    "Photo",
    "combined_sigma",
    "denoise_photo",
    "estimate_noise_sigma",
    "output_path_for",
    "is_denoised_copy",
    "DENOISED_SUFFIX",
    "read_photo",
    "save_denoise_animation",
    "unused_path",
    "write_photo",
]
