"""HJ 663 环境空气质量评价技术规范 — statistics over hourly data, with the GB 3095 validity rules.

Input is a long frame of hourly values, columns ``site, time, parameter, value`` (pandas, or an
Arrow table), ``time`` the start of the hour; aware times are converted to China local time (UTC+8)
to find the natural day, naive times are taken as UTC (the observation store's convention) unless
``naive_tz`` says otherwise. Parameters use the HJ 633 keys: ``so2, no2, co, o3, pm10, pm2_5``.

Rules (GB 3095-2026 §3.7–§3.13 and Table 4; HJ 663 as described in docs/standards.md):

* daily mean (日平均): mean of the hourly values of the natural day, valid with ≥ 20 hours;
* O₃ 8-h moving mean: mean of hours t-7 … t, valid with ≥ 6 hours;
* O₃ daily maximum 8-h mean (MDA8): maximum of the 17 windows starting at 00 … 16 h of the natural
  day, valid with ≥ 14 valid windows (HJ 663-2013; optionally a day with fewer windows counts when
  its maximum already exceeds a given limit);
* monthly / annual means: mean of the valid daily values; valid with ≥ 27 days in each month
  (February 25) and ≥ 324 days in the year;
* percentiles: HJ 663 rank method ``k = 1 + (n − 1)·p/100`` with linear interpolation;
* composite index: Σ Cᵢ/Sᵢ over six pollutants (城市环境空气质量排名技术规定).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ecodata.errors import InputError
from ecodata.model import CHINA_TZ
from ecodata.standards import gb3095
from ecodata.standards.gbt8170 import round_half_even_array

COLUMNS: Final = ("site", "time", "parameter", "value")
MIN_WINDOWS_PER_DAY: Final = 14
WINDOWS_PER_DAY: Final = 17  # 8-h windows starting at 00 … 16 h


def hourly_frame(data: pd.DataFrame | pa.Table, *, naive_tz: str | tzinfo = "UTC") -> pd.DataFrame:
    """Check and normalise an hourly frame: adds ``local`` (China time), ``date`` and ``hour``."""
    frame = data.to_pandas() if isinstance(data, pa.Table) else data
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"hourly frame lacks column(s) {', '.join(missing)}; needs {COLUMNS}")
    out = frame.loc[:, list(COLUMNS)].copy()
    times = pd.to_datetime(out["time"])
    if times.dt.tz is None:
        times = times.dt.tz_localize(naive_tz)
    local = times.dt.tz_convert(CHINA_TZ)
    if bool(local.isna().any()):
        raise InputError("hourly frame has rows without a time")
    out["local"] = local
    out["date"] = local.dt.tz_localize(None).dt.normalize()
    out["hour"] = local.dt.hour.astype(np.int8)
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    return out


def daily_means(
    data: pd.DataFrame | pa.Table,
    *,
    min_hours: int = gb3095.MIN_HOURS_PER_DAY,
    naive_tz: str | tzinfo = "UTC",
) -> pd.DataFrame:
    """Daily means per site and parameter: columns ``site, parameter, date, value, n, valid``;
    ``value`` is NaN when fewer than ``min_hours`` hourly values exist (GB 3095 Table 4)."""
    frame = hourly_frame(data, naive_tz=naive_tz).dropna(subset=["value"])
    grouped = frame.groupby(["site", "parameter", "date"], sort=True, observed=True)["value"]
    out = grouped.agg(["mean", "count"]).reset_index()
    out = out.rename(columns={"mean": "value", "count": "n"})
    out["valid"] = out["n"] >= min_hours
    out.loc[~out["valid"], "value"] = np.nan
    return out


def daily_max_1h(
    data: pd.DataFrame | pa.Table,
    *,
    parameter: str = "o3",
    min_hours: int = gb3095.MIN_HOURS_PER_DAY,
    naive_tz: str | tzinfo = "UTC",
) -> pd.DataFrame:
    """Daily maximum 1-h value (the O₃ indicator of the HJ 633-2012 daily report); valid with
    ``min_hours`` values (the daily-mean rule, applied by analogy)."""
    frame = hourly_frame(data, naive_tz=naive_tz)
    frame = frame[frame["parameter"] == parameter].dropna(subset=["value"])
    out = frame.groupby(["site", "date"])["value"].agg(["max", "count"]).reset_index()
    out = out.rename(columns={"max": "value", "count": "n"})
    out.insert(1, "parameter", parameter)
    out["valid"] = out["n"] >= min_hours
    out.loc[~out["valid"], "value"] = np.nan
    return out


def _day_matrix(frame: pd.DataFrame) -> tuple[pd.MultiIndex, npt.NDArray[np.float64]]:
    """(site, date) × 24 matrix of hourly values, NaN where absent."""
    table = frame.pivot_table(
        index=["site", "date"], columns="hour", values="value", aggfunc="mean", observed=True
    )
    table = table.reindex(columns=range(24))
    return pd.MultiIndex.from_frame(table.index.to_frame(index=False)), table.to_numpy(np.float64)


def o3_mda8(
    data: pd.DataFrame | pa.Table,
    *,
    min_hours: int = gb3095.MIN_HOURS_PER_8H,
    min_windows: int = MIN_WINDOWS_PER_DAY,
    exceed_limit: float | None = None,
    parameter: str = "o3",
    naive_tz: str | tzinfo = "UTC",
) -> pd.DataFrame:
    """O₃ daily maximum 8-h mean per site and day: columns ``site, parameter, date, value,
    n_windows, valid``. With ``exceed_limit`` a day with too few windows still counts when its
    maximum exceeds that limit."""
    frame = hourly_frame(data, naive_tz=naive_tz)
    frame = frame[frame["parameter"] == parameter].dropna(subset=["value"])
    index, hours = _day_matrix(frame)
    present = ~np.isnan(hours)
    sums = np.concatenate([np.zeros((len(hours), 1)), np.cumsum(np.nan_to_num(hours), axis=1)], 1)
    counts = np.concatenate([np.zeros((len(hours), 1)), np.cumsum(present, axis=1)], 1)
    starts = np.arange(WINDOWS_PER_DAY)
    w_sum = sums[:, starts + 8] - sums[:, starts]
    w_n = counts[:, starts + 8] - counts[:, starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(w_n >= min_hours, w_sum / np.maximum(w_n, 1), np.nan)
    n_windows = (~np.isnan(means)).sum(axis=1)
    best = np.where(
        n_windows > 0, np.nanmax(np.where(np.isnan(means), -np.inf, means), axis=1), np.nan
    )
    valid = n_windows >= min_windows
    if exceed_limit is not None:
        valid |= (n_windows > 0) & (best > exceed_limit)
    out = index.to_frame(index=False)
    out.insert(1, "parameter", "o3_8h")
    out["value"] = np.where(valid, best, np.nan)
    out["n_windows"] = n_windows
    out["valid"] = valid
    return out


def o3_8h_moving(
    data: pd.DataFrame | pa.Table,
    *,
    min_hours: int = gb3095.MIN_HOURS_PER_8H,
    parameter: str = "o3",
    naive_tz: str | tzinfo = "UTC",
) -> pd.DataFrame:
    """8-h moving means ending at every hour (hours t-7 … t), as in the real-time publication:
    columns ``site, time, value, n``; NaN with fewer than ``min_hours`` values."""
    frame = hourly_frame(data, naive_tz=naive_tz)
    frame = frame[frame["parameter"] == parameter]
    wide = frame.pivot_table(index="local", columns="site", values="value", aggfunc="mean")
    if wide.empty:
        return pd.DataFrame({"site": [], "time": [], "value": [], "n": []})
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="h")
    wide = wide.reindex(full)
    means = wide.rolling(8, min_periods=1).mean()
    counts = wide.notna().rolling(8, min_periods=1).sum()
    means = means.where(counts >= min_hours)
    out = pd.DataFrame(
        {
            "value": means.stack(future_stack=True),
            "n": counts.stack(future_stack=True).astype(np.int8),
        }
    )
    out = out.reset_index(names=["time", "site"])
    return out.loc[:, ["site", "time", "value", "n"]]


def daily_indicators(
    data: pd.DataFrame | pa.Table,
    *,
    naive_tz: str | tzinfo = "UTC",
    exceed_limit: float | None = None,
) -> pd.DataFrame:
    """One row per site and day with the HJ 633 daily-report inputs: ``so2, no2, co, pm10, pm2_5``
    (daily means), ``o3`` (daily maximum 1-h) and ``o3_8h`` (MDA8); NaN where not valid."""
    frame = hourly_frame(data, naive_tz=naive_tz)
    means = daily_means(frame.loc[:, list(COLUMNS)], naive_tz=naive_tz)
    means = means[means["parameter"].isin(["so2", "no2", "co", "pm10", "pm2_5"])]
    wide = means.pivot_table(
        index=["site", "date"], columns="parameter", values="value", aggfunc="first", dropna=False
    )
    parts: list[pd.DataFrame | pd.Series] = [wide]
    o3_rows = frame[frame["parameter"] == "o3"].loc[:, list(COLUMNS)]
    if len(o3_rows):
        mx = daily_max_1h(o3_rows, naive_tz=naive_tz).set_index(["site", "date"])["value"]
        mda8 = o3_mda8(o3_rows, naive_tz=naive_tz, exceed_limit=exceed_limit)
        parts += [mx.rename("o3"), mda8.set_index(["site", "date"])["value"].rename("o3_8h")]
    out = pd.concat(parts, axis=1)
    for key in ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5"):
        if key not in out.columns:
            out[key] = np.nan
    out.columns.name = None
    return out.reset_index().loc[
        :, ["site", "date", "so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5"]
    ]


def percentile(values: npt.ArrayLike, p: float) -> float:
    """HJ 663 percentile: sort ascending, ``k = 1 + (n − 1)·p/100``, interpolate between the
    ``floor(k)``-th and next value (1-based). NaN values are ignored; NaN when none remain."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[~np.isnan(x)]
    if not 0 <= p <= 100:
        raise InputError(f"percentile {p} is not between 0 and 100")
    if x.size == 0:
        return float("nan")
    k = 1 + (x.size - 1) * p / 100
    s = int(np.floor(k))
    if s >= x.size:
        return float(x[-1])
    return float(x[s - 1] + (x[s] - x[s - 1]) * (k - s))


