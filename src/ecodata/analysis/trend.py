"""Trend estimation: Mann–Kendall test, Theil–Sen slope with bootstrap intervals, deseasonalisation.

The method follows openair's ``TheilSen`` (Carslaw and Ropkins 2012): average to monthly means
(with an optional data-capture threshold), optionally deseasonalise with STL (Cleveland et al.
1990) after filling missing months, take the Theil (1950)–Sen (1968) slope of the monthly values
against time in days (× 365 for a slope per year), and estimate its confidence interval by
resampling (Wilcox 2010): 599 bootstrap resamples of (time, value) pairs, or of moving blocks of
length n^(1/3) when autocorrelation is to be accounted for (Künsch 1989). The p value is that of
the Mann–Kendall test (Hirsch, Slack and Smith 1982); the bootstrap p value that openair prints
is kept beside it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from ecodata.analysis.frames import InsufficientDataError, Statistic, time_average
from ecodata.errors import InputError

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]
"""A progress callback: ``progress(done, total)``."""

Fill = Literal["linear", "kalman"]

#: openair needs at least 6 points for a trend and more than 24 months to deseasonalise.
MIN_POINTS = 6
MIN_MONTHS_DESEASON = 25
_DAYS_PER_YEAR = 365.0  # openair's slope is per 365 days
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


@dataclass(frozen=True, slots=True)
class MannKendall:
    """Mann–Kendall test (Mann 1945; Kendall 1975) with the tie correction of the variance."""

    s: float
    var_s: float
    z: float
    p: float
    tau: float
    n: int


def mann_kendall(values: npt.ArrayLike) -> MannKendall:
    """Two-sided Mann–Kendall test of a series in time order (NaN dropped)."""
    y = np.asarray(values, dtype=float)
    y = y[~np.isnan(y)]
    n = len(y)
    if n < 3:
        raise InsufficientDataError(f"Mann–Kendall needs at least 3 values, got {n}")
    i, j = np.triu_indices(n, 1)
    s = float(np.sign(y[j] - y[i]).sum())
    _, counts = np.unique(y, return_counts=True)
    ties = counts[counts > 1].astype(float)
    var_s = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18.0
    # continuity correction of ±1 (Hirsch et al. 1982, eq. 3)
    z = 0.0 if s == 0 or var_s <= 0 else (s - math.copysign(1.0, s)) / math.sqrt(var_s)
    p = float(2.0 * stats.norm.sf(abs(z)))
    tau = s / (0.5 * n * (n - 1))
    return MannKendall(s=s, var_s=var_s, z=z, p=p, tau=tau, n=n)


def theil_sen(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Theil–Sen slope (median of pairwise slopes, pairs with equal x skipped) and the intercept
    ``median(y) - slope * median(x)`` (Conover 1980)."""
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    ok = ~(np.isnan(xa) | np.isnan(ya))
    xa, ya = xa[ok], ya[ok]
    if len(xa) < 2:
        raise InsufficientDataError(f"Theil–Sen needs at least 2 points, got {len(xa)}")
    i, j = np.triu_indices(len(xa), 1)
    dx = xa[j] - xa[i]
    keep = dx != 0
    if not keep.any():
        raise InsufficientDataError("Theil–Sen needs at least two distinct x values")
    slope = float(np.median((ya[j] - ya[i])[keep] / dx[keep]))
    return slope, float(np.median(ya) - slope * np.median(xa))


