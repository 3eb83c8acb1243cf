"""Whole requests: resource paths, ordering, keyset pages and tokens, $count, $expand — on real
data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from test_odata_sta import BACKENDS, MODEL, Db, datastream_id, open_backend

from ecodata.protocols.odata import (
    ODataError,
    QueryOptions,
    compile_expand,
    compile_orderby,
    compile_page,
    decode_token,
    encode_token,
    parse_orderby,
    parse_query_string,
    parse_resource_path,
    resolve_path,
)


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, shared_data: Path) -> Iterator[Db]:
    yield from open_backend(request.param, shared_data)


def rows_of(db: Db, statement: Any) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(statement).mappings()]


def all_pages(db: Db, entity_set: str, query: str, where: Any = None) -> tuple[list[int], int]:
    """Follow the keyset tokens to the end; returns the ids in order and the number of pages."""
    ids: list[int] = []
    token = None
    pages = 0
    while True:
        options = parse_query_string(query + (f"&$skiptoken={token}" if token else ""))
        page = compile_page(MODEL, entity_set, options, where=where)
        rows = rows_of(db, page.statement)
        pages += 1
        ids.extend(r["id"] for r in rows[: page.top])
        if len(rows) <= page.top:
            return ids, pages
        token = page.next_token(rows[page.top - 1])


def test_keyset_pages_cover_the_ordering_exactly(db: Db) -> None:
    order = "$orderby=result desc,phenomenonTime"
    ids, pages = all_pages(db, "Observations", f"{order}&$top=97")
    expected = [r.id for r in sorted(db.rows, key=lambda r: (-r.value, r.time, r.id))]
    assert ids == expected
    assert pages == len(expected) // 97 + 1
    # the same order through OFFSET paging
    offset_ids: list[int] = []
    for skip in range(0, len(expected), 500):
        page = compile_page(
            MODEL, "Observations", parse_query_string(f"{order}&$skip={skip}&$top=500")
        )
        offset_ids.extend(r["id"] for r in rows_of(db, page.statement)[:500])
    assert offset_ids == expected


def test_keyset_pages_over_json_interval_and_navigation_keys(db: Db) -> None:
    ids, _ = all_pages(db, "Observations", "$orderby=parameters/hour desc,Datastream/name&$top=250")
    names = {datastream_id(r.code, r.parameter): f"{r.parameter} {r.station}" for r in db.rows}
    hour = {r.id: (r.time.hour + 8) % 24 for r in db.rows}
    expected = sorted(
        db.rows,
        key=lambda r: (-hour[r.id], names[datastream_id(r.code, r.parameter)], r.id),
    )
    assert ids == [r.id for r in expected]
    streams, _ = all_pages(db, "Datastreams", "$orderby=phenomenonTime desc&$top=5")
    assert sorted(streams) == sorted({datastream_id(r.code, r.parameter) for r in db.rows})


def test_frost_client_request(db: Db) -> None:
    # frost-sta-client: GET /v1.1/Datastreams(11)/Observations
    #   ?$filter=result+gt+10&$orderby=phenomenonTime+asc&$top=2&$count=true
    target = resolve_path(MODEL, parse_resource_path("/Datastreams(11)/Observations"))
    options = parse_query_string(
        "$filter=result+gt+10&$orderby=phenomenonTime+asc&$top=2&$count=true"
    )
    page = compile_page(MODEL, target.entity, options, where=target.where)
    rows = rows_of(db, page.statement)
    mine = sorted(
        (r for r in db.rows if datastream_id(r.code, r.parameter) == 11 and r.value > 10),
        key=lambda r: r.time,
    )
    assert [r["id"] for r in rows[:2]] == [r.id for r in mine[:2]]
    assert len(rows) == 3  # one look-ahead row: there is a next page
    assert page.count is not None
    assert rows_of(db, page.count)[0]["count_1"] == len(mine)


def test_ets_sta10_priority_of_options(db: Db) -> None:
    # $filter, then $count, then $orderby, $skip, $top (18-088 request-data/order)
    options = parse_query_string(
        "$count=true&$top=1&$skip=2&$orderby=phenomenonTime%20asc&$filter=result%20gt%20'3'"
    )
    page = compile_page(MODEL, "Observations", options)
    kept = sorted((r for r in db.rows if r.value > 3), key=lambda r: (r.time, r.id))
    assert page.count is not None
    assert list(rows_of(db, page.count)[0].values()) == [len(kept)]
    assert [r["id"] for r in rows_of(db, page.statement)][:1] == [kept[2].id]


def test_resolve_paths(db: Db) -> None:
    def target_ids(path: str) -> list[int]:
        target = resolve_path(MODEL, parse_resource_path(path))
        table = target.entity.table
        statement = select(table.c.id)
        if target.where is not None:
            statement = statement.where(target.where)
        return sorted(r["id"] for r in rows_of(db, statement))

    assert target_ids("/Observations(1)/Datastream/Thing") == [1]
    assert target_ids("/Things(3)/Locations") == [3]
    assert target_ids("/Locations(3)/Things/Datastreams") == [31, 32]
    dongsi_no2 = sorted(r.id for r in db.rows if r.code == "1003A" and r.parameter == "NO2")
    assert target_ids("/Things(3)/Datastreams(32)/Observations") == dongsi_no2
    assert target_ids("/Things(4)/Datastreams(32)/Observations") == []
    assert resolve_path(MODEL, parse_resource_path("/Observations(1)/Datastream")).single
    assert not resolve_path(MODEL, parse_resource_path("/Things(1)/Datastreams")).single
    ref = resolve_path(MODEL, parse_resource_path("/Things(1)/Locations/$ref"))
    assert ref.ref and ref.entity.name == "Locations"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/Sensors", "unknown entity set 'Sensors'"),
        ("/Things(1)/Sensors", "Things has no navigation property 'Sensors'"),
        ("/Things(1)/colour", "Things has no property 'colour'"),
        ("/Things(1)/Datastreams/name", "only be read from one entity"),
    ],
)
def test_path_errors(path: str, message: str) -> None:
    with pytest.raises(ODataError, match=message):
        resolve_path(MODEL, parse_resource_path(path))


def test_expand_applies_options_per_parent(db: Db) -> None:
    options = parse_query_string("$expand=Datastreams($orderby=name desc;$top=1;$count=true)")
    (item,) = options.expand
    expand = compile_expand(MODEL, "Things", item, [1, 3, 13])
    rows = rows_of(db, expand.statement)
    assert [(r["_parent"], r["name"]) for r in rows] == [
        (1, "PM2.5 Wanshouxigong"),
        (3, "PM2.5 Dongsi"),
    ]
    assert expand.count is not None
    assert sorted((r["_parent"], r["count"]) for r in rows_of(db, expand.count)) == [(1, 2), (3, 2)]
    to_one = compile_expand(
        MODEL, "Datastreams", parse_query_string("$expand=Thing").expand[0], [31, 122]
    )
    assert sorted((r["_parent"], r["id"]) for r in rows_of(db, to_one.statement)) == [
        (31, 3),
        (122, 12),
    ]
    assert not to_one.many


def test_expand_filter_and_skip(db: Db) -> None:
    (item,) = parse_query_string(
        "$expand=Observations($filter=result gt 200;$orderby=result desc;$skip=1;$top=2)"
    ).expand
    expand = compile_expand(MODEL, "Datastreams", item, [datastream_id("1003A", "PM2.5")])
    got = [r["result"] for r in rows_of(db, expand.statement)]
    values = sorted(
        (
            r.value
            for r in db.rows
            if r.code == "1003A" and r.parameter == "PM2.5" and r.value > 200
        ),
        reverse=True,
    )
    assert got == values[1:3]


# --- ordering and tokens, without a database ------------------------------------------------------


def test_order_by_sql_has_tie_breaker_and_null_placement() -> None:
    ordering = compile_orderby(MODEL, "Observations", parse_orderby("parameters/hour desc, result"))
    statement = select(MODEL.sets["Observations"].table.c.id).order_by(*ordering.order_by())
    lite = str(statement.compile(dialect=sqlite.dialect()))
    pg = str(statement.compile(dialect=postgresql.dialect()))
    assert lite.rstrip().endswith("result ASC NULLS LAST, observations.id ASC")
    assert "DESC NULLS FIRST" in pg
    # NOT NULL keys get no NULLS clause, so plain indexes serve them
    time_order = compile_orderby(MODEL, "Observations", parse_orderby("phenomenonTime"))
    clause = str(
        select(MODEL.sets["Observations"].table.c.id)
        .order_by(*time_order.order_by())
        .compile(dialect=postgresql.dialect())
    )
    assert clause.endswith("observations.phenomenon_time ASC, observations.id ASC")


def test_keyset_condition_starts_with_an_index_range() -> None:
    from datetime import UTC, datetime

    ordering = compile_orderby(MODEL, "Observations", parse_orderby("phenomenonTime"))
    cond = ordering.after([datetime(2013, 3, 1, tzinfo=UTC), 42])
    text = str(cond.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert text.startswith("observations.phenomenon_time >= '2013-03-01 00:00:00+00:00' AND (")
    assert "observations.id > 42" in text


def test_tokens_round_trip_and_reject_tampering() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    ordering = compile_orderby(MODEL, "Observations", parse_orderby("phenomenonTime desc,result"))
    values = [datetime(2013, 3, 1, 8, tzinfo=UTC), Decimal("12.5"), 7]
    token = encode_token(ordering, values)
    assert decode_token(ordering, token) == tuple(values)
    assert token.isascii() and "=" not in token and "/" not in token and "+" not in token
    other = compile_orderby(MODEL, "Observations", parse_orderby("result"))
    with pytest.raises(ODataError, match="belongs to another query"):
        decode_token(other, token)
    for bad in ("not-a-token", token[:-3], "W10", ""):
        with pytest.raises(ODataError, match=r"\$skiptoken"):
            decode_token(ordering, bad)
    with pytest.raises(ODataError, match=r"\$skiptoken"):
        compile_page(MODEL, "Observations", QueryOptions(skiptoken="garbage"))


@pytest.mark.parametrize(
    ("entity_set", "orderby", "message"),
    [
        ("Things", "Datastreams/name", "to-many navigation"),
        ("Locations", "location", "cannot order by a geometry"),
        ("Things", "colour", "Things has no property 'colour'"),
    ],
)
def test_orderby_errors(entity_set: str, orderby: str, message: str) -> None:
    with pytest.raises(ODataError, match=message) as info:
        compile_orderby(MODEL, entity_set, parse_orderby(orderby))
    assert info.value.option == "$orderby"


def test_top_is_capped() -> None:
    with pytest.raises(ODataError, match="exceeds the server maximum"):
        compile_page(MODEL, "Things", QueryOptions(top=20_000))
