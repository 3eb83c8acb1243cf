"""The HTTP application: the route map of every interface, and its error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ecodata import __version__
from ecodata.errors import (
    AuthError,
    ConflictError,
    EcodataError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from ecodata.settings import Settings
from ecodata.store.stores import Stores, open_stores

_STATUS: list[tuple[type[EcodataError], int, str]] = [
    (NotFoundError, 404, "not_found"),
    (InputError, 400, "invalid_request"),
    (AuthError, 401, "unauthorized"),
    (PermissionDeniedError, 403, "forbidden"),
    (ConflictError, 409, "conflict"),
]

#: Extensions mount further routers: each is called with the app after the native API.
EXTENSIONS: list[Callable[[FastAPI], None]] = []


def create_app(settings: Settings, stores: Stores | None = None) -> FastAPI:
    """Build the application. Without ``stores`` the app opens them at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = stores is None
        app.state.stores = stores or open_stores(settings)
        try:
            yield
        finally:
            if owned:
                app.state.stores.close()

    app = FastAPI(
        title="ecodata API",
        version=__version__,
        description="Ecological-environment monitoring data: sites, parameters, observations, "
        "import provenance. Times are ISO 8601 with the local offset (+08:00 for China).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # FastAPI's built-in OpenTelemetry hooks cost a provider look-up on every request; ecodata
        # reports through its logs and audit trail instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    if stores is not None:
        app.state.stores = stores

    @app.exception_handler(EcodataError)
    async def ecodata_error(_request: Request, exc: EcodataError) -> JSONResponse:
        for kind, status, code in _STATUS:
            if isinstance(exc, kind):
                # RFC 9110 §11.6.1: a 401 names the scheme to authenticate with.
                headers = {"WWW-Authenticate": 'Bearer realm="ecodata"'} if status == 401 else None
                body = {"error": {"code": code, "message": str(exc)}}
                return JSONResponse(body, status, headers=headers)
        return JSONResponse({"error": {"code": "error", "message": str(exc)}}, 500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        body: dict[str, Any] = {
            "detail": _jsonable(exc.errors()),
            "message": "; ".join(problems),
        }
        return JSONResponse(body, 422)

    from ecodata.api import analysis, native, sensorthings, standards

    app.include_router(native.router)
    app.include_router(sensorthings.router)
    app.include_router(standards.router)
    app.include_router(analysis.router)
    from ecodata.api import opendata

    opendata.mount(app, settings)
    for extend in EXTENSIONS:
        extend(app)
    from ecodata import web

    app.include_router(web.router)  # the web UI: pages, page data, static files
    return app


def _jsonable(errors: Any) -> Any:
    out = []
    for e in errors:
        item = {k: v for k, v in e.items() if k in ("loc", "msg", "type")}
        item["loc"] = [str(p) if not isinstance(p, int) else p for p in item.get("loc", [])]
        out.append(item)
    return out
