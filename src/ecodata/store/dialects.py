"""Everything that differs between SQLite and PostgreSQL for the registry, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps on every backend: stored in UTC, returned as aware UTC datetimes.

    SQLite has no time zone type; PostgreSQL's ``timestamptz`` is used there.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: ecodata stores only timezone-aware times")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def insert_ignore(table: sa.Table, dialect_name: str, conflict_columns: Sequence[str]) -> sa.Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for the registry's dialect."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(
            index_elements=list(conflict_columns)
        )
    if dialect_name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    raise NotImplementedError(dialect_name)


def upsert(
    table: sa.Table,
    dialect_name: str,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
) -> sa.Insert:
    """``INSERT … ON CONFLICT (…) DO UPDATE`` setting ``update_columns`` from the new row."""
    stmt: Any
    if dialect_name == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect_name == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise NotImplementedError(dialect_name)
    updates = {name: stmt.excluded[name] for name in update_columns}
    if not updates:
        return insert_ignore(table, dialect_name, conflict_columns)
    result: sa.Insert = stmt.on_conflict_do_update(
        index_elements=list(conflict_columns), set_=updates
    )
    return result


def sqlalchemy_url(url: str) -> str:
    """A PostgreSQL URL as SQLAlchemy wants it (psycopg 3 driver)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def libpq_url(url: str) -> str:
    """A PostgreSQL URL as libpq/psycopg wants it (no SQLAlchemy driver suffix)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def update_series_stats(conn: sa.Connection, stats: Any) -> None:
    """Set ``series.first_time/last_time/count`` from an Arrow table (series_id, first, last,
    count) in one round trip per dialect (the generic executemany costs seconds here)."""
    _write_series_stats(conn, stats, add=False)


def merge_series_stats(conn: sa.Connection, stats: Any) -> None:
    """Widen ``series.first_time/last_time`` to and add ``count`` from the statistics of newly
    stored records (same table layout as :func:`update_series_stats`)."""
    _write_series_stats(conn, stats, add=True)


def _write_series_stats(conn: sa.Connection, stats: Any, *, add: bool) -> None:
    import numpy as np

    from ecodata.store.arrays import to_numpy

    ids = to_numpy(stats.column("series_id"), np.int32).astype(np.int64)
    counts = to_numpy(stats.column("count"), np.int64)
    first = to_numpy(stats.column("first"), np.int64).astype("datetime64[us]")
    last = to_numpy(stats.column("last"), np.int64).astype("datetime64[us]")
    if conn.dialect.name == "sqlite":
        # SQLAlchemy's SQLite DateTime storage format, in UTC (see UTCDateTime): fixed width,
        # so text order is time order.
        f = np.char.replace(np.datetime_as_string(first, unit="us"), "T", " ")
        la = np.char.replace(np.datetime_as_string(last, unit="us"), "T", " ")
        rows = list(zip(f.tolist(), la.tolist(), counts.tolist(), ids.tolist(), strict=True))
        sql = "UPDATE series SET first_time = ?, last_time = ?, count = ? WHERE id = ?"
        if add:
            sql = (
                "UPDATE series SET first_time = min(coalesce(first_time, ?1), ?1), "
                "last_time = max(coalesce(last_time, ?2), ?2), count = count + ?3 WHERE id = ?4"
            )
        conn.connection.driver_connection.executemany(sql, rows)  # type: ignore[union-attr]
        return
    assign = (
        "first_time = LEAST(series.first_time, x.f), last_time = GREATEST(series.last_time, "
        "x.l), count = series.count + x.n"
        if add
        else "first_time = x.f, last_time = x.l, count = x.n"
    )
    conn.execute(
        sa.text(
            f"""UPDATE series SET {assign}
               FROM (SELECT unnest(CAST(:ids AS bigint[])) AS id,
                            unnest(CAST(:f AS timestamp[])) AT TIME ZONE 'UTC' AS f,
                            unnest(CAST(:l AS timestamp[])) AT TIME ZONE 'UTC' AS l,
                            unnest(CAST(:n AS bigint[])) AS n) AS x
               WHERE series.id = x.id"""
        ),
        {
            "ids": ids.tolist(),
            "f": first.astype(object).tolist(),
            "l": last.astype(object).tolist(),
            "n": counts.tolist(),
        },
    )


def _insert_rows(
    conn: sa.Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[Any, ...]],
    conflict: str,
) -> None:
    """Insert many rows through the driver (SQLAlchemy's per-row parameter handling would
    dominate at tens of thousands of rows): SQLite runs the statement per row in C, PostgreSQL
    takes every column as one array (one round trip). ``columns`` are (name, PostgreSQL type);
    ``conflict`` the statement's ``ON CONFLICT …`` clause."""
    names = ", ".join(name for name, _ in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}"
            cursor.executemany(sql, rows)
        else:
            arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
            sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {conflict}"
            cursor.execute(
                sql, [list(c) for c in zip(*rows, strict=True)] if rows else [[]] * len(columns)
            )
    finally:
        cursor.close()


def set_series_datasets(conn: sa.Connection, rows: Sequence[tuple[int, int]]) -> None:
    """File (series_id, dataset_id) pairs in ``dataset_series``, replacing earlier ones."""
    _insert_rows(
        conn,
        "dataset_series",
        [("series_id", "integer"), ("dataset_id", "integer")],
        rows,
        "ON CONFLICT (series_id) DO UPDATE SET dataset_id = excluded.dataset_id",
    )


def insert_series(conn: sa.Connection, keys: Sequence[tuple[int, int, int]]) -> None:
    """Insert (site_id, parameter_id, period) series that may exist already, in bulk."""
    _insert_rows(
        conn,
        "series",
        [("site_id", "integer"), ("parameter_id", "integer"), ("period", "smallint")],
        [(int(s), int(p), int(d)) for s, p, d in keys],
        "ON CONFLICT (site_id, parameter_id, period) DO NOTHING",
    )
