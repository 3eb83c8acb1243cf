"""Operations pages for signed-in staff: import runs and the quarantine (stewards and admins),
HJ 212 devices and exceedance alerts (also analysts and enforcement officers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ecodata.exceedances import recent_exceedances
from ecodata.store.devices import Devices
from ecodata.web.page_data import readable_datasets, stores_of
from ecodata.web.page_route import PageRoute
from ecodata.web.rendering import render, settings_of
from ecodata.web.session import DATA_OPERATORS, WATCHERS, require_role

router = APIRouter(prefix="/ops", include_in_schema=False, route_class=PageRoute)

PAGE = 100
#: Stations listed on the alerts page, worst first (the counts cover all of them).
ALERT_ROWS = 200


@router.get("", response_class=HTMLResponse)
def operations_home(request: Request) -> RedirectResponse:
    require_role(request, WATCHERS, "web.ops")
    return RedirectResponse("/ops/alerts", status_code=303)


@router.get("/imports", response_class=HTMLResponse)
def import_runs(
    request: Request, before: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    require_role(request, DATA_OPERATORS, "web.ops.imports")
    runs = stores_of(request).provenance.runs(limit=PAGE, before_id=before)
    older = runs[-1]["id"] if len(runs) == PAGE else None
    return render(request, "ops_imports.html", {"runs": runs, "older": older}, title="imports")


@router.get("/imports/{run_id}", response_class=HTMLResponse)
def import_run(request: Request, run_id: int) -> HTMLResponse:
    require_role(request, DATA_OPERATORS, "web.ops.imports")
    stores = stores_of(request)
    run = stores.provenance.run(run_id)
    rejected = stores.provenance.quarantined(run_id=run_id, limit=PAGE)
    return render(
        request, "ops_run.html", {"run": run, "rejected": _with_hex(rejected)}, title=f"#{run_id}"
    )


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine(
    request: Request,
    channel: Annotated[Literal["import", "hj212", "api"] | None, Query()] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    run: Annotated[int | None, Query(ge=1)] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    require_role(request, DATA_OPERATORS, "web.ops.quarantine")
    stores = stores_of(request)
    rows = stores.provenance.quarantined(
        channel=channel, site_code=site or None, run_id=run, limit=PAGE, after_id=after
    )
    total = stores.provenance.quarantine_count(site_code=site or None)
    newer = rows[-1]["id"] if len(rows) == PAGE else None
    filters = {"channel": channel or "", "site": site or "", "run": run or ""}
    return render(
        request,
        "ops_quarantine.html",
        {"rows": _with_hex(rows), "total": total, "next_after": newer, "filters": filters},
    )


def _with_hex(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        raw = row.pop("raw_bytes", None)
        row["raw_hex"] = bytes(raw).hex(" ") if raw is not None else None
    return rows


@router.get("/devices", response_class=HTMLResponse)
def devices(request: Request) -> HTMLResponse:
    require_role(request, WATCHERS, "web.ops.devices")
    settings = settings_of(request)
    rows = Devices(stores_of(request).registry.engine, settings.tz).rows()
    now = datetime.now(UTC)
    window = settings.hj212.online_window
    for row in rows:
        seen = row.get("last_seen")
        row["online"] = seen is not None and (now - seen).total_seconds() <= window
    summary = {
        "total": len(rows),
        "online": sum(1 for r in rows if r["online"]),
        "pending": sum(1 for r in rows if r["status"] == "pending"),
        "packets_day": sum(int(r["packets_day"]) for r in rows),
        "rejected_day": sum(int(r["rejected_day"]) for r in rows),
    }
    return render(
        request,
        "ops_devices.html",
        {"devices": rows, "summary": summary, "window_minutes": round(window / 60)},
    )


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, hours: Annotated[int, Query(ge=1, le=24 * 7)] = 24) -> HTMLResponse:
    require_role(request, WATCHERS, "web.ops.alerts")
    settings = settings_of(request)
    found = recent_exceedances(
        stores_of(request),
        hours=hours,
        heavy=settings.warning.heavy,
        datasets=readable_datasets(request),
    )
    shown = found.stations[:ALERT_ROWS]
    return render(
        request,
        "ops_alerts.html",
        {
            "alerts": found,
            "shown": shown,
            "hidden": len(found.stations) - len(shown),
            "hours": hours,
        },
    )
