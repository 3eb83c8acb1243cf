"""Derived tables and grid reads: what both observation stores offer the evaluation layer.

*Derived tables* hold results computed from observations (the AQI per hour and day, …) beside them,
so that the API serves them without recomputing. A derived table is named after its computation
(``aqi_hour``) and stored as ``derived_<name>``; its columns come from the Arrow schema of the
batches written (a later batch may add columns; none is dropped). Rows are keyed, e.g. by
(scope, code, time): a write replaces the rows with the same key and, optionally, every row a
:class:`DerivedQuery` selects first, so recomputing a period leaves no stale rows behind.

*Cell reads* (:class:`CellQuery`) return observations as (series, slot, value, valid) with the slot
computed in the database — the index of the time step since ``start`` — so that the caller can
scatter them into a dense site × time grid without handling timestamps row by row.

This module holds what the two backends share: names, type mapping and the SQL text of queries,
with the placeholder style of each dialect (DuckDB ``$name``, PostgreSQL ``%(name)s``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import InputError
from ecodata.model import QC

Dialect = Literal["duckdb", "postgresql"]

_IDENTIFIER: Final = re.compile(r"^[a-z][a-z0-9_]{0,55}$")
PREFIX: Final = "derived_"

#: QC bits that make a value unusable. UNIT_CONVERTED and UNKNOWN_CODE only inform.
FAILING_QC: Final = int(QC.OUT_OF_RANGE | QC.DEVICE_FLAG | QC.SUSPECT)
#: A valid value: no failing QC bit and the data flag N or none (HJ 212-2017 Table 8).
VALID_SQL: Final = f"((qc & {FAILING_QC}) = 0 AND (flag IS NULL OR flag = 'N'))"

#: Result columns of a cell read.
CELL_SCHEMA: Final = pa.schema(
    [
        ("series_id", pa.int32()),
        ("slot", pa.int32()),
        ("value", pa.float64()),
        ("valid", pa.bool_()),
    ]
)

#: SQL type per Arrow type, per dialect. Small integers are stored as SMALLINT on both.
_SQL_TYPES: Final[dict[str, tuple[str, str]]] = {
    "int8": ("SMALLINT", "smallint"),
    "int16": ("SMALLINT", "smallint"),
    "int32": ("INTEGER", "integer"),
    "int64": ("BIGINT", "bigint"),
    "float": ("DOUBLE", "double precision"),
    "double": ("DOUBLE", "double precision"),
    "string": ("VARCHAR", "text"),
    "large_string": ("VARCHAR", "text"),
    "bool": ("BOOLEAN", "boolean"),
    "timestamp[us, tz=UTC]": ("TIMESTAMPTZ", "timestamptz"),
    "date32[day]": ("DATE", "date"),
}

#: PostgreSQL column types → the Arrow type they are read back as.
PG_ARROW_TYPES: Final[dict[str, pa.DataType]] = {
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "double precision": pa.float64(),
    "text": pa.string(),
    "boolean": pa.bool_(),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
}


@dataclass(frozen=True, slots=True)
class CellQuery:
    """Observations of ``series_ids`` with ``start <= time < end`` as cells: ``slot`` is
    ``(time − start) // step``. With ``valid_only`` only valid values (:data:`VALID_SQL`) are
    returned; otherwise ``valid`` says which are."""

    series_ids: Sequence[int]
    start: datetime
    end: datetime
    step: timedelta
    valid_only: bool = True

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise InputError(f"cell query {name} {value.isoformat()} has no time zone")
        if self.step <= timedelta(0):
            raise InputError(f"cell query step must be positive, not {self.step}")
        slots = (self.end - self.start) // self.step
        if slots > 2**31 - 1:
            raise InputError("cell query spans too many steps")

    @property
    def step_us(self) -> int:
        return self.step // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class DerivedQuery:
    """Rows of a derived table: ``equals`` maps columns to the values they may take; ``start`` and
    ``end`` bound ``time_column`` (half-open); ``latest_by`` keeps only the newest row (by
    ``time_column``) of each group of those columns; ``order_by`` with ``after`` continues a
    keyset page after the given values of the ordering columns."""

    equals: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None
    time_column: str = "time"
    latest_by: tuple[str, ...] | None = None
    order_by: tuple[str, ...] = ()
    descending: bool = False
    after: tuple[Any, ...] | None = None
    limit: int | None = None


def table_name(name: str) -> str:
    """``derived_<name>`` after checking that ``name`` is a plain lower-case identifier."""
    if not _IDENTIFIER.match(name):
        raise InputError(f"derived table name {name!r} must match {_IDENTIFIER.pattern}")
    return PREFIX + name


def column_name(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise InputError(f"derived column name {name!r} must match {_IDENTIFIER.pattern}")
    return name


def sql_type(arrow_type: pa.DataType, dialect: Dialect) -> str:
    key = str(arrow_type)
    if key not in _SQL_TYPES:
        raise InputError(f"derived tables cannot hold Arrow type {arrow_type}")
    duck, pg = _SQL_TYPES[key]
    return duck if dialect == "duckdb" else pg


def prepare(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """Check a batch before it is written: identifiers, types, non-null keys; NaN becomes NULL
    (a derived value that is not defined is absent, not "not a number")."""
    for name in table.column_names:
        column_name(name)
        sql_type(table.schema.field(name).type, "duckdb")
    missing = [k for k in key if k not in table.column_names]
    if missing:
        raise InputError(f"derived batch lacks its key column(s) {', '.join(missing)}")
    for k in key:
        if table.column(k).null_count:
            raise InputError(f"derived batch has null key column {k!r}")
    columns = []
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_floating(column.type):
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def placeholder(name: str, dialect: Dialect) -> str:
    return f"${name}" if dialect == "duckdb" else f"%({name})s"


def where_sql(query: DerivedQuery, dialect: Dialect, params: dict[str, Any]) -> str:
    """The WHERE condition of ``query`` (without ``after``), filling ``params``."""
    clauses: list[str] = []
    for i, (name, values) in enumerate(query.equals.items()):
        column = column_name(name)
        key = f"eq{i}"
        params[key] = list(values)
        if dialect == "duckdb":
            clauses.append(f"{column} IN (SELECT unnest({placeholder(key, dialect)}))")
        else:
            clauses.append(f"{column} = ANY({placeholder(key, dialect)})")
    time_column = column_name(query.time_column)
    if query.start is not None:
        params["t_start"] = query.start
        clauses.append(f"{time_column} >= {placeholder('t_start', dialect)}")
    if query.end is not None:
        params["t_end"] = query.end
        clauses.append(f"{time_column} < {placeholder('t_end', dialect)}")
    return " AND ".join(clauses) or "TRUE"


def select_sql(table: str, query: DerivedQuery, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """SELECT text and parameters for a read of a derived table."""
    params: dict[str, Any] = {}
    where = where_sql(query, dialect, params)
    time_column = column_name(query.time_column)
    if query.latest_by:
        groups = ", ".join(column_name(c) for c in query.latest_by)
        if dialect == "duckdb":
            inner = (
                f"SELECT * FROM {table} WHERE {where} QUALIFY row_number() OVER "
                f"(PARTITION BY {groups} ORDER BY {time_column} DESC) = 1"
            )
        else:
            inner = (
                f"SELECT DISTINCT ON ({groups}) * FROM {table} WHERE {where} "
                f"ORDER BY {groups}, {time_column} DESC"
            )
    else:
        inner = f"SELECT * FROM {table} WHERE {where}"
    sql = f"SELECT * FROM ({inner}) AS selected"
    order = [column_name(c) for c in query.order_by]
    if query.after is not None:
        if len(query.after) != len(order):
            raise InputError("a keyset page needs one value per ordering column")
        marks = []
        for i, value in enumerate(query.after):
            params[f"after{i}"] = value
            marks.append(placeholder(f"after{i}", dialect))
        op = "<" if query.descending else ">"
        sql += f" WHERE ({', '.join(order)}) {op} ({', '.join(marks)})"
    if order:
        direction = " DESC" if query.descending else ""
        sql += " ORDER BY " + ", ".join(f"{c}{direction}" for c in order)
    if query.limit is not None:
        sql += f" LIMIT {int(query.limit)}"
    return sql, params


def create_sql(table: str, schema: pa.Schema, key: Sequence[str], dialect: Dialect) -> str:
    columns = ", ".join(
        f"{column_name(f.name)} {sql_type(f.type, dialect)}"
        + (" NOT NULL" if f.name in key else "")
        for f in schema
    )
    primary = ""
    if dialect == "postgresql" and key:
        primary = f", PRIMARY KEY ({', '.join(column_name(k) for k in key)})"
    return f"CREATE TABLE IF NOT EXISTS {table} ({columns}{primary})"


def empty_cells() -> pa.Table:
    return pa.Table.from_batches([], schema=CELL_SCHEMA)
