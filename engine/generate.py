"""Generation: the one function the CLI and the GUI call to sample images: unconditionally or, from
a class-conditional model, of one class with classifier-free guidance; from pure noise or steered
by an init picture (img2img) and a mask (inpainting): see `steering`.

Image i is drawn from its own random stream, seeded with `seed + i`: its starting noise first
(with an init picture: the noise it is noised with), then the fresh noise of the stochastic
samplers. So an image can be made again on its own, from the seed saved with it, whatever count
and batch size it was first generated with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from engine.checkpoints import LoadedModel, ModelSpec
from engine.diffusion import ConstantSolver, NoiseSchedule, SolverChoice, SteppedSolver, as_schedule, evals_per_block
from engine.errors import ConfigError
from engine.guidance import class_guidance
from engine.imaging import to_uint8
from engine.json_values import is_real
from engine.sampling import CancelToken, SamplerStep, get_sampler, sampler_timesteps
from engine.steering import (
    INPAINTING_SAMPLER,
    MAX_RESAMPLE,
    check_fits,
    recommended_sampler,
    resolved_resample,
    start_step,
    starting_x,
    steered_denoiser,
    steps_at_strength,
)

MAX_IMAGES = 10_000
MAX_STEPS = 1000  # sampler steps: one per noise level at most
MAX_SEED = 2**63 - 1  # image i uses seed + i as a torch generator seed


@dataclass(frozen=True)
class GenerationRequest:
    """count images, `sampler`/`steps` default to the model's recommendation; `solver` overrides
    the cUNet's ODE solver (speed/quality dial): one solver throughout, or a step-aware schedule
    (`SteppedSolver`); see `solver_schedule` for models without ODE blocks. `class_label`
    (index from 0) asks a class-conditional model for that class, with `guidance` (default: the
    model's recommendation; see `ClassGuidance`); None samples unconditionally, unless
    `random_class` asks for a class per image, drawn from its seed (`guidance.drawn_class`).

    img2img and inpainting (`steering`): `init_image` (C, H, W) in [-1, 1], already fitted to the
    model (`fitted_picture.fit_picture`); `strength` 0 (the picture back) to 1 (a new picture;
    the only value without an init picture); `mask` (1, H, W) of 1 (regenerate) and 0 (keep),
    from `fitted_picture.fit_mask`; `resample` RePaint passes per step (ddpm inpainting only;
    None: `steering.resolved_resample`'s default). `steps` stays the full-strength step count:
    about steps * strength of them run."""

    count: int = 16
    seed: int = 0
    sampler: str | None = None
    steps: int | None = None
    eta: float = 0.0
    batch_size: int = 16
    solver: SolverChoice | None = None
    keep_trajectory: bool = False
    class_label: int | None = None
    random_class: bool = False
    guidance: float | None = None
    init_image: torch.Tensor | None = None
    strength: float = 1.0
    mask: torch.Tensor | None = None
    resample: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_IMAGES:
            raise ConfigError(f"image count must be between 1 and {MAX_IMAGES}")
        if self.batch_size < 1:
            raise ConfigError("batch size must be >= 1")
        if not 0 <= self.seed <= MAX_SEED - (self.count - 1):
            raise ConfigError(f"seed must be from 0 to {MAX_SEED - (self.count - 1):,} (image i uses seed + i)")
        if self.steps is not None and not 1 <= self.steps <= MAX_STEPS:
            raise ConfigError(f"sampler steps must be from 1 to {MAX_STEPS}, got {self.steps}")
        if not 0 <= self.eta <= 1:
            raise ConfigError(f"eta must be from 0 (deterministic DDIM) to 1 (as random as DDPM), got {self.eta:g}")
        if self.class_label is not None and self.class_label < 0:
            raise ConfigError(f"class indices start at 0, got {self.class_label}")
        if self.guidance is not None and not (is_real(self.guidance) and self.guidance >= 0):
            raise ConfigError(f"guidance must be a number >= 0 (1: none, 0: unconditional), got {self.guidance}")
        if self.random_class and self.class_label is not None:
            raise ConfigError("choose one class or a random class per image, not both")
        if self.guidance is not None and self.class_label is None and not self.random_class:
            raise ConfigError("guidance steers toward a class: choose a class too (--class)")
        self._check_steering()

    def _check_steering(self) -> None:
        if not 0 <= self.strength <= 1:
            raise ConfigError(f"strength must be from 0 (the init picture back) to 1 (a new picture), got {self.strength:g}")
        if self.init_image is None and (self.strength != 1 or self.mask is not None):
            raise ConfigError("strength below 1 and a mask need an init picture: they say how much of it to keep")
        if self.resample is not None and not 1 <= self.resample <= MAX_RESAMPLE:
            raise ConfigError(f"resample must be from 1 (no resampling) to {MAX_RESAMPLE}, got {self.resample}")
        if self.mask is None:
            if self.resample is not None and self.resample > 1:
                raise ConfigError("resampling (RePaint) fits regenerated pixels to kept ones: it needs a mask")
            return
        if self.init_image is not None and tuple(self.mask.shape) != (1, *self.init_image.shape[1:]):
            raise ConfigError(f"the mask is {tuple(self.mask.shape)} but must be (1, height, width) of the init "
                              f"picture {tuple(self.init_image.shape)}: fit both to the model")
        if not ((self.mask == 0) | (self.mask == 1)).all():
            raise ConfigError("the mask must be 0 (keep) or 1 (regenerate) at every pixel")
        if not self.mask.any():
            raise ConfigError("the mask keeps every pixel, so there is nothing to regenerate: "
                              "paint white where the picture should change")


@dataclass(frozen=True)
class GenerationProgress:
    """Reported after every sampler step: global step counters plus the step itself."""

    done: int
    total: int
    first_image: int
    step: SamplerStep


@dataclass
class GenerationResult:
    images: np.ndarray  # (N, H, W, C) uint8
    sampler: str
    steps: int  # as asked (the full-strength count); `timesteps` is the grid that ran
    timesteps: list[int]
    model_weights: str  # the model's weights_id: which weights made these images
    class_labels: tuple[int, ...] | None = None  # the class of each image; None: unconditional
    guidance_scales: tuple[float, ...] | None = None  # each image's guidance scale; None: unconditional
    resample: int = 1  # RePaint passes per step
    init_image: np.ndarray | None = None  # (H, W, C) uint8: the init picture as the model saw it
    # Per step, (N, H, W, C) uint8 of x_t and of the predicted clean image (keep_trajectory only).
    trajectory_x_t: list[np.ndarray] = field(default_factory=list)
    trajectory_x0: list[np.ndarray] = field(default_factory=list)

    @property
    def guidance(self) -> float | None:
        """The scale every image was guided with (the one asked for, else the model's); None
        without a class, and where images of different classes had their classes' own scales."""
        if self.guidance_scales is None or len(set(self.guidance_scales)) > 1:
            return None
        return self.guidance_scales[0]

    def steps_done(self) -> str:
        """What ran, for a front end's outcome line: "ddpm, 50 steps"; from an init picture "ddpm,
        30 of 50 steps from t=599", and ", resample 2" with RePaint resampling."""
        if not self.timesteps:
            return f"{self.sampler}, no step at strength 0: the init picture as it was fitted"
        steps = f"{self.steps} steps"
        if len(self.timesteps) != self.steps:
            steps = f"{len(self.timesteps)} of {steps} from t={self.timesteps[0]}"
        resample = f", resample {self.resample}" if self.resample > 1 else ""
        return f"{self.sampler}, {steps}{resample}"


def resolved_sampler(spec: ModelSpec, request: GenerationRequest) -> tuple[str, int]:
    """The sampler and step count `request` runs with, the recommendation filling what it leaves
    open: inpainting's when there is a mask and no other sampler is asked for (the step count
    of ddpm asked for by name too), else the model's (`steering.recommended_sampler`). Refuses
    an eta the sampler would ignore: it would still be saved with the image."""
    inpainting = request.mask is not None and request.sampler in (None, INPAINTING_SAMPLER[0])
    sampler_name, steps = recommended_sampler(spec, inpainting)
    sampler_name = request.sampler or sampler_name
    if request.eta and sampler_name != "ddim":
        raise ConfigError(f"eta sets the randomness of the ddim sampler only, not of {sampler_name}; "
                          "choose --sampler ddim or leave eta at 0")
    return sampler_name, steps if request.steps is None else request.steps


def solver_schedule(spec: ModelSpec, solver: SolverChoice | None) -> ConstantSolver | SteppedSolver | None:
    """The ODE solver of each step a request for `solver` (None: as trained) runs; None for a
    network without ODE blocks. There one solver is ignored, as it always was (records of U-Net
    images made with one still replay), but a step-aware schedule is refused: it was asked for
    to save evaluations that network does not make. A schedule must switch inside the model's
    reverse process, or one of its phases would never run."""
    if isinstance(solver, SteppedSolver):
        if spec.trained_solver is None:
            raise ConfigError("a step-aware solver schedule needs a cUNet: this model is a discrete U-Net, "
                              "which has no ODE blocks and so no solver to change")
        last = spec.build_schedule().max_step
        if solver.switch > last:
            raise ConfigError(f"the solver schedule switches at t = {solver.switch}, outside this model's reverse "
                              f"process (t = {last} down to 0): choose a switch step from 1 to {last}")
    used = spec.solver_used(solver)
    return None if used is None else as_schedule(used)


def reverse_timesteps(schedule: NoiseSchedule, request: GenerationRequest, sampler: str, steps: int) -> list[int]:
    """The steps `sampler` visits for `request`, `steps` at full strength: from pure noise, or
    from the step its init picture is noised to, down to 0."""
    start = start_step(request.strength, schedule.max_step)
    return sampler_timesteps(sampler, schedule, start, steps_at_strength(steps, request.strength))


@dataclass(frozen=True)
class SolverCost:
    """What a request's ODE solver costs, known before it runs: the vector-field evaluations of
    each ODE block for one image (every network call runs every block once, with its step's
    solver; each RePaint pass is a call; a guided image's two rows share one), with the solver
    asked for and with the trained one. A count is None where an adaptive solver decides."""

    asked: ConstantSolver | SteppedSolver
    trained: ConstantSolver
    evaluations: int | None
    trained_evaluations: int | None

    def words(self) -> str:
        """"60 evaluations per ODE block per image, 1.67× fewer than the trained midpoint × 1 (100)"."""
        count = "an adaptive number of" if self.evaluations is None else f"{self.evaluations:,}"
        said = f"{count} evaluations per ODE block per image"
        if self.asked == self.trained:
            return f"{said}, as trained ({self.trained.label()})"
        trained = "adaptive" if self.trained_evaluations is None else f"{self.trained_evaluations:,}"
        reference = f"the trained {self.trained.label()} ({trained})"
        if self.evaluations is None or self.trained_evaluations is None or self.evaluations == 0:
            return f"{said}; {reference}"
        ratio = self.trained_evaluations / self.evaluations
        if ratio == 1:
            return f"{said}, as many as {reference}"
        compared = f"{ratio:.2f}× fewer" if ratio > 1 else f"{1 / ratio:.2f}× more"
        return f"{said}, {compared} than {reference}"


def solver_cost(spec: ModelSpec, request: GenerationRequest) -> SolverCost | None:
    """The cost of `request`'s ODE solver against the trained one; None for a network without
    ODE blocks. Refuses what `generate` would refuse about the sampler and solver."""
    asked = solver_schedule(spec, request.solver)
    if asked is None:
        return None
    trained = as_schedule(spec.trained_solver)
    sampler_name, steps = resolved_sampler(spec, request)
    passes = resolved_resample(sampler_name, request.resample, request.mask is not None)
    calls = reverse_timesteps(spec.build_schedule(), request, sampler_name, steps) * passes
    return SolverCost(asked, trained, evals_per_block(asked, calls), evals_per_block(trained, calls))


def generate(
    model: LoadedModel,
    request: GenerationRequest,
    progress: Callable[[GenerationProgress], None] | None = None,
    cancel: CancelToken | None = None,
) -> GenerationResult:
    """Sample `request.count` images from `model`; raises Cancelled if `cancel` is set."""
    if not model.spec.can_generate:
        raise ConfigError(
            f"{model.name} is a denoising model: it was trained only up to noise step {model.spec.schedule.max_step} "
            f"of {model.spec.schedule.timesteps}, so it cannot generate images from pure noise; use it to denoise photos"
        )
    sampler_name, steps = resolved_sampler(model.spec, request)
    seeds = range(request.seed, request.seed + request.count)
    guidance = class_guidance(model.spec, model.name, request.class_label, request.guidance, seeds,
                              request.random_class)
    resample = resolved_resample(sampler_name, request.resample, request.mask is not None)
    sampler = get_sampler(sampler_name)
    size, channels = model.spec.image_size, model.spec.channels
    check_fits(request.init_image, size, channels)
    start = start_step(request.strength, model.schedule.max_step)
    timesteps = reverse_timesteps(model.schedule, request, sampler_name, steps)
    solver = solver_schedule(model.spec, request.solver)
    batches = range(0, request.count, request.batch_size)
    total = len(batches) * len(timesteps)
    images: list[np.ndarray] = []
    x_t_frames: list[list[np.ndarray]] = [[] for _ in timesteps]
    x0_frames: list[list[np.ndarray]] = [[] for _ in timesteps]

    for batch_number, first in enumerate(batches):
        count = min(request.batch_size, request.count - first)
        generators = [torch.Generator().manual_seed(request.seed + first + i) for i in range(count)]
        noise = torch.stack([torch.randn((channels, size, size), generator=g) for g in generators]).to(model.device)

        def on_step(step: SamplerStep, batch_number: int = batch_number, first: int = first) -> None:
            if request.keep_trajectory:
                x_t_frames[step.index].append(to_uint8(step.x_t))
                x0_frames[step.index].append(to_uint8(step.predicted_x0))
            if progress is not None:
                done = batch_number * len(timesteps) + step.index + 1
                progress(GenerationProgress(done, total, first, step))

        batch_guidance = None if guidance is None else guidance.of_images(first, count)
        denoiser = steered_denoiser(model.denoiser(guidance=batch_guidance, solver=solver), request.init_image,
                                    request.mask)
        kwargs = ({"eta": request.eta} if request.eta else {}) | ({"resample": resample} if resample > 1 else {})
        x = starting_x(model.schedule, request.init_image, noise, start)
        with torch.inference_mode():
            result = sampler(denoiser, x, timesteps, generator=generators, callback=on_step, cancel=cancel, **kwargs)
        images.append(to_uint8(result))

    return GenerationResult(
        images=np.concatenate(images),
        sampler=sampler_name,
        steps=steps,
        timesteps=timesteps,
        model_weights=model.weights_id,
        class_labels=guidance.class_labels if guidance else None,
        guidance_scales=guidance.scales if guidance else None,
        resample=resample,
        init_image=None if request.init_image is None else to_uint8(request.init_image[None])[0],
        trajectory_x_t=[np.concatenate(f) for f in x_t_frames] if request.keep_trajectory else [],
        trajectory_x0=[np.concatenate(f) for f in x0_frames] if request.keep_trajectory else [],
    )
