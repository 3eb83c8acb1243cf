"""Sign-in, the caller's identity, sharing requests and the audit log under /api/v1.

* ``POST /api/v1/token`` — OAuth 2.0 password grant (RFC 6749 §4.3) for the web UI: a short-lived
  JWT to send as ``Authorization: Bearer``;
* ``GET /api/v1/me`` — who the credentials identify;
* ``/api/v1/sharing-requests`` — apply for conditionally shared data, decide, revoke;
* ``GET /api/v1/audit`` — the audit log (admins).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ecodata.api.auth import client_address, principal_of
from ecodata.errors import AuthError, NotFoundError
from ecodata.security import accounts, audit, sharing, tokens
from ecodata.security.guard import require
from ecodata.security.principal import Principal
from ecodata.security.roles import ADMINS
from ecodata.settings import Settings
from ecodata.store.stores import Stores

router = APIRouter(prefix="/api/v1", tags=["security"])

Caller = Annotated[Principal, Depends(principal_of)]
MAX_ID = 2**31 - 1
RequestId = Annotated[int, Path(ge=1, le=MAX_ID, description="Sharing request id.")]
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid credentials"},
    403: {"description": "Signed in without the rights"},
}


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Lifetime in seconds.")


class Me(BaseModel):
    name: str
    role: str | None = Field(description="None for anonymous callers.")
    department: str | None
    authenticated: bool
    via: str = Field(description="anonymous, token, key or basic.")


class SharingRequest(BaseModel):
    id: int
    dataset: str
    department_code: str
    requested_by: str
    purpose: str
    status: Literal["pending", "approved", "denied", "revoked"]
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str
    expires_at: datetime | None


class SharingRequestList(BaseModel):
    results: list[SharingRequest]
    count: int


class Application(BaseModel):
    dataset: str = Field(description="Name of a conditionally shared dataset.")
    purpose: str = Field(min_length=4, max_length=2000, description="What the data are for (用途).")


class Verdict(BaseModel):
    days: int = Field(90, ge=1, le=sharing.MAX_DAYS, description="Access lasts this long.")
    note: str = Field("", max_length=2000)


class AuditEntry(BaseModel):
    id: int
    time: datetime
    actor: str
    role: str
    department_code: str | None
    action: str
    target: str
    outcome: str
    client: str
    detail: dict[str, Any]


class AuditList(BaseModel):
    results: list[AuditEntry]
    count: int
    next_before: int | None = Field(description="Pass as `before` for the next (older) page.")


def _stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/token",
    response_model=Token,
    responses={400: {"description": "Wrong user or password (error invalid_grant)"}},
)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> JSONResponse:
    """Exchange user name and password for a login token (OAuth 2.0 password grant)."""
    settings, engine = _settings(request), _stores(request).registry.engine
    client = client_address(request)
    try:
        principal = accounts.principal_for_password(engine, username, password, "token")
    except AuthError as exc:
        who = Principal(username[:100], None, client=client)
        audit.record(engine, who, "auth.login", username, outcome="failed")
        refusal = {"error": "invalid_grant", "error_description": str(exc)}
        return JSONResponse(refusal, 400, headers={"Cache-Control": "no-store"})
    minutes = settings.security.token_minutes
    token = tokens.issue(principal.name, settings.secret(), minutes)
    audit.record(engine, principal.at(client), "auth.login", principal.name)
    body: dict[str, Any] = {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": minutes * 60,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/me", response_model=Me, responses={401: _REFUSALS[401]})
def me(caller: Caller) -> dict[str, Any]:
    """The account the request's credentials identify (anonymous without credentials)."""
    return {
        "name": caller.name,
        "role": caller.role.value if caller.role else None,
        "department": caller.department,
        "authenticated": caller.authenticated,
        "via": caller.via,
    }


@router.get("/sharing-requests", response_model=SharingRequestList, responses=_REFUSALS)
def list_requests(
    request: Request,
    caller: Caller,
    status: Annotated[Literal["pending", "approved", "denied", "revoked"] | None, Query()] = None,
) -> dict[str, Any]:
    """Sharing requests: all for stewards, the caller's department's for others."""
    rows = sharing.requests(_stores(request).registry.engine, caller, status=status)
    return {"results": rows, "count": len(rows)}


@router.post(
    "/sharing-requests",
    response_model=SharingRequest,
    status_code=201,
    responses={
        **_REFUSALS,
        404: {"description": "Unknown dataset"},
        409: {"description": "Not conditionally shared, or a request is pending"},
    },
)
def apply(request: Request, caller: Caller, body: Application) -> dict[str, Any]:
    """Apply, for the caller's department, for a conditionally shared dataset (有条件共享)."""
    return sharing.apply(_stores(request).registry.engine, caller, body.dataset, body.purpose)


@router.get(
    "/sharing-requests/{request_id}",
    response_model=SharingRequest,
    responses={**_REFUSALS, 404: {"description": "Unknown request"}},
)
def get_request(request: Request, caller: Caller, request_id: RequestId) -> dict[str, Any]:
    """One sharing request (stewards, or the requesting department)."""
    visible = {r["id"]: r for r in sharing.requests(_stores(request).registry.engine, caller)}
    if request_id not in visible:
        raise NotFoundError(f"no sharing request {request_id} visible to {caller.name}")
    return visible[request_id]


_DECISION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_REFUSALS,
    404: {"description": "Unknown request"},
    409: {"description": "Not pending (or, to revoke, not approved)"},
}


@router.post(
    "/sharing-requests/{request_id}/approve",
    response_model=SharingRequest,
    responses=_DECISION_RESPONSES,
)
def approve(
    request: Request, caller: Caller, request_id: RequestId, body: Verdict
) -> dict[str, Any]:
    """Approve a pending request for ``days`` (stewards and admins)."""
    engine = _stores(request).registry.engine
    return sharing.decide(engine, caller, request_id, approve=True, days=body.days, note=body.note)


@router.post(
    "/sharing-requests/{request_id}/deny",
    response_model=SharingRequest,
    responses=_DECISION_RESPONSES,
)
def deny(request: Request, caller: Caller, request_id: RequestId, body: Verdict) -> dict[str, Any]:
    """Deny a pending request (stewards and admins)."""
    engine = _stores(request).registry.engine
    return sharing.decide(engine, caller, request_id, approve=False, note=body.note)


@router.post(
    "/sharing-requests/{request_id}/revoke",
    response_model=SharingRequest,
    responses=_DECISION_RESPONSES,
)
def revoke(request: Request, caller: Caller, request_id: RequestId) -> dict[str, Any]:
    """End an approved request now (stewards and admins)."""
    return sharing.revoke(_stores(request).registry.engine, caller, request_id)


@router.get("/audit", response_model=AuditList, responses=_REFUSALS)
def audit_log(
    request: Request,
    caller: Caller,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64, description="Prefix, e.g. user.")] = None,
    outcome: Annotated[Literal["ok", "denied", "failed"] | None, Query()] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    before: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Entries with a smaller id (paging).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The audit log, newest first (admins only)."""
    engine = _stores(request).registry.engine
    require(engine, caller, ADMINS, "audit.read")
    tz = _settings(request).tz
    rows = audit.entries(
        engine,
        actor=actor,
        action=action,
        outcome=outcome,
        before_id=before,
        limit=limit,
        since=since.replace(tzinfo=since.tzinfo or tz) if since else None,
        until=until.replace(tzinfo=until.tzinfo or tz) if until else None,
    )
    next_before = rows[-1]["id"] if len(rows) == limit else None
    return {"results": rows, "count": len(rows), "next_before": next_before}
