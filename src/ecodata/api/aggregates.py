"""Aggregates API in the style of OpenAQ v3 under /api/v1 (non-standard; OpenAQ's shapes).

Locations are sites, sensors are series. ``/sensors/{id}/measurements`` gives the raw values;
``/hours``, ``/days``, ``/months`` and ``/years`` aggregate the valid values of a sensor per local
hour, day, month and year in the store with ``summary {min, q02, q25, median, q75, q98, max, avg,
sd}`` and ``coverage {expectedCount, observedCount, percentComplete, …}``;
``/locations/{id}/latest`` gives the newest value per sensor, ``/parameters/{id or code}/latest``
the newest value of one parameter at every location (answered from a cache of the rendered
response while the observation store's ``version`` is unchanged). Envelope ``{meta: {name,
website, page, limit, found}, results}``. Every query is limited to the series the caller may read.

Not supported: OpenAQ's ``/parameters`` list (the native ``/api/v1/parameters``), ``/countries``,
``/providers``, ``/owners``, ``/instruments``, ``/manufacturers``, ``/licenses``, the rollups
``hourofday``, ``dayofweek``, ``monthofyear``, and ``coordinates`` + ``radius`` search (``bbox``
is supported).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ecodata.api.auth import principal_of
from ecodata.api.encoding import accepts_gzip, gzipped
from ecodata.catalog.datasets import dataset_of_series
from ecodata.errors import InputError, NotFoundError
from ecodata.model import Period
from ecodata.security.access import Restriction, audit_reads, check_dataset, restriction_for
from ecodata.security.principal import Principal
from ecodata.settings import Settings
from ecodata.store import aggregates as agg
from ecodata.store import locations as read_model
from ecodata.store.stores import Stores

router = APIRouter(prefix="/api/v1", tags=["aggregates"])
Caller = Annotated[Principal, Depends(principal_of)]
SensorId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Sensor (series) id.")]
LocationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Location (site) id.")]
Page = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Results per page.")]
When = Annotated[datetime | None, Query(description="ISO 8601; naive times are local time.")]
_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"description": "The sensor's data need a signed-in account"},
    403: {"description": "The caller may not read the sensor's data"},
    404: {"description": "Unknown sensor"},
}


class Meta(BaseModel):
    name: str
    website: str
    page: int
    limit: int
    found: int | None


class Moment(BaseModel):
    utc: str
    local: str


class ParameterRef(BaseModel):
    id: int
    name: str
    units: str
    displayName: str | None


class Coordinates(BaseModel):
    latitude: float | None
    longitude: float | None


class PeriodOut(BaseModel):
    label: str
    interval: str
    datetimeFrom: Moment
    datetimeTo: Moment


class Summary(BaseModel):
    min: float | None
    q02: float | None
    q25: float | None
    median: float | None
    q75: float | None
    q98: float | None
    max: float | None
    avg: float | None
    sd: float | None


class Coverage(BaseModel):
    expectedCount: int
    expectedInterval: str
    observedCount: int
    observedInterval: str
    percentComplete: float
    percentCoverage: float
    datetimeFrom: Moment | None
    datetimeTo: Moment | None


class FlagInfo(BaseModel):
    hasFlags: bool


class Measurement(BaseModel):
    value: float | None
    flagInfo: FlagInfo
    parameter: ParameterRef
    period: PeriodOut
    coordinates: Coordinates | None
    summary: Summary | None
    coverage: Coverage


class MeasurementList(BaseModel):
    meta: Meta
    results: list[Measurement]


class Latest(BaseModel):
    datetime: Moment
    value: float | None
    coordinates: Coordinates | None
    sensorsId: int
    locationsId: int


class LatestList(BaseModel):
    meta: Meta
    results: list[Latest]


class LocationLatest(Latest):
    locationCode: str
    locationName: str


class LocationLatestList(BaseModel):
    meta: Meta
    results: list[LocationLatest]


class SensorOut(BaseModel):
    id: int
    name: str
    parameter: ParameterRef
    period: str = Field(description="Averaging period of the values (hour, day, …).")
    dataset: str | None = Field(description="Catalog dataset the sensor belongs to.")
    locationsId: int
    datetimeFirst: Moment | None
    datetimeLast: Moment | None
    count: int = Field(description="Values held.")


class SensorList(BaseModel):
    meta: Meta
    results: list[SensorOut]


class Named(BaseModel):
    id: int | None
    name: str


class LocationOut(BaseModel):
    id: int
    code: str
    name: str
    locality: str | None
    timezone: str
    kind: str
    country: dict[str, str]
    provider: Named | None
    isMobile: bool
    isMonitor: bool
    sensors: list[dict[str, Any]]
    coordinates: Coordinates
    bounds: list[float] | None
    licenses: list[dict[str, Any]]
    datetimeFirst: Moment | None
    datetimeLast: Moment | None


class LocationList(BaseModel):
    meta: Meta
    results: list[LocationOut]


def _ctx(request: Request) -> tuple[Stores, Settings]:
    return request.app.state.stores, request.app.state.settings


def _meta(page: int, limit: int, found: int | None) -> dict[str, Any]:
    return {"name": "ecodata", "website": "/", "page": page, "limit": limit, "found": found}


def _moment(value: datetime | None, tz: tzinfo) -> dict[str, str] | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    utc = aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"utc": utc, "local": aware.astimezone(tz).isoformat()}


def _interval(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _aware(value: datetime | None, tz: tzinfo) -> datetime | None:
    return value.replace(tzinfo=value.tzinfo or tz) if value else None


def _parameter(sensor: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": sensor["parameter_id"],
        "name": sensor["parameter"],
        "units": sensor["unit"],
        "displayName": sensor["name_en"] or sensor["name_zh"],
    }


def _coordinates(site: dict[str, Any]) -> dict[str, Any]:
    return {"latitude": site.get("latitude"), "longitude": site.get("longitude")}


def _offset_hours(tz: tzinfo) -> int:
    offset = tz.utcoffset(None)
    return int(offset.total_seconds() // 3600) if offset else 0


def _sensor(
    stores: Stores, caller: Principal, sensor_id: int
) -> tuple[dict[str, Any], Restriction]:
    """The sensor if readable; else 404 (unknown) or 401/403 (audited)."""
    engine = stores.registry.engine
    restriction = restriction_for(engine, caller)
    found = read_model.sensors(engine, restriction, series_ids=[sensor_id])
    if found:
        return found[0], restriction
    if not read_model.series_exists(engine, sensor_id):
        raise NotFoundError(f"no sensor {sensor_id}")
    check_dataset(engine, caller, dataset_of_series(engine, sensor_id)["name"])
    raise NotFoundError(f"no sensor {sensor_id}")  # not reached: the check refuses


def _site(stores: Stores, site_id: int) -> dict[str, Any]:
    found = read_model.site(stores.registry.engine, site_id)
    if found is None:
        raise NotFoundError(f"no location {site_id}")
    return found


def _sensor_out(sensor: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    period = Period(sensor["period"])
    return {
        "id": sensor["id"],
        "name": f"{sensor['parameter']} {sensor['unit']}".strip(),
        "parameter": _parameter(sensor),
        "period": period.label,
        "dataset": sensor["dataset"],
        "locationsId": sensor["site_id"],
        "datetimeFirst": _moment(sensor["first_time"], tz),
        "datetimeLast": _moment(sensor["last_time"], tz),
        "count": sensor["count"],
    }


def _location_out(
    site: dict[str, Any], sensors: list[dict[str, Any]], tz: tzinfo
) -> dict[str, Any]:
    firsts = [s["first_time"] for s in sensors if s["first_time"]]
    lasts = [s["last_time"] for s in sensors if s["last_time"]]
    lon, lat = site.get("longitude"), site.get("latitude")
    provider = None
    if site.get("provider_code"):
        provider = {"id": site.get("provider_id"), "name": site.get("provider_name") or ""}
    licence = site.get("provider_licence")
    return {
        "id": site["id"],
        "code": site["code"],
        "name": site["name_zh"] or site["name_en"] or site["code"],
        "locality": site["city"] or None,
        "timezone": f"UTC{_tz_label(tz)}",
        "kind": site["kind"],
        "country": {"code": "CN", "name": "China"},
        "provider": provider,
        "isMobile": False,
        "isMonitor": site["kind"] in ("air", "water"),
        "sensors": [
            {
                "id": s["id"],
                "name": f"{s['parameter']} {s['unit']}".strip(),
                "parameter": _parameter(s),
            }
            for s in sensors
        ],
        "coordinates": {"latitude": lat, "longitude": lon},
        "bounds": [lon, lat, lon, lat] if lon is not None and lat is not None else None,
        "licenses": [{"name": licence}] if licence else [],
        "datetimeFirst": _moment(min(firsts), tz) if firsts else None,
        "datetimeLast": _moment(max(lasts), tz) if lasts else None,
    }


def _tz_label(tz: tzinfo) -> str:
    offset = tz.utcoffset(None) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"bbox {text!r}: give min lon, min lat, max lon, max lat") from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InputError(f"bbox {text!r}: out of range or minimum above maximum")
    return west, south, east, north


@router.get("/locations", response_model=LocationList, responses={400: {"description": "Bad bbox"}})
def list_locations(
    request: Request,
    caller: Caller,
    page: Page = 1,
    limit: Limit = 100,
    kind: Annotated[str | None, Query(max_length=32, description="air, water, …")] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    parameter: Annotated[str | None, Query(max_length=64, description="Parameter code.")] = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat")] = None,
) -> dict[str, Any]:
    """Locations (sites) with sensors the caller may read."""
    stores, settings = _ctx(request)
    engine = stores.registry.engine
    restriction = restriction_for(engine, caller)
    flt = read_model.LocationFilter(kind=kind, city=city, parameter=parameter, bbox=_bbox(bbox))
    sites, found = read_model.locations(
        engine, restriction, flt, limit=limit, offset=(page - 1) * limit
    )
    sensors = read_model.sensors(engine, restriction, site_ids=[s["id"] for s in sites])
    results = [
        _location_out(site, [s for s in sensors if s["site_id"] == site["id"]], settings.tz)
        for site in sites
    ]
    return {"meta": _meta(page, limit, found), "results": results}


@router.get(
    "/locations/{location_id}",
    response_model=LocationList,
    responses={404: {"description": "Unknown, or no readable sensors"}},
)
def get_location(request: Request, caller: Caller, location_id: LocationId) -> dict[str, Any]:
    """One location."""
    stores, settings = _ctx(request)
    engine = stores.registry.engine
    restriction = restriction_for(engine, caller)
    flt = read_model.LocationFilter(ids=[location_id])
    sites, _ = read_model.locations(engine, restriction, flt, limit=1, offset=0)
    if not sites:
        raise NotFoundError(f"no location {location_id} with sensors you may read")
    sensors = read_model.sensors(engine, restriction, site_ids=[location_id])
    return {"meta": _meta(1, 1, 1), "results": [_location_out(sites[0], sensors, settings.tz)]}


@router.get(
    "/locations/{location_id}/sensors",
    response_model=SensorList,
    responses={404: {"description": "Unknown location"}},
)
def location_sensors(request: Request, caller: Caller, location_id: LocationId) -> dict[str, Any]:
    """The sensors (series) of a location the caller may read."""
    stores, settings = _ctx(request)
    _site(stores, location_id)
    engine = stores.registry.engine
    sensors = read_model.sensors(engine, restriction_for(engine, caller), site_ids=[location_id])
    results = [_sensor_out(s, settings.tz) for s in sensors]
    return {"meta": _meta(1, max(1, len(results)), len(results)), "results": results}


@router.get(
    "/locations/{location_id}/latest",
    response_model=LatestList,
    responses={404: {"description": "Unknown location"}},
)
def location_latest(request: Request, caller: Caller, location_id: LocationId) -> dict[str, Any]:
    """The newest value of each readable sensor of a location."""
    stores, settings = _ctx(request)
    site = _site(stores, location_id)
    engine = stores.registry.engine
    restriction = restriction_for(engine, caller)
    sensors = read_model.sensors(engine, restriction, site_ids=[location_id])
    latest = stores.observations.latest([s["id"] for s in sensors]) if sensors else None
    results = []
    for row in latest.to_pylist() if latest is not None else []:
        results.append(
            {
                "datetime": _moment(row["time"], settings.tz),
                "value": row["value"],
                "coordinates": _coordinates(site),
                "sensorsId": row["series_id"],
                "locationsId": location_id,
            }
        )
    audit_reads(
        engine,
        caller,
        restriction,
        {s["dataset_id"] for s in sensors},
        "data.read",
        {"endpoint": "latest", "location": location_id},
    )
    return {"meta": _meta(1, max(1, len(results)), len(results)), "results": results}


_CACHE_SECONDS = 60.0  # bounds how long registry edits (a station's coordinates) go unseen
_CACHE_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class _Rendered:
    version: int  # of the observation store when the data were read
    made: float
    body: bytes
    gzipped: bytes  # the same body in the gzip coding
    etag: str
    datasets: frozenset[int]  # what the response holds, to audit each read


class _ResponseCache:
    """Rendered responses of one application while the observation store's version holds; a
    miss is computed once while concurrent requests for it wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._computing = threading.Lock()
        self._entries: dict[Hashable, _Rendered] = {}

    def get(self, key: Hashable, version: int) -> _Rendered | None:
        with self._lock:
            found = self._entries.get(key)
        if found is None or found.version != version:
            return None
        return found if time.monotonic() - found.made < _CACHE_SECONDS else None

    def put(self, key: Hashable, version: int, body: bytes, datasets: frozenset[int]) -> _Rendered:
        etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        entry = _Rendered(version, time.monotonic(), body, gzipped(body), etag, datasets)
        with self._lock:
            if len(self._entries) >= _CACHE_ENTRIES:
                self._entries.clear()
            self._entries[key] = entry
        return entry

    def get_or_make(
        self, key: Hashable, version: int, make: Callable[[], tuple[bytes, frozenset[int]]]
    ) -> _Rendered:
        """The entry, made by ``make`` (body, datasets) unless another request just made it."""
        with self._computing:
            return self.get(key, version) or self.put(key, version, *make())


