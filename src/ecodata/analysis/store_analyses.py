"""The analyses over stored data: the core functions the CLI, the API and the web pages call.

Each reads what it needs through :mod:`.store_frames` (limited to the caller's readable datasets)
and applies the pure methods of this package: trends, time-variation profiles, pollution roses,
interpolated fields over a region and the haze case base. Times are Beijing time (UTC+8), the
local time of the national network.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ecodata.analysis.changepoint import ChangePoints, detect_change_points
from ecodata.analysis.frames import InsufficientDataError, to_wide, unit_of
from ecodata.analysis.haze import MET_COLUMNS, HazeEpisode, detect_episodes
from ecodata.analysis.hourly_aqi import AQI_INPUTS, with_hourly_aqi
from ecodata.analysis.polar import PollutionRose, pollution_rose
from ecodata.analysis.profiles import TimeVariation, time_variation
from ecodata.analysis.regions import find_region
from ecodata.analysis.smooth_trend import SmoothTrend, smooth_trend
from ecodata.analysis.spatial import Method, SpatialField, interpolate_field
from ecodata.analysis.store_frames import read_hourly, stations
from ecodata.analysis.trend import Progress, TrendResult, theil_sen_trend
from ecodata.errors import InputError, NotFoundError
from ecodata.model import CHINA_TZ
from ecodata.store.stores import Stores

#: A daily mean needs at least 20 hourly values (GB 3095-2012 Table 4).
MIN_HOURS_PER_DAY = 20
#: Share of a month's hours that must be valid for its mean to enter a trend (openair's
#: ``data.thresh``, in percent there; 0 keeps every month with a value).
DATA_CAPTURE = 0.75


def site_wide(
    stores: Stores,
    site: str,
    parameters: Sequence[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
) -> pd.DataFrame:
    """Valid hourly values of one station as a wide frame (Beijing time), with a column for
    every asked parameter (NaN where there is none)."""
    stores.registry.site(site)  # NotFoundError for an unknown code
    long = read_hourly(
        stores, [site], parameters, start=start, end=end, datasets=datasets, tz=CHINA_TZ
    )
    if long.empty:
        raise InsufficientDataError(f"station {site}: no valid hourly data in that period")
    wide = to_wide(long, site)
    return wide.reindex(columns=list(dict.fromkeys([*parameters, *wide.columns])))


@dataclass(frozen=True)
class TrendReport:
    """A station's Theil–Sen trend, with the smooth trend and the change points when asked."""

    site: str
    trend: TrendResult
    smooth: SmoothTrend | None = None
    changes: ChangePoints | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"site": self.site, **self.trend.to_json()}
        out["values"] = [
            {"time": t.isoformat(), "value": float(v)}
            for t, v in zip(
                pd.DatetimeIndex(self.trend.values.index), self.trend.values, strict=True
            )
        ]
        if self.smooth is not None:
            out["smooth"] = self.smooth.to_json()
        if self.changes is not None:
            out["change_points"] = self.changes.to_json()
        return out


def trend_of(
    stores: Stores,
    site: str,
    parameter: str,
    *,
    deseason: bool = False,
    avg_time: Literal["month", "year"] = "month",
    smooth: bool = False,
    change_points: bool = False,
    data_capture: float = DATA_CAPTURE,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
    n_boot: int = 599,
    autocorrelation: bool = False,
    progress: Progress | None = None,
) -> TrendReport:
    """Theil–Sen trend (openair's TheilSen) of a station's hourly ``parameter``; with
    ``smooth`` also the smoothing-spline trend (openair's smoothTrend), with ``change_points``
    the change points in the mean of the (deseasonalised) averages (PELT). A month (or year)
    counts when at least ``data_capture`` of its hours hold a valid value."""
    wide = site_wide(stores, site, [parameter], start=start, end=end, datasets=datasets)
    series, units = wide[parameter], unit_of(parameter)
    trend = theil_sen_trend(
        series,
        parameter=parameter,
        units=units,
        deseason=deseason,
        avg_time=avg_time,
        data_capture=data_capture,
        n_boot=n_boot,
        autocorrelation=autocorrelation,
        progress=progress,
    )
    fitted = None
    if smooth:
        fitted = smooth_trend(
            series, parameter=parameter, units=units, deseason=deseason, data_capture=data_capture
        )
    changes = detect_change_points(trend.values) if change_points else None
    return TrendReport(site, trend, fitted, changes)


