"""Quality control at ingest: plausibility screening of values (pure, vectorised).

A value below a *physical* lower bound (a negative concentration, a pH below 0) cannot be a
measurement: it is rejected and quarantined. A value beyond a *plausible* bound is stored with the
QC flag OUT_OF_RANGE, so that evaluation can leave it out while nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecodata.model import QC


@dataclass(frozen=True, slots=True)
class Bounds:
    low: np.ndarray  # physical lower bound per parameter (NaN: none)
    high: np.ndarray  # plausible upper bound per parameter (NaN: none)


def bounds_for(codes: Sequence[str], parameters: Mapping[str, Mapping[str, Any]]) -> Bounds:
    """Bounds of the given parameter codes, from registry rows keyed by code."""

    def pick(code: str, name: str) -> float:
        value = parameters.get(code, {}).get(name)
        return float(value) if value is not None else np.nan

    return Bounds(
        np.array([pick(c, "valid_min") for c in codes]),
        np.array([pick(c, "valid_max") for c in codes]),
    )


def screen(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per value: (reject mask, qc flags). ``low``/``high`` broadcast against ``values``."""
    with np.errstate(invalid="ignore"):
        reject = values < low
        out_of_range = values > high
    qc = np.where(out_of_range, np.int16(QC.OUT_OF_RANGE), np.int16(0)).astype(np.int16)
    return np.asarray(reject, dtype=bool), qc


def reject_reason(value: float, low: float) -> str:
    if low == 0:
        return f"negative value {value:g}: a concentration cannot be below 0"
    return f"value {value:g} is below the physical minimum {low:g}"