def _cache_of(app: FastAPI) -> _ResponseCache:
    cache: _ResponseCache | None = getattr(app.state, "latest_cache", None)
    if cache is None:
        cache = app.state.latest_cache = _ResponseCache()
    return cache


@router.get(
    "/parameters/{parameter}/latest",
    response_model=LocationLatestList,
    responses={
        304: {"description": "Unchanged (If-None-Match)"},
        404: {"description": "Unknown parameter"},
    },
)
async def parameter_latest(
    request: Request,
    caller: Caller,
    parameter: Annotated[
        str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="Parameter id or code.")
    ],
    page: Page = 1,
    limit: Annotated[
        int | None, Query(ge=1, le=1000, description="Results per page; all when absent.")
    ] = None,
) -> Response:
    """The newest value of a parameter at every location with a readable sensor of it."""
    # A cached answer costs about a millisecond of registry reads (the caller's restriction):
    # less than a hop to the thread pool, so it is given here; a miss is computed in the pool.
    stores, _ = _ctx(request)
    engine = stores.registry.engine
    restriction = restriction_for(engine, caller)
    cache = _cache_of(request.app)
    key = (restriction.dataset_ids, parameter, limit, page)
    version = stores.observations.version  # read before the data: a later write invalidates
    entry = cache.get(key, version)
    if entry is None:
        make = partial(_latest_body, request, restriction, parameter, limit, page)
        entry = await run_in_threadpool(cache.get_or_make, key, version, make)
    if entry.datasets - restriction.public_ids:  # non-public data: the audit entry is a write
        await run_in_threadpool(
            audit_reads,
            engine,
            caller,
            restriction,
            entry.datasets,
            "data.read",
            {"endpoint": "latest", "parameter": parameter},
        )
    gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = entry.etag[:-1] + '-gzip"' if gzip else entry.etag  # one tag per representation
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gzipped, media_type="application/json", headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


