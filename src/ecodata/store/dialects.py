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
    """Bulk-update ``series.first_time/last_time/count`` from an Arrow table (series_id, first,
    last, count) in one round trip per dialect (the generic executemany costs seconds here)."""
    import numpy as np

    ids = stats.column("series_id").to_numpy().astype(np.int64)
    counts = stats.column("count").to_numpy().astype(np.int64)
    first = stats.column("first").cast("int64").to_numpy().astype("datetime64[us]")
    last = stats.column("last").cast("int64").to_numpy().astype("datetime64[us]")
    if conn.dialect.name == "sqlite":
        # SQLAlchemy's SQLite DateTime storage format, in UTC (see UTCDateTime).
        f = np.char.replace(np.datetime_as_string(first, unit="us"), "T", " ")
        la = np.char.replace(np.datetime_as_string(last, unit="us"), "T", " ")
        rows = list(zip(f.tolist(), la.tolist(), counts.tolist(), ids.tolist(), strict=True))
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            "UPDATE series SET first_time = ?, last_time = ?, count = ? WHERE id = ?", rows
        )
        return
    conn.execute(
        sa.text(
            """UPDATE series SET first_time = x.f, last_time = x.l, count = x.n
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


def insert_series(conn: sa.Connection, keys: Sequence[tuple[int, int, int]]) -> None:
    """Insert (site_id, parameter_id, period) series that may exist already, in bulk."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = (
        f"INSERT INTO series (site_id, parameter_id, period, count) VALUES ({mark}, {mark}, "
        f"{mark}, 0) ON CONFLICT (site_id, parameter_id, period) DO NOTHING"
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, [(int(s), int(p), int(d)) for s, p, d in keys])
    finally:
        cursor.close()
