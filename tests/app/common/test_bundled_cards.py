"""The generation models a fresh install ships: listed under their names, loadable, and each with
a card carrying what the Generate page shows beside it (issue #6's contract)."""

from __future__ import annotations

import pytest

from app.common.model_card import solver_tradeoff
from engine.checkpoints import ModelStore, load_model

GENERATION_MODELS = ("digits", "fashion", "emoji")


@pytest.mark.parametrize("name", GENERATION_MODELS)
def test_each_bundled_generation_model_loads_with_a_measured_card(name):
    entry = next(e for e in ModelStore().list() if e.name == name)
    assert entry.source == "bundled" and entry.spec.can_generate
    card = entry.spec.card
    assert card["quality"]["generated"] >= 5000 and card["quality"]["FD"] > 0
    assert card["recommended"]["sampler"] and card["licence"]
    headers, rows = solver_tradeoff(entry)
    trained = [row for row in rows if "(trained)" in row[headers.index("solver")]]
    assert len(trained) == 1 and len(rows) >= 4, rows
    assert load_model(entry.path).weights_id
