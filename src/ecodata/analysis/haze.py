"""Heavy-pollution episodes detected from an hourly AQI record, kept as a haze case base.

An hour is *heavy* when the mean AQI of the 24 hours ending with it exceeds ``threshold``
(default 200, the lower bound of 重度污染, HJ 633-2012 Table 2; the 24-hour mean may cross
midnight, as in the 2017 national warning grading). Heavy hours closer than ``max_gap_h`` are
joined into one episode that starts with the first hour of the first heavy 24-hour window and
ends with the last heavy hour; episodes shorter than ``min_hours`` are dropped. Each episode
records its peak, duration, mean meteorology and primary pollutant.

The AQI and the sub-indices are inputs (columns ``aqi`` and optionally ``iaqi_<pollutant>``
or ``primary``), computed upstream under HJ 633.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ecodata.analysis.frames import series_of
from ecodata.errors import InputError

MET_COLUMNS = ("temp", "dewp", "pres", "ws", "rain")


@dataclass(frozen=True)
class HazeEpisode:
    site: str
    start: pd.Timestamp
    end: pd.Timestamp
    duration_h: int
    peak_aqi: float
    peak_time: pd.Timestamp
    peak_daily_aqi: float
    mean_aqi: float
    primary_pollutant: str | None
    meteorology: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("start", "end", "peak_time"):
            out[key] = getattr(self, key).isoformat()
        out["meteorology"] = {
            k: (None if math.isnan(v) else round(v, 2)) for k, v in self.meteorology.items()
        }
        return out


def relative_humidity(temp: pd.Series, dewp: pd.Series) -> pd.Series:
    """Relative humidity (%) from air temperature and dew point (°C), Magnus formula with the
    coefficients of Alduchov and Eskridge (1996)."""
    a, b = 17.625, 243.04
    ratio = np.exp(a * dewp / (b + dewp)) / np.exp(a * temp / (b + temp))
    return pd.Series(100.0 * np.asarray(ratio, dtype=float), index=temp.index)


def _meteorology(part: pd.DataFrame) -> dict[str, float]:
    met: dict[str, float] = {}
    for col in MET_COLUMNS:
        if col in part.columns:
            values = part[col]
            met[col] = float(values.sum() if col == "rain" else values.mean())
    if {"temp", "dewp"} <= set(part.columns):
        met["rh"] = float(relative_humidity(part["temp"], part["dewp"]).mean())
    if {"ws", "wd"} <= set(part.columns):
        rad = np.deg2rad(part["wd"].to_numpy(dtype=float))
        ws = part["ws"].to_numpy(dtype=float)
        u, v = np.nanmean(ws * np.sin(rad)), np.nanmean(ws * np.cos(rad))
        met["wd_resultant"] = float(np.degrees(np.arctan2(u, v)) % 360.0)
        met["ws_resultant"] = float(np.hypot(u, v))
    return met


def _primary(part: pd.DataFrame) -> str | None:
    iaqi = [c for c in part.columns if c.startswith("iaqi_")]
    if iaqi:
        means = part[iaqi].mean()
        if means.notna().any():
            return str(means.idxmax())[len("iaqi_") :]
    if "primary" in part.columns:
        labels = part["primary"].dropna().astype(str)
        labels = labels[labels != ""]
        if not labels.empty:
            return str(labels.mode().iloc[0])
    return None


def detect_episodes(
    hourly: pd.DataFrame,
    *,
    site: str = "",
    threshold: float = 200.0,
    window_h: int = 24,
    min_valid_h: int = 18,
    min_hours: int = 24,
    max_gap_h: int = 6,
) -> list[HazeEpisode]:
    """Heavy-pollution episodes of one site's hourly wide frame (column ``aqi`` required)."""
    if min_valid_h > window_h:
        raise InputError(f"min_valid_h {min_valid_h} exceeds the window of {window_h} h")
    aqi = series_of(hourly, "aqi")
    bad = aqi < 0
    if bad.any():
        when = aqi.index[np.flatnonzero(bad.to_numpy())[0]]
        raise InputError(f"{site or 'site'} at {when}: AQI {aqi[when]} is negative")
    full = pd.date_range(aqi.index.min(), aqi.index.max(), freq="h")
    frame = hourly.reindex(full)
    aqi = frame["aqi"].astype(float)
    rolling = aqi.rolling(window_h, min_periods=min_valid_h).mean()
    heavy = np.flatnonzero((rolling > threshold).to_numpy())
    if len(heavy) == 0:
        return []
    breaks = np.flatnonzero(np.diff(heavy) > max_gap_h + 1)
    runs = np.split(heavy, breaks + 1)
    episodes = []
    for run in runs:
        first = max(int(run[0]) - window_h + 1, 0)
        last = int(run[-1])
        if last - first + 1 < min_hours:
            continue
        part = frame.iloc[first : last + 1]
        values = part["aqi"]
        if values.notna().sum() == 0:
            continue
        peak_time = values.idxmax()
        episodes.append(
            HazeEpisode(
                site=site,
                start=pd.Timestamp(full[first]),
                end=pd.Timestamp(full[last]),
                duration_h=last - first + 1,
                peak_aqi=float(values.max()),
                peak_time=pd.Timestamp(str(peak_time)),
                peak_daily_aqi=float(rolling.iloc[run].max()),
                mean_aqi=float(values.mean()),
                primary_pollutant=_primary(part),
                meteorology=_meteorology(part),
            )
        )
    return episodes


def case_base(episodes: list[HazeEpisode]) -> pd.DataFrame:
    """The episodes as one table (meteorology flattened to ``met_<name>`` columns)."""
    rows = []
    for e in episodes:
        row = {k: v for k, v in asdict(e).items() if k != "meteorology"}
        row.update({f"met_{k}": v for k, v in e.meteorology.items()})
        rows.append(row)
    return pd.DataFrame(rows)
