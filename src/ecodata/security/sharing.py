"""Conditional sharing (有条件共享): apply → approve or deny → access until expiry.

A request is made by a signed-in account of a department for that department; a steward (or
admin) decides it. An approved request lets every account of the department read the dataset
(under the access matrix) until ``expires_at``; a steward may revoke it earlier.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ecodata.errors import (
    AuthError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from ecodata.security import audit, changes
from ecodata.security.guard import require
from ecodata.security.principal import Principal
from ecodata.security.roles import STEWARDS, Role, SharingType
from ecodata.store import schema

MAX_DAYS = 366


def granted(conn: sa.Connection, department: str | None, now: datetime | None = None) -> set[int]:
    """Ids of datasets ``department`` holds an approved, unexpired request for."""
    if not department:
        return set()
    r = schema.sharing_requests
    query = sa.select(r.c.dataset_id).where(
        r.c.department_code == department,
        r.c.status == "approved",
        r.c.expires_at > (now or datetime.now(UTC)),
    )
    return {int(i) for (i,) in conn.execute(query)}


def _dataset(conn: sa.Connection, name: str) -> Any:
    d = schema.datasets
    row = conn.execute(sa.select(d).where(d.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"no dataset {name!r}")
    return row


def apply(engine: sa.Engine, principal: Principal, dataset: str, purpose: str) -> dict[str, Any]:
    """File a request of the principal's department for ``dataset``."""
    if principal.role is None:
        audit.record(engine, principal, "sharing.apply", dataset, outcome="denied")
        raise AuthError("applying for shared data needs a signed-in account")
    if principal.role is Role.PUBLIC or not principal.department:
        audit.record(engine, principal, "sharing.apply", dataset, outcome="denied")
        raise PermissionDeniedError("only accounts of a department may apply for shared data")
    if len(purpose.strip()) < 4:
        raise InputError("sharing request: state the purpose (用途)")
    now = datetime.now(UTC)
    r = schema.sharing_requests
    with engine.begin() as conn:
        row = _dataset(conn, dataset)
        if row.sharing_type != SharingType.CONDITIONAL:
            raise ConflictError(
                f"{dataset} is shared {row.sharing_type}: no request is possible or needed"
            )
        pending = conn.execute(
            sa.select(r.c.id).where(
                r.c.dataset_id == row.id,
                r.c.status == "pending",
                r.c.department_code == principal.department,
            )
        ).first()
        if pending is not None:
            raise ConflictError(f"request {pending[0]} of {principal.department} is pending")
        inserted = conn.execute(
            r.insert().values(
                dataset_id=row.id,
                department_code=principal.department,
                requested_by=principal.name,
                purpose=purpose.strip(),
                status="pending",
                created_at=now,
            )
        ).inserted_primary_key
        new_id = int(inserted[0]) if inserted is not None else 0
        audit.record(
            conn,
            principal,
            "sharing.apply",
            dataset,
            detail={"request": new_id, "purpose": purpose.strip()},
        )
    changes.changed()
    return request(engine, new_id)


def decide(
    engine: sa.Engine,
    principal: Principal,
    request_id: int,
    *,
    approve: bool,
    days: int = 90,
    note: str = "",
) -> dict[str, Any]:
    action = "sharing.approve" if approve else "sharing.deny"
    require(engine, principal, STEWARDS, action, str(request_id))
    if approve and not 1 <= days <= MAX_DAYS:
        raise InputError(f"approval length must be 1 to {MAX_DAYS} days, not {days}")
    current = request(engine, request_id)
    if current["status"] != "pending":
        raise ConflictError(f"request {request_id} is {current['status']}, not pending")
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "status": "approved" if approve else "denied",
        "decided_at": now,
        "decided_by": principal.name,
        "note": note,
    }
    if approve:
        values["expires_at"] = now + timedelta(days=days)
    r = schema.sharing_requests
    with engine.begin() as conn:
        conn.execute(r.update().where(r.c.id == request_id).values(**values))
        audit.record(
            conn,
            principal,
            action,
            current["dataset"],
            detail={
                "request": request_id,
                "department": current["department_code"],
                "days": days if approve else None,
                "note": note,
            },
        )
    changes.changed()
    return request(engine, request_id)


def revoke(engine: sa.Engine, principal: Principal, request_id: int) -> dict[str, Any]:
    require(engine, principal, STEWARDS, "sharing.revoke", str(request_id))
    current = request(engine, request_id)
    if current["status"] != "approved":
        raise ConflictError(f"request {request_id} is {current['status']}, not approved")
    r = schema.sharing_requests
    with engine.begin() as conn:
        conn.execute(
            r.update()
            .where(r.c.id == request_id)
            .values(status="revoked", expires_at=datetime.now(UTC))
        )
        audit.record(
            conn, principal, "sharing.revoke", current["dataset"], detail={"request": request_id}
        )
    changes.changed()
    return request(engine, request_id)


def _select() -> sa.Select[Any]:
    r, d = schema.sharing_requests, schema.datasets
    return sa.select(r, d.c.name.label("dataset")).join(d, d.c.id == r.c.dataset_id)


def request(engine: sa.Engine, request_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(_select().where(schema.sharing_requests.c.id == request_id)).first()
    if row is None:
        raise NotFoundError(f"no sharing request {request_id}")
    return _shape(row._mapping)


def requests(
    engine: sa.Engine, principal: Principal, *, status: str | None = None
) -> list[dict[str, Any]]:
    """Requests visible to ``principal``: all for stewards, its department's for others."""
    if principal.role is None:
        raise AuthError("listing sharing requests needs a signed-in account")
    r = schema.sharing_requests
    query = _select().order_by(r.c.id.desc())
    if principal.role not in STEWARDS:
        query = query.where(r.c.department_code == (principal.department or ""))
    if status:
        query = query.where(r.c.status == status)
    with engine.connect() as conn:
        return [_shape(row._mapping) for row in conn.execute(query)]


def _shape(row: Any) -> dict[str, Any]:
    out = dict(row)
    out.pop("dataset_id", None)
    return out
