"""The SensorThings read database and the upkeep of its read tables (I/O).

On PostgreSQL the read tables sit beside the registry and the observation table in the one
database. In the embedded installation they live in the observations' DuckDB file, reached through
SQLAlchemy (duckdb-engine) on connections of the observation store, because a query such as
``Observations?$filter=Datastream/Thing/name eq 'x'`` needs the entities and the observations in
one SQL database (DuckDB cannot read the SQLite registry offline).

The read tables are rebuilt from the registry as a whole — never by per-row triggers — when the
registry's fingerprint (row counts, highest ids, series statistics) differs from the one stored
with them; writes through the SensorThings API rebuild at once, other changes (imports) are seen
within ``check_interval`` seconds. New observations only move their Datastreams' phenomenonTime,
updated in place.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ecodata.protocols.odata import POSTGRES_ECODATA_ST, ecodata_st
from ecodata.sensorthings import tables
from ecodata.sensorthings.projection import Snapshot, missing_auto_objects, project
from ecodata.store import schema
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

_PG_LOCK = 2122636  # advisory lock serialising rebuilds of several processes


def read_engine(stores: Stores) -> sa.Engine:
    """The engine of the database holding observations and the read tables."""
    observations: Any = stores.observations
    if observations.backend == "postgresql":
        registry = stores.registry.engine
        with registry.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            if not conn.execute(
                sa.text("SELECT 1 FROM pg_proc WHERE proname = 'ecodata_st'")
            ).first():
                conn.exec_driver_sql(POSTGRES_ECODATA_ST)
        # reads only, each statement on its own: no BEGIN/ROLLBACK round trips per request
        return sa.create_engine(
            registry.url,
            isolation_level="AUTOCOMMIT",
            pool_size=10,
            max_overflow=20,
            pool_recycle=600,
        )
    from duckdb_engine import ConnectionWrapper

    try:
        from duckdb.sqltypes import DOUBLE, VARCHAR
    except ImportError:  # duckdb < 1.4
        from duckdb.typing import DOUBLE, VARCHAR  # type: ignore[no-redef]

    # A DuckDB function is registered once per database (a second registration fails) and dies
    # with the cursor that registered it: one cursor per store registers it and outlives the pool.
    if getattr(observations, "sta_function_owner", None) is None:
        owner = observations.connect()
        owner.create_function(
            "ecodata_st", ecodata_st, [VARCHAR, DOUBLE, DOUBLE, VARCHAR], DOUBLE,
            null_handling="special",
        )  # fmt: skip
        observations.sta_function_owner = owner

    def connect() -> Any:
        return ConnectionWrapper(observations.connect())

    return sa.create_engine("duckdb://", creator=connect, pool_size=8, max_overflow=32)


def _fingerprint(registry: sa.Connection) -> str:
    """Changes whenever sites, parameters, series (with their statistics) or the STA metadata
    gain, lose or change rows in ways imports and other processes do."""
    s, p, r = schema.sites, schema.parameters, schema.series
    o, link, over = schema.sta_objects, schema.sta_links, schema.sta_overrides
    m = schema.dataset_series
    count, top = sa.func.count, sa.func.max
    query = sa.select(
        sa.select(count()).select_from(s).scalar_subquery(),
        sa.select(top(s.c.id)).scalar_subquery(),
        sa.select(top(s.c.updated_at)).scalar_subquery(),
        sa.select(count()).select_from(p).scalar_subquery(),
        sa.select(top(p.c.id)).scalar_subquery(),
        sa.select(count()).select_from(r).scalar_subquery(),
        sa.select(top(r.c.id)).scalar_subquery(),
        sa.select(sa.func.sum(r.c.count)).scalar_subquery(),
        sa.select(top(r.c.last_time)).scalar_subquery(),
        sa.select(sa.func.min(r.c.first_time)).scalar_subquery(),
        sa.select(count()).select_from(o).scalar_subquery(),
        sa.select(top(o.c.id)).scalar_subquery(),
        sa.select(count()).select_from(link).scalar_subquery(),
        sa.select(count()).select_from(over).scalar_subquery(),
        sa.select(count()).select_from(m).scalar_subquery(),
        sa.select(sa.func.sum(m.c.dataset_id)).scalar_subquery(),
    )
    row = registry.execute(query).one()
    return json.dumps([str(v) for v in row])


def _snapshot(registry: sa.Connection) -> Snapshot:
    def rows(query: Any) -> list[Any]:
        return list(registry.execute(query).mappings())

    r = schema.series
    return Snapshot(
        sites=rows(sa.select(schema.sites).order_by(schema.sites.c.id)),
        parameters=rows(sa.select(schema.parameters).order_by(schema.parameters.c.id)),
        series=rows(
            sa.select(
                r.c.id, r.c.site_id, r.c.parameter_id, r.c.period, r.c.first_time, r.c.last_time
            ).order_by(r.c.id)
        ),
        objects=rows(sa.select(schema.sta_objects).order_by(schema.sta_objects.c.id)),
        links=rows(sa.select(schema.sta_links)),
        overrides=rows(sa.select(schema.sta_overrides)),
        datasets=dict(
            registry.execute(
                sa.select(schema.dataset_series.c.series_id, schema.dataset_series.c.dataset_id)
            ).all()
        ),
    )


def _arrow(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows as an Arrow table for a bulk DuckDB insert (JSON as text, times in UTC)."""
    columns: dict[str, pa.Array] = {}
    texts: dict[int, str] = {}  # rows share documents (a unit per parameter): encode each once

    def encode(value: Any) -> str | None:
        if value is None:
            return None
        found = texts.get(id(value))
        if found is None:
            found = texts[id(value)] = json.dumps(value, ensure_ascii=False)
        return found

    for column in table.columns:
        values = [r.get(column.name) for r in rows]
        kind = column.type
        if isinstance(kind, sa.JSON):
            columns[column.name] = pa.array([encode(v) for v in values], pa.string())
        elif isinstance(kind, sa.DateTime):
            columns[column.name] = pa.array(values, pa.timestamp("us", tz="UTC"))
        elif isinstance(kind, sa.Float):
            columns[column.name] = pa.array(values, pa.float64())
        elif isinstance(kind, sa.Integer):
            columns[column.name] = pa.array(values, pa.int64())
        else:
            columns[column.name] = pa.array(values, pa.string())
    return pa.table(columns)


