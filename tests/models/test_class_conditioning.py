"""Class-conditional networks: a class embedding with a null label that starts at zero and class
rows that start apart, joined to the time embedding, the same way in the cUNet and the discrete U-Net."""

import dataclasses

import pytest
import torch

from engine.errors import ConfigError
from engine.models import CUNet, UNet, UNetConfig, class_embedding_weights, count_parameters
from engine.models.cunet import default_config, paper_config
from engine.models.layers import CLASS_VECTOR_STD
from helpers import perturb


def tiny_cunet(**changes):
    return CUNet(dataclasses.replace(default_config(1), base_channels=4, channel_mults=(2, 4), attention_levels=(),
                                     time_embedding_dim=16, **changes))


def tiny_unet(**changes):
    return UNet(UNetConfig(in_channels=1, dim=8, dim_mults=(1, 2), groups=4, **changes))


NETWORKS = {"cunet": tiny_cunet, "unet": tiny_unet}


@pytest.mark.parametrize("family", NETWORKS)
def test_a_conditional_network_made_from_unconditional_weights_computes_the_unconditional_model_for_no_class(family):
    """The null row starts at zero: fine-tuning a bundled unconditional model into a conditional one
    starts from exactly that model when asked for no class; each class already moves it its own way."""
    torch.manual_seed(0)
    unconditional = perturb(NETWORKS[family]()).eval()
    conditional = NETWORKS[family](num_classes=3).eval()
    missing, unexpected = conditional.load_state_dict(unconditional.state_dict(), strict=False)
    assert missing == ["class_embedding.weight"] and not unexpected
    assert class_embedding_weights(conditional) == {"class_embedding.weight"}
    assert not class_embedding_weights(unconditional)
    x, t = torch.randn(3, 1, 8, 8), torch.tensor([5, 400, 900])
    with torch.no_grad():
        expected = unconditional(x, t)
        for labels in (None, torch.tensor([3, 3, 3])):
            assert torch.equal(conditional(x, t, class_labels=labels), expected)
        by_class = [conditional(x, t, class_labels=torch.full((3,), label)) for label in range(3)]
    assert all(not torch.allclose(output, expected) for output in by_class)
    assert not torch.allclose(by_class[0], by_class[1])


@pytest.mark.parametrize("family", NETWORKS)
def test_class_rows_start_small_random_and_seeded_and_the_null_row_at_zero(family):
    """Random class rows let training tell the classes apart from the first step (zero rows grew
    apart too slowly: `ClassEmbedding`); small, so the diffusion step still dominates; drawn from
    torch's seed, so a run's seed still makes the same network."""
    rows = []
    for _ in range(2):
        torch.manual_seed(7)
        rows.append(NETWORKS[family](num_classes=3).class_embedding.weight.detach())
    assert torch.equal(rows[0], rows[1])
    weight = rows[0]
    assert torch.equal(weight[3], torch.zeros_like(weight[3]))
    assert (weight[:3].norm(dim=1) > 0).all()
    spread = weight[:3].std().item()
    assert 0.5 * CLASS_VECTOR_STD < spread < 2 * CLASS_VECTOR_STD


@pytest.mark.parametrize("family", NETWORKS)
def test_trained_class_vectors_change_the_output_and_no_labels_mean_the_null_label(family):
    network = perturb(NETWORKS[family](num_classes=3)).eval()
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([300, 300])
    with torch.no_grad():
        first, second = (network(x, t, class_labels=torch.full((2,), label)) for label in (0, 1))
        assert not torch.allclose(first, second)
        assert torch.equal(network(x, t), network(x, t, class_labels=torch.full((2,), 3)))


@pytest.mark.parametrize("family", NETWORKS)
def test_labels_given_to_an_unconditional_network_are_refused(family):
    with pytest.raises(ValueError, match="unconditional: it takes no class labels"):
        NETWORKS[family]()(torch.randn(1, 1, 8, 8), torch.tensor([3]), class_labels=torch.tensor([0]))


def test_the_embedding_is_one_row_per_class_plus_the_null_label():
    network = tiny_cunet(num_classes=10)
    assert network.class_embedding.weight.shape == (11, 16)
    assert count_parameters(network) - count_parameters(tiny_cunet()) == 11 * 16


def test_class_conditioning_needs_a_time_embedding_to_join():
    with pytest.raises(ConfigError, match="without time conditioning cannot take classes"):
        dataclasses.replace(paper_config(1), num_classes=10)
    for bad in (-1, 2.5, True, "3"):
        with pytest.raises(ConfigError, match="num_classes must be a whole number"):
            UNetConfig(num_classes=bad)
