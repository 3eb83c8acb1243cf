"""JSON for the page scripts under ``/ui/`` (not part of the public API): the overview in a compact
form for the map, and a station's series, AQI calendar, pollution rose and data quality.

Every read is limited to the datasets the signed-in user (or the anonymous public) may read, in
the store query itself (:func:`ecodata.security.access.restriction_for`).
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ecodata.errors import InputError, NotFoundError
from ecodata.overview import Overview, freshness, national_overview
from ecodata.pollution_rose import station_rose
from ecodata.security import access
from ecodata.settings import Settings
from ecodata.standards.hj633 import version_for
from ecodata.station_series import daily_aqi, gb3095_limit, series_values, year_bounds
from ecodata.station_summary import data_quality
from ecodata.store.stores import Stores
from ecodata.web.rendering import language_of, palette, settings_of
from ecodata.web.session import principal_of

router = APIRouter(prefix="/ui", include_in_schema=False)

T = TypeVar("T")
OVERVIEW_SECONDS: Final = 60.0
STATION_FIELDS: Final = (
    "code", "name", "lon", "lat", "aqi", "level", "province_code", "division_code", "city",
    "primary",
)  # fmt: skip


class TtlCache:
    """Results kept for a few seconds: the overview changes once an hour, pages ask often."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
        if found is not None and now - found[0] < self.seconds:
            value: T = found[1]
            return value
        value = compute()
        with self._lock:
            if len(self._items) > 64:
                self._items.clear()
            self._items[key] = (now, value)
        return value


def stores_of(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


def readable_datasets(request: Request) -> Collection[int] | None:
    """The datasets the caller may read (``None``: all)."""
    restriction = access.restriction_for(stores_of(request).registry.engine, principal_of(request))
    return restriction.dataset_ids


def _cache(request: Request, name: str) -> TtlCache:
    state = request.app.state
    caches: dict[str, TtlCache] | None = getattr(state, "web_caches", None)
    if caches is None:
        caches = {}
        state.web_caches = caches
    if name not in caches:
        caches[name] = TtlCache(OVERVIEW_SECONDS)
    return caches[name]


def cached_overview(request: Request) -> Overview:
    datasets = readable_datasets(request)
    key = frozenset(datasets) if datasets is not None else None
    return _cache(request, "overview").get(
        key, lambda: national_overview(stores_of(request), datasets=datasets)
    )


def composite_month(overview: Overview) -> tuple[datetime, datetime] | None:
    """The month to date of the data time: the period of the composite index column."""
    if overview.data_time is None:
        return None
    from ecodata.model import CHINA_TZ

    local = overview.data_time.astimezone(CHINA_TZ)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return start, end


def composite_indices(request: Request, overview: Overview) -> dict[str, float]:
    """City → composite index of the month to date, where the AQI results are computed
    (``ecodata aqi compute``); empty otherwise."""
    span = composite_month(overview)
    if span is None:
        return {}
    from ecodata.evaluation.aqi_results import city_rankings

    def compute() -> dict[str, float]:
        try:
            ranking = city_rankings(stores_of(request), start=span[0], end=span[1])
        except NotFoundError:
            return {}
        return {r["city"]: float(r["composite_index"]) for r in ranking["results"]}

    return _cache(request, "composite").get(span, compute)


def overview_payload(request: Request, overview: Overview) -> dict[str, Any]:
    """The overview as the map script reads it: station rows as arrays of :data:`STATION_FIELDS`."""
    lang = language_of(request)
    settings = settings_of(request)
    state, age = freshness(overview.data_time, datetime.now(settings.tz))
    composite = composite_indices(request, overview)
    return {
        "lang": lang,
        "time": _iso(overview.data_time, settings),
        "version": overview.version,
        "freshness": state,
        "age_seconds": age,
        "reporting": overview.reporting,
        "missing": overview.missing,
        "categories": [s.as_json() for s in palette(overview.version, lang)],
        "fields": list(STATION_FIELDS),
        "stations": [
            [
                s.code,
                (s.name_en or s.name_zh) if lang == "en" else (s.name_zh or s.name_en),
                s.longitude,
                s.latitude,
                s.aqi,
                s.level,
                s.province_code,
                s.division_code,
                s.city,
                ",".join(s.primary),
            ]
            for s in overview.stations
        ],
        "cities": [
            {
                "city": c.city,
                "province": c.province,
                "division_code": c.division_code,
                "aqi": c.aqi,
                "level": c.level,
                "primary": list(c.primary),
                "stations": c.stations,
                "composite": composite.get(c.city),
            }
            for c in overview.cities
        ],
    }


def _iso(value: datetime | None, settings: Settings) -> str | None:
    return value.astimezone(settings.tz).isoformat() if value is not None else None


@router.get("/overview.json")
def overview_json(request: Request) -> JSONResponse:
    overview = cached_overview(request)
    return JSONResponse(overview_payload(request, overview))


def parse_day(text: str | None, name: str, settings: Settings) -> datetime | None:
    """A ``YYYY-MM-DD`` (local midnight) or ISO time parameter."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}={text!r} is not a date (YYYY-MM-DD) or ISO time") from None
    return value if value.tzinfo else value.replace(tzinfo=settings.tz)


@router.get("/stations/{code}/series.json")
def series_json(
    request: Request,
    code: str,
    parameter: Annotated[str, Query(max_length=64)],
    period: Annotated[Literal["hour", "day"], Query()] = "hour",
    start: Annotated[str | None, Query(max_length=40)] = None,
    end: Annotated[str | None, Query(max_length=40)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Times (epoch milliseconds) and values of one parameter, or the same as CSV."""
    settings = settings_of(request)
    first, last = parse_day(start, "start", settings), parse_day(end, "end", settings)
    values = series_values(
        stores_of(request),
        code,
        parameter,
        period,
        start=first,
        end=last,
        datasets=readable_datasets(request),
    )
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["site", "parameter", "period", "method", "time", "value", "unit"])
        for moment, value in zip(values.times, values.values, strict=True):
            writer.writerow(
                [code, parameter, period, values.method, _iso(moment, settings),
                 "" if value is None else value, values.unit]
            )  # fmt: skip
        name = f"{code}_{parameter}_{period}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    reference = gb3095_limit(parameter, period, first or datetime.now(settings.tz))
    return JSONResponse(
        {
            "site": code,
            "parameter": parameter,
            "unit": values.unit,
            "period": period,
            "method": values.method,
            "limit": reference,
            "times": values.times_ms,
            "values": values.values,
        }
    )


