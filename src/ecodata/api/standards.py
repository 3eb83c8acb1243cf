"""Evaluation results under /api/v1: AQI (hourly, daily; station, city, province), city rankings
by the composite index, and surface-water classes. Adapters only: the work is done in
:mod:`ecodata.evaluation`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ecodata.evaluation.aqi_results import AqiFilter, aqi_page, city_rankings
from ecodata.evaluation.periods import parse_period
from ecodata.evaluation.water_quality import water_quality_page
from ecodata.settings import Settings
from ecodata.store.stores import Stores

router = APIRouter(prefix="/api/v1", tags=["standards"])

_NOT_COMPUTED: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown place, or no results computed yet"}
}


def _stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _local(value: datetime | None, settings: Settings) -> datetime | None:
    """Query times without an offset are local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=settings.tz)


class AqiOut(BaseModel):
    scope: Literal["site", "city", "province"]
    code: str = Field(description="Station code, city name, or province division code.")
    name: str
    city: str | None
    province: str | None
    division_code: str | None = Field(description="GB/T 2260 code of the place's division.")
    period: Literal["hour", "day"]
    time: str = Field(description="Start of the hour or local day, ISO 8601 with offset.")
    standard: str = Field(description="HJ 633 edition applied (by the date of the data).")
    concentrations: dict[str, float | None] = Field(
        description="Indicator values used (µg/m³, CO mg/m³); daily: o3 = daily maximum 1-h, "
        "o3_8h = daily maximum 8-h mean. City and province values are means over members."
    )
    iaqi: dict[str, int | None] = Field(description="Individual AQI per indicator.")
    aqi: int | None = Field(description="None when undefined or not publishable (see status).")
    aqi_status: str = Field(
        description="ok, partial (indicator missing), na_incomplete (HJ 633-2026 §5.3.1), "
        "above_scale (a value above the IAQI-500 breakpoint), no_data."
    )
    level: int | None
    category: str | None = Field(description="类别, e.g. 良.")
    category_en: str | None
    colour: str | None = Field(description="Category colour, #RRGGBB (HJ 633 Appendix A).")
    primary: list[str] = Field(description="Primary pollutants (AQI > 50).")
    n_sites: int = Field(description="Stations (city) or cities (province) averaged; 1 for a site.")


class AqiPageOut(BaseModel):
    results: list[AqiOut]
    count: int
    next: str | None = Field(description="URL of the next page, absent on the last page.")
    cursor: str | None


class RankingOut(BaseModel):
    rank: int
    city: str
    province: str | None
    division_code: str | None
    composite_index: float = Field(description="Σ Cᵢ/Sᵢ over six pollutants.")
    weighted_index: float = Field(description="The same with PM2.5 × 3, NO₂ × 2, O₃ × 2.")
    parts: dict[str, float] = Field(description="Cᵢ/Sᵢ per pollutant.")
    statistics: dict[str, float | None] = Field(
        description="Period means (so2, no2, pm10, pm2_5), co_p95, o3_8h_p90 of daily values."
    )
    n_days: dict[str, int] = Field(description="Daily values per pollutant in the period.")


class UnrankedOut(BaseModel):
    city: str
    province: str | None
    division_code: str | None
    missing: list[str]
    n_days: dict[str, int]


class RankingsOut(BaseModel):
    start: str
    end: str
    by: Literal["composite", "weighted"]
    limits: str = Field(description="GB 3095 edition whose class-2 limits divide the values.")
    count: int = Field(description="Cities ranked.")
    results: list[RankingOut]
    unranked: list[UnrankedOut] = Field(description="Cities lacking a statistic in the period.")


class WaterClassOut(BaseModel):
    model_config = {"populate_by_name": True}

    klass: int = Field(alias="class", description="1–6 (6 = 劣Ⅴ).")
    label: str
    grade: str | None = Field(description="优, 良好, 轻度污染, 中度污染, 重度污染.")
    main_pollutants: list[dict[str, Any]]
    items: dict[str, int] = Field(description="Class per evaluated item.")
    reference_items: dict[str, int] = Field(description="TN for lakes and reservoirs.")


