"""JSON for the analysis panels of the station page and the overview (under ``/ui/``, not part
of the public API): the station's trend, its forecast and warning, its haze case base, and the
current warnings.

Each read is limited to the datasets the signed-in user (or the public) may read. A panel whose
data do not suffice (too short a record, no trained forecast model) gets ``available: false``
and the reason, so the page shows a note instead of an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ecodata.errors import ConflictError, InputError, NotFoundError
from ecodata.web.page_data import TtlCache, readable_datasets, stores_of
from ecodata.web.rendering import settings_of

router = APIRouter(prefix="/ui", include_in_schema=False)
_CACHE_SECONDS = 300.0


def _cached(request: Request, key: Any, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Results kept for five minutes: trends and case bases change with new months, not hours."""
    state = request.app.state
    cache: TtlCache | None = getattr(state, "analysis_cache", None)
    if cache is None:
        cache = TtlCache(_CACHE_SECONDS)
        state.analysis_cache = cache
    datasets = readable_datasets(request)
    return cache.get((key, frozenset(datasets) if datasets is not None else None), compute)


def _unavailable(error: Exception) -> dict[str, Any]:
    return {"available": False, "message": str(error)}


@router.get("/stations/{code}/trend.json")
def trend_json(
    request: Request, code: str, parameter: Annotated[str, Query(max_length=64)] = "pm2_5"
) -> JSONResponse:
    """Deseasonalised monthly means, the Theil–Sen line and the smooth trend of a parameter."""
    from ecodata.analysis.store_analyses import trend_of

    def compute() -> dict[str, Any]:
        try:
            report = trend_of(
                stores_of(request),
                code,
                parameter,
                deseason=True,
                smooth=True,
                datasets=readable_datasets(request),
            )
        except (InputError, NotFoundError) as exc:
            return _unavailable(exc)
        t = report.trend
        times = [t.start, t.end]
        line = t.line(pd.DatetimeIndex(times))
        return {
            "available": True,
            **{k: v for k, v in report.to_json().items() if k not in ("mann_kendall",)},
            "line": [[_ms(m), float(v)] for m, v in zip(times, line, strict=True)],
            "slope_percent": None if math.isnan(t.slope_percent) else t.slope_percent,
        }

    return JSONResponse(_cached(request, ("trend", code, parameter), compute))


@router.get("/stations/{code}/forecast.json")
def forecast_json(request: Request, code: str) -> JSONResponse:
    """The station's newest PM2.5 and AQI forecasts (96 h) and the warning of the AQI one."""
    from ecodata.analysis.station_forecast import forecast_site
    from ecodata.analysis.warning import WarningRules

    settings = settings_of(request)
    w = settings.warning
    rules = WarningRules(heavy=w.heavy, severe=w.severe, extreme=w.extreme)
    out: dict[str, Any] = {"available": False, "forecasts": {}}
    reasons = []
    for target in ("pm2_5", "aqi"):
        try:
            result = forecast_site(
                stores_of(request),
                code,
                data_dir=settings.data_dir,
                target=target,
                rules=rules,
                datasets=readable_datasets(request),
            )
        except ConflictError as exc:
            out["no_model"] = True
            reasons.append(str(exc))
            continue
        except (InputError, NotFoundError) as exc:
            reasons.append(str(exc))
            continue
        recent = result.observed[result.observed.index > result.issue_time - pd.Timedelta(days=3)]
        out["available"] = True
        out["forecasts"][target] = {
            "units": result.units,
            "issue_time": _ms(result.issue_time),
            "observed": [[_ms(t), float(v)] for t, v in recent.items()],
            "path": [
                [_ms(t), round(v, 1)] for t, v in zip(result.times, result.values, strict=True)
            ],
            "model": result.model["model"],
            "trained_at": result.model["trained_at"],
        }
        if result.warning is not None:
            out["warning"] = result.warning.to_json()
    if not out["available"]:
        out["message"] = reasons[0] if reasons else ""
    return JSONResponse(out)


@router.get("/stations/{code}/haze.json")
def haze_json(request: Request, code: str) -> JSONResponse:
    """The station's haze case base (heavy-pollution episodes of its hourly AQI)."""
    from ecodata.analysis.store_analyses import haze_of

    def compute() -> dict[str, Any]:
        try:
            episodes = haze_of(stores_of(request), code, datasets=readable_datasets(request))
        except (InputError, NotFoundError) as exc:
            return _unavailable(exc)
        return {"available": True, "episodes": [e.to_json() for e in episodes]}

    return JSONResponse(_cached(request, ("haze", code), compute))


@router.get("/warnings.json")
def warnings_json(request: Request) -> JSONResponse:
    """Current warnings of every station with a trained AQI forecast model."""
    from ecodata.analysis.station_forecast import current_warnings
    from ecodata.analysis.warning import WarningRules

    settings = settings_of(request)
    w = settings.warning
    rows = current_warnings(
        stores_of(request),
        data_dir=settings.data_dir,
        rules=WarningRules(heavy=w.heavy, severe=w.severe, extreme=w.extreme),
        datasets=readable_datasets(request),
    )
    return JSONResponse({"count": len(rows), "results": rows})


def _ms(moment: Any) -> int:
    return int(moment.timestamp() * 1000)