def period_means(
    daily: pd.DataFrame,
    *,
    freq: str = "year",
    min_days_year: int = gb3095.MIN_DAYS_PER_YEAR,
) -> pd.DataFrame:
    """Monthly or annual means of valid daily values: columns ``site, parameter, period, value,
    n_days, valid``. A month is valid with ≥ 27 days (February 25); a year with ≥ 324 days and every
    month valid (GB 3095 Table 4)."""
    if freq not in ("month", "year"):
        raise InputError(f"freq must be 'month' or 'year', not {freq!r}")
    d = daily.dropna(subset=["value"]).copy()
    dates = pd.to_datetime(d["date"])
    d["year"] = dates.dt.year
    d["month"] = dates.dt.month
    monthly = d.groupby(["site", "parameter", "year", "month"])["value"].agg(["mean", "count"])
    monthly = monthly.reset_index()
    monthly["valid"] = monthly["count"] >= np.where(
        monthly["month"] == 2, gb3095.MIN_DAYS_PER_FEBRUARY, gb3095.MIN_DAYS_PER_MONTH
    )
    if freq == "month":
        out = monthly.assign(
            period=pd.to_datetime({"year": monthly["year"], "month": monthly["month"], "day": 1})
            .dt.to_period("M")
            .astype(str)
        )
        out = out.rename(columns={"mean": "value", "count": "n_days"})
        return out.loc[:, ["site", "parameter", "period", "value", "n_days", "valid"]]
    yearly = d.groupby(["site", "parameter", "year"])["value"].agg(["mean", "count"]).reset_index()
    months_ok = monthly.groupby(["site", "parameter", "year"])["valid"].agg(["sum", "count"])
    months_ok = months_ok.reset_index().rename(columns={"sum": "months_valid", "count": "months"})
    yearly = yearly.merge(months_ok, on=["site", "parameter", "year"], how="left")
    yearly["valid"] = (yearly["count"] >= min_days_year) & (yearly["months_valid"] == 12)
    yearly = yearly.rename(columns={"mean": "value", "count": "n_days", "year": "period"})
    yearly["period"] = yearly["period"].astype(str)
    return yearly.loc[:, ["site", "parameter", "period", "value", "n_days", "valid"]]


