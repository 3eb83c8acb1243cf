"""The catalog's datasets: read with their statistics, change (stewards, audited), sync.

Core API for the interfaces:

* :func:`datasets` / :func:`dataset` — catalog entries a principal may see, with statistics;
* :func:`dataset_of_series` — the dataset a series belongs to;
* :func:`update` — change metadata, classification or sharing (stewards; audited);
* :func:`sync` — add datasets of the shipped catalog that are missing and re-file every series.

Metadata of public and shared datasets is visible to everyone (the catalog itself is open, as the
catalog guide intends); a restricted dataset is listed only to those who may read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ecodata.catalog import selectors
from ecodata.catalog.seed import DATASETS, dataset_uuid
from ecodata.errors import InputError, NotFoundError
from ecodata.security import audit
from ecodata.security import changes as access_changes
from ecodata.security.access import Restriction
from ecodata.security.accounts import department
from ecodata.security.guard import require
from ecodata.security.principal import Principal
from ecodata.security.roles import STEWARDS, Classification, OpenType, SharingType, parse_choice
from ecodata.store import membership, schema

UPDATE_CYCLES = (
    "realtime",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "yearly",
    "irregular",
    "static",
)
_TEXT_FIELDS = (
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "sharing_condition",
    "responsibility",
    "licence",
    "attribution",
)


def _visible(row: Mapping[str, Any], restriction: Restriction | None) -> bool:
    if restriction is None or row["classification"] != Classification.RESTRICTED:
        return True
    return restriction.allows(int(row["id"]))


def _statistics(conn: sa.Connection) -> dict[int, dict[str, Any]]:
    s, m = schema.series, schema.dataset_series
    query = (
        sa.select(
            m.c.dataset_id,
            sa.func.count().label("series"),
            sa.func.count(sa.distinct(s.c.site_id)).label("sites"),
            sa.func.min(s.c.first_time).label("first_time"),
            sa.func.max(s.c.last_time).label("last_time"),
            sa.func.coalesce(sa.func.sum(s.c.count), 0).label("observations"),
        )
        .join(m, m.c.series_id == s.c.id)
        .group_by(m.c.dataset_id)
    )
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query):
        stats = dict(row._mapping)
        for key in ("first_time", "last_time"):  # aggregates bypass the column type on SQLite
            value = stats[key]
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if isinstance(value, datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            stats[key] = value
        stats["observations"] = int(stats["observations"])
        out[int(stats.pop("dataset_id"))] = stats
    return out


def _site_statistics(conn: sa.Connection, selector: Mapping[str, Any]) -> dict[str, Any]:
    site, prov = schema.sites, schema.providers
    query = sa.select(site.c.code, site.c.kind, prov.c.code).outerjoin(
        prov, prov.c.id == site.c.provider_id
    )
    count = sum(
        1
        for code, kind, provider in conn.execute(query)
        if selectors.matches(selector, selectors.SeriesFacts(code, kind, provider))
    )
    return {"series": 0, "sites": count, "first_time": None, "last_time": None, "observations": 0}


def datasets(engine: sa.Engine, restriction: Restriction | None = None) -> list[dict[str, Any]]:
    """Catalog entries in catalog order, each with ``department`` and ``statistics``.

    ``restriction`` (from :func:`ecodata.security.access.restriction_for`) hides restricted
    datasets the principal may not read; ``None`` shows all (operators)."""
    d, dep = schema.datasets, schema.departments
    query = (
        sa.select(d, dep.c.name_zh.label("dept_zh"), dep.c.name_en.label("dept_en"))
        .outerjoin(dep, dep.c.code == d.c.department_code)
        .order_by(d.c.position, d.c.name)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        stats = _statistics(conn)
        out = []
        for row in rows:
            if not _visible(row, restriction):
                continue
            row["department"] = {
                "code": row["department_code"],
                "name_zh": row.pop("dept_zh"),
                "name_en": row.pop("dept_en"),
            }
            if row["source"] == "sites":
                row["statistics"] = _site_statistics(conn, row["selector"])
            else:
                row["statistics"] = stats.get(int(row["id"])) or {
                    "series": 0,
                    "sites": 0,
                    "first_time": None,
                    "last_time": None,
                    "observations": 0,
                }
            out.append(row)
    return out


def dataset(engine: sa.Engine, key: str, restriction: Restriction | None = None) -> dict[str, Any]:
    """One dataset by name, UUID or resource code."""
    for row in datasets(engine, restriction):
        if key in (row["name"], row["uuid"], row["resource_code"]):
            return row
    raise NotFoundError(f"no dataset {key!r}; `ecodata catalog list` shows them")


def dataset_of_series(engine: sa.Engine, series_id: int) -> dict[str, Any]:
    d, m = schema.datasets, schema.dataset_series
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(d).join(m, m.c.dataset_id == d.c.id).where(m.c.series_id == series_id)
        ).first()
    if row is None:
        raise NotFoundError(f"series {series_id} does not exist or is not filed in the catalog")
    return dict(row._mapping)


def update(
    engine: sa.Engine, principal: Principal, name: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Change catalog fields of a dataset (stewards and admins; audited)."""
    require(engine, principal, STEWARDS, "catalog.update", name)
    current = dataset(engine, name)
    values = _validated(engine, changes, name)
    if not values:
        raise InputError(f"{name}: nothing to change")
    values["modified_at"] = datetime.now(UTC)
    before = {k: current.get(k) for k in values if k != "modified_at"}
    d = schema.datasets
    with engine.begin() as conn:
        conn.execute(d.update().where(d.c.id == current["id"]).values(**values))
        if "selector" in values:
            membership.assign(conn)
        audit.record(
            conn,
            principal,
            "catalog.update",
            name,
            detail={"before": _plain(before), "after": _plain(values)},
        )
    access_changes.changed()
    return dataset(engine, name)


