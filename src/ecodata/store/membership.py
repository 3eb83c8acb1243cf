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
from ecodata.store.dialects import set_series_datasets

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
    # Selectors that do not name sites decide by the other facts alone, so one decision serves
    # every series with the same kind, provider, domain, publication and period.
    by_site = any("site_codes" in selector for _, selector in selectors)
    decided: dict[tuple[Any, ...], int | None] = {}
    changes: list[tuple[int, int]] = []
    for condition in _id_conditions(s.c.id, series_ids):
        for sid, code, kind, provider, domain, published, period, current in conn.execute(
            base.where(condition)
        ):
            key = (code if by_site else "", kind, provider, domain, bool(published), period)
            if key not in decided:
                facts = SeriesFacts(*key[:5], Period(period))
                decided[key] = first_match(selectors, facts)
            wanted = decided[key]
            if wanted is not None and wanted != current:
                changes.append((int(sid), wanted))
    if changes:
        set_series_datasets(conn, changes)
    return len(changes)


def _id_conditions(column: Any, ids: Sequence[int] | None) -> list[Any]:
    """WHERE conditions that together select ``ids`` (all rows when ``None``): runs of
    consecutive ids (series created together) as ranges, the rest as IN lists of bounded size."""
    if ids is None:
        return [sa.true()]
    ordered = sorted({int(i) for i in ids})
    runs: list[tuple[int, int]] = []
    for i in ordered:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    ranges = [column.between(lo, hi) for lo, hi in runs if hi - lo >= 16]
    single = [i for lo, hi in runs if hi - lo < 16 for i in range(lo, hi + 1)]
    conditions = [sa.or_(*ranges[k : k + _CHUNK]) for k in range(0, len(ranges), _CHUNK)]
    conditions += [column.in_(single[k : k + _CHUNK]) for k in range(0, len(single), _CHUNK)]
    return conditions
