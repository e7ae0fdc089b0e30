"""Growing a cUNet by fine blocks (`--network '{"fine_blocks": N}'` with --init-from): the added
ODE blocks start as the identity, so the run starts out computing exactly the model it grew from."""

import pytest
import torch

from engine.checkpoints import load_model
from engine.errors import ConfigError, ModelLoadError
from engine.models import CUNet, CUNetConfig, grown_block_weights
from engine.training import model_spec_for, train
from engine.training.init_from import check_weights_fit
from training.test_training import TINY_NETWORK, tiny_config

GROWN = TINY_NETWORK | {"fine_blocks": 3}


def outputs(model, x, t):
    with torch.no_grad():
        return model.network(x, t)


def test_fine_blocks_add_identity_blocks_on_both_sides_of_the_finest_level():
    plain = CUNet(CUNetConfig(in_channels=1, **TINY_NETWORK))
    grown = CUNet(CUNetConfig(in_channels=1, **GROWN))
    assert grown.ode_block_count() == plain.ode_block_count() + 4
    assert {k.split(".more_blocks.")[0] for k in grown_block_weights(grown)} == {"down_blocks.0", "up_blocks.0"}
    grown.load_state_dict(plain.state_dict(), strict=False)
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([3, 40])
    with torch.no_grad():
        assert torch.equal(grown(x, t), plain(x, t))


@pytest.mark.parametrize("value", [0, 1.5, "2"])
def test_fine_blocks_must_be_a_whole_number_from_one(value):
    with pytest.raises(ConfigError, match="fine_blocks must be a whole number >= 1"):
        CUNetConfig(fine_blocks=value)


def test_a_model_starts_a_run_with_more_fine_blocks_computing_exactly_itself(tmp_path):
    source = load_model(train(tiny_config(tmp_path, "source", steps=3)).model_dir)
    grown = load_model(train(tiny_config(tmp_path, "grown", steps=1, lr=1e-12, warmup_steps=1, ema_decay=0.0,
                                         network_overrides=GROWN, init_from=str(source.source))).model_dir)
    assert grown.network.ode_block_count() == source.network.ode_block_count() + 4
    x, t = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)), torch.tensor([5, 90])
    assert torch.allclose(outputs(grown, x, t), outputs(source, x, t), atol=1e-6)


def test_a_run_may_add_fine_blocks_but_not_remove_them(tmp_path):
    source = train(tiny_config(tmp_path, "source", steps=1, network_overrides=GROWN)).model_dir
    with pytest.raises(ConfigError, match="it has 3 fine blocks, this run 1; a run may add fine blocks, not remove"):
        train(tiny_config(tmp_path, "shrunk", init_from=str(source)))
    assert not (tmp_path / "shrunk").exists()


def test_only_the_added_blocks_may_be_missing_from_a_smaller_models_weights(tmp_path):
    spec = model_spec_for(tiny_config(tmp_path, network_overrides=GROWN))
    smaller = model_spec_for(tiny_config(tmp_path)).build_network().state_dict()
    check_weights_fit("m", spec, smaller)
    with pytest.raises(ModelLoadError, match="1 missing, e.g. \\['stem.weight'\\]"):
        check_weights_fit("m", spec, {k: v for k, v in smaller.items() if k != "stem.weight"})