def bootstrap_indices(
    n: int, n_boot: int, block_length: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Resampling indices, ``n_boot × n``: plain resampling when ``block_length`` is 1, otherwise
    the moving-block bootstrap (Künsch 1989): random blocks of consecutive positions, joined and
    cut to length n."""
    if block_length <= 1:
        return rng.integers(0, n, size=(n_boot, n))
    block_length = min(block_length, n)
    blocks = math.ceil(n / block_length)
    starts = rng.integers(0, n - block_length + 1, size=(n_boot, blocks))
    idx = (starts[:, :, None] + np.arange(block_length)[None, None, :]).reshape(n_boot, -1)
    return idx[:, :n]


def bootstrap_theil_sen(
    x: FloatArray,
    y: FloatArray,
    *,
    n_boot: int = 599,
    block_length: int = 1,
    seed: int | None = 2,
    progress: Progress | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Theil–Sen slopes and intercepts of ``n_boot`` resamples of the (x, y) pairs.

    Vectorised over resamples in chunks: pairwise slopes of a chunk are one array and their
    median is taken along its rows (pairs with equal x in a resample are skipped).
    """
    n = len(x)
    rng = np.random.default_rng(seed)
    indices = bootstrap_indices(n, n_boot, block_length, rng)
    i, j = np.triu_indices(n, 1)
    chunk = max(1, 2_000_000 // max(len(i), 1))
    slopes = np.empty(n_boot)
    intercepts = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        idx = indices[start : start + chunk]
        xs, ys = x[idx], y[idx]
        dx = xs[:, j] - xs[:, i]
        with np.errstate(divide="ignore", invalid="ignore"):
            pair = np.where(dx != 0, (ys[:, j] - ys[:, i]) / dx, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, handled below
            b = np.nanmedian(pair, axis=1)
        slopes[start : start + chunk] = b
        intercepts[start : start + chunk] = np.median(ys, axis=1) - b * np.median(xs, axis=1)
        if progress is not None:
            progress(min(start + chunk, n_boot), n_boot)
    return slopes, intercepts


def significance_stars(p: float) -> str:
    """openair's marks: ``***`` p < 0.001, ``**`` < 0.01, ``*`` < 0.05, ``+`` < 0.1."""
    if math.isnan(p):
        return ""
    for limit, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, "+")):
        if p < limit:
            return mark
    return ""


def fill_missing_months(monthly: pd.Series, method: Fill = "linear") -> pd.Series:
    """Fill gaps of a monthly series inside its first and last value.

    ``linear`` interpolates between neighbours (openair up to 1.x, which gives the published
    figures); ``kalman`` takes the smoothed level plus seasonal state of a basic structural model
    (local linear trend + stochastic seasonal, Harvey 1989) as openair ≥ 2 does with ``StructTS``.
    """
    if not monthly.isna().any():
        return monthly
    if method == "linear":
        return monthly.interpolate(method="linear", limit_area="inside")
    if method != "kalman":
        raise InputError(f"unknown fill method {method!r}; use 'linear' or 'kalman'")
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    values = monthly.to_numpy(dtype=float)
    with warnings.catch_warnings():
        # maximum-likelihood fits of short series often stop on the iteration limit; the
        # smoothed states are still the best available fill
        warnings.simplefilter("ignore")
        model = UnobservedComponents(
            values, level="local linear trend", seasonal=12, stochastic_seasonal=True
        )
        fitted = model.fit(disp=False, maxiter=500)
    states = np.asarray(fitted.smoothed_state)
    estimate = states[0] + states[2]  # level + seasonal (the slope state is not a value)
    filled = np.where(np.isnan(values), estimate, values)
    return pd.Series(filled, index=monthly.index, name=monthly.name)


def _next_odd(value: float) -> int:
    n = math.ceil(value)
    return n if n % 2 else n + 1


def deseasonalise(
    monthly: pd.Series,
    *,
    seasonal_window: int = 35,
    seasonal_degree: int = 0,
    fill: Fill = "linear",
    robust: bool = True,
) -> pd.Series:
    """Trend + remainder of an STL decomposition (Cleveland et al. 1990) of a monthly series.

    Parameters mirror R's ``stl(x, s.window = 35, robust = TRUE)`` as openair calls it: seasonal
    smoother of degree ``seasonal_degree`` (R's ``s.degree``, default 0) over ``seasonal_window``
    years, trend window ``nextodd(1.5 · 12 / (1 - 1.5 / s.window))``, low-pass window 13, robust
    fitting with 1 inner and 15 outer iterations, and R's default jumps. Missing months are filled
    first.
    """
    from statsmodels.tsa.seasonal import STL

    if seasonal_window < 7 or seasonal_window % 2 == 0:
        raise InputError(f"seasonal_window must be odd and ≥ 7, got {seasonal_window}")
    if seasonal_degree not in (0, 1):
        raise InputError(f"seasonal_degree must be 0 or 1, got {seasonal_degree}")
    filled = fill_missing_months(monthly, fill).dropna()
    if len(filled) < MIN_MONTHS_DESEASON:
        raise InsufficientDataError(
            f"deseasonalising needs at least {MIN_MONTHS_DESEASON} months, got {len(filled)}"
        )
    period = 12
    trend_window = _next_odd(1.5 * period / (1 - 1.5 / seasonal_window))
    low_pass = _next_odd(period)
    decomposition = STL(
        filled.to_numpy(dtype=float),
        period=period,
        seasonal=seasonal_window,
        trend=trend_window,
        low_pass=low_pass,
        seasonal_deg=seasonal_degree,
        trend_deg=1,
        low_pass_deg=1,
        robust=robust,
        seasonal_jump=math.ceil(seasonal_window / 10),
        trend_jump=math.ceil(trend_window / 10),
        low_pass_jump=math.ceil(low_pass / 10),
    ).fit(inner_iter=1 if robust else 2, outer_iter=15 if robust else 0)
    values = np.asarray(decomposition.trend) + np.asarray(decomposition.resid)
    return pd.Series(values, index=filled.index, name=monthly.name)


@dataclass(frozen=True)
class TrendResult:
    """A Theil–Sen trend with its bootstrap interval and Mann–Kendall test.

    ``slope``, ``lower`` and ``upper`` are in ``units`` (per year); ``intercept`` is the value
    of the line at 1970-01-01 (openair's convention); ``p`` is the Mann–Kendall p value,
    ``p_bootstrap`` the share-of-sign p value of the bootstrap slopes that openair prints.
    ``values`` holds the (deseasonalised) averages the line was fitted to.
    """

    parameter: str
    slope: float
    lower: float
    upper: float
    intercept: float
    intercept_lower: float
    intercept_upper: float
    p: float
    p_bootstrap: float
    stars: str
    units: str
    alpha: float
    n: int
    deseasonalised: bool
    autocorrelation: bool
    n_boot: int
    avg_time: str
    start: pd.Timestamp
    end: pd.Timestamp
    mann_kendall: MannKendall
    values: pd.Series = field(repr=False)

    @property
    def slope_percent(self) -> float:
        """The slope as % per year of the fitted value at the start (openair's slope.percent)."""
        at_start = self.line(pd.DatetimeIndex([self.start]))[0]
        at_end = self.line(pd.DatetimeIndex([self.end]))[0]
        years = (self.end - self.start).days / _DAYS_PER_YEAR
        if at_start == 0 or years <= 0:
            return math.nan
        return float(100.0 * (at_end / at_start - 1.0) / years)

    def line(self, times: pd.DatetimeIndex, which: str = "slope") -> FloatArray:
        """Values of the trend line (``which``: slope, lower or upper) at ``times``."""
        days = _days(times)
        slope, intercept = {
            "slope": (self.slope, self.intercept),
            "lower": (self.lower, self.intercept_lower),
            "upper": (self.upper, self.intercept_upper),
        }[which]
        return np.asarray(intercept + slope / _DAYS_PER_YEAR * days, dtype=float)

    def to_json(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "slope": self.slope,
            "lower": self.lower,
            "upper": self.upper,
            "p": self.p,
            "p_bootstrap": self.p_bootstrap,
            "stars": self.stars,
            "units": self.units,
            "alpha": self.alpha,
            "n": self.n,
            "slope_percent": self.slope_percent,
            "intercept": self.intercept,
            "deseasonalised": self.deseasonalised,
            "autocorrelation": self.autocorrelation,
            "n_boot": self.n_boot,
            "avg_time": self.avg_time,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "mann_kendall": {
                "s": self.mann_kendall.s,
                "z": self.mann_kendall.z,
                "tau": self.mann_kendall.tau,
            },
        }


def _days(times: pd.DatetimeIndex) -> FloatArray:
    utc = times.tz_convert("UTC") if times.tz is not None else times.tz_localize("UTC")
    return np.asarray((utc - _EPOCH) / pd.Timedelta(days=1), dtype=float)


_AVG_FREQ = {"month": "MS", "year": "YS"}


def theil_sen_trend(
    series: pd.Series,
    *,
    parameter: str | None = None,
    units: str = "",
    deseason: bool = False,
    avg_time: Literal["month", "year"] = "month",
    statistic: Statistic = "mean",
    data_capture: float = 0.0,
    alpha: float = 0.05,
    n_boot: int = 599,
    autocorrelation: bool = False,
    block_length: int | None = None,
    seasonal_window: int = 35,
    seasonal_degree: int = 0,
    fill: Fill = "linear",
    seed: int | None = 2,
    progress: Progress | None = None,
) -> TrendResult:
    """openair-style Theil–Sen trend of a time series (tz-aware index, any resolution).

    The series is averaged to ``avg_time`` periods with ``data_capture``, trimmed to its first
    and last valid period, deseasonalised when asked (monthly only; series of 24 months or less
    are used as they are, as openair does), and the slope of the averages is estimated with a
    ``1 - alpha`` percentile bootstrap interval (``n_boot`` resamples; moving blocks of
    ``block_length`` — default n^(1/3) — when ``autocorrelation``).
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be within (0, 1), got {alpha}")
    if n_boot < 10:
        raise InputError(f"n_boot must be at least 10, got {n_boot}")
    if avg_time not in _AVG_FREQ:
        raise InputError(f"avg_time must be 'month' or 'year', got {avg_time!r}")
    name = parameter or str(series.name or "value")
    averages = time_average(
        series, _AVG_FREQ[avg_time], statistic=statistic, data_capture=data_capture
    )
    valid = np.flatnonzero(averages.notna().to_numpy())
    if len(valid) < MIN_POINTS:
        raise InsufficientDataError(
            f"{name}: a trend needs at least {MIN_POINTS} {avg_time}ly values, got {len(valid)}"
        )
    averages = averages.iloc[valid[0] : valid[-1] + 1]
    deseasonalised = deseason and avg_time == "month" and len(averages) > 24
    if deseasonalised:
        values = deseasonalise(
            averages, seasonal_window=seasonal_window, seasonal_degree=seasonal_degree, fill=fill
        )
    else:
        values = averages.dropna()
    x = _days(pd.DatetimeIndex(values.index))
    y = values.to_numpy(dtype=float)
    slope, intercept = theil_sen(x, y)
    blocks = 1
    if autocorrelation:
        blocks = block_length if block_length is not None else round(len(y) ** (1 / 3))
    boot_slopes, boot_intercepts = bootstrap_theil_sen(
        x, y, n_boot=n_boot, block_length=blocks, seed=seed, progress=progress
    )
    order = np.argsort(boot_slopes)
    low = round(alpha / 2 * n_boot)  # Wilcox (2010): sorted resamples low+1 … n_boot-low
    lo_i, hi_i = order[low], order[n_boot - low - 1]
    share = (np.sum(boot_slopes < 0) + 0.5 * np.sum(boot_slopes == 0)) / n_boot
    test = mann_kendall(y)
    return TrendResult(
        parameter=name,
        slope=slope * _DAYS_PER_YEAR,
        lower=float(boot_slopes[lo_i]) * _DAYS_PER_YEAR,
        upper=float(boot_slopes[hi_i]) * _DAYS_PER_YEAR,
        intercept=intercept,
        intercept_lower=float(boot_intercepts[lo_i]),
        intercept_upper=float(boot_intercepts[hi_i]),
        p=test.p,
        p_bootstrap=float(2 * min(share, 1 - share)),
        stars=significance_stars(test.p),
        units=f"{units}/year" if units else "units/year",
        alpha=alpha,
        n=len(y),
        deseasonalised=deseasonalised,
        autocorrelation=autocorrelation,
        n_boot=n_boot,
        avg_time=avg_time,
        start=pd.Timestamp(values.index[0]),
        end=pd.Timestamp(values.index[-1]),
        mann_kendall=test,
        values=values,
    )
