"""The frames the analysis functions take, and time averaging with a data-capture threshold.

*Long frame*: one row per observation, columns ``site`` (str), ``time`` (tz-aware timestamp, the
start of the averaging interval), ``parameter`` (registry code such as ``pm2_5``, ``o3_ppb``) and
``value`` (float, NaN for missing). *Wide frame*: one site, a tz-aware ``DatetimeIndex`` named
``time`` and one float column per parameter. :func:`to_wide` turns the first into the second.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ecodata.errors import EvaluationError, InputError
from ecodata.parameters import reference_parameters

LONG_COLUMNS = ("site", "time", "parameter", "value")

Statistic = Literal["mean", "median", "max", "min"]


class InsufficientDataError(EvaluationError, InputError):
    """Too few valid values for the requested analysis; says how many there are and how many
    are needed. An input error of the request as well (HTTP 400 in the API)."""


def check_long(frame: pd.DataFrame, source: str = "frame") -> pd.DataFrame:
    """Validate a long frame; raise :class:`InputError` naming the first bad row and the reason."""
    missing = [c for c in LONG_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"long frame lacks columns {missing}; expected {list(LONG_COLUMNS)}", source=source
        )
    time = frame["time"]
    if not isinstance(time.dtype, pd.DatetimeTZDtype):
        raise InputError("column 'time' must be tz-aware timestamps", source=source)
    bad = time.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "time is missing",
            source=source,
            position=f"row {row}",
            raw=repr(frame.iloc[row].to_dict()),
        )
    value = pd.to_numeric(frame["value"], errors="coerce")
    bad = value.isna() & frame["value"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"value {frame['value'].iloc[row]!r} is not a number",
            source=source,
            position=f"row {row}",
            raw=repr(frame.iloc[row].to_dict()),
        )
    return frame


def to_wide(frame: pd.DataFrame, site: str | None = None) -> pd.DataFrame:
    """One site of a long frame as a wide frame (time index × parameter columns).

    Duplicate (time, parameter) rows are averaged. ``site`` may be omitted when the frame holds
    one site only.
    """
    check_long(frame)
    sites = pd.unique(frame["site"])
    if site is None:
        if len(sites) != 1:
            raise InputError(f"frame holds {len(sites)} sites; name one with site=")
        site = str(sites[0])
    part = frame[frame["site"] == site]
    if part.empty:
        raise InputError(f"site {site!r} not in frame; sites are {sorted(map(str, sites))[:10]}")
    wide = part.pivot_table(
        index="time",
        columns="parameter",
        values="value",
        aggfunc="mean",
        dropna=False,
        observed=True,
    )
    wide.columns = [str(c) for c in wide.columns]
    wide.index.name = "time"
    return wide.sort_index().astype(float)


def site_matrix(frame: pd.DataFrame, parameter: str) -> pd.DataFrame:
    """One parameter of a long frame as time × site (the layout for spatial and forecast work)."""
    check_long(frame)
    part = frame[frame["parameter"] == parameter]
    if part.empty:
        raise InputError(f"parameter {parameter!r} not in frame")
    wide = part.pivot_table(
        index="time", columns="site", values="value", aggfunc="mean", dropna=False, observed=True
    )
    wide.columns = [str(c) for c in wide.columns]
    wide.index.name = "time"
    return wide.sort_index().astype(float)


def unit_of(parameter: str) -> str:
    """The registry unit of a parameter code ('' when unknown or dimensionless)."""
    for row in reference_parameters():
        if row["code"] == parameter:
            return str(row["unit"])
    return ""


def series_of(wide: pd.DataFrame, parameter: str) -> pd.Series:
    """A column of a wide frame, with an error naming the available columns when absent."""
    if parameter not in wide.columns:
        raise InputError(f"parameter {parameter!r} not in data; have {sorted(wide.columns)}")
    series = wide[parameter].astype(float)
    if not isinstance(series.index, pd.DatetimeIndex) or series.index.tz is None:
        raise InputError("the index must be a tz-aware DatetimeIndex")
    return series


def base_interval(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The most common spacing of a time index (the interval of the raw data)."""
    if len(index) < 2:
        return pd.Timedelta(hours=1)
    steps = np.diff(index.asi8)
    steps = steps[steps > 0]
    if len(steps) == 0:
        return pd.Timedelta(hours=1)
    values, counts = np.unique(steps, return_counts=True)
    unit_ns = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}[index.unit]
    return pd.Timedelta(int(values[np.argmax(counts)]) * unit_ns, "ns")


def time_average(
    series: pd.Series,
    freq: str,
    *,
    statistic: Statistic = "mean",
    data_capture: float = 0.0,
    interval: pd.Timedelta | None = None,
) -> pd.Series:
    """Average a series to periods of ``freq`` (pandas alias: ``"MS"``, ``"D"``, ``"YS"``…).

    ``data_capture`` (0–1) is the share of the period's expected values (period length / raw
    interval) that must be valid for the period to get a value, as openair's ``data.thresh``;
    0 keeps every period with at least one value. Periods are labelled by their start, in the
    series' own time zone (so days and months are local days and months).
    """
    if not 0.0 <= data_capture <= 1.0:
        raise InputError(f"data_capture must be within 0..1, got {data_capture}")
    valid = series.dropna()
    if valid.empty:
        raise InsufficientDataError(f"{series.name or 'series'} has no valid values")
    step = interval if interval is not None else base_interval(pd.DatetimeIndex(series.index))
    grouped = series.resample(freq)
    result = grouped.agg(statistic)
    if data_capture > 0:
        count = grouped.count()
        starts = pd.DatetimeIndex(result.index)
        ends = starts + pd.tseries.frequencies.to_offset(freq)
        expected = (ends - starts) / step
        result = result.where(count.to_numpy() >= data_capture * expected.to_numpy())
    result.name = series.name
    return result.astype(float)