class Projection:
    """Keeps the read tables in step with the registry for one installation."""

    def __init__(self, stores: Stores, engine: sa.Engine, *, check_interval: float = 1.0) -> None:
        self.registry = stores.registry.engine
        self.engine = engine
        self.check_interval = check_interval
        self.postgres = engine.dialect.name == "postgresql"
        # on PostgreSQL the read tables are written in the registry's (transactional) engine
        self.writer = self.registry if self.postgres else engine
        self._lock = threading.Lock()
        self._checked = 0.0
        self._created = False

    # -- reading ---------------------------------------------------------------------------------

    def ensure_current(self) -> None:
        """Rebuild the read tables if the registry changed (checked at most every
        ``check_interval`` seconds per process)."""
        if self._created and time.monotonic() - self._checked < self.check_interval:
            return
        with self._lock:
            if self._created and time.monotonic() - self._checked < self.check_interval:
                return
            self._create_tables()
            with self.registry.connect() as registry:
                current = _fingerprint(registry)
            if current != self._stored_fingerprint():
                self._rebuild()
            self._checked = time.monotonic()

    def rebuild(self) -> None:
        """Rebuild now (after a write through the API)."""
        with self._lock:
            self._create_tables()
            self._rebuild()
            self._checked = time.monotonic()

    def datastream_times(self, series_ids: Collection[int]) -> None:
        """Copy the registry's first/last time of ``series_ids`` into their Datastreams'
        phenomenonTime (after observations were written)."""
        if not series_ids:
            return
        r = schema.series
        with self._lock:
            with self.registry.connect() as registry:
                found = registry.execute(
                    sa.select(r.c.id, r.c.first_time, r.c.last_time).where(
                        r.c.id.in_(sorted(series_ids))
                    )
                ).all()
                current = _fingerprint(registry)
            d = tables.datastreams
            with self.writer.begin() as conn:
                for series_id, first, last in found:
                    conn.execute(
                        d.update()
                        .where(d.c.id == series_id)
                        .values(phenomenon_start=first, phenomenon_end=last)
                    )
                if self._stored_fingerprint_in(conn) == self._previous:
                    self._store_fingerprint(conn, current)
            self._previous = current

    # -- internals -------------------------------------------------------------------------------

    _previous: str = ""

    def _create_tables(self) -> None:
        if self._created:
            return
        with self.writer.begin() as conn:
            if self.postgres:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            tables.meta.create(conn, checkfirst=True)
            version = conn.execute(
                sa.select(tables.meta.c.value).where(tables.meta.c.key == "version")
            ).scalar()
            if version != str(tables.PROJECTION_VERSION):
                for table in reversed(tables.PROJECTED):
                    table.drop(conn, checkfirst=True)
                conn.execute(tables.meta.delete())
            for table in tables.PROJECTED:
                table.create(conn, checkfirst=True)
            if version != str(tables.PROJECTION_VERSION):
                conn.execute(
                    tables.meta.insert(),
                    [
                        {"key": "version", "value": str(tables.PROJECTION_VERSION)},
                        {"key": "fingerprint", "value": ""},
                    ],
                )
        self._created = True

    def _stored_fingerprint(self) -> str:
        with self.engine.connect() as conn:
            return self._stored_fingerprint_in(conn)

    @staticmethod
    def _stored_fingerprint_in(conn: sa.Connection) -> str:
        value = conn.execute(
            sa.select(tables.meta.c.value).where(tables.meta.c.key == "fingerprint")
        ).scalar()
        return str(value or "")

    @staticmethod
    def _store_fingerprint(conn: sa.Connection, value: str) -> None:
        conn.execute(
            tables.meta.update().where(tables.meta.c.key == "fingerprint").values(value=value)
        )

    def _rebuild(self) -> None:
        started = time.perf_counter()
        with self.registry.begin() as registry:
            if self.postgres:
                registry.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            fingerprint = _fingerprint(registry)
            snapshot = _snapshot(registry)
            missing = missing_auto_objects(snapshot)
            if missing:
                registry.execute(schema.sta_objects.insert(), missing)
                self._link_auto_locations(registry)
                fingerprint = _fingerprint(registry)
                snapshot = _snapshot(registry)
            rows = project(snapshot)
            if self.postgres:  # one database: write in the registry's transaction (and lock)
                self._write(registry, rows, fingerprint)
        if not self.postgres:
            with self.engine.begin() as conn:
                self._write(conn, rows, fingerprint)
        self._previous = fingerprint
        log.info(
            "SensorThings read tables rebuilt: %d Things, %d Datastreams in %.0f ms",
            len(rows["sta_things"]),
            len(rows["sta_datastreams"]),
            (time.perf_counter() - started) * 1000,
        )

    @staticmethod
    def _link_auto_locations(registry: sa.Connection) -> None:
        """Link each new auto Location to its site (once; later edits of the links stay)."""
        o, link = schema.sta_objects, schema.sta_links
        linked = sa.select(link.c.target_id).where(link.c.kind == "thing_location")
        new = registry.execute(
            sa.select(o.c.id, o.c.site_id).where(
                o.c.kind == "Location", o.c.auto, o.c.site_id.is_not(None), o.c.id.not_in(linked)
            )
        ).all()
        if new:
            registry.execute(
                link.insert(),
                [{"kind": "thing_location", "source_id": s, "target_id": i} for i, s in new],
            )

    def _write(
        self, conn: sa.Connection, rows: Mapping[str, list[dict[str, Any]]], fingerprint: str
    ) -> None:
        for table in reversed(tables.PROJECTED):
            conn.execute(table.delete())
        for table in tables.PROJECTED:
            batch = rows.get(table.name, [])
            if not batch:
                continue
            if self.postgres:
                conn.execute(table.insert(), batch)
            else:
                raw: Any = conn.connection.driver_connection
                raw.register("sta_incoming", _arrow(table, batch))
                try:
                    names = ", ".join(c.name for c in table.columns)
                    conn.exec_driver_sql(
                        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM sta_incoming"
                    )
                finally:
                    raw.unregister("sta_incoming")
        self._store_fingerprint(conn, fingerprint)


def now() -> datetime:
    return datetime.now(UTC)
