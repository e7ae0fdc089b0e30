"""Type checks for numbers read from JSON that anyone can edit (model files, PNG records).

JSON's `true` arrives as a Python bool, which is also an int, and a float may be inf or nan: both
pass a plain isinstance check and then break far from where they were read.
"""

from __future__ import annotations

import math


def is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