def _latest_body(
    request: Request, restriction: Restriction, parameter: str, limit: int | None, page: int
) -> tuple[bytes, frozenset[int]]:
    """The JSON of one page of latest values, and the datasets it holds."""
    stores, settings = _ctx(request)
    offset = (page - 1) * limit if limit else (0 if page == 1 else 2**31)  # no limit: one page
    found = agg.parameter_latest(
        stores.registry.engine, stores.observations, restriction, parameter,
        limit=limit, offset=offset,
    )  # fmt: skip
    moments: dict[datetime, dict[str, str] | None] = {}  # the network shares a few times
    results = [
        {
            "datetime": moments.get(row["time"])
            or moments.setdefault(row["time"], _moment(row["time"], settings.tz)),
            "value": row["value"],
            "coordinates": _coordinates(row),
            "sensorsId": row["id"],
            "locationsId": row["site_id"],
            "locationCode": row["code"],
            "locationName": row["name_zh"] or row["name_en"] or row["code"],
        }
        for row in found.rows
    ]
    meta = _meta(page, limit or max(1, found.found), found.found)
    body = json.dumps({"meta": meta, "results": results}, ensure_ascii=False).encode()
    return body, frozenset(r["dataset_id"] for r in found.rows if r["dataset_id"] is not None)


