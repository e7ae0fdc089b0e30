"""Where the Generate page's sampler and class controls move as a start picture and its mask come
and go (pure Python, no Qt): inpainting has a sampler of its own (`steering.recommended_sampler`,
which the CLI's defaults follow too), and a start picture is best left to decide the class. Only
defaults move: a sampler, steps or class the user chose stand, picture or not."""

from __future__ import annotations

from engine.checkpoints import ModelSpec
from engine.guidance import RANDOM_CHOICE
from engine.steering import recommended_sampler

INPAINTING_SWITCH = ("Inpainting: the sampler is now {sampler} {steps} with harmonise passes, which fit the redrawn "
                     "part to the kept one better than the model's fast sampler (choose another sampler for speed)")
PICTURE_CLASS_SWITCH = ("The class is now “Any”, so the picture decides what the images show (a random class per "
                        "image would pull each one toward another class); choose a class to steer them.")
ClassChoice = int | str | None  # a class index, RANDOM_CHOICE or None (any class): the class picker's data


def default_class_choice(pictured: bool) -> ClassChoice:
    """The class picker's choice until the user makes one: a random class per image (guided
    samples are the better pictures), but any class (unconditional) with a start picture, whose
    own content a class drawn at random fights: on the `digits` and `fashion` validation splits,
    far fewer inpainted and img2img images read as the original's class with one (docs/models.md,
    "img2img and inpainting")."""
    return None if pictured else RANDOM_CHOICE


class PictureDefaults:
    """The situation the controls were last set for (a mask or not, a start picture or not), so
    that a change of it moves them once, and back only where the page moved them."""

    def __init__(self) -> None:
        self.masked = False
        self.pictured = False
        self.class_moved = False  # the page, not the user, chose "Any" for the start picture

    def set_for(self, masked: bool, pictured: bool, class_moved: bool) -> None:
        """The controls were set for this situation otherwise: a model's defaults (`class_moved`:
        its class is `default_class_choice`), or a saved image's settings (False: the record's)."""
        self.masked, self.pictured, self.class_moved = masked, pictured, class_moved

    def sampler_move(self, spec: ModelSpec, masked: bool, current: tuple[str, int]) -> tuple[str, int] | None:
        """The sampler and steps to move to now that the mask is there (`masked`) or not: the new
        situation's recommendation, if a mask just appeared or went and the controls still hold the
        old one's; None where nothing changed or the user chose others."""
        if masked == self.masked:
            return None
        self.masked = masked
        before, after = recommended_sampler(spec, not masked), recommended_sampler(spec, masked)
        return after if current == before and after != before else None

    def class_move(self, spec: ModelSpec, pictured: bool, current: ClassChoice) -> bool:
        """Whether the class picker moves to `default_class_choice(pictured)` now that the start
        picture is there (`pictured`) or not: if it just appeared or went, for a class-conditional
        model whose picker still holds the other situation's default, and on the way back only if
        this moved it there: a class the user chose, "Any" included, is kept."""
        if pictured == self.pictured:
            return False
        self.pictured = pictured
        moved, self.class_moved = self.class_moved, False
        if not (spec.is_conditional and current == default_class_choice(not pictured) and (pictured or moved)):
            return False
        self.class_moved = pictured
        return True
