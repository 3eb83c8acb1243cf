"""SQL constructs whose spelling differs between SQLite, PostgreSQL and DuckDB.

Each construct is a SQLAlchemy expression compiled per dialect with ``sqlalchemy.ext.compiler``;
the compiler in :mod:`ecodata.protocols.odata_sql` only builds these, never dialect-specific text.
Dialect names: ``sqlite``, ``postgresql``, ``duckdb`` (duckdb-engine); anything else gets the
``default`` spelling, which is standard SQL where one exists.

Conventions fixed here for every database (18-088 Table 23 semantics):

* string positions are 1-based (``indexof``, as in the 18-088 example ``indexof(description,
  'Sensor') eq 1``), substring offsets 0-based (OData); matching is case-sensitive everywhere
  (no ``LIKE``: SQLite's is case-insensitive);
* date parts are taken in UTC (time-zone-aware columns are converted first);
* ``round`` rounds half away from zero (PostgreSQL's ``round(double)`` rounds half to even, so the
  value goes through ``numeric`` there);
* JSON values compare only with literals of their own JSON type (a JSON string ``"7"`` is not the
  number 7), identically on all three databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, String, Time, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import (
    BindParameter,
    Cast,
    ColumnClause,
    ColumnElement,
    Grouping,
    Null,
)
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

_ATOMIC = (ColumnClause, BindParameter, FunctionElement, Grouping, Cast, Null)


def _operands(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    """The compiled arguments; compound ones in parentheses (they are pasted next to operators)."""
    out = []
    for clause in element.clauses:
        text = compiler.process(clause, **kw)
        out.append(text if isinstance(clause, _ATOMIC) else f"({text})")
    return out


# --- strings --------------------------------------------------------------------------------------


class StrPos(FunctionElement[int]):
    """1-based position of ``needle`` in ``haystack``; 0 when absent."""

    type = Integer()
    inherit_cache = True
    name = "strpos"


@compiles(StrPos)
def _strpos_default(element: StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = _operands(element, compiler, **kw)
    return f"POSITION({needle} IN {haystack})"


@compiles(StrPos, "sqlite")
def _strpos_sqlite(element: StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = _operands(element, compiler, **kw)
    return f"instr({haystack}, {needle})"


@compiles(StrPos, "postgresql")
@compiles(StrPos, "duckdb")
def _strpos_pg(element: StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = _operands(element, compiler, **kw)
    return f"strpos({haystack}, {needle})"


class EndsWith(FunctionElement[bool]):
    type = Boolean()
    inherit_cache = True
    name = "ends_with"


@compiles(EndsWith)
def _endswith_default(element: EndsWith, compiler: SQLCompiler, **kw: Any) -> str:
    text, suffix = _operands(element, compiler, **kw)
    return (
        f"(length({text}) >= length({suffix}) AND "
        f"substr({text}, length({text}) - length({suffix}) + 1) = {suffix})"
    )


@compiles(EndsWith, "postgresql")
def _endswith_pg(element: EndsWith, compiler: SQLCompiler, **kw: Any) -> str:
    text, suffix = _operands(element, compiler, **kw)
    return f"(right({text}, length({suffix})) = {suffix})"


@compiles(EndsWith, "duckdb")
def _endswith_duckdb(element: EndsWith, compiler: SQLCompiler, **kw: Any) -> str:
    text, suffix = _operands(element, compiler, **kw)
    return f"ends_with({text}, {suffix})"


# --- date and time --------------------------------------------------------------------------------

_SQLITE_PARTS = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
}


class DatePart(FunctionElement[Any]):
    """``year`` … ``second`` (integers) and ``fractionalseconds`` (0 ≤ x < 1) of a date-time, in
    UTC. ``aware`` tells that the argument is a time-zone-aware timestamp (converted to UTC)."""

    inherit_cache = True
    name = "date_part"
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy cache-key declaration
        *FunctionElement._traverse_internals,
        ("part", InternalTraversal.dp_string),
        ("aware", InternalTraversal.dp_boolean),
    ]

    def __init__(self, part: str, value: ColumnElement[Any], aware: bool) -> None:
        self.part = part
        self.aware = aware
        self.type = Float() if part == "fractionalseconds" else Integer()
        super().__init__(value)


def _utc(element: DatePart | DateOf | TimeOf, value: str) -> str:
    return f"timezone('UTC', {value})" if element.aware else value


@compiles(DatePart)
@compiles(DatePart, "postgresql")
def _datepart_pg(element: DatePart, compiler: SQLCompiler, **kw: Any) -> str:
    value = _utc(element, _operands(element, compiler, **kw)[0])
    if element.part == "fractionalseconds":
        return f"(mod(CAST(EXTRACT(MICROSECONDS FROM {value}) AS INTEGER), 1000000) / 1000000.0)"
    if element.part == "second":
        return f"CAST(FLOOR(EXTRACT(SECOND FROM {value})) AS INTEGER)"
    return f"CAST(EXTRACT({element.part.upper()} FROM {value}) AS INTEGER)"


@compiles(DatePart, "duckdb")
def _datepart_duckdb(element: DatePart, compiler: SQLCompiler, **kw: Any) -> str:
    value = _utc(element, _operands(element, compiler, **kw)[0])
    if element.part == "fractionalseconds":
        return f"(microsecond({value}) % 1000000 / 1000000.0)"
    return f"CAST(date_part('{element.part}', {value}) AS INTEGER)"


@compiles(DatePart, "sqlite")
def _datepart_sqlite(element: DatePart, compiler: SQLCompiler, **kw: Any) -> str:
    value = _operands(element, compiler, **kw)[0]
    if element.part == "fractionalseconds":  # SQLite keeps milliseconds in %f
        return (
            f"round(CAST(strftime('%f', {value}) AS REAL) - "
            f"CAST(strftime('%S', {value}) AS INTEGER), 3)"
        )
    return f"CAST(strftime('{_SQLITE_PARTS[element.part]}', {value}) AS INTEGER)"


class DateOf(FunctionElement[Any]):
    """The UTC calendar date of a date-time (``date()``)."""

    type = Date()
    inherit_cache = True
    name = "date_of"
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy cache-key declaration
        *FunctionElement._traverse_internals,
        ("aware", InternalTraversal.dp_boolean),
    ]

    def __init__(self, value: ColumnElement[Any], aware: bool) -> None:
        self.aware = aware
        super().__init__(value)


@compiles(DateOf)
def _dateof_default(element: DateOf, compiler: SQLCompiler, **kw: Any) -> str:
    value = _utc(element, _operands(element, compiler, **kw)[0])
    return f"CAST({value} AS DATE)"


@compiles(DateOf, "sqlite")
def _dateof_sqlite(element: DateOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({_operands(element, compiler, **kw)[0]})"


class TimeOf(FunctionElement[Any]):
    """The UTC time of day of a date-time (``time()``). On SQLite a text ``HH:MM:SS.SSS``."""

    type = Time()
    inherit_cache = True
    name = "time_of"
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy cache-key declaration
        *FunctionElement._traverse_internals,
        ("aware", InternalTraversal.dp_boolean),
    ]

    def __init__(self, value: ColumnElement[Any], aware: bool) -> None:
        self.aware = aware
        super().__init__(value)


@compiles(TimeOf)
def _timeof_default(element: TimeOf, compiler: SQLCompiler, **kw: Any) -> str:
    value = _utc(element, _operands(element, compiler, **kw)[0])
    return f"CAST({value} AS TIME)"


@compiles(TimeOf, "sqlite")
def _timeof_sqlite(element: TimeOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%H:%M:%f', {_operands(element, compiler, **kw)[0]})"


class TimeConst(FunctionElement[Any]):
    """A time-of-day literal given as ``HH:MM:SS.ffffff`` text, comparable with :class:`TimeOf`."""

    type = Time()
    inherit_cache = True
    name = "time_const"


@compiles(TimeConst)
def _timeconst_default(element: TimeConst, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({_operands(element, compiler, **kw)[0]} AS TIME)"


@compiles(TimeConst, "sqlite")
def _timeconst_sqlite(element: TimeConst, compiler: SQLCompiler, **kw: Any) -> str:
    # strftime('%H:%M:%f') has milliseconds: keep the first 12 characters (HH:MM:SS.mmm)
    return f"substr({_operands(element, compiler, **kw)[0]}, 1, 12)"


def time_const(text: str) -> TimeConst:
    return TimeConst(literal(text, String()))


class ShiftSeconds(FunctionElement[Any]):
    """A date-time moved by a number of seconds (``t add duration'PT1H'``); typed like ``value``."""

    inherit_cache = True
    name = "shift_seconds"

    def __init__(self, value: ColumnElement[Any], seconds: ColumnElement[Any]) -> None:
        self.type = value.type
        super().__init__(value, seconds)


@compiles(ShiftSeconds)
@compiles(ShiftSeconds, "postgresql")
def _shift_pg(element: ShiftSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    value, seconds = _operands(element, compiler, **kw)
    return f"({value} + {seconds} * INTERVAL '1 second')"


@compiles(ShiftSeconds, "duckdb")
def _shift_duckdb(element: ShiftSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    value, seconds = _operands(element, compiler, **kw)
    return f"({value} + to_microseconds(CAST(round({seconds} * 1000000) AS BIGINT)))"


@compiles(ShiftSeconds, "sqlite")
def _shift_sqlite(element: ShiftSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    value, seconds = _operands(element, compiler, **kw)
    # the text layout SQLAlchemy stores (YYYY-MM-DD HH:MM:SS.ffffff), to millisecond precision
    return f"strftime('%Y-%m-%d %H:%M:%f000', {value}, ({seconds}) || ' seconds')"


class SecondsBetween(FunctionElement[float]):
    """``a - b`` of two date-times, in seconds."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(SecondsBetween)
