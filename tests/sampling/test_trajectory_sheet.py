"""The trajectory contact sheet's rows: evenly spaced steps from the first to the last."""

from __future__ import annotations

import pytest

from engine.trajectory import SHEET_ROWS, sheet_steps


@pytest.mark.parametrize("steps", [1, 2, 5, SHEET_ROWS, 50, 1000])
def test_rows_span_the_whole_reverse_process(steps):
    picks = sheet_steps(steps)
    assert picks[0] == 0 and picks[-1] == steps - 1  # 5 steps showed only steps 0-2
    assert len(picks) == min(SHEET_ROWS, steps) and picks == sorted(set(picks))
