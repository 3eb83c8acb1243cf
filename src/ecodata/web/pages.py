"""The public pages: the national overview and the station page (server-rendered; the charts are
drawn by the page scripts from the JSON of :mod:`.page_data`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecodata.model import Period
from ecodata.station_series import busiest_year, data_years
from ecodata.station_summary import station_latest
from ecodata.web.page_data import (
    cached_overview,
    composite_month,
    overview_payload,
    readable_datasets,
    stores_of,
)
from ecodata.web.page_route import PageRoute
from ecodata.web.rendering import language_of, local_time, render, settings_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: Parameters offered first in the chart's list, in this order.
_CHART_ORDER = ("aqi", "pm2_5", "pm10", "so2", "no2", "co", "o3")
_NO_DAILY = frozenset({"wd"})


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    overview = cached_overview(request)
    payload = overview_payload(request, overview)
    settings = settings_of(request)
    province_codes = {s.province: s.province_code for s in overview.stations if s.province_code}
    cities = [{**c, "province_code": province_codes.get(c["province"])} for c in payload["cities"]]
    span = composite_month(overview)
    has_composite = any(c["composite"] is not None for c in cities)
    period = (
        f"{local_time(span[0], settings, '%Y-%m-%d')} – {local_time(span[1], settings, '%Y-%m-%d')}"
        if span and has_composite
        else ""
    )
    return render(
        request,
        "overview.html",
        {
            "overview": overview,
            "payload": payload,
            "cities": cities,
            "missing": [s for s in overview.stations if s.aqi is None],
            "freshness": payload["freshness"],
            "age": payload["age_seconds"],
            "composite_period": period,
        },
        version=overview.version,
    )


@router.get("/stations/{code}", response_class=HTMLResponse)
def station_page(request: Request, code: str) -> HTMLResponse:
    stores = stores_of(request)
    datasets = readable_datasets(request)
    site = stores.registry.site(code)
    latest = station_latest(stores, code, datasets=datasets)
    lang = language_of(request)
    series = stores.registry.find_series(sites=[code], datasets=datasets)
    params = {p["code"]: p for p in stores.registry.parameters()}
    charted: dict[str, dict[str, Any]] = {}
    for s in series:
        period = Period(s["period"]).label
        p = params.get(s["parameter"], {})
        entry = charted.setdefault(
            s["parameter"],
            {
                "code": s["parameter"],
                "name": _name(p, lang) or s["parameter"],
                "unit": s["unit"],
                "periods": set(),
                "last": None,
            },
        )
        entry["periods"].add(period)
        if period == "hour" and not s["published"] and s["parameter"] not in _NO_DAILY:
            entry["periods"].add("day")
        if s["last_time"] is not None and (entry["last"] is None or s["last_time"] > entry["last"]):
            entry["last"] = s["last_time"]
    options = sorted(
        charted.values(),
        key=lambda e: (
            _CHART_ORDER.index(e["code"]) if e["code"] in _CHART_ORDER else len(_CHART_ORDER),
            e["code"],
        ),
    )
    has_wind = {"ws", "wd"} <= charted.keys()
    years = data_years(stores, code, datasets=datasets)
    wind_years = data_years(stores, code, parameters=("ws",), datasets=datasets) if has_wind else {}
    settings = settings_of(request)
    chart = [
        {
            "code": o["code"],
            "name": o["name"],
            "unit": o["unit"],
            "periods": sorted(o["periods"], key=["hour", "day"].index),
            "last": local_time(o["last"], settings, "%Y-%m-%d") if o["last"] else None,
        }
        for o in options
        if o["periods"] & {"hour", "day"}
    ]
    initial = _initial_chart(request, code, chart)
    payload = {
        "code": code,
        "lang": lang,
        "initial": initial,
        "parameters": chart,
        "years": sorted(years),
        "has_wind": has_wind,
        "rose_pollutants": [p for p in ("pm2_5", "pm10", "so2", "no2", "co", "o3") if p in charted],
    }
    return render(
        request,
        "station.html",
        {
            "site": site,
            "latest": latest,
            "payload": payload,
            "years": sorted(years, reverse=True),
            "calendar_year": busiest_year(years),
            "wind_years": sorted(wind_years, reverse=True),
            "rose_year": busiest_year(wind_years),
            "has_wind": has_wind,
            "preload": initial.get("url"),
        },
        title=_name(site, lang) or code,
        version=latest.version,
    )


def _initial_chart(
    request: Request, code: str, chart: list[dict[str, Any]]
) -> dict[str, str | None]:
    """The chart the page opens with: ``?parameter=&period=&start=&end=`` or PM2.5 (else the AQI,
    else the first parameter) over the last 30 days (hourly) or 365 days (daily) of its data;
    with the URL of its data, which the page asks the browser to preload."""
    by_code = {c["code"]: c for c in chart}
    query = request.query_params
    wanted = [query.get("parameter"), "pm2_5", "aqi", chart[0]["code"] if chart else None]
    parameter = next((p for p in wanted if p and p in by_code), None)
    if parameter is None:
        return {"parameter": None, "period": None, "start": None, "end": None, "url": None}
    periods = by_code[parameter]["periods"]
    period = query.get("period") if query.get("period") in periods else periods[0]
    start, end = query.get("start"), query.get("end")
    last = by_code[parameter]["last"]
    if not (start or end) and last:
        final = date.fromisoformat(last) + timedelta(days=1)
        start = (final - timedelta(days=365 if period == "day" else 30)).isoformat()
        end = final.isoformat()
    params = {"parameter": parameter, "period": period}
    params |= {k: v for k, v in (("start", start), ("end", end)) if v}
    url = f"/ui/stations/{quote(code)}/series.json?{urlencode(params)}"
    return {"parameter": parameter, "period": period, "start": start, "end": end, "url": url}


def _name(row: dict[str, Any], lang: str) -> str:
    zh, en = row.get("name_zh") or "", row.get("name_en") or ""
    return (en or zh) if lang == "en" else (zh or en)
