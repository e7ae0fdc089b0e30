"""ModelSpec: everything needed to rebuild and run a trained model, stored as JSON beside its
weights. Validation lives here so every loader (model folder, training checkpoint, bundled model)
refuses the same bad metadata with the same clear message."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from engine.diffusion import NoiseSchedule, ScheduleConfig, SolverChoice
from engine.diffusion.prediction import check_prediction_type
from engine.errors import ConfigError, ModelLoadError
from engine.json_values import is_real, is_whole
from engine.models import CUNetConfig, SolverSettings, build_network, config_from_dict
from engine.sampling import SAMPLERS
from torch import nn

FORMAT_NAME = "cunet-studio-model"
FORMAT_VERSION = 1
DEFAULT_SAMPLER, DEFAULT_SAMPLER_STEPS = "dpmpp-2m", 20  # for a card without a (usable) recommendation
# Guidance scale for a class-conditional model whose card recommends none: a middle value, not a
# measured one (benchmarks/guidance_sweep.py measures a model's own; docs/models.md).
DEFAULT_GUIDANCE = 2.0


@dataclass(frozen=True)
class ModelSpec:
    """What a model is. `card` is free-form descriptive metadata (display_name, description,
    dataset, licence, training provenance, recommended sampler/steps/guidance, measured quality).
    `class_names`: the readable name of each class of a class-conditional model, index i naming
    class label i; empty for an unconditional model. The network's `num_classes` always matches it.
    `trained_solvers`: every ODE solver a solver-robust run (`engine train --solver-mix`) trained the
    network with, its `trained_solver` among them; empty for a network trained with that one alone."""

    arch: str
    network: dict[str, Any]
    image_size: int
    channels: int
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    prediction: str = "eps"
    card: dict[str, Any] = field(default_factory=dict)
    class_names: tuple[str, ...] = ()
    trained_solvers: tuple[SolverSettings, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_names", _checked_class_names(self.class_names))
        object.__setattr__(self, "trained_solvers", _checked_solvers(self.trained_solvers))

    def build_network(self) -> nn.Module:
        return build_network(self.arch, config_from_dict(self.arch, self.network))

    def build_schedule(self) -> NoiseSchedule:
        return NoiseSchedule(self.schedule)

    @property
    def takes_noise_map(self) -> bool:
        """True for a network with a per-pixel noise-level input (the photo denoiser)."""
        return bool(self.network.get("noise_map", False))

    @property
    def trained_solver(self) -> SolverSettings | None:
        """The ODE solver the network was trained with (recorded in `network`): what sampling
        runs unless a request asks for another, and the solver dial's "as trained". None for a
        network without ODE blocks (the U-Net), which takes no solver: this is the one answer to
        "does this model have a solver?" for the engine, the CLI, the app and the benchmarks."""
        config = config_from_dict(self.arch, self.network)
        return config.solver if isinstance(config, CUNetConfig) else None

    def solver_used(self, requested: SolverChoice | None) -> SolverChoice | None:
        """The solver a request for `requested` (None: as trained) runs, for reports: the trained
        one unless another (or a step-aware schedule) is asked for, and None for a network
        without ODE blocks, which ignores any."""
        trained = self.trained_solver
        return None if trained is None else requested or trained

    def trained_solvers_label(self) -> str:
        """The solvers a solver-robust network was trained for, fewest evaluations first, in words
        ("euler × 1, midpoint × 1, rk4 × 1 and rk4 × 2"); "" for any other network."""
        labels = [s.label() for s in sorted(self.trained_solvers, key=lambda s: (s.evals_per_block(), s.method))]
        return f"{', '.join(labels[:-1])} and {labels[-1]}" if len(labels) > 1 else "".join(labels)

    @property
    def is_conditional(self) -> bool:
        """True for a class-conditional model (sampled with a class and a guidance scale)."""
        return bool(self.class_names)

    @property
    def sees_only_nearby_pixels(self) -> bool:
        """True for a network whose output at a pixel depends only on pixels near it (no
        attention, no normalisation over the image): it can denoise a tile of any size as it
        would the whole photo, so large tiles (less overlap to compute twice) are safe."""
        return (self.arch == "cunet" and not self.network.get("attention_levels")
                and self.network.get("norm") == "pixel")

    @property
    def can_generate(self) -> bool:
        """False for denoising-only models: trained up to `max_step` < T, they never saw pure
        noise, so sampling from it gives garbage (they belong on the Denoise page)."""
        return self.schedule.max_step is None or self.schedule.max_step >= self.schedule.timesteps - 1

    def recommended_sampler(self) -> tuple[str, int]:
        """The card's (sampler, steps), else DPM-Solver++ 20. The card is free-form, copied along with
        model folders from anywhere: a malformed recommendation (or a sampler this version does not
        have) falls back instead of failing."""
        rec = self.card.get("recommended")
        rec = rec if isinstance(rec, dict) else {}
        sampler, steps = rec.get("sampler"), rec.get("steps")
        return (sampler if isinstance(sampler, str) and sampler in SAMPLERS else DEFAULT_SAMPLER,
                steps if is_whole(steps) and 1 <= steps <= self.schedule.timesteps else DEFAULT_SAMPLER_STEPS)

    @property
    def checked_in_bf16(self) -> bool:
        """Whether the card says the model was measured to denoise as well in bfloat16
        (`"recommended": {"precision": "bf16"}`): only such a model is run in bf16 by default,
        since a network's accuracy in bf16 is a property measured per model, not assumed."""
        rec = self.card.get("recommended")
        return isinstance(rec, dict) and rec.get("precision") == "bf16"

    def recommended_guidance(self, class_label: int | None = None) -> float:
        """The card's guidance scale for a class-conditional model: class `class_label`'s own where
        the card gives one (`class_guidance_scales`), else the model's, else DEFAULT_GUIDANCE (a
        malformed one falls back, as for the sampler)."""
        own = self.class_guidance_scales().get(class_label) if class_label is not None else None
        if own is not None:
            return own
        rec = self.card.get("recommended")
        guidance = rec.get("guidance") if isinstance(rec, dict) else None
        return float(guidance) if is_real(guidance) and guidance >= 0 else DEFAULT_GUIDANCE

    def class_guidance_scales(self) -> dict[int, float]:
        """The classes the card recommends a scale of their own for, by index: its
        `"recommended": {"class_guidance": {name: scale}}`. Why per class: one scale can be too
        weak for some classes and too strong for others (fashion's T-shirts lose their variety at
        a scale the other garments need to be recognisable; docs/models.md). Names are matched as
        the model spells them; unknown names and scales that are not numbers >= 0 are left out."""
        rec = self.card.get("recommended")
        scales = rec.get("class_guidance") if isinstance(rec, dict) else None
        if not isinstance(scales, dict):
            return {}
        index = {name: position for position, name in enumerate(self.class_names)}
        return {index[name]: float(scale) for name, scale in scales.items()
                if name in index and is_real(scale) and scale >= 0}

    def class_shares(self) -> tuple[float, ...] | None:
        """How often a random class per image draws each class: the card's `class_shares` (the
        training data's, which a conditional run records), normalised; None (every class equally
        often) for a card without them or with unusable ones (not one non-negative number per
        class, or all zero), as for the sampler. Why the data's: a model's images are measured
        against real images in the data's mix of classes, and on data as uneven as Noto's emoji
        (60 % "People & Body") equal shares alone put FD in the hundreds."""
        shares = self.card.get("class_shares")
        if not isinstance(shares, list) or len(shares) != len(self.class_names) \
                or not all(is_real(share) and share >= 0 for share in shares) or sum(shares) <= 0:
            return None
        total = float(sum(shares))
        return tuple(float(share) / total for share in shares)

    def to_json(self) -> str:
        data = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **dataclasses.asdict(self)}
        return json.dumps(data, indent=2, sort_keys=True)

    @staticmethod
    def from_json(text: str, source: str) -> "ModelSpec":
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ModelLoadError(f"{source}: metadata is not valid JSON ({error})") from None
        return ModelSpec.from_dict(data, source)

    @staticmethod
    def from_dict(data: Any, source: str) -> "ModelSpec":
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ModelLoadError(f"{source}: not a cUNet Studio model (missing format tag {FORMAT_NAME!r})")
        if data.get("format_version") != FORMAT_VERSION:
            raise ModelLoadError(
                f"{source}: model format version {data.get('format_version')!r} is not supported "
                f"(this version reads {FORMAT_VERSION})"
            )
        try:
            spec = ModelSpec(
                arch=_typed(data, "arch", str),
                network=_typed(data, "network", dict),
                image_size=_typed(data, "image_size", int),
                channels=_typed(data, "channels", int),
                schedule=ScheduleConfig(**_typed(data, "schedule", dict)),
                prediction=check_prediction_type(_typed(data, "prediction", str)),
                card=_typed(data, "card", dict),
                class_names=data.get("class_names", ()),
                trained_solvers=data.get("trained_solvers", ()),
            )
            config = config_from_dict(spec.arch, spec.network)
        except (ConfigError, TypeError) as error:
            raise ModelLoadError(f"{source}: invalid metadata: {error}") from None
        if spec.trained_solvers and spec.trained_solver not in spec.trained_solvers:
            raise ModelLoadError(f"{source}: metadata lists trained solvers without the one its network samples with")
        if config.num_classes != len(spec.class_names):
            raise ModelLoadError(f"{source}: metadata names {len(spec.class_names)} classes but the network is built "
                                 f"for {config.num_classes}")
        if getattr(config, "in_channels", None) != spec.channels:
            raise ModelLoadError(
                f"{source}: metadata says {spec.channels} channels but the network is built for "
                f"{getattr(config, 'in_channels', '?')}"
            )
        if not 4 <= spec.image_size <= 4096:
            raise ModelLoadError(f"{source}: image_size {spec.image_size} is out of range")
        return spec


def _checked_class_names(value: Any) -> tuple[str, ...]:
    """Non-empty names, distinct whatever their case: a class is chosen by its name, in any case."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(name, str) and name.strip() for name in value):
        raise ConfigError("class_names should be a list of non-empty names")
    if len({name.casefold() for name in value}) != len(value):
        raise ConfigError(f"class_names names a class twice: {', '.join(value)}")
    return tuple(value)


def _checked_solvers(value: Any) -> tuple[SolverSettings, ...]:
    """Solver settings, given as such or as the tables model.json stores them as."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(s, (dict, SolverSettings)) for s in value):
        raise ConfigError("trained_solvers should be a list of solver settings")
    return tuple(s if isinstance(s, SolverSettings) else SolverSettings(**s) for s in value)


def _typed(data: dict, key: str, kind: type) -> Any:
    if key not in data:
        raise ConfigError(f"missing field {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"field {key!r} should be {kind.__name__}, got {type(value).__name__}")
    return value
