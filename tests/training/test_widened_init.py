"""Widening a cUNet by --init-from (`--network '{"channel_mults": …}'` whole multiples of the
model's): the run starts out computing exactly the narrow model, and refuses what cannot be widened
before it writes anything."""

import pytest
import torch

from engine.checkpoints import load_model
from engine.errors import ConfigError
from engine.training import train
from training.test_training import TINY_NETWORK, tiny_config

PIXEL = TINY_NETWORK | {"norm": "pixel"}
WIDE = PIXEL | {"channel_mults": [4, 8]}


def test_a_model_starts_a_wider_run_computing_exactly_itself(tmp_path):
    source = load_model(train(tiny_config(tmp_path, "source", steps=3, network_overrides=PIXEL)).model_dir)
    wide = load_model(train(tiny_config(tmp_path, "wide", steps=1, lr=1e-12, warmup_steps=1, ema_decay=0.0,
                                        network_overrides=WIDE, init_from=str(source.source))).model_dir)
    assert wide.network.config.channel_mults == (4, 8)
    assert wide.network.stem.weight.shape[0] == 2 * source.network.stem.weight.shape[0]
    x, t = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)), torch.tensor([5, 90])
    with torch.no_grad():
        assert torch.allclose(wide.network(x, t), source.network(x, t), atol=1e-5)


@pytest.mark.parametrize(("network", "message"), [
    (TINY_NETWORK | {"channel_mults": [4, 8]}, "group norm"),  # the tiny network's default norm
    (PIXEL | {"channel_mults": [3, 4]}, "whole multiple"),
])
def test_a_widening_the_rules_do_not_cover_is_refused_before_the_run_folder(tmp_path, network, message):
    source = train(tiny_config(tmp_path, "source", steps=1, network_overrides=network | {"channel_mults": [2, 4]}))
    with pytest.raises(ConfigError, match=f"--init-from .*{message}"):
        train(tiny_config(tmp_path, "wide", network_overrides=network, init_from=str(source.model_dir)))
    assert not (tmp_path / "wide").exists()
