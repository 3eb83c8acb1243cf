"""Read model of the aggregates API: locations (sites) and sensors (series), limited in SQL to
the series a principal may read (``Restriction.series_clause``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ecodata.security.access import Restriction
from ecodata.store import schema


@dataclass(frozen=True)
class LocationFilter:
    kind: str | None = None
    city: str | None = None
    parameter: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    ids: Sequence[int] | None = None


def _readable_series(restriction: Restriction) -> sa.Select[Any]:
    s = schema.series
    return sa.select(s.c.site_id).where(restriction.series_clause(s.c.id))


def locations(
    engine: sa.Engine, restriction: Restriction, flt: LocationFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of sites that hold readable series, ordered by id, and how many there are."""
    site, prov, s, p = schema.sites, schema.providers, schema.series, schema.parameters
    where: list[sa.ColumnElement[bool]] = [site.c.id.in_(_readable_series(restriction))]
    if flt.kind:
        where.append(site.c.kind == flt.kind)
    if flt.city:
        where.append(site.c.city == flt.city)
    if flt.ids is not None:
        where.append(site.c.id.in_(list(flt.ids)))
    if flt.parameter:
        with_param = (
            sa.select(s.c.site_id)
            .join(p, p.c.id == s.c.parameter_id)
            .where(sa.or_(p.c.code == flt.parameter, p.c.base == flt.parameter))
        )
        where.append(site.c.id.in_(with_param))
    if flt.bbox:
        west, south, east, north = flt.bbox
        where += [site.c.longitude.between(west, east), site.c.latitude.between(south, north)]
    query = (
        sa.select(
            site,
            prov.c.code.label("provider_code"),
            prov.c.name_en.label("provider_name"),
            prov.c.licence.label("provider_licence"),
        )
        .outerjoin(prov, prov.c.id == site.c.provider_id)
        .where(*where)
        .order_by(site.c.id)
        .limit(limit)
        .offset(offset)
    )
    count = sa.select(sa.func.count()).select_from(site).where(*where)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        found = int(conn.execute(count).scalar_one())
    return rows, found


def sensors(
    engine: sa.Engine,
    restriction: Restriction,
    *,
    site_ids: Sequence[int] | None = None,
    series_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Readable series with parameter, dataset and time range (all of them if unfiltered)."""
    s, p, m, d = schema.series, schema.parameters, schema.dataset_series, schema.datasets
    query = (
        sa.select(
            s.c.id,
            s.c.site_id,
            s.c.period,
            s.c.first_time,
            s.c.last_time,
            s.c.count,
            p.c.id.label("parameter_id"),
            p.c.code.label("parameter"),
            p.c.name_en,
            p.c.name_zh,
            p.c.unit,
            m.c.dataset_id,
            d.c.name.label("dataset"),
            d.c.classification,
        )
        .join(p, p.c.id == s.c.parameter_id)
        .outerjoin(m, m.c.series_id == s.c.id)
        .outerjoin(d, d.c.id == m.c.dataset_id)
        .where(restriction.series_clause(s.c.id))
        .order_by(s.c.id)
    )
    if site_ids is not None:
        query = query.where(s.c.site_id.in_(list(site_ids)))
    if series_ids is not None:
        query = query.where(s.c.id.in_(list(series_ids)))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def series_exists(engine: sa.Engine, series_id: int) -> bool:
    s = schema.series
    with engine.connect() as conn:
        return conn.execute(sa.select(s.c.id).where(s.c.id == series_id)).first() is not None


def site(engine: sa.Engine, site_id: int) -> dict[str, Any] | None:
    """One site by id (``None`` if there is none)."""
    t = schema.sites
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == site_id)).first()
    return dict(row._mapping) if row is not None else None
