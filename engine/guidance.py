"""Which class a generation asks for and how strongly it is guided toward it: the one place that
checks a class against a model and fills in the model's recommended guidance scale, for the CLI,
the GUI and the benchmarks alike (classifier-free guidance itself is `ClassGuidance`)."""

from __future__ import annotations

from engine.checkpoints import ModelSpec
from engine.diffusion import ClassGuidance
from engine.errors import ConfigError


def class_listing(class_names: tuple[str, ...]) -> str:
    """"0 T-shirt/top, 1 Trouser, ...": every class with the index that also chooses it."""
    return ", ".join(f"{index} {name}" for index, name in enumerate(class_names))


def class_index(spec: ModelSpec, model_name: str, choice: str) -> int:
    """The class `choice` names: a class name in any case, else an index from 0. Names are
    looked at first, so a model whose classes are numbers ("1", "2", "5") is asked for them by
    what it calls them."""
    _require_classes(spec, model_name)
    by_name = {name.casefold(): index for index, name in enumerate(spec.class_names)}
    wanted = choice.strip()
    if wanted.casefold() in by_name:
        return by_name[wanted.casefold()]
    if wanted.isdecimal():
        return _checked(spec, model_name, int(wanted))
    raise ConfigError(f"{model_name} has no class {choice!r}; its classes are {class_listing(spec.class_names)}")


def class_guidance(spec: ModelSpec, model_name: str, class_label: int | None,
                   guidance: float | None) -> ClassGuidance | None:
    """The guidance a generation runs with: None without a class (an unconditional sample, as from
    any model), else the class, checked against the model, at `guidance` or the model's
    recommended scale."""
    if class_label is None:
        return None
    _require_classes(spec, model_name)
    scale = spec.recommended_guidance() if guidance is None else guidance
    return ClassGuidance(class_label=_checked(spec, model_name, class_label), null_label=len(spec.class_names),
                         scale=scale)


def _require_classes(spec: ModelSpec, model_name: str) -> None:
    if not spec.is_conditional:
        raise ConfigError(f"{model_name} is not a class-conditional model: it has no classes to choose from "
                          "(sample it without a class)")


def _checked(spec: ModelSpec, model_name: str, class_label: int) -> int:
    if not 0 <= class_label < len(spec.class_names):
        raise ConfigError(f"{model_name} has no class {class_label}; its classes are "
                          f"{class_listing(spec.class_names)}")
    return class_label
