"""Photo denoising: read a photo, denoise it with a diffusion model (tiled, any size), write it
back as it came. `denoise_photo` is the entry point; see `denoising` for the method."""

from engine.denoise.denoising import (
    AUTO_OVERLAP_FRACTION,
    DEFAULT_DENOISER,
    PRECISIONS,
    DenoiseProgress,
    DenoiseResult,
    DenoiseSettings,
    auto_tile_size,
    denoise_photo,
)
from engine.denoise.noise_estimate import combined_sigma, estimate_noise_sigma
from engine.denoise.noise_levels import NoiseLevels, estimate_noise_levels
from engine.denoise.packed_photo import PackedPhoto
from engine.denoise.photo import PHOTO_EXTENSIONS, Photo, find_photos, read_photo
from engine.denoise.photo_writer import (
    DEFAULT_JPEG_QUALITY,
    DENOISED_SUFFIX,
    JPEG_QUALITY_RANGE,
    WRITE_FORMATS,
    check_jpeg_quality,
    is_denoised_copy,
    output_path_for,
    preferred_output_path,
    unused_path,
    write_photo,
)
from engine.denoise.self_ensemble import ENSEMBLE_SIZES
from engine.denoise.trajectory import save_denoise_animation

__all__ = [
    "AUTO_OVERLAP_FRACTION",
    "DEFAULT_DENOISER",
    "DEFAULT_JPEG_QUALITY",
    "ENSEMBLE_SIZES",
    "JPEG_QUALITY_RANGE",
    "PHOTO_EXTENSIONS",
    "PRECISIONS",
    "WRITE_FORMATS",
    "DenoiseProgress",
    "DenoiseResult",
    "DenoiseSettings",
    "NoiseLevels",
    "PackedPhoto",
    "Photo",
    "auto_tile_size",
    "check_jpeg_quality",
    "combined_sigma",
    "denoise_photo",
    "estimate_noise_levels",
    "estimate_noise_sigma",
    "find_photos",
    "output_path_for",
    "preferred_output_path",
    "is_denoised_copy",
    "DENOISED_SUFFIX",
    "read_photo",
    "save_denoise_animation",
    "unused_path",
    "write_photo",
]
