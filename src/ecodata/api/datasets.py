"""The information-resource catalog under /api/v1/datasets, with resource downloads.

Dataset metadata follows the core metadata of the catalog guide (发改高技〔2017〕1272号): resource
code, provider department, abstract, formats, sharing type and condition, open type, update cycle,
collection responsibility. Downloads stream CSV, JSON or Parquet for any time range.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ecodata.api.auth import principal_of
from ecodata.catalog import datasets as catalog
from ecodata.catalog.downloads import Format, open_download
from ecodata.security.access import restriction_for
from ecodata.security.principal import Principal
from ecodata.settings import Settings
from ecodata.store.stores import Stores

router = APIRouter(prefix="/api/v1", tags=["catalog"])
Caller = Annotated[Principal, Depends(principal_of)]


class Department(BaseModel):
    code: str
    name_zh: str | None
    name_en: str | None


class Statistics(BaseModel):
    series: int
    sites: int
    observations: int
    first_time: datetime | None
    last_time: datetime | None


class Resource(BaseModel):
    format: str
    url: str


class DatasetOut(BaseModel):
    name: str
    uuid: str
    resource_code: str = Field(description="信息资源代码 (分类码/顺序码).")
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    department: Department = Field(description="信息资源提供方.")
    classification: Literal["public", "shared", "restricted"]
    sharing_type: Literal["unconditional", "conditional", "none"] = Field(description="共享类型.")
    sharing_condition: str
    open_type: Literal["open", "conditional", "closed"] = Field(description="开放属性.")
    update_cycle: str = Field(description="更新周期.")
    formats: list[str]
    responsibility: str = Field(description="采集责任.")
    licence: str
    attribution: str
    topics: list[str]
    tags: list[str]
    source: Literal["series", "sites"]
    created_at: datetime
    modified_at: datetime
    statistics: Statistics
    resources: list[Resource]


class DatasetList(BaseModel):
    results: list[DatasetOut]
    count: int


class DatasetChange(BaseModel):
    """Fields a steward may change; absent fields stay as they are."""

    title_zh: str | None = Field(None, min_length=1, max_length=300)
    title_en: str | None = Field(None, max_length=300)
    description_zh: str | None = Field(None, max_length=10_000)
    description_en: str | None = Field(None, max_length=10_000)
    classification: Literal["public", "shared", "restricted"] | None = None
    sharing_type: Literal["unconditional", "conditional", "none"] | None = None
    sharing_condition: str | None = Field(None, max_length=2000)
    open_type: Literal["open", "conditional", "closed"] | None = None
    update_cycle: Literal[catalog.UPDATE_CYCLES] | None = None  # type: ignore[valid-type]
    tags: list[str] | None = None
    topics: list[str] | None = None


def shaped(row: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A catalog row as the API shows it (with its download resources)."""
    out = {k: v for k, v in row.items() if k not in ("id", "selector", "position")}
    out["resources"] = [
        {"format": f.value, "url": f"{base_url}api/v1/datasets/{row['name']}/download?format={f}"}
        for f in Format
    ]
    return out


def _stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


@router.get("/datasets", response_model=DatasetList)
def list_datasets(request: Request, caller: Caller) -> dict[str, Any]:
    """The catalog: every dataset the caller may see, in catalog order."""
    engine = _stores(request).registry.engine
    rows = catalog.datasets(engine, restriction_for(engine, caller))
    base = str(request.base_url)
    return {"results": [shaped(r, base) for r in rows], "count": len(rows)}


@router.get(
    "/datasets/{name}", response_model=DatasetOut, responses={404: {"description": "Unknown"}}
)
def get_dataset(request: Request, caller: Caller, name: str) -> dict[str, Any]:
    """One dataset by name, UUID or resource code."""
    engine = _stores(request).registry.engine
    row = catalog.dataset(engine, name, restriction_for(engine, caller))
    return shaped(row, str(request.base_url))


@router.patch(
    "/datasets/{name}",
    response_model=DatasetOut,
    responses={
        400: {"description": "Invalid change"},
        401: {"description": "Not signed in"},
        403: {"description": "Not a steward"},
        404: {"description": "Unknown"},
    },
)
def change_dataset(
    request: Request, caller: Caller, name: str, change: DatasetChange
) -> dict[str, Any]:
    """Change catalog metadata, classification or sharing of a dataset (stewards; audited)."""
    engine = _stores(request).registry.engine
    row = catalog.update(engine, caller, name, change.model_dump(exclude_none=True))
    return shaped(row, str(request.base_url))


@router.get(
    "/datasets/{name}/download",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/json": {},
                "application/vnd.apache.parquet": {},
            },
            "description": "The observations (or sites) of the dataset",
        },
        400: {"description": "Bad time range"},
        401: {"description": "Not signed in"},
        403: {"description": "Not allowed to read the dataset"},
        404: {"description": "Unknown dataset"},
    },
)
def download(
    request: Request,
    caller: Caller,
    name: str,
    format: Annotated[Literal["csv", "json", "parquet"], Query()] = "csv",
    start: Annotated[datetime | None, Query(description="From (inclusive); naive = local")] = None,
    end: Annotated[datetime | None, Query(description="Until (exclusive); naive = local")] = None,
) -> StreamingResponse:
    """Download a dataset for a time range, streamed (any range; no page limit)."""
    settings: Settings = request.app.state.settings
    tz = settings.tz
    got = open_download(
        _stores(request),
        caller,
        name,
        Format(format),
        tz=tz,
        start=start.replace(tzinfo=start.tzinfo or tz) if start else None,
        end=end.replace(tzinfo=end.tzinfo or tz) if end else None,
    )
    headers = {"Content-Disposition": f'attachment; filename="{got.filename}"'}
    return StreamingResponse(got.chunks, media_type=got.media_type, headers=headers)
