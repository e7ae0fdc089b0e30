"""Starting a run from a trained model's weights (`--init-from`): fine-tuning.

The model must have the run's architecture (the ODE solver may differ: it has no weights), with three
exceptions, each a part the new network initialises so that the run starts out computing exactly
the model it starts from:

* an unconditional model may start a class-conditional run: its weights lack only the class
  embedding (`ClassEmbedding`), whose "no class" row starts at zero, so a conditional version of a
  bundled model is a fine-tune that starts as that model when asked for no class (the class rows
  start small and random, so that the classes are told apart from the first step);
* a cUNet may start a run with more fine blocks (`--network '{"fine_blocks": 3}'`): the added ODE
  blocks start as the identity (`grown_block_weights`), so a trained photo denoiser can be given
  detail capacity without starting over;
* a cUNet may start a run whose levels are whole multiples as wide (`--network '{"channel_mults": …}'`):
  its weights are widened so that the wide network computes what the narrow one did
  (`engine.models.widen`), so a wider photo denoiser starts from the bundled one's training.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from engine.checkpoints import ModelSpec, ModelStore, load_model, read_spec
from engine.errors import ConfigError, ModelLoadError
from engine.models import class_embedding_weights, config_from_dict, grown_block_weights
from engine.models.widen import widened_weights

# What a fine-tune's card takes from its starting model's recommendation (`inherited_card`).
INHERITED_RECOMMENDATION = ("sampler", "steps", "guidance", "class_guidance")
# Config fields an --init-from model may differ in: the solver has no weights; the classes, the
# fine blocks and a cUNet's widths are checked on their own (the run may add any of them).
_FREE_FIELDS = ("solver", "num_classes", "fine_blocks")
_CUNET_WIDTH_FIELDS = ("base_channels", "channel_mults")


def initial_weights(model: str, spec: ModelSpec, seed: int = 0) -> dict[str, torch.Tensor]:
    """The weights of `model` (name or folder) for a run of `spec` that fine-tunes it; checked
    before the run writes anything, so the run's network can load them (`strict=False`: only its
    class embedding and added fine blocks may be missing). `seed` draws a widening's split fractions."""
    source = load_model(ModelStore().resolve(model))
    ours, theirs = (_architecture(s) for s in (spec, source.spec))
    if source.spec.arch != spec.arch or ours != theirs:
        differing = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k)) or ["arch"]
        raise ConfigError(f"--init-from {model}: its network differs from this run's ({', '.join(differing)}); "
                          "leave --preset and --network out to take its architecture")
    theirs_blocks, ours_blocks = (s.network.get("fine_blocks", 1) for s in (source.spec, spec))
    if ours_blocks < theirs_blocks:
        raise ConfigError(f"--init-from {model}: it has {theirs_blocks} fine blocks, this run {ours_blocks}; "
                          "a run may add fine blocks, not remove them")
    theirs_classes, ours_classes = len(source.spec.class_names), len(spec.class_names)
    if theirs_classes not in (0, ours_classes):
        this_run = f"this run on {ours_classes}" if ours_classes else "this run is unconditional (no --classes)"
        raise ConfigError(f"--init-from {model}: it is conditional on {theirs_classes} classes, {this_run}; "
                          "a conditional model can only be fine-tuned on as many classes")
    weights = source.network.state_dict()
    if spec.arch == "cunet":
        narrow, wide = (config_from_dict(s.arch, s.network) for s in (source.spec, spec))
        try:
            weights = widened_weights(weights, narrow, wide, torch.Generator().manual_seed(seed))
        except ConfigError as error:
            raise ConfigError(f"--init-from {model}: {error}") from None
    check_weights_fit(model, spec, weights)
    return weights


def inherited_card(model: str, card: dict[str, Any]) -> dict[str, Any]:
    """The card fields of a run that fine-tunes `model`: `card` (the run's --card) over the sampler,
    steps and guidance (with any scales per class) `model` recommends. Without them a fine-tune of
    a bundled model would recommend what a run from scratch does, its preview grids' ancestral 25
    steps (chosen for early training), and `engine sample --model RUN` or Generate would sample it worse than its parent
    was measured to sample. The parent's quality figures and solver schedule are measurements of
    its own weights, so they stay behind; a --card recommendation replaces the inherited one."""
    recommended = read_spec(ModelStore().resolve(model)).card.get("recommended")
    kept = {k: v for k, v in recommended.items() if k in INHERITED_RECOMMENDATION} if isinstance(recommended, dict) else {}
    return ({"recommended": kept} if kept else {}) | card


def _architecture(spec: ModelSpec) -> dict:
    """The network config with every field, defaults filled in (a model.json written before a
    field existed lacks it), less the fields a starting model may differ in."""
    config = dataclasses.asdict(config_from_dict(spec.arch, spec.network))
    free = _FREE_FIELDS + (_CUNET_WIDTH_FIELDS if spec.arch == "cunet" else ())
    return {k: v for k, v in config.items() if k not in free}


def check_weights_fit(model: str, spec: ModelSpec, weights: dict[str, torch.Tensor]) -> None:
    """Refuse weights that leave any of the network's weights unset but those it starts on its own
    (its class embedding, added fine blocks), or that hold weights it does not have (the network is
    only shaped, on the meta device)."""
    with torch.device("meta"):
        network = spec.build_network()
    shapes = {key: tensor.shape for key, tensor in network.state_dict().items()}
    missing = sorted(shapes.keys() - weights.keys() - class_embedding_weights(network) - grown_block_weights(network))
    unexpected = sorted(weights.keys() - shapes.keys())
    misshapen = sorted(key for key in weights.keys() & shapes.keys() if weights[key].shape != shapes[key])
    if missing or unexpected or misshapen:
        raise ModelLoadError(f"--init-from {model}: its weights do not fit this run's network ({len(missing)} "
                             f"missing, e.g. {missing[:2]}; {len(unexpected)} unexpected, e.g. {unexpected[:2]}; "
                             f"{len(misshapen)} of another shape, e.g. {misshapen[:2]})")
