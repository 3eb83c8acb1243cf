"""``$orderby`` compilation, keyset paging and the opaque continuation token (``$skiptoken``).

Every ordering ends with the entity id as a tie-breaker, so it is total and deterministic. The next
page starts *after* the last row's key values (a keyset condition), so ``@iot.nextLink`` never needs
a
deep ``OFFSET`` — the cost of reading page *n* does not grow with *n* (FROST #721, #287).

NULLs sort as larger than every value (PostgreSQL's default, so its plain btree indexes serve the
order): ascending puts them last, descending first. For NOT NULL columns no ``NULLS`` clause is
written, which keeps every database's index usable.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, false, literal, or_, select, true
from sqlalchemy.sql.elements import ColumnElement, Label
from sqlalchemy.sql.selectable import FromClause

from ecodata.protocols.odata_ast import ODataError, OrderBy, Path
from ecodata.protocols.odata_model import EntityModel, EntitySet, column
from ecodata.protocols.odata_sql import Compiler
from ecodata.protocols.odata_values import (
    Const,
    GeometryConst,
    IntervalConst,
    IntervalRef,
    JsonRef,
    Null,
    PointRef,
    Sql,
    bind,
)


@dataclass(frozen=True, slots=True)
class OrderKey:
    expr: ColumnElement[Any]
    descending: bool
    nullable: bool


@dataclass(frozen=True, slots=True)
class Ordering:
    """A compiled ``$orderby`` (plus the id tie-breaker) for one entity set."""

    keys: tuple[OrderKey, ...]
    fingerprint: str

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY clauses."""
        clauses: list[ColumnElement[Any]] = []
        for key in self.keys:
            clause = key.expr.desc() if key.descending else key.expr.asc()
            if key.nullable:
                clause = clause.nulls_first() if key.descending else clause.nulls_last()
            clauses.append(clause)
        return clauses

    def columns(self) -> list[Label[Any]]:
        """The key expressions labelled ``_k0``, ``_k1`` …: add them to the SELECT list to read the
        last row's key values for :meth:`after` and :func:`encode_token`."""
        return [key.expr.label(f"_k{i}") for i, key in enumerate(self.keys)]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """The condition selecting the rows that follow a row whose keys were ``values``."""
        if len(values) != len(self.keys):
            raise ODataError("$skiptoken does not match this ordering", option="$skiptoken")
        branches: list[ColumnElement[bool]] = []
        equal: list[ColumnElement[bool]] = []
        for key, value in zip(self.keys, values, strict=True):
            branches.append(and_(*equal, _beyond(key, value)))
            equal.append(_same(key, value))
        first = self.keys[0]
        lead = _at_least(first, values[0])
        return and_(lead, or_(*branches)) if lead is not None else or_(*branches)


def _param(key: OrderKey, value: Any) -> ColumnElement[Any]:
    if isinstance(value, datetime):
        aware = bool(getattr(key.expr.type, "timezone", False))
        return bind(Const("datetime", value), aware=aware)
    return literal(value, key.expr.type)


def _beyond(key: OrderKey, value: Any) -> ColumnElement[bool]:
    """``key`` strictly after ``value`` in this key's order (NULL is the largest value)."""
    if value is None:
        return key.expr.is_not(None) if key.descending else false()
    param = _param(key, value)
    if key.descending:
        return key.expr < param
    after = key.expr > param
    return or_(after, key.expr.is_(None)) if key.nullable else after


def _same(key: OrderKey, value: Any) -> ColumnElement[bool]:
    return key.expr.is_(None) if value is None else key.expr == _param(key, value)


def _at_least(key: OrderKey, value: Any) -> ColumnElement[bool] | None:
    """A redundant range bound on the first key that lets an index seek to the page start."""
    if key.nullable or value is None:
        return None
    param = _param(key, value)
    return key.expr <= param if key.descending else key.expr >= param


