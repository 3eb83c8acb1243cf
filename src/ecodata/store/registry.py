"""The registry: divisions, providers, sites, parameters and series (SQLAlchemy Core).

SQLite file in the data directory by default, PostgreSQL when ``database_url`` is set.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from ecodata.errors import NotFoundError
from ecodata.model import Period
from ecodata.store import membership, schema
from ecodata.store.dialects import (
    insert_series,
    merge_series_stats,
    sqlalchemy_url,
    update_series_stats,
    upsert,
)

SeriesKey = tuple[int, int, int]  # (site_id, parameter_id, period)

_SITE_FIELDS = (
    "kind",
    "name_zh",
    "name_en",
    "division_code",
    "province",
    "city",
    "longitude",
    "latitude",
    "status",
    "attributes",
    "provider_id",
    "updated_at",
)
_PARAMETER_FIELDS = tuple(c.name for c in schema.parameters.columns if c.name not in ("id", "code"))
_CHUNK = 500


def create_engine(database_url: str | None, data_dir: Path) -> sa.Engine:
    """The registry engine: PostgreSQL when a URL is given, else ``<data_dir>/registry.sqlite``."""
    if database_url:
        return sa.create_engine(sqlalchemy_url(database_url), pool_pre_ping=True, pool_size=10)
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite:///{data_dir / 'registry.sqlite'}",
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


class Registry:
    """Reference data of the platform; caches the small lookups the hot paths need."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._series: dict[SeriesKey, int] = {}
        self._site_ids: dict[str, int] = {}
        self._parameter_ids: dict[str, int] = {}
        # series_matrix answers whose sites all exist (a file of a network asks the same each day)
        self._matrices: dict[tuple[tuple[str, ...], tuple[int, ...], int], np.ndarray] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def clear_caches(self) -> None:
        with self._lock:
            self._series.clear()
            self._site_ids.clear()
            self._parameter_ids.clear()
            self._matrices.clear()

    # -- divisions ---------------------------------------------------------------------------

    def upsert_divisions(self, rows: Sequence[Mapping[str, Any]]) -> Merge:
        columns = [c.name for c in schema.divisions.columns if c.name != "code"]
        return self._merge(schema.divisions, rows, "code", columns)

    def divisions(self, level: int | None = None) -> list[dict[str, Any]]:
        query = sa.select(schema.divisions).order_by(schema.divisions.c.code)
        if level is not None:
            query = query.where(schema.divisions.c.level == level)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- providers ---------------------------------------------------------------------------

    def ensure_provider(self, code: str, **fields: str) -> int:
        stmt = upsert(schema.providers, self.dialect, ("code",), list(fields))
        with self.engine.begin() as conn:
            conn.execute(stmt.values(code=code, **fields))
            found = conn.execute(
                sa.select(schema.providers.c.id).where(schema.providers.c.code == code)
            ).scalar_one()
        return int(found)

    def providers(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(schema.providers))]

    # -- sites -------------------------------------------------------------------------------

    def upsert_sites(self, rows: Sequence[Mapping[str, Any]]) -> Merge:
        """Insert or update sites by code."""
        nullable = ("division_code", "longitude", "latitude", "provider_id")
        prepared = []
        for r in rows:
            row: dict[str, Any] = {n: (None if n in nullable else "") for n in _SITE_FIELDS}
            row |= {"attributes": {}, "status": "active", **r}
            prepared.append(row)
        merge = self._merge(
            schema.sites,
            prepared,
            "code",
            [f for f in _SITE_FIELDS if f != "updated_at"],
            stamp={"updated_at": datetime.now(UTC)},
        )
        with self._lock:
            self._site_ids.clear()
        return merge

    def site_ids(self, codes: Iterable[str]) -> dict[str, int]:
        """Map site codes to ids (only the codes that exist)."""
        wanted = set(codes)
        with self._lock:
            missing = wanted - self._site_ids.keys()
        if missing:
            found: dict[str, int] = {}
            with self.engine.connect() as conn:
                for chunk in _chunks(sorted(missing)):
                    query = sa.select(schema.sites.c.code, schema.sites.c.id).where(
                        schema.sites.c.code.in_(chunk)
                    )
                    found.update((row[0], row[1]) for row in conn.execute(query).all())
            with self._lock:
                self._site_ids.update(found)
        with self._lock:
            return {c: self._site_ids[c] for c in wanted if c in self._site_ids}

    def sites(
        self,
        *,
        kind: str | None = None,
        codes: Sequence[str] | None = None,
        division_prefix: str | None = None,
        city: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        t = schema.sites
        query = sa.select(t).order_by(t.c.code)
        if kind:
            query = query.where(t.c.kind == kind)
        if codes is not None:
            query = query.where(t.c.code.in_(list(codes)))
        if division_prefix:
            query = query.where(t.c.division_code.startswith(division_prefix))
        if city:
            query = query.where(t.c.city == city)
        if status:
            query = query.where(t.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def site(self, code: str) -> dict[str, Any]:
        found = self.sites(codes=[code])
        if not found:
            raise NotFoundError(f"no site with code {code!r}; `ecodata sites` lists the sites")
        return found[0]

    # -- parameters --------------------------------------------------------------------------

    def upsert_parameters(self, rows: Sequence[Mapping[str, Any]]) -> Merge:
        defaults: dict[str, Any] = {
            "name_zh": "", "name_en": "", "unit": "", "base": None, "hj212_code": None,
            "hj2005_code": None, "published": False, "data_type": "", "emission_unit": "",
            "valid_min": None, "valid_max": None, "description": "",
        }  # fmt: skip
        prepared = [{**defaults, **r} for r in rows]
        merge = self._merge(schema.parameters, prepared, "code", _PARAMETER_FIELDS)
        with self._lock:
            self._parameter_ids.clear()
        return merge

    def parameter_ids(self) -> dict[str, int]:
        with self._lock:
            if self._parameter_ids:
                return dict(self._parameter_ids)
        with self.engine.connect() as conn:
            found = dict(
                conn.execute(sa.select(schema.parameters.c.code, schema.parameters.c.id)).all()
            )
        with self._lock:
            self._parameter_ids = found
        return dict(found)

    def parameters(
        self, *, domain: str | None = None, codes: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        t = schema.parameters
        query = sa.select(t).order_by(t.c.code)
        if domain:
            query = query.where(t.c.domain == domain)
        if codes is not None:
            query = query.where(t.c.code.in_(list(codes)))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def parameter(self, code: str) -> dict[str, Any]:
        found = self.parameters(codes=[code])
        if not found:
            raise NotFoundError(
                f"no parameter with code {code!r}; `ecodata parameters` lists the codes"
            )
        return found[0]

    # -- series ------------------------------------------------------------------------------

    def series_ids(self, keys: Iterable[SeriesKey]) -> dict[SeriesKey, int]:
        """Ids of the given (site_id, parameter_id, period) series, creating missing ones."""
        wanted = set(keys)
        with self._lock:
            missing = wanted - self._series.keys()
        if missing:
            self._load_series({k[0] for k in missing})
            with self._lock:
                missing = wanted - self._series.keys()
        if missing:
            with self.engine.begin() as conn:
                insert_series(conn, sorted(missing))
            self._load_series({k[0] for k in missing})
            with self._lock:
                created = [self._series[k] for k in missing]
            with self.engine.begin() as conn:
                membership.assign(conn, created)  # file the new series in the catalog
        with self._lock:
            return {k: self._series[k] for k in wanted}

    def series_matrix(
        self, site_codes: Sequence[str], parameter_ids: Sequence[int], period: Period
    ) -> np.ndarray:
        """Series ids as a (parameters × sites) int32 array, -1 where the site is unknown;
        missing series of known sites are created. Remembered while every site is known (a site
        registered later must be looked up again)."""
        key = (tuple(site_codes), tuple(parameter_ids), int(period))
        with self._lock:
            found = self._matrices.get(key)
        if found is not None:
            return found
        sites = self.site_ids(site_codes)
        known = np.array([code in sites for code in site_codes], dtype=bool)
        known_ids = [sites[code] for code in site_codes if code in sites]
        label = int(period)
        keys = [(site, parameter, label) for parameter in parameter_ids for site in known_ids]
        ids = self.series_ids(keys)
        matrix = np.full((len(parameter_ids), len(site_codes)), -1, dtype=np.int32)
        if keys:
            matrix[:, known] = np.array([ids[k] for k in keys], dtype=np.int32).reshape(
                len(parameter_ids), len(known_ids)
            )
        if known.all():
            matrix.setflags(write=False)
            with self._lock:
                self._matrices[key] = matrix
        return matrix

    def _load_series(self, site_ids: set[int]) -> None:
        t = schema.series
        found: dict[SeriesKey, int] = {}
        with self.engine.connect() as conn:
            for chunk_ids in _chunks(sorted(site_ids)):
                query = sa.select(t.c.site_id, t.c.parameter_id, t.c.period, t.c.id).where(
                    t.c.site_id.in_(chunk_ids)
                )
                for s, p, d, sid in conn.execute(query):
                    found[(s, p, d)] = sid
        with self._lock:
            self._series.update(found)

    def series_frame(self, series_ids: Sequence[int] | None = None) -> pa.Table:
        """Series with their site and parameter codes, as an Arrow table for joins in the stores."""
        s, site, p = schema.series, schema.sites, schema.parameters
        query = (
            sa.select(
                s.c.id.label("series_id"),
                site.c.code.label("site"),
                p.c.code.label("parameter"),
                s.c.period,
                p.c.domain,
                p.c.unit,
                p.c.published,
                site.c.city,
                site.c.province,
                site.c.division_code,
                s.c.first_time,
                s.c.last_time,
                s.c.count,
            )
            .join(site, site.c.id == s.c.site_id)
            .join(p, p.c.id == s.c.parameter_id)
            .order_by(s.c.id)
        )
        if series_ids is not None:
            query = query.where(s.c.id.in_(list(series_ids)))
        with self.engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(query)]
        names = [
            "series_id", "site", "parameter", "period", "domain", "unit", "published", "city",
            "province", "division_code", "first_time", "last_time", "count",
        ]  # fmt: skip
        types = [
            pa.int32(), pa.string(), pa.string(), pa.int8(), pa.string(), pa.string(), pa.bool_(),
            pa.string(), pa.string(), pa.string(), pa.timestamp("us", tz="UTC"),
            pa.timestamp("us", tz="UTC"), pa.int64(),
        ]  # fmt: skip
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        return pa.table(
            [pa.array(list(col), type=typ) for col, typ in zip(columns, types, strict=True)],
            names=names,
        )

    def find_series(
        self,
        *,
        sites: Sequence[str] | None = None,
        parameters: Sequence[str] | None = None,
        period: Period | None = None,
        published: bool | None = None,
        datasets: Collection[int] | None = None,
        series_ids: Collection[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Series matching site codes, parameter codes (or their base) and period.

        ``datasets`` limits them to series of those datasets (the readable datasets of a
        principal, see :mod:`ecodata.security.access`), applied in the SQL itself.
        """
        s, site, p, m = schema.series, schema.sites, schema.parameters, schema.dataset_series
        query = (
            sa.select(
                s.c.id,
                s.c.period,
                s.c.first_time,
                s.c.last_time,
                s.c.count,
                site.c.code.label("site"),
                p.c.code.label("parameter"),
                p.c.unit,
                p.c.domain,
                p.c.published,
                m.c.dataset_id,
            )
            .join(site, site.c.id == s.c.site_id)
            .join(p, p.c.id == s.c.parameter_id)
            .outerjoin(m, m.c.series_id == s.c.id)
            .order_by(s.c.id)
        )
        if datasets is not None:
            query = query.where(m.c.dataset_id.in_(sorted(datasets)))
        if series_ids is not None:
            query = query.where(s.c.id.in_(sorted(series_ids)))
        if sites is not None:
            query = query.where(site.c.code.in_(list(sites)))
        if parameters is not None:
            names = list(parameters)
            query = query.where(sa.or_(p.c.code.in_(names), p.c.base.in_(names)))
        if period is not None:
            query = query.where(s.c.period == int(period))
        if published is not None:
            query = query.where(p.c.published == published)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def update_series_stats(self, stats: pa.Table) -> None:
        """Set first/last time and count of series from a table (series_id, first, last, count)."""
        if stats.num_rows:
            with self.engine.begin() as conn:
                update_series_stats(conn, stats)

    def merge_series_stats(self, stats: pa.Table) -> None:
        """Widen first/last time and add the counts of newly stored records to their series
        (a table series_id, first, last, count)."""
        if stats.num_rows:
            with self.engine.begin() as conn:
                merge_series_stats(conn, stats)

    # -- internals ---------------------------------------------------------------------------

    def _merge(
        self,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        key: str,
        fields: Sequence[str],
        *,
        stamp: Mapping[str, Any] | None = None,
    ) -> Merge:
        """Insert new rows and update changed ones (by ``key``); count what happened."""
        if not rows:
            return Merge()
        by_key = {r[key]: r for r in rows}
        existing: dict[Any, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(by_key)):
                query = sa.select(table).where(table.c[key].in_(chunk))
                existing.update({r._mapping[key]: dict(r._mapping) for r in conn.execute(query)})
        inserted = changed = 0
        to_write = []
        for k, row in by_key.items():
            old = existing.get(k)
            if old is None:
                inserted += 1
            elif all(_same(old.get(f), row.get(f)) for f in fields if f in row):
                continue
            else:
                changed += 1
            full = dict.fromkeys(fields) | {k: v for k, v in (old or {}).items() if k in fields}
            to_write.append({**full, **row, key: k, **(stamp or {})})
        if to_write:
            columns = [*fields, *(stamp or {})]
            stmt = upsert(table, self.dialect, (key,), [c for c in columns if c != key])
            with self.engine.begin() as conn:
                for chunk in _chunks(to_write):
                    conn.execute(stmt, chunk)
        return Merge(inserted, changed, len(by_key) - inserted - changed, len(rows) - len(by_key))


@dataclass(frozen=True, slots=True)
class Merge:
    """What a reference-data merge did: new rows, changed rows, unchanged rows, repeated keys."""

    inserted: int = 0
    changed: int = 0
    unchanged: int = 0
    repeated: int = 0


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, float | int):
        return abs(old - float(new)) < 1e-12
    return bool(old == new)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
