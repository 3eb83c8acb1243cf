"""Parsing SensorThings resource paths and query options into the typed tree (OGC 18-088 §9)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecodata.protocols.odata import (
    Expand,
    ODataError,
    OrderBy,
    QueryOptions,
    ResourcePath,
    Segment,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_query_options,
    parse_query_string,
    parse_resource_path,
    parse_select,
)
from ecodata.protocols.odata_ast import (
    Binary,
    BinaryOperator,
    BooleanLiteral,
    Call,
    DateLiteral,
    DateTimeLiteral,
    DecimalLiteral,
    DurationLiteral,
    GeographyLiteral,
    In,
    IntegerLiteral,
    IntervalLiteral,
    Lambda,
    Negate,
    Not,
    NullLiteral,
    Path,
    StringLiteral,
    TimeLiteral,
)
from ecodata.protocols.odata_parser import FUNCTIONS

Op = BinaryOperator


def p(*segments: str) -> Path:
    return Path(segments)


def i(value: int) -> IntegerLiteral:
    return IntegerLiteral(value)


# --- operators and precedence (OData 4.0 Part 2 §5.1.1.9) -----------------------------------------


@pytest.mark.parametrize("op", list(BinaryOperator))
def test_every_binary_operator(op: BinaryOperator) -> None:
    assert parse_filter(f"a {op.value} 1") == Binary(op, p("a"), i(1))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a or b and c", Binary(Op.OR, p("a"), Binary(Op.AND, p("b"), p("c")))),
        ("a and b or c", Binary(Op.OR, Binary(Op.AND, p("a"), p("b")), p("c"))),
        ("a eq 1 and b", Binary(Op.AND, Binary(Op.EQ, p("a"), i(1)), p("b"))),
        ("a add 1 mul 2", Binary(Op.ADD, p("a"), Binary(Op.MUL, i(1), i(2)))),
        ("(a add 1) mul 2", Binary(Op.MUL, Binary(Op.ADD, p("a"), i(1)), i(2))),
        ("a sub 1 sub 2", Binary(Op.SUB, Binary(Op.SUB, p("a"), i(1)), i(2))),
        ("a div 2 mod 3", Binary(Op.MOD, Binary(Op.DIV, p("a"), i(2)), i(3))),
        ("a gt 1 eq true", Binary(Op.EQ, Binary(Op.GT, p("a"), i(1)), BooleanLiteral(True))),
        (
            "a add 1 gt b sub 2",
            Binary(Op.GT, Binary(Op.ADD, p("a"), i(1)), Binary(Op.SUB, p("b"), i(2))),
        ),
        ("not a eq b", Binary(Op.EQ, Not(p("a")), p("b"))),
        ("not (a eq b)", Not(Binary(Op.EQ, p("a"), p("b")))),
        ("-a mul 2", Binary(Op.MUL, Negate(p("a")), i(2))),
        ("a eq -2", Binary(Op.EQ, p("a"), i(-2))),
        ("a in (1, 2) and b", Binary(Op.AND, In(p("a"), (i(1), i(2))), p("b"))),
        ("A AND B", Binary(Op.AND, p("A"), p("B"))),
    ],
)
def test_precedence(text: str, tree: object) -> None:
    assert parse_filter(text) == tree


# --- literals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("'Bob''s Thing'", StringLiteral("Bob's Thing")),
        ("''", StringLiteral("")),
        ("'东四'", StringLiteral("东四")),
        ("42", i(42)),
        ("4.5", DecimalLiteral(Decimal("4.5"))),
        ("1e3", DecimalLiteral(Decimal("1e3"))),
        ("-0.25", DecimalLiteral(Decimal("-0.25"))),
        ("true", BooleanLiteral(True)),
        ("False", BooleanLiteral(False)),
        ("null", NullLiteral()),
        ("2024-01-01T00:00:00Z", DateTimeLiteral(datetime(2024, 1, 1, tzinfo=UTC))),
        (
            "2024-01-01T08:00:00.123+08:00",
            DateTimeLiteral(
                datetime(2024, 1, 1, 8, 0, 0, 123000, tzinfo=timezone(timedelta(hours=8)))
            ),
        ),
        # '+' sent unencoded arrives as a space (frost-sta-client trap, reference §2.3 item 3)
        (
            "2024-01-01T08:00:00 08:00",
            DateTimeLiteral(datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))),
        ),
        ("2024-01-01T00:00-05:00", DateTimeLiteral(datetime(2024, 1, 1, 5, tzinfo=UTC))),
        ("2024-02-29", DateLiteral(date(2024, 2, 29))),
        ("12:30:00", TimeLiteral(time(12, 30))),
        ("12:30", TimeLiteral(time(12, 30))),
        ("duration'P1D'", DurationLiteral(timedelta(days=1))),
        ("duration'PT10m'", DurationLiteral(timedelta(minutes=10))),
        (
            "duration'P1DT2H30M1.5S'",
            DurationLiteral(timedelta(days=1, hours=2, minutes=30, seconds=1.5)),
        ),
        ("-duration'PT1H'", DurationLiteral(timedelta(hours=-1))),
        (
            "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z",
            IntervalLiteral(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)),
        ),
        (
            "2024-01-01T00:00:00Z/PT6H",
            IntervalLiteral(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 6, tzinfo=UTC)),
        ),
    ],
)
def test_literals(text: str, literal: object) -> None:
    assert parse_filter(f"x eq {text}") == Binary(Op.EQ, p("x"), literal)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wkt", "kind", "parts"),
    [
        ("POINT(30 10)", "POINT", (((30.0, 10.0),),)),
        ("POINT (116.4 39.9)", "POINT", (((116.4, 39.9),),)),
        ("LINESTRING (30 10, 10 30, 40 40)", "LINESTRING", (((30, 10), (10, 30), (40, 40)),)),
        (
            "POLYGON ((30 10, 10 20, 20 40, 40 40, 30 10))",
            "POLYGON",
            (((30, 10), (10, 20), (20, 40), (40, 40), (30, 10)),),
        ),
        ("SRID=4326;POINT(1 2)", "POINT", (((1.0, 2.0),),)),
    ],
)
def test_geography_literals(wkt: str, kind: str, parts: object) -> None:
    tree = parse_filter(f"st_within(location, geography'{wkt}')")
    assert isinstance(tree, Call)
    literal = tree.args[1]
    assert isinstance(literal, GeographyLiteral)
    assert literal.geometry.kind == kind
    assert literal.geometry.parts == parts


# --- paths, functions, lambdas --------------------------------------------------------------------


def test_paths_cross_relations_and_json() -> None:
    tree = parse_filter("Datastream/Thing/properties/threshold lt result")
    assert tree == Binary(Op.LT, p("Datastream", "Thing", "properties", "threshold"), p("result"))
    assert parse_filter("Thing/@iot.id eq 1") == Binary(Op.EQ, p("Thing", "id"), i(1))
    assert parse_filter("properties/站点编码 eq '1001A'") == Binary(
        Op.EQ, p("properties", "站点编码"), StringLiteral("1001A")
    )
    assert parse_filter("properties/2019 eq 1") == Binary(Op.EQ, p("properties", "2019"), i(1))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_builtin_function(name: str) -> None:
    arity = FUNCTIONS[name][0]
    args = ", ".join(["x"] * arity)
    tree = parse_filter(f"{name}({args}) eq 1")
    assert tree == Binary(Op.EQ, Call(name, tuple(p("x") for _ in range(arity))), i(1))


def test_function_names_are_case_insensitive_and_nest() -> None:
    tree = parse_filter("concat(concat(unitOfMeasurement/symbol, ', '), tolower(name)) eq 'x'")
    inner = Call("concat", (p("unitOfMeasurement", "symbol"), StringLiteral(", ")))
    assert tree == Binary(
        Op.EQ, Call("concat", (inner, Call("tolower", (p("name"),)))), StringLiteral("x")
    )
    assert parse_filter("Year(t) eq 1") == Binary(Op.EQ, Call("year", (p("t"),)), i(1))
    assert parse_filter("substring(name, 1, 2) eq 'x'") == Binary(
        Op.EQ, Call("substring", (p("name"), i(1), i(2))), StringLiteral("x")
    )


def test_lambda_operators() -> None:
    tree = parse_filter("Datastreams/any(d: d/ObservedProperty/name eq 'NO2')")
    assert tree == Lambda(
        p("Datastreams"),
        "any",
        "d",
        Binary(Op.EQ, p("d", "ObservedProperty", "name"), StringLiteral("NO2")),
    )
    assert parse_filter("Datastreams/any()") == Lambda(p("Datastreams"), "any", None, None)
    nested = parse_filter("Datastreams/all(d: d/Observations/any(o: o/result gt d/properties/t))")
    assert isinstance(nested, Lambda) and nested.quantifier == "all"
    assert isinstance(nested.predicate, Lambda)


# --- query options --------------------------------------------------------------------------------


def test_frost_sta_client_query_string() -> None:
    # frost-sta-client 1.1.53 (reference §2.1): '+' for spaces, options in this order
    options = parse_query_string(
        "$filter=result+gt+10&$orderby=phenomenonTime+asc&$top=2&$count=true"
    )
    assert options == QueryOptions(
        filter=Binary(Op.GT, p("result"), i(10)),
        orderby=(OrderBy(p("phenomenonTime")),),
        top=2,
        count=True,
    )
    # its filter() with a date-time whose '+' was percent-encoded
    encoded = parse_query_string("$filter=phenomenonTime%20ge%202024-01-01T00:00:00%2B08:00")
    assert encoded.filter == Binary(
        Op.GE,
        p("phenomenonTime"),
        DateTimeLiteral(datetime(2023, 12, 31, 16, tzinfo=UTC)),
    )


def test_ets_sta10_priority_query() -> None:
    options = parse_query_string(
        "?$count=true&$top=1&$skip=2&$orderby=phenomenonTime%20asc&$filter=result%20gt%20'3'"
    )
    assert (options.count, options.top, options.skip) == (True, 1, 2)
    assert options.filter == Binary(Op.GT, p("result"), StringLiteral("3"))


def test_pygeoapi_expand_and_filter() -> None:
    # pygeoapi 0.24 STA provider (reference §2.2)
    options = parse_query_options(
        {
            "$expand": "Sensor,ObservedProperty,Thing,Thing/Locations,"
            "Observations($select=@iot.id;$orderby=phenomenonTime desc),"
            "Observations/FeatureOfInterest($select=feature)",
            "$filter": "st_within(Thing/Locations/location, "
            "geography'POLYGON ((1 1, 2 1, 2 2, 1 1))')",
            "$skip": "0",
            "$top": "10",
            "$count": "true",
        }
    )
    names = [e.name for e in options.expand]
    assert names == ["Sensor", "ObservedProperty", "Thing", "Observations"]
    thing = options.expand[2]
    assert thing.options.expand == (Expand("Locations"),)
    observations = options.expand[3]
    assert observations.options.select == (("id",),)
    assert observations.options.orderby == (OrderBy(p("phenomenonTime"), descending=True),)
    assert observations.options.expand == (
        Expand("FeatureOfInterest", QueryOptions(select=(("feature",),))),
    )


def test_nested_expand_options() -> None:
    (item,) = parse_expand(
        "Datastreams($filter=name eq 'a;b';$select=name,id;$top=5;$skip=1;$count=true;"
        "$expand=Observations($top=1;$orderby=phenomenonTime desc))"
    )
    assert item.name == "Datastreams"
    assert item.options.filter == Binary(Op.EQ, p("name"), StringLiteral("a;b"))
    assert item.options.select == (("name",), ("id",))
    assert (item.options.top, item.options.skip, item.options.count) == (5, 1, True)
    (inner,) = item.options.expand
    assert inner == Expand(
        "Observations",
        QueryOptions(orderby=(OrderBy(p("phenomenonTime"), descending=True),), top=1),
    )


def test_select_orderby_and_result_format() -> None:
    assert parse_select("id,@iot.id,name,properties/owner") == (
        ("id",),
        ("id",),
        ("name",),
        ("properties", "owner"),
    )
    assert parse_orderby("phenomenonTime desc, length(name), id asc") == (
        OrderBy(p("phenomenonTime"), True),
        OrderBy(Call("length", (p("name"),))),
        OrderBy(p("id")),
    )
    options = parse_query_string("$resultFormat=dataArray&$select=result,phenomenonTime")
    assert options.result_format == "dataArray"
    assert parse_query_string("$skiptoken=abc&other=1").skiptoken == "abc"


# --- resource paths (18-088 §9.2) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ResourcePath(())),
        ("/Things", ResourcePath((Segment("Things"),))),
        ("/Things(1)", ResourcePath((Segment("Things", 1),))),
        ("Things('a b')", ResourcePath((Segment("Things", "a b"),))),
        ("/Things('it''s/x')", ResourcePath((Segment("Things", "it's/x"),))),
        ("/Things(1)/Datastreams", ResourcePath((Segment("Things", 1), Segment("Datastreams")))),
        (
            "/Datastreams(5)/Observations",
            ResourcePath((Segment("Datastreams", 5), Segment("Observations"))),
        ),
        (
            "/Observations(9)/Datastream/Thing",
            ResourcePath((Segment("Observations", 9), Segment("Datastream"), Segment("Thing"))),
        ),
        (
            "/Things(1)/Locations/$ref",
            ResourcePath((Segment("Things", 1), Segment("Locations")), ref=True),
        ),
        (
            "/Observations(3)/result/$value",
            ResourcePath((Segment("Observations", 3),), ("result",), value=True),
        ),
        ("/Things(1)/name", ResourcePath((Segment("Things", 1),), ("name",))),
        (
            "/Things(1)/properties/owner",
            ResourcePath((Segment("Things", 1),), ("properties", "owner")),
        ),
        ("/$batch", ResourcePath((), action="$batch")),
        ("/CreateObservations", ResourcePath((), action="CreateObservations")),
    ],
)
def test_resource_paths(path: str, expected: ResourcePath) -> None:
    assert parse_resource_path(path) == expected


@pytest.mark.parametrize(
    ("path", "message", "offset"),
    [
        ("/Things/name", "needs one entity", 8),
        ("/Things(1)/$value", "$value follows a property", 11),
        ("/Things(1)/$ref", "$ref follows a navigation", 11),
        ("/Things(x)", "invalid key", 8),
        ("/things", "is not an entity set", 1),
        ("/Things(1)/name(2)", "takes no key", 11),
        ("/Things(1)/Locations/$ref/x", "must end the path", 21),
        ("/Things(1", "unclosed '('", 7),
    ],
)
def test_resource_path_errors(path: str, message: str, offset: int) -> None:
    with pytest.raises(ODataError) as info:
        parse_resource_path(path)
    assert message in str(info.value)
    assert info.value.offset == offset
    assert info.value.option == "path"


# --- errors carry the option, the position and what was expected ----------------------------------


@pytest.mark.parametrize(
    ("text", "offset", "fragment"),
    [
        ("name eq", 7, "expected a property, literal, function call or '('"),
        ("name eq 'x", 8, "unterminated string"),
        ("foo(1) eq 1", 0, "unknown function 'foo'"),
        ("name eq 1 2", 10, "expected an operator or the end"),
        ("((name eq 1)", 12, "')' closing the group"),
        ("length(a, b) eq 1", 0, "length() takes 1 argument, got 2"),
        ("t ge 2020-01-01T00:00:00", 24, "has no time zone"),
        ("t ge 2020-02-30T00:00:00Z", 5, "invalid date-time"),
        ("d eq duration'P1M'", 14, "years and months have no fixed length"),
        ("d eq duration'1 day'", 14, "not an ISO 8601 duration"),
        ("st_within(l, geography'POINT (1)')", 31, "bad WKT"),
        ("st_within(l, geography'CIRCLE (1 1)')", 23, "unsupported geometry type"),
        ("st_within(l, geography'POLYGON ((0 0, 1 0, 1 1))')", 23, "must be closed"),
        ("a eq 5x", 6, "after a literal"),
        ("a and and b", 6, "found the operator 'and'"),
        ("a eq #", 5, "unexpected character '#'"),
        ("Datastreams/all()", 16, "all() needs a predicate"),
        ("Datastreams/any(d d/name eq 1)", 18, "':' after the lambda variable"),
        ("", 0, "empty filter"),
    ],
)
def test_filter_errors(text: str, offset: int, fragment: str) -> None:
    with pytest.raises(ODataError) as info:
        parse_filter(text)
    assert fragment in str(info.value)
    assert info.value.offset == offset
    assert info.value.option == "$filter"
    assert info.value.pointer().endswith("^")


def test_option_errors_name_the_option() -> None:
    with pytest.raises(ODataError, match=r"\$top must be a non-negative integer"):
        parse_query_options({"$top": "-1"})
    with pytest.raises(ODataError, match="unknown query option '\\$fitler'"):
        parse_query_options({"$fitler": "a eq 1"})
    with pytest.raises(ODataError, match="\\$count must be true or false"):
        parse_query_options({"$count": "yes"})
    with pytest.raises(ODataError, match="unsupported \\$resultFormat"):
        parse_query_options({"$resultFormat": "GeoJSON"})
    with pytest.raises(ODataError, match="given twice"):
        parse_query_options([("$top", "1"), ("$top", "2")])
    with pytest.raises(ODataError) as info:
        parse_expand("Datastreams($filter=name eq;$top=1)")
    assert info.value.option == "$expand"
    assert info.value.offset == len("Datastreams($filter=name eq")
    with pytest.raises(ODataError, match="unknown query option '\\$levels'"):
        parse_expand("Datastreams($levels=2)")
    with pytest.raises(ODataError, match="expanded twice with options"):
        parse_expand("Thing($top=1),Thing($top=2)")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ODataError, match="nested too deeply"):
        parse_filter("(" * 500 + "a" + ")" * 500)
    with pytest.raises(ODataError, match="nested too deeply"):
        parse_filter("not " * 500 + "a")


# --- robustness: only ODataError escapes ----------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_random_filters_raise_only_odata_errors(text: str) -> None:
    with contextlib.suppress(ODataError):
        parse_filter(text)


_TOKENS = st.sampled_from(
    [
        "name",
        "eq",
        "ne",
        "and",
        "or",
        "not",
        "(",
        ")",
        ",",
        "'x'",
        "1",
        "2.5",
        "-",
        "/",
        "any",
        "d:",
        "geography'POINT (1 2)'",
        "duration'P1D'",
        "2024-01-01T00:00:00Z",
        "substring(",
        "geo.distance(",
        "in",
        "add",
        "mul",
        "null",
        "true",
        "$",
        "'",
        ":",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=20).map(" ".join))
def test_token_soup_raises_only_odata_errors(text: str) -> None:
    with contextlib.suppress(ODataError):
        parse_filter(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_query_parts_raise_only_odata_errors(text: str) -> None:
    for parse in (parse_expand, parse_select, parse_orderby, parse_resource_path):
        with contextlib.suppress(ODataError):
            parse(text)
    with contextlib.suppress(ODataError):
        parse_query_string(text)
