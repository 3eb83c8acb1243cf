"""The national picture at the latest data hour: every air station with its AQI, the cities ranked,
how fresh the data are and how many stations report.

The *data time* is the latest hour for which any air station holds an hourly AQI or concentration.
A station *reports* when it has an AQI at that hour: the published AQI (the national release) where
one is stored, otherwise the AQI computed from its 1-h concentrations (HJ 633 real-time report,
values above the IAQI-500 breakpoint counted as 500 as the national publication does). The
*network* is the set of air stations with an hourly AQI or PM2.5 series that are active (or that
reported at the data time, though closed since); those without an AQI at the data time are
*missing*.

City AQI: the mean of each pollutant's 1-h concentration over the city's assessment stations,
control (background) stations excluded (HJ 663-2013: a city's concentration is the arithmetic mean
of its assessment stations'), then the AQI of those means. The primary pollutant is named only
when the AQI is above 50 (HJ 633-2012 §4.4.2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import numpy as np

from ecodata.model import Period
from ecodata.standards.hj633 import level_of, version_for
from ecodata.standards.hj633_arrays import aqi_arrays
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

#: The 1-h concentrations of the HJ 633 real-time report (µg/m³, CO mg/m³) and the published AQI.
POLLUTANTS: Final = ("pm2_5", "pm10", "so2", "no2", "co", "o3")
PUBLISHED_AQI: Final = "aqi"
HOUR: Final = timedelta(hours=1)

Freshness = Literal["current", "delayed", "stale", "none"]


@dataclass(frozen=True, slots=True)
class StationState:
    """One station of the network at the data time (``aqi`` is ``None`` when it is missing)."""

    code: str
    name_zh: str
    name_en: str
    province: str
    province_code: str | None
    city: str
    division_code: str | None
    longitude: float | None
    latitude: float | None
    control_site: bool
    aqi: int | None
    level: int | None
    primary: tuple[str, ...]
    aqi_source: Literal["published", "computed", "none"]
    last_time: datetime | None


@dataclass(frozen=True, slots=True)
class CityState:
    """A city at the data time: its AQI from the mean concentrations of its stations."""

    province: str
    city: str
    division_code: str | None
    stations: int
    aqi: int | None
    level: int | None
    primary: tuple[str, ...]
    concentrations: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Overview:
    data_time: datetime | None
    version: str | None
    stations: list[StationState]
    cities: list[CityState]

    @property
    def reporting(self) -> int:
        return sum(1 for s in self.stations if s.aqi is not None)

    @property
    def missing(self) -> int:
        return sum(1 for s in self.stations if s.aqi is None)


def freshness(data_time: datetime | None, now: datetime) -> tuple[Freshness, float | None]:
    """How fresh the data are: "current" within 2 hours of ``now`` (an hourly release arrives within
    the hour), "delayed" within a day, "stale" beyond; with the age in seconds."""
    if data_time is None:
        return "none", None
    age = (now - data_time).total_seconds()
    if age <= 2 * 3600:
        return "current", age
    if age <= 24 * 3600:
        return "delayed", age
    return "stale", age


def national_overview(
    stores: Stores, *, at: datetime | None = None, datasets: Collection[int] | None = None
) -> Overview:
    """Stations and cities at the latest data hour (or at the hour ``at``); ``datasets`` limits
    the series read to those datasets (a principal's readable ones)."""
    series = stores.registry.find_series(
        parameters=[PUBLISHED_AQI, *POLLUTANTS], period=Period.HOUR, datasets=datasets
    )
    wanted = {PUBLISHED_AQI, *POLLUTANTS}
    series = [s for s in series if s["parameter"] in wanted and s["domain"] == "air"]
    sites = {s["code"]: s for s in stores.registry.sites(kind="air")}
    series = [s for s in series if s["site"] in sites]
    last_times = [s["last_time"] for s in series if s["last_time"] is not None]
    if at is not None:
        data_time: datetime | None = at
    else:
        data_time = max(last_times) if last_times else None
    last_by_site: dict[str, datetime] = {}
    for s in series:
        if s["last_time"] is not None and (data_time is None or s["last_time"] <= data_time):
            previous = last_by_site.get(s["site"])
            if previous is None or s["last_time"] > previous:
                last_by_site[s["site"]] = s["last_time"]
    values: dict[tuple[str, str], float] = {}
    if data_time is not None and series:
        table = stores.observations.read(
            ObservationQuery(
                series_ids=[s["id"] for s in series],
                start=data_time,
                end=data_time + HOUR,
                valid_only=True,
            )
        )
        key_of = {s["id"]: (s["site"], s["parameter"]) for s in series}
        for sid, value in zip(
            table.column("series_id").to_pylist(), table.column("value").to_pylist(), strict=True
        ):
            if value is not None:
                values[key_of[sid]] = float(value)
    # The network: stations with an hourly AQI or PM2.5 series that are active, or that reported
    # at the data time (a station closed since still counts for the hours it reported).
    reported = {site for site, _ in values}
    network = sorted(
        {
            s["site"]
            for s in series
            if s["parameter"] in (PUBLISHED_AQI, "pm2_5")
            and (sites[s["site"]]["status"] == "active" or s["site"] in reported)
        }
    )
    version = version_for(data_time) if data_time is not None else None
    provinces = _province_codes(stores)
    stations = _station_states(network, sites, values, version, provinces, last_by_site)
    cities = _city_states(stations, values, version)
    return Overview(data_time, version, stations, cities)


def _province_codes(stores: Stores) -> dict[str, str]:
    return {d["name"]: d["code"] for d in stores.registry.divisions(level=1)}


def _station_states(
    network: Sequence[str],
    sites: Mapping[str, Mapping[str, Any]],
    values: Mapping[tuple[str, str], float],
    version: str | None,
    provinces: Mapping[str, str],
    last_by_site: Mapping[str, datetime],
) -> list[StationState]:
    columns = {p: np.array([values.get((c, p), np.nan) for c in network]) for p in POLLUTANTS}
    computed = (
        aqi_arrays(columns, period="hour", version=version, above_scale="cap")
        if version is not None and network
        else None
    )
    primary_labels = computed.primary_labels() if computed is not None else None
    out: list[StationState] = []
    for i, code in enumerate(network):
        site = sites[code]
        published = values.get((code, PUBLISHED_AQI))
        primary: tuple[str, ...] = ()
        if primary_labels is not None and primary_labels[i]:
            primary = tuple(str(primary_labels[i]).split(","))
        aqi: int | None = None
        source: Literal["published", "computed", "none"] = "none"
        if published is not None:
            aqi, source = round(published), "published"
        elif computed is not None and not np.isnan(computed.aqi[i]):
            aqi, source = int(computed.aqi[i]), "computed"
        if aqi is not None and aqi <= 50:
            primary = ()  # HJ 633-2012 §4.4.2: no primary pollutant when AQI ≤ 50
        out.append(
            StationState(
                code=code,
                name_zh=site["name_zh"],
                name_en=site["name_en"],
                province=site["province"],
                province_code=_province_code(site, provinces),
                city=site["city"],
                division_code=site["division_code"],
                longitude=site["longitude"],
                latitude=site["latitude"],
                control_site=bool((site.get("attributes") or {}).get("control_site", False)),
                aqi=aqi,
                level=level_of(aqi) if aqi is not None else None,
                primary=primary,
                aqi_source=source,
                last_time=last_by_site.get(code),
            )
        )
    return out


def _province_code(site: Mapping[str, Any], provinces: Mapping[str, str]) -> str | None:
    division = site.get("division_code")
    if division:
        return f"{str(division)[:2]}0000"
    return provinces.get(site.get("province") or "")


def _city_states(
    stations: Iterable[StationState], values: Mapping[tuple[str, str], float], version: str | None
) -> list[CityState]:
    groups: dict[tuple[str, str], list[StationState]] = defaultdict(list)
    for s in stations:
        if s.aqi is not None and not s.control_site:
            groups[(s.province, s.city)].append(s)
    keys = sorted(groups)
    if not keys or version is None:
        return []
    means: dict[str, list[float]] = {p: [] for p in POLLUTANTS}
    for key in keys:
        for p in POLLUTANTS:
            found = [values[(s.code, p)] for s in groups[key] if (s.code, p) in values]
            means[p].append(float(np.mean(found)) if found else np.nan)
    result = aqi_arrays(
        {p: np.array(v) for p, v in means.items()},
        period="hour",
        version=version,
        above_scale="cap",
    )
    labels = result.primary_labels()
    out: list[CityState] = []
    for i, (province, city) in enumerate(keys):
        aqi = None if np.isnan(result.aqi[i]) else int(result.aqi[i])
        members = groups[(province, city)]
        out.append(
            CityState(
                province=province,
                city=city,
                division_code=_common_division(members),
                stations=len(members),
                aqi=aqi,
                level=int(result.level[i]) if aqi is not None else None,
                primary=tuple(str(labels[i]).split(",")) if labels[i] else (),
                concentrations={
                    p: None if np.isnan(means[p][i]) else round(means[p][i], 3) for p in POLLUTANTS
                },
            )
        )
    out.sort(key=lambda c: (c.aqi is None, c.aqi if c.aqi is not None else 0, c.city))
    return out


def _common_division(members: Sequence[StationState]) -> str | None:
    codes = {m.division_code for m in members if m.division_code}
    return codes.pop() if len(codes) == 1 else None
