"""Typed values of the SensorThings ``$filter`` compiler: constants known at compile time, SQL
expressions of a known kind, and the composite values (JSON paths, intervals, points) that only
become SQL once the other side of a comparison tells their type. Pure helpers for constant folding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, String, literal
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from ecodata.protocols import odata_dialects as d
from ecodata.protocols.odata_ast import (
    BinaryOperator,
    BooleanLiteral,
    DateLiteral,
    DateTimeLiteral,
    DecimalLiteral,
    DurationLiteral,
    Expr,
    GeographyLiteral,
    IntegerLiteral,
    IntervalLiteral,
    NullLiteral,
    StringLiteral,
    TimeLiteral,
)
from ecodata.protocols.odata_geometry import Geometry

MIN_DATETIME = datetime(1, 1, 1, tzinfo=UTC)
MAX_DATETIME = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
NUMERIC = ("integer", "number")

# --- typed values ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    """A value known at compile time: str, int, Decimal, bool, datetime, date, time, timedelta."""

    kind: str
    value: Any


@dataclass(frozen=True, slots=True)
class Sql:
    """A SQL expression of a known kind (string, integer, number, boolean, datetime, date, time,
    duration — durations are seconds). ``aware`` marks time-zone-aware date-times."""

    kind: str
    expr: ColumnElement[Any]
    aware: bool = False


@dataclass(frozen=True, slots=True)
class JsonRef:
    document: ColumnElement[Any]
    keys: tuple[str, ...]
    jsonb: bool

    def as_(self, kind: str) -> ColumnElement[Any]:
        return d.JsonValue(self.document, self.keys, kind, self.jsonb)


@dataclass(frozen=True, slots=True)
class IntervalRef:
    start: ColumnElement[Any]
    end: ColumnElement[Any]
    aware: bool


@dataclass(frozen=True, slots=True)
class PointRef:
    lon: ColumnElement[Any]
    lat: ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Null:
    pass


@dataclass(frozen=True, slots=True)
class IntervalConst:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class GeometryConst:
    geometry: Geometry


Value = Const | Sql | JsonRef | IntervalRef | PointRef | Null | IntervalConst | GeometryConst


def literal_value(expr: Expr) -> Value | None:
    if isinstance(expr, NullLiteral):
        return Null()
    if isinstance(expr, BooleanLiteral):
        return Const("boolean", expr.value)
    if isinstance(expr, IntegerLiteral):
        return Const("integer", expr.value)
    if isinstance(expr, DecimalLiteral):
        return Const("number", expr.value)
    if isinstance(expr, StringLiteral):
        return Const("string", expr.value)
    if isinstance(expr, DateTimeLiteral):
        return Const("datetime", expr.value)
    if isinstance(expr, DateLiteral):
        return Const("date", expr.value)
    if isinstance(expr, TimeLiteral):
        return Const("time", expr.value)
    if isinstance(expr, DurationLiteral):
        return Const("duration", expr.value)
    if isinstance(expr, IntervalLiteral):
        return IntervalConst(expr.start, expr.end)
    if isinstance(expr, GeographyLiteral):
        return GeometryConst(expr.geometry)
    return None


def datetime_type(expr: ColumnElement[Any]) -> Any:
    """The column's own date-time type (so a TypeDecorator binds as it stores), else None."""
    kind = expr.type
    impl = kind.impl if isinstance(kind, TypeDecorator) else kind
    return kind if isinstance(impl, DateTime) else None


def is_aware(expr: ColumnElement[Any]) -> bool:
    return bool(getattr(expr.type, "timezone", False))


def bind(value: Const, *, aware: bool = True, type_: Any = None) -> ColumnElement[Any]:
    """A bound parameter for a constant; date-times are sent in UTC (naive for naive columns), with
    the type of the column they are compared with (``type_``) when there is one."""
    kind, v = value.kind, value.value
    if kind == "datetime":
        utc = v.astimezone(UTC)
        return literal(
            utc if aware else utc.replace(tzinfo=None),
            DateTime(timezone=aware) if type_ is None else type_,
        )
    if kind == "string":
        return literal(v, String())
    if kind == "integer":
        return literal(v, Integer())
    if kind == "number":
        return literal(float(v), Float())
    if kind == "boolean":
        return literal(bool(v), Boolean())
    if kind == "date":
        return literal(v, Date())
    if kind == "time":
        return d.time_const(v.isoformat(timespec="microseconds"))
    if kind == "duration":
        return literal(v.total_seconds(), Float())
    raise TypeError(kind)  # pragma: no cover


def as_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def compare_python(op: BinaryOperator, a: Any, b: Any) -> bool:
    if isinstance(a, Decimal | int) and isinstance(b, Decimal | int):
        a, b = Decimal(a), Decimal(b)
    try:
        return bool(
            {
                BinaryOperator.EQ: lambda: a == b,
                BinaryOperator.NE: lambda: a != b,
                BinaryOperator.GT: lambda: a > b,
                BinaryOperator.GE: lambda: a >= b,
                BinaryOperator.LT: lambda: a < b,
                BinaryOperator.LE: lambda: a <= b,
            }[op]()
        )
    except TypeError:
        return False


def fold_numeric(op: BinaryOperator, a: Any, b: Any, integer: bool) -> Any:
    x, y = Decimal(a), Decimal(b)
    if op is BinaryOperator.ADD:
        result = x + y
    elif op is BinaryOperator.SUB:
        result = x - y
    elif op is BinaryOperator.MUL:
        result = x * y
    elif y == 0:
        return None
    elif op is BinaryOperator.DIV:
        result = Decimal(int(x / y)) if integer else x / y
    else:
        result = x - y * Decimal(int(x / y))
    return int(result) if integer else result