class WaterReadingOut(BaseModel):
    model_config = {"populate_by_name": True}

    site: str
    time: str
    values: dict[str, float | None] = Field(description="mg/L; pH dimensionless.")
    flagged: bool = Field(description="A value is not valid data (QC, or a flag such as M).")
    section_type: Literal["river", "lake", "unknown"]
    klass: int | None = Field(alias="class", description="Class under the site's own rule.")
    label: str | None
    classes: dict[str, WaterClassOut | None] = Field(
        description="Per rule applied: the site's own, or river and lake when it is unknown."
    )
    published_class: int | None
    published_label: str | None
    matches_published: bool | None = Field(
        description="Whether the published class is reproduced (by either rule when unknown)."
    )
    missing_items: list[str]


class WaterPageOut(BaseModel):
    results: list[WaterReadingOut]
    count: int
    next: str | None
    cursor: str | None


@router.get("/aqi", response_model=AqiPageOut, responses=_NOT_COMPUTED)
def list_aqi(
    request: Request,
    period: Annotated[Literal["hour", "day"], Query(description="hour or day.")] = "hour",
    scope: Annotated[
        Literal["site", "city", "province"], Query(description="Stations, cities or provinces.")
    ] = "site",
    code: Annotated[
        list[str] | None,
        Query(description="Station codes, city names or province codes (of the scope)."),
    ] = None,
    city: Annotated[list[str] | None, Query(description="Only places in these cities.")] = None,
    province: Annotated[
        list[str] | None, Query(description="Only places in these provinces (name or code).")
    ] = None,
    start: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    end: Annotated[datetime | None, Query(description="Before this time (exclusive).")] = None,
    latest: Annotated[bool, Query(description="Only the latest row of each place.")] = False,
    limit: Annotated[int | None, Query(ge=1, description="Rows per page.")] = None,
    cursor: Annotated[str | None, Query(description="Cursor from the previous page.")] = None,
) -> dict[str, Any]:
    """Stored AQI results (computed by `ecodata aqi compute`), ordered by place and time."""
    settings = _settings(request)
    size = min(limit or settings.api.page_size, settings.api.max_page_size)
    flt = AqiFilter(
        period=period,
        scope=scope,
        codes=code,
        cities=city,
        provinces=province,
        start=_local(start, settings),
        end=_local(end, settings),
        latest=latest,
    )
    page = aqi_page(_stores(request), flt, limit=size, cursor=cursor)
    next_url = None
    if page.next_cursor:
        next_url = str(request.url.include_query_params(cursor=page.next_cursor))
    return {"results": page.rows, "count": len(page.rows), "next": next_url,
            "cursor": page.next_cursor}  # fmt: skip


@router.get("/rankings", response_model=RankingsOut, responses=_NOT_COMPUTED)
def rankings(
    request: Request,
    period: Annotated[
        str,
        Query(
            description="YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD (local days).",
            examples=["2019-01"],
        ),
    ],
    by: Annotated[
        Literal["composite", "weighted"], Query(description="Index to rank by.")
    ] = "composite",
    limit: Annotated[int | None, Query(ge=1, description="Only the first N cities.")] = None,
) -> dict[str, Any]:
    """Cities ranked by the air-quality composite index of the period, cleanest first."""
    start, end = parse_period(period, _settings(request).tz)
    return city_rankings(_stores(request), start=start, end=end, by=by, limit=limit)


@router.get("/water-quality", response_model=WaterPageOut, responses=_NOT_COMPUTED)
def water_quality(
    request: Request,
    site: Annotated[list[str] | None, Query(description="Site code(s).")] = None,
    start: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    end: Annotated[datetime | None, Query(description="Before this time (exclusive).")] = None,
    limit: Annotated[int | None, Query(ge=1, description="Readings per page.")] = None,
    cursor: Annotated[str | None, Query(description="Cursor from the previous page.")] = None,
) -> dict[str, Any]:
    """GB 3838-2002 class of every water reading, beside the published class."""
    settings = _settings(request)
    size = min(limit or settings.api.page_size, settings.api.max_page_size)
    page = water_quality_page(
        _stores(request),
        sites=site,
        start=_local(start, settings),
        end=_local(end, settings),
        limit=size,
        cursor=cursor,
    )
    next_url = None
    if page.next_cursor:
        next_url = str(request.url.include_query_params(cursor=page.next_cursor))
    return {"results": page.rows, "count": len(page.rows), "next": next_url,
            "cursor": page.next_cursor}  # fmt: skip
