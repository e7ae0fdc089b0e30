"""A class-conditional model's classes: stored in model.json with readable names, read back
checked against the network, and chosen by name or index."""

import dataclasses
import json

import pytest

from engine.checkpoints import ModelSpec, load_model
from engine.checkpoints.model_files import MODEL_JSON
from engine.checkpoints.spec import DEFAULT_GUIDANCE
from engine.errors import ConfigError, ModelLoadError
from engine.guidance import class_guidance, class_index, recommended_guidance_listing
from helpers import save_tiny_model, tiny_spec

FASHION = ("T-shirt/top", "Trouser", "Pullover")


def test_class_names_survive_model_json_and_size_the_network(tmp_path):
    model = load_model(save_tiny_model(tmp_path / "m", class_names=FASHION))
    assert model.spec.class_names == FASHION and model.spec.is_conditional
    assert model.network.class_embedding.num_embeddings == len(FASHION) + 1
    assert json.loads((tmp_path / "m" / MODEL_JSON).read_text())["class_names"] == list(FASHION)


def test_a_model_json_without_class_names_is_unconditional(tmp_path):
    folder = save_tiny_model(tmp_path / "m")
    data = json.loads((folder / MODEL_JSON).read_text())
    del data["class_names"]
    del data["network"]["num_classes"]  # written before classes existed
    (folder / MODEL_JSON).write_text(json.dumps(data))
    spec = load_model(folder).spec
    assert spec.class_names == () and not spec.is_conditional


@pytest.mark.parametrize("names, message", [(["a", "b"], "names 2 classes but the network is built for 3"),
                                            (["a", "B", "b"], "names a class twice"),
                                            (["a", "", "c"], "non-empty names"),
                                            ("abc", "non-empty names")])
def test_class_names_that_do_not_fit_are_refused(names, message):
    data = json.loads(tiny_spec(class_names=("x", "y", "z")).to_json()) | {"class_names": names}
    with pytest.raises(ModelLoadError, match=message):
        ModelSpec.from_dict(data, "m")


def test_guidance_defaults_to_the_cards_recommendation_else_the_default():
    spec = tiny_spec(class_names=FASHION)
    assert spec.recommended_guidance() == DEFAULT_GUIDANCE
    for value, expected in ((3.5, 3.5), (0, 0.0), (-1, DEFAULT_GUIDANCE), ("strong", DEFAULT_GUIDANCE)):
        card = spec.card | {"recommended": {"sampler": "ddim", "steps": 4, "guidance": value}}
        assert dataclasses.replace(spec, card=card).recommended_guidance() == expected


def test_a_card_may_recommend_some_classes_a_scale_of_their_own():
    spec = tiny_spec(class_names=FASHION)
    own = {"T-shirt/top": 1.0, "Pullover": 0, "Hat": 3.0, "Trouser": "strong"}  # a class it lacks, a bad scale
    card = spec.card | {"recommended": {"guidance": 1.2, "class_guidance": own}}
    spec = dataclasses.replace(spec, card=card)
    assert spec.class_guidance_scales() == {0: 1.0, 2: 0.0}
    assert [spec.recommended_guidance(label) for label in (0, 1, 2, None)] == [1.0, 1.2, 0.0, 1.2]
    assert recommended_guidance_listing(spec) == "1.2 (T-shirt/top 1, Pullover 0)"
    guidance = class_guidance(spec, "fashion", None, None, range(3), random_class=True)
    assert guidance.scales == tuple(spec.recommended_guidance(label) for label in guidance.class_labels)
    assert class_guidance(spec, "fashion", 0, None, range(2)).scales == (1.0, 1.0)
    assert class_guidance(spec, "fashion", 0, 2.5, range(2)).scales == (2.5, 2.5)  # asked for: the card's is not used


def test_a_card_without_scales_per_class_gives_every_class_the_models_one():
    spec = tiny_spec(class_names=FASHION)
    for malformed in (None, [1.0, 2.0], "1.0"):
        card = spec.card | {"recommended": {"guidance": 1.5, "class_guidance": malformed}}
        changed = dataclasses.replace(spec, card=card)
        assert changed.class_guidance_scales() == {} and changed.recommended_guidance(0) == 1.5
        assert recommended_guidance_listing(changed) == "1.5"