def profile_of(
    stores: Stores,
    site: str,
    parameters: Sequence[str],
    *,
    statistic: Literal["mean", "median"] = "mean",
    normalise: bool = False,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
) -> TimeVariation:
    """Hour, weekday, month and hour × weekday profiles (openair's timeVariation)."""
    wide = site_wide(stores, site, parameters, start=start, end=end, datasets=datasets)
    return time_variation(wide, parameters, statistic=statistic, normalise=normalise)


def rose_of(
    stores: Stores,
    site: str,
    parameter: str,
    *,
    angle: float = 30.0,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
) -> PollutionRose:
    """Pollution rose of ``parameter`` by the station's hourly wind (openair's pollutionRose)."""
    wide = site_wide(stores, site, ["ws", "wd", parameter], start=start, end=end, datasets=datasets)
    if wide["ws"].isna().all() or wide["wd"].isna().all():
        raise InsufficientDataError(f"station {site} has no hourly wind speed and direction")
    return pollution_rose(wide["ws"], wide["wd"], wide[parameter], parameter=parameter, angle=angle)


def _moment(text: str) -> tuple[datetime, datetime, str]:
    """A local day (``YYYY-MM-DD``: its 24 hours) or one hour (ISO time): start, end, kind."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)
            return start, start + timedelta(days=1), "day"
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is neither a date (YYYY-MM-DD) nor an ISO time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment, moment + timedelta(hours=1), "hour"


def grid_of(
    stores: Stores,
    regions_dir: Path,
    region: str,
    parameter: str,
    when: str,
    *,
    method: Method = "kriging",
    step: float = 0.05,
    datasets: Collection[int] | None = None,
) -> SpatialField:
    """An interpolated field of ``parameter`` over a region (adcode or name) for a local day
    (daily means with ≥ 20 hourly values, GB 3095-2012 Table 4) or one hour (``when`` an ISO
    time), from every station within half a degree of the region."""
    outline = find_region(regions_dir, region)
    start, end, kind = _moment(when)
    x0, y0, x1, y1 = outline.bounds
    sites = stations(stores)
    near = sites[
        sites["longitude"].between(x0 - 0.5, x1 + 0.5)
        & sites["latitude"].between(y0 - 0.5, y1 + 0.5)
    ]
    if near.empty:
        raise NotFoundError(f"no station with coordinates near {outline.name}")
    long = read_hourly(
        stores, near["site"].tolist(), [parameter], start=start, end=end, datasets=datasets
    )
    counts = long.groupby("site")["value"].agg(["mean", "count"])
    if kind == "day":
        counts = counts[counts["count"] >= MIN_HOURS_PER_DAY]
    values = near.merge(counts["mean"].rename("value"), left_on="site", right_index=True)
    return interpolate_field(
        values[["site", "longitude", "latitude", "value"]],
        outline,
        parameter=parameter,
        units=unit_of(parameter),
        step=step,
        method=method,
    )


def haze_of(
    stores: Stores,
    site: str,
    *,
    threshold: float = 200.0,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
) -> list[HazeEpisode]:
    """The haze case base of a station: heavy-pollution episodes of its hourly AQI (HJ 633,
    computed from the stored concentrations) with peak, duration, meteorology and primary
    pollutant."""
    wide = site_wide(
        stores, site, [*AQI_INPUTS, *MET_COLUMNS, "wd"], start=start, end=end, datasets=datasets
    )
    if wide[list(AQI_INPUTS)].isna().all().all():
        raise InsufficientDataError(f"station {site} has no hourly pollutant concentrations")
    return detect_episodes(with_hourly_aqi(wide), site=site, threshold=threshold)
