"""Embedded observation store: one DuckDB file, written by one writer.

Uniqueness of (series_id, time) is kept by the single writer with an anti-join restricted to the
batch's time range (DuckDB's zone maps prune the scan), which is several times faster and
smaller than an ART primary-key index on this table. The newest observation of every series is
kept in ``observations_latest`` (one row per series), so that the latest values of a network
are read without scanning the observations. Writes bring that table up to date at most once a
second (keeping it costs a live feed's small commit a third of its time) and every read of the
latest values first merges what is pending; a marker in ``store_meta`` set in the first
transaction that leaves it behind lets a store reopened after a crash rebuild it.
"""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ecodata.errors import ConfigError, NotFoundError
from ecodata.store import derived
from ecodata.store.derived import CellQuery, DerivedQuery
from ecodata.store.observations import (
    CONFLICT_SCHEMA,
    STATS_SCHEMA,
    ObservationQuery,
    PreparedBatch,
    WriteResult,
    empty_conflicts,
    prepare,
    stored_stats,
)

_OBSERVATION_COLUMNS = """(
    series_id INTEGER NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    value DOUBLE,
    flag VARCHAR,
    qc SMALLINT NOT NULL DEFAULT 0,
    run_id INTEGER NOT NULL
)"""
_DDL = f"""
CREATE TABLE IF NOT EXISTS observations {_OBSERVATION_COLUMNS};
CREATE TABLE IF NOT EXISTS observations_latest {_OBSERVATION_COLUMNS};
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
INSERT OR IGNORE INTO store_meta VALUES ('schema_version', '1');
"""

_NEWEST = "QUALIFY row_number() OVER (PARTITION BY series_id ORDER BY time DESC) = 1"

# A write replaces the latest row of a series only by a newer one (a key already stored is never
# newer than the series' latest, so rows the write did not store change nothing).
_UPDATE_LATEST = (
    """DELETE FROM observations_latest WHERE series_id IN (SELECT n.series_id FROM newest n
       JOIN observations_latest l USING (series_id) WHERE n.time > l.time)""",
    "INSERT INTO observations_latest SELECT n.* FROM newest n ANTI JOIN observations_latest l "
    "USING (series_id)",
)

_MARK_LATEST = "INSERT OR REPLACE INTO store_meta VALUES ('latest_behind', $behind)"
_LATEST_EVERY = 1.0  # seconds: the longest writes leave observations_latest behind

_EXISTING_IN_RANGE = (
    "(SELECT series_id, time, value, flag FROM observations WHERE time >= $lo AND time <= $hi)"
)