def test_a_class_is_chosen_by_name_in_any_case_or_by_index():
    spec = tiny_spec(class_names=FASHION)
    assert class_index(spec, "fashion", "trouser") == 1
    assert class_index(spec, "fashion", " T-SHIRT/TOP ") == 0
    assert class_index(spec, "fashion", "2") == 2
    with pytest.raises(ConfigError, match="fashion has no class 'Hat'; its classes are 0 T-shirt/top, 1 Trouser, "
                                          "2 Pullover"):
        class_index(spec, "fashion", "Hat")
    with pytest.raises(ConfigError, match="fashion has no class 3; its classes"):
        class_index(spec, "fashion", "3")


def test_names_win_over_indices_for_classes_named_by_numbers():
    assert class_index(tiny_spec(class_names=("1", "2", "5")), "odd", "2") == 1


def test_a_class_of_an_unconditional_model_is_refused_naming_the_model():
    with pytest.raises(ConfigError, match="digits is not a class-conditional model"):
        class_index(tiny_spec(), "digits", "3")
    with pytest.raises(ConfigError, match="digits is not a class-conditional model"):
        class_guidance(tiny_spec(), "digits", 3, None, range(2))
    with pytest.raises(ConfigError, match="digits is not a class-conditional model"):
        class_guidance(tiny_spec(), "digits", None, None, range(2), random_class=True)
    assert class_guidance(tiny_spec(), "digits", None, None, range(2)) is None


def test_guidance_is_the_class_of_every_image_the_null_label_and_the_scale():
    guidance = class_guidance(tiny_spec(class_names=FASHION), "fashion", 2, None, range(5, 8))
    assert (guidance.class_labels, guidance.null_label, guidance.scales) == ((2, 2, 2), 3, (DEFAULT_GUIDANCE,) * 3)
    assert class_guidance(tiny_spec(class_names=FASHION), "fashion", 0, 0.5, range(1)).scales == (0.5,)
    with pytest.raises(ConfigError, match="fashion has no class 7"):
        class_guidance(tiny_spec(class_names=FASHION), "fashion", 7, 1.0, range(1))


def test_a_random_class_is_drawn_per_image_from_its_seed_whatever_the_generation_around_it():
    spec = tiny_spec(class_names=tuple("abcdefghij"))
    labels = class_guidance(spec, "letters", None, None, range(100, 140), random_class=True).class_labels
    assert len(set(labels)) >= 8  # forty draws over ten classes: all but a couple turn up
    again = class_guidance(spec, "letters", None, 1.0, range(120, 125), random_class=True).class_labels
    assert again == labels[20:25]
    assert labels != class_guidance(spec, "letters", None, None, range(101, 141), random_class=True).class_labels
    with pytest.raises(ConfigError, match="one class or a random class per image, not both"):
        class_guidance(spec, "letters", 2, None, range(3), random_class=True)


def test_a_random_class_is_drawn_as_often_as_the_cards_class_shares_say():
    """Noto's emoji are 60 % "People & Body": a random class drawn equally often would be measured
    against real images of another mix, so a card's `class_shares` set the draw."""
    even = tiny_spec(class_names=FASHION)
    uneven = dataclasses.replace(even, card={"class_shares": [0.6, 0.3, 0.1]})
    assert uneven.class_shares() == pytest.approx((0.6, 0.3, 0.1)) and even.class_shares() is None
    labels = class_guidance(uneven, "m", None, None, range(4000), random_class=True).class_labels
    assert [labels.count(c) / 4000 for c in range(3)] == pytest.approx([0.6, 0.3, 0.1], abs=0.03)
    assert class_guidance(uneven, "m", None, None, range(7, 9), random_class=True).class_labels == labels[7:9]
    never = dataclasses.replace(even, card={"class_shares": [1, 0, 0]})
    assert set(class_guidance(never, "m", None, None, range(50), random_class=True).class_labels) == {0}
    for unusable in ([0.5, 0.5], [1, -1, 1], [0, 0, 0], "0.6,0.3,0.1", [0.6, None, 0.1]):
        assert dataclasses.replace(even, card={"class_shares": unusable}).class_shares() is None
    assert class_guidance(even, "m", None, None, range(40), random_class=True).class_labels == class_guidance(
        dataclasses.replace(even, card={"class_shares": [0, 0]}), "m", None, None, range(40), random_class=True
    ).class_labels  # unusable shares draw as a card without them: equally often