@compiles(SecondsBetween, "postgresql")
def _between_pg(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    return f"EXTRACT(EPOCH FROM ({a} - {b}))"


@compiles(SecondsBetween, "duckdb")
def _between_duckdb(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    return f"(date_diff('microsecond', {b}, {a}) / 1000000.0)"


@compiles(SecondsBetween, "sqlite")
def _between_sqlite(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    # julianday() is a double of days: round to the millisecond SQLite keeps
    return f"(round((julianday({a}) - julianday({b})) * 86400000.0) / 1000.0)"


# --- arithmetic -----------------------------------------------------------------------------------


class Divide(FunctionElement[Any]):
    """OData ``div``: integer division when ``integer`` (both operands integers), else real."""

    inherit_cache = True
    name = "odata_div"
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy cache-key declaration
        *FunctionElement._traverse_internals,
        ("integer", InternalTraversal.dp_boolean),
    ]

    def __init__(self, a: ColumnElement[Any], b: ColumnElement[Any], integer: bool) -> None:
        self.integer = integer
        self.type = Integer() if integer else Float()
        super().__init__(a, b)


@compiles(Divide)
@compiles(Divide, "postgresql")
def _divide_pg(element: Divide, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    if element.integer:
        return f"({a} / NULLIF({b}, 0))"
    return f"(CAST({a} AS DOUBLE PRECISION) / NULLIF({b}, 0))"


@compiles(Divide, "sqlite")
def _divide_sqlite(element: Divide, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    if element.integer:
        return f"({a} / NULLIF({b}, 0))"
    return f"(CAST({a} AS REAL) / NULLIF({b}, 0))"


@compiles(Divide, "duckdb")
def _divide_duckdb(element: Divide, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    if element.integer:
        return f"CAST(trunc(CAST({a} AS DOUBLE) / NULLIF({b}, 0)) AS BIGINT)"
    return f"(CAST({a} AS DOUBLE) / NULLIF({b}, 0))"


class Modulo(FunctionElement[Any]):
    """OData ``mod``: remainder with the sign of the dividend (truncated division)."""

    inherit_cache = True
    name = "odata_mod"
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy cache-key declaration
        *FunctionElement._traverse_internals,
        ("integer", InternalTraversal.dp_boolean),
    ]

    def __init__(self, a: ColumnElement[Any], b: ColumnElement[Any], integer: bool) -> None:
        self.integer = integer
        self.type = Integer() if integer else Float()
        super().__init__(a, b)


@compiles(Modulo)
@compiles(Modulo, "postgresql")
def _modulo_pg(element: Modulo, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    if element.integer:
        return f"mod({a}, NULLIF({b}, 0))"
    return f"CAST(mod(CAST({a} AS NUMERIC), CAST(NULLIF({b}, 0) AS NUMERIC)) AS DOUBLE PRECISION)"


@compiles(Modulo, "sqlite")
def _modulo_sqlite(element: Modulo, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    if element.integer:
        return f"({a} % NULLIF({b}, 0))"
    # SQLite's % works on integers only
    return f"({a} - {b} * CAST(CAST({a} AS REAL) / NULLIF({b}, 0) AS INTEGER))"


@compiles(Modulo, "duckdb")
def _modulo_duckdb(element: Modulo, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _operands(element, compiler, **kw)
    value = f"({a} - {b} * trunc(CAST({a} AS DOUBLE) / NULLIF({b}, 0)))"
    return f"CAST({value} AS BIGINT)" if element.integer else value


class RoundHalfAway(FunctionElement[float]):
    """OData ``round``: nearest integer, halves away from zero."""

    type = Float()
    inherit_cache = True
    name = "odata_round"


@compiles(RoundHalfAway)
def _round_default(element: RoundHalfAway, compiler: SQLCompiler, **kw: Any) -> str:
    return f"round({_operands(element, compiler, **kw)[0]})"


@compiles(RoundHalfAway, "postgresql")
def _round_pg(element: RoundHalfAway, compiler: SQLCompiler, **kw: Any) -> str:
    value = _operands(element, compiler, **kw)[0]
    return f"CAST(round(CAST({value} AS NUMERIC)) AS DOUBLE PRECISION)"


# --- JSON -----------------------------------------------------------------------------------------

JSON_AS = ("number", "string", "boolean", "isnull")


class JsonValue(FunctionElement[Any]):
    """The value at ``keys`` inside a JSON column, as a number, string or boolean — NULL when the
    JSON
    value there has another type — or (``as_="isnull"``) whether it is missing or JSON null.

    The first clause is the JSON column; the others are the keys (bound parameters). On PostgreSQL
    ``jsonb`` tells that the column is already ``jsonb`` (else it is cast)."""

    inherit_cache = True
    name = "json_value"
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy cache-key declaration
        *FunctionElement._traverse_internals,
        ("as_", InternalTraversal.dp_string),
        ("jsonb", InternalTraversal.dp_boolean),
        ("sqlite_path", InternalTraversal.dp_string),
    ]

    def __init__(
        self, document: ColumnElement[Any], keys: tuple[str, ...], as_: str, jsonb: bool
    ) -> None:
        self.as_ = as_
        self.jsonb = jsonb
        self.sqlite_path = "$" + "".join(f'."{k}"' for k in keys)
        if as_ == "number":
            self.type = Float()
        elif as_ == "string":
            self.type = String()
        else:
            self.type = Boolean()
        super().__init__(document, *(literal(k, String()) for k in keys))


def _json_parts(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> tuple[str, list[str]]:
    clauses = [compiler.process(c, **kw) for c in element.clauses]
    return clauses[0], clauses[1:]


@compiles(JsonValue)
@compiles(JsonValue, "postgresql")
def _json_pg(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    document, keys = _json_parts(element, compiler, **kw)
    doc = document if element.jsonb else f"CAST({document} AS JSONB)"
    node = f"jsonb_extract_path({doc}, {', '.join(keys)})" if keys else doc
    text = f"jsonb_extract_path_text({doc}, {', '.join(keys)})" if keys else f"({doc} #>> '{{}}')"
    kind = f"jsonb_typeof({node})"
    if element.as_ == "isnull":
        return f"({node} IS NULL OR {kind} = 'null')"
    if element.as_ == "number":
        return f"(CASE WHEN {kind} = 'number' THEN CAST({text} AS DOUBLE PRECISION) END)"
    if element.as_ == "boolean":
        return f"(CASE WHEN {kind} = 'boolean' THEN CAST({text} AS BOOLEAN) END)"
    return f"(CASE WHEN {kind} = 'string' THEN {text} END)"


@compiles(JsonValue, "sqlite")
def _json_sqlite(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    document = compiler.process(next(iter(element.clauses)), **kw)
    path = compiler.process(literal(element.sqlite_path, String()), **kw)
    kind = f"json_type({document}, {path})"
    value = f"json_extract({document}, {path})"
    if element.as_ == "isnull":
        return f"({kind} IS NULL OR {kind} = 'null')"
    if element.as_ == "number":
        return f"(CASE WHEN {kind} IN ('integer', 'real') THEN {value} END)"
    if element.as_ == "boolean":
        return f"(CASE {kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
    return f"(CASE WHEN {kind} = 'text' THEN {value} END)"


@compiles(JsonValue, "duckdb")
def _json_duckdb(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    document = compiler.process(next(iter(element.clauses)), **kw)
    path = compiler.process(literal(element.sqlite_path, String()), **kw)
    kind = f"json_type({document}, {path})"
    text = f"json_extract_string({document}, {path})"
    if element.as_ == "isnull":
        return f"({kind} IS NULL OR {kind} = 'NULL')"
    if element.as_ == "number":
        return (
            f"(CASE WHEN {kind} IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') "
            f"THEN CAST({text} AS DOUBLE) END)"
        )
    if element.as_ == "boolean":
        return f"(CASE WHEN {kind} = 'BOOLEAN' THEN CAST({text} AS BOOLEAN) END)"
    return f"(CASE WHEN {kind} = 'VARCHAR' THEN {text} END)"
