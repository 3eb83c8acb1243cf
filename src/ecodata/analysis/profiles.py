"""Diurnal, weekly and monthly profiles with confidence intervals (openair's ``timeVariation``).

For each parameter the values are grouped by local hour of day, day of week, month and hour ×
day of week. The statistic is the mean, with a bootstrap percentile interval of the mean
(openair's default), or the median with the 25th–75th percentiles as openair shows for
``statistic = "median"``. ``normalise`` divides each parameter by its overall mean so that
parameters of different size can share an axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ecodata.analysis.frames import InsufficientDataError, series_of
from ecodata.errors import InputError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class TimeVariation:
    """Profiles in long layout: ``parameter, <key>, value, lower, upper, n``; the keys are
    ``hour`` (0–23), ``weekday`` (0 = Monday), ``month`` (1–12) and ``weekday, hour``."""

    statistic: str
    conf: float
    normalised: bool
    hour: pd.DataFrame = field(repr=False)
    weekday: pd.DataFrame = field(repr=False)
    month: pd.DataFrame = field(repr=False)
    hour_weekday: pd.DataFrame = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [{str(k): v for k, v in row.items()} for row in clean.to_dict(orient="records")]

        return {
            "statistic": self.statistic,
            "conf": self.conf,
            "normalised": self.normalised,
            "hour": rows(self.hour),
            "weekday": rows(self.weekday),
            "month": rows(self.month),
            "hour_weekday": rows(self.hour_weekday),
        }


def _summary(
    values: np.ndarray, statistic: str, conf: float, n_boot: int, rng: np.random.Generator
) -> tuple[float, float, float]:
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    if statistic == "median":
        lo, mid, hi = np.quantile(values, [0.25, 0.5, 0.75])
        return float(mid), float(lo), float(hi)
    mean = float(values.mean())
    if len(values) == 1:
        return mean, mean, mean
    means = np.empty(n_boot)
    step = max(1, 2_000_000 // len(values))
    for start in range(0, n_boot, step):
        count = min(step, n_boot - start)
        draws = rng.integers(0, len(values), size=(count, len(values)))
        means[start : start + count] = values[draws].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - conf) / 2, 1 - (1 - conf) / 2])
    return mean, float(lo), float(hi)


def profile(
    series: pd.Series,
    by: Sequence[str],
    *,
    statistic: Literal["mean", "median"] = "mean",
    conf: float = 0.95,
    n_boot: int = 200,
    seed: int | None = 1,
) -> pd.DataFrame:
    """One profile of one series; ``by`` names local-time keys among hour, weekday, month."""
    keys = {
        "hour": lambda ix: ix.hour,
        "weekday": lambda ix: ix.day_of_week,
        "month": lambda ix: ix.month,
    }
    unknown = [k for k in by if k not in keys]
    if unknown:
        raise InputError(f"unknown profile key {unknown[0]!r}; use hour, weekday or month")
    clean = series.dropna()
    index = pd.DatetimeIndex(clean.index)
    groups = pd.DataFrame({k: keys[k](index) for k in by})
    groups["v"] = clean.to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    rows = []
    for key, part in groups.groupby(list(by), sort=True):
        v = part["v"].to_numpy()
        value, lo, hi = _summary(v, statistic, conf, n_boot, rng)
        key_tuple = key if isinstance(key, tuple) else (key,)
        rows.append((*[int(str(k)) for k in key_tuple], value, lo, hi, len(v)))
    return pd.DataFrame(rows, columns=[*by, "value", "lower", "upper", "n"])


def time_variation(
    wide: pd.DataFrame,
    parameters: Sequence[str],
    *,
    statistic: Literal["mean", "median"] = "mean",
    conf: float = 0.95,
    n_boot: int = 200,
    normalise: bool = False,
    seed: int | None = 1,
) -> TimeVariation:
    """Hour, weekday, month and hour × weekday profiles of ``parameters`` of a wide frame."""
    if statistic not in ("mean", "median"):
        raise InputError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    if not 0 < conf < 1:
        raise InputError(f"conf must be within (0, 1), got {conf}")
    if not parameters:
        raise InputError("name at least one parameter")
    parts: dict[str, list[pd.DataFrame]] = {"hour": [], "weekday": [], "month": [], "hw": []}
    for name in parameters:
        series = series_of(wide, name)
        if series.notna().sum() == 0:
            raise InsufficientDataError(f"{name} has no valid values")
        if normalise:
            series = series / float(series.mean())
        for label, by in (
            ("hour", ["hour"]),
            ("weekday", ["weekday"]),
            ("month", ["month"]),
            ("hw", ["weekday", "hour"]),
        ):
            frame = profile(series, by, statistic=statistic, conf=conf, n_boot=n_boot, seed=seed)
            frame.insert(0, "parameter", name)
            parts[label].append(frame)
    return TimeVariation(
        statistic=statistic,
        conf=conf,
        normalised=normalise,
        hour=pd.concat(parts["hour"], ignore_index=True),
        weekday=pd.concat(parts["weekday"], ignore_index=True),
        month=pd.concat(parts["month"], ignore_index=True),
        hour_weekday=pd.concat(parts["hw"], ignore_index=True),
    )