#: Annual statistics of HJ 663: parameter → (annual mean?, percentile of the daily values).
ANNUAL_STATISTICS: Final = {
    "so2": (True, 98.0),
    "no2": (True, 98.0),
    "pm10": (True, 95.0),
    "pm2_5": (True, 95.0),
    "co": (False, 95.0),
    "o3_8h": (False, 90.0),
}


def round_daily_values(daily: pd.DataFrame) -> pd.DataFrame:
    """GB/T 8170 rounding of daily values as published: µg/m³ to integers, CO mg/m³ to 0.1
    (HJ 633-2026 §4.2.2; the national daily publication reports integers under 2012 too)."""
    out = daily.copy()
    is_co = (out["parameter"] == "co").to_numpy()
    values = out["value"].to_numpy(np.float64)
    out["value"] = np.where(
        is_co, round_half_even_array(values, 1), round_half_even_array(values, 0)
    )
    return out


def annual_statistics(
    daily: pd.DataFrame,
    *,
    min_days: int = gb3095.MIN_DAYS_PER_YEAR,
    round_daily: bool = True,
) -> pd.DataFrame:
    """HJ 663 annual statistics per site and year from daily values (columns ``site, parameter,
    date, value``; ``parameter`` ``o3_8h`` for MDA8): one row per site and year, columns such as
    ``so2`` (annual mean), ``so2_p98``, ``co_p95``, ``o3_8h_p90``, ``n_<parameter>`` day counts
    and validity flags (≥ ``min_days`` days and every month valid, see :func:`period_statistics`).
    With ``round_daily`` the daily values are first rounded as published
    (:func:`round_daily_values`)."""
    return period_statistics(daily, freq="year", min_days=min_days, round_daily=round_daily)


