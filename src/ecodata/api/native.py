"""Native read API under /api/v1: sites, parameters, observations, import runs, health."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ecodata import __version__
from ecodata.api.auth import principal_of
from ecodata.model import Period
from ecodata.security.access import audit_reads, restriction_for
from ecodata.security.guard import require
from ecodata.security.principal import Principal
from ecodata.security.roles import STEWARDS
from ecodata.settings import Settings
from ecodata.store.queries import (
    ObservationFilter,
    observation_page,
    rows_for_json,
    to_local_strings,
)
from ecodata.store.stores import Stores

router = APIRouter(prefix="/api/v1", tags=["native"])

#: Largest id a client may send (the registry's integer columns are 32-bit on PostgreSQL).
MAX_ID = 2**31 - 1


def stores_of(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    backend: str
    time: str
    observations: int = Field(description="Observations held in the store.")


class SiteOut(BaseModel):
    code: str
    kind: str
    name_zh: str
    name_en: str
    division_code: str | None
    province: str
    city: str
    longitude: float | None
    latitude: float | None
    status: str
    attributes: dict[str, Any]


class SiteList(BaseModel):
    results: list[SiteOut]
    count: int


class ParameterOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    unit: str
    domain: str
    base: str | None
    hj212_code: str | None
    hj2005_code: str | None
    published: bool
    description: str


class ParameterList(BaseModel):
    results: list[ParameterOut]
    count: int


class ObservationOut(BaseModel):
    site: str
    parameter: str
    period: str
    time: str = Field(description="Start of the averaging interval, ISO 8601 with offset.")
    value: float | None
    unit: str
    flag: str | None = Field(description="HJ 212 data flag (N normal, M maintenance, …).")
    qc: int = Field(description="Quality-control bits (0 = passed).")
    run_id: int = Field(description="Import run the record came from (0: live feeds).")


class ObservationPage(BaseModel):
    results: list[ObservationOut]
    count: int
    next: str | None = Field(description="URL of the next page, absent on the last page.")
    cursor: str | None = Field(description="Opaque cursor of the next page.")


class ImportRun(BaseModel):
    id: int
    kind: str
    source: str
    sha256: str
    user: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    read: int
    stored: int
    duplicate: int
    quarantined: int
    message: str


class ImportRunList(BaseModel):
    results: list[ImportRun]
    count: int


class QuarantinedRecord(BaseModel):
    id: int
    run_id: int | None
    channel: str
    source: str
    position: str
    raw: str
    raw_hex: str | None
    reason: str
    site_code: str | None
    parameter_code: str | None
    received_at: datetime


class QuarantineList(BaseModel):
    results: list[QuarantinedRecord]
    count: int
    next_after: int | None


@router.get("/health", response_model=Health)
def health(request: Request) -> dict[str, Any]:
    """Liveness and the backend in use."""
    stores = stores_of(request)
    return {
        "status": "ok",
        "version": __version__,
        "backend": stores.observations.backend,
        "time": datetime.now(UTC).astimezone(settings_of(request).tz).isoformat(),
        "observations": stores.observations.count(),
    }


@router.get("/sites", response_model=SiteList)
def list_sites(
    request: Request,
    kind: Annotated[str | None, Query(description="air, water, source-outlet, …")] = None,
    city: Annotated[str | None, Query(description="City name as in the station lists.")] = None,
    division: Annotated[
        str | None, Query(description="GB/T 2260 code prefix (e.g. 11 or 1101).", max_length=6)
    ] = None,
    status: Annotated[str | None, Query(description="active, closed, …")] = None,
) -> dict[str, Any]:
    """Sites of every kind with their division and coordinates."""
    rows = stores_of(request).registry.sites(
        kind=kind, city=city, division_prefix=division, status=status
    )
    return {"results": rows, "count": len(rows)}


@router.get("/sites/{code}", response_model=SiteOut, responses={404: {"description": "Unknown"}})
def get_site(request: Request, code: str) -> dict[str, Any]:
    """One site."""
    return stores_of(request).registry.site(code)


@router.get("/parameters", response_model=ParameterList)
def list_parameters(
    request: Request,
    domain: Annotated[str | None, Query(description="air, meteorology, water, …")] = None,
) -> dict[str, Any]:
    """Parameters with names and units (HJ 212-2017 codes included)."""
    rows = stores_of(request).registry.parameters(domain=domain)
    return {"results": rows, "count": len(rows)}


@router.get(
    "/observations",
    response_model=ObservationPage,
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON page, or CSV with format=csv"},
        400: {"description": "Bad filter"},
        401: {"description": "Invalid credentials"},
        404: {"description": "Unknown site or parameter"},
    },
)
def list_observations(
    request: Request,
    caller: Annotated[Principal, Depends(principal_of)],
    site: Annotated[list[str] | None, Query(description="Site code(s).")] = None,
    parameter: Annotated[
        list[str] | None, Query(description="Parameter code(s) or base names (e.g. o3).")
    ] = None,
    period: Annotated[
        Literal["realtime", "minute", "hour", "day", "month", "year"] | None,
        Query(description="Averaging period."),
    ] = None,
    start: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    end: Annotated[datetime | None, Query(description="Before this time (exclusive).")] = None,
    valid_only: Annotated[bool, Query(description="Only valid data (QC passed, flag N).")] = False,
    limit: Annotated[int | None, Query(ge=1, description="Rows per page.")] = None,
    cursor: Annotated[str | None, Query(description="Cursor from the previous page.")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="Response format.")] = "json",
) -> Response:
    """Observations ordered by series and time, keyset-paged (follow `next`).

    Only the datasets the caller may read are queried (docs/security.md)."""
    settings = settings_of(request)
    engine = stores_of(request).registry.engine
    restriction = restriction_for(engine, caller)
    size = min(limit or settings.api.page_size, settings.api.max_page_size)
    flt = ObservationFilter(
        sites=site,
        parameters=parameter,
        period=Period.parse(period) if period else None,
        start=_aware(start, settings, "start"),
        end=_aware(end, settings, "end"),
        valid_only=valid_only,
        datasets=restriction.dataset_ids,
    )
    page = observation_page(stores_of(request), flt, limit=size, cursor=cursor)
    audit_reads(engine, caller, restriction, page.datasets, "data.read",
                {"endpoint": "observations", "rows": page.table.num_rows})  # fmt: skip
    next_url = None
    if page.next_cursor:
        next_url = str(request.url.include_query_params(cursor=page.next_cursor))
    if format == "csv":
        return _csv(page.table, settings, next_url)
    rows = rows_for_json(page.table, settings.tz)
    return JSONResponse(
        {"results": rows, "count": len(rows), "next": next_url, "cursor": page.next_cursor}
    )


def _aware(value: datetime | None, settings: Settings, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=settings.tz)  # naive times are local time
    return value


def _csv(table: Any, settings: Settings, next_url: str | None) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    columns = [
        to_local_strings(table.column(name), settings.tz) if name == "time"
        else table.column(name).to_pylist()
        for name in table.column_names
    ]  # fmt: skip
    for row in zip(*columns, strict=True):
        writer.writerow(["" if v is None else v for v in row])
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def operator_of(request: Request, caller: Annotated[Principal, Depends(principal_of)]) -> Principal:
    """Import provenance and the quarantine (raw rejected records, which may come from
    restricted sources) are for administrators and data stewards."""
    require(stores_of(request).registry.engine, caller, STEWARDS, "read operations data")
    return caller


Operator = Annotated[Principal, Depends(operator_of)]


@router.get("/import-runs", response_model=ImportRunList, responses={401: {}, 403: {}})
def list_import_runs(
    request: Request,
    _caller: Operator,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Runs with a smaller id (paging).")
    ] = None,
) -> dict[str, Any]:
    """Import runs, newest first: who imported which file when, and the counts."""
    rows = stores_of(request).provenance.runs(limit=limit, before_id=before)
    return {"results": rows, "count": len(rows)}


@router.get("/import-runs/{run_id}", response_model=ImportRun, responses={401: {}, 403: {}})
def get_import_run(
    request: Request, _caller: Operator, run_id: Annotated[int, Path(ge=0, le=MAX_ID)]
) -> dict[str, Any]:
    """One import run."""
    return stores_of(request).provenance.run(run_id)


@router.get("/quarantine", response_model=QuarantineList, responses={401: {}, 403: {}})
def list_quarantine(
    request: Request,
    _caller: Operator,
    channel: Annotated[Literal["import", "hj212", "api"] | None, Query()] = None,
    run: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Import run id.")] = None,
    site: Annotated[str | None, Query(description="Site code.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Continue after this id.")
    ] = None,
) -> dict[str, Any]:
    """Rejected records with source, position, raw content and reason (oldest first)."""
    rows = stores_of(request).provenance.quarantined(
        channel=channel, run_id=run, site_code=site, limit=limit, after_id=after
    )
    for row in rows:
        raw = row.pop("raw_bytes", None)
        row["raw_hex"] = bytes(raw).hex() if raw is not None else None
    next_after = rows[-1]["id"] if len(rows) == limit else None
    return {"results": rows, "count": len(rows), "next_after": next_after}
