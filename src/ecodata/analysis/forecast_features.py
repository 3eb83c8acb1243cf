"""Features for station forecasts, built only from values observed up to the issue time.

Every feature at issue time *t* is a function of observations at times ≤ *t*: lags (shifts into
the past), trailing rolling windows, differences with the past and the mean over all stations at
*t*. ``tests/analysis/test_forecast.py`` checks this by changing every value after *t* and
comparing the features up to *t*.

Per station the panel is an hourly wide frame (tz-aware index) with the target column (e.g.
``pm2_5`` or ``aqi``) and any of the pollutants ``pm2_5, pm10, so2, no2, co, o3`` and the
meteorology ``temp, pres, dewp, rain, ws, wd`` (wind direction in degrees, from).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecodata.errors import InputError

POLLUTANTS = ("pm2_5", "pm10", "so2", "no2", "co", "o3")
WIND_AND_STATE = ("temp", "pres", "dewp", "ws", "u", "v")
#: The hourly parameters a station forecast reads.
FORECAST_INPUTS = (*POLLUTANTS, "temp", "pres", "dewp", "rain", "ws", "wd")
#: How far back the features of one issue time reach (the longest window, with a margin).
LOOKBACK = pd.Timedelta(days=32)


@dataclass(frozen=True)
class FeatureSpec:
    """What the features are made of."""

    target: str = "pm2_5"
    lags: Sequence[int] = (1, 2, 3, 6, 12, 24, 48)
    windows: Sequence[int] = (3, 6, 12, 24, 48, 72, 168)
    met_windows: Sequence[int] = (3, 6, 24)
    pollutants: Sequence[str] = field(default=POLLUTANTS)
    #: The extra features (``x_…``): cross-station, multi-window, wind run, tendencies.
    extras: bool = True
    #: Trailing window of the city-mean target that scales the level features (``scale``).
    scale_window: int = 720


def hourly_panels(
    frame: pd.DataFrame, sites: Sequence[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Split a long frame into per-site hourly wide frames on one common hourly index."""
    from ecodata.analysis.frames import check_long

    check_long(frame)
    chosen = [str(s) for s in (sites if sites is not None else pd.unique(frame["site"]))]
    part = frame[frame["site"].isin(chosen)]
    if part.empty:
        raise InputError(f"no data for sites {chosen[:5]}")
    table = part.pivot_table(
        index="time", columns=["site", "parameter"], values="value", aggfunc="mean", observed=True
    )
    index = pd.date_range(table.index.min(), table.index.max(), freq="h", name="time")
    table = table.reindex(index)
    panels = {}
    for site in chosen:
        if site not in table.columns.get_level_values(0):
            raise InputError(f"site {site!r} has no data")
        wide = pd.DataFrame(table[site]).astype(float)
        wide.columns = pd.Index([str(c) for c in wide.columns])
        panels[site] = wide
    return panels


