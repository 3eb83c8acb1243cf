"""Exceedance alerts: which stations had pollutants above the standard in the latest hours.

A pollutant *exceeds* (超标) in an hour when its IAQI is above 100, i.e. its concentration is above
the GB 3095 class-2 limit (HJ 633-2012 §3.4 超标污染物; the IAQI-100 breakpoints are the class-2
limits). The *multiple* (超标倍数) is (C − S) / S with S the IAQI-100 breakpoint of the column the
real-time report uses (HJ 633-2012 Table 1; HJ 663-2013 §6.2 for the multiple). A station-hour is
*heavy* when its AQI is above the heavy-pollution threshold (``warning.heavy``, 200 by default).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np
import pandas as pd

from ecodata.model import Period
from ecodata.standards.hj633 import version_for
from ecodata.standards.hj633_arrays import aqi_arrays
from ecodata.standards.hj633_tables import POLLUTANTS, TABLES
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

INPUTS: Final = ("pm2_5", "pm10", "so2", "no2", "co", "o3")
_BASIS: Final = {"so2": "1h", "no2": "1h", "co": "1h", "o3": "1h", "pm10": "24h", "pm2_5": "24h"}


@dataclass(frozen=True, slots=True)
class PollutantExceedance:
    pollutant: str
    hours: int
    max_concentration: float
    max_multiple: float  # (C − S) / S at the highest concentration


@dataclass(frozen=True, slots=True)
class StationExceedance:
    code: str
    name_zh: str
    name_en: str
    province: str
    city: str
    hours: int  # hours with at least one pollutant exceeding
    heavy_hours: int  # hours with AQI above the heavy-pollution threshold
    max_aqi: int | None
    last_time: datetime
    pollutants: list[PollutantExceedance]


@dataclass(frozen=True, slots=True)
class Exceedances:
    data_time: datetime | None
    start: datetime | None
    hours: int
    stations_checked: int
    heavy_threshold: float
    stations: list[StationExceedance]


def limit_of(pollutant: str, version: str) -> float:
    """The IAQI-100 breakpoint (= GB 3095 class-2 limit) of the real-time report column."""
    return float(TABLES[version][(pollutant, _BASIS[pollutant])][2])


def recent_exceedances(
    stores: Stores,
    *,
    hours: int = 24,
    heavy: float = 200.0,
    at: datetime | None = None,
    datasets: Collection[int] | None = None,
) -> Exceedances:
    """Stations with exceeding pollutants in the ``hours`` hours up to the latest data hour."""
    series = [
        s
        for s in stores.registry.find_series(
            parameters=list(INPUTS), period=Period.HOUR, datasets=datasets
        )
        if s["parameter"] in INPUTS and s["domain"] == "air"
    ]
    last = [s["last_time"] for s in series if s["last_time"] is not None]
    data_time = at or (max(last) if last else None)
    if data_time is None:
        return Exceedances(None, None, hours, 0, heavy, [])
    start = data_time - timedelta(hours=hours - 1)
    table = stores.observations.read(
        ObservationQuery(
            series_ids=[s["id"] for s in series],
            start=start,
            end=data_time + timedelta(hours=1),
            valid_only=True,
        )
    )
    meta = {s["id"]: (s["site"], s["parameter"]) for s in series}
    frame = pd.DataFrame(
        {
            "site": [meta[i][0] for i in table.column("series_id").to_pylist()],
            "parameter": [meta[i][1] for i in table.column("series_id").to_pylist()],
            "time": table.column("time").to_pandas(),
            "value": table.column("value").to_pandas(),
        }
    )
    wide = frame.pivot_table(
        index=["site", "time"], columns="parameter", values="value", aggfunc="first"
    )
    version = version_for(data_time)
    result = aqi_arrays(
        {p: wide[p].to_numpy(np.float64) for p in INPUTS if p in wide.columns},
        period="hour",
        version=version,
        above_scale="cap",
    )
    hourly = wide.reset_index()
    hourly["aqi"] = result.aqi
    hourly["exceeding"] = result.exceeding
    hourly["heavy"] = np.nan_to_num(result.aqi, nan=-1.0) > heavy
    over = hourly[hourly["exceeding"] > 0]
    per_site = hourly.groupby("site").agg(heavy=("heavy", "sum"), max_aqi=("aqi", "max"))
    per_site = per_site.join(over.groupby("site").agg(hours=("time", "size"), last=("time", "max")))
    per_site = per_site.dropna(subset=["hours"])
    peaks: dict[str, list[PollutantExceedance]] = {code: [] for code in per_site.index}
    for bit, p in enumerate(POLLUTANTS):
        if p not in over.columns:
            continue
        hit = over[(over["exceeding"].to_numpy() >> bit) & 1 == 1]
        limit = limit_of(p, version)
        stats = hit.groupby("site")[p].agg(["size", "max"])
        for code, n, top in zip(stats.index, stats["size"], stats["max"], strict=True):
            peak = float(top)
            peaks[str(code)].append(PollutantExceedance(p, int(n), peak, (peak - limit) / limit))
    registry = {s["code"]: s for s in stores.registry.sites(kind="air")}
    out: list[StationExceedance] = []
    for row in per_site.reset_index().to_dict("records"):
        code = row["site"]
        site = registry.get(str(code), {})
        out.append(
            StationExceedance(
                code=str(code),
                name_zh=site.get("name_zh", ""),
                name_en=site.get("name_en", ""),
                province=site.get("province", ""),
                city=site.get("city", ""),
                hours=int(row["hours"]),
                heavy_hours=int(row["heavy"]),
                max_aqi=None if np.isnan(row["max_aqi"]) else int(row["max_aqi"]),
                last_time=row["last"].to_pydatetime(),
                pollutants=sorted(peaks[str(code)], key=lambda e: -e.max_multiple),
            )
        )
    out.sort(key=lambda e: (-e.heavy_hours, -e.hours, -(e.max_aqi or 0), e.code))
    return Exceedances(
        data_time=data_time,
        start=start,
        hours=hours,
        stations_checked=int(hourly["site"].nunique()),
        heavy_threshold=heavy,
        stations=out,
    )
