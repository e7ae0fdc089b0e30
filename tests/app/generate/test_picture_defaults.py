"""Where the sampler and class controls move as a start picture and its mask come and go (pure Python)."""

from __future__ import annotations

from app.generate.picture_defaults import PictureDefaults, default_class_choice
from engine.guidance import RANDOM_CHOICE
from engine.steering import INPAINTING_SAMPLER
from helpers import tiny_spec

PLAIN = tiny_spec(1, 8)
CLASSES = tiny_spec(1, 8, ("a", "b"))


def test_a_mask_moves_the_recommended_sampler_once_each_way_and_leaves_a_chosen_one():
    defaults = PictureDefaults()
    recommended = PLAIN.recommended_sampler()
    assert defaults.sampler_move(PLAIN, True, recommended) == INPAINTING_SAMPLER
    assert defaults.sampler_move(PLAIN, True, INPAINTING_SAMPLER) is None  # still masked: no second move
    assert defaults.sampler_move(PLAIN, False, INPAINTING_SAMPLER) == recommended
    assert defaults.sampler_move(PLAIN, True, ("ddim", 7)) is None  # the user's sampler stands
    assert defaults.masked


def test_a_start_picture_moves_a_random_class_to_any_and_back_only_where_it_moved_it():
    defaults = PictureDefaults()
    assert default_class_choice(False) == RANDOM_CHOICE and default_class_choice(True) is None
    assert defaults.class_move(CLASSES, True, RANDOM_CHOICE)
    assert not defaults.class_move(CLASSES, True, None)  # no change of situation
    assert defaults.class_move(CLASSES, False, None)  # back: the page had moved it
    assert not defaults.class_move(CLASSES, True, 1)  # a chosen class stands
    assert not defaults.class_move(CLASSES, False, 1)
    defaults.set_for(masked=False, pictured=False, class_moved=False)
    assert not defaults.class_move(CLASSES, True, None)  # "Any" chosen by the user before the picture...
    assert not defaults.class_move(CLASSES, False, None)  # ...stays when it goes


def test_a_model_without_classes_has_no_class_to_move():
    defaults = PictureDefaults()
    assert not defaults.class_move(PLAIN, True, RANDOM_CHOICE)
    assert not defaults.class_move(PLAIN, False, None)