@router.get("/sensors/{sensor_id}", response_model=SensorList, responses=_REFUSED)
def get_sensor(request: Request, caller: Caller, sensor_id: SensorId) -> dict[str, Any]:
    """One sensor (series)."""
    stores, settings = _ctx(request)
    sensor, _ = _sensor(stores, caller, sensor_id)
    return {"meta": _meta(1, 1, 1), "results": [_sensor_out(sensor, settings.tz)]}


@router.get("/sensors/{sensor_id}/measurements", response_model=MeasurementList, responses=_REFUSED)
def sensor_measurements(
    request: Request,
    caller: Caller,
    sensor_id: SensorId,
    page: Page = 1,
    limit: Limit = 100,
    datetime_from: When = None,
    datetime_to: When = None,
) -> dict[str, Any]:
    """Raw values of a sensor, oldest first (``found`` is not counted, as in OpenAQ)."""
    stores, settings = _ctx(request)
    tz = settings.tz
    sensor, restriction = _sensor(stores, caller, sensor_id)
    site = _site(stores, sensor["site_id"])
    period = Period(sensor["period"])
    step = agg.step_of(period) or timedelta(0)
    table = agg.measurements(
        stores.observations,
        sensor_id,
        start=_aware(datetime_from, tz),
        end=_aware(datetime_to, tz),
        limit=limit,
        offset=(page - 1) * limit,
    )
    results = []
    for row in table.to_pylist():
        ok = row["qc"] == 0 and row["flag"] in (None, "N") and row["value"] is not None
        moment = _moment(row["time"], tz)
        until = _moment(row["time"] + step, tz)
        results.append(
            {
                "value": row["value"],
                "flagInfo": {"hasFlags": not ok},
                "parameter": _parameter(sensor),
                "period": {
                    "label": "raw",
                    "interval": _interval(step),
                    "datetimeFrom": moment,
                    "datetimeTo": until,
                },
                "coordinates": _coordinates(site),
                "summary": None,
                "coverage": {
                    "expectedCount": 1,
                    "expectedInterval": _interval(step),
                    "observedCount": int(ok),
                    "observedInterval": _interval(step * ok),
                    "percentComplete": 100.0 * ok,
                    "percentCoverage": 100.0 * ok,
                    "datetimeFrom": moment,
                    "datetimeTo": until,
                },
            }
        )
    audit_reads(
        stores.registry.engine,
        caller,
        restriction,
        [sensor["dataset_id"]],
        "data.read",
        {"endpoint": "measurements", "sensor": sensor_id},
    )
    return {"meta": _meta(page, limit, None), "results": results}