@router.get("/stations/{code}/calendar.json")
def calendar_json(
    request: Request, code: str, year: Annotated[int, Query(ge=1900, le=2200)]
) -> JSONResponse:
    days = daily_aqi(stores_of(request), code, year, datasets=readable_datasets(request))
    version = version_for(year_bounds(year)[0])
    return JSONResponse(
        {
            "site": code,
            "year": year,
            "categories": [s.as_json() for s in palette(version, language_of(request))],
            "days": [
                [d.day.isoformat(), d.aqi, d.level, ",".join(d.primary), d.missing] for d in days
            ],
        }
    )


@router.get("/stations/{code}/rose.json")
def rose_json(
    request: Request,
    code: str,
    parameter: Annotated[str, Query(max_length=16)] = "pm2_5",
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> JSONResponse:
    start, end = year_bounds(year) if year is not None else (None, None)
    version = version_for(start or datetime.now(settings_of(request).tz))
    rose = station_rose(
        stores_of(request),
        code,
        parameter,
        start=start,
        end=end,
        version=version,
        datasets=readable_datasets(request),
    )
    return JSONResponse(
        {
            "site": code,
            "parameter": rose.pollutant,
            "year": year,
            "version": rose.version,
            "categories": [s.as_json() for s in palette(version, language_of(request))],
            "class_bounds": rose.class_bounds,
            "sectors": rose.sectors,
            "frequency": rose.frequency,
            "mean": rose.mean,
            "hours": rose.hours,
            "calm": rose.calm,
        }
    )


@router.get("/stations/{code}/quality.json")
def quality_json(request: Request, code: str) -> JSONResponse:
    settings = settings_of(request)
    lang = language_of(request)
    quality = data_quality(stores_of(request), code, datasets=readable_datasets(request))
    return JSONResponse(
        {
            "site": code,
            "years": quality.years,
            "series": [
                {
                    "parameter": s.parameter,
                    "name": (s.name_en or s.name_zh) if lang == "en" else (s.name_zh or s.name_en),
                    "period": s.period,
                    "first": _iso(s.first_time, settings),
                    "last": _iso(s.last_time, settings),
                    "count": s.count,
                    "coverage": {str(y): round(v, 4) for y, v in s.coverage.items()},
                    "flags": s.flags,
                    "qc": s.qc,
                }
                for s in quality.series
            ],
            "quarantined": quality.quarantined,
            "recent_quarantine": [
                {
                    "id": r["id"],
                    "received_at": _iso(r["received_at"], settings),
                    "source": r["source"],
                    "position": r["position"],
                    "parameter": r["parameter_code"],
                    "reason": r["reason"],
                }
                for r in quality.recent_quarantine
            ],
        }
    )
