"""Access decisions for data reads, applied inside the store queries.

The core API other interfaces use:

* :func:`restriction_for` (principal → :class:`Restriction`): the datasets it may read. A query
  layer applies it in SQL — ``Registry.find_series(datasets=r.dataset_ids)``, or
  ``r.series_clause(series_id_column)`` in a SQLAlchemy query, or :func:`readable_series` for an
  id list to put in ``ObservationQuery.series_ids``. Never fetch first and filter afterwards.
* :func:`check_dataset`: refuse (401 anonymous / 403 signed in) a request for one dataset.
* :func:`audit_reads`: write the audit entry for a read that touched non-public datasets.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ecodata.errors import AuthError, NotFoundError, PermissionDeniedError
from ecodata.security import audit, changes, sharing
from ecodata.security.matrix import DatasetAccess, Decision, decide
from ecodata.security.principal import Principal
from ecodata.security.roles import Classification, SharingType
from ecodata.store import schema


@dataclass(frozen=True, slots=True)
class Restriction:
    """The datasets a principal may read: ``dataset_ids`` (``None`` = every dataset)."""

    dataset_ids: frozenset[int] | None
    public_ids: frozenset[int]  # public datasets (reads of the others are audited)

    def allows(self, dataset_id: int | None) -> bool:
        return self.dataset_ids is None or (
            dataset_id is not None and dataset_id in self.dataset_ids
        )

    def series_clause(self, series_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """SQL condition on a series-id column of a registry query."""
        if self.dataset_ids is None:
            return sa.true()
        m = schema.dataset_series
        readable = sa.select(m.c.series_id).where(m.c.dataset_id.in_(sorted(self.dataset_ids)))
        return series_id.in_(readable)


def dataset_facts(conn: sa.Connection) -> list[DatasetAccess]:
    d = schema.datasets
    query = sa.select(d.c.id, d.c.name, d.c.classification, d.c.sharing_type, d.c.department_code)
    return [
        DatasetAccess(int(i), n, Classification(c), SharingType(s), dep)
        for i, n, c, s, dep in conn.execute(query.order_by(d.c.position))
    ]


def decisions(engine: sa.Engine, principal: Principal) -> dict[int, tuple[DatasetAccess, Decision]]:
    """The decision for every dataset, by dataset id."""
    with engine.connect() as conn:
        facts = dataset_facts(conn)
        grants = sharing.granted(conn, principal.department)
    return {
        f.id: (f, decide(principal.role, principal.department, f, f.id in grants)) for f in facts
    }


#: How long a computed restriction is reused. Changes made through this process (sharing
#: decisions, dataset classification) take effect at once (:mod:`ecodata.security.changes`);
#: changes made by another process (the CLI) and the expiry of a grant within this many seconds.
RESTRICTION_SECONDS = 1.0
_restrictions: weakref.WeakKeyDictionary[
    sa.Engine, dict[tuple[str | None, str | None], tuple[float, int, Restriction]]
] = weakref.WeakKeyDictionary()
_restrictions_lock = threading.Lock()


def restriction_for(engine: sa.Engine, principal: Principal) -> Restriction:
    """What ``principal`` may read. It depends only on the role, the department and the
    department's grants, so one computation serves the requests of the next
    :data:`RESTRICTION_SECONDS` (two registry queries a request cost more than the rest of a
    cached answer)."""
    key = (principal.role.value if principal.role is not None else None, principal.department)
    now, generation = time.monotonic(), changes.generation()
    with _restrictions_lock:
        per_engine = _restrictions.setdefault(engine, {})
        found = per_engine.get(key)
    if found is not None and found[1] == generation and now - found[0] < RESTRICTION_SECONDS:
        return found[2]
    restriction = _compute_restriction(engine, principal)
    with _restrictions_lock:
        per_engine[key] = (now, generation, restriction)
    return restriction


def _compute_restriction(engine: sa.Engine, principal: Principal) -> Restriction:
    decided = decisions(engine, principal)
    public = frozenset(
        i for i, (f, _) in decided.items() if f.classification is Classification.PUBLIC
    )
    if all(d.allowed for _, d in decided.values()):
        return Restriction(None, public)
    return Restriction(frozenset(i for i, (_, d) in decided.items() if d.allowed), public)


def check_dataset(engine: sa.Engine, principal: Principal, name: str) -> DatasetAccess:
    """The dataset if ``principal`` may read it; otherwise audit the refusal and raise
    :class:`AuthError` (anonymous) or :class:`PermissionDeniedError`."""
    for facts, decision in decisions(engine, principal).values():
        if facts.name != name:
            continue
        if decision.allowed:
            return facts
        audit.record(
            engine,
            principal,
            "data.read",
            name,
            outcome="denied",
            detail={"reason": decision.reason},
        )
        if principal.role is None:
            raise AuthError(decision.reason)
        raise PermissionDeniedError(decision.reason)
    raise NotFoundError(f"no dataset {name!r}")


def readable_series(
    engine: sa.Engine, principal: Principal, series_ids: Iterable[int] | None = None
) -> list[int]:
    """Ids of the series ``principal`` may read (of ``series_ids``, or of all), from SQL."""
    restriction = restriction_for(engine, principal)
    s = schema.series
    query = sa.select(s.c.id).where(restriction.series_clause(s.c.id)).order_by(s.c.id)
    if series_ids is not None:
        query = query.where(s.c.id.in_(sorted(set(series_ids))))
    with engine.connect() as conn:
        return [int(i) for (i,) in conn.execute(query)]


def audit_reads(
    engine: sa.Engine,
    principal: Principal,
    restriction: Restriction,
    dataset_ids: Collection[int | None],
    action: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Record one ``action`` entry per non-public dataset a read touched."""
    touched = {i for i in dataset_ids if i is not None and i not in restriction.public_ids}
    if not touched:
        return
    d = schema.datasets
    with engine.connect() as conn:
        names = dict(
            conn.execute(sa.select(d.c.id, d.c.name).where(d.c.id.in_(sorted(touched)))).all()
        )
    for dataset_id in sorted(touched):
        audit.record(
            engine,
            principal,
            action,
            str(names.get(dataset_id, dataset_id)),
            detail=dict(detail or {}),
        )
