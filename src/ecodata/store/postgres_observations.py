"""Production observation store: PostgreSQL, range-partitioned by month (local time).

Partitions are created as data arrive. Bulk writes use COPY: straight into the month's partition
inside a savepoint (the common case of new data), and when a key turns out to be stored already,
into a temporary table followed by ``INSERT … ON CONFLICT DO NOTHING``. The same transaction
keeps the newest observation of every series in ``observations_latest`` (one row per series),
and a committed write advances the sequence ``observations_version`` that caches of any process
compare against.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql as pgsql

from ecodata.errors import NotFoundError
from ecodata.model import OBSERVATION_SCHEMA
from ecodata.store import derived
from ecodata.store.derived import CellQuery, DerivedQuery
from ecodata.store.dialects import libpq_url
from ecodata.store.observations import (
    CONFLICT_SCHEMA,
    STATS_SCHEMA,
    ObservationQuery,
    PreparedBatch,
    WriteResult,
    empty_conflicts,
    in_key_order,
    prepare,
    stored_stats,
)

_DDL = """
CREATE TABLE IF NOT EXISTS observations (
    series_id integer NOT NULL,
    time timestamptz NOT NULL,
    value double precision,
    flag text,
    qc smallint NOT NULL DEFAULT 0,
    run_id integer NOT NULL,
    PRIMARY KEY (series_id, time)
) PARTITION BY RANGE (time)
"""
_LATEST_DDL = """
CREATE TABLE IF NOT EXISTS observations_latest (
    series_id integer PRIMARY KEY,
    time timestamptz NOT NULL,
    value double precision,
    flag text,
    qc smallint NOT NULL DEFAULT 0,
    run_id integer NOT NULL
) WITH (fillfactor = 40);
ALTER TABLE observations_latest SET (fillfactor = 40);
CREATE SEQUENCE IF NOT EXISTS observations_version
"""
_COLUMNS = "series_id, time, value, flag, qc, run_id"
_NEWEST = f"""SELECT o.{_COLUMNS.replace(", ", ", o.")} FROM ({{ids}}) AS s(id)
    CROSS JOIN LATERAL (SELECT * FROM observations WHERE series_id = s.id
                        ORDER BY time DESC LIMIT 1) o"""
# Rows in series order (one lock order for concurrent writers); a row already stored is never newer
# than its series' latest, so rows a write did not store change nothing.
_NEWEST_INCOMING = (
    "CREATE TEMP TABLE IF NOT EXISTS newest_incoming (LIKE observations_latest) "
    "ON COMMIT DELETE ROWS"
)
_UPDATE_LATEST = f"""INSERT INTO observations_latest AS l ({_COLUMNS})
SELECT {_COLUMNS} FROM newest_incoming ORDER BY series_id
ON CONFLICT (series_id) DO UPDATE SET time = excluded.time, value = excluded.value,
    flag = excluded.flag, qc = excluded.qc, run_id = excluded.run_id
