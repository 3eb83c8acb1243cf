"""What a station page shows besides its charts: the latest readings with their AQI categories, and
the quality of the station's data (coverage per year, data flags, QC bits, quarantined records).

Latest readings: the newest value of every series of the station; the six pollutants of the HJ 633
real-time report carry their IAQI (1-h values, HJ 633-2012 Table 1 / HJ 633-2026 Table 3, values
above the table capped at 500 as the national publication does), the station its AQI (the published
one where stored, else computed from the same 1-h values).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import pyarrow as pa
import pyarrow.compute as pc

from ecodata.model import CHINA_TZ, QC, Period
from ecodata.standards.hj633 import calc_record, level_of, version_for
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

#: The 1-h pollutants that carry an IAQI on the real-time report, and the published AQI.
IAQI_KEYS: Final = ("pm2_5", "pm10", "so2", "no2", "co", "o3")
PUBLISHED_AQI: Final = "aqi"
#: Local (China Standard Time) offset from UTC, for calendar years.
_LOCAL_OFFSET: Final = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class Reading:
    parameter: str
    name_zh: str
    name_en: str
    unit: str
    domain: str
    published: bool
    period: str
    time: datetime
    value: float | None
    flag: str | None
    qc: int
    iaqi: int | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class StationLatest:
    """The station's newest readings; ``time`` is the newest hour of any of its hourly series."""

    code: str
    time: datetime | None
    version: str | None
    aqi: int | None
    level: int | None
    aqi_source: Literal["published", "computed", "none"]
    primary: tuple[str, ...]
    readings: list[Reading]


def station_latest(
    stores: Stores, code: str, *, datasets: Collection[int] | None = None
) -> StationLatest:
    """The latest reading of every series of a station (raises NotFoundError for unknown codes)."""
    stores.registry.site(code)
    series = stores.registry.find_series(sites=[code], datasets=datasets)
    if not series:
        return StationLatest(code, None, None, None, None, "none", (), [])
    params = {p["code"]: p for p in stores.registry.parameters()}
    latest = stores.observations.latest([s["id"] for s in series]).to_pylist()
    by_series = {s["id"]: s for s in series}
    hourly_times = [
        r["time"] for r in latest if by_series[r["series_id"]]["period"] == int(Period.HOUR)
    ]
    newest = max(hourly_times) if hourly_times else None
    version = version_for(newest) if newest is not None else None
    at_newest = {
        by_series[r["series_id"]]["parameter"]: r["value"]
        for r in latest
        if r["time"] == newest
        and by_series[r["series_id"]]["period"] == int(Period.HOUR)
        and r["value"] is not None
    }
    result = None
    if version is not None:
        result = calc_record(
            {k: at_newest.get(k) for k in IAQI_KEYS},
            version=version,
            period="hour",
            above_scale="cap",
        )
    readings: list[Reading] = []
    for row in latest:
        s = by_series[row["series_id"]]
        p = params.get(s["parameter"], {})
        iaqi = None
        if (
            result is not None
            and s["parameter"] in IAQI_KEYS
            and s["period"] == int(Period.HOUR)
            and row["time"] == newest
        ):
            iaqi = result.iaqi.get(s["parameter"])
        readings.append(
            Reading(
                parameter=s["parameter"],
                name_zh=p.get("name_zh", s["parameter"]),
                name_en=p.get("name_en", s["parameter"]),
                unit=s["unit"],
                domain=s["domain"],
                published=bool(s["published"]),
                period=Period(s["period"]).label,
                time=row["time"],
                value=row["value"],
                flag=row["flag"],
                qc=int(row["qc"]),
                iaqi=iaqi,
                level=level_of(iaqi) if iaqi is not None else None,
            )
        )
    readings.sort(key=lambda r: (_reading_order(r), r.parameter))
    published = at_newest.get(PUBLISHED_AQI)
    aqi: int | None = None
    source: Literal["published", "computed", "none"] = "none"
    if published is not None:
        aqi, source = round(published), "published"
    elif result is not None and result.aqi is not None:
        aqi, source = result.aqi, "computed"
    primary = tuple(result.primary) if result is not None and aqi is not None and aqi > 50 else ()
    return StationLatest(
        code=code,
        time=newest,
        version=version,
        aqi=aqi,
        level=level_of(aqi) if aqi is not None else None,
        aqi_source=source,
        primary=primary,
        readings=readings,
    )


def _reading_order(reading: Reading) -> int:
    if reading.parameter in IAQI_KEYS:
        return IAQI_KEYS.index(reading.parameter)
    if reading.parameter == PUBLISHED_AQI:
        return -1
    return 10 + (20 if reading.published else 0) + (5 if reading.domain != "air" else 0)


@dataclass(frozen=True, slots=True)
class SeriesQuality:
    parameter: str
    name_zh: str
    name_en: str
    period: str
    first_time: datetime | None
    last_time: datetime | None
    count: int
    coverage: dict[int, float]  # local calendar year → share of the expected values present
    flags: dict[str, int]  # HJ 212 data flag → count ("" = no flag, i.e. normal)
    qc: dict[str, int]  # QC bit name → count of values carrying it


