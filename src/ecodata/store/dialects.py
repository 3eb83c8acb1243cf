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
