"""What the network is trained to undo, per batch: the noised images, their steps and targets.

Two kinds of training (`TrainingConfig.noise`):

* "gaussian": the diffusion forward process, x_t = sqrt(abar) x0 + sqrt(1 - abar) eps, at a step
  drawn uniformly from 0..max_step. What every generation model and the first photo denoiser
  learned.
* "photo": noise as photos carry it (`photo_noise`), for the photo denoiser: white Gaussian and
  camera noise, stored as 8 bits and often as JPEG, plus a share of plain diffusion samples so
  the reverse process (strength > 0) keeps working.

Either way the network sees x_t, the step t and, if it takes one, a noise map (see
`engine.diffusion.prediction`), and regresses the eps/v target: for a noisy photo y, x_t =
sqrt(abar_t) (2y - 1) at the step t whose noise level matches the photo's, and the target's noise
is what x_t holds beyond sqrt(abar_t) x0, whatever its distribution.

Loss weights. An eps (or v) loss is the clean-image error divided by the step's noise variance:
for Gaussian noise that is the error relative to the input's, the same scale at every level. A
stored photo's error can be far above the level its noise maps to (JPEG's blocks on a nearly
clean photo), and would then dominate the loss; such a row is weighted down by level variance /
the input's actual error variance, so that every row counts its error relative to its input's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.diffusion import NoiseSchedule, training_target
from engine.training.photo_noise import GAUSSIAN_SHARE, noisy_photo
DIFFUSION_SHARE = 0.15  # of a "photo" batch: plain forward-process samples, for strength > 0


@dataclass(frozen=True)
class NoisedBatch:
    """x_t (B, C, H, W), t (B,), target (B, C, H, W), noise_map (B, C, H, W) or None for a network
    without a noise-map input, the loss weight of each row (B,), or None: all 1, and the class
    label of each row (B,) for a class-conditional network, else None."""

    x_t: torch.Tensor
    t: torch.Tensor
    target: torch.Tensor
    noise_map: torch.Tensor | None
    weight: torch.Tensor | None = None
    class_labels: torch.Tensor | None = None

    def to(self, device: torch.device) -> "NoisedBatch":
        return NoisedBatch(*(None if v is None else v.to(device) for v in self._fields()))

    def part(self, rows: slice) -> "NoisedBatch":
        return NoisedBatch(*(None if v is None else v[rows] for v in self._fields()))

    def _fields(self) -> tuple[torch.Tensor | None, ...]:
        return self.x_t, self.t, self.target, self.noise_map, self.weight, self.class_labels

    def squared_error(self, output: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        """The (weighted) squared error of `output` against the target: mean or sum."""
        if self.weight is None:
            return F.mse_loss(output, self.target, reduction=reduction)
        weighted = (output - self.target).square() * self.weight[:, None, None, None]
        return weighted.mean() if reduction == "mean" else weighted.sum()


def noised_batch(kind: str, schedule: NoiseSchedule, prediction: str, images: torch.Tensor,
                 generator: torch.Generator, takes_noise_map: bool,
                 gaussian_share: float = GAUSSIAN_SHARE) -> NoisedBatch:
    """The batch for `images` (B, C, H, W) in [-1, 1]; every draw comes from `generator`.
    `gaussian_share`: of a "photo" batch's noisy photos, the share with white Gaussian noise."""
    if kind == "gaussian":
        return _diffusion_batch(schedule, prediction, images, generator, takes_noise_map)
    rows = []
    for image in images:
        if float(torch.rand(1, generator=generator)) < DIFFUSION_SHARE:
            rows.append(_diffusion_batch(schedule, prediction, image[None], generator, takes_noise_map))
        else:
            rows.append(_photo_row(schedule, prediction, image, generator, takes_noise_map, gaussian_share))
    return NoisedBatch(
        torch.cat([r.x_t for r in rows]), torch.cat([r.t for r in rows]), torch.cat([r.target for r in rows]),
        torch.cat([r.noise_map for r in rows]) if takes_noise_map else None,
        torch.cat([torch.ones(1) if r.weight is None else r.weight for r in rows]),
    )


def _diffusion_batch(schedule: NoiseSchedule, prediction: str, images: torch.Tensor, generator: torch.Generator,
                     takes_noise_map: bool) -> NoisedBatch:
    t = torch.randint(0, schedule.max_step + 1, (images.shape[0],), generator=generator)
    noise = torch.randn(images.shape, generator=generator)
    abar = schedule.abar(t).float()[:, None, None, None]
    x_t = schedule.add_noise(images, noise, t)
    noise_map = (1 - abar).sqrt().expand_as(images).contiguous() if takes_noise_map else None
    return NoisedBatch(x_t, t, training_target(prediction, images, noise, abar), noise_map)


def _photo_row(schedule: NoiseSchedule, prediction: str, image: torch.Tensor, generator: torch.Generator,
               takes_noise_map: bool, gaussian_share: float) -> NoisedBatch:
    """One clean image (C, H, W) in [-1, 1], turned by a random number of quarter turns (with the
    dataset's flips: all eight orientations), as a noisy photo at the step its level maps to."""
    image = torch.rot90(image, int(torch.randint(4, (1,), generator=generator)), dims=(1, 2))
    clean = (image + 1) / 2
    noisy, level_map = noisy_photo(clean, generator, gaussian_share)
    level = float(level_map.square().mean().sqrt())  # 0-1 units: the photo's overall noise level
    t = min(max(schedule.step_for_noise_level(2 * level), 0), schedule.max_step)
    abar = float(schedule.abar(t))
    x_t = abar**0.5 * (2 * noisy - 1)
    noise = (x_t - abar**0.5 * image) / (1 - abar) ** 0.5
    noise_map = (1 - abar) ** 0.5 * level_map / max(level, 1e-8) if takes_noise_map else None
    target = training_target(prediction, image, noise, torch.tensor(abar))
    error_variance = float((2 * noisy - 1 - image).square().mean())
    weight = min(1.0, (1 - abar) / abar / max(error_variance, 1e-12))
    return NoisedBatch(x_t[None], torch.tensor([t]), target[None], None if noise_map is None else noise_map[None],
                       torch.tensor([weight]))