def period_statistics(
    daily: pd.DataFrame,
    *,
    freq: str = "year",
    min_days: int | None = None,
    round_daily: bool = True,
) -> pd.DataFrame:
    """The statistics of :func:`annual_statistics` per calendar year (``period`` "2016") or month
    ("2016-02"), with ``valid_<parameter>`` flags and ``valid`` (all parameters present valid).

    GB 3095 Table 4: a month needs ≥ 27 daily values (February 25); a year ≥ 324 daily values and
    every month valid. ``min_days`` replaces the day count (324, or the monthly 27/25)."""
    if freq not in ("month", "year"):
        raise InputError(f"freq must be 'month' or 'year', not {freq!r}")
    d = daily.dropna(subset=["value"])
    d = round_daily_values(d) if round_daily else d.copy()
    dates = pd.to_datetime(d["date"])
    d["period"] = dates.dt.to_period("M" if freq == "month" else "Y").astype(str)
    d["month"] = dates.dt.month
    rows: list[dict[str, Any]] = []
    for (site, period), group in d.groupby(["site", "period"], sort=True):
        label = str(period)
        row: dict[str, Any] = {"site": site, "period": label}
        if freq == "year":
            row["year"] = int(label)
            needed = gb3095.MIN_DAYS_PER_YEAR if min_days is None else min_days
        else:
            month_days = gb3095.min_days_in_month(int(label[:4]), int(label[5:7]))
            needed = month_days if min_days is None else min_days
        ok = True
        for parameter, (has_mean, p) in ANNUAL_STATISTICS.items():
            rows_p = group[group["parameter"] == parameter]
            values = rows_p["value"].to_numpy(np.float64)
            row[f"n_{parameter}"] = int(values.size)
            if values.size == 0:
                continue
            valid = values.size >= needed
            if freq == "year":
                per_month = rows_p["month"].value_counts()
                valid &= all(
                    int(per_month.get(m, 0)) >= gb3095.min_days_in_month(row["year"], m)
                    for m in range(1, 13)
                )
            row[f"valid_{parameter}"] = bool(valid)
            ok &= valid
            if has_mean:
                row[parameter] = float(values.mean())
            row[f"{parameter}_p{p:g}"] = percentile(values, p)
        row["valid"] = ok
        rows.append(row)
    return pd.DataFrame(rows)


