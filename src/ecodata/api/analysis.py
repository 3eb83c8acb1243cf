"""Analyses under /api/v1/analysis: trends, profiles, pollution roses, interpolated fields,
station forecasts, heavy-pollution warnings and the haze case base.

Adapters only: each handler parses the request, calls one function of
:mod:`ecodata.analysis.store_analyses` or :mod:`ecodata.analysis.station_forecast` with the
caller's readable datasets, and shapes the answer (JSON, or a PNG/SVG figure with
``format=png|svg``). Forecasts are served from the models that ``ecodata analyze
forecast-train`` saved in the data directory; no model is trained while a request waits, and a
city without a saved model answers 409 with the command that trains it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ecodata.api.auth import principal_of
from ecodata.errors import InputError
from ecodata.security.access import Restriction, audit_reads, restriction_for
from ecodata.security.principal import Principal
from ecodata.settings import Settings
from ecodata.store.stores import Stores

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])
Caller = Annotated[Principal, Depends(principal_of)]
Site = Annotated[str, Query(min_length=1, max_length=32, description="Station code, e.g. 1003A.")]
Parameter = Annotated[str, Query(min_length=1, max_length=64, description="Parameter code.")]
When = Annotated[datetime | None, Query(description="ISO 8601; naive times are local time.")]
Figure = Literal["json", "png", "svg"]
_MEDIA = {"png": "image/png", "svg": "image/svg+xml"}
_FIGURES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/svg+xml": {}}},
    400: {"description": "Bad parameter, or too few data for the analysis"},
    404: {"description": "Unknown station or no readable series"},
}


def _ctx(request: Request) -> tuple[Stores, Settings]:
    return request.app.state.stores, request.app.state.settings


def _local(value: datetime | None, settings: Settings) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=settings.tz)


def _readable(stores: Stores, caller: Principal) -> Restriction:
    return restriction_for(stores.registry.engine, caller)


def _audit(
    stores: Stores,
    caller: Principal,
    restriction: Restriction,
    sites: Sequence[str],
    parameters: Sequence[str],
    endpoint: str,
) -> None:
    from ecodata.analysis.store_frames import hourly_series

    series = hourly_series(stores, sites, parameters, datasets=restriction.dataset_ids)
    audit_reads(
        stores.registry.engine,
        caller,
        restriction,
        {s["dataset_id"] for s in series},
        "data.read",
        {"endpoint": f"analysis/{endpoint}", "sites": list(sites)[:20]},
    )


def _image(data: bytes, fmt: str) -> Response:
    return Response(data, media_type=_MEDIA[fmt])


# -- trend ----------------------------------------------------------------------------------------


class TrendOut(BaseModel):
    site: str
    parameter: str
    slope: float = Field(description="Theil–Sen slope per year, in `units`.")
    lower: float = Field(description="Lower bound of the 95 % bootstrap interval.")
    upper: float = Field(description="Upper bound of the 95 % bootstrap interval.")
    p: float = Field(description="Two-sided Mann–Kendall p value.")
    p_bootstrap: float
    stars: str = Field(description="openair's marks: *** p < 0.001, ** < 0.01, * < 0.05, + < 0.1")
    units: str = Field(description="e.g. µg/m³/year")
    alpha: float
    n: int = Field(description="Number of averages the slope is fitted to.")
    slope_percent: float | None = Field(description="Slope as % per year of the start value.")
    intercept: float
    deseasonalised: bool
    autocorrelation: bool
    n_boot: int
    avg_time: str
    start: str
    end: str
    mann_kendall: dict[str, float]
    values: list[dict[str, Any]] = Field(description="The (deseasonalised) averages: time, value.")
    smooth: dict[str, Any] | None = None
    change_points: dict[str, Any] | None = None


@router.get("/trend", response_model=TrendOut, responses=_FIGURES)
def trend(
    request: Request,
    caller: Caller,
    site: Site,
    parameter: Parameter,
    deseason: bool = False,
    avg: Literal["month", "year"] = "month",
    smooth: bool = False,
    change_points: bool = False,
    autocorrelation: bool = False,
    data_capture: Annotated[
        float, Query(ge=0, le=1, description="Share of a month's hours that must be valid.")
    ] = 0.75,
    start: When = None,
    end: When = None,
    format: Figure = "json",
) -> Any:
    """Theil–Sen trend of a station's hourly values averaged by month (or year), with its
    bootstrap interval and Mann–Kendall test (openair's TheilSen); optionally the smooth
    trend and the change points."""
    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import trend_of

    stores, settings = _ctx(request)
    restriction = _readable(stores, caller)
    report = trend_of(
        stores,
        site,
        parameter,
        deseason=deseason,
        avg_time=avg,
        smooth=smooth,
        change_points=change_points,
        data_capture=data_capture,
        autocorrelation=autocorrelation,
        start=_local(start, settings),
        end=_local(end, settings),
        datasets=restriction.dataset_ids,
    )
    _audit(stores, caller, restriction, [site], [parameter], "trend")
    if format != "json":
        return _image(figures.trend_figure(report.trend, fmt=format), format)
    out = report.to_json()
    if out["slope_percent"] != out["slope_percent"]:  # NaN is not JSON
        out["slope_percent"] = None
    return out


# -- profile --------------------------------------------------------------------------------------


class ProfileOut(BaseModel):
    site: str
    statistic: str
    conf: float
    normalised: bool
    hour: list[dict[str, Any]] = Field(description="parameter, hour, value, lower, upper, n")
    weekday: list[dict[str, Any]] = Field(description="weekday 0 = Monday")
    month: list[dict[str, Any]]
    hour_weekday: list[dict[str, Any]]


@router.get("/profile", response_model=ProfileOut, responses=_FIGURES)
def profile(
    request: Request,
    caller: Caller,
    site: Site,
    parameter: Annotated[
        str, Query(min_length=1, max_length=200, description="Codes, comma-separated.")
    ],
    statistic: Literal["mean", "median"] = "mean",
    normalise: bool = False,
    start: When = None,
    end: When = None,
    format: Figure = "json",
) -> Any:
    """Profiles by local hour, weekday, month and hour × weekday (openair's timeVariation)."""
    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import profile_of

    stores, settings = _ctx(request)
    restriction = _readable(stores, caller)
    names = [p.strip() for p in parameter.split(",") if p.strip()]
    if not names or len(names) > 8:
        raise InputError("name one to eight parameters, comma-separated")
    result = profile_of(
        stores,
        site,
        names,
        statistic=statistic,
        normalise=normalise,
        start=_local(start, settings),
        end=_local(end, settings),
        datasets=restriction.dataset_ids,
    )
    _audit(stores, caller, restriction, [site], names, "profile")
    if format != "json":
        return _image(figures.time_variation_figure(result, fmt=format), format)
    return {"site": site, **result.to_json()}


# -- rose -----------------------------------------------------------------------------------------


class RoseOut(BaseModel):
    site: str
    parameter: str
    angle: float
    breaks: list[float]
    calm_percent: float = Field(description="Percent of hours with calm wind.")
    n: int
    sectors: list[float]
    intervals: list[str]
    percent: list[list[float]] = Field(description="Per sector, percent of hours per interval.")
    mean: list[float | None] = Field(description="Mean value per sector.")


@router.get("/rose", response_model=RoseOut, responses=_FIGURES)
def rose(
    request: Request,
    caller: Caller,
    site: Site,
    parameter: Parameter = "pm2_5",
    angle: Annotated[float, Query(gt=0, le=90)] = 30.0,
    start: When = None,
    end: When = None,
    format: Figure = "json",
) -> Any:
    """Pollution rose: percent of hours by wind sector and value interval (openair's
    pollutionRose)."""
    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import rose_of

    stores, settings = _ctx(request)
    restriction = _readable(stores, caller)
    result = rose_of(
        stores,
        site,
        parameter,
        angle=angle,
        start=_local(start, settings),
        end=_local(end, settings),
        datasets=restriction.dataset_ids,
    )
    _audit(stores, caller, restriction, [site], ["ws", "wd", parameter], "rose")
    if format != "json":
        return _image(figures.pollution_rose_figure(result, fmt=format), format)
    return {"site": site, **result.to_json()}


# -- grid -----------------------------------------------------------------------------------------


@router.get(
    "/grid",
    responses={
        200: {
            "description": "GeoJSON FeatureCollection (grid cells with `value`, station points), "
            "or the map as PNG/SVG",
            "content": {"application/geo+json": {}, "image/png": {}, "image/svg+xml": {}},
        },
        400: {"description": "Bad parameter, or fewer than three stations with values"},
        404: {"description": "Unknown region"},
    },
)
def grid(
    request: Request,
    caller: Caller,
    region: Annotated[str, Query(min_length=1, max_length=40, description="Adcode or name.")],
    date: Annotated[
        str, Query(min_length=10, max_length=40, description="YYYY-MM-DD or an ISO hour.")
    ],
    parameter: Parameter = "pm2_5",
    method: Literal["kriging", "idw"] = "kriging",
    step: Annotated[float, Query(ge=0.01, le=1.0, description="Cell size, degrees.")] = 0.05,
    format: Literal["geojson", "png", "svg"] = "geojson",
) -> Response:
    """A field interpolated over a region (ordinary kriging or IDW) from the daily means (or
    hourly values) of the stations within half a degree, with leave-one-out scores."""
    import json

    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import grid_of

    stores, settings = _ctx(request)
    restriction = _readable(stores, caller)
    field = grid_of(
        stores,
        settings.web.regions_dir,
        region,
        parameter,
        date,
        method=method,
        step=step,
        datasets=restriction.dataset_ids,
    )
    _audit(stores, caller, restriction, field.stations["site"].tolist(), [parameter], "grid")
    if format != "geojson":
        return _image(figures.field_figure(field, fmt=format), format)
    body = json.dumps(field.to_geojson(), ensure_ascii=False, allow_nan=False)
    return Response(body, media_type="application/geo+json")


# -- forecasts and warnings -----------------------------------------------------------------------


class WarningOut(BaseModel):
    level: Literal["none", "blue", "yellow", "orange", "red"]
    label_zh: str
    rule: str = Field(description="The rule of the level, with the thresholds in force.")
    rule_zh: str = Field(description="The same rule in Chinese.")
    daily_aqi: list[float | None] = Field(description="Means of forecast hours 1–24, 25–48 …")
    heavy_days: int
    severe_days: int
    extreme_days: int


class PathPoint(BaseModel):
    horizon_h: int
    time: str
    value: float


class ForecastOut(BaseModel):
    site: str
    target: Literal["pm2_5", "aqi"]
    units: str
    issue_time: str
    path: list[PathPoint]
    model: dict[str, Any] = Field(description="The saved model: city, stations, data, training.")
    warning: WarningOut | None = Field(None, description="For the AQI target.")


def _rules(settings: Settings) -> Any:
    from ecodata.analysis.warning import WarningRules

    w = settings.warning
    return WarningRules(heavy=w.heavy, severe=w.severe, extreme=w.extreme)


@router.get(
    "/forecast",
    response_model=ForecastOut,
    responses={
        200: {"content": {"image/png": {}, "image/svg+xml": {}}},
        404: {"description": "Unknown station, or no value at the issue time"},
        409: {"description": "No forecast model trained for the station's city"},
    },
)
def forecast(
    request: Request,
    caller: Caller,
    site: Site,
    target: Literal["pm2_5", "aqi"] = "pm2_5",
    at: When = None,
    hours: Annotated[int, Query(ge=1, le=96)] = 96,
    format: Figure = "json",
) -> Any:
    """Forecast path of a station, 1–96 h after the issue time (default: the newest hour of
    PM2.5), from its city's saved model; the AQI forecast carries the warning level."""
    from ecodata.analysis import figures
    from ecodata.analysis.station_forecast import forecast_site

    stores, settings = _ctx(request)
    restriction = _readable(stores, caller)
    result = forecast_site(
        stores,
        site,
        data_dir=settings.data_dir,
        target=target,
        at=_local(at, settings),
        hours=hours,
        rules=_rules(settings),
        datasets=restriction.dataset_ids,
    )
    _audit(stores, caller, restriction, result.model["sites"], ["pm2_5"], "forecast")
    if format != "json":
        import pandas as pd

        predicted = pd.Series(result.values, index=pd.DatetimeIndex(result.times))
        recent = result.observed[result.observed.index > result.issue_time - pd.Timedelta(days=4)]
        title = f"{site} {target} forecast issued {result.issue_time:%Y-%m-%d %H:%M}"
        return _image(figures.forecast_figure(recent, predicted, title=title, fmt=format), format)
    return result.to_json()


class StationWarning(WarningOut):
    site: str
    city: str
    issue_time: str


class WarningList(BaseModel):
    count: int
    results: list[StationWarning]


@router.get("/warnings", response_model=WarningList)
def warnings(request: Request, caller: Caller) -> dict[str, Any]:
    """Current warnings: the newest AQI forecast of every station with a saved AQI model,
    graded by the 2017 national rules with the thresholds of the settings."""
    from ecodata.analysis.station_forecast import current_warnings

    stores, settings = _ctx(request)
    restriction = _readable(stores, caller)
    rows = current_warnings(
        stores, data_dir=settings.data_dir, rules=_rules(settings), datasets=restriction.dataset_ids
    )
    if rows:
        _audit(stores, caller, restriction, [r["site"] for r in rows], ["pm2_5"], "warnings")
    return {"count": len(rows), "results": rows}


class Episode(BaseModel):
    site: str
    start: str
    end: str
    duration_h: int
    peak_aqi: float
    peak_time: str
    peak_daily_aqi: float = Field(description="Highest 24-h mean AQI of the episode.")
    mean_aqi: float
    primary_pollutant: str | None
    meteorology: dict[str, float | None] = Field(
        description="Means over the episode: temp, dewp, pres, ws, rh (%), resultant wind; "
        "rain is the total (mm)."
    )


class EpisodeList(BaseModel):
    site: str
    threshold: float
    count: int
    results: list[Episode]


@router.get("/haze-episodes", response_model=EpisodeList, responses=_FIGURES)
def haze_episodes(
    request: Request,
    caller: Caller,
    site: Site,
    threshold: Annotated[float, Query(gt=0, le=500)] = 200.0,
    start: When = None,
    end: When = None,
) -> dict[str, Any]:
    """The haze case base of a station: episodes whose 24-h mean AQI (HJ 633, from the stored
    concentrations) exceeds ``threshold``, with peak, duration, meteorology, primary
    pollutant."""
    from ecodata.analysis.hourly_aqi import AQI_INPUTS
    from ecodata.analysis.store_analyses import haze_of

    stores, settings = _ctx(request)
    restriction = _readable(stores, caller)
    episodes = haze_of(
        stores,
        site,
        threshold=threshold,
        start=_local(start, settings),
        end=_local(end, settings),
        datasets=restriction.dataset_ids,
    )
    _audit(stores, caller, restriction, [site], list(AQI_INPUTS), "haze-episodes")
    rows = [e.to_json() for e in episodes]
    return {"site": site, "threshold": threshold, "count": len(rows), "results": rows}
