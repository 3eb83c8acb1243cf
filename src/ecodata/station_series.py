"""Time series of one station for charts: hourly values as stored, daily values (stored, or from the
hourly values by the HJ 663 / GB 3095 rules), and the daily AQI of a year for the calendar.

Daily values from hourly data (GB 3095-2012 Table 4 / GB 3095-2026 §3.7–§3.13):

* concentrations and meteorology: the mean of the natural day's hours, valid with ≥ 20 hours;
* O₃: the daily maximum 8-h moving mean (MDA8, HJ 663 windows starting 00 … 16 h, ≥ 14 valid);
* precipitation: the sum of the day's hours (valid with ≥ 20 hours);
* wind direction has no arithmetic daily mean and the published hourly series (AQI, 24-h moving
  means) no daily value: asking for them is an error.

The daily AQI follows HJ 633 (daily report): the daily indicators of HJ 663 (daily means, O₃ daily
maximum 1-h and MDA8), then IAQI and AQI with the edition in force on that day.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import InputError, NotFoundError
from ecodata.model import CHINA_TZ, Period
from ecodata.standards import gb3095, hj663
from ecodata.standards.hj633_arrays import aqi_arrays
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

PeriodLabel = Literal["hour", "day"]
DAILY_AQI_INPUTS: Final = ("pm2_5", "pm10", "so2", "no2", "co", "o3")
_NO_DAILY: Final = {"wd": "wind direction has no arithmetic daily mean"}
_DAILY_SUM: Final = frozenset({"rain"})


@dataclass(frozen=True, slots=True)
class SeriesValues:
    """Values of one parameter of one station; ``times_ms`` the start of each interval in
    milliseconds since 1970-01-01 UTC (what chart libraries take), ``times`` the same as times."""

    site: str
    parameter: str
    unit: str
    period: PeriodLabel
    method: str  # "stored", "daily mean", "daily sum", "MDA8"
    times_ms: list[int]
    values: list[float | None]

    @property
    def times(self) -> list[datetime]:
        return [datetime.fromtimestamp(ms / 1000, UTC) for ms in self.times_ms]


def series_values(
    stores: Stores,
    site: str,
    parameter: str,
    period: PeriodLabel,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
) -> SeriesValues:
    """Values of ``parameter`` at ``site`` in ``[start, end)``, hourly or daily."""
    if period not in ("hour", "day"):
        raise InputError(f"period {period!r}: use 'hour' or 'day'")
    stores.registry.site(site)
    candidates = [
        s
        for s in stores.registry.find_series(
            sites=[site], parameters=[parameter], datasets=datasets
        )
        if s["parameter"] == parameter
    ]
    by_period = {Period(s["period"]).label: s for s in candidates}
    if not by_period:
        raise NotFoundError(f"station {site} has no series of parameter {parameter!r}")
    if period in by_period:
        s = by_period[period]
        table = _read(stores, s["id"], start, end)
        return SeriesValues(
            site, parameter, s["unit"], period, "stored", _epoch_ms(table), _values(table)
        )
    if period == "day" and "hour" in by_period:
        s = by_period["hour"]
        if parameter in _NO_DAILY:
            raise InputError(f"{parameter}: {_NO_DAILY[parameter]}")
        if s["published"]:
            raise InputError(f"{parameter} is a published hourly series and has no daily value")
        local_start = _day_start(start) if start is not None else None
        table = _read(stores, s["id"], local_start, end)
        days, daily, method = _daily(parameter, table)
        return SeriesValues(
            site, parameter, s["unit"], "day", method, [_ms(d) for d in days], daily
        )
    raise NotFoundError(f"station {site} has no {period} series of {parameter!r}")


def _read(stores: Stores, series_id: int, start: datetime | None, end: datetime | None) -> pa.Table:
    return stores.observations.read(
        ObservationQuery(series_ids=[series_id], start=start, end=end)
    ).select(["time", "value"])


def _epoch_ms(table: pa.Table) -> list[int]:
    micros = table.column("time").cast(pa.int64()).to_numpy()
    return (micros // 1000).tolist()  # type: ignore[no-any-return]


def _values(table: pa.Table) -> list[float | None]:
    values: list[float | None] = table.column("value").to_pylist()
    return values


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _day_start(moment: datetime) -> datetime:
    local = moment.astimezone(CHINA_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _daily(parameter: str, table: pa.Table) -> tuple[list[datetime], list[float | None], str]:
    frame = pd.DataFrame(
        {
            "site": "s",
            "time": table.column("time").to_pandas(),
            "parameter": parameter,
            "value": table.column("value").to_pandas().astype("float64"),
        }
    )
    if frame.empty:
        return [], [], "daily mean"
    if parameter == "o3":
        daily = hj663.o3_mda8(frame)
        method = "MDA8"
    else:
        daily = hj663.daily_means(frame)
        method = "daily mean"
        if parameter in _DAILY_SUM:
            daily["value"] = daily["value"] * daily["n"]
            method = "daily sum"
    daily = daily.sort_values("date")
    days = [
        datetime(d.year, d.month, d.day, tzinfo=CHINA_TZ) for d in pd.to_datetime(daily["date"])
    ]
    out = [None if np.isnan(v) else float(v) for v in daily["value"].to_numpy(np.float64)]
    return days, out, method


@dataclass(frozen=True, slots=True)
class DailyAqi:
    """``missing`` counts the daily indicators without a valid value; the AQI is then computed from
    the others (HJ 633-2012 has no missing-data rule; HJ 633-2026 §5.3.1 withholds it ≤ 100)."""

    day: date
    aqi: int
    level: int
    primary: tuple[str, ...]
    missing: int


def daily_aqi(
    stores: Stores, site: str, year: int, *, datasets: Collection[int] | None = None
) -> list[DailyAqi]:
    """The daily AQI of every day of a local calendar year with valid daily indicators."""
    stores.registry.site(site)
    series = [
        s
        for s in stores.registry.find_series(
            sites=[site], parameters=list(DAILY_AQI_INPUTS), period=Period.HOUR, datasets=datasets
        )
        if s["parameter"] in DAILY_AQI_INPUTS
    ]
    if not series:
        return []
    start = datetime(year, 1, 1, tzinfo=CHINA_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
    table = stores.observations.read(
        ObservationQuery(series_ids=[s["id"] for s in series], start=start, end=end)
    )
    if table.num_rows == 0:
        return []
    code_of = {s["id"]: s["parameter"] for s in series}
    frame = pd.DataFrame(
        {
            "site": site,
            "time": table.column("time").to_pandas(),
            "parameter": [code_of[i] for i in table.column("series_id").to_pylist()],
            "value": table.column("value").to_pandas(),
        }
    )
    daily = hj663.daily_indicators(frame)
    days = pd.to_datetime(daily["date"])
    moments = days.dt.tz_localize(CHINA_TZ)
    result = aqi_arrays(
        {
            k: daily[k].to_numpy(np.float64)
            for k in ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5")
        },
        period="day",
        times=moments,
        above_scale="cap",
    )
    labels = result.primary_labels()
    out: list[DailyAqi] = []
    for i, d in enumerate(days):
        aqi = result.aqi[i]
        if np.isnan(aqi):
            continue
        out.append(
            DailyAqi(
                day=d.date(),
                aqi=int(aqi),
                level=int(result.level[i]),
                primary=tuple(str(labels[i]).split(",")) if labels[i] else (),
                missing=int(result.missing[i]),
            )
        )
    return out


def data_years(
    stores: Stores,
    site: str,
    *,
    parameters: Sequence[str] = DAILY_AQI_INPUTS,
    datasets: Collection[int] | None = None,
) -> dict[int, int]:
    """Hourly values per local calendar year of the station's fullest series among
    ``parameters`` (the AQI pollutants by default); years without values are left out."""
    series = [
        s
        for s in stores.registry.find_series(
            sites=[site], parameters=list(parameters), period=Period.HOUR, datasets=datasets
        )
        if s["parameter"] in parameters and s["count"]
    ]
    if not series:
        return {}
    fullest = max(series, key=lambda s: (s["count"], s["id"]))
    table = stores.observations.read(ObservationQuery(series_ids=[fullest["id"]]))
    local = pc.add(table.column("time"), pa.scalar(CHINA_TZ.utcoffset(None), pa.duration("us")))
    counted = pa.table({"year": pc.year(local), "value": table.column("value")})
    rows = counted.group_by("year").aggregate([("value", "count")]).to_pylist()
    return {int(r["year"]): int(r["value_count"]) for r in sorted(rows, key=lambda r: r["year"])}


def busiest_year(years: dict[int, int]) -> int | None:
    """The year with the most values (the latest of equals)."""
    return max(years, key=lambda y: (years[y], y)) if years else None


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """Start and end of a local calendar year."""
    return datetime(year, 1, 1, tzinfo=CHINA_TZ), datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)


def gb3095_limit(parameter: str, period: PeriodLabel, at: datetime) -> float | None:
    """The GB 3095 class-2 limit drawn as a reference line, where one applies."""
    averaging = {"hour": "1h", "day": "24h"}[period]
    pollutant = parameter
    if parameter == "o3" and period == "day":
        averaging = "8h"
    try:
        return gb3095.limit(pollutant, averaging, version=gb3095.version_for(at), klass=2)
    except InputError:
        return None
