"""The air monitoring network as the AQI sees it: stations, the cities they assess, provinces.

HJ 663 evaluates a city by the arithmetic mean of the concentrations of its assessment stations
(城市点); control (background) stations — ``attributes.control_site`` in the registry, 对照点 in the
national lists — are left out (HJ 663-2013 §4, as applied by the national publication; the primary
text of HJ 663-2026 was not at hand). Stations are grouped by the city named in the station lists
(the cities of the national real-time publication, e.g. 北京, 寿光); a city's division code is the
one most of its stations carry. A province's value is the mean of its cities' values *(unverified:
HJ 633 defines station, county and city levels only)*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from ecodata.evaluation.grid import SeriesMap, series_map, with_stored_span
from ecodata.model import Period
from ecodata.store.observations import ObservationStore
from ecodata.store.registry import Registry

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Stored hourly parameters that enter the AQI (µg/m³; CO mg/m³).
POLLUTANTS: Final = ("so2", "no2", "co", "o3", "pm10", "pm2_5")

SITE: Final = "site"
CITY: Final = "city"
PROVINCE: Final = "province"
SCOPES: Final = (SITE, CITY, PROVINCE)


@dataclass(frozen=True)
class Place:
    """A row of the AQI results: a station, a city or a province."""

    scope: str
    code: str
    name: str
    city: str
    province: str
    division_code: str | None


@dataclass(frozen=True)
class AirNetwork:
    """Stations (with the hourly series that fill their grid rows), cities and provinces."""

    sites: list[Place]
    control: npt.NDArray[np.bool_]
    cities: list[Place]
    provinces: list[Place]
    city_of_site: IntArray  # -1: not an assessment station of any city
    province_of_city: IntArray  # -1: province unknown
    series: SeriesMap
    columns: tuple[str, ...] = POLLUTANTS

    @property
    def site_codes(self) -> list[str]:
        return [s.code for s in self.sites]


def air_network(
    registry: Registry,
    *,
    parameters: Sequence[str] = POLLUTANTS,
    store: ObservationStore | None = None,
) -> AirNetwork:
    """Stations that have hourly series of ``parameters``, with their cities and provinces; the
    series map columns in the order of ``parameters``. With ``store`` the series keep only those
    holding observations, with the time span the store has now."""
    frame = registry.series_frame()
    hourly = frame.filter(
        pc.and_(
            pc.is_in(frame.column("parameter"), pa.array(list(parameters), pa.string())),
            pc.equal(frame.column("period"), int(Period.HOUR)),
        )
    )
    codes = set(hourly.column("site").to_pylist())
    rows = [r for r in registry.sites() if r["code"] in codes]
    sites = [
        Place(SITE, r["code"], r["name_zh"] or r["name_en"] or r["code"], r["city"] or "",
              r["province"] or "", r["division_code"])
        for r in rows
    ]  # fmt: skip
    control = np.array([_is_control(r.get("attributes")) for r in rows], dtype=bool)
    city_names = sorted({s.city for s, c in zip(sites, control, strict=True) if s.city and not c})
    city_index = {name: i for i, name in enumerate(city_names)}
    city_of_site = np.array(
        [city_index.get(s.city, -1) if not c else -1 for s, c in zip(sites, control, strict=True)],
        dtype=np.int64,
    )
    members: dict[int, list[Place]] = {}
    for site, group in zip(sites, city_of_site.tolist(), strict=True):
        members.setdefault(group, []).append(site)
    cities: list[Place] = []
    for i, name in enumerate(city_names):
        division = _most_common([m.division_code for m in members[i]])
        province = _most_common([m.province for m in members[i]]) or ""
        cities.append(Place(CITY, name, name, name, province, division))
    provinces: list[Place] = []
    province_index: dict[str, int] = {}
    province_of_city = np.full(len(cities), -1, dtype=np.int64)
    for i, city in enumerate(cities):
        code = f"{city.division_code[:2]}0000" if city.division_code else ""
        if not code:
            continue
        if code not in province_index:
            province_index[code] = len(provinces)
            provinces.append(Place(PROVINCE, code, city.province or code, "", city.province, code))
        province_of_city[i] = province_index[code]
    series = series_map(hourly, [s.code for s in sites], parameters, Period.HOUR)
    if store is not None:
        series = with_stored_span(store, series)
    return AirNetwork(
        sites, control, cities, provinces, city_of_site, province_of_city, series, tuple(parameters)
    )


def group_means(
    values: FloatArray, groups: IntArray, n_groups: int
) -> tuple[FloatArray, npt.NDArray[np.int32]]:
    """Mean over the members of each group of the rows of ``values`` (first axis), ignoring NaN;
    rows with group -1 are left out. Returns (means with NaN where no member has a value, the
    number of members with a value)."""
    member = groups >= 0
    matrix = sparse.csr_matrix(
        (np.ones(int(member.sum())), (groups[member], np.flatnonzero(member))),
        shape=(n_groups, values.shape[0]),
    )
    flat = values.reshape(values.shape[0], -1)
    present = ~np.isnan(flat)
    sums = np.asarray(matrix @ np.where(present, flat, 0.0))
    counts = np.asarray(matrix @ present.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    shape = (n_groups, *values.shape[1:])
    return means.reshape(shape), counts.reshape(shape).astype(np.int32)


def _is_control(attributes: Any) -> bool:
    return bool(isinstance(attributes, dict) and attributes.get("control_site") is True)


def _most_common(values: Sequence[str | None]) -> str | None:
    counted = Counter(v for v in values if v)
    return counted.most_common(1)[0][0] if counted else None