def _aggregates(
    request: Request,
    caller: Caller,
    sensor_id: int,
    span: agg.Span,
    page: int,
    limit: int,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, Any]:
    stores, settings = _ctx(request)
    tz = settings.tz
    sensor, restriction = _sensor(stores, caller, sensor_id)
    site = _site(stores, sensor["site_id"])
    period = Period(sensor["period"])
    step = agg.step_of(period)
    query = agg.AggregateQuery(
        sensor_id,
        span,
        _aware(start, tz),
        _aware(end, tz),
        _offset_hours(tz),
        limit,
        (page - 1) * limit,
    )
    results = []
    for row in agg.aggregate(stores.observations, query).to_pylist():
        local_start = row["bucket"].replace(tzinfo=tz)
        local_end = agg.bucket_end(row["bucket"], span).replace(tzinfo=tz)
        expected = agg.expected_count(period, span, row["bucket"]) or row["total"]
        observed = int(row["count"])
        percent = round(100.0 * observed / expected, 2) if expected else 0.0
        length = local_end - local_start
        results.append(
            {
                "value": row["avg"],
                "flagInfo": {"hasFlags": row["total"] > observed},
                "parameter": _parameter(sensor),
                "period": {
                    "label": f"1{span.value}",
                    "interval": _interval(length),
                    "datetimeFrom": _moment(local_start, tz),
                    "datetimeTo": _moment(local_end, tz),
                },
                "coordinates": _coordinates(site),
                "summary": {
                    k: row[k]
                    for k in ("min", "q02", "q25", "median", "q75", "q98", "max", "avg", "sd")
                },
                "coverage": {
                    "expectedCount": expected,
                    "expectedInterval": _interval(length),
                    "observedCount": observed,
                    "observedInterval": _interval(step * observed)
                    if step
                    else _interval(length * (observed / expected if expected else 0)),
                    "percentComplete": percent,
                    "percentCoverage": percent,
                    "datetimeFrom": _moment(row["first"], tz),
                    "datetimeTo": _moment(row["last"], tz),
                },
            }
        )
    audit_reads(
        stores.registry.engine,
        caller,
        restriction,
        [sensor["dataset_id"]],
        "data.read",
        {"endpoint": span.value, "sensor": sensor_id},
    )
    return {"meta": _meta(page, limit, None), "results": results}


def _span_route(path: str, span: agg.Span) -> None:
    @router.get(
        f"/sensors/{{sensor_id}}/{path}",
        response_model=MeasurementList,
        responses=_REFUSED,
        name=f"sensor_{path}",
    )
    def aggregate_route(
        request: Request,
        caller: Caller,
        sensor_id: SensorId,
        page: Page = 1,
        limit: Limit = 100,
        datetime_from: When = None,
        datetime_to: When = None,
        date_from: When = None,
        date_to: When = None,
    ) -> dict[str, Any]:
        return _aggregates(
            request,
            caller,
            sensor_id,
            span,
            page,
            limit,
            datetime_from or date_from,
            datetime_to or date_to,
        )

    aggregate_route.__doc__ = (
        f"Valid values of a sensor aggregated per local {span.value}: mean, summary, coverage."
    )


for _path, _span in (
    ("hours", agg.Span.HOUR),
    ("days", agg.Span.DAY),
    ("months", agg.Span.MONTH),
    ("years", agg.Span.YEAR),
):
    _span_route(_path, _span)