#: 城市环境空气质量排名技术规定: weights of the weighted composite index.
RANKING_WEIGHTS: Final = {"so2": 1.0, "no2": 2.0, "co": 1.0, "o3": 2.0, "pm10": 1.0, "pm2_5": 3.0}

#: Which statistic enters the composite index for each pollutant, and the limit it is divided by.
COMPOSITE_ITEMS: Final = {
    "so2": ("so2", "annual"),
    "no2": ("no2", "annual"),
    "pm10": ("pm10", "annual"),
    "pm2_5": ("pm2_5", "annual"),
    "co": ("co_p95", "24h"),
    "o3": ("o3_8h_p90", "8h"),
}


@dataclass(frozen=True, slots=True)
class CompositeIndex:
    total: float
    weighted: float
    parts: dict[str, float]


def composite_index(
    statistics: Mapping[str, float],
    *,
    version: str = gb3095.V2012,
    weights: Mapping[str, float] = RANKING_WEIGHTS,
) -> CompositeIndex:
    """城市环境空气质量综合指数 ``I = Σ Cᵢ / Sᵢ`` with Sᵢ the GB 3095 class-2 limits (annual means;
    CO 24-h, O₃ 8-h), and the ranking variant weighted PM2.5 × 3, NO₂ × 2, O₃ × 2. ``statistics``
    as returned by :func:`annual_statistics` (or monthly equivalents)."""
    parts: dict[str, float] = {}
    for pollutant, (key, averaging) in COMPOSITE_ITEMS.items():
        value = statistics.get(key)
        if value is None or math.isnan(value):
            raise InputError(f"composite index needs {key} (for {pollutant})")
        s = gb3095.limit(pollutant, averaging, version=version, klass=2)
        parts[pollutant] = float(value) / s
    return CompositeIndex(
        total=sum(parts.values()),
        weighted=sum(parts[p] * weights.get(p, 1.0) for p in parts),
        parts=parts,
    )


def good_day_share(daily_aqi: npt.ArrayLike) -> tuple[int, int, float]:
    """(good days, valid days, share): days with AQI ≤ 100 (优良天数) over days with an AQI."""
    aqi = np.asarray(daily_aqi, dtype=np.float64)
    valid = ~np.isnan(aqi)
    good = int((aqi[valid] <= 100).sum())
    n = int(valid.sum())
    return good, n, good / n if n else float("nan")


def days_meeting(daily: pd.DataFrame, *, version: str, klass: int = 2) -> pd.DataFrame:
    """Per site and parameter: valid days, days over the GB 3095 daily limit and the exceedance
    rate. ``daily`` has columns ``site, parameter, date, value`` with parameters ``so2, no2, co,
    pm10, pm2_5`` (24-h limits) and ``o3_8h`` (8-h limit) or ``o3`` (1-h limit, daily maximum)."""
    averaging = {"o3_8h": ("o3", "8h"), "o3": ("o3", "1h")}
    rows: list[dict[str, Any]] = []
    for (site, parameter), group in daily.dropna(subset=["value"]).groupby(["site", "parameter"]):
        pollutant, avg = averaging.get(str(parameter), (str(parameter), "24h"))
        exceeds, multiple = gb3095.exceedance_array(
            pollutant, avg, group["value"].to_numpy(np.float64), version=version, klass=klass
        )
        n = int(exceeds.size)
        rows.append(
            {
                "site": site,
                "parameter": parameter,
                "n_days": n,
                "days_meeting": n - int(exceeds.sum()),
                "days_exceeding": int(exceeds.sum()),
                "exceedance_rate": float(exceeds.mean()) if n else float("nan"),
                "max_multiple": float(np.nanmax(multiple)) if n else float("nan"),
            }
        )
    return pd.DataFrame(rows)
