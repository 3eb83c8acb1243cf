"""HJ 663 daily statistics on dense arrays: hours of the natural day on the last axis.

The same rules as :mod:`.hj663` (which works on long frames), for callers that already hold a
site × day × 24 grid of hourly values (NaN = missing): no grouping, no sorting, one pass of numpy
per statistic, so a national month of stations takes milliseconds.

* daily mean: ≥ 20 hourly values in the natural day (GB 3095-2026 §3.10, Table 4);
* O₃ daily maximum 1-h value: ≥ 20 hourly values (the daily-mean rule by analogy, unverified);
* O₃ daily maximum 8-h mean (MDA8): 17 windows starting 00 … 16 h, a window valid with ≥ 6 values,
  a day valid with ≥ 14 valid windows (GB 3095-2026 §3.9; HJ 663-2013, third-party); optionally a
  day with fewer windows counts when its maximum exceeds ``exceed_limit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

from ecodata.errors import InputError
from ecodata.standards import gb3095
from ecodata.standards.hj663 import MIN_WINDOWS_PER_DAY, WINDOWS_PER_DAY

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int16]

HOURS_PER_DAY: Final = 24
WINDOW_HOURS: Final = 8

#: Daily-mean indicators of the HJ 633 daily report (O₃ is handled separately).
MEAN_KEYS: Final = ("so2", "no2", "co", "pm10", "pm2_5")
#: Record keys of the daily report, in HJ 633 order.
DAILY_KEYS: Final = ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5")


def _check(hours: npt.ArrayLike) -> FloatArray:
    array = np.asarray(hours, dtype=np.float64)
    if array.ndim == 0 or array.shape[-1] != HOURS_PER_DAY:
        raise InputError(f"hourly grid must have 24 hours on its last axis, not {array.shape}")
    return array


def daily_mean(
    hours: npt.ArrayLike, *, min_hours: int = gb3095.MIN_HOURS_PER_DAY
) -> tuple[FloatArray, IntArray]:
    """Mean of each day's hourly values and their count; NaN with fewer than ``min_hours``."""
    h = _check(hours)
    present = ~np.isnan(h)
    n = present.sum(axis=-1)
    total = np.where(present, h, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n >= min_hours, total / np.maximum(n, 1), np.nan)
    return mean, n.astype(np.int16)


def daily_max(
    hours: npt.ArrayLike, *, min_hours: int = gb3095.MIN_HOURS_PER_DAY
) -> tuple[FloatArray, IntArray]:
    """Largest hourly value of each day and the count; NaN with fewer than ``min_hours``."""
    h = _check(hours)
    present = ~np.isnan(h)
    n = present.sum(axis=-1)
    top = np.where(present, h, -np.inf).max(axis=-1)
    return np.where(n >= min_hours, top, np.nan), n.astype(np.int16)


def mda8(
    hours: npt.ArrayLike,
    *,
    min_hours: int = gb3095.MIN_HOURS_PER_8H,
    min_windows: int = MIN_WINDOWS_PER_DAY,
    exceed_limit: float | None = None,
) -> tuple[FloatArray, IntArray]:
    """O₃ daily maximum 8-h mean and the number of valid windows (windows start 00 … 16 h)."""
    h = _check(hours)
    present = ~np.isnan(h)
    zero = np.zeros((*h.shape[:-1], 1))
    sums = np.concatenate([zero, np.cumsum(np.where(present, h, 0.0), axis=-1)], axis=-1)
    counts = np.concatenate([zero, np.cumsum(present, axis=-1)], axis=-1)
    starts = np.arange(WINDOWS_PER_DAY)
    w_sum = sums[..., starts + WINDOW_HOURS] - sums[..., starts]
    w_n = counts[..., starts + WINDOW_HOURS] - counts[..., starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(w_n >= min_hours, w_sum / np.maximum(w_n, 1), np.nan)
    n_windows = (~np.isnan(means)).sum(axis=-1)
    best = np.where(np.isnan(means), -np.inf, means).max(axis=-1)
    valid = n_windows >= min_windows
    if exceed_limit is not None:
        valid |= (n_windows > 0) & (best > exceed_limit)
    return np.where(valid, best, np.nan), n_windows.astype(np.int16)


def daily_indicators(
    hourly: Mapping[str, npt.ArrayLike], *, exceed_limit: float | None = None
) -> dict[str, FloatArray]:
    """The HJ 633 daily-report inputs from hourly grids keyed ``so2, no2, co, o3, pm10, pm2_5``:
    daily means, ``o3`` the daily maximum 1-h value, ``o3_8h`` the MDA8 (NaN where not valid).
    Pollutants absent from ``hourly`` are absent from the result."""
    unknown = sorted(set(hourly) - {*MEAN_KEYS, "o3"})
    if unknown:
        raise InputError(f"no daily statistic for {', '.join(unknown)}")
    out: dict[str, FloatArray] = {}
    for key in MEAN_KEYS:
        if key in hourly:
            out[key], _ = daily_mean(hourly[key])
    if "o3" in hourly:
        out["o3"], _ = daily_max(hourly["o3"])
        out["o3_8h"], _ = mda8(hourly["o3"], exceed_limit=exceed_limit)
    return {k: out[k] for k in DAILY_KEYS if k in out}
