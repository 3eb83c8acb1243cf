"""A SensorThings entity model over real Beijing monitoring data, shared by the odata tests.

Things are the 12 stations of the UCI Beijing Multi-Site Air-Quality set (CC BY 4.0) plus the
Tianjin
national stations; Locations come from the national station list; Observations are the first three
days (2013-03-01..03, Beijing time) of PM2.5 and NO2 from the UCI files. :func:`oracle_rows` reads
the same CSV rows in plain Python, so tests compare SQL results with independently computed ones.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Double,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.pool import StaticPool

from ecodata.protocols.odata import (
    POSTGRES_ECODATA_ST,
    EntityModel,
    EntitySet,
    Interval,
    Json,
    Point,
    Scalar,
    ValueType,
    ecodata_st,
    many_to_many,
    to_many,
    to_one,
)
from ecodata.store.dialects import sqlalchemy_url

#: UCI file name → national station code (names match ``national_stations_2020.csv``).
BEIJING = {
    "Wanshouxigong": "1001A",
    "Dingling": "1002A",
    "Dongsi": "1003A",
    "Tiantan": "1004A",
    "Nongzhanguan": "1005A",
    "Guanyuan": "1006A",
    "Wanliu": "1007A",
    "Shunyi": "1008A",
    "Huairou": "1009A",
    "Changping": "1010A",
    "Aotizhongxin": "1011A",
    "Gucheng": "1012A",
}
PARAMETERS = {"PM2.5": 1, "NO2": 2}
HOURS = 72
CST = timedelta(hours=8)

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("description", String, nullable=False),
    Column("properties", JSON),
)
locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("longitude", Double),
    Column("latitude", Double),
)
thing_locations = Table(
    "thing_locations",
    metadata,
    Column("thing_id", ForeignKey("things.id"), primary_key=True),
    Column("location_id", ForeignKey("locations.id"), primary_key=True),
)
observed_properties = Table(
    "observed_properties",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("definition", String, nullable=False),
)
datastreams = Table(
    "datastreams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("unit", JSON, nullable=False),
    Column("thing_id", ForeignKey("things.id"), nullable=False),
    Column("observed_property_id", ForeignKey("observed_properties.id"), nullable=False),
    Column("phenomenon_start", DateTime(timezone=True)),
    Column("phenomenon_end", DateTime(timezone=True)),
    Column("properties", JSON),
)
observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("datastream_id", ForeignKey("datastreams.id"), nullable=False, index=True),
    Column("phenomenon_time", DateTime(timezone=True), nullable=False),
    Column("result", Double),
    Column("parameters", JSON),
)

MODEL = EntityModel(
    {
        "Things": EntitySet(
            "Things",
            "Thing",
            things,
            {
                "name": Scalar("name", ValueType.STRING),
                "description": Scalar("description", ValueType.STRING),
                "properties": Json("properties"),
            },
            {
                "Locations": many_to_many("Locations", thing_locations, "thing_id", "location_id"),
                "Datastreams": to_many("Datastreams", "thing_id"),
            },
        ),
        "Locations": EntitySet(
            "Locations",
            "Location",
            locations,
            {"name": Scalar("name", ValueType.STRING), "location": Point("longitude", "latitude")},
            {"Things": many_to_many("Things", thing_locations, "location_id", "thing_id")},
        ),
        "ObservedProperties": EntitySet(
            "ObservedProperties",
            "ObservedProperty",
            observed_properties,
            {
                "name": Scalar("name", ValueType.STRING),
                "definition": Scalar("definition", ValueType.STRING),
            },
            {"Datastreams": to_many("Datastreams", "observed_property_id")},
        ),
        "Datastreams": EntitySet(
            "Datastreams",
            "Datastream",
            datastreams,
            {
                "name": Scalar("name", ValueType.STRING),
                "unitOfMeasurement": Json("unit"),
                "phenomenonTime": Interval("phenomenon_start", "phenomenon_end"),
                "properties": Json("properties"),
            },
            {
                "Thing": to_one("Things", "thing_id"),
                "ObservedProperty": to_one("ObservedProperties", "observed_property_id"),
                "Observations": to_many("Observations", "datastream_id"),
            },
        ),
        "Observations": EntitySet(
            "Observations",
            "Observation",
            observations,
            {
                "phenomenonTime": Scalar("phenomenon_time", ValueType.DATETIME),
                "result": Scalar("result", ValueType.NUMBER),
                "parameters": Json("parameters"),
            },
            {"Datastream": to_one("Datastreams", "datastream_id")},
        ),
    }
)


@dataclass(frozen=True)
class Row:
    """One observation as read straight from the UCI CSV (the test oracle)."""

    id: int
    station: str
    code: str
    parameter: str
    time: datetime  # UTC
    value: float
    wd: str


def station_list(shared: Path) -> list[dict[str, str]]:
    with (shared / "air" / "national_stations_2020.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["城市"] in ("北京", "天津")]


def oracle_rows(shared: Path) -> list[Row]:
    rows: list[Row] = []
    for station, code in BEIJING.items():
        path = shared / "air" / "beijing_multisite" / f"PRSA_Data_{station}_20130301-20170228.csv"
        with path.open(encoding="utf-8") as f:
            for record in itertools.islice(csv.DictReader(f), HOURS):
                local = datetime(
                    int(record["year"]),
                    int(record["month"]),
                    int(record["day"]),
                    int(record["hour"]),
                )
                for parameter in PARAMETERS:
                    if record[parameter] == "NA":
                        continue
                    rows.append(
                        Row(
                            len(rows) + 1,
                            station,
                            code,
                            parameter,
                            (local - CST).replace(tzinfo=UTC),
                            float(record[parameter]),
                            record["wd"],
                        )
                    )
    return rows


def datastream_id(code: str, parameter: str) -> int:
    return (int(code[:4]) - 1000) * 10 + PARAMETERS[parameter]


def load(engine: Engine, shared: Path) -> list[Row]:
    metadata.create_all(engine)
    stations = station_list(shared)
    rows = oracle_rows(shared)
    with engine.begin() as conn:
        for index, s in enumerate(stations, start=1):
            code = s["监测点编码"]
            conn.execute(
                insert(things).values(
                    id=int(code[:4]) - 1000,
                    name=f"{s['监测点名称']} {code}",
                    description=f"national air station, {s['城市']}",
                    properties={
                        "code": code,
                        "city": s["城市"],
                        "closed": "停运" in s["监测点名称"],
                    },
                )
            )
            conn.execute(
                insert(locations).values(
                    id=index,
                    name=s["监测点名称"],
                    longitude=float(s["经度"]),
                    latitude=float(s["纬度"]),
                )
            )
            conn.execute(
                insert(thing_locations).values(thing_id=int(code[:4]) - 1000, location_id=index)
            )
        conn.execute(
            insert(observed_properties),
            [
                {"id": 1, "name": "PM2.5", "definition": "http://example.org/hj212/a34004"},
                {"id": 2, "name": "NO2", "definition": "http://example.org/hj212/a21004"},
            ],
        )
        for station, code in BEIJING.items():
            for parameter, op_id in PARAMETERS.items():
                times = [r.time for r in rows if r.station == station and r.parameter == parameter]
                conn.execute(
                    insert(datastreams).values(
                        id=datastream_id(code, parameter),
                        name=f"{parameter} {station}",
                        unit={"name": "microgram per cubic meter", "symbol": "µg/m³"},
                        thing_id=int(code[:4]) - 1000,
                        observed_property_id=op_id,
                        phenomenon_start=min(times),
                        phenomenon_end=max(times) + timedelta(hours=1),
                        properties={
                            "station": station,
                            "limit": 75 if parameter == "PM2.5" else 80,
                        },
                    )
                )
        conn.execute(
            insert(observations),
            [
                {
                    "id": r.id,
                    "datastream_id": datastream_id(r.code, r.parameter),
                    "phenomenon_time": r.time,
                    "result": r.value,
                    "parameters": {"wd": r.wd, "hour": (r.time + CST).hour},
                }
                for r in rows
            ],
        )
    return rows


def sqlite_engine() -> Engine:
    engine = create_engine("sqlite://", poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("ecodata_st", 4, ecodata_st, deterministic=True)

    return engine


def postgres_engine(url: str, schema: str) -> Engine:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {schema}")
        dbapi_connection.commit()

    return engine


def duckdb_engine() -> Engine:
    pytest.importorskip("duckdb_engine")
    try:
        from duckdb.sqltypes import DOUBLE, VARCHAR
    except ImportError:  # duckdb < 1.4
        from duckdb.typing import DOUBLE, VARCHAR  # type: ignore[no-redef]
    engine = create_engine("duckdb:///:memory:", poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function(
            "ecodata_st",
            ecodata_st,
            [VARCHAR, DOUBLE, DOUBLE, VARCHAR],
            DOUBLE,
            null_handling="special",
        )

    return engine


@dataclass
class Db:
    """A loaded backend: its engine, the oracle rows and the dialect name."""

    engine: Engine
    rows: list[Row]
    name: str


BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
    "duckdb",
]


def open_backend(name: str, shared: Path) -> Iterator[Db]:
    """The STA tables loaded into one backend; a generator for session fixtures. PostgreSQL needs
    ``ECODATA_TEST_POSTGRES_URL`` (a schema is created and dropped); DuckDB needs duckdb-engine."""
    schema = ""
    url = sqlalchemy_url(os.environ.get("ECODATA_TEST_POSTGRES_URL", ""))
    if name == "sqlite":
        engine = sqlite_engine()
    elif name == "duckdb":
        engine = duckdb_engine()
    else:
        if not url:
            pytest.skip("ECODATA_TEST_POSTGRES_URL is not set")
        schema = f"odata_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        admin.dispose()
        engine = postgres_engine(url, schema)
        with engine.begin() as conn:
            conn.exec_driver_sql(POSTGRES_ECODATA_ST)
    try:
        yield Db(engine, load(engine, shared), name)
    finally:
        engine.dispose()
        if schema:
            admin = create_engine(url)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


@pytest.fixture(scope="session")
def sta(shared_data: Path) -> Iterator[tuple[Engine, list[Row]]]:
    """The SQLite backend alone (for tests about SQLite specifics)."""
    engine = sqlite_engine()
    rows = load(engine, shared_data)
    yield engine, rows
    engine.dispose()


def test_loaded_data_matches_the_csv(sta: tuple[Engine, list[Row]]) -> None:
    engine, rows = sta
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(observations)).scalar()
        first = conn.execute(observations.select().where(observations.c.id == 1)).mappings().one()
    assert count == len(rows) > 1500
    # PRSA_Data_Wanshouxigong row 1: 2013-03-01 00:00 Beijing time, PM2.5 = 9
    assert rows[0].station == "Wanshouxigong" and rows[0].value == 9.0
    assert first["result"] == 9.0
    assert first["phenomenon_time"].replace(tzinfo=UTC) == datetime(2013, 2, 28, 16, tzinfo=UTC)
    assert json.loads(json.dumps(first["parameters"]))["hour"] == 0
