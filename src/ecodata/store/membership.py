"""Dataset membership of series: evaluated when series are created and by ``catalog sync``.

Each series gets one row in ``dataset_series`` (the first dataset, by position, whose selector
matches it: :mod:`ecodata.catalog.selectors`), so that access rules are a join in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ecodata.catalog.selectors import SeriesFacts, first_match
from ecodata.model import Period
from ecodata.store import schema
from ecodata.store.dialects import upsert

_CHUNK = 500


def series_selectors(conn: sa.Connection) -> list[tuple[int, dict[str, Any]]]:
    """(dataset id, selector) of the series datasets in match order."""
    d = schema.datasets
    query = sa.select(d.c.id, d.c.selector).where(d.c.source == "series").order_by(d.c.position)
    return [(int(i), dict(s or {})) for i, s in conn.execute(query)]


def assign(conn: sa.Connection, series_ids: Sequence[int] | None = None) -> int:
    """Set the dataset of the given series (all when ``None``); return how many changed."""
    selectors = series_selectors(conn)
    if not selectors:
        return 0
    s, site, p, prov, m = (
        schema.series,
        schema.sites,
        schema.parameters,
        schema.providers,
        schema.dataset_series,
    )
    base = (
        sa.select(
            s.c.id,
            site.c.code,
            site.c.kind,
            prov.c.code,
            p.c.domain,
            p.c.published,
            s.c.period,
            m.c.dataset_id,
        )
        .join(site, site.c.id == s.c.site_id)
        .join(p, p.c.id == s.c.parameter_id)
        .outerjoin(prov, prov.c.id == site.c.provider_id)
        .outerjoin(m, m.c.series_id == s.c.id)
    )
    chunks: list[Any] = (
        [None]
        if series_ids is None
        else [series_ids[i : i + _CHUNK] for i in range(0, len(series_ids), _CHUNK)]
    )
    changes: list[dict[str, int]] = []
    for chunk in chunks:
        query = base if chunk is None else base.where(s.c.id.in_(list(chunk)))
        for sid, code, kind, provider, domain, published, period, current in conn.execute(query):
            facts = SeriesFacts(code, kind, provider, domain, bool(published), Period(period))
            wanted = first_match(selectors, facts)
            if wanted is not None and wanted != current:
                changes.append({"series_id": int(sid), "dataset_id": wanted})
    if changes:
        stmt = upsert(m, conn.dialect.name, ("series_id",), ("dataset_id",))
        for start in range(0, len(changes), _CHUNK):
            conn.execute(stmt, changes[start : start + _CHUNK])
    return len(changes)
