"""OGC SensorThings API 1.1 at ``/sta/v1.1`` (and ``/sta/v1.0`` for v1.0 clients and test
suites): one route per verb for every entity set, adapting HTTP to
:mod:`ecodata.sensorthings.service`.

Conformance classes (OGC 18-088 Annex A): datamodel, resource-path, request-data,
create-update-delete, batch-request, data-array; with ``sta.mqtt_url`` set also
create-observations-via-mqtt and receive-updates-via-mqtt. Callers authenticate with a Bearer
token, an API key or HTTP Basic (frost-sta-client's ``AuthHandler``); reads are limited to the
catalog datasets the caller may read (inside the SQL), writes need the role admin or steward.
Every change, refused write and read of non-public data is audited
(:mod:`ecodata.sensorthings.audit`).
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from ecodata.api.encoding import FastJSONResponse
from ecodata.errors import EcodataError
from ecodata.security.access import restriction_for
from ecodata.security.guard import require
from ecodata.security.roles import Role
from ecodata.sensorthings import batch
from ecodata.sensorthings.audit import change_recorder, read_recorder
from ecodata.sensorthings.dispatch import Reply, dispatch, error_reply, parse_body
from ecodata.sensorthings.reading import RawValue
from ecodata.sensorthings.service import Access, SensorThings, service_for
from ecodata.store.stores import Stores

router = APIRouter(tags=["SensorThings API"])

VERSIONS = ("v1.1", "v1.0")
#: Roles that may create, change and delete SensorThings entities.
WRITE_ROLES = (Role.ADMIN, Role.STEWARD)
_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def _access(request: Request, stores: Stores) -> Access:
    from ecodata.api.auth import sta_principal_of

    principal = sta_principal_of(request)
    engine = stores.registry.engine
    restriction = restriction_for(engine, principal)

    def check_write(action: str, target: str) -> None:
        require(engine, principal, WRITE_ROLES, action, target)

    return Access(
        restriction.dataset_ids,
        principal.name,
        check_write,
        change_recorder(engine, principal),
        read_recorder(engine, principal, restriction),
    )


def _response(reply: Reply) -> Response:
    headers = dict(reply.headers)
    if reply.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="ecodata SensorThings"'
    if reply.body is None:
        return Response(status_code=reply.status, headers=headers)
    if isinstance(reply.body, RawValue):
        return PlainTextResponse(reply.body.text, reply.status, headers=headers)
    return FastJSONResponse(reply.body, reply.status, headers=headers)


def _serve(request: Request, version: str, path: str, raw: bytes) -> Response:
    stores: Stores = request.app.state.stores
    if version not in VERSIONS:
        message = f"no SensorThings API version {version}; use v1.1"
        return JSONResponse({"type": "error", "code": 404, "message": message}, 404)
    service = service_for(stores)
    base = f"{str(request.base_url).rstrip('/')}/sta/{version}"
    try:
        access = _access(request, stores)
    except EcodataError as exc:
        return _response(error_reply(exc))
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and path.strip("/") == "$batch":
        return _batch(service, raw, content_type, base, access)
    reply = dispatch(
        service, request.method, "/" + path, request.url.query, raw, content_type, base, access
    )
    return _response(reply)


def _batch(
    service: SensorThings, raw: bytes, content_type: str, base: str, access: Access
) -> Response:
    def run(method: str, path: str, query: str, body: bytes, kind: str) -> Reply:
        return dispatch(service, method, path, query, body, kind, base, access)

    def remove(path: str) -> None:
        with suppress(EcodataError):  # already gone
            service.delete(path, access)

    try:
        if content_type.split(";", 1)[0].strip().lower() == "application/json":
            parts = batch.parse_json_batch(parse_body(raw))
            answers = batch.execute(parts, run, remove)
            return FastJSONResponse(batch.json_response(answers))
        parts = batch.parse_multipart(raw, content_type)
    except EcodataError as exc:
        return _response(error_reply(exc))
    body, kind = batch.multipart_response(batch.execute(parts, run, remove))
    return Response(body, 200, media_type=kind)


@router.get("/sta/{version}", include_in_schema=False)
async def landing(version: str, request: Request) -> Response:
    """The service root: entity sets and ``serverSettings.conformance``."""
    return await run_in_threadpool(_serve, request, version, "", b"")


async def sensorthings(version: str, path: str, request: Request) -> Response:
    """Any SensorThings resource path: GET reads, POST creates (also ``CreateObservations`` and
    ``$batch``), PATCH/PUT update, DELETE deletes."""
    raw = await request.body()
    return await run_in_threadpool(_serve, request, version, path, raw)


for _method in _METHODS:  # one route per verb, the same handler for every entity set
    router.add_api_route(
        "/sta/{version}/{path:path}",
        sensorthings,
        methods=[_method],
        operation_id=f"sensorthings_{_method.lower()}",
        summary=f"SensorThings {_method}",
    )


def payload(response: Response) -> Any:
    """The JSON of a response built here (tests and tools)."""
    return json.loads(bytes(response.body))