def _validated(engine: sa.Engine, changes: Mapping[str, Any], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key == "classification":
            out[key] = parse_choice(Classification, str(value), "classification").value
        elif key == "sharing_type":
            out[key] = parse_choice(SharingType, str(value), "sharing type").value
        elif key == "open_type":
            out[key] = parse_choice(OpenType, str(value), "open type").value
        elif key == "update_cycle":
            if value not in UPDATE_CYCLES:
                raise InputError(f"{name}: update cycle {value!r}; use {', '.join(UPDATE_CYCLES)}")
            out[key] = value
        elif key in ("tags", "topics", "formats"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(f"{name}: {key} must be a list of strings")
            out[key] = value
        elif key == "selector":
            if not isinstance(value, Mapping):
                raise InputError(f"{name}: selector must be an object")
            out[key] = selectors.validate(value, name=f"{name} selector")
        elif key == "department_code":
            department(engine, str(value))
            out[key] = str(value)
        elif key in _TEXT_FIELDS:
            out[key] = str(value)
        else:
            raise InputError(f"{name}: the field {key!r} cannot be changed")
    if out.get("classification") == Classification.PUBLIC and out.get("open_type") == "closed":
        raise InputError(f"{name}: public data cannot be closed (不予开放)")
    return out


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    refiled: int


def sync(engine: sa.Engine, principal: Principal) -> SyncReport:
    """Add shipped datasets missing from this catalog and re-file every series (audited)."""
    require(engine, principal, STEWARDS, "catalog.sync")
    d = schema.datasets
    now = datetime.now(UTC)
    with engine.begin() as conn:
        have = {n for (n,) in conn.execute(sa.select(d.c.name))}
        added = [row for row in DATASETS if row["name"] not in have]
        if added:
            conn.execute(
                d.insert(),
                [
                    {
                        **row,
                        "uuid": dataset_uuid(row["name"]),
                        "created_at": now,
                        "modified_at": now,
                    }
                    for row in added
                ],
            )
        refiled = membership.assign(conn)
        names = [row["name"] for row in added]
        audit.record(conn, principal, "catalog.sync", detail={"added": names, "refiled": refiled})
    return SyncReport(names, refiled)