@dataclass(frozen=True, slots=True)
class DataQuality:
    code: str
    years: list[int]
    series: list[SeriesQuality]
    quarantined: int
    recent_quarantine: list[dict[str, Any]] = field(default_factory=list)


_STEP: Final = {int(Period.HOUR): 24, int(Period.DAY): 1}


def data_quality(
    stores: Stores, code: str, *, recent: int = 20, datasets: Collection[int] | None = None
) -> DataQuality:
    """Coverage per local calendar year, data flags and QC bits of every hourly/daily series of a
    station, and its quarantined records (the newest ``recent`` of them)."""
    stores.registry.site(code)
    found = stores.registry.find_series(sites=[code], datasets=datasets)
    series = [s for s in found if s["period"] in _STEP]
    params = {p["code"]: p for p in stores.registry.parameters()}
    table = stores.observations.read(ObservationQuery(series_ids=[s["id"] for s in series]))
    per_series = _group_counts(table)
    years = sorted({y for counts in per_series.values() for y in counts["years"]})
    rows: list[SeriesQuality] = []
    for s in series:
        counts = per_series.get(s["id"], {"years": {}, "flags": {}, "qc": {}})
        p = params.get(s["parameter"], {})
        coverage = {
            year: n / _expected(year, s["period"], s["first_time"], s["last_time"])
            for year, n in counts["years"].items()
        }
        rows.append(
            SeriesQuality(
                parameter=s["parameter"],
                name_zh=p.get("name_zh", s["parameter"]),
                name_en=p.get("name_en", s["parameter"]),
                period=Period(s["period"]).label,
                first_time=s["first_time"],
                last_time=s["last_time"],
                count=int(sum(counts["years"].values())),
                coverage=coverage,
                flags=counts["flags"],
                qc=counts["qc"],
            )
        )
    quarantined = stores.provenance.quarantine_count(site_code=code)
    recent_rows = _newest_quarantined(stores, code, quarantined, recent)
    return DataQuality(code, years, rows, quarantined, recent_rows)


def _group_counts(table: pa.Table) -> dict[int, dict[str, Any]]:
    """Per series: values per local year, counts per flag and per QC bit (grouped in Arrow)."""
    out: dict[int, dict[str, Any]] = {}
    if table.num_rows == 0:
        return out
    local = pc.add(table.column("time"), pa.scalar(_LOCAL_OFFSET, pa.duration("us")))
    qc = table.column("qc").cast(pa.int32())
    bits = [bit for bit in QC if int(bit)]
    work = pa.table(
        {
            "series_id": table.column("series_id"),
            "year": pc.year(local),
            "value": table.column("value"),
            "flag": table.column("flag").fill_null(""),
            **{
                f"qc_{bit.name}": pc.cast(
                    pc.not_equal(pc.bit_wise_and(qc, int(bit)), 0), pa.int64()
                )
                for bit in bits
            },
        }
    )

    def entry(sid: int) -> dict[str, Any]:
        return out.setdefault(sid, {"years": {}, "flags": {}, "qc": {}})

    for row in work.group_by(["series_id", "year"]).aggregate([("value", "count")]).to_pylist():
        if row["value_count"]:
            entry(row["series_id"])["years"][int(row["year"])] = int(row["value_count"])
    for row in work.group_by(["series_id", "flag"]).aggregate([("year", "count")]).to_pylist():
        entry(row["series_id"])["flags"][row["flag"]] = int(row["year_count"])
    sums = work.group_by("series_id").aggregate([(f"qc_{b.name}", "sum") for b in bits])
    for row in sums.to_pylist():
        counts = {str(b.name): int(row[f"qc_{b.name}_sum"]) for b in bits}
        entry(row["series_id"])["qc"] = {k: v for k, v in counts.items() if v}
    return out


def _expected(year: int, period: int, first: datetime | None, last: datetime | None) -> float:
    """Values expected in a local calendar year, limited to the span of the series."""
    start = datetime(year, 1, 1, tzinfo=CHINA_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
    if first is not None:
        start = max(start, first)
    if last is not None:
        end = min(end, last + (timedelta(hours=1) if period == int(Period.HOUR) else timedelta(1)))
    step = timedelta(hours=1) if period == int(Period.HOUR) else timedelta(days=1)
    return max((end - start) / step, 1.0)


def _newest_quarantined(stores: Stores, code: str, total: int, recent: int) -> list[dict[str, Any]]:
    if total == 0 or recent <= 0:
        return []
    rows: list[dict[str, Any]] = []
    after: int | None = None
    while True:  # quarantined() pages oldest first; keep the newest `recent`
        page = stores.provenance.quarantined(site_code=code, limit=1000, after_id=after)
        rows = (rows + page)[-recent:]
        if len(page) < 1000:
            break
        after = page[-1]["id"]
    return list(reversed(rows))