class DuckDBObservations:
    """Observation store in ``<data_dir>/observations.duckdb``."""

    backend = "duckdb"
    key_ordered_writes = False  # appends compress and run no faster for sorted batches
    concurrent_writes = 1  # one writer owns the file

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise ConfigError(
                    f"the observation store {self.path} is in use by another ecodata process "
                    "(probably `ecodata serve`); stop it first, or put the data on PostgreSQL "
                    "(ECODATA_DATABASE_URL) to run several processes at once"
                ) from None
            raise
        self._con.execute("SET TimeZone='UTC'")
        # Bulk appends: no order among the rows of one INSERT is promised (every read orders
        # explicitly), and the write-ahead log is folded into the file every 256 MB instead of
        # 16 MB (commits stay durable; recovery replays a longer log). 10–20 % off an import.
        self._con.execute("SET preserve_insertion_order = false")
        self._con.execute("SET checkpoint_threshold = '256MB'")
        self._has_latest = self._table_exists("observations_latest") and not self._latest_behind()
        if not read_only:
            self._con.execute("BEGIN TRANSACTION")
            self._con.execute(_DDL)
            if not self._has_latest:  # a store of an earlier release, or a crash left it behind
                self._con.execute("DELETE FROM observations_latest")
                self._con.execute(
                    f"INSERT INTO observations_latest SELECT * FROM observations {_NEWEST}"
                )
                self._con.execute(_MARK_LATEST, {"behind": "0"})
            self._con.execute("COMMIT")
            self._has_latest = True
        # newest rows of committed writes not yet in observations_latest (see the module's doc)
        self._newest: list[pa.Table] = []
        self._latest_merged = float("-inf")  # the first write keeps it up to date
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._version = 0  # one process owns the file: a counter in memory sees every write

    def _latest_behind(self) -> bool:
        if not self._table_exists("store_meta"):
            return False
        found = self._con.execute(
            "SELECT value FROM store_meta WHERE key = 'latest_behind'"
        ).fetchall()
        return bool(found) and found[0][0] == "1"

    def _update_latest(self, con: duckdb.DuckDBPyConnection, newest: list[pa.Table]) -> None:
        """Bring observations_latest up to date with the newest rows of writes (in the caller's
        transaction) and clear the marker."""
        con.register("newest", _newest_of(newest))
        try:
            for statement in _UPDATE_LATEST:
                con.execute(statement)
        finally:
            con.unregister("newest")
        con.execute(_MARK_LATEST, {"behind": "0"})

    def _merge_latest(self) -> None:
        """Merge the pending newest rows into observations_latest (caller holds the lock)."""
        if not self._newest:
            return
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            self._update_latest(con, self._newest)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._latest_caught_up()

    def _latest_caught_up(self) -> None:
        """After a commit that brought observations_latest up to date."""
        self._newest = []
        self._latest_merged = clock.monotonic()

    def _table_exists(self, name: str) -> bool:
        found = self._con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t", {"t": name}
        ).fetchall()
        return bool(found[0][0])

    @property
    def version(self) -> int:
        return self._version

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor per thread: DuckDB connections must not be shared between threads."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute("SET TimeZone='UTC'")
            self._local.cursor = cur
        return cur

    # -- writing -----------------------------------------------------------------------------

    def write(self, batch: pa.Table | PreparedBatch) -> WriteResult:
        prepared = prepare(batch)
        batch, repeated, lo, hi = prepared.batch, prepared.repeated, prepared.lo, prepared.hi
        if lo is None or hi is None:
            return WriteResult(0, repeated, empty_conflicts(), prepared.stats)
        params = {"lo": lo, "hi": hi}
        with self._write_lock:
            con = self._con
            con.register("incoming", batch)
            try:
                con.execute("BEGIN TRANSACTION")
                overlap = con.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM observations "
                    "WHERE time >= $lo AND time <= $hi LIMIT 1)",
                    params,
                ).fetchall()[0][0]
                if overlap:
                    stored = con.execute(
                        f"""INSERT INTO observations
                            SELECT i.* FROM incoming i
                            ANTI JOIN {_EXISTING_IN_RANGE} o USING (series_id, time)""",
                        params,
                    ).fetchall()
                else:  # nothing stored in this time range yet: a plain append
                    stored = con.execute(
                        "INSERT INTO observations SELECT * FROM incoming"
                    ).fetchall()
                n_stored = int(stored[0][0]) if stored else 0
                merged = False
                if n_stored:
                    if clock.monotonic() - self._latest_merged >= _LATEST_EVERY:
                        self._update_latest(con, [*self._newest, prepared.newest])
                        merged = True
                    elif not self._newest:  # the first write to leave it behind says so
                        con.execute(_MARK_LATEST, {"behind": "1"})
                conflicts = empty_conflicts()
                if n_stored < batch.num_rows:
                    conflicts = con.sql(
                        f"""SELECT i.*, o.value AS stored_value, o.flag AS stored_flag
                            FROM incoming i JOIN {_EXISTING_IN_RANGE} o USING (series_id, time)
                            WHERE o.value IS DISTINCT FROM i.value
                               OR o.flag IS DISTINCT FROM i.flag""",
                        params=params,
                    ).to_arrow_table()
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("incoming")
            if merged:
                self._latest_caught_up()
            elif n_stored:
                self._newest.append(prepared.newest)
            if n_stored:
                self._version += 1
        conflicts = conflicts.cast(CONFLICT_SCHEMA)
        duplicate = batch.num_rows - n_stored - conflicts.num_rows + repeated
        return WriteResult(n_stored, duplicate, conflicts, stored_stats(prepared, n_stored))

    # -- reading -----------------------------------------------------------------------------

    def read(self, query: ObservationQuery) -> pa.Table:
        where, params = _where(query)
        order = "series_id, time DESC" if query.descending else "series_id, time"
        limit = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        sql = f"SELECT * FROM observations WHERE {where} ORDER BY {order}{limit}"
        return self._cursor().sql(sql, params=params).to_arrow_table()

    def latest(self, series_ids: Sequence[int] | None = None) -> pa.Table:
        where = "TRUE"
        params: dict[str, Any] = {}
        if series_ids is not None:
            where = "series_id IN (SELECT unnest($ids))"
            params["ids"] = [int(i) for i in series_ids]
        if self._newest:
            with self._write_lock:
                self._merge_latest()
        if self._has_latest:
            sql = f"SELECT * FROM observations_latest WHERE {where} ORDER BY series_id"
        else:  # a read-only store of an earlier release
            sql = f"SELECT * FROM observations WHERE {where} {_NEWEST} ORDER BY series_id"
        return self._cursor().sql(sql, params=params).to_arrow_table()

    def stats(self, series_ids: Sequence[int] | None = None) -> pa.Table:
        where, params = "TRUE", {}
        if series_ids is not None:
            where, params = "series_id IN (SELECT unnest($ids))", {"ids": list(series_ids)}
        sql = f"""SELECT series_id, min(time) AS first, max(time) AS last, count(*) AS count
                  FROM observations WHERE {where} GROUP BY series_id ORDER BY series_id"""
        table: pa.Table = self._cursor().sql(sql, params=params).to_arrow_table()
        return table.cast(STATS_SCHEMA)

    def months(self, tz_offset_hours: int = 8) -> list[tuple[int, int]]:
        sql = """SELECT DISTINCT year(t) AS y, month(t) AS m
                 FROM (SELECT (time::TIMESTAMP + to_hours($h)) AS t FROM observations)
                 ORDER BY y, m"""
        rows = self._cursor().execute(sql, {"h": tz_offset_hours}).fetchall()
        return [(int(y), int(m)) for y, m in rows]

    def sql(self, query: str, params: dict[str, Any] | None = None) -> pa.Table:
        """Run read-only analytical SQL (DuckDB dialect; ``$name`` parameters)."""
        return self._cursor().sql(query, params=params or {}).to_arrow_table()

    def count(self) -> int:
        rows = self._cursor().execute("SELECT count(*) FROM observations").fetchall()
        return int(rows[0][0])

    # -- grid reads and derived tables (see store/derived.py) --------------------------------

    def cells(self, query: CellQuery) -> pa.Table:
        """Observations as (series_id, slot, value, valid), the slot computed in the database."""
        if not query.series_ids:
            return derived.empty_cells()
        valid = derived.VALID_SQL
        column = "" if query.valid_only else f", {valid} AS valid"
        condition = f"AND {valid}" if query.valid_only else ""
        sql = f"""SELECT series_id,
                         ((epoch_us(time) - epoch_us($start)) // $step)::INTEGER AS slot,
                         value{column}
                  FROM observations SEMI JOIN wanted_series USING (series_id)
                  WHERE time >= $start AND time < $end AND value IS NOT NULL {condition}"""
        params = {"start": query.start, "end": query.end, "step": query.step_us}
        wanted = pa.table({"series_id": pa.array([int(i) for i in query.series_ids], pa.int32())})
        cursor = self._cursor()
        cursor.register("wanted_series", wanted)
        try:
            table: pa.Table = cursor.sql(sql, params=params).to_arrow_table()
        finally:
            cursor.unregister("wanted_series")
        if query.valid_only:  # every row is valid: the column is added here, not computed
            table = table.append_column("valid", pa.array(np.ones(table.num_rows, dtype=bool)))
        return table.cast(derived.CELL_SCHEMA)

    def write_derived(
        self,
        name: str,
        table: pa.Table,
        *,
        key: Sequence[str],
        replace: DerivedQuery | None = None,
    ) -> int:
        """Store rows of a derived table, replacing rows with the same key (and first every row
        ``replace`` selects). Creates the table, or adds new columns, as needed."""
        target = derived.table_name(name)
        batch = derived.prepare(table, key)
        columns = ", ".join(batch.column_names)
        with self._write_lock:
            con = self._con
            con.register("incoming_derived", batch)
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(derived.create_sql(target, batch.schema, key, "duckdb"))
                existing = {
                    r[0]
                    for r in con.execute(
                        "SELECT column_name FROM duckdb_columns() WHERE table_name = $t",
                        {"t": target},
                    ).fetchall()
                }
                for f in batch.schema:
                    if f.name not in existing:
                        kind = derived.sql_type(f.type, "duckdb")
                        con.execute(f"ALTER TABLE {target} ADD COLUMN {f.name} {kind}")
                if replace is not None:
                    params: dict[str, Any] = {}
                    where = derived.where_sql(replace, "duckdb", params)
                    con.execute(f"DELETE FROM {target} WHERE {where}", params)
                match = " AND ".join(f"{target}.{k} = i.{k}" for k in key)
                con.execute(f"DELETE FROM {target} USING incoming_derived i WHERE {match}")
                con.execute(
                    f"INSERT INTO {target} ({columns}) SELECT {columns} FROM incoming_derived"
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("incoming_derived")
        return int(batch.num_rows)

    def read_derived(self, name: str, query: DerivedQuery) -> pa.Table:
        """Rows of a derived table; :class:`NotFoundError` if nothing was ever written to it."""
        target = derived.table_name(name)
        sql, params = derived.select_sql(target, query, "duckdb")
        found = self._cursor().execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t", {"t": target}
        )
        if not found.fetchall()[0][0]:
            raise NotFoundError(f"derived table {name!r} does not exist")
        result: pa.Table = self._cursor().sql(sql, params=params).to_arrow_table()
        return result

    # -- removal and direct connections (the SensorThings API, see ecodata.sensorthings) --------

    def delete(self, series_ids: Sequence[int], *, time: datetime | None = None) -> int:
        """Remove every observation of ``series_ids`` (or only the one at ``time``); the count."""
        if not series_ids:
            return 0
        ids_in = "series_id IN (SELECT unnest($ids))"
        ids: dict[str, Any] = {"ids": [int(i) for i in series_ids]}
        where, params = ids_in, dict(ids)
        if time is not None:
            where += " AND time = $time"
            params["time"] = time
        with self._write_lock:
            self._merge_latest()
            con = self._con
            try:
                con.execute("BEGIN TRANSACTION")
                rows = con.execute(f"DELETE FROM observations WHERE {where}", params).fetchall()
                con.execute(f"DELETE FROM observations_latest WHERE {ids_in}", ids)
                con.execute(
                    f"INSERT INTO observations_latest SELECT * FROM observations "
                    f"WHERE {ids_in} {_NEWEST}",
                    ids,
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            self._version += 1
        return int(rows[0][0]) if rows else 0

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new connection to this database (in UTC) for readers that build their own SQL."""
        cursor = self._con.cursor()
        cursor.execute("SET TimeZone='UTC'")
        return cursor

    def close(self) -> None:
        with self._write_lock:
            self._merge_latest()
        self._con.close()


def _newest_of(tables: list[pa.Table]) -> pa.Table:
    """The newest row of each series among the newest rows of several writes."""
    if len(tables) == 1:
        return tables[0]
    schema = pa.schema([column.with_nullable(True) for column in tables[0].schema])
    rows = pa.concat_tables(
        [table.cast(schema) for table in tables]
    )  # writers differ in nullability
    rows = rows.sort_by([("series_id", "ascending"), ("time", "descending")])
    series = rows.column("series_id").to_numpy()
    first = np.ones(len(series), dtype=bool)
    first[1:] = series[1:] != series[:-1]
    return rows.filter(pa.array(first))


def _where(query: ObservationQuery) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if query.series_ids is not None:
        clauses.append("series_id IN (SELECT unnest($ids))")
        params["ids"] = [int(i) for i in query.series_ids]
    if query.start is not None:
        clauses.append("time >= $start")
        params["start"] = query.start
    if query.end is not None:
        clauses.append("time < $end")
        params["end"] = query.end
    if query.after is not None:
        op = "<" if query.descending else ">"
        clauses.append(f"(series_id > $after_s OR (series_id = $after_s AND time {op} $after_t))")
        params["after_s"], params["after_t"] = query.after
    if query.valid_only:
        clauses.append("qc = 0 AND (flag IS NULL OR flag = 'N')")
    return (" AND ".join(clauses) or "TRUE"), params
