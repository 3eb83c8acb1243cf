"""Compute the AQI of every station, city and province, hourly and daily, and store the results.

For each calendar month (China time) the hourly concentrations of all stations are read as one
site × hour grid (:mod:`.grid`). From it:

* **hourly** AQI per station: the real-time report, HJ 633-2012 §5.1.3 as published nationally /
  HJ 633-2026 §4.2.3 (six 1-h values; see :mod:`ecodata.standards.hj633`);
* **daily** AQI per station: HJ 663 daily values with their validity rules (≥ 20 hours; O₃ MDA8
  from ≥ 14 valid 8-h windows, :mod:`ecodata.standards.hj663_arrays`), then the daily report
  (HJ 633-2012 §5.1.2: 7 indicators; HJ 633-2026 §4.2.2: 6);
* **city** values: the mean of the concentrations of the city's assessment stations (control
  stations left out), then the AQI of those means (HJ 633-2026 §4.2.1 city level; HJ 663); daily
  city values are the means of the stations' daily values;
* **province** values: the mean of the province's city values, then their AQI *(unverified)*.

The edition of HJ 633 follows each row's time (2012 before 2026-03-01 CST, 2026 from then on).
Results go to the derived tables ``aqi_hour`` and ``aqi_day`` keyed by (scope, code, time); a
recomputation replaces the rows of its period.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import NotFoundError
from ecodata.evaluation.air_network import (
    POLLUTANTS,
    SCOPES,
    AirNetwork,
    Place,
    air_network,
    group_means,
)
from ecodata.evaluation.grid import Grid, SeriesMap, read_grid
from ecodata.evaluation.periods import HOUR, check_span, month_spans
from ecodata.standards.hj633_arrays import STATUS_CODES, AqiArrays, aqi_arrays, mask_labels
from ecodata.standards.hj663_arrays import DAILY_KEYS, HOURS_PER_DAY, daily_indicators
from ecodata.store.derived import DerivedQuery
from ecodata.store.stores import Stores

FloatArray = npt.NDArray[np.float64]

HOUR_TABLE: Final = "aqi_hour"
DAY_TABLE: Final = "aqi_day"
KEY: Final = ("scope", "code", "time")
#: Record keys stored per period (concentrations and sub-indices).
HOURLY_KEYS: Final = POLLUTANTS
DAILY_RECORD_KEYS: Final = DAILY_KEYS

Progress = Callable[[int, int], None]


@dataclass
class AqiComputeSummary:
    """What a computation did: the period, months processed and rows written per table and
    scope."""

    start: datetime | None
    end: datetime | None
    months: int = 0
    hour_rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCOPES, 0))
    day_rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCOPES, 0))
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "months": self.months,
            "hour_rows": self.hour_rows,
            "day_rows": self.day_rows,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class MonthGrid:
    """The hourly grid of one month for the stations with data in it."""

    sites: list[Place]
    city_of_site: npt.NDArray[np.int64]
    grid: Grid

    @property
    def days(self) -> int:
        return self.grid.slots // HOURS_PER_DAY


def read_month(stores: Stores, network: AirNetwork, start: datetime, end: datetime) -> MonthGrid:
    """Hourly grid of [start, end) (local midnights) for the stations with data in it."""
    active = network.series.overlapping(start, end)
    rows = np.unique(active.row)
    local = np.full(len(network.sites), -1, dtype=np.int32)
    local[rows] = np.arange(rows.size, dtype=np.int32)
    remapped = SeriesMap(active.series_id, local[active.row], active.column, active.first,
                         active.last)  # fmt: skip
    grid = read_grid(
        stores.observations, remapped, columns=network.columns, n_rows=int(rows.size),
        start=start, end=end, step=HOUR,
    )  # fmt: skip
    return MonthGrid([network.sites[i] for i in rows], network.city_of_site[rows], grid)


def daily_site_values(month: MonthGrid) -> dict[str, FloatArray]:
    """HJ 663 daily values (site × day) of every daily-report indicator."""
    n, days = month.grid.n_rows, month.days
    hourly = {p: month.grid.column(p).reshape(n, days, HOURS_PER_DAY) for p in POLLUTANTS}
    return daily_indicators(hourly)


def aqi_rows(
    places: Sequence[Place],
    values: Mapping[str, FloatArray],
    slot_times: npt.NDArray[np.datetime64],
    *,
    period: str,
    keys: Sequence[str],
    n_sites: npt.NDArray[np.int32] | None = None,
) -> tuple[pa.Table, AqiArrays]:
    """AQI of every (place, slot) cell with at least one value, as a results table."""
    stack = np.stack([values[k] for k in keys])
    present = ~np.isnan(stack).all(axis=0)
    place_i, slot_i = np.nonzero(present)
    times = slot_times[slot_i]
    columns = {k: values[k][place_i, slot_i] for k in keys}
    result = aqi_arrays(columns, period=period, times=times)
    counts = np.ones(place_i.size, dtype=np.int32) if n_sites is None else n_sites[place_i, slot_i]
    return _results_table(places, place_i, times, columns, result, keys, counts), result


def _results_table(
    places: Sequence[Place],
    place_i: npt.NDArray[np.intp],
    times: npt.NDArray[np.datetime64],
    columns: Mapping[str, FloatArray],
    result: AqiArrays,
    keys: Sequence[str],
    n_sites: npt.NDArray[np.int32],
) -> pa.Table:
    rows = pa.array(place_i, pa.int64())

    def text(attribute: str) -> pa.Array:
        labels = pa.array([getattr(p, attribute) or "" for p in places], pa.string())
        return labels.take(rows)

    data: dict[str, pa.Array] = {
        "scope": text("scope"),
        "code": text("code"),
        "name": text("name"),
        "city": text("city"),
        "province": text("province"),
        "division_code": text("division_code"),
        "time": pa.array(times, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
        "version": _labels(*np.unique(result.version, return_inverse=True)),
    }
    for k in keys:
        data[k] = pa.array(columns[k], pa.float64(), from_pandas=True)
    for k in keys:
        data[f"iaqi_{k}"] = pa.array(
            result.iaqi.get(k, np.full(place_i.size, np.nan)), pa.float64(), from_pandas=True
        )
    data["aqi"] = pa.array(result.aqi, pa.float64(), from_pandas=True).cast(pa.int16())
    data["level"] = pa.array(result.level, pa.int16(), mask=result.level == 0)
    data["aqi_status"] = _labels(np.asarray(STATUS_CODES), result.status)
    masks, inverse = np.unique(result.primary, return_inverse=True)
    data["primary_pollutants"] = _labels(mask_labels(masks), inverse)
    data["n_sites"] = pa.array(n_sites, pa.int32())
    return pa.table(data)


def _labels(names: npt.ArrayLike, codes: npt.ArrayLike) -> pa.Array:
    """Texts ``names[codes]`` as an Arrow string column (taken in C++, not per row in Python)."""
    dictionary = pa.array(np.asarray(names).astype(str).tolist(), pa.string())
    return dictionary.take(pa.array(np.asarray(codes).reshape(-1), pa.int64()))


def month_results(network: AirNetwork, month: MonthGrid) -> tuple[pa.Table, pa.Table]:
    """Hourly and daily results of one month for stations, cities and provinces."""
    grid = month.grid
    n_cities, n_provinces = len(network.cities), len(network.provinces)
    hour_times = grid.slot_times()
    day_times = hour_times[::HOURS_PER_DAY]

    site_hour = {p: grid.column(p) for p in POLLUTANTS}
    city_hour, city_sites = _groups(site_hour, _any(site_hour), month.city_of_site, n_cities)
    province_hour, province_cities = _groups(
        city_hour, city_sites > 0, network.province_of_city, n_provinces
    )

    site_day = daily_site_values(month)
    city_day, city_day_sites = _groups(site_day, _any(site_day), month.city_of_site, n_cities)
    province_day, province_day_cities = _groups(
        city_day, city_day_sites > 0, network.province_of_city, n_provinces
    )

    hour_parts = [
        aqi_rows(month.sites, site_hour, hour_times, period="hour", keys=HOURLY_KEYS)[0],
        aqi_rows(network.cities, city_hour, hour_times, period="hour", keys=HOURLY_KEYS,
                 n_sites=city_sites)[0],
        aqi_rows(network.provinces, province_hour, hour_times, period="hour", keys=HOURLY_KEYS,
                 n_sites=province_cities)[0],
    ]  # fmt: skip
    day_parts = [
        aqi_rows(month.sites, site_day, day_times, period="day", keys=DAILY_RECORD_KEYS)[0],
        aqi_rows(network.cities, city_day, day_times, period="day", keys=DAILY_RECORD_KEYS,
                 n_sites=city_day_sites)[0],
        aqi_rows(network.provinces, province_day, day_times, period="day",
                 keys=DAILY_RECORD_KEYS, n_sites=province_day_cities)[0],
    ]  # fmt: skip
    return pa.concat_tables(hour_parts), pa.concat_tables(day_parts)


def _groups(
    values: Mapping[str, FloatArray],
    present: npt.NDArray[np.bool_],
    groups: npt.NDArray[np.int64],
    n_groups: int,
) -> tuple[dict[str, FloatArray], npt.NDArray[np.int32]]:
    """Group means of every indicator and the number of members with any value."""
    keys = list(values)
    stacked = np.stack([values[k] for k in keys], axis=1)  # members × indicators × slots
    means, _ = group_means(stacked, groups, n_groups)
    _, counts = group_means(np.where(present, 1.0, np.nan), groups, n_groups)
    return {k: means[:, i, :] for i, k in enumerate(keys)}, counts


def _any(values: Mapping[str, FloatArray]) -> npt.NDArray[np.bool_]:
    """Cells where at least one indicator has a value."""
    return np.asarray(~np.isnan(np.stack(list(values.values()))).all(axis=0))


def compute_aqi(
    stores: Stores,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    progress: Progress | None = None,
) -> AqiComputeSummary:
    """(Re)compute hourly and daily AQI for stations, cities and provinces in [start, end) —
    by default over every stored hour — and store the results."""
    check_span(start, end)
    began = clock.perf_counter()
    network = air_network(stores.registry, store=stores.observations)
    if not network.sites:
        raise NotFoundError(
            "no hourly air-pollutant data to compute an AQI from; import some first "
            "(e.g. `ecodata import national-hourly …`)"
        )
    span = network.series.span()
    summary = AqiComputeSummary(start, end)
    if span is None:
        return summary
    lo = start if start is not None else span[0]
    hi = end if end is not None else span[1] + HOUR
    spans = list(month_spans(lo, hi))
    summary.start, summary.end = (spans[0][0], spans[-1][1]) if spans else (lo, hi)
    for done, (m_start, m_end) in enumerate(spans, start=1):
        month = read_month(stores, network, m_start, m_end)
        hour_table, day_table = month_results(network, month)
        replace = DerivedQuery(start=m_start, end=m_end)
        stores.observations.write_derived(HOUR_TABLE, hour_table, key=KEY, replace=replace)
        stores.observations.write_derived(DAY_TABLE, day_table, key=KEY, replace=replace)
        _count(summary.hour_rows, hour_table)
        _count(summary.day_rows, day_table)
        summary.months += 1
        if progress is not None:
            progress(done, len(spans))
    summary.seconds = clock.perf_counter() - began
    return summary


def _count(counts: dict[str, int], table: pa.Table) -> None:
    for item in pc.value_counts(table.column("scope")).to_pylist():
        counts[str(item["values"])] = counts.get(str(item["values"]), 0) + int(item["counts"])
