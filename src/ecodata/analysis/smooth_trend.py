"""Smooth (non-linear) trends of monthly means, the counterpart of openair's ``smoothTrend``.

openair fits a generalised additive model (mgcv) whose smoothness is chosen by generalised
cross-validation. Here a cubic smoothing spline with the GCV-optimal penalty (Wahba 1990; SciPy's
``make_smoothing_spline``) plays that role; its confidence band comes from a moving-block
bootstrap of the residuals (block n^(1/3), Künsch 1989) refitted with the same penalty, so serial
correlation in the residuals widens the band as it should.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import make_smoothing_spline

from ecodata.analysis.frames import InsufficientDataError, time_average
from ecodata.analysis.trend import (
    MIN_POINTS,
    Fill,
    Progress,
    bootstrap_indices,
    deseasonalise,
)
from ecodata.errors import InputError


@dataclass(frozen=True)
class SmoothTrend:
    """``frame`` has columns ``time, value, fit, lower, upper`` (one row per month)."""

    parameter: str
    units: str
    deseasonalised: bool
    lam: float
    alpha: float
    frame: pd.DataFrame = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        rows = [
            {
                "time": t.isoformat(),
                "value": _num(v),
                "fit": _num(f),
                "lower": _num(lo),
                "upper": _num(hi),
            }
            for t, v, f, lo, hi in self.frame[
                ["time", "value", "fit", "lower", "upper"]
            ].itertuples(index=False, name=None)
        ]
        return {
            "parameter": self.parameter,
            "units": self.units,
            "deseasonalised": self.deseasonalised,
            "alpha": self.alpha,
            "points": rows,
        }


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def smooth_trend(
    series: pd.Series,
    *,
    parameter: str | None = None,
    units: str = "",
    deseason: bool = False,
    data_capture: float = 0.0,
    alpha: float = 0.05,
    n_boot: int = 200,
    lam: float | None = None,
    fill: Fill = "linear",
    seed: int | None = 2,
    progress: Progress | None = None,
) -> SmoothTrend:
    """Fit a smoothing spline to the monthly means of ``series`` (optionally deseasonalised)."""
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be within (0, 1), got {alpha}")
    name = parameter or str(series.name or "value")
    monthly = time_average(series, "MS", data_capture=data_capture)
    valid = np.flatnonzero(monthly.notna().to_numpy())
    if len(valid) < MIN_POINTS:
        raise InsufficientDataError(
            f"{name}: a smooth trend needs at least {MIN_POINTS} months, got {len(valid)}"
        )
    monthly = monthly.iloc[valid[0] : valid[-1] + 1]
    deseasonalised = deseason and len(monthly) > 24
    values = deseasonalise(monthly, fill=fill) if deseasonalised else monthly.dropna()
    x = np.arange(len(monthly), dtype=float)[np.isin(monthly.index, values.index)]
    y = values.to_numpy(dtype=float)
    spline = make_smoothing_spline(x, y, lam=lam)
    fitted = spline(x)
    # the penalty GCV chose, recovered so the bootstrap refits with the same smoothness
    chosen = lam if lam is not None else _gcv_lambda(x, y, fitted)
    residuals = y - fitted
    n = len(y)
    rng = np.random.default_rng(seed)
    block = max(1, round(n ** (1 / 3)))
    draws = bootstrap_indices(n, n_boot, block, rng)
    curves = np.empty((n_boot, n))
    for k in range(n_boot):
        curves[k] = make_smoothing_spline(x, fitted + residuals[draws[k]], lam=chosen)(x)
        if progress is not None and (k + 1) % 20 == 0:
            progress(k + 1, n_boot)
    lower, upper = np.quantile(curves, [alpha / 2, 1 - alpha / 2], axis=0)
    frame = pd.DataFrame(
        {"time": values.index, "value": y, "fit": fitted, "lower": lower, "upper": upper}
    )
    return SmoothTrend(
        parameter=name,
        units=units,
        deseasonalised=deseasonalised,
        lam=float(chosen),
        alpha=alpha,
        frame=frame,
    )


def _gcv_lambda(x: np.ndarray, y: np.ndarray, fitted: np.ndarray) -> float:
    """Find the penalty whose fit reproduces the GCV fit (SciPy does not return it)."""
    grid = np.logspace(-6, 8, 57)
    errors = [float(np.abs(make_smoothing_spline(x, y, lam=g)(x) - fitted).max()) for g in grid]
    best = int(np.argmin(errors))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    for _ in range(30):  # golden-section refinement in log space
        a, b = np.log(low), np.log(high)
        m1, m2 = np.exp(a + 0.382 * (b - a)), np.exp(a + 0.618 * (b - a))
        e1 = float(np.abs(make_smoothing_spline(x, y, lam=m1)(x) - fitted).max())
        e2 = float(np.abs(make_smoothing_spline(x, y, lam=m2)(x) - fitted).max())
        if e1 < e2:
            high = m2
        else:
            low = m1
    return float(np.sqrt(low * high))
