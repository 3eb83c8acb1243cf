"""Compile SensorThings ``$filter`` / ``$orderby`` trees to SQLAlchemy Core expressions.

The compiler is pure: it needs an :class:`~ecodata.protocols.odata_model.EntityModel` and returns
dialect-independent expressions; :mod:`ecodata.protocols.odata_dialects` spells them per database.

Navigation. Each comparison (an *atom*) that mentions navigation paths becomes one correlated
``EXISTS (SELECT 1 FROM <aliased related tables> WHERE <joins> AND <comparison>)`` — never a join of
the outer query, so rows are not multiplied; over a to-many relation the comparison holds if it
holds for *any* related entity (as ``any()``). Lambda operators ``any``/``all`` compile to
``EXISTS`` / ``NOT EXISTS … NOT``. ``$orderby`` over to-one paths uses scalar subqueries.

Nulls. A comparison with NULL is false, and ``not`` is two-valued: ``not (result gt 5)`` is true
when ``result`` is null (``NOT coalesce(p, false)``), as OData 4.01 §5.1.1.1 requires.

Time intervals (Datastream ``phenomenonTime`` …) are half-open ``[start, end)``; OGC 18-088 leaves
their comparison open, so we follow the reference implementation (FROST-Server): against an instant
``t``: ``eq`` start = end = t; ``gt`` start > t; ``ge`` start ≥ t; ``lt`` end ≤ t and start < t;
``le`` end ≤ t; against an interval ``[s2, e2)``: ``eq`` both ends equal; ``gt`` start ≥ e2 and
start > s2; ``ge`` start ≥ s2 and end ≥ e2; ``lt`` end ≤ s2 and start < s2; ``le`` start ≤ s2 and
end ≤ e2; ``ne`` is always ``not eq``. A NULL ``end`` means an instant (end = start).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from ecodata.protocols import odata_dialects as d
from ecodata.protocols.odata_ast import (
    Binary,
    BinaryOperator,
    BooleanLiteral,
    Call,
    Expr,
    In,
    Lambda,
    Negate,
    Not,
    ODataError,
    Path,
)
from ecodata.protocols.odata_model import (
    EntityModel,
    EntitySet,
    Interval,
    Json,
    Scalar,
    ValueType,
    column,
)
from ecodata.protocols.odata_values import (
    NUMERIC,
    Const,
    GeometryConst,
    IntervalConst,
    IntervalRef,
    JsonRef,
    Null,
    PointRef,
    Sql,
    Value,
    as_number,
    bind,
    compare_python,
    datetime_type,
    fold_numeric,
    is_aware,
    literal_value,
)


@dataclass(frozen=True, slots=True)
class Scope:
    """An entity set and the alias its rows are read from."""

    entity: EntitySet
    alias: FromClause


@dataclass
class _Hops:
    """Aliases created for the navigation paths of one atom."""

    froms: list[FromClause] = field(default_factory=list)
    links: list[ColumnElement[bool]] = field(default_factory=list)
    many: bool = False


class Compiler:
    """Compiles expressions of one query option against one entity set.

    ``option`` and ``text`` (the option value) only serve error messages."""

    def __init__(
        self,
        model: EntityModel,
        entity: EntitySet,
        table: FromClause | None = None,
        *,
        now: datetime | None = None,
        option: str = "$filter",
        text: str = "",
    ) -> None:
        self.model = model
        self.root = Scope(entity, entity.table if table is None else table)
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.option = option
        self.text = text
        self.variables: dict[str, Scope] = {}
        self.bound: dict[tuple[int, tuple[str, ...]], Scope] = {}

    def error(self, reason: str, node: Any = None, expected: str = "") -> ODataError:
        pos = getattr(node, "pos", -1)
        return ODataError(reason, option=self.option, text=self.text, offset=pos, expected=expected)

    # --- booleans -------------------------------------------------------------------------------

    def condition(self, expr: Expr) -> ColumnElement[bool]:
        if isinstance(expr, Binary) and expr.op.is_logical:
            left, right = self.condition(expr.left), self.condition(expr.right)
            return and_(left, right) if expr.op is BinaryOperator.AND else or_(left, right)
        if isinstance(expr, Not):
            return not_(func.coalesce(self.condition(expr.operand), false()))
        if isinstance(expr, Lambda):
            return self.lambda_(expr)
        if isinstance(expr, BooleanLiteral):
            return true() if expr.value else false()
        return self.atom(expr)

    def atom(self, expr: Expr) -> ColumnElement[bool]:
        with self.hops(expr) as hops:
            cond = self.to_condition(self.value(expr), expr)
        if not hops.froms:
            return cond
        query = select(literal(1)).select_from(*hops.froms).where(and_(*hops.links, cond))
        return exists(query.correlate_except(*hops.froms))

    def to_condition(self, value: Value, node: Expr) -> ColumnElement[bool]:
        if isinstance(value, Const) and value.kind == "boolean":
            return true() if value.value else false()
        if isinstance(value, Sql) and value.kind == "boolean":
            return value.expr
        if isinstance(value, JsonRef):
            return value.as_("boolean") == true()
        raise self.error(
            "the filter is not a boolean expression", node, "a comparison or predicate"
        )

    def lambda_(self, expr: Lambda) -> ColumnElement[bool]:
        root, names = self.path_root(expr.collection)
        scope, hops = root, _Hops()
        for name in names:
            scope = self.hop(scope, name, expr.collection, hops)
        if not hops.froms:
            raise self.error(
                f"{expr.quantifier}() needs a navigation property before it", expr.collection
            )
        if expr.variable is None or expr.predicate is None:
            cond: ColumnElement[bool] = true()
        else:
            if expr.variable in self.variables or expr.variable == "$it":
                raise self.error(f"lambda variable '{expr.variable}' is already in use", expr)
            self.variables[expr.variable] = scope
            saved, self.bound = self.bound, {}
            try:
                cond = self.condition(expr.predicate)
            finally:
                del self.variables[expr.variable]
                self.bound = saved
        if expr.quantifier == "all":
            cond = not_(func.coalesce(cond, false()))
        query = select(literal(1)).select_from(*hops.froms).where(and_(*hops.links, cond))
        found = exists(query.correlate_except(*hops.froms))
        return not_(found) if expr.quantifier == "all" else found

    # --- navigation -----------------------------------------------------------------------------

    def path_root(self, path: Path) -> tuple[Scope, tuple[str, ...]]:
        first = path.segments[0]
        if first in self.variables:
            return self.variables[first], path.segments[1:]
        if first == "$it":
            return self.root, path.segments[1:]
        return self.root, path.segments

    def hop(self, scope: Scope, name: str, node: Path, hops: _Hops) -> Scope:
        nav = scope.entity.navigation.get(name)
        if nav is None:
            raise self.error(
                f"{scope.entity.name} has no navigation property '{name}'",
                node,
                "one of " + ", ".join(scope.entity.navigation) if scope.entity.navigation else "",
            )
        target = self.model.sets[nav.target]
        alias = target.table.alias()
        extra, link = nav.hop(scope.alias, alias)
        hops.froms.extend([*extra, alias])
        hops.links.append(link)
        hops.many = hops.many or nav.many
        return Scope(target, alias)

    def hops(self, expr: Expr) -> _HopContext:
        return _HopContext(self, expr)

    def bind_paths(self, expr: Expr, hops: _Hops) -> list[tuple[int, tuple[str, ...]]]:
        """Create aliases for the navigation prefixes of every path in ``expr`` (outside
        lambdas)."""
        created: list[tuple[int, tuple[str, ...]]] = []
        for path in _paths(expr):
            root, names = self.path_root(path)
            scope, prefix = root, cast_prefix()
            for name in names[:-1]:
                if name not in scope.entity.navigation:
                    break
                prefix = (*prefix, name)
                key = (id(root), prefix)
                if key not in self.bound:
                    self.bound[key] = self.hop(scope, name, path, hops)
                    created.append(key)
                scope = self.bound[key]
        return created

    # --- values ---------------------------------------------------------------------------------

    def value(self, expr: Expr) -> Value:
        try:
            return self._value(expr)
        except ArithmeticError as exc:  # OverflowError of date-times, decimal overflow
            raise self.error(f"value out of range ({exc})", expr) from None

    def _value(self, expr: Expr) -> Value:
        constant = literal_value(expr)
        if constant is not None:
            return constant
        if isinstance(expr, Path):
            return self.path(expr)
        if isinstance(expr, Binary):
            if expr.op.is_logical:
                return Sql("boolean", self.condition(expr))
            left, right = self.value(expr.left), self.value(expr.right)
            if expr.op.is_comparison:
                return self.compare(expr.op, left, right, expr)
            return self.arithmetic(expr.op, left, right, expr)
        if isinstance(expr, Not):
            return Sql("boolean", self.condition(expr))
        if isinstance(expr, Lambda):
            return Sql("boolean", self.lambda_(expr))
        if isinstance(expr, Negate):
            operand = self.value(expr.operand)
            if isinstance(operand, JsonRef):
                operand = Sql("number", operand.as_("number"))
            if isinstance(operand, Const) and operand.kind in (*NUMERIC, "duration"):
                return Const(operand.kind, -operand.value)
            if isinstance(operand, Sql) and operand.kind in (*NUMERIC, "duration"):
                return Sql(operand.kind, -operand.expr)
            raise self.error("'-' needs a number or a duration", expr)
        if isinstance(expr, In):
            return self.in_(expr)
        if isinstance(expr, Call):
            return self.call(expr)
        raise self.error("unsupported expression", expr)  # pragma: no cover - all nodes handled

    def path(self, path: Path) -> Value:
        root, names = self.path_root(path)
        scope, prefix = root, cast_prefix()
        index = 0
        while index < len(names) and names[index] in scope.entity.navigation:
            prefix = (*prefix, names[index])
            bound = self.bound.get((id(root), prefix))
            if bound is None:
                raise self.error(
                    f"'{'/'.join(names[: index + 1])}' is a navigation property, not a value", path
                )
            scope = bound
            index += 1
        if index == len(names):
            raise self.error(
                f"'{'/'.join(path.segments)}' ends at an entity, not at a property",
                path,
                "a property such as " + "/".join((*path.segments, "name")),
            )
        name, rest = names[index], names[index + 1 :]
        prop = scope.entity.property(name)
        if prop is None:
            known = sorted({"id", *scope.entity.properties, *scope.entity.navigation})
            raise self.error(
                f"{scope.entity.name} has no property '{name}'", path, "one of " + ", ".join(known)
            )
        if isinstance(prop, Json):
            doc = column(prop.ref, scope.alias)
            for key in rest:
                if '"' in key:
                    raise self.error(f"JSON key {key!r} contains a double quote", path)
            return JsonRef(doc, tuple(rest), isinstance(doc.type, JSONB))
        if rest:
            raise self.error(f"'{name}' of {scope.entity.name} has no sub-properties", path)
        if isinstance(prop, Scalar):
            expr = column(prop.ref, scope.alias)
            kind = "number" if prop.type is ValueType.NUMBER else prop.type.value
            return Sql(kind, expr, aware=is_aware(expr))
        if isinstance(prop, Interval):
            start = column(prop.start, scope.alias)
            end = start if prop.end is None else func.coalesce(column(prop.end, scope.alias), start)
            return IntervalRef(start, end, is_aware(start))
        return PointRef(column(prop.longitude, scope.alias), column(prop.latitude, scope.alias))

    # --- materialising constants ------------------------------------------------------------------

    def sql(self, value: Value, like: Value | None = None) -> ColumnElement[Any]:
        """The SQL for a scalar value; constants are bound with the type of ``like``."""
        if isinstance(value, Sql):
            return value.expr
        if isinstance(value, Null):
            return null()
        if isinstance(value, Const):
            if isinstance(like, Sql) and like.kind == "datetime" == value.kind:
                return bind(value, aware=like.aware, type_=datetime_type(like.expr))
            return bind(value, aware=like.aware if isinstance(like, Sql) else True)
        raise TypeError(value)  # pragma: no cover - callers pass scalars

    # --- comparison -----------------------------------------------------------------------------

    def compare(self, op: BinaryOperator, left: Value, right: Value, node: Expr) -> Value:
        if isinstance(left, Null) or isinstance(right, Null):
            return self.compare_null(op, right if isinstance(left, Null) else left, node)
        if isinstance(left, IntervalRef | IntervalConst) or isinstance(
            right, IntervalRef | IntervalConst
        ):
            return Sql("boolean", self.compare_interval(op, left, right, node))
        if isinstance(left, PointRef | GeometryConst) or isinstance(
            right, PointRef | GeometryConst
        ):
            raise self.error("geometries are compared with st_equals() or geo.distance()", node)
        left, right = self.unify(left, right, node)
        if isinstance(left, Const) and isinstance(right, Const):
            return Const("boolean", compare_python(op, left.value, right.value))
        a, b = self.sql(left, right), self.sql(right, left)
        return Sql("boolean", _COMPARE[op](a, b))

    def compare_null(self, op: BinaryOperator, other: Value, node: Expr) -> Value:
        if op not in (BinaryOperator.EQ, BinaryOperator.NE):
            return Const("boolean", False)
        if isinstance(other, Null | Const):
            return Const("boolean", isinstance(other, Null) == (op is BinaryOperator.EQ))
        if isinstance(other, JsonRef):
            cond: ColumnElement[bool] = other.as_("isnull")
        elif isinstance(other, IntervalRef):
            cond = other.start.is_(None)
        elif isinstance(other, PointRef):
            cond = or_(other.lon.is_(None), other.lat.is_(None))
        elif isinstance(other, Sql):
            cond = other.expr.is_(None)
        else:
            raise self.error("cannot compare this value with null", node)
        return Sql("boolean", cond if op is BinaryOperator.EQ else not_(cond))

    def unify(self, left: Value, right: Value, node: Expr) -> tuple[Const | Sql, Const | Sql]:
        """Bring both sides to one kind (numbers mix; JSON takes the other side's kind)."""
        if isinstance(left, JsonRef) and isinstance(right, JsonRef):
            raise self.error(
                "cannot compare two JSON values: the type of neither is known",
                node,
                "a literal or a typed property on one side",
            )
        if isinstance(left, JsonRef):
            return self.json_as(left, right, node), self.scalar(right, node)
        if isinstance(right, JsonRef):
            return self.scalar(left, node), self.json_as(right, left, node)
        a, b = self.scalar(left, node), self.scalar(right, node)
        if a.kind == b.kind or (a.kind in NUMERIC and b.kind in NUMERIC):
            return a, b
        # a numeric property against a numeric string ('3', ets-sta10 checkQueriesPriorityOrdering)
        for x, y in ((a, b), (b, a)):
            if x.kind in NUMERIC and isinstance(y, Const) and y.kind == "string":
                number = as_number(y.value)
                if number is not None:
                    converted = Const("number", number)
                    return (x, converted) if x is a else (converted, x)
        raise self.error(f"cannot compare {a.kind} with {b.kind}", node)

    def scalar(self, value: Value, node: Expr) -> Const | Sql:
        if isinstance(value, Const | Sql):
            return value
        if isinstance(value, JsonRef):
            raise self.error("a JSON value needs a typed counterpart here", node)
        raise self.error("this value cannot be used here", node)

    def json_as(self, ref: JsonRef, other: Value, node: Expr) -> Sql:
        kind = other.kind if isinstance(other, Const | Sql) else "number"
        if kind in NUMERIC:
            return Sql("number", ref.as_("number"))
        if kind in ("string", "boolean"):
            return Sql(kind, ref.as_(kind))
        raise self.error(f"JSON values compare with strings, numbers or booleans, not {kind}", node)

    def compare_interval(
        self, op: BinaryOperator, left: Value, right: Value, node: Expr
    ) -> ColumnElement[bool]:
        if not isinstance(left, IntervalRef | IntervalConst):
            left, right, op = right, left, _FLIP[op]
        assert isinstance(left, IntervalRef | IntervalConst)
        s1, e1, aware = self.interval_ends(left)
        if isinstance(right, IntervalRef | IntervalConst):
            s2, e2, _ = self.interval_ends(right, aware)
            rules = {
                BinaryOperator.EQ: and_(s1 == s2, e1 == e2),
                BinaryOperator.GT: and_(s1 >= e2, s1 > s2),
                BinaryOperator.GE: and_(s1 >= s2, e1 >= e2),
                BinaryOperator.LT: and_(e1 <= s2, s1 < s2),
                BinaryOperator.LE: and_(s1 <= s2, e1 <= e2),
            }
        else:
            scalar = self.scalar(right, node)
            if scalar.kind != "datetime":
                raise self.error(
                    f"a time interval compares with date-times, not {scalar.kind}", node
                )
            t = self.sql(scalar, Sql("datetime", s1, aware))
            rules = {
                BinaryOperator.EQ: and_(s1 == t, e1 == t),
                BinaryOperator.GT: s1 > t,
                BinaryOperator.GE: s1 >= t,
                BinaryOperator.LT: and_(e1 <= t, s1 < t),
                BinaryOperator.LE: e1 <= t,
            }
        if op is BinaryOperator.NE:
            return not_(func.coalesce(rules[BinaryOperator.EQ], false()))
        return rules[op]

    def interval_ends(
        self, value: IntervalRef | IntervalConst, aware: bool = True
    ) -> tuple[ColumnElement[Any], ColumnElement[Any], bool]:
        if isinstance(value, IntervalRef):
            return value.start, value.end, value.aware
        return (
            bind(Const("datetime", value.start), aware=aware),
            bind(Const("datetime", value.end), aware=aware),
            aware,
        )

    def in_(self, expr: In) -> Value:
        operand = self.value(expr.operand)
        conditions = [
            self.compare(BinaryOperator.EQ, operand, self.value(item), expr) for item in expr.items
        ]
        if all(isinstance(c, Const) for c in conditions):
            return Const("boolean", any(c.value for c in conditions if isinstance(c, Const)))
        return Sql("boolean", or_(*(self.to_condition(c, expr) for c in conditions)))

    # --- arithmetic -----------------------------------------------------------------------------

    def arithmetic(self, op: BinaryOperator, left: Value, right: Value, node: Expr) -> Value:
        left = Sql("number", left.as_("number")) if isinstance(left, JsonRef) else left
        right = Sql("number", right.as_("number")) if isinstance(right, JsonRef) else right
        if isinstance(left, Null) or isinstance(right, Null):
            return Null()
        if (
            isinstance(left, IntervalRef)
            and isinstance(right, Const | Sql)
            and right.kind == "duration"
        ):
            seconds = self.sql(right)
            sign = 1 if op is BinaryOperator.ADD else -1
            if op not in (BinaryOperator.ADD, BinaryOperator.SUB):
                raise self.error("intervals can only be shifted by add/sub of a duration", node)
            return IntervalRef(
                d.ShiftSeconds(left.start, sign * seconds),
                d.ShiftSeconds(left.end, sign * seconds),
                left.aware,
            )
        a, b = self.scalar(left, node), self.scalar(right, node)
        kinds = (a.kind, b.kind)
        if a.kind in NUMERIC and b.kind in NUMERIC:
            return self.numeric(op, a, b)
        if kinds == ("datetime", "duration") and op in (BinaryOperator.ADD, BinaryOperator.SUB):
            if isinstance(a, Const) and isinstance(b, Const):
                return Const(
                    "datetime", a.value + b.value if op is BinaryOperator.ADD else a.value - b.value
                )
            seconds = self.sql(b)
            return Sql(
                "datetime",
                d.ShiftSeconds(self.sql(a), seconds if op is BinaryOperator.ADD else -seconds),
                a.aware if isinstance(a, Sql) else True,
            )
        if kinds == ("duration", "datetime") and op is BinaryOperator.ADD:
            return self.arithmetic(op, b, a, node)
        if kinds == ("datetime", "datetime") and op is BinaryOperator.SUB:
            if isinstance(a, Const) and isinstance(b, Const):
                return Const("duration", a.value - b.value)
            return Sql("duration", d.SecondsBetween(self.sql(a, b), self.sql(b, a)))
        if kinds == ("duration", "duration") and op in (BinaryOperator.ADD, BinaryOperator.SUB):
            if isinstance(a, Const) and isinstance(b, Const):
                return Const(
                    "duration", a.value + b.value if op is BinaryOperator.ADD else a.value - b.value
                )
            x, y = self.sql(a), self.sql(b)
            return Sql("duration", x + y if op is BinaryOperator.ADD else x - y)
        raise self.error(f"cannot {op.value} {a.kind} and {b.kind}", node)

    def numeric(self, op: BinaryOperator, a: Const | Sql, b: Const | Sql) -> Value:
        integer = a.kind == b.kind == "integer"
        kind = "integer" if integer else "number"
        if isinstance(a, Const) and isinstance(b, Const):
            folded = fold_numeric(op, a.value, b.value, integer)
            return Null() if folded is None else Const(kind, folded)
        x, y = self.sql(a), self.sql(b)
        if op is BinaryOperator.ADD:
            return Sql(kind, x + y)
        if op is BinaryOperator.SUB:
            return Sql(kind, x - y)
        if op is BinaryOperator.MUL:
            return Sql(kind, x * y)
        if op is BinaryOperator.DIV:
            return Sql(kind, d.Divide(x, y, integer))
        return Sql(kind, d.Modulo(x, y, integer))

    # --- functions ------------------------------------------------------------------------------

    def call(self, expr: Call) -> Value:
        from ecodata.protocols.odata_functions import FUNCTIONS

        handler = FUNCTIONS.get(expr.name)
        if handler is None:  # pragma: no cover - the parser admits only known names
            raise self.error(f"unknown function {expr.name}", expr)
        return handler(self, expr)

    def args(self, expr: Call) -> list[Value]:
        return [self.value(a) for a in expr.args]

    def string_arg(self, value: Value, expr: Call) -> Const | Sql:
        if isinstance(value, JsonRef):
            return Sql("string", value.as_("string"))
        if isinstance(value, Const | Sql) and value.kind == "string":
            return value
        raise self.error(f"{expr.name}() needs string arguments", expr)

    def number_arg(self, value: Value, expr: Call) -> Const | Sql:
        if isinstance(value, JsonRef):
            return Sql("number", value.as_("number"))
        if isinstance(value, Const | Sql) and value.kind in NUMERIC:
            return value
        raise self.error(f"{expr.name}() needs a number", expr)

    def datetime_arg(self, value: Value, expr: Call) -> Const | Sql:
        if isinstance(value, IntervalRef):
            return Sql("datetime", value.start, value.aware)
        if isinstance(value, Const | Sql) and value.kind == "datetime":
            return value
        raise self.error(f"{expr.name}() needs a date-time", expr)


class _HopContext:
    def __init__(self, compiler: Compiler, expr: Expr) -> None:
        self.compiler = compiler
        self.expr = expr
        self.hops = _Hops()
        self.created: list[tuple[int, tuple[str, ...]]] = []

    def __enter__(self) -> _Hops:
        self.created = self.compiler.bind_paths(self.expr, self.hops)
        return self.hops

    def __exit__(self, *exc: object) -> None:
        for key in self.created:
            self.compiler.bound.pop(key, None)


def _paths(expr: Expr) -> Iterator[Path]:
    if isinstance(expr, Path):
        yield expr
    elif isinstance(expr, Binary):
        yield from _paths(expr.left)
        yield from _paths(expr.right)
    elif isinstance(expr, Not | Negate):
        yield from _paths(expr.operand)
    elif isinstance(expr, In):
        yield from _paths(expr.operand)
        for item in expr.items:
            yield from _paths(item)
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from _paths(arg)


def cast_prefix() -> tuple[str, ...]:
    return ()


_COMPARE: dict[BinaryOperator, Callable[[Any, Any], ColumnElement[bool]]] = {
    BinaryOperator.EQ: lambda a, b: a == b,
    BinaryOperator.NE: lambda a, b: a != b,
    BinaryOperator.GT: lambda a, b: a > b,
    BinaryOperator.GE: lambda a, b: a >= b,
    BinaryOperator.LT: lambda a, b: a < b,
    BinaryOperator.LE: lambda a, b: a <= b,
}
_FLIP = {
    BinaryOperator.EQ: BinaryOperator.EQ,
    BinaryOperator.NE: BinaryOperator.NE,
    BinaryOperator.GT: BinaryOperator.LT,
    BinaryOperator.GE: BinaryOperator.LE,
    BinaryOperator.LT: BinaryOperator.GT,
    BinaryOperator.LE: BinaryOperator.GE,
}


def compile_filter(
    model: EntityModel,
    entity_set: str | EntitySet,
    expr: Expr,
    *,
    table: FromClause | None = None,
    now: datetime | None = None,
    text: str = "",
) -> ColumnElement[bool]:
    """The WHERE condition for ``$filter`` on ``entity_set`` (rows read from ``table``, by default
    the
    entity set's own selectable). ``now`` fixes ``now()`` (default: the current UTC time)."""
    entity = model.entity_set(entity_set) if isinstance(entity_set, str) else entity_set
    return Compiler(model, entity, table, now=now, option="$filter", text=text).condition(expr)
