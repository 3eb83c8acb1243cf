"""The append-only audit log: every read of non-public data and every change.

``record`` writes one row (inside the caller's transaction when a connection is given, so that a
change and its audit entry commit together); ``entries`` queries them for admins. UPDATE and
DELETE on ``audit_log`` fail on both SQLite and PostgreSQL (triggers of migration 30).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ecodata.security.principal import Principal
from ecodata.store import schema


def record(
    target_db: sa.Engine | sa.Connection,
    principal: Principal,
    action: str,
    target: str = "",
    *,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit entry. ``action`` is a dotted verb (``user.add``, ``data.read``…)."""
    row = {
        "time": datetime.now(UTC),
        "actor": principal.name,
        "role": principal.role.value if principal.role else "anonymous",
        "department_code": principal.department,
        "action": action,
        "target": target[:300],
        "outcome": outcome,
        "client": principal.client[:100],
        "detail": dict(detail or {}),
    }
    if isinstance(target_db, sa.Connection):
        target_db.execute(schema.audit_log.insert().values(**row))
        return
    with target_db.begin() as conn:
        conn.execute(schema.audit_log.insert().values(**row))


def entries(
    engine: sa.Engine,
    *,
    actor: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries newest first; ``action`` matches a prefix (``user`` finds ``user.add`` …)."""
    t = schema.audit_log
    query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    if actor:
        query = query.where(t.c.actor == actor)
    if action:
        query = query.where(sa.or_(t.c.action == action, t.c.action.startswith(f"{action}.")))
    if outcome:
        query = query.where(t.c.outcome == outcome)
    if since:
        query = query.where(t.c.time >= since)
    if until:
        query = query.where(t.c.time < until)
    if before_id is not None:
        query = query.where(t.c.id < before_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