def panels_on(
    frame: pd.DataFrame, sites: Sequence[str], index: pd.DatetimeIndex, columns: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """Per-site hourly wide frames of a long frame on a given hourly ``index``, each with at
    least ``columns`` (all NaN where a site has no data, so that a model trained on a set of
    stations can be fed whatever part of them reports)."""
    from ecodata.analysis.frames import check_long

    check_long(frame)
    table = frame.pivot_table(
        index="time", columns=["site", "parameter"], values="value", aggfunc="mean", observed=True
    ).reindex(index)
    panels = {}
    present = set(table.columns.get_level_values(0)) if len(table.columns) else set()
    for site in sites:
        wide = (
            pd.DataFrame(table[site]).astype(float)
            if site in present
            else pd.DataFrame(index=index)
        )
        wide.columns = pd.Index([str(c) for c in wide.columns])
        wide = wide.reindex(columns=list(dict.fromkeys([*columns, *wide.columns])))
        wide.index.name = "time"
        panels[site] = wide
    return panels


def _check_panels(panels: Mapping[str, pd.DataFrame], target: str) -> pd.DatetimeIndex:
    if not panels:
        raise InputError("no station panels given")
    index: pd.DatetimeIndex | None = None
    for site, wide in panels.items():
        if target not in wide.columns:
            raise InputError(f"station {site}: no column {target!r}; has {sorted(wide.columns)}")
        ix = pd.DatetimeIndex(wide.index)
        if ix.tz is None:
            raise InputError(f"station {site}: the index must be tz-aware")
        if index is None:
            index = ix
        elif not ix.equals(index):
            raise InputError(
                f"station {site}: panels must share one hourly index (use hourly_panels)"
            )
    assert index is not None
    steps = np.diff(index.asi8)
    if len(steps) and not np.all(steps == steps[0]):
        raise InputError("panels must be on a regular hourly index without gaps")
    return index


def build_features(
    panels: Mapping[str, pd.DataFrame],
    spec: FeatureSpec,
    positions: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Features of every station at every hour: columns ``site``, ``time`` and the features
    (``site_id`` is the station's position in ``panels``). ``positions`` (site → longitude,
    latitude) adds the north–south contrast of the city's stations.

    ``scale`` is the mean of the city-mean target over the trailing ``spec.scale_window`` hours
    (at least 24 values; else over what there is): the level that ratio models divide by."""
    index = _check_panels(panels, spec.target)
    target = pd.DataFrame({s: w[spec.target] for s, w in panels.items()})
    city = target.mean(axis=1)
    scale = city.rolling(spec.scale_window, min_periods=24).mean()
    scale = scale.fillna(city.expanding().mean())
    shared = _city_extras(panels, target, index, positions) if spec.extras else None
    city_part = {
        "city": city,
        "city_m24": city.rolling(24, min_periods=1).mean(),
        "city_d3": city - city.shift(3),
    }
    calendar = {
        "hour": pd.Series(index.hour, index=index, dtype=float),
        "doy_sin": pd.Series(np.sin(2 * np.pi * index.day_of_year / 365.25), index=index),
        "doy_cos": pd.Series(np.cos(2 * np.pi * index.day_of_year / 365.25), index=index),
        "weekday": pd.Series(index.day_of_week, index=index, dtype=float),
    }
    frames = []
    for site_id, (site, wide) in enumerate(panels.items()):
        cols: dict[str, pd.Series] = {}
        y = wide[spec.target].astype(float)
        cols["y"] = y
        for lag in spec.lags:
            cols[f"y_l{lag}"] = y.shift(lag)
        for w in spec.windows:
            cols[f"y_m{w}"] = y.rolling(w, min_periods=1).mean()
        cols["y_max24"] = y.rolling(24, min_periods=1).max()
        cols["y_min24"] = y.rolling(24, min_periods=1).min()
        cols.update(city_part)
        for name in spec.pollutants:
            if name in wide.columns and name != spec.target:
                cols[name] = wide[name]
                cols[f"{name}_m24"] = wide[name].rolling(24, min_periods=1).mean()
        met = wide.copy()
        if {"ws", "wd"} <= set(met.columns):
            rad = np.deg2rad(met["wd"])
            met["u"] = -met["ws"] * np.sin(rad)  # eastward component of the wind vector
            met["v"] = -met["ws"] * np.cos(rad)  # northward component
        for name in WIND_AND_STATE:
            if name not in met.columns:
                continue
            x = met[name].astype(float)
            cols[name] = x
            for w in spec.met_windows:
                cols[f"{name}_m{w}"] = x.rolling(w, min_periods=1).mean()
            cols[f"{name}_d3"] = x - x.shift(3)
            cols[f"{name}_d24"] = x - x.shift(24)
        if "rain" in met.columns:
            cols["rain24"] = met["rain"].rolling(24, min_periods=1).sum()
        if {"temp", "dewp"} <= set(met.columns):
            cols["spread"] = met["temp"] - met["dewp"]
        cols.update(calendar)
        part = pd.DataFrame(cols, index=index)
        if spec.extras:
            part = pd.concat([part, _station_extras(wide, y, city), shared], axis=1)
        part.insert(0, "site_id", float(site_id))
        part.insert(0, "site", site)
        frames.append(part)
    features = pd.concat(frames)
    features.index.name = "time"
    features["scale"] = np.tile(scale.to_numpy(), len(panels))
    return features.reset_index()


def is_level(column: str) -> bool:
    """Whether a feature is a level of the target (scaled by ``scale`` in ratio models)."""
    return column == "y" or column.startswith(LEVEL_PREFIXES)


#: Prefixes of the features that are levels of the target (station, city, other stations).
LEVEL_PREFIXES = ("y_", "city", "x_y_", "x_city", "x_st_", "x_north", "x_south", "x_ns_")


def _wind(wide: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Eastward and northward components of the wind vector (``wd`` is where it blows from)."""
    rad = np.deg2rad(wide["wd"].astype(float))
    ws = wide["ws"].astype(float)
    return -ws * np.sin(rad), -ws * np.cos(rad)


def _city_extras(
    panels: Mapping[str, pd.DataFrame],
    target: pd.DataFrame,
    index: pd.DatetimeIndex,
    positions: Mapping[str, tuple[float, float]] | None,
) -> pd.DataFrame:
    """Features shared by the stations of a city at each hour, from values at or before it."""
    city = target.mean(axis=1)
    c: dict[str, pd.Series] = {
        "x_city_max": target.max(axis=1),
        "x_city_min": target.min(axis=1),
        "x_city_std": target.std(axis=1),
    }
    for w in (3, 6, 12, 48, 72, 168):
        c[f"x_city_m{w}"] = city.rolling(w, min_periods=1).mean()
    for w in (6, 24, 72):
        c[f"x_city_max{w}"] = city.rolling(w, min_periods=1).max()
        c[f"x_city_min{w}"] = city.rolling(w, min_periods=1).min()
        c[f"x_city_sd{w}"] = city.rolling(w, min_periods=2).std()
    for d in (1, 6, 12, 24):
        c[f"x_city_d{d}"] = city - city.shift(d)
    c["x_city_l24"], c["x_city_l48"] = city.shift(24), city.shift(48)
    c["x_city_m720"] = city.rolling(720, min_periods=24).mean()
    c["x_city_anom"] = city - c["x_city_m720"]
    for site in target.columns:
        c[f"x_st_{site}"] = target[site]
    if positions and len(positions) >= 4:
        # the half of the stations north of the median latitude against the other half
        lat = pd.Series({s: positions[s][1] for s in target.columns if s in positions})
        north = list(lat[lat > lat.median()].index)
        south = [s for s in lat.index if s not in north]
        if north and south:
            c["x_north"] = target[north].mean(axis=1)
            c["x_south"] = target[south].mean(axis=1)
            c["x_ns_grad"] = c["x_south"] - c["x_north"]
            c["x_ns_grad_d3"] = c["x_ns_grad"] - c["x_ns_grad"].shift(3)
            c["x_north_d3"] = c["x_north"] - c["x_north"].shift(3)
            c["x_north_d6"] = c["x_north"] - c["x_north"].shift(6)

    def mean_of(name: str) -> pd.Series:
        found = [w[name] for w in panels.values() if name in w.columns]
        if not found:
            return pd.Series(np.nan, index=index)
        return pd.concat(found, axis=1).mean(axis=1)

    winds = [_wind(w) for w in panels.values() if {"ws", "wd"} <= set(w.columns)]
    u = pd.concat([a for a, _ in winds], axis=1).mean(axis=1) if winds else mean_of("u")
    v = pd.concat([b for _, b in winds], axis=1).mean(axis=1) if winds else mean_of("v")
    c["x_cu"], c["x_cv"] = u, v
    for w in (6, 12, 24, 48):  # wind run: how far the air moved, by component
        c[f"x_cu_run{w}"] = u.rolling(w, min_periods=1).sum()
        c[f"x_cv_run{w}"] = v.rolling(w, min_periods=1).sum()
    c["x_cv_min12"] = v.rolling(12, min_periods=1).min()
    c["x_cws_max12"] = mean_of("ws").rolling(12, min_periods=1).max()
    pres, temp, dewp = mean_of("pres"), mean_of("temp"), mean_of("dewp")
    for d in (3, 6, 12, 24):  # pressure, temperature and dew-point tendencies
        c[f"x_cp_d{d}"] = pres - pres.shift(d)
        c[f"x_ct_d{d}"] = temp - temp.shift(d)
        c[f"x_cd_d{d}"] = dewp - dewp.shift(d)
    c["x_cp_m720"] = pres - pres.rolling(720, min_periods=24).mean()
    c["x_cd_m720"] = dewp - dewp.rolling(720, min_periods=24).mean()
    c["x_cspread"] = temp - dewp  # dew-point depression
    a, b = 17.625, 243.04  # Magnus coefficients (Alduchov and Eskridge 1996)
    ratio = np.exp(a * dewp / (b + dewp)) / np.exp(a * temp / (b + temp))
    c["x_crh"] = pd.Series(100 * np.asarray(ratio, dtype=float), index=index)
    c["x_crh_m24"] = c["x_crh"].rolling(24, min_periods=1).mean()
    c["x_cspread_m24"] = c["x_cspread"].rolling(24, min_periods=1).mean()
    c["x_crain72"] = mean_of("rain").rolling(72, min_periods=1).sum()
    c["x_ct_range24"] = (
        temp.rolling(24, min_periods=1).max() - temp.rolling(24, min_periods=1).min()
    )
    c["x_hour_sin"] = pd.Series(np.sin(2 * np.pi * index.hour / 24), index=index)
    c["x_hour_cos"] = pd.Series(np.cos(2 * np.pi * index.hour / 24), index=index)
    return pd.DataFrame(c, index=index)


def _station_extras(wide: pd.DataFrame, y: pd.Series, city: pd.Series) -> pd.DataFrame:
    """One station's extra features: windows, changes, its offset from the city, wind run."""
    p: dict[str, pd.Series] = {}
    for w in (6, 12, 72):
        p[f"x_y_max{w}"] = y.rolling(w, min_periods=1).max()
        p[f"x_y_min{w}"] = y.rolling(w, min_periods=1).min()
    for w in (6, 24, 72):
        p[f"x_y_sd{w}"] = y.rolling(w, min_periods=2).std()
    for d in (1, 3, 6, 12, 24):
        p[f"x_y_d{d}"] = y - y.shift(d)
    p["x_y_dev"] = y - city
    p["x_y_dev_m24"] = p["x_y_dev"].rolling(24, min_periods=1).mean()
    p["x_y_dev_m168"] = p["x_y_dev"].rolling(168, min_periods=1).mean()
    p["x_y_ffill"] = y.ffill(limit=23)
    if {"pm2_5", "pm10"} <= set(wide.columns):
        p["x_pm_ratio"] = wide["pm2_5"] / wide["pm10"]
    if {"ws", "wd"} <= set(wide.columns):
        u, v = _wind(wide)
        for w in (6, 12, 24):
            p[f"x_u_run{w}"] = u.rolling(w, min_periods=1).sum()
            p[f"x_v_run{w}"] = v.rolling(w, min_periods=1).sum()
    if "pres" in wide.columns:
        p["x_pres_d6"] = wide["pres"] - wide["pres"].shift(6)
        p["x_pres_d12"] = wide["pres"] - wide["pres"].shift(12)
    return pd.DataFrame(p, index=wide.index)