def compile_orderby(
    model: EntityModel,
    entity_set: str | EntitySet,
    orderby: Sequence[OrderBy] = (),
    *,
    table: FromClause | None = None,
    text: str = "",
) -> Ordering:
    """Compile ``$orderby`` keys (18-088 §9.3.3.4) and append the id tie-breaker."""
    entity = model.entity_set(entity_set) if isinstance(entity_set, str) else entity_set
    compiler = Compiler(model, entity, table, option="$orderby", text=text)
    keys: list[OrderKey] = []
    for item in orderby:
        keys.extend(_keys(compiler, item))
    alias = compiler.root.alias
    ties = [column(ref, alias) for ref in entity.order_key] or [column(entity.id, alias)]
    for tie in ties:
        if not any(k.expr is tie or _same_column(k.expr, tie) for k in keys):
            keys.append(OrderKey(tie, False, False))
    digest = hashlib.sha256(f"{entity.name}|{orderby!r}".encode()).hexdigest()[:16]
    return Ordering(tuple(keys), digest)


def _same_column(a: ColumnElement[Any], b: ColumnElement[Any]) -> bool:
    return bool(a.compare(b))


def _nullable(expr: ColumnElement[Any]) -> bool:
    return bool(getattr(expr, "nullable", True))


def _keys(compiler: Compiler, item: OrderBy) -> list[OrderKey]:
    entity = compiler.root.entity
    if entity.order_key and isinstance(item.expr, Path) and item.expr.segments == ("id",):
        # a computed id orders like its key columns, which indexes serve
        return [
            OrderKey(column(ref, compiler.root.alias), item.descending, False)
            for ref in entity.order_key
        ]
    with compiler.hops(item.expr) as hops:
        value = compiler.value(item.expr)
        if isinstance(value, IntervalRef):
            parts: list[ColumnElement[Any]] = [value.start, value.end]
        elif isinstance(value, JsonRef):  # numbers first (numerically), then strings
            parts = [value.as_("number"), value.as_("string")]
        elif isinstance(value, Sql):
            parts = [value.expr]
        elif isinstance(value, Const | Null | IntervalConst):
            return []  # ordering by a constant changes nothing
        else:
            assert isinstance(value, PointRef | GeometryConst)
            raise compiler.error("cannot order by a geometry", item.expr, "a scalar property")
    if hops.many:
        raise compiler.error(
            "cannot order by a property of a to-many navigation", item.expr, "a to-one path"
        )
    keys: list[OrderKey] = []
    for expr in parts:
        nullable = _nullable(expr) or bool(hops.froms)
        part = expr
        if hops.froms:
            part = (
                select(part)
                .select_from(*hops.froms)
                .where(and_(true(), *hops.links))
                .correlate_except(*hops.froms)
                .scalar_subquery()
            )
        keys.append(OrderKey(part, item.descending, nullable))
    return keys


# --- continuation token ---------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"h": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    raise TypeError(f"cannot put {type(value).__name__} in a continuation token")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if not isinstance(text, str):
            raise ValueError("bad value")
        converters: dict[str, Any] = {
            "t": datetime.fromisoformat,
            "d": date.fromisoformat,
            "h": time.fromisoformat,
            "n": Decimal,
        }
        if tag not in converters:
            raise ValueError("bad tag")
        return converters[tag](text)
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    raise ValueError("bad value")


def encode_token(ordering: Ordering, values: Sequence[Any]) -> str:
    """An opaque, URL-safe ``$skiptoken`` holding the last row's key values."""
    payload = json.dumps(
        [ordering.fingerprint, [_encode_value(v) for v in values]], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(ordering: Ordering, token: str) -> tuple[Any, ...]:
    """The key values of a token made by :func:`encode_token` for the same ordering."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fingerprint, values = json.loads(raw)
        decoded = tuple(_decode_value(v) for v in values)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ODataError(
            "$skiptoken is not a token this server issued",
            option="$skiptoken",
            text=token,
            expected="the token of an @iot.nextLink",
        ) from exc
    if fingerprint != ordering.fingerprint or len(decoded) != len(ordering.keys):
        raise ODataError(
            "$skiptoken belongs to another query (different $orderby)",
            option="$skiptoken",
            text=token,
            expected="the @iot.nextLink of this query",
        )
    return decoded


__all__ = [
    "OrderKey",
    "Ordering",
    "compile_orderby",
    "decode_token",
    "encode_token",
]
