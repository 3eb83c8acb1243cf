"""Typed syntax tree of the SensorThings API 1.1 query language (OGC 18-088 §9.3, an OData 4.0
subset).

Every node is a frozen dataclass. ``pos`` is the offset of the node in the query option it came
from;
it takes no part in equality, so trees built by hand compare equal to parsed ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeAlias

from ecodata.errors import InputError
from ecodata.protocols.odata_geometry import Geometry


class ODataError(InputError):
    """A query string, resource path or query option that cannot be served (HTTP 400).

    ``option`` names the query option (``$filter``) or ``path``; ``offset`` is the 0-based character
    position inside that option's value (-1 when unknown); ``expected`` says what would have been
    accepted there.
    """

    def __init__(
        self,
        reason: str,
        *,
        option: str = "",
        text: str = "",
        offset: int = -1,
        expected: str = "",
    ) -> None:
        message = reason if not expected else f"{reason}; expected {expected}"
        super().__init__(
            message, source=option, position=str(offset) if offset >= 0 else "", raw=text
        )
        self.option = option
        self.text = text
        self.offset = offset
        self.expected = expected

    def pointer(self) -> str:
        """The offending text with a caret under the error position (for messages and logs)."""
        if self.offset < 0:
            return self.text
        return f"{self.text}\n{' ' * self.offset}^"


class BinaryOperator(enum.StrEnum):
    """OGC 18-088 Table 22 built-in filter operators (binary ones)."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    AND = "and"
    OR = "or"
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    MOD = "mod"

    @property
    def is_comparison(self) -> bool:
        return self in _COMPARISONS

    @property
    def is_arithmetic(self) -> bool:
        return self in _ARITHMETIC

    @property
    def is_logical(self) -> bool:
        return self in (BinaryOperator.AND, BinaryOperator.OR)


_COMPARISONS = frozenset(
    {
        BinaryOperator.EQ,
        BinaryOperator.NE,
        BinaryOperator.GT,
        BinaryOperator.GE,
        BinaryOperator.LT,
        BinaryOperator.LE,
    }
)
_ARITHMETIC = frozenset(
    {
        BinaryOperator.ADD,
        BinaryOperator.SUB,
        BinaryOperator.MUL,
        BinaryOperator.DIV,
        BinaryOperator.MOD,
    }
)


@dataclass(frozen=True, slots=True)
class Node:
    pos: int = field(default=-1, compare=False, repr=False, kw_only=True)


# --- literals (OData 4.0 Part 2 §5.1.1.6 / ABNF primitiveLiteral) ---------------------------------


@dataclass(frozen=True, slots=True)
class NullLiteral(Node):
    pass


@dataclass(frozen=True, slots=True)
class BooleanLiteral(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class IntegerLiteral(Node):
    value: int


@dataclass(frozen=True, slots=True)
class DecimalLiteral(Node):
    value: Decimal


@dataclass(frozen=True, slots=True)
class StringLiteral(Node):
    value: str


@dataclass(frozen=True, slots=True)
class DateTimeLiteral(Node):
    """An ISO 8601 instant; always time-zone aware (the offset written in the query is kept)."""

    value: datetime


@dataclass(frozen=True, slots=True)
class DateLiteral(Node):
    value: date


@dataclass(frozen=True, slots=True)
class TimeLiteral(Node):
    value: time


@dataclass(frozen=True, slots=True)
class DurationLiteral(Node):
    """``duration'P1DT2H'`` (Edm.Duration: days, hours, minutes, seconds only)."""

    value: timedelta


@dataclass(frozen=True, slots=True)
class IntervalLiteral(Node):
    """An ISO 8601 time interval ``start/end`` or ``start/duration`` (18-088 §8.2.5 TM_Period)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class GeographyLiteral(Node):
    """``geography'POINT(116.4 39.9)'`` — a WKT geometry, longitude first."""

    geometry: Geometry


Literal: TypeAlias = (
    NullLiteral
    | BooleanLiteral
    | IntegerLiteral
    | DecimalLiteral
    | StringLiteral
    | DateTimeLiteral
    | DateLiteral
    | TimeLiteral
    | DurationLiteral
    | IntervalLiteral
    | GeographyLiteral
)

# --- expressions ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Path(Node):
    """A property path such as ``Datastream/ObservedProperty/name`` or ``properties/owner``.

    ``@iot.id`` is stored as ``id``. Inside a lambda the first segment may be the lambda variable.
    """

    segments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in function call (OGC 18-088 Table 23); ``name`` is lower case."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: BinaryOperator
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class In(Node):
    """OData 4.01 ``x in (a, b, c)``."""

    operand: Expr
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Lambda(Node):
    """OData 4.0 ``Datastreams/any(d: d/name eq 'x')`` and ``all(...)`` over a navigation path.

    ``variable`` and ``predicate`` are ``None`` for the bare ``any()`` (the collection is not
    empty).
    """

    collection: Path
    quantifier: str  # "any" | "all"
    variable: str | None
    predicate: Expr | None


Expr: TypeAlias = Literal | Path | Call | Binary | Not | Negate | In | Lambda


# --- query options (OGC 18-088 §9.3.2, §9.3.3) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderBy:
    expr: Expr
    descending: bool = False


@dataclass(frozen=True, slots=True)
class QueryOptions:
    filter: Expr | None = None
    expand: tuple[Expand, ...] = ()
    select: tuple[tuple[str, ...], ...] = ()
    orderby: tuple[OrderBy, ...] = ()
    top: int | None = None
    skip: int | None = None
    count: bool | None = None
    result_format: str | None = None
    skiptoken: str | None = None


@dataclass(frozen=True, slots=True)
class Expand:
    """One navigation property to expand with its own options. Slash paths (``Thing/Locations``)
    are stored nested: ``Expand("Thing", QueryOptions(expand=(Expand("Locations"),)))``."""

    name: str
    options: QueryOptions = field(default_factory=QueryOptions)


# --- resource paths (OGC 18-088 §9.2) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """An entity set or navigation property, with the key in parentheses if one was given."""

    name: str
    key: int | str | None = None


@dataclass(frozen=True, slots=True)
class ResourcePath:
    """``/Things(1)/Datastreams``, ``/Observations(3)/result/$value``,
    ``/Things(1)/Locations/$ref``.

    ``segments`` are entity sets and navigation properties; ``property`` is the property addressed
    at
    the end (with JSON sub-keys, e.g. ``("properties", "owner")``); ``value`` and ``ref`` mark
    ``$value`` and ``$ref``; ``action`` is ``"$batch"`` or ``"CreateObservations"``. The service
    root
    is ``ResourcePath(())``.
    """

    segments: tuple[Segment, ...]
    property: tuple[str, ...] = ()
    value: bool = False
    ref: bool = False
    action: str | None = None
