"""The built-in query functions of OGC 18-088 Table 23 (``$filter``), compiled to SQL.

Constant arguments are folded in Python; everything else becomes SQL through the dialect constructs
of :mod:`ecodata.protocols.odata_dialects`. String positions of ``indexof`` are 1-based, as in the
18-088 Table 23 example ``indexof(description,'Sensor') eq 1`` (and FROST-Server); ``substring``
offsets are 0-based (``substring(description,1) eq 'ensor Things'``).

Spatial functions take a location (a point: longitude/latitude columns) and a ``geography'…'``
literal, in either order. Point–point relations and distances are plain SQL; a point against a line
or polygon is a bounding-box test plus the exact SQL function ``ecodata_st(op, lon, lat, wkt)`` (see
:func:`ecodata.protocols.odata_geometry.ecodata_st`), so an index on the coordinates can serve the
box.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from ecodata.protocols import odata_dialects as d
from ecodata.protocols.odata_ast import Call
from ecodata.protocols.odata_geometry import (
    PREDICATES,
    Geometry,
    matches,
    point_distance,
    point_matrix,
    point_relation,
    transpose,
    valid_pattern,
)
from ecodata.protocols.odata_sql import Compiler
from ecodata.protocols.odata_values import (
    MAX_DATETIME,
    MIN_DATETIME,
    Const,
    GeometryConst,
    PointRef,
    Sql,
    Value,
)


def _fn_contains(c: Compiler, expr: Call) -> Value:
    a, b = (c.string_arg(v, expr) for v in c.args(expr))
    haystack, needle = (b, a) if expr.name == "substringof" else (a, b)
    if isinstance(haystack, Const) and isinstance(needle, Const):
        return Const("boolean", needle.value in haystack.value)
    return Sql("boolean", d.StrPos(c.sql(haystack), c.sql(needle)) > 0)


def _fn_startswith(c: Compiler, expr: Call) -> Value:
    text, prefix = (c.string_arg(v, expr) for v in c.args(expr))
    if isinstance(text, Const) and isinstance(prefix, Const):
        return Const("boolean", text.value.startswith(prefix.value))
    t, p = c.sql(text), c.sql(prefix)
    return Sql("boolean", func.substr(t, 1, func.length(p)) == p)


def _fn_endswith(c: Compiler, expr: Call) -> Value:
    text, suffix = (c.string_arg(v, expr) for v in c.args(expr))
    if isinstance(text, Const) and isinstance(suffix, Const):
        return Const("boolean", text.value.endswith(suffix.value))
    return Sql("boolean", d.EndsWith(c.sql(text), c.sql(suffix)))


def _fn_length(c: Compiler, expr: Call) -> Value:
    (text,) = (c.string_arg(v, expr) for v in c.args(expr))
    if isinstance(text, Const):
        return Const("integer", len(text.value))
    return Sql("integer", func.length(c.sql(text)))


def _fn_indexof(c: Compiler, expr: Call) -> Value:
    text, sub = (c.string_arg(v, expr) for v in c.args(expr))
    if isinstance(text, Const) and isinstance(sub, Const):
        return Const("integer", text.value.find(sub.value) + 1)
    return Sql("integer", d.StrPos(c.sql(text), c.sql(sub)))


def _int_arg(c: Compiler, value: Value, expr: Call) -> ColumnElement[Any] | int:
    number = c.number_arg(value, expr)
    if isinstance(number, Const):
        if number.kind != "integer":
            raise c.error(f"{expr.name}() needs integer positions", expr)
        return int(number.value)
    return cast(number.expr, Integer)


def _fn_substring(c: Compiler, expr: Call) -> Value:
    values = c.args(expr)
    text = c.string_arg(values[0], expr)
    start = _int_arg(c, values[1], expr)
    length = _int_arg(c, values[2], expr) if len(values) == 3 else None
    if isinstance(start, int) and start < 0:
        raise c.error("substring() start must not be negative", expr)
    if isinstance(length, int) and length < 0:
        raise c.error("substring() length must not be negative", expr)
    if (
        isinstance(text, Const)
        and isinstance(start, int)
        and (length is None or isinstance(length, int))
    ):
        end = None if length is None else start + length
        return Const("string", text.value[start:end])
    begin = start + 1
    if length is None:
        return Sql("string", func.substr(c.sql(text), begin))
    if not isinstance(length, int):
        length = case((length < 0, 0), else_=length)
    return Sql("string", func.substr(c.sql(text), begin, length))


def _fn_case(name: str) -> Callable[[Compiler, Call], Value]:
    def handler(c: Compiler, expr: Call) -> Value:
        (text,) = (c.string_arg(v, expr) for v in c.args(expr))
        if isinstance(text, Const):
            value: str = text.value
            folded = (
                value.lower()
                if name == "tolower"
                else value.upper()
                if name == "toupper"
                else value.strip(" ")
            )
            return Const("string", folded)
        sql = c.sql(text)
        if name == "tolower":
            return Sql("string", func.lower(sql))
        return Sql("string", func.upper(sql) if name == "toupper" else func.trim(sql))

    return handler


def _fn_concat(c: Compiler, expr: Call) -> Value:
    a, b = (c.string_arg(v, expr) for v in c.args(expr))
    if isinstance(a, Const) and isinstance(b, Const):
        return Const("string", a.value + b.value)
    return Sql("string", c.sql(a).concat(c.sql(b)))


def _fn_part(c: Compiler, expr: Call) -> Value:
    (value,) = (c.datetime_arg(v, expr) for v in c.args(expr))
    if isinstance(value, Const):
        t = value.value.astimezone(UTC)
        if expr.name == "fractionalseconds":
            return Const("number", Decimal(t.microsecond) / Decimal(1_000_000))
        return Const("integer", getattr(t, expr.name))
    return Sql(
        "number" if expr.name == "fractionalseconds" else "integer",
        d.DatePart(expr.name, value.expr, value.aware),
    )


def _fn_date(c: Compiler, expr: Call) -> Value:
    (value,) = (c.datetime_arg(v, expr) for v in c.args(expr))
    if isinstance(value, Const):
        return Const("date", value.value.astimezone(UTC).date())
    return Sql("date", d.DateOf(value.expr, value.aware))


def _fn_time(c: Compiler, expr: Call) -> Value:
    (value,) = (c.datetime_arg(v, expr) for v in c.args(expr))
    if isinstance(value, Const):
        return Const("time", value.value.astimezone(UTC).time())
    return Sql("time", d.TimeOf(value.expr, value.aware))


def _fn_offset(c: Compiler, expr: Call) -> Value:
    (value,) = (c.datetime_arg(v, expr) for v in c.args(expr))
    if isinstance(value, Const):
        offset = value.value.utcoffset() or timedelta(0)
        return Const("integer", int(offset.total_seconds() // 60))
    # stored date-times are UTC (18-088 leaves the stored offset to the server)
    return Sql("integer", case((value.expr.is_(None), null()), else_=literal(0, Integer())))


def _fn_now(c: Compiler, expr: Call) -> Value:
    return Const(
        "datetime", {"now": c.now, "mindatetime": MIN_DATETIME}.get(expr.name, MAX_DATETIME)
    )


def _fn_round(c: Compiler, expr: Call) -> Value:
    (value,) = (c.number_arg(v, expr) for v in c.args(expr))
    if isinstance(value, Const):
        mode = {"round": ROUND_HALF_UP, "floor": ROUND_FLOOR, "ceiling": ROUND_CEILING}[expr.name]
        return Const("integer", int(Decimal(value.value).quantize(Decimal(1), rounding=mode)))
    if value.kind == "integer":
        return value
    if expr.name == "round":
        return Sql("number", d.RoundHalfAway(value.expr))
    return Sql("number", (func.floor if expr.name == "floor" else func.ceiling)(value.expr))


def _geo_args(c: Compiler, expr: Call) -> list[PointRef | GeometryConst]:
    out: list[PointRef | GeometryConst] = []
    for value in c.args(expr)[:2]:
        if not isinstance(value, PointRef | GeometryConst):
            raise c.error(
                f"{expr.name}() needs locations or geography'…' literals",
                expr,
                "a location property (points) or geography'POINT (lon lat)'",
            )
        out.append(value)
    return out


def _point_equal(p: PointRef, x: float, y: float) -> ColumnElement[bool]:
    return and_(p.lon == literal(x, Float()), p.lat == literal(y, Float()))


def _fn_distance(c: Compiler, expr: Call) -> Value:
    a, b = _geo_args(c, expr)
    if isinstance(a, GeometryConst) and isinstance(b, PointRef):
        a, b = b, a
    if isinstance(a, GeometryConst) and isinstance(b, GeometryConst):
        point, other = _point_and_other(c, a.geometry, b.geometry, expr)
        return Const("number", Decimal(repr(point_distance(point, other))))
    assert isinstance(a, PointRef)
    if isinstance(b, PointRef):
        return Sql("number", func.sqrt(_square(a.lon - b.lon) + _square(a.lat - b.lat)))
    geometry = b.geometry
    if geometry.kind == "POINT":  # planar distance in degrees, as FROST on PostGIS geometry
        x, y = geometry.parts[0][0]
        return Sql(
            "number",
            func.sqrt(_square(a.lon - literal(x, Float())) + _square(a.lat - literal(y, Float()))),
        )
    return Sql(
        "number", func.ecodata_st("distance", a.lon, a.lat, literal(geometry.wkt(), String()))
    )


def _square(x: ColumnElement[Any]) -> ColumnElement[Any]:
    return x * x


def _point_and_other(
    c: Compiler, g1: Geometry, g2: Geometry, expr: Call
) -> tuple[tuple[float, float], Geometry]:
    if g1.kind == "POINT":
        return g1.parts[0][0], g2
    if g2.kind == "POINT":
        return g2.parts[0][0], g1
    raise c.error(f"{expr.name}() between two non-point geometries is not supported", expr)


def _fn_length_geo(c: Compiler, expr: Call) -> Value:
    (value,) = c.args(expr)
    if isinstance(value, GeometryConst):
        return Const("number", Decimal(repr(value.geometry.length())))
    if isinstance(value, PointRef):  # locations are points: length 0
        return Sql("number", case((value.lon.is_(None), null()), else_=literal(0.0, Float())))
    raise c.error("geo.length() needs a geometry", expr)


def _fn_spatial(c: Compiler, expr: Call) -> Value:
    op = "intersects" if expr.name == "geo.intersects" else expr.name.removeprefix("st_")
    a, b = _geo_args(c, expr)
    pattern = ""
    if op == "relate":
        raw = c.args(expr)[2]
        if not (isinstance(raw, Const) and raw.kind == "string" and valid_pattern(raw.value)):
            raise c.error("st_relate() needs a DE-9IM pattern such as 'T*F**F***'", expr)
        pattern = raw.value.upper()
    swapped = isinstance(a, GeometryConst) and isinstance(b, PointRef)
    if swapped:
        a, b = b, a
        op = {"within": "contains", "contains": "within"}.get(op, op)
        pattern = transpose(pattern) if pattern else ""
    if isinstance(a, GeometryConst) and isinstance(b, GeometryConst):
        if a.geometry.kind != "POINT":
            if b.geometry.kind != "POINT":
                raise c.error(
                    f"{expr.name}() between two non-point geometries is not supported", expr
                )
            a, b = b, a
            op = {"within": "contains", "contains": "within"}.get(op, op)
            pattern = transpose(pattern) if pattern else ""
        point = a.geometry.parts[0][0]
        if pattern:
            return Const("boolean", matches(point_matrix(point, b.geometry), pattern))
        return Const("boolean", point_relation(op, point, b.geometry))
    assert isinstance(a, PointRef)
    if isinstance(b, PointRef):
        return Sql("boolean", _point_point(op, pattern, a, and_(a.lon == b.lon, a.lat == b.lat)))
    geometry = b.geometry
    if geometry.kind == "POINT":
        x, y = geometry.parts[0][0]
        return Sql("boolean", _point_point(op, pattern, a, _point_equal(a, x, y)))
    if op not in PREDICATES and op != "relate":  # pragma: no cover - names come from the parser
        raise c.error(f"unknown spatial function {expr.name}", expr)
    code = f"relate:{pattern}" if pattern else op
    exact = func.ecodata_st(code, a.lon, a.lat, literal(geometry.wkt(), String())) == 1
    if pattern:
        return Sql("boolean", exact)
    minx, miny, maxx, maxy = geometry.bbox()
    box = and_(
        a.lon.between(literal(minx, Float()), literal(maxx, Float())),
        a.lat.between(literal(miny, Float()), literal(maxy, Float())),
    )
    if op == "disjoint":
        return Sql("boolean", or_(not_(box), exact))
    return Sql("boolean", and_(box, exact))


def _point_point(
    op: str, pattern: str, p: PointRef, equal: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Relations of two points in pure SQL (both interiors are the points themselves)."""
    present = and_(p.lon.is_not(None), p.lat.is_not(None))
    if pattern:
        same = matches("0FFFFFFF2", pattern)
        differ = matches("FF0FFF0F2", pattern)
        if same == differ:
            return and_(present, true() if same else false())
        return and_(present, equal if same else not_(equal))
    if op in ("equals", "intersects", "within", "contains"):
        return equal
    if op == "disjoint":
        return and_(present, not_(equal))
    return false()  # touches, overlaps, crosses are never true between two points


FUNCTIONS: dict[str, Callable[[Compiler, Call], Value]] = {
    "substringof": _fn_contains,
    "contains": _fn_contains,
    "startswith": _fn_startswith,
    "endswith": _fn_endswith,
    "length": _fn_length,
    "indexof": _fn_indexof,
    "substring": _fn_substring,
    "tolower": _fn_case("tolower"),
    "toupper": _fn_case("toupper"),
    "trim": _fn_case("trim"),
    "concat": _fn_concat,
    **dict.fromkeys(
        ("year", "month", "day", "hour", "minute", "second", "fractionalseconds"), _fn_part
    ),
    "date": _fn_date,
    "time": _fn_time,
    "totaloffsetminutes": _fn_offset,
    "now": _fn_now,
    "mindatetime": _fn_now,
    "maxdatetime": _fn_now,
    "round": _fn_round,
    "floor": _fn_round,
    "ceiling": _fn_round,
    "geo.distance": _fn_distance,
    "geo.length": _fn_length_geo,
    "geo.intersects": _fn_spatial,
    **{f"st_{name}": _fn_spatial for name in (*PREDICATES, "relate")},
}
