"""Parsers for SensorThings API 1.1 resource paths and query options (OGC 18-088 §9.2, §9.3).

``$filter`` and ``$orderby`` expressions use a precedence-climbing parser over the OData 4.0 Part 2
§5.1.1.9 operator precedence, from loosest to tightest: ``or``; ``and``; ``eq ne in``; ``gt ge lt
le``; ``add sub``; ``mul div mod``; unary ``not`` and ``-``; then primaries (literals, paths, calls,
parentheses). All binary operators associate to the left. As in OData, ``not`` is a unary operator:
``not name eq 'x'`` means ``(not name) eq 'x'``; write ``not (name eq 'x')``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from ecodata.protocols.odata_ast import (
    Binary,
    BinaryOperator,
    BooleanLiteral,
    Call,
    DateLiteral,
    DateTimeLiteral,
    DecimalLiteral,
    DurationLiteral,
    Expr,
    GeographyLiteral,
    In,
    IntegerLiteral,
    IntervalLiteral,
    Lambda,
    Negate,
    Not,
    NullLiteral,
    ODataError,
    OrderBy,
    Path,
    StringLiteral,
    TimeLiteral,
)
from ecodata.protocols.odata_geometry import Geometry
from ecodata.protocols.odata_lexer import Kind, Lexer, Token

#: Built-in functions of OGC 18-088 Table 23 with their accepted argument counts. ``contains`` is
#: the
#: OData 4.0 spelling of ``substringof`` with the arguments swapped.
FUNCTIONS: dict[str, tuple[int, ...]] = {
    # string
    "substringof": (2,),
    "contains": (2,),
    "endswith": (2,),
    "startswith": (2,),
    "length": (1,),
    "indexof": (2,),
    "substring": (2, 3),
    "tolower": (1,),
    "toupper": (1,),
    "trim": (1,),
    "concat": (2,),
    # date and time
    "year": (1,),
    "month": (1,),
    "day": (1,),
    "hour": (1,),
    "minute": (1,),
    "second": (1,),
    "fractionalseconds": (1,),
    "date": (1,),
    "time": (1,),
    "totaloffsetminutes": (1,),
    "now": (0,),
    "mindatetime": (0,),
    "maxdatetime": (0,),
    # math
    "round": (1,),
    "floor": (1,),
    "ceiling": (1,),
    # geospatial
    "geo.distance": (2,),
    "geo.length": (1,),
    "geo.intersects": (2,),
    "st_equals": (2,),
    "st_disjoint": (2,),
    "st_touches": (2,),
    "st_within": (2,),
    "st_overlaps": (2,),
    "st_crosses": (2,),
    "st_intersects": (2,),
    "st_contains": (2,),
    "st_relate": (3,),
}

# OData 4.0 Part 2 §5.1.1.9: larger binds tighter.
_BINDING = {
    BinaryOperator.OR: 1,
    BinaryOperator.AND: 2,
    BinaryOperator.EQ: 3,
    BinaryOperator.NE: 3,
    BinaryOperator.GT: 4,
    BinaryOperator.GE: 4,
    BinaryOperator.LT: 4,
    BinaryOperator.LE: 4,
    BinaryOperator.ADD: 5,
    BinaryOperator.SUB: 5,
    BinaryOperator.MUL: 6,
    BinaryOperator.DIV: 6,
    BinaryOperator.MOD: 6,
}
_IN_BINDING = 3
_OPERATORS = {op.value for op in BinaryOperator} | {"in", "not"}
_MAX_DEPTH = 100
_MAX_PATH = 32


def canonical_segment(name: str) -> str:
    return "id" if name in ("@iot.id", "iot.id") else name


class _ExpressionParser:
    def __init__(self, lexer: Lexer) -> None:
        self.lexer = lexer
        self.tokens = lexer.tokens()
        self.i = 0
        self.depth = 0

    # --- token helpers ---
    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind is not Kind.EOF:
            self.i += 1
        return token

    def error(self, reason: str, token: Token, expected: str = "") -> ODataError:
        return ODataError(
            reason,
            option=self.lexer.option,
            text=self.lexer.full_text,
            offset=token.pos,
            expected=expected,
        )

    def expect(self, kind: Kind, expected: str) -> Token:
        if self.token.kind is not kind:
            raise self.error(f"found {self.token.describe()}", self.token, expected)
        return self.advance()

    def at_end(self) -> bool:
        return self.token.kind is Kind.EOF

    def keyword(self) -> str | None:
        token = self.token
        return token.text.lower() if token.kind is Kind.NAME else None

    # --- grammar ---
    def expression(self, min_binding: int = 0) -> Expr:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error("expression nested too deeply", self.token)
        left = self.unary()
        while True:
            word = self.keyword()
            if word == "in":
                if min_binding >= _IN_BINDING:
                    break
                start = self.advance()
                left = In(left, self.in_list(), pos=start.pos)
                continue
            if word is None or word not in _BINDING_BY_NAME:
                break
            op = _BINDING_BY_NAME[word]
            binding = _BINDING[op]
            if binding <= min_binding:
                break
            start = self.advance()
            right = self.expression(binding)
            left = Binary(op, left, right, pos=start.pos)
        self.depth -= 1
        return left

    def in_list(self) -> tuple[Expr, ...]:
        self.expect(Kind.LPAREN, "'(' starting the list after 'in'")
        items = [self.expression()]
        while self.token.kind is Kind.COMMA:
            self.advance()
            items.append(self.expression())
        self.expect(Kind.RPAREN, "',' or ')' in the 'in' list")
        return tuple(items)

    def unary(self) -> Expr:
        token = self.token
        if self.keyword() == "not" and self.peek().kind is not Kind.SLASH:
            self.advance()
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.error("expression nested too deeply", token)
            operand = self.unary()
            self.depth -= 1
            return Not(operand, pos=token.pos)
        if token.kind is Kind.MINUS:
            self.advance()
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.error("expression nested too deeply", token)
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, IntegerLiteral):
                return IntegerLiteral(-operand.value, pos=token.pos)
            if isinstance(operand, DecimalLiteral):
                return DecimalLiteral(-operand.value, pos=token.pos)
            if isinstance(operand, DurationLiteral):
                return DurationLiteral(-operand.value, pos=token.pos)
            return Negate(operand, pos=token.pos)
        return self.primary()

    def primary(self) -> Expr:
        token = self.token
        kind = token.kind
        if kind is Kind.LPAREN:
            self.advance()
            inner = self.expression()
            self.expect(Kind.RPAREN, "')' closing the group")
            return inner
        literal = self.literal(token)
        if literal is not None:
            self.advance()
            return literal
        if kind is Kind.NAME:
            word = token.text.lower()
            if word in ("true", "false"):
                self.advance()
                return BooleanLiteral(word == "true", pos=token.pos)
            if word == "null":
                self.advance()
                return NullLiteral(pos=token.pos)
            if self.peek().kind is Kind.LPAREN:
                return self.call()
            if word in _OPERATORS:
                raise self.error(
                    f"found the operator {token.describe()}",
                    token,
                    "a property, literal, function call or '('",
                )
            return self.path()
        raise self.error(
            f"found {token.describe()}", token, "a property, literal, function call or '('"
        )

    def literal(self, token: Token) -> Expr | None:
        value, pos, kind = token.value, token.pos, token.kind
        if kind is Kind.STRING and isinstance(value, str):
            return StringLiteral(value, pos=pos)
        if kind is Kind.INTEGER and isinstance(value, int):
            return IntegerLiteral(value, pos=pos)
        if kind is Kind.DECIMAL and isinstance(value, Decimal):
            return DecimalLiteral(value, pos=pos)
        if kind is Kind.DATETIME and isinstance(value, datetime):
            return DateTimeLiteral(value, pos=pos)
        if kind is Kind.DATE and isinstance(value, date):
            return DateLiteral(value, pos=pos)
        if kind is Kind.TIME and isinstance(value, time):
            return TimeLiteral(value, pos=pos)
        if kind is Kind.DURATION and isinstance(value, timedelta):
            return DurationLiteral(value, pos=pos)
        if kind is Kind.INTERVAL and isinstance(value, tuple):
            return IntervalLiteral(value[0], value[1], pos=pos)
        if kind is Kind.GEOGRAPHY and isinstance(value, Geometry):
            return GeographyLiteral(value, pos=pos)
        return None

    def call(self) -> Call:
        token = self.advance()
        name = token.text.lower()
        if name not in FUNCTIONS:
            raise self.error(
                f"unknown function '{token.text}'",
                token,
                "one of the 18-088 built-in functions: " + ", ".join(sorted(FUNCTIONS)),
            )
        self.expect(Kind.LPAREN, "'('")
        args: list[Expr] = []
        if self.token.kind is not Kind.RPAREN:
            args.append(self.expression())
            while self.token.kind is Kind.COMMA:
                self.advance()
                args.append(self.expression())
        self.expect(Kind.RPAREN, f"',' or ')' in the arguments of {name}()")
        arities = FUNCTIONS[name]
        if len(args) not in arities:
            wanted = " or ".join(str(a) for a in arities)
            plural = "s" if arities != (1,) else ""
            raise self.error(f"{name}() takes {wanted} argument{plural}, got {len(args)}", token)
        return Call(name, tuple(args), pos=token.pos)

    def path(self) -> Expr:
        first = self.advance()
        segments = [canonical_segment(first.text)]
        while self.token.kind is Kind.SLASH:
            self.advance()
            token = self.token
            lambda_ahead = self.peek().kind is Kind.LPAREN
            if token.kind is Kind.NAME and token.text.lower() in ("any", "all") and lambda_ahead:
                collection = Path(tuple(segments), pos=first.pos)
                return self.lambda_(collection, token)
            if token.kind not in (Kind.NAME, Kind.INTEGER):
                raise self.error(f"found {token.describe()}", token, "a property name after '/'")
            self.advance()
            segments.append(canonical_segment(token.text))
            if len(segments) > _MAX_PATH:
                raise self.error("property path too long", token)
        return Path(tuple(segments), pos=first.pos)

    def lambda_(self, collection: Path, token: Token) -> Lambda:
        quantifier = token.text.lower()
        self.advance()
        self.expect(Kind.LPAREN, "'('")
        if self.token.kind is Kind.RPAREN:
            if quantifier == "all":
                raise self.error(
                    "all() needs a predicate", self.token, "a variable, ':' and a predicate"
                )
            self.advance()
            return Lambda(collection, "any", None, None, pos=token.pos)
        variable = self.expect(Kind.NAME, "a lambda variable name")
        self.expect(Kind.COLON, "':' after the lambda variable")
        predicate = self.expression()
        self.expect(Kind.RPAREN, f"')' closing {quantifier}(")
        return Lambda(collection, quantifier, variable.text, predicate, pos=token.pos)


_BINDING_BY_NAME = {op.value: op for op in _BINDING}


def _lexer(text: str, option: str, base: int, full_text: str | None) -> Lexer:
    return Lexer(text, option=option, base=base, full_text=full_text)


def parse_filter(
    text: str, *, option: str = "$filter", base: int = 0, full_text: str | None = None
) -> Expr:
    """Parse a ``$filter`` value into an expression tree."""
    parser = _ExpressionParser(_lexer(text, option, base, full_text))
    if parser.token.kind is Kind.EOF:
        raise parser.error("empty filter", parser.token, "a boolean expression")
    expr = parser.expression()
    if not parser.at_end():
        raise parser.error(
            f"found {parser.token.describe()}", parser.token, "an operator or the end"
        )
    return expr


def parse_orderby(
    text: str, *, option: str = "$orderby", base: int = 0, full_text: str | None = None
) -> tuple[OrderBy, ...]:
    """``phenomenonTime desc, id`` → order keys (18-088 §9.3.3.4)."""
    parser = _ExpressionParser(_lexer(text, option, base, full_text))
    keys: list[OrderBy] = []
    while True:
        if parser.token.kind is Kind.EOF:
            raise parser.error("empty ordering", parser.token, "a property or expression")
        expr = parser.expression()
        word = parser.keyword()
        descending = False
        if word in ("asc", "desc"):
            descending = word == "desc"
            parser.advance()
        keys.append(OrderBy(expr, descending))
        if parser.at_end():
            return tuple(keys)
        parser.expect(Kind.COMMA, "'asc', 'desc', ',' or the end")
