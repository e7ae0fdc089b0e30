"""`WIDTH_FIELDS` names, for every architecture, the config field that sets its base width: the
Train page's "Width" box writes it into `network_overrides`, so a renamed field must fail here, not
in a user's run."""

from __future__ import annotations

import dataclasses

import pytest

from engine.models import ARCHITECTURES, WIDTH_FIELDS, build_network, config_from_dict, preset_config


def test_every_architecture_has_a_width_field():
    assert set(WIDTH_FIELDS) == set(ARCHITECTURES)


@pytest.mark.parametrize("preset", ["cunet-small", "unet-small"])
def test_the_width_field_scales_the_network(preset):
    arch, config = preset_config(preset, channels=1)

    def first_layer_width(width: int) -> int:
        network = build_network(arch, config_from_dict(arch, dataclasses.asdict(config) | {WIDTH_FIELDS[arch]: width}))
        return next(module.out_channels for module in network.modules() if hasattr(module, "out_channels"))

    assert first_layer_width(16) == 2 * first_layer_width(8)
