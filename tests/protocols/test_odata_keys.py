"""Computed ids (an observation has no id column): ``order_key`` replaces the id as the paging
tie-breaker, ``key_filter`` selects by id through index-friendly columns, and a key followed by a
to-many navigation compiles to a plain foreign-key condition. Compiled without a database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, Table, and_, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ColumnElement, FromClause

from ecodata.protocols.odata import (
    EntityModel,
    EntitySet,
    Scalar,
    ValueType,
    compile_expand,
    compile_page,
    parse_expand,
    parse_query_string,
    parse_resource_path,
    resolve_path,
    to_many,
    to_one,
)

metadata = MetaData()
streams = Table("streams", metadata, Column("id", Integer, primary_key=True))
readings = Table(
    "readings",
    metadata,
    Column("stream_id", Integer, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("value", Float),
)


def reading_id(table: FromClause) -> ColumnElement[Any]:
    return table.c.stream_id * literal(1000) + table.c.value


def reading_keys(table: FromClause, ids: Any) -> ColumnElement[bool]:
    return and_(table.c.stream_id.in_(sorted({i // 1000 for i in ids})))


MODEL = EntityModel(
    {
        "Streams": EntitySet(
            "Streams", "Stream", streams, {}, {"Readings": to_many("Readings", "stream_id")}
        ),
        "Readings": EntitySet(
            "Readings",
            "Reading",
            readings,
            {
                "time": Scalar("time", ValueType.DATETIME),
                "value": Scalar("value", ValueType.NUMBER),
            },
            {"Stream": to_one("Streams", "stream_id")},
            id=reading_id,
            order_key=("stream_id", "time"),
            key_filter=reading_keys,
        ),
    }
)


def sql(statement: Any) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))


def test_a_key_then_a_to_many_navigation_is_a_foreign_key_condition() -> None:
    target = resolve_path(MODEL, parse_resource_path("/Streams(5)/Readings"))
    assert target.where is not None
    assert sql(target.where).startswith("readings.stream_id = %(param_1)s")
    longer = resolve_path(MODEL, parse_resource_path("/Readings(5001)/Stream"))
    assert "EXISTS" in sql(longer.where)


def test_order_key_replaces_the_computed_id_in_paging() -> None:
    page = compile_page(MODEL, "Readings", parse_query_string("$orderby=value desc&$top=3"))
    text = sql(page.statement)
    assert (
        "ORDER BY readings.value DESC NULLS FIRST, readings.stream_id ASC, readings.time ASC"
        in text
    )
    by_id = compile_page(MODEL, "Readings", parse_query_string("$orderby=id desc"))
    assert "ORDER BY readings.stream_id DESC, readings.time DESC" in sql(by_id.statement)
    token = page.next_token({"_k0": 3.5, "_k1": 5, "_k2": None})
    after = compile_page(
        MODEL, "Readings", parse_query_string(f"$orderby=value desc&$skiptoken={token}")
    )
    assert "readings.stream_id >" in sql(after.statement)


def test_key_filter_selects_single_entities_and_expand_parents() -> None:
    target = resolve_path(MODEL, parse_resource_path("/Readings(5001)"))
    assert "readings.stream_id IN" in sql(target.where)
    (item,) = parse_expand("Stream")
    query = compile_expand(MODEL, "Readings", item, [5001, 7002], lookahead=True)
    assert "stream_id IN" in sql(query.statement)
    (many,) = parse_expand("Readings($top=2)")
    query = compile_expand(MODEL, "Streams", many, [5], lookahead=True)
    assert query.many and "row_number() OVER (PARTITION BY" in sql(query.statement)
