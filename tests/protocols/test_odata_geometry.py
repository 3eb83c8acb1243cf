"""Planar point–geometry relations (OGC 06-103r4 DE-9IM) behind ``ecodata_st``."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from ecodata.protocols.odata_geometry import (
    WktError,
    ecodata_st,
    locate,
    matches,
    parse_wkt,
    point_distance,
    point_matrix,
    point_relation,
    transpose,
)
from ecodata.protocols.odata_spatial_sql import POSTGRES_ECODATA_ST
from ecodata.store.dialects import sqlalchemy_url

SQUARE = parse_wkt("POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 2, 1 1))")
LINE = parse_wkt("LINESTRING (0 0, 2 0, 2 2)")
RING = parse_wkt("LINESTRING (0 0, 1 0, 1 1, 0 0)")


@pytest.mark.parametrize(
    ("point", "where"),
    [
        ((3.0, 3.0), "interior"),
        ((4.0, 2.0), "boundary"),
        ((0.0, 0.0), "boundary"),
        ((1.5, 1.5), "exterior"),  # inside the hole
        ((2.0, 1.5), "boundary"),  # on the hole's edge
        ((5.0, 5.0), "exterior"),
    ],
)
def test_locate_in_polygon_with_hole(point: tuple[float, float], where: str) -> None:
    assert locate(point, SQUARE) == where


def test_line_boundary_and_closed_rings() -> None:
    assert locate((0.0, 0.0), LINE) == "boundary"
    assert locate((1.0, 0.0), LINE) == "interior"
    assert locate((2.0, 2.0), LINE) == "boundary"
    assert locate((1.0, 1.0), LINE) == "exterior"
    assert locate((0.0, 0.0), RING) == "interior"  # a closed line has no boundary


@pytest.mark.parametrize(
    ("point", "geometry", "matrix"),
    [
        ((3.0, 3.0), SQUARE, "0FFFFF212"),
        ((4.0, 2.0), SQUARE, "F0FFFF212"),
        ((9.0, 9.0), SQUARE, "FF0FFF212"),
        ((1.0, 0.0), LINE, "0FFFFF102"),
        ((0.0, 0.0), LINE, "F0FFFF102"),
        ((0.0, 0.0), RING, "0FFFFF1F2"),
        ((1.0, 2.0), parse_wkt("POINT (1 2)"), "0FFFFFFF2"),
        ((1.0, 2.0), parse_wkt("MULTIPOINT ((1 2), (3 4))"), "0FFFFF0F2"),
    ],
)
def test_de9im_matrices(point: tuple[float, float], geometry: object, matrix: str) -> None:
    assert point_matrix(point, geometry) == matrix  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("op", "inside", "edge", "outside"),
    [
        ("within", True, False, False),
        ("contains", False, False, False),
        ("intersects", True, True, False),
        ("disjoint", False, False, True),
        ("touches", False, True, False),
        ("equals", False, False, False),
        ("overlaps", False, False, False),
        ("crosses", False, False, False),
    ],
)
def test_named_predicates_point_vs_polygon(
    op: str, inside: bool, edge: bool, outside: bool
) -> None:
    assert point_relation(op, (3.0, 3.0), SQUARE) is inside
    assert point_relation(op, (4.0, 2.0), SQUARE) is edge
    assert point_relation(op, (1.5, 1.5), SQUARE) is outside


def test_point_vs_point_predicates() -> None:
    same = parse_wkt("POINT (1 2)")
    assert point_relation("equals", (1.0, 2.0), same)
    assert point_relation("within", (1.0, 2.0), same)
    assert point_relation("contains", (1.0, 2.0), same)
    assert not point_relation("touches", (1.0, 2.0), same)
    assert point_relation("disjoint", (1.0, 3.0), same)


def test_transpose_and_patterns() -> None:
    assert transpose("012345678") == "036147258"
    assert transpose(transpose("T*F**F***")) == "T*F**F***"
    assert matches("0FFFFF212", "T*F**F***")
    assert not matches("F0FFFF212", "T*F**F***")
    assert matches("0FFFFF212", "0********")
    assert not matches("0FFFFF212", "1********")


def test_distances() -> None:
    assert point_distance((7.0, 8.0), SQUARE) == 5.0  # 3-4-5 from the corner (4, 4)
    assert point_distance((3.0, 3.0), SQUARE) == 0.0
    assert point_distance((1.5, 1.5), SQUARE) == 0.5  # in the hole: to its nearest edge
    assert point_distance((1.0, 1.0), LINE) == 1.0
    assert point_distance((3.0, 4.0), parse_wkt("POINT (0 0)")) == 5.0
    assert LINE.length() == 4.0
    assert parse_wkt("POINT (1 1)").length() == 0.0


def test_ecodata_st_sql_function() -> None:
    wkt = SQUARE.wkt()
    assert wkt == "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 2, 1 1))"
    assert ecodata_st("within", 3, 3, wkt) == 1.0
    assert ecodata_st("within", 1.5, 1.5, wkt) == 0.0
    assert ecodata_st("relate:T*F**F***", 3, 3, wkt) == 1.0
    assert ecodata_st("distance", 7, 8, wkt) == 5.0
    assert ecodata_st("within", None, 3, wkt) is None
    with pytest.raises(ValueError, match="unknown spatial predicate"):
        ecodata_st("near", 1, 1, wkt)


@pytest.mark.parametrize(
    ("wkt", "message"),
    [
        ("POINT (1)", "expected a coordinate number"),
        ("POINT (1 2 3)", "only 2-D coordinates"),
        ("POINT EMPTY", "empty geometries"),
        ("LINESTRING (1 1)", "at least 2 coordinates"),
        ("POLYGON ((0 0, 1 0, 0 1))", "must be closed"),
        ("TRIANGLE ((0 0, 1 0, 0 1, 0 0))", "unsupported geometry type"),
        ("POINT (1 2) x", "unexpected text"),
    ],
)
def test_wkt_errors(wkt: str, message: str) -> None:
    with pytest.raises(WktError, match=message):
        parse_wkt(wkt)


def test_wkt_round_trip_of_every_kind() -> None:
    for wkt in (
        "POINT (1 2)",
        "LINESTRING (0 0, 1.5 2)",
        "POLYGON ((0 0, 1 0, 1 1, 0 0))",
        "MULTIPOINT ((1 2), (3 4))",
        "MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))",
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), "
        "((5 5, 6 5, 6 6, 5 5), (5.2 5.1, 5.8 5.1, 5.8 5.5, 5.2 5.1)))",
    ):
        assert parse_wkt(wkt).wkt() == wkt
        assert parse_wkt(parse_wkt(wkt).wkt()) == parse_wkt(wkt)
    assert parse_wkt("MULTIPOINT (1 2, 3 4)").wkt() == "MULTIPOINT ((1 2), (3 4))"


# --- the PL/pgSQL ecodata_st agrees with the Python one -------------------------------------------


@pytest.fixture
def postgres_st() -> Iterator[tuple[Engine, str]]:
    url = sqlalchemy_url(os.environ.get("ECODATA_TEST_POSTGRES_URL", ""))
    if not url:
        pytest.skip("ECODATA_TEST_POSTGRES_URL is not set")
    schema = f"odata_st_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        conn.exec_driver_sql(f"SET search_path TO {schema}")
        conn.exec_driver_sql(POSTGRES_ECODATA_ST)
    try:
        yield engine, schema
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


@pytest.mark.postgres
def test_plpgsql_ecodata_st_matches_python(postgres_st: tuple[Engine, str]) -> None:
    engine, schema = postgres_st
    shapes = [
        SQUARE,
        LINE,
        RING,
        parse_wkt("POINT (1 1)"),
        parse_wkt("MULTIPOINT ((1 1), (2 2))"),
        parse_wkt("MULTILINESTRING ((0 0, 1 1), (1 1, 2 0))"),
        parse_wkt("MULTIPOLYGON (((0 0, 2 0, 2 2, 0 2, 0 0)), ((3 3, 4 3, 4 4, 3 3)))"),
    ]
    ops = [
        "within",
        "contains",
        "intersects",
        "disjoint",
        "touches",
        "equals",
        "overlaps",
        "crosses",
        "relate:T********",
        "relate:F0*******",
        "relate:******1**",
        "distance",
    ]
    rng = random.Random(20240101)
    points = [(float(rng.randint(-1, 9)) / 2, float(rng.randint(-1, 9)) / 2) for _ in range(40)]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SET search_path TO {schema}")
        checked = 0
        for shape in shapes:
            for op in ops:
                for lon, lat in points:
                    got = conn.execute(
                        text("SELECT ecodata_st(:op, :lon, :lat, :wkt)"),
                        {"op": op, "lon": lon, "lat": lat, "wkt": shape.wkt()},
                    ).scalar_one()
                    want = ecodata_st(op, lon, lat, shape.wkt())
                    assert want is not None
                    assert got == pytest.approx(want), (op, lon, lat, shape.wkt())
                    checked += 1
    assert checked == len(shapes) * len(ops) * len(points)
