"""Reading the stored AQI results: pages of hourly or daily AQI, the latest values, and the
ranking of cities by the composite index (城市环境空气质量综合指数) over a period."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from ecodata.errors import InputError, NotFoundError
from ecodata.evaluation.air_network import CITY, POLLUTANTS, PROVINCE, SCOPES
from ecodata.evaluation.aqi_compute import DAILY_RECORD_KEYS, DAY_TABLE, HOUR_TABLE
from ecodata.evaluation.periods import check_span
from ecodata.standards import gb3095, hj663
from ecodata.standards.gbt8170 import round_half_even_array
from ecodata.standards.hj633_tables import CATEGORIES, DECIMALS
from ecodata.store.derived import DerivedQuery
from ecodata.store.stores import Stores

PERIODS: Final = {"hour": HOUR_TABLE, "day": DAY_TABLE}
RANK_BY: Final = ("composite", "weighted")


@dataclass(frozen=True)
class AqiFilter:
    """Which AQI results to read: ``scope`` site, city or province; ``codes`` of that scope
    (station codes, city names, province division codes); ``cities`` and ``provinces`` (names, or
    division codes for provinces) restrict the rows to places in them."""

    period: str = "hour"
    scope: str = "site"
    codes: Sequence[str] | None = None
    cities: Sequence[str] | None = None
    provinces: Sequence[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    latest: bool = False


@dataclass(frozen=True)
class AqiPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def aqi_page(stores: Stores, flt: AqiFilter, *, limit: int, cursor: str | None = None) -> AqiPage:
    """One page of results ordered by code and time (or the latest row per place)."""
    if flt.period not in PERIODS:
        raise InputError(f"unknown AQI period {flt.period!r}; use hour or day")
    if flt.scope not in SCOPES:
        raise InputError(f"unknown scope {flt.scope!r}; use {', '.join(SCOPES)}")
    check_span(flt.start, flt.end)
    equals: dict[str, Sequence[Any]] = {"scope": [flt.scope]}
    if flt.codes is not None:
        equals["code"] = list(flt.codes)
    if flt.cities is not None:
        if flt.scope == PROVINCE:
            raise InputError("a city filter does not apply to province results")
        equals["city"] = list(flt.cities)
    if flt.provinces is not None:
        equals["province"] = province_names(stores, flt.provinces)
    query = DerivedQuery(
        equals=equals,
        start=flt.start,
        end=flt.end,
        latest_by=("code",) if flt.latest else None,
        order_by=("code", "time"),
        after=_decode(cursor) if cursor else None,
        limit=limit + 1,
    )
    table = read_results(stores, PERIODS[flt.period], query)
    rows = table.to_pylist()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode(rows[-1]["code"], rows[-1]["time"])
    tz = stores.settings.tz
    return AqiPage([result_json(r, flt.period, tz) for r in rows], next_cursor)


def read_results(stores: Stores, table: str, query: DerivedQuery) -> pa.Table:
    try:
        return stores.observations.read_derived(table, query)
    except NotFoundError:
        raise NotFoundError(
            "no AQI results are stored yet; compute them with `ecodata aqi compute`"
        ) from None


def province_names(stores: Stores, provinces: Sequence[str]) -> list[str]:
    """Province names from names or GB/T 2260 codes (``11``, ``110000``)."""
    names: list[str] = []
    by_code: dict[str, str] | None = None
    for value in provinces:
        text = value.strip()
        if text.isdigit():
            if by_code is None:
                by_code = {d["code"][:2]: d["name"] for d in stores.registry.divisions(level=1)}
            if text[:2] not in by_code:
                raise NotFoundError(f"no province with division code {text!r}")
            names.append(by_code[text[:2]])
        else:
            names.append(text)
    return names


def result_json(row: dict[str, Any], period: str, tz: tzinfo) -> dict[str, Any]:
    """One stored result row as the API and CLI show it."""
    keys = POLLUTANTS if period == "hour" else DAILY_RECORD_KEYS
    version = row["version"]
    level = row["level"]
    category = CATEGORIES[version][level - 1] if level else None
    primary = row["primary_pollutants"]
    return {
        "scope": row["scope"],
        "code": row["code"],
        "name": row["name"],
        "city": row["city"] or None,
        "province": row["province"] or None,
        "division_code": row["division_code"] or None,
        "period": period,
        "time": row["time"].astimezone(tz).isoformat(),
        "standard": f"HJ 633-{version}",
        "concentrations": {k: row.get(k) for k in keys},
        "iaqi": {k: _int(row.get(f"iaqi_{k}")) for k in keys},
        "aqi": row["aqi"],
        "aqi_status": row["aqi_status"],
        "level": level,
        "category": category.name_zh if category else None,
        "category_en": category.name_en if category else None,
        "colour": category.hex if category else None,
        "primary": primary.split(",") if primary else [],
        "n_sites": row["n_sites"],
    }


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _encode(code: str, time: datetime) -> str:
    raw = json.dumps([code, time.isoformat()]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, datetime]:
    try:
        code, text = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(code), datetime.fromisoformat(text)
    except (ValueError, TypeError) as exc:
        raise InputError(f"cursor {cursor!r} is not one this server issued: {exc}") from None


# -- rankings -------------------------------------------------------------------------------------


def city_rankings(
    stores: Stores,
    *,
    start: datetime,
    end: datetime,
    by: str = "composite",
    limit: int | None = None,
) -> dict[str, Any]:
    """Cities ranked by the composite index over [start, end), smallest (cleanest) first.

    Per city, from its stored daily values rounded as published (GB/T 8170: integers, CO 0.1):
    SO₂, NO₂, PM10, PM2.5 means, CO 95th and O₃ MDA8 90th percentiles (HJ 663), divided by the
    GB 3095 class-2 limits (annual; CO 24-h, O₃ 8-h) and summed — ``composite`` — or weighted
    PM2.5 × 3, NO₂ × 2, O₃ × 2 — ``weighted`` (城市环境空气质量排名技术规定, third-party)."""
    if by not in RANK_BY:
        raise InputError(f"rank by {by!r}? use {' or '.join(RANK_BY)}")
    check_span(start, end)
    table = read_results(
        stores,
        DAY_TABLE,
        DerivedQuery(equals={"scope": [CITY]}, start=start, end=end),
    )
    version = gb3095.version_for(start)
    frame = table.select(["code", "province", "division_code", *_COMPOSITE_INPUTS]).to_pandas()
    ranked: list[dict[str, Any]] = []
    unranked: list[dict[str, Any]] = []
    for code, group in frame.groupby("code", sort=True):
        statistics, n_days = _period_statistics(group)
        missing = [k for k, v in statistics.items() if v is None]
        place = {
            "city": str(code),
            "province": group["province"].iloc[0] or None,
            "division_code": group["division_code"].iloc[0] or None,
        }
        if missing:
            unranked.append(place | {"missing": missing, "n_days": n_days})
            continue
        index = hj663.composite_index(
            {k: float(v) for k, v in statistics.items() if v is not None}, version=version
        )
        ranked.append(
            place
            | {
                "composite_index": round(index.total, 4),
                "weighted_index": round(index.weighted, 4),
                "parts": {k: round(v, 4) for k, v in index.parts.items()},
                "statistics": statistics,
                "n_days": n_days,
                "_key": index.total if by == "composite" else index.weighted,
            }
        )
    ranked.sort(key=lambda r: (r["_key"], r["city"]))
    previous: float | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        key = round(float(row.pop("_key")), 6)
        if key != previous:
            rank, previous = position, key
        row["rank"] = rank
    results = ranked if limit is None else ranked[:limit]
    return {
        "start": start.astimezone(stores.settings.tz).isoformat(),
        "end": end.astimezone(stores.settings.tz).isoformat(),
        "by": by,
        "limits": f"GB 3095-{version} class 2",
        "count": len(ranked),
        "results": [{"rank": r.pop("rank"), **r} for r in results],
        "unranked": unranked,
    }


_COMPOSITE_INPUTS: Final = ("so2", "no2", "co", "o3_8h", "pm10", "pm2_5")


def _period_statistics(group: pd.DataFrame) -> tuple[dict[str, float | None], dict[str, int]]:
    """HJ 663 statistics of one city's daily values over the period."""
    statistics: dict[str, float | None] = {}
    n_days: dict[str, int] = {}
    for key in _COMPOSITE_INPUTS:
        values = group[key].to_numpy(dtype=np.float64)
        values = values[~np.isnan(values)]
        decimals = DECIMALS["o3" if key == "o3_8h" else key]
        values = round_half_even_array(values, decimals)
        n_days[key] = int(values.size)
        if key == "co":
            name, value = "co_p95", hj663.percentile(values, 95.0)
        elif key == "o3_8h":
            name, value = "o3_8h_p90", hj663.percentile(values, 90.0)
        else:
            name, value = key, float(values.mean()) if values.size else float("nan")
        statistics[name] = None if np.isnan(value) else round(value, 4)
    return statistics, n_days
