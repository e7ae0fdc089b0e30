"""How an init picture steers generation: img2img (SDEdit) and inpainting, in one place.

SDEdit (Meng et al. 2022): noise the init picture to an intermediate step and run the reverse
process from there. `strength` s in [0, 1] picks the start step round(s * max_step): 0 gives the
picture back untouched (no step runs, no network call), 1 starts from (almost) pure noise, a new
picture. The step count follows diffusers' img2img convention: the grid a full run would take
`steps` steps over is cut to the part below the start, so about `steps * s` steps run (at least
one), and a weak edit is cheap.

Inpainting adds a mask (1 = regenerate, 0 = keep): the denoising function is wrapped in
`KnownPixels`, which keeps the known pixels for every sampler (its docstring says why that is
exact), and with ddpm RePaint resampling (`sample_ddpm(resample=U)`) can give the regenerated
region U passes per step to agree with them. That is why inpainting has a sampler
recommendation of its own (`recommended_sampler`): a model's fast sampler fits the regenerated
part to the kept one worse. Plain generation is the case with no picture: strength 1, pure
noise, the model's own denoising function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from engine.diffusion.schedule import NoiseSchedule
from engine.errors import ConfigError
from engine.sampling.known_pixels import KnownPixels
from engine.sampling.samplers import DenoisingFunction

if TYPE_CHECKING:
    from engine.checkpoints import ModelSpec

IMG2IMG_STRENGTH = 0.6  # default without a mask: keeps the picture's layout, redraws its detail
INPAINTING_STRENGTH = 1.0  # default with a mask: the masked region is made anew, fitted to the rest
MAX_RESAMPLE = 20
DEFAULT_RESAMPLE = 10  # for ddpm inpainting, chosen by measurement: docs/models.md, "img2img and inpainting"
RESAMPLING_SAMPLER = "ddpm"
# With DEFAULT_RESAMPLE passes, chosen by measurement on the three generators (docs/models.md, "img2img
# and inpainting"): more of the inpainted images read as the original than with their fast samplers, and
# at the network calls of 50 steps with 5 passes, more passes on fewer steps fitted better.
INPAINTING_SAMPLER = (RESAMPLING_SAMPLER, 25)


def default_strength(masked: bool) -> float:
    """The strength when none is given: full for inpainting, part-way for img2img."""
    return INPAINTING_STRENGTH if masked else IMG2IMG_STRENGTH


def recommended_sampler(spec: ModelSpec, masked: bool) -> tuple[str, int]:
    """The sampler and step count to use where none is chosen: with a mask INPAINTING_SAMPLER
    (harmonised by DEFAULT_RESAMPLE passes, `resolved_resample`), else the model's own
    recommendation. One rule for the CLI's defaults and the Generate page's controls."""
    return INPAINTING_SAMPLER if masked else spec.recommended_sampler()


def resolved_resample(sampler: str, resample: int | None, masked: bool) -> int:
    """RePaint passes per step: `resample`, else DEFAULT_RESAMPLE for ddpm inpainting and 1
    otherwise. Refuses resampling with another sampler: RePaint's jump re-noises an ancestral
    step, which deterministic samplers do not take."""
    if resample is None:
        return DEFAULT_RESAMPLE if masked and sampler == RESAMPLING_SAMPLER else 1
    if resample > 1 and sampler != RESAMPLING_SAMPLER:
        raise ConfigError(f"resampling (RePaint) works with the {RESAMPLING_SAMPLER} sampler only, not {sampler}; "
                          f"choose --sampler {RESAMPLING_SAMPLER} or --resample 1")
    return resample


def start_step(strength: float, max_step: int) -> int:
    """The step the reverse process starts from: round(strength * max_step), and -1 (clean: no
    step at all) for strength 0."""
    return round(strength * max_step) if strength > 0 else -1


def steps_at_strength(steps: int, strength: float) -> int:
    """How many of a full run's `steps` run from `start_step`: steps * strength, rounded, at
    least one (`sampling_timesteps` gives fewer only when the start is that close to 0)."""
    return max(1, round(steps * strength))


def check_fits(init_image: torch.Tensor | None, image_size: int, channels: int) -> None:
    """Refuse an init picture of another size or channel count than the model makes."""
    wanted = (channels, image_size, image_size)
    if init_image is not None and tuple(init_image.shape) != wanted:
        shape = "x".join(str(side) for side in init_image.shape)
        raise ConfigError(f"the init picture is {shape} (channels x height x width) but this model makes "
                          f"{'x'.join(map(str, wanted))}: fit it to the model first (fitted_picture.fit_picture)")


def starting_x(schedule: NoiseSchedule, init_image: torch.Tensor | None, noise: torch.Tensor, start: int) -> torch.Tensor:
    """x at the start step: the noise itself without an init picture, else the picture noised to
    `start` with that noise by the forward process (`NoiseSchedule.add_noise`; at start -1 the
    picture exactly). noise (B, C, H, W), init_image (C, H, W)."""
    if init_image is None:
        return noise
    steps = torch.full((noise.shape[0],), start, dtype=torch.long)
    return schedule.add_noise(init_image.to(noise).expand_as(noise), noise, steps)


def steered_denoiser(
    denoiser: DenoisingFunction, init_image: torch.Tensor | None, mask: torch.Tensor | None
) -> DenoisingFunction:
    """`denoiser` keeping the init picture's pixels where the mask is 0, or as it is unmasked."""
    if mask is None or init_image is None:
        return denoiser
    return KnownPixels(denoiser, init_image, mask)