WHERE excluded.time > l.time"""
_COPY_CHUNK = 1 << 20
_COPY_ROWS = 50_000  # rows per slice of an observation COPY stream (2.3 MB)


class PostgresObservations:
    backend = "postgresql"
    key_ordered_writes = True  # batches are written fastest in (series_id, time) order
    # Two writes may run at once, each on its own connection: the server's COPY and index work
    # is most of a write, and a second backend uses the second CPU.
    concurrent_writes = 2

    def __init__(self, url: str, *, tz_offset_hours: int = 8) -> None:
        self.url = libpq_url(url)
        self.tz = timezone(timedelta(hours=tz_offset_hours))
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._partitions: set[str] = set()
        self._readers: list[psycopg.Connection[Any]] = []
        self._idle_writers: queue.SimpleQueue[psycopg.Connection[Any]] = queue.SimpleQueue()
        self._batch_writers: list[psycopg.Connection[Any]] = []
        self._writer = psycopg.connect(self.url, autocommit=False)
        with self._writer.transaction():
            self._writer.execute("SELECT pg_advisory_xact_lock(2122634)")
            self._writer.execute(_DDL)
            found = self._writer.execute("SELECT to_regclass('observations_latest')").fetchone()
            self._writer.execute(_LATEST_DDL)
            if found is None or found[0] is None:  # a database of an earlier release
                ids = "SELECT DISTINCT series_id FROM observations"
                self._writer.execute(f"INSERT INTO observations_latest {_NEWEST.format(ids=ids)}")
        self._partitions.update(self._existing_partitions())

    @property
    def version(self) -> int:
        row = self._reader().execute("SELECT last_value FROM observations_version").fetchone()
        return int(row[0]) if row else 0

    def _advance_version(self) -> None:
        """Called after a write commits (under the write lock), so that whoever reads the new
        version also sees the new data."""
        with self._writer.transaction():
            self._writer.execute("SELECT nextval('observations_version')")

    def _reader(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.url, autocommit=True)
            conn.execute("SET TIME ZONE 'UTC'")
            self._local.conn = conn
            with self._write_lock:
                self._readers.append(conn)
        return conn

    # -- partitions --------------------------------------------------------------------------

    def _existing_partitions(self) -> set[str]:
        rows = self._writer.execute(
            """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'observations'"""
        ).fetchall()
        self._writer.commit()
        return {r[0] for r in rows}

    def _ensure_partitions(self, lo: datetime, hi: datetime) -> None:
        for start, end in _months(lo.astimezone(self.tz), hi.astimezone(self.tz)):
            name = f"observations_{start:%Y_%m}"
            if name in self._partitions:
                continue
            with self._writer.transaction():
                self._writer.execute("SELECT pg_advisory_xact_lock(2122634)")
                self._writer.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF observations "
                    f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
                )
            self._partitions.add(name)

    def _partition_of(self, lo: datetime, hi: datetime) -> str:
        """The partition holding all of [lo, hi], else the partitioned table."""
        months = list(_months(lo.astimezone(self.tz), hi.astimezone(self.tz)))
        return f"observations_{months[0][0]:%Y_%m}" if len(months) == 1 else "observations"

    # -- writing -----------------------------------------------------------------------------

    def write(self, batch: pa.Table | PreparedBatch) -> WriteResult:
        prepared = prepare(batch)
        batch, repeated, lo, hi = prepared.batch, prepared.repeated, prepared.lo, prepared.hi
        if lo is None or hi is None:
            return WriteResult(0, repeated, empty_conflicts(), prepared.stats)
        with self._write_lock:
            self._ensure_partitions(lo, hi)
        conn = self._take_writer()
        try:
            with conn.transaction(), conn.cursor() as cur:
                conflict_rows: list[tuple[Any, ...]] = []
                try:
                    # New data is the common case: COPY straight into the month's partition (no
                    # routing) and fall back to the merge only when a key is already stored.
                    with conn.transaction():
                        _copy(cur, self._partition_of(lo, hi), batch)
                    stored = batch.num_rows
                except psycopg.errors.UniqueViolation:
                    cur.execute(
                        "CREATE TEMP TABLE incoming (LIKE observations INCLUDING DEFAULTS) "
                        "ON COMMIT DROP"
                    )
                    _copy(cur, "incoming", batch)
                    cur.execute("ANALYZE incoming")
                    cur.execute(
                        """SELECT i.series_id, i.time, i.value, i.flag, i.qc, i.run_id,
                                   o.value, o.flag
                            FROM incoming i JOIN observations o USING (series_id, time)
                            WHERE o.time >= %s AND o.time <= %s AND (o.value IS DISTINCT FROM
                                  i.value OR o.flag IS DISTINCT FROM i.flag)""",
                        (lo, hi),
                    )
                    conflict_rows = cur.fetchall()
                    cur.execute(
                        f"INSERT INTO observations ({_COLUMNS}) SELECT {_COLUMNS} FROM incoming "
                        "ON CONFLICT DO NOTHING"
                    )
                    stored = cur.rowcount
                if stored:
                    # binary COPY of the batch's newest rows, then one upsert in SQL
                    cur.execute(_NEWEST_INCOMING)
                    _copy(cur, "newest_incoming", prepared.newest)
                    cur.execute(_UPDATE_LATEST)
        finally:
            self._give_back(conn)
        if stored:
            with self._write_lock:
                self._advance_version()
        conflicts = _rows_to_table(conflict_rows, CONFLICT_SCHEMA)
        duplicate = batch.num_rows - stored - conflicts.num_rows + repeated
        return WriteResult(stored, duplicate, conflicts, stored_stats(prepared, stored))

    def _take_writer(self) -> psycopg.Connection[Any]:
        """A connection for one batch write: an idle one, a new one while fewer than
        ``concurrent_writes`` exist, else the next one given back."""
        try:
            return self._idle_writers.get_nowait()
        except queue.Empty:
            pass
        with self._write_lock:
            if len(self._batch_writers) < self.concurrent_writes:
                conn = psycopg.connect(self.url, autocommit=False)
                self._batch_writers.append(conn)
                return conn
        return self._idle_writers.get()

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        if conn.broken or conn.closed:
            with self._write_lock:
                self._batch_writers.remove(conn)
            return
        self._idle_writers.put(conn)

    # -- reading -----------------------------------------------------------------------------

    def read(self, query: ObservationQuery) -> pa.Table:
        where, params = _where(query)
        order = "series_id, time DESC" if query.descending else "series_id, time"
        limit = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        sql = f"SELECT {_COLUMNS} FROM observations WHERE {where} ORDER BY {order}{limit}"
        return self._fetch(sql, params, OBSERVATION_SCHEMA)

    def latest(self, series_ids: Sequence[int] | None = None) -> pa.Table:
        where, params = "TRUE", {}
        if series_ids is not None:
            where, params = "series_id = ANY(%(ids)s)", {"ids": [int(i) for i in series_ids]}
        sql = f"SELECT {_COLUMNS} FROM observations_latest WHERE {where} ORDER BY series_id"
        return self._fetch(sql, params, OBSERVATION_SCHEMA)

    def stats(self, series_ids: Sequence[int] | None = None) -> pa.Table:
        where, params = "TRUE", {}
        if series_ids is not None:
            where, params = "series_id = ANY(%(ids)s)", {"ids": list(series_ids)}
        sql = f"""SELECT series_id, min(time), max(time), count(*) FROM observations
                  WHERE {where} GROUP BY series_id ORDER BY series_id"""
        return self._fetch(sql, params, STATS_SCHEMA)

    def months(self, tz_offset_hours: int = 8) -> list[tuple[int, int]]:
        sql = """SELECT DISTINCT extract(year FROM t)::int, extract(month FROM t)::int
                 FROM (SELECT time AT TIME ZONE %(tz)s AS t FROM observations) x ORDER BY 1, 2"""
        tz = f"{-tz_offset_hours:+d}" if tz_offset_hours else "UTC"  # POSIX sign is inverted
        rows = self._reader().execute(sql, {"tz": tz}).fetchall()
        return [(int(y), int(m)) for y, m in rows]

    def sql(self, query: str, params: dict[str, Any] | None = None) -> pa.Table:
        """Run read-only analytical SQL (PostgreSQL dialect; ``%(name)s`` parameters)."""
        cur = self._reader().execute(query, params or {})
        names = [d.name for d in cur.description or []]
        rows = cur.fetchall()
        columns: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        return pa.table({n: pa.array(list(c)) for n, c in zip(names, columns, strict=True)})

    def count(self) -> int:
        row = self._reader().execute("SELECT count(*) FROM observations").fetchone()
        return int(row[0]) if row else 0

    # -- grid reads and derived tables (see store/derived.py) --------------------------------

    def cells(self, query: CellQuery) -> pa.Table:
        """Observations as (series_id, slot, value, valid), the slot computed in the database and
        the rows streamed with binary COPY (no Python object per row)."""
        if not query.series_ids:
            return derived.empty_cells()
        valid = derived.VALID_SQL
        statement = pgsql.SQL(
            "COPY (SELECT series_id, floor(extract(epoch FROM (time - {start})) * 1000000 / {step})"
            "::integer, value, " + valid + " FROM observations WHERE time >= {start} AND "
            "time < {end} AND value IS NOT NULL AND series_id = ANY({ids})"
            + (f" AND {valid}" if query.valid_only else "")
            + ") TO STDOUT (FORMAT binary)"
        ).format(
            start=pgsql.Literal(query.start),
            end=pgsql.Literal(query.end),
            step=pgsql.Literal(query.step_us),
            ids=pgsql.Literal([int(i) for i in query.series_ids]),
        )
        chunks: list[bytes] = []
        with self._reader().cursor() as cur, cur.copy(statement) as copy:
            for block in copy:
                chunks.append(bytes(block))
        return _cells_from_binary(b"".join(chunks))

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
        names = batch.column_names
        types = [derived.sql_type(f.type, "postgresql") for f in batch.schema]
        columns = ", ".join(names)
        with self._write_lock, self._writer.transaction(), self._writer.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(2122635)")
            cur.execute(derived.create_sql(target, batch.schema, key, "postgresql"))
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                (target,),
            )
            existing = {r[0] for r in cur.fetchall()}
            for column, kind in zip(names, types, strict=True):
                if column not in existing:
                    cur.execute(f"ALTER TABLE {target} ADD COLUMN {column} {kind}")
            if replace is not None:
                params: dict[str, Any] = {}
                where = derived.where_sql(replace, "postgresql", params)
                cur.execute(f"DELETE FROM {target} WHERE {where}", params)
            cur.execute(
                f"CREATE TEMP TABLE incoming_derived ON COMMIT DROP AS "
                f"SELECT {columns} FROM {target} WITH NO DATA"
            )
            # CSV written by Arrow in C++: NULL is an empty field, an empty text is ""
            payload = io.BytesIO()
            pacsv.write_csv(batch, payload, pacsv.WriteOptions(include_header=False))
            with cur.copy(f"COPY incoming_derived ({columns}) FROM STDIN (FORMAT csv)") as copy:
                view = payload.getbuffer()
                for start in range(0, len(view), _COPY_CHUNK):
                    copy.write(view[start : start + _COPY_CHUNK])
                del view
            match = " AND ".join(f"t.{k} = i.{k}" for k in key)
            cur.execute(f"DELETE FROM {target} t USING incoming_derived i WHERE {match}")
            cur.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM incoming_derived")
        return int(batch.num_rows)

    def read_derived(self, name: str, query: DerivedQuery) -> pa.Table:
        """Rows of a derived table; :class:`NotFoundError` if nothing was ever written to it."""
        target = derived.table_name(name)
        sql, params = derived.select_sql(target, query, "postgresql")
        conn = self._reader()
        described = conn.execute(
            """SELECT column_name, data_type FROM information_schema.columns
               WHERE table_name = %s ORDER BY ordinal_position""",
            (target,),
        ).fetchall()
        if not described:
            raise NotFoundError(f"derived table {name!r} does not exist")
        schema = pa.schema(
            [pa.field(column, derived.PG_ARROW_TYPES[kind]) for column, kind in described]
        )
        rows = conn.execute(sql, params).fetchall()
        return _rows_to_table(rows, schema)

    # -- removal (the SensorThings API, see ecodata.sensorthings) -------------------------------

    def delete(self, series_ids: Sequence[int], *, time: datetime | None = None) -> int:
        """Remove every observation of ``series_ids`` (or only the one at ``time``); the count."""
        if not series_ids:
            return 0
        ids = [int(i) for i in series_ids]
        sql = "DELETE FROM observations WHERE series_id = ANY(%s)"
        params: list[Any] = [ids]
        if time is not None:
            sql += " AND time = %s"
            params.append(time)
        with self._write_lock:
            with self._writer.transaction(), self._writer.cursor() as cur:
                cur.execute(sql, params)
                deleted = int(cur.rowcount)
                cur.execute("DELETE FROM observations_latest WHERE series_id = ANY(%s)", [ids])
                newest = _NEWEST.format(ids="SELECT unnest(%s::integer[])")
                cur.execute(f"INSERT INTO observations_latest {newest}", [ids])
            self._advance_version()
        return deleted

    def close(self) -> None:
        self._writer.close()
        with self._write_lock:
            readers, self._readers = self._readers, []
            writers, self._batch_writers = self._batch_writers, []
        for conn in [*readers, *writers]:
            conn.close()

    def drop_all(self) -> None:
        """Remove the observation table and its partitions (tests and `reset` only)."""
        with self._write_lock, self._writer.transaction():
            self._writer.execute("DROP TABLE IF EXISTS observations, observations_latest CASCADE")
            self._writer.execute("DROP SEQUENCE IF EXISTS observations_version")
        self._partitions.clear()

    def _fetch(self, sql: str, params: dict[str, Any], schema: pa.Schema) -> pa.Table:
        rows = self._reader().execute(sql, params).fetchall()
        return _rows_to_table(rows, schema)


def _copy(cur: psycopg.Cursor[Any], table: str, batch: pa.Table) -> None:
    """COPY an Arrow batch in PostgreSQL's binary format, built with numpy (no text round trip),
    in key order (the primary key's pages are then filled in sequence). The stream is built a
    slice at a time, so that the server works on one slice while the next is built."""
    if not in_key_order(batch):
        batch = batch.sort_by([("series_id", "ascending"), ("time", "ascending")])
    with cur.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(_BINARY_HEADER)
        for start in range(0, batch.num_rows, _COPY_ROWS):
            copy.write(_binary_tuples(batch.slice(start, _COPY_ROWS)))
        copy.write(_BINARY_TRAILER)


_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00Z, the origin of binary timestamps
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, extension length
_BINARY_TRAILER = b"\xff\xff"


def _binary_tuples(batch: pa.Table) -> bytes:
    """The tuples of a binary COPY stream (without its header and trailer).

    Each tuple is a field count and (length, value) pairs in network byte order; a NULL has length
    -1. Rows are grouped by which of ``value``/``flag`` is NULL so that every group is a fixed-width
    numpy record array. Flags are one ASCII letter (HJ 212-2017 Table 8).
    """
    series = batch.column("series_id").to_numpy()
    times = batch.column("time").cast(pa.int64()).to_numpy() - _PG_EPOCH_US
    value_col = batch.column("value")
    value_null = value_col.is_null().to_numpy(zero_copy_only=False)
    values = value_col.fill_null(0.0).to_numpy()
    flag_col = batch.column("flag")
    flag_null = flag_col.is_null().to_numpy(zero_copy_only=False)
    flags = (
        np.array(flag_col.fill_null(" ").to_pylist(), dtype="S1") if not flag_null.all() else None
    )
    qc = batch.column("qc").to_numpy()
    runs = batch.column("run_id").to_numpy()
    parts = []
    for has_value in (True, False):
        for has_flag in (True, False):
            rows = (value_null != has_value) & (flag_null != has_flag)
            if not rows.any():
                continue
            fields = [("n", ">i2"), ("l1", ">i4"), ("sid", ">i4"), ("l2", ">i4"), ("t", ">i8"),
                      ("l3", ">i4"), *([("v", ">f8")] if has_value else []), ("l4", ">i4"),
                      *([("f", "S1")] if has_flag else []), ("l5", ">i4"), ("qc", ">i2"),
                      ("l6", ">i4"), ("run", ">i4")]  # fmt: skip
            out = np.empty(int(rows.sum()), dtype=np.dtype(fields))
            out["n"], out["l1"], out["l2"], out["l5"], out["l6"] = 6, 4, 8, 2, 4
            out["sid"], out["t"], out["qc"], out["run"] = (
                series[rows],
                times[rows],
                qc[rows],
                runs[rows],
            )
            out["l3"] = 8 if has_value else -1
            out["l4"] = 1 if has_flag else -1
            if has_value:
                out["v"] = values[rows]
            if has_flag and flags is not None:
                out["f"] = flags[rows]
            parts.append(out.tobytes())
    return b"".join(parts)


#: One tuple of a cell read in binary COPY: field count, then (length, value) per column.
_CELL_TUPLE = np.dtype(
    [("n", ">i2"), ("l1", ">i4"), ("sid", ">i4"), ("l2", ">i4"), ("slot", ">i4"),
     ("l3", ">i4"), ("value", ">f8"), ("l4", ">i4"), ("valid", "u1")]
)  # fmt: skip


def _cells_from_binary(payload: bytes) -> pa.Table:
    """Parse the binary COPY output of a cell read (fixed-width tuples: no column is NULL)."""
    body = payload[len(_BINARY_HEADER) : len(payload) - len(_BINARY_TRAILER)]
    if not body:
        return derived.empty_cells()
    rows = np.frombuffer(body, dtype=_CELL_TUPLE)
    return pa.table(
        {
            "series_id": pa.array(rows["sid"].astype(np.int32)),
            "slot": pa.array(rows["slot"].astype(np.int32)),
            "value": pa.array(rows["value"].astype(np.float64)),
            "valid": pa.array(rows["valid"].astype(bool)),
        },
        schema=derived.CELL_SCHEMA,
    )


def _rows_to_table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table(
        [pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _where(query: ObservationQuery) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if query.series_ids is not None:
        clauses.append("series_id = ANY(%(ids)s)")
        params["ids"] = [int(i) for i in query.series_ids]
    if query.start is not None:
        clauses.append("time >= %(start)s")
        params["start"] = query.start
    if query.end is not None:
        clauses.append("time < %(end)s")
        params["end"] = query.end
    if query.after is not None:
        op = "<" if query.descending else ">"
        clauses.append(
            f"(series_id > %(after_s)s OR (series_id = %(after_s)s AND time {op} %(after_t)s))"
        )
        params["after_s"], params["after_t"] = query.after
    if query.valid_only:
        clauses.append("qc = 0 AND (flag IS NULL OR flag = 'N')")
    return (" AND ".join(clauses) or "TRUE"), params


def _months(lo: datetime, hi: datetime) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) of every local month from the one holding ``lo`` to the one holding ``hi``."""
    start = lo.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while start <= hi:
        end = (start + timedelta(days=32)).replace(day=1)
        yield start, end
        start = end
