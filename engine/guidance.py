"""Which class a generation asks for and how strongly it is guided toward it: the one place that
checks a class against a model, draws the classes of a random-class generation (a class per image,
each guided: a model's own classes make better pictures than its unconditional output) and fills
in the model's recommended guidance scale, for the CLI, the GUI and the benchmarks alike
(classifier-free guidance itself is `ClassGuidance`)."""

from __future__ import annotations

import numpy as np

from engine.checkpoints import ModelSpec
from engine.diffusion import ClassGuidance
from engine.errors import ConfigError

RANDOM_CHOICE = "random"  # the class choice of a random class per image (`engine sample --class random`)
CLASS_STREAM = 0xC1A55  # the second word of a random class's seed (`drawn_class`)


def class_listing(class_names: tuple[str, ...]) -> str:
    """"0 T-shirt/top, 1 Trouser, ...": every class with the index that also chooses it; classes
    named by their own index (digits) once each: "0, 1, 2, ...", not "0 0, 1 1, 2 2"."""
    return ", ".join(name if name == str(index) else f"{index} {name}" for index, name in enumerate(class_names))


def guidance_words(scale: float | None) -> str:
    """"guidance 1.4"; for None, a generation whose images each had their own class's recommended
    scale (a random class per image on a model that recommends scales per class)."""
    return "each class's recommended guidance" if scale is None else f"guidance {scale:g}"


def recommended_guidance_listing(spec: ModelSpec) -> str:
    """"1.4", or "1.2 (T-shirt/top 1, Trouser 1)" where the card recommends some classes a scale
    of their own: what guidance a class gets when none is asked for."""
    own = spec.class_guidance_scales()
    return guidance_listing(spec.recommended_guidance(),
                            {spec.class_names[index]: scale for index, scale in sorted(own.items())})


def guidance_listing(usual: float, own: dict[str, float]) -> str:
    """"1.2 (T-shirt/top 1, Trouser 1)": the scale most classes get, then the classes with their own."""
    exceptions = ", ".join(f"{name} {scale:g}" for name, scale in own.items())
    return f"{usual:g}" + (f" ({exceptions})" if exceptions else "")


def scales_by_class(class_names: tuple[str, ...], class_labels: tuple[int, ...],
                    scales: tuple[float, ...]) -> dict[str, float]:
    """Each class's guidance scale in a generation whose images had their classes' own (class name
    -> scale, in class order): what `engine eval --json` records of such a run, so a card's
    recommendation can be rebuilt from the run that measured it."""
    return {class_names[label]: scale for label, scale in sorted(set(zip(class_labels, scales)))}


def class_share_listing(spec: ModelSpec) -> str | None:
    """"People & Body 59.7 %, Flags 7.1 %, ...": how often a random class per image draws each
    class, most often first, where the card records the training data's shares (`class_shares`);
    None where every class is drawn equally often, which needs no saying."""
    shares = spec.class_shares()
    if shares is None:
        return None
    ordered = sorted(zip(spec.class_names, shares), key=lambda pair: -pair[1])
    # A no-break space before "%", so a wrapped card line never leaves the sign alone at a line's start.
    return ", ".join(f"{name} {100 * share:.1f}\u00a0%" for name, share in ordered)


def class_index(spec: ModelSpec, model_name: str, choice: str) -> int:
    """The class `choice` names: a class name in any case, else an index from 0. Names are
    looked at first, so a model whose classes are numbers ("1", "2", "5") is asked for them by
    what it calls them."""
    require_classes(spec, model_name)
    by_name = {name.casefold(): index for index, name in enumerate(spec.class_names)}
    wanted = choice.strip()
    if wanted.casefold() in by_name:
        return by_name[wanted.casefold()]
    if wanted.isdecimal():
        return _checked(spec, model_name, int(wanted))
    raise ConfigError(f"{model_name} has no class {choice!r}; its classes are {class_listing(spec.class_names)}")


def is_random_choice(spec: ModelSpec, choice: str) -> bool:
    """Whether a class choice asks for a random class per image: "random" in any case, unless the
    model has a class of that name (names win, as in `class_index`)."""
    wanted = choice.strip().casefold()
    return wanted == RANDOM_CHOICE and wanted not in (name.casefold() for name in spec.class_names)


def class_guidance(spec: ModelSpec, model_name: str, class_label: int | None, guidance: float | None,
                   seeds: range, random_class: bool = False) -> ClassGuidance | None:
    """The guidance of a generation of the images seeded `seeds`: None without a class (an
    unconditional sample, as from any model), else `class_label`, checked against the model, for
    every image, or with `random_class` a class per image (`drawn_class`), at `guidance` or each
    image's class's recommended scale."""
    if random_class and class_label is not None:
        raise ConfigError("choose one class or a random class per image, not both")
    if class_label is None and not random_class:
        return None
    require_classes(spec, model_name)
    if random_class:
        shares = spec.class_shares()
        labels = tuple(drawn_class(len(spec.class_names), seed, shares) for seed in seeds)
    else:
        labels = (_checked(spec, model_name, class_label),) * len(seeds)
    return labelled_guidance(spec, labels, guidance)


def labelled_guidance(spec: ModelSpec, labels: tuple[int, ...], guidance: float | None) -> ClassGuidance:
    """The guidance of images of classes `labels` (already checked against the model): at
    `guidance`, or each image at its class's recommended scale."""
    scales = tuple(spec.recommended_guidance(label) if guidance is None else guidance for label in labels)
    return ClassGuidance(class_labels=labels, null_label=len(spec.class_names), scales=scales)


def drawn_class(class_count: int, seed: int, shares: tuple[float, ...] | None = None) -> int:
    """The class of the image seeded `seed` in a random-class generation, each class as often as
    `shares` says (the model's `class_shares`; None = equally often). It is drawn from a stream
    of its own (the seed and CLASS_STREAM), apart from the image's noise (seeded with the seed
    alone), so the image made again with that class and seed is the same image."""
    stream = np.random.default_rng([seed, CLASS_STREAM])
    return int(stream.integers(class_count) if shares is None else stream.choice(class_count, p=shares))


def require_classes(spec: ModelSpec, model_name: str) -> None:
    """ConfigError unless the model is class-conditional: a class, or random classes, asked of any
    other model is refused in one line naming it."""
    if not spec.is_conditional:
        raise ConfigError(f"{model_name} is not a class-conditional model: it has no classes to choose from "
                          "(sample it without a class)")


def _checked(spec: ModelSpec, model_name: str, class_label: int) -> int:
    if not 0 <= class_label < len(spec.class_names):
        raise ConfigError(f"{model_name} has no class {class_label}; its classes are "
                          f"{class_listing(spec.class_names)}")
    return class_label
