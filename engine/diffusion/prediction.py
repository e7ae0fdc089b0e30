"""What the network predicts (eps or v), and the one conversion every sampler needs.

v-prediction (Salimans & Ho) is v = sqrt(abar) eps - sqrt(1 - abar) x0; both parametrisations are
turned into (predicted noise, predicted clean image) here so samplers never branch on them.

Some networks also take a per-pixel noise-level map (the photo denoiser): the noise std of x_t at
each pixel and channel. The Denoiser makes it here, from the step, so samplers never know: at
step t the noise of x_t has std sqrt(1 - abar_t), times `noise_shape` where the noise is not the
same everywhere (a photo whose shadows are noisier than its sky; see `engine.denoise`).

A class-conditional network is guided here too (classifier-free guidance, Ho & Salimans 2022), so
samplers never know about classes either: see `ClassGuidance`. And a cUNet gets its ODE solver
here, with each call, from the Denoiser's `SolverSchedule`: samplers never know about solvers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from engine.diffusion.schedule import NoiseSchedule
from engine.diffusion.solver_schedule import SolverSchedule
from engine.errors import ConfigError

PREDICTION_TYPES = ("eps", "v")

Network = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ClassGuidance:
    """Sample classes `class_labels` with guidance scales `scales` w, one per image (row of x_t),
    as diffusers' guidance_scale (the "CFG scale" of Stable Diffusion): output = uncond + w (cond -
    uncond), where cond is the network's output for the image's class and uncond its output for
    `null_label` (no class). w = 1 is plain conditional sampling, w = 0 unconditional, w > 1 pushes
    further toward the class. A scale per image, not one per generation, because a random class
    per image guides each image at its own class's recommended scale (`ModelSpec.recommended_guidance`)."""

    class_labels: tuple[int, ...]
    null_label: int
    scales: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.scales) != len(self.class_labels):
            raise ValueError(f"guidance holds {len(self.scales)} scales for {len(self.class_labels)} class labels")

    def label_rows(self, rows: int) -> torch.Tensor:
        """The labels of the stacked rows of one guided call on `rows` images, in the order
        `combine` takes the outputs: the classes if any image needs the output for them, then the
        null label if any needs the unconditional one (scales of 1 need no unconditional output and
        scales of 0 no conditional one: half the network cost)."""
        if len(self.class_labels) != rows:
            raise ValueError(f"guidance holds {len(self.class_labels)} class labels for a batch of {rows} images")
        conditional = [torch.tensor(self.class_labels)] if any(scale != 0 for scale in self.scales) else []
        unconditional = [torch.full((rows,), self.null_label)] if any(scale != 1 for scale in self.scales) else []
        return torch.cat(conditional + unconditional)

    def of_images(self, first: int, count: int) -> "ClassGuidance":
        """The guidance of `count` images from image `first`: a batch of a generation."""
        return ClassGuidance(self.class_labels[first : first + count], self.null_label,
                             self.scales[first : first + count])

    def combine(self, outputs: list[torch.Tensor]) -> torch.Tensor:
        """The guided output from the outputs for `label_rows`' parts, in that order."""
        if len(outputs) == 1:
            return outputs[0]
        conditional, unconditional = outputs
        scales = torch.tensor(self.scales, dtype=conditional.dtype, device=conditional.device)
        return unconditional + scales.view(-1, *[1] * (conditional.dim() - 1)) * (conditional - unconditional)


def check_prediction_type(prediction: str) -> str:
    if prediction not in PREDICTION_TYPES:
        raise ConfigError(f"unknown prediction type {prediction!r}; use eps or v")
    return prediction


def training_target(prediction: str, x0: torch.Tensor, noise: torch.Tensor, abar: torch.Tensor) -> torch.Tensor:
    """The regression target for the network; abar broadcastable to x0."""
    if prediction == "eps":
        return noise
    return abar.sqrt() * noise - (1 - abar).sqrt() * x0


class Denoiser:
    """Wraps a network so samplers can ask: given x_t at step t, what are eps and x0?

    `clip_x0` clamps the predicted clean image to [-1, 1] and re-derives eps from it, which keeps
    few-step samplers inside the data range (the usual DDPM/DDIM practice).

    With `guidance`, the conditional and unconditional rows go through the network in one call
    (batch 2B, the same x_t, step and noise map for both halves) and are combined *before* the
    conversion to (eps, x0). That is the same guidance for eps and v-prediction alike: x0 and eps
    are affine in the output for a given x_t, and the guided output is an affine combination
    (weights 1 - w and w), so guiding the output guides eps and x0 consistently. Clipping then
    acts on the guided x0, the image the sampler steps toward, not on each half.
    """

    def __init__(
        self,
        network: Network,
        schedule: NoiseSchedule,
        prediction: str,
        clip_x0: bool = True,
        takes_noise_map: bool = False,
        noise_shape: torch.Tensor | None = None,
        guidance: ClassGuidance | None = None,
        solver: SolverSchedule | None = None,
    ) -> None:
        """`takes_noise_map`: the network's third argument is the noise map. `noise_shape`
        (broadcastable to x_t, root mean square 1): how the noise level varies over the pixels
        and channels; None = uniform. `guidance`: the class to sample (the network takes
        `class_labels` by keyword); None = the network's own unconditional output. `solver`: the
        ODE solver of each call, by its step, passed as the network's `solver` keyword; None =
        the network's own (and the only choice for a network that takes no solver:
        `LoadedModel.denoiser` decides which do)."""
        self.network = network
        self.schedule = schedule
        self.prediction = check_prediction_type(prediction)
        self.clip_x0 = clip_x0
        self.takes_noise_map = takes_noise_map
        self.noise_shape = noise_shape
        self.guidance = guidance
        self.solver = solver

    def __call__(self, x_t: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        abar = self.schedule.abar(t).item()
        a, s = abar**0.5, (1 - abar) ** 0.5
        output = self._network_output(x_t, t, s)
        if self.prediction == "eps":
            eps = output
            x0 = (x_t - s * eps) / a
        else:
            x0 = a * x_t - s * output
            eps = s * x_t + a * output
        if self.clip_x0:
            x0 = x0.clamp(-1, 1)
            eps = (x_t - a * x0) / s
        return eps, x0

    def _network_output(self, x_t: torch.Tensor, t: int, noise_level: float) -> torch.Tensor:
        """The network's output for x_t (B, C, H, W) at step t, guided when a class is asked for:
        the rows for each label the guidance needs are stacked into one call, which runs the
        schedule's solver for step t."""
        labels = self.guidance.label_rows(len(x_t)).to(x_t.device) if self.guidance else None
        copies = 1 if labels is None else len(labels) // len(x_t)
        inputs = x_t.repeat(copies, 1, 1, 1)
        steps = torch.full((len(inputs),), t, dtype=torch.long, device=x_t.device)
        arguments: list[torch.Tensor] = [inputs, steps]
        if self.takes_noise_map:
            shape = torch.ones_like(x_t[:, :, :1, :1]) if self.noise_shape is None else self.noise_shape
            arguments.append((shape * noise_level).expand_as(x_t).repeat(copies, 1, 1, 1))
        solver = {} if self.solver is None else {"solver": self.solver(t)}
        if labels is None:
            return self.network(*arguments, **solver).to(torch.float32)
        output = self.network(*arguments, class_labels=labels, **solver).to(torch.float32)
        return self.guidance.combine(list(output.chunk(copies)))
