"""Readers that turn the published file layouts into the long frame of :mod:`.frames`.

These are the I/O edge of the analysis package, for notebooks, tests and benchmarks; the platform
itself reads the stores. Parameter codes and units are those of the registry
(:mod:`ecodata.parameters`), so a frame read here and one read from a store look the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, tzinfo
from pathlib import Path

import numpy as np
import pandas as pd

from ecodata.errors import FormatError
from ecodata.ingest.beijing_multisite import COLUMNS as BEIJING_COLUMNS
from ecodata.ingest.beijing_multisite import COMPASS, STATIONS
from ecodata.ingest.national_hourly import TYPES as NATIONAL_TYPES
from ecodata.ingest.openair import COLUMNS as OPENAIR_COLUMNS
from ecodata.model import CHINA_TZ

#: openair's example site (London Marylebone Road, kerbside), times in GMT.
OPENAIR_SITE = "MY1"
#: Haikou national station of ``air/haikou_1410A_2014_2023.csv``.
HAIKOU_SITE = "1410A"
_HAIKOU_COLUMNS = {"PM2.5": "pm2_5", "O3": "o3", "NO2": "no2", "CO": "co", "SO2": "so2"}


def _long(wide: pd.DataFrame, site: pd.Series | str, times: pd.Series) -> pd.DataFrame:
    """Melt per-row parameter columns into the long layout."""
    n, k = len(times), len(wide.columns)
    index = pd.DatetimeIndex(times)
    if isinstance(site, pd.Series):
        codes, names = pd.factorize(site)
    else:
        codes, names = np.zeros(n, dtype=np.int64), pd.Index([site])
    frame = pd.DataFrame(
        {
            "site": pd.Categorical.from_codes(np.tile(codes, k), categories=names),
            "time": index[np.tile(np.arange(n), k)],
            "parameter": pd.Categorical.from_codes(
                np.repeat(np.arange(k), n), categories=pd.Index(wide.columns)
            ),
            "value": wide.to_numpy(dtype=float).ravel(order="F"),
        }
    )
    return frame


def _read_csv(path: Path, required: Iterable[str], layout: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, na_values=["NA", ""], keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: cannot read as {layout}: {exc}") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise FormatError(f"{path}: not a {layout} file: no columns {missing}")
    return table


def _local_times(text: pd.Series, path: Path, tz: tzinfo) -> pd.Series:
    times = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    bad = times.isna() & text.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise FormatError(f"{path}: line {row + 2}: impossible date {text.iloc[row]!r}")
    return times.dt.tz_localize(tz)


def read_openair_mydata(path: Path, site: str = OPENAIR_SITE) -> pd.DataFrame:
    """openair's ``mydata`` (``date,ws,wd,nox,no2,o3,pm10,so2,co,pm25``; GMT) as a long frame
    with codes ``ws, wd, nox_ppb, no2_ppb, o3_ppb, pm10, so2_ppb, co_ppm, pm2_5``."""
    table = _read_csv(path, ["date", *OPENAIR_COLUMNS], "openair mydata")
    times = _local_times(table["date"], path, UTC)
    wide = table[list(OPENAIR_COLUMNS)].rename(columns=OPENAIR_COLUMNS)
    return _long(wide, site, times)


def read_beijing_multisite(paths: Iterable[Path]) -> pd.DataFrame:
    """The UCI Beijing multi-site files (Zhang et al. 2017) as one long frame.

    Sites are the national codes (``1001A``…``1012A``); CO is converted from µg/m³ to mg/m³;
    the 16-point compass ``wd`` becomes degrees; times are Beijing time (UTC+8).
    """
    tables = []
    for path in sorted(paths):
        table = _read_csv(
            path,
            ["year", "month", "day", "hour", "station", "wd", *BEIJING_COLUMNS],
            "Beijing multi-site",
        )
        unknown = sorted(set(table["station"]) - set(STATIONS))
        if unknown:
            raise FormatError(
                f"{path}: unknown station {unknown[0]!r}; expected one of {', '.join(STATIONS)}"
            )
        try:
            local = pd.to_datetime(table[["year", "month", "day", "hour"]])
        except ValueError as exc:
            raise FormatError(f"{path}: impossible date: {exc}") from None
        wide = pd.DataFrame(
            {
                code: table[col].astype(float) * factor
                for col, (code, factor) in BEIJING_COLUMNS.items()
            }
        )
        wd = table["wd"].map(COMPASS)
        bad = wd.isna() & table["wd"].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise FormatError(
                f"{path}: line {row + 2}: wind direction {table['wd'].iloc[row]!r} "
                "is not a 16-point compass name"
            )
        wide["wd"] = wd.astype(float)
        wide["site"] = table["station"].map({name: v[0] for name, v in STATIONS.items()})
        wide["time"] = local.dt.tz_localize(CHINA_TZ)
        tables.append(wide)
    if not tables:
        raise FormatError("no Beijing multi-site files given")
    both = pd.concat(tables, ignore_index=True)
    return _long(both.drop(columns=["site", "time"]), both["site"], both["time"])


def beijing_stations() -> pd.DataFrame:
    """The 12 Beijing stations: ``site, name, name_en, longitude, latitude``."""
    rows = [(code, zh, en, lon, lat) for en, (code, zh, lon, lat) in STATIONS.items()]
    return pd.DataFrame(rows, columns=["site", "name", "name_en", "longitude", "latitude"])


def read_haikou(path: Path) -> pd.DataFrame:
    """Haikou station 1410A (``datetime,PM2.5,O3,NO2,CO,SO2``; CO in mg/m³; Beijing time)."""
    table = _read_csv(path, ["datetime", *_HAIKOU_COLUMNS], "Haikou 1410A")
    times = _local_times(table["datetime"], path, CHINA_TZ)
    wide = table[list(_HAIKOU_COLUMNS)].rename(columns=_HAIKOU_COLUMNS)
    return _long(wide, HAIKOU_SITE, times)


def read_national_hourly(paths: Iterable[Path], types: Iterable[str] | None = None) -> pd.DataFrame:
    """The national hourly publication (``date,hour,type,<station codes…>``) as a long frame.

    ``types`` selects rows of the ``type`` column (default: all); parameters get the registry
    codes (``PM2.5`` → ``pm2_5``, ``AQI`` → ``aqi`` …). Times are Beijing time.
    """
    wanted = set(types) if types is not None else set(NATIONAL_TYPES)
    unknown = wanted - set(NATIONAL_TYPES)
    if unknown:
        raise FormatError(
            f"unknown type {sorted(unknown)[0]!r}; expected one of {', '.join(NATIONAL_TYPES)}"
        )
    frames = []
    for path in sorted(paths):
        table = _read_csv(path, ["date", "hour", "type"], "national hourly")
        table = table[table["type"].isin(wanted)]
        local = pd.to_datetime(table["date"].astype(str), format="%Y%m%d", errors="coerce")
        if local.isna().any():
            raise FormatError(f"{path}: impossible date in column 'date'")
        times = (local + pd.to_timedelta(table["hour"].astype(int), unit="h")).dt.tz_localize(
            CHINA_TZ
        )
        stations = [c for c in table.columns if c not in ("date", "hour", "type")]
        values = table[stations].apply(pd.to_numeric, errors="coerce")
        index = pd.DatetimeIndex(times)
        melted = pd.DataFrame(
            {
                "site": np.tile(np.asarray(stations, dtype=object), len(table)),
                "time": index[np.repeat(np.arange(len(table)), len(stations))],
                "parameter": np.repeat(table["type"].map(NATIONAL_TYPES).to_numpy(), len(stations)),
                "value": values.to_numpy(dtype=float).ravel(),
            }
        )
        frames.append(melted[~np.isnan(melted["value"].to_numpy())])
    if not frames:
        raise FormatError("no national hourly files given")
    frame = pd.concat(frames, ignore_index=True)
    for col in ("site", "parameter"):
        frame[col] = frame[col].astype("category")
    return pd.DataFrame(frame)


def read_station_list(path: Path) -> pd.DataFrame:
    """A national station list (2020 or 2024 layout) as ``site, name, city, longitude,
    latitude``; stations without coordinates are dropped."""
    table = _read_csv(path, ["监测点编码", "监测点名称", "城市", "经度", "纬度"], "station list")
    out = pd.DataFrame(
        {
            "site": table["监测点编码"].astype(str).str.strip(),
            "name": table["监测点名称"].astype(str),
            "city": table["城市"].astype(str),
            "longitude": pd.to_numeric(table["经度"], errors="coerce"),
            "latitude": pd.to_numeric(table["纬度"], errors="coerce"),
        }
    )
    out = out.dropna(subset=["longitude", "latitude"])
    return out.drop_duplicates("site").reset_index(drop=True)
