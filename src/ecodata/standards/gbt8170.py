"""GB/T 8170-2008 数值修约规则: rounding of measured values.

GB/T 8170 §3.3 rounds to the nearest multiple of the rounding interval; an exact half is rounded to
the even neighbour (四舍六入五成双). The half is decided on the *decimal* value the reader sees, so
binary noise such as ``1.15 == 1.149999…`` must not turn a printed half into "below half". Both
functions below run the same IEEE-754 operations, so the scalar and the array path give
bit-identical results.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

#: A difference this small (relative to the scaled value) from an exact half counts as the half.
_HALF_TOLERANCE = 1e-9


def round_half_even(value: float, digits: int = 0) -> float:
    """Round ``value`` to ``digits`` decimals by GB/T 8170 §3.3 (ties to even, decided on the
    decimal)."""
    if not math.isfinite(value):
        return value
    scale = 10.0**digits
    scaled = value * scale
    lower = float(math.floor(scaled))
    fraction = scaled - lower
    if abs(fraction - 0.5) <= _HALF_TOLERANCE * max(1.0, abs(scaled)):
        rounded = 2.0 * math.ceil(lower * 0.5)  # the even neighbour
    else:
        rounded = float(math.floor(scaled + 0.5))
    return rounded / scale


def round_half_even_array(values: npt.ArrayLike, digits: int = 0) -> npt.NDArray[np.float64]:
    """Array form of :func:`round_half_even`; NaN stays NaN."""
    array = np.asarray(values, dtype=np.float64)
    scale = 10.0**digits
    scaled = array * scale if digits else array  # × 1.0 is exact: skip it
    lower = np.floor(scaled)
    rounded = np.floor(scaled + 0.5)
    distance = np.abs((scaled - lower) - 0.5)
    tolerance = np.maximum(np.abs(scaled), 1.0)
    tolerance *= _HALF_TOLERANCE
    tie = distance <= tolerance
    if tie.any():
        rounded[tie] = 2.0 * np.ceil(lower[tie] * 0.5)
    if digits:
        rounded /= scale
    return rounded
