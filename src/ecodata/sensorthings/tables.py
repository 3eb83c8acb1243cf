"""The SensorThings read tables: one table per entity set, in the database that holds the
observations (PostgreSQL, or the DuckDB file of the embedded installation).

They are a projection of the registry (sites, parameters, series and the ``sta_*`` metadata),
rebuilt by :mod:`ecodata.sensorthings.projection_store`; queries join them with the observation
table in one SQL database, so ``Observations?$filter=Datastream/Thing/name eq 'x'`` is one
statement. Observation ids are computed (see :mod:`ecodata.sensorthings.ids`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: Bumped whenever a table below changes: the tables are then dropped and rebuilt.
PROJECTION_VERSION = 1

metadata = sa.MetaData()
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def _table(name: str, *columns: sa.Column[Any] | sa.Index) -> sa.Table:
    return sa.Table(name, metadata, *columns)


things = _table(
    "sta_things",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("properties", _JSON),
)
locations = _table(
    "sta_locations",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("encoding_type", sa.String, nullable=False),
    sa.Column("location", _JSON),
    sa.Column("longitude", sa.Float),
    sa.Column("latitude", sa.Float),
    sa.Column("properties", _JSON),
)
thing_locations = _table(
    "sta_thing_locations",
    sa.Column("thing_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("location_id", sa.Integer, primary_key=True, autoincrement=False),
)
historical_locations = _table(
    "sta_historical_locations",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("thing_id", sa.Integer, nullable=False),
    sa.Column("time", _TIME, nullable=False),
)
historical_location_locations = _table(
    "sta_historical_location_locations",
    sa.Column("historical_location_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("location_id", sa.Integer, primary_key=True, autoincrement=False),
)
sensors = _table(
    "sta_sensors",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("encoding_type", sa.String, nullable=False),
    sa.Column("metadata", sa.String, nullable=False),
    sa.Column("properties", _JSON),
)
observed_properties = _table(
    "sta_observed_properties",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("definition", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("properties", _JSON),
)
datastreams = _table(
    "sta_datastreams",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("unit", _JSON),
    sa.Column("observation_type", sa.String, nullable=False),
    sa.Column("observed_area", _JSON),
    sa.Column("phenomenon_start", _TIME),
    sa.Column("phenomenon_end", _TIME),
    sa.Column("properties", _JSON),
    sa.Column("thing_id", sa.Integer, nullable=False),
    sa.Column("sensor_id", sa.Integer, nullable=False),
    sa.Column("observed_property_id", sa.Integer, nullable=False),
    sa.Column("feature_id", sa.Integer),
    sa.Column("dataset_id", sa.Integer),  # catalog dataset (access control)
    sa.Index("ix_sta_datastreams_thing", "thing_id"),
)
features = _table(
    "sta_features",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("encoding_type", sa.String, nullable=False),
    sa.Column("feature", _JSON),
    sa.Column("longitude", sa.Float),
    sa.Column("latitude", sa.Float),
    sa.Column("properties", _JSON),
)
meta = _table(
    "sta_meta",
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
)

#: The entity tables in the order they are rebuilt.
PROJECTED = (
    things,
    locations,
    thing_locations,
    historical_locations,
    historical_location_locations,
    sensors,
    observed_properties,
    datastreams,
    features,
)

# The observation table of both stores (store/duckdb_observations.py, postgres_observations.py);
# declared here for SQL building only, never created from here.
observations = sa.Table(
    "observations",
    sa.MetaData(),
    sa.Column("series_id", sa.Integer, nullable=False),
    sa.Column("time", _TIME, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("flag", sa.String),
    sa.Column("qc", sa.SmallInteger, nullable=False),
    sa.Column("run_id", sa.Integer, nullable=False),
)


class EpochSeconds(FunctionElement[int]):
    """Whole seconds since 1970-01-01T00:00Z of a time-zone-aware timestamp, as BIGINT."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(EpochSeconds)
def _epoch_default(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = [compiler.process(c, **kw) for c in element.clauses]
    return f"CAST(floor(extract(epoch FROM {value})) AS BIGINT)"


@compiles(EpochSeconds, "duckdb")
def _epoch_duckdb(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = [compiler.process(c, **kw) for c in element.clauses]
    return f"CAST(floor(epoch({value})) AS BIGINT)"
